/**
 * XICS trace events (typed catalogue, emitted only when `tracer.enabled`) and counters.
 */
import { traceEvents } from "@irqlab/core";

export interface XicsEvents extends Record<string, Record<string, unknown>> {
  /** A device input changed a source's P/Q (kvm_set_irq). */
  "xics.ics.trigger": { irq: number; level: number; pq: number };
  /** An interrupt was placed in an ICP's XISR. */
  "xics.icp.present": { server: number; irq: number; priority: number };
  /** An ICP refused an interrupt: the source is marked for resend. */
  "xics.icp.refuse": { server: number; irq: number; priority: number };
  /** A presented interrupt was displaced (by a more favoured one, an IPI or H_CPPR). */
  "xics.icp.reject": { server: number; irq: number };
  /** A resend scan ran on an ICP. */
  "xics.icp.resend": { server: number };
  /** H_XIRR / H_XIRR_X accepted (xirr 0 in the XISR field = nothing pending). */
  "xics.icp.accept": { server: number; xirr: number };
  /** H_EOI. */
  "xics.icp.eoi": { server: number; xirr: number };
  /** H_IPI set an MFRR. */
  "xics.icp.ipi": { server: number; mfrr: number };
  /** A delivery attempt while masked (masked_pending set). */
  "xics.ics.masked-pending": { irq: number };
  /** A delivery to a server with no ICP was dropped. */
  "xics.ics.drop": { irq: number; server: number };
}

export const emit = traceEvents<XicsEvents>();

/** What the model counts (numeric fields: incrementing one costs nothing). */
export class XicsCounters {
  /** Device inputs that reached an existing source (kvm_set_irq returning 0). */
  triggers = 0;
  /** Triggers that found the source already in flight (MSI Q set, LSI already P). */
  coalesced = 0;
  /** Source interrupts placed in an XISR (IPIs are counted by `ipis`). */
  presented = 0;
  /** Presented interrupts displaced and re-delivered. */
  rejected = 0;
  /** Deliveries an ICP refused (source marked for resend). */
  refused = 0;
  /** Resend scans. */
  resendScans = 0;
  /** Deliveries made by resend scans. */
  resent = 0;
  /** Sources the resend scans visited (the scans' work: one per source marked resend). */
  resendVisits = 0;
  /** Deliveries attempted while masked. */
  maskedPending = 0;
  /** Deliveries dropped because the server has no ICP. */
  dropped = 0;
  /** H_XIRR/H_XIRR_X calls that returned an interrupt. */
  accepts = 0;
  /** H_XIRR/H_XIRR_X calls that found nothing. */
  spuriousAccepts = 0;
  /** H_EOI calls. */
  eois = 0;
  /** Ack notifications sent (EOIs of non-IPI sources in existing blocks). */
  acks = 0;
  /** H_IPI calls that set an MFRR. */
  ipis = 0;
  /** Guest errors (H_PARAMETER answers, RTAS parameter errors). */
  guestErrors = 0;

  snapshot(): Record<string, number> {
    return { ...this } as unknown as Record<string, number>;
  }
}
