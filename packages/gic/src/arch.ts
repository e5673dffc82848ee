/**
 * arm64's routing behaviour (spec §8), contributed to @irqlab/routing: KVM_IRQ_LINE's
 * type/vCPU/id encoding goes straight to the vGIC (never through routes), irqfds need an
 * initialised vGIC (EAGAIN), an irqfd signal is one level-1 assert (arm64's inatomic path),
 * IRQCHIP pins < 988, and the arm64 capabilities.
 */
import {
  Errno,
  fail,
  KVM_CAP_IRQCHIP,
  KVM_CAP_IRQFD_RESAMPLE,
  type Vm,
} from "@irqlab/core";
import { genericArchProfile, KVM_CAP_MSI_DEVID, type ArchProfile, type ArchRoutingContribution } from "@irqlab/routing";
import { IRQCHIP_PINS, KVM_CAP_ARM_IRQ_LINE_LAYOUT_2 } from "./constants.js";
import { gicOf } from "./gic-device.js";

export function arm64Profile(strict: boolean): ArchProfile {
  const g = genericArchProfile("arm64", strict);
  return {
    ...g,
    atomicAssert: true,
    irqchipPins: IRQCHIP_PINS,
    extensions: {
      ...g.extensions,
      [KVM_CAP_IRQCHIP]: 1,
      [KVM_CAP_IRQFD_RESAMPLE]: 1,
      [KVM_CAP_MSI_DEVID]: 0,
      [KVM_CAP_ARM_IRQ_LINE_LAYOUT_2]: 1,
    },
    decodeIrqLine: (vm: Vm, irq: number, level: number): number => {
      const gic = gicOf(vm);
      if (gic === undefined) fail(Errno.ENXIO, "KVM_IRQ_LINE: no in-kernel GIC");
      return gic.irqLine(irq, level);
    },
    intcInitialized: (vm: Vm): boolean => gicOf(vm)?.st.initialized === true,
  };
}

export const arm64RoutingContribution: ArchRoutingContribution = {
  arch: "arm64",
  profile: arm64Profile,
};
