/**
 * The plugin: `createXiveModule(options)` returns an inversify ContainerModule contributing
 * the native XIVE device (type 9, ppc64, KVM_CAP_PPC_IRQ_XIVE), the Linux-like guest driver
 * and the per-VM XIVE context (kvm->arch.xive, ONE_REG KVM_REG_PPC_VP_STATE on every vCPU).
 */
import { ContainerModule, DeviceContribution, GuestDriverContribution, ProfileContribution, Vm, VmExtension } from "@irqlab/core";
import { xiveDeviceContribution } from "./device.js";
import { xiveGuestDriverContribution } from "./guest-driver.js";
import { XIVE_PROFILES } from "./quirks.js";
import type { XiveOptions } from "./xive.js";
import { XiveVm, XiveVmToken } from "./xive-vm.js";

export interface XiveModuleOptions {
  /** Whether the host has XIVE (default true). Without it the device type is not registered, and
   *  KVM_CAP_PPC_IRQ_XIVE and VP_STATE answer ENXIO. */
  hostXive?: boolean;
  /** kvm->arch.emul_smt_mode (default 1). */
  emulSmtMode?: 1 | 2 | 4 | 8;
  /** Host single-escalation support (default true, as on POWER9/10). */
  singleEscalation?: boolean;
}

export function createXiveModule(opts: XiveModuleOptions = {}): ContainerModule {
  const options: XiveOptions = {
    hostXive: opts.hostXive ?? true,
    emulSmtMode: opts.emulSmtMode ?? 1,
    singleEscalation: opts.singleEscalation ?? true,
  };
  const contribution = xiveDeviceContribution(options);
  return new ContainerModule(({ bind }) => {
    bind(XiveVmToken)
      .toDynamicValue((ctx) => new XiveVm(ctx.get(Vm), options))
      .inSingletonScope();
    bind(VmExtension).toService(XiveVmToken);
    bind<DeviceContribution>(DeviceContribution).toConstantValue(contribution);
    bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(xiveGuestDriverContribution);
    bind<ProfileContribution>(ProfileContribution).toConstantValue(XIVE_PROFILES);
  });
}

export const xiveModule = createXiveModule();
