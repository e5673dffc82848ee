/**
 * The plugin module: binds the kvm-mpic DeviceContribution (types 1 and 2 on ppc-booke,
 * KVM_CAP_IRQ_MPIC vCPU connect, KVM_CHECK_EXTENSION(KVM_CAP_IRQ_MPIC) = 1) and the two
 * guest drivers of the comparison runner ("mpic-2.0", "mpic-4.2").
 */
import {
  ContainerModule,
  DeviceContribution,
  GuestDriverContribution,
  KVM_CAP_IRQ_MPIC,
  KVM_DEV_TYPE_FSL_MPIC_20,
  KVM_DEV_TYPE_FSL_MPIC_42,
  ProfileContribution,
  type DeviceCreateContext,
} from "@irqlab/core";
import { MpicDevice } from "./device.js";
import { mpic20GuestDriver, mpic42GuestDriver } from "./guest-driver.js";
import { MPIC_PROFILES } from "./quirks.js";
import { mpicVcpuCap } from "./vcpu-connect.js";

export const mpicDeviceContribution: DeviceContribution = {
  name: "kvm-mpic",
  types: [KVM_DEV_TYPE_FSL_MPIC_20, KVM_DEV_TYPE_FSL_MPIC_42],
  arch: ["ppc-booke"],
  create: (ctx: DeviceCreateContext) => MpicDevice.create(ctx.vm, ctx.type, ctx.device),
  vcpuCaps: [mpicVcpuCap],
  extensions: { [KVM_CAP_IRQ_MPIC]: 1 },
};

export const mpicModule = new ContainerModule(({ bind }) => {
  bind<DeviceContribution>(DeviceContribution).toConstantValue(mpicDeviceContribution);
  bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(mpic20GuestDriver);
  bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(mpic42GuestDriver);
  bind<ProfileContribution>(ProfileContribution).toConstantValue(MPIC_PROFILES);
});

export default mpicModule;
