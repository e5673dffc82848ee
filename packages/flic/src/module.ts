/**
 * The FLIC plugin: one inversify ContainerModule per VM container binding
 *   - the per-VM s390 interrupt state (S390InterruptsToken, singleton per VM),
 *   - DeviceContribution "kvm-flic" (type 6, s390x; KVM_CHECK_EXTENSION answers for
 *     KVM_CAP_S390_AIS and KVM_CAP_S390_AIS_MIGRATION),
 *   - GuestDriverContribution "flic" for `irqlab compare`.
 * `createFlicModule({ ais: true })` builds a module whose VMs start with the AIS facility
 * enabled (QEMU enables KVM_CAP_S390_AIS before creating vCPUs).
 */
import {
  ContainerModule,
  DeviceContribution,
  Errno,
  fail,
  GuestDriverContribution,
  KVM_DEV_TYPE_FLIC,
  Vm,
  type DeviceCreateContext,
} from "@irqlab/core";
import { KVM_CAP_S390_AIS, KVM_CAP_S390_AIS_MIGRATION } from "./constants.js";
import { FlicDevice } from "./flic-device.js";
import { FlicIrqChip } from "./flic-irqchip.js";
import { flicGuestDriverContribution } from "./guest-driver.js";
import { S390Interrupts, S390InterruptsToken, type S390InterruptsOptions } from "./s390-interrupts.js";

export type FlicModuleOptions = S390InterruptsOptions;

/** kvm_flic_ops.create: one FLIC per VM (EINVAL on a second, even after a close). */
function createFlic(ctx: DeviceCreateContext): FlicDevice {
  const state = ctx.vm.get<S390Interrupts>(S390InterruptsToken);
  if (state.flicDevice !== null) fail(Errno.EINVAL, "a FLIC already exists in this VM (it lives until the VM is destroyed)");
  const chip = new FlicIrqChip(state);
  ctx.vm.irqchips.register(chip);
  const dev = new FlicDevice(ctx.vm, state, ctx.device, chip);
  state.flicDevice = dev;
  return dev;
}

export const flicDeviceContribution: DeviceContribution = {
  name: "kvm-flic",
  types: [KVM_DEV_TYPE_FLIC],
  arch: ["s390x"],
  create: createFlic,
  extensions: { [KVM_CAP_S390_AIS]: 1, [KVM_CAP_S390_AIS_MIGRATION]: 1 },
};

export function createFlicModule(options: FlicModuleOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<S390Interrupts>(S390InterruptsToken)
      .toDynamicValue((ctx) => new S390Interrupts(ctx.get<Vm>(Vm), options))
      .inSingletonScope();
    bind<DeviceContribution>(DeviceContribution).toConstantValue(flicDeviceContribution);
    bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(flicGuestDriverContribution);
  });
}

/** The default module: AIS facility off until KVM_CAP_S390_AIS is enabled. */
const flicModule: ContainerModule = createFlicModule();
export default flicModule;
