/**
 * The plugin module: the GICv3 and ITS DeviceContributions (types 7 and 8 on arm64), arm64's
 * routing profile and the two guest drivers of the comparison runner ("gicv3": direct CPU
 * interface, "gicv3-trapped": KVM's trapped software path).
 */
import {
  ContainerModule,
  DeviceContribution,
  GuestDriverContribution,
  KVM_DEV_TYPE_ARM_VGIC_ITS,
  KVM_DEV_TYPE_ARM_VGIC_V3,
  type DeviceCreateContext,
} from "@irqlab/core";
import { ArchRoutingContribution } from "@irqlab/routing";
import { arm64RoutingContribution } from "./arch.js";
import { KVM_CAP_MAX_VCPUS, MAX_VCPUS } from "./constants.js";
import { GicV3Device } from "./gic-device.js";
import { gicGuestDriver, gicTrappedGuestDriver } from "./guest-driver.js";
import { ItsDeviceBackend } from "./its-device.js";
import { GIC_PROFILES, KVM_QUIRKS, type GicQuirks } from "./quirks.js";

/** The GICv3 contribution whose devices follow `quirks` (a profile of GIC_PROFILES). */
export function gicV3ContributionWith(quirks: GicQuirks): DeviceContribution {
  return {
    name: "kvm-arm-vgic-v3",
    types: [KVM_DEV_TYPE_ARM_VGIC_V3],
    arch: ["arm64"],
    create: (ctx: DeviceCreateContext) => {
      const d = new GicV3Device(ctx.vm, { quirks });
      ctx.vm.provideExtension(KVM_CAP_MAX_VCPUS, MAX_VCPUS);
      return d;
    },
  };
}

export const gicV3Contribution: DeviceContribution = gicV3ContributionWith(KVM_QUIRKS);

export const itsContribution: DeviceContribution = {
  name: "kvm-arm-vgic-its",
  types: [KVM_DEV_TYPE_ARM_VGIC_ITS],
  arch: ["arm64"],
  create: (ctx: DeviceCreateContext) => new ItsDeviceBackend(ctx.vm),
};

/**
 * The plugin module for a behaviour profile: "kvm" (the default export), "qemu-7.2" (what a
 * replay of QEMU traces runs in) or a custom set of quirk switches. Unknown names: RangeError.
 */
export function gicModuleFor(profile: string | GicQuirks): ContainerModule {
  const quirks = typeof profile === "string" ? GIC_PROFILES[profile] : profile;
  if (quirks === undefined) throw new RangeError(`unknown GIC profile ${String(profile)} (${Object.keys(GIC_PROFILES).join(", ")})`);
  return new ContainerModule(({ bind }) => bindAll(bind, quirks === KVM_QUIRKS ? gicV3Contribution : gicV3ContributionWith(quirks)));
}

type Bind = Parameters<ConstructorParameters<typeof ContainerModule>[0]>[0]["bind"];

function bindAll(bind: Bind, gic: DeviceContribution): void {
  bind<DeviceContribution>(DeviceContribution).toConstantValue(gic);
  bind<DeviceContribution>(DeviceContribution).toConstantValue(itsContribution);
  bind<ArchRoutingContribution>(ArchRoutingContribution).toConstantValue(arm64RoutingContribution);
  bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(gicGuestDriver);
  bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(gicTrappedGuestDriver);
}

export const gicModule = new ContainerModule(({ bind }) => bindAll(bind, gicV3Contribution));

export default gicModule;
