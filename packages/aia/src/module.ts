/**
 * The plugin modules. `aiaModule` (default export): an emulation-only host (nr_hgei 0, the
 * checklist's host) with the "AIA EMUL" guest driver. `aiaHwaccelModule`: a host with
 * hardware guest interrupt files (MODE HWACCEL/AUTO selectable) and the "AIA HWACCEL" driver.
 * `createAiaModule(options)` builds either with any host.
 */
import {
  ContainerModule,
  DeviceContribution,
  GuestDriverContribution,
  KVM_CAP_IRQCHIP,
  KVM_DEV_TYPE_RISCV_AIA,
  VmContribution,
} from "@irqlab/core";
import { ArchRoutingContribution } from "@irqlab/routing";
import { checkHost, EMULATION_ONLY_HOST, type AiaHost } from "./config.js";
import { AiaDevice } from "./device.js";
import { aiaEmulGuestDriver, aiaHwaccelGuestDriver } from "./guest-driver.js";
import { aiaRoutingContribution } from "./routing-profile.js";
import { attachAiaVm } from "./vm-state.js";

export interface AiaModuleOptions {
  /** The host's AIA capability (default: emulation only). */
  host?: Partial<AiaHost>;
  /** Guest drivers to contribute (default: EMUL on an emulation-only host, else HWACCEL). */
  drivers?: ReadonlyArray<"emul" | "hwaccel">;
}

export function createAiaModule(options: AiaModuleOptions = {}): ContainerModule {
  const host = checkHost(options.host ?? EMULATION_ONLY_HOST);
  const drivers = options.drivers ?? (host.nrHgei > 0 ? ["hwaccel"] : ["emul"]);
  const device: DeviceContribution = {
    name: "kvm-riscv-aia",
    types: [KVM_DEV_TYPE_RISCV_AIA],
    arch: ["riscv64"],
    create: (ctx) => AiaDevice.create(ctx.vm, ctx.device),
    extensions: { [KVM_CAP_IRQCHIP]: 1 },
  };
  const vmPart: VmContribution = {
    name: "riscv-aia-vcpus",
    arch: ["riscv64"],
    attach: (vm) => void attachAiaVm(vm, host),
  };
  return new ContainerModule(({ bind }) => {
    bind<DeviceContribution>(DeviceContribution).toConstantValue(device);
    bind<VmContribution>(VmContribution).toConstantValue(vmPart);
    bind<ArchRoutingContribution>(ArchRoutingContribution).toConstantValue(aiaRoutingContribution);
    if (drivers.includes("emul")) bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(aiaEmulGuestDriver);
    if (drivers.includes("hwaccel")) bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(aiaHwaccelGuestDriver);
  });
}

export const aiaModule = createAiaModule();
/** A host with 7 guest interrupt files per hart (MODE HWACCEL/AUTO), "AIA HWACCEL" driver. */
export const aiaHwaccelModule = createAiaModule({ host: { nrHgei: 7, maxIds: 2048 }, drivers: ["hwaccel"] });
export default aiaModule;
