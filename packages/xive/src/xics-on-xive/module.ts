/**
 * The XICS-on-XIVE plugin: `xicsOnXiveModule` (or `createXicsOnXiveModule(options)`) binds the
 * device for KVM_DEV_TYPE_XICS (3) on ppc64 as a XIVE host serves it, KVM_CAP_IRQ_XICS, ONE_REG
 * KVM_REG_PPC_ICP_STATE and the guest driver "xics-on-xive".
 *
 * It is NOT the package's default export: @irqlab/xics also claims device type 3 and
 * KVM_CAP_IRQ_XICS. A VM loads one or the other — KVM's host choice `xive_enabled()` (a
 * POWER9/10 host serves type 3 with this device, a POWER8 host with the legacy XICS). It can be
 * loaded together with the native XIVE module (`@irqlab/xive` default): the two then share
 * kvm->arch.xive, so only one of them can be created in a VM at a time (EEXIST).
 */
import { ContainerModule, DeviceContribution, GuestDriverContribution, Vm, VmExtension } from "@irqlab/core";
import { xicsOnXiveDeviceContribution } from "./device.js";
import { xicsOnXiveGuestDriverContribution } from "./guest-driver.js";
import type { XoxOptions } from "./xics-on-xive.js";
import { XoxVm, XoxVmToken } from "./xox-vm.js";

export interface XicsOnXiveModuleOptions {
  /** log2 bytes of the queue pages KVM allocates (default 16: 64 KiB, 16384 entries; 12..16). */
  qShift?: number;
  /** Host single-escalation support (default true). */
  singleEscalation?: boolean;
  /** kvm->arch.emul_smt_mode (default 1). */
  emulSmtMode?: 1 | 2 | 4 | 8;
}

export function createXicsOnXiveModule(opts: XicsOnXiveModuleOptions = {}): ContainerModule {
  const qShift = opts.qShift ?? 16;
  if (!Number.isInteger(qShift) || qShift < 12 || qShift > 16) throw new RangeError(`qShift ${qShift} (12..16)`);
  const options: XoxOptions = { qShift, singleEscalation: opts.singleEscalation ?? true, emulSmtMode: opts.emulSmtMode ?? 1 };
  const contribution = xicsOnXiveDeviceContribution(options);
  return new ContainerModule(({ bind }) => {
    bind(XoxVmToken)
      .toDynamicValue((ctx) => new XoxVm(ctx.get(Vm)))
      .inSingletonScope();
    bind(VmExtension).toService(XoxVmToken);
    bind<DeviceContribution>(DeviceContribution).toConstantValue(contribution);
    bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(xicsOnXiveGuestDriverContribution);
  });
}

export const xicsOnXiveModule = createXicsOnXiveModule();
