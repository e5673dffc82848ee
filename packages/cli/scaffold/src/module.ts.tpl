/**
 * The plugin: one inversify ContainerModule (the package's default export, listed in
 * package.json "irqlabPlugin") that contributes the kvm-toy8 device and its guest driver.
 */
import { ContainerModule, DeviceContribution, GuestDriverContribution } from "@irqlab/core";
import { KVM_DEV_TYPE_TOY8 } from "./constants.js";
import { Toy8Device } from "./device.js";
import { toy8GuestDriverContribution } from "./guest-driver.js";

export const toy8DeviceContribution: DeviceContribution = {
  name: "kvm-toy8",
  types: [KVM_DEV_TYPE_TOY8],
  arch: ["__ARCH__"],
  create: (ctx) => Toy8Device.create(ctx.vm, ctx.device),
  // vcpuCaps: KVM_ENABLE_CAP handlers (toy8 attaches every vCPU at create instead).
  // extensions: KVM_CHECK_EXTENSION answers, e.g. { [KVM_CAP_IRQ_TOY8]: 1 }.
};

export const toy8Module = new ContainerModule(({ bind }) => {
  bind<DeviceContribution>(DeviceContribution).toConstantValue(toy8DeviceContribution);
  bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(toy8GuestDriverContribution);
});

export default toy8Module;
