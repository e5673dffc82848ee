/**
 * The IrqChip routing injects into: irqchip 0, one pin per XICS source number (2^20 pins),
 * IRQCHIP routes only. `setIrq(pin, level)` is kvm_set_irq on book3s (kvmppc_xics_set_irq):
 * it returns KVM's own values, -EINVAL (no such source) or 0 — book3s implements no
 * KVM_IRQ_LINE_STATUS semantics, so a delivered interrupt also answers 0.
 */
import { Errno, KVM_IRQ_ROUTING_IRQCHIP, fail, type IrqChip, type RoutingEntry } from "@irqlab/core";
import { KVMPPC_XICS_NR_IRQS } from "./constants.js";
import type { Xics } from "./xics.js";

export const XICS_IRQCHIP_INDEX = 0;

export class XicsIrqChip implements IrqChip {
  readonly name = "xics";
  readonly index = XICS_IRQCHIP_INDEX;
  readonly pins = KVMPPC_XICS_NR_IRQS;
  readonly routeTypes: readonly number[] = [KVM_IRQ_ROUTING_IRQCHIP];

  constructor(private readonly xics: Xics) {}

  setIrq(pin: number, level: number, _sourceId: number): number {
    return this.xics.setIrq(pin, level);
  }

  /**
   * book3s has no KVM_SET_GSI_ROUTING of its own (a GSI simply is the source number); for
   * irqlab's general table an IRQCHIP entry must name irqchip 0 and a pin below 2^20.
   */
  validateRoute(entry: RoutingEntry): void {
    if (entry.type !== KVM_IRQ_ROUTING_IRQCHIP) fail(Errno.EINVAL, `XICS accepts IRQCHIP routes only (type ${entry.type})`);
    if (entry.irqchip !== XICS_IRQCHIP_INDEX) fail(Errno.EINVAL, `XICS is irqchip ${XICS_IRQCHIP_INDEX}, not ${entry.irqchip}`);
    if (!Number.isInteger(entry.pin) || entry.pin < 0 || entry.pin >= KVMPPC_XICS_NR_IRQS) {
      fail(Errno.EINVAL, `XICS pin ${entry.pin} (0..${KVMPPC_XICS_NR_IRQS - 1})`);
    }
  }

  hasCapability(cap: string): boolean {
    return cap === "resample" || cap === "level";
  }
}
