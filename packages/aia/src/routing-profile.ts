/**
 * What routing does on riscv64 with this plugin (arch/riscv/kvm/vm.c; spec §7):
 *
 *   KVM_IRQ_LINE(irq, level) ──> APLIC source irq directly (no table); ENXIO / EBUSY / ENODEV
 *   KVM_SET_GSI_ROUTING       ──> EINVAL until the device exists (kvm_arch_can_set_irq_routing)
 *   irqfd signal              ──> kvm_arch_set_irq_inatomic: one level-1 injection, never a
 *                                 de-assert (a riscv GSI has at most one route)
 *   KVM_CHECK_EXTENSION       ──> IRQFD_RESAMPLE 0, IRQ_INJECT_STATUS 0 (riscv reports neither)
 */
import { Errno, KVM_CAP_IRQFD_RESAMPLE, KVM_CAP_IRQ_INJECT_STATUS, fail, type Vm } from "@irqlab/core";
import { genericArchProfile, type ArchProfile, type ArchRoutingContribution } from "@irqlab/routing";
import { aiaDeviceOf } from "./device.js";

/** kvm_vm_ioctl_irq_line + kvm_riscv_aia_inject_irq: errors are the ioctl's; status echoes irq. */
export function aiaIrqLine(vm: Vm, irq: number, level: number): number {
  const d = aiaDeviceOf(vm);
  if (d === null) fail(Errno.ENXIO, "KVM_IRQ_LINE: no in-kernel AIA in this riscv64 VM");
  if (!d.initialized) fail(Errno.EBUSY, "KVM_IRQ_LINE: the AIA is not initialized (CTRL_INIT)");
  if (d.aplic === null) fail(Errno.ENODEV, "KVM_IRQ_LINE: the AIA has no APLIC (SRCS 0)");
  const r = d.aplic.inject(irq, level);
  if (r < 0) fail(-r, `KVM_IRQ_LINE: APLIC source ${irq} does not exist (1..${d.aplic.nrSources})`);
  // KVM_IRQ_LINE_STATUS copies the struct back unchanged: `status` (a union with irq) = irq.
  return irq;
}

export function aiaArchProfile(strict: boolean): ArchProfile {
  const g = genericArchProfile("riscv64", strict);
  return {
    ...g,
    // riscv does not override kvm_arch_irqfd_allowed / kvm_arch_intc_initialized: irqfds may be
    // assigned before the device exists; KVM_IRQ_LINE's ENXIO comes from aiaIrqLine.
    needsIrqchip: false,
    // kvm_arch_can_set_irq_routing(): riscv refuses KVM_SET_GSI_ROUTING until the AIA exists.
    routingAllowed: (vm: Vm) => {
      if (vm.irqchips.size === 0) fail(Errno.EINVAL, "KVM_SET_GSI_ROUTING: no in-kernel interrupt controller in this riscv64 VM yet");
    },
    atomicAssert: true,
    nrIrqchips: 1,
    irqchipPins: 1024,
    extensions: { ...g.extensions, [KVM_CAP_IRQFD_RESAMPLE]: 0, [KVM_CAP_IRQ_INJECT_STATUS]: 0 },
    decodeIrqLine: aiaIrqLine,
  };
}

export const aiaRoutingContribution: ArchRoutingContribution = { arch: "riscv64", profile: aiaArchProfile };
