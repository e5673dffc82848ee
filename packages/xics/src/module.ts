/**
 * The plugin: one inversify ContainerModule that contributes the XICS device (type 3,
 * ppc64, KVM_CAP_IRQ_XICS), the Linux-like guest driver, and the per-VM XICS context
 * (ONE_REG KVM_REG_PPC_ICP_STATE on every vCPU, RTAS tokens).
 */
import { ContainerModule, DeviceContribution, GuestDriverContribution, ProfileContribution, Vm, VmExtension } from "@irqlab/core";
import { xicsDeviceContribution } from "./device.js";
import { xicsGuestDriverContribution } from "./guest-driver.js";
import { XICS_PROFILES } from "./quirks.js";
import { XicsVm, XicsVmToken } from "./xics-vm.js";

export const xicsModule = new ContainerModule(({ bind }) => {
  bind(XicsVmToken)
    .toDynamicValue((ctx) => new XicsVm(ctx.get(Vm)))
    .inSingletonScope();
  bind(VmExtension).toService(XicsVmToken);
  bind<DeviceContribution>(DeviceContribution).toConstantValue(xicsDeviceContribution);
  bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(xicsGuestDriverContribution);
  bind<ProfileContribution>(ProfileContribution).toConstantValue(XICS_PROFILES);
});

export default xicsModule;
