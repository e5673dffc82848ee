/**
 * A host device interrupt that can be passed through to a guest source: the "passthrough
 * device's ESB pages" of kvmppc_xive_set_mapped / clr_mapped. It has its own ESB (PQ, and
 * for a hardware LSI a line level) and its own EAS, which KVM programs while the interrupt
 * is forwarded to a vCPU (irq_set_vcpu_affinity(host_irq, state)).
 *
 *   device fires ─> ESB trigger (00->10 notify) ─> forwarded? guest EAS (VP, prio, EISN)
 *                                                 └ host-owned: the host handles and EOIs it
 *
 * What the host interrupt code does with the ESB after the interrupt is released back to it
 * is outside this model (xics-on-xive.md §10 item 29): the PQ is left as KVM left it.
 */
import { MASKED, PQ_QUEUED, PQ_PENDING, PQ_RESET } from "../constants.js";
import { ESB_NOTIFY, ESB_PQ_MASK, esbTrigger } from "../esb.js";

/** The router a forwarded interrupt notifies (the XICS-on-XIVE device that maps it). */
export interface PassthroughRouter {
  routePassthrough(esb: PassthroughEsb): void;
}

export class PassthroughEsb {
  /** PQ of the host interrupt's ESB (the host keeps it enabled: 00). */
  pq = PQ_RESET;
  /** Line level of a hardware LSI (ignored for MSIs). */
  level = false;
  /** EAS while forwarded: target server, XIVE priority (0xFF = masked), EISN. */
  easServer = 0;
  easPriority = MASKED;
  easEisn = 0;
  /** Guest source it is forwarded to (-1: owned by the host). */
  guestIrq = -1;
  /** Device that routes it while forwarded. */
  router: PassthroughRouter | null = null;
  /** Events the host handled itself while it owned the interrupt. */
  hostEvents = 0;
  /** Events forwarded to the guest router. */
  forwarded = 0;

  /**
   * @param hwIrq host hardware interrupt number (pt_number, non-zero)
   * @param lsi   whether the hardware source is level-sensitive (XIVE_IRQ_FLAG_LSI)
   */
  constructor(
    readonly hwIrq: number,
    readonly lsi = false,
  ) {
    if (!Number.isInteger(hwIrq) || hwIrq <= 0 || hwIrq > 0xffffffff) throw new RangeError(`host interrupt number ${hwIrq} (1..2^32-1)`);
  }

  get forwardedToGuest(): boolean {
    return this.router !== null;
  }

  /** The device signals (MSI write / edge). For an LSI use `setLevel`. */
  fire(): void {
    this.trigger();
  }

  /** A hardware LSI line changes; asserting triggers the ESB. */
  setLevel(level: boolean): void {
    this.level = level;
    if (level) this.trigger();
  }

  /** A store to the trigger page (ESB trigger). */
  trigger(): void {
    const r = esbTrigger(this.pq);
    this.pq = r & ESB_PQ_MASK;
    if ((r & ESB_NOTIFY) === 0) return;
    if (this.router !== null) {
      this.forwarded++;
      this.router.routePassthrough(this);
    } else {
      // The host's own handler runs and EOIs it.
      this.hostEvents++;
      this.pq = PQ_RESET;
    }
  }

  /** A SET_PQ_xx load: returns the old PQ. */
  setPq(pq: number): number {
    const old = this.pq;
    this.pq = pq & 3;
    return old;
  }

  /**
   * xive_vm_source_eoi on this interrupt: a hardware LSI gets a load-EOI (PQ 00, re-trigger
   * while the line is still asserted); an MSI gets SET_PQ_00 and a trigger-page store when
   * the returned Q was set.
   */
  sourceEoi(): void {
    if (this.lsi) {
      this.pq = PQ_RESET;
      if (this.level) this.trigger();
      return;
    }
    const old = this.setPq(PQ_RESET);
    if (old & 1) this.trigger();
  }

  /** irq_set_vcpu_affinity(host_irq, state): the host stops EOIing it; PQ 10, or 11 if P was set. */
  forwardTo(router: PassthroughRouter, guestIrq: number): void {
    this.pq = this.pq & PQ_PENDING ? PQ_QUEUED : PQ_PENDING;
    this.router = router;
    this.guestIrq = guestIrq;
  }

  /** irq_set_vcpu_affinity(host_irq, NULL): back to the host. */
  release(): void {
    this.router = null;
    this.guestIrq = -1;
    this.easPriority = MASKED;
    this.easServer = 0;
    this.easEisn = 0;
  }
}
