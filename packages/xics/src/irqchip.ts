/**
 * The IrqChip routing injects into on book3s: irqchip 0, one pin per source number,
 * IRQCHIP routes only (a GSI simply is the source number). `setIrq(pin, level)` is
 * kvm_set_irq on book3s: it returns KVM's own values, -EINVAL (no such source) or 0 — book3s
 * implements no KVM_IRQ_LINE_STATUS semantics, so a delivered interrupt also answers 0.
 *
 * `SourceNumberIrqChip` is that shape for any book3s controller (XICS here; native XIVE and
 * XICS-on-XIVE in @irqlab/xive); what differs is the source model behind it and whether
 * its EOIs run ack notifiers ("resample").
 */
import { Errno, KVM_IRQ_ROUTING_IRQCHIP, fail, type IrqChip, type RoutingEntry } from "@irqlab/core";
import { KVMPPC_XICS_NR_IRQS } from "./constants.js";
import type { Xics } from "./xics.js";

export const XICS_IRQCHIP_INDEX = 0;

/** What a book3s source model offers the chip: kvm_set_irq for one source number. */
export interface SourceInput {
  setIrq(pin: number, level: number): number;
}

export class SourceNumberIrqChip implements IrqChip {
  readonly index = XICS_IRQCHIP_INDEX;
  readonly routeTypes: readonly number[] = [KVM_IRQ_ROUTING_IRQCHIP];

  /**
   * @param label    name in messages ("XICS", "XIVE")
   * @param caps     capabilities (`resample` only where EOIs reach the ack notifiers)
   */
  constructor(
    readonly name: string,
    readonly pins: number,
    private readonly source: SourceInput,
    private readonly label: string,
    private readonly caps: readonly string[],
  ) {}

  setIrq(pin: number, level: number, _sourceId: number): number {
    return this.source.setIrq(pin, level);
  }

  /** irqlab's general table: an IRQCHIP entry must name irqchip 0 and an existing pin number. */
  validateRoute(entry: RoutingEntry): void {
    const l = this.label;
    if (entry.type !== KVM_IRQ_ROUTING_IRQCHIP) fail(Errno.EINVAL, `${l} accepts IRQCHIP routes only (type ${entry.type})`);
    if (entry.irqchip !== XICS_IRQCHIP_INDEX) fail(Errno.EINVAL, `${l} is irqchip ${XICS_IRQCHIP_INDEX}, not ${entry.irqchip}`);
    if (!Number.isInteger(entry.pin) || entry.pin < 0 || entry.pin >= this.pins) {
      fail(Errno.EINVAL, `${l} pin ${entry.pin} (0..${this.pins - 1})`);
    }
  }

  hasCapability(cap: string): boolean {
    return this.caps.includes(cap);
  }
}

/** XICS: an LSI's EOI runs the ack notifiers (after re-presenting it, as ics_eoi does). */
export class XicsIrqChip extends SourceNumberIrqChip {
  constructor(xics: Xics) {
    super("xics", KVMPPC_XICS_NR_IRQS, xics, "XICS", ["resample", "level"]);
  }
}
