/**
 * XIVE trace events (typed catalogue, emitted only when `tracer.enabled`) and counters.
 */
import { traceEvents } from "@irqlab/core";

export interface XiveEvents extends Record<string, Record<string, unknown>> {
  /** A trigger reached a source's ESB (kvm_set_irq, trigger page, re-trigger). */
  "xive.esb.trigger": { irq: number; pq: number; notify: boolean };
  /** A management-page load or store changed or read a source's PQ. */
  "xive.esb.mgmt": { irq: number; offset: number; store: boolean; before: number; after: number };
  /** An event was written into an event queue. */
  "xive.router.enqueue": { irq: number; server: number; priority: number; eisn: number; index: number; toggle: number };
  /** A forwarded event was dropped (masked EAS, no vCPU, no queue page). */
  "xive.router.drop": { irq: number; reason: string };
  /** The presenter raised a vCPU's OS line. */
  "xive.tctx.signal": { server: number; priority: number };
  /** An event arrived for an undispatched vCPU: recorded in its NVT, escalation fired. */
  "xive.tctx.escalate": { server: number; priority: number };
  /** ACK_OS_REG load. */
  "xive.tctx.ack": { server: number; value: number };
  /** OS CPPR store. */
  "xive.tctx.cppr": { server: number; cppr: number };
  /** SOURCE / SOURCE_CONFIG attribute. */
  "xive.source.config": { irq: number; server: number; priority: number; eisn: number };
  /** EQ_CONFIG set. */
  "xive.eq.config": { server: number; priority: number; qaddr: number; qshift: number };
  /** CTRL RESET. */
  "xive.ctrl.reset": { sources: number };
}

export const emit = traceEvents<XiveEvents>();

export class XiveCounters {
  /** Triggers that reached a valid source's ESB. */
  triggers = 0;
  /** Triggers coalesced by the ESB (P already set: Q set or kept). */
  coalesced = 0;
  /** Triggers dropped by an ESB at 01 (off). */
  off = 0;
  /** Events forwarded to the router (ESB notify). */
  forwarded = 0;
  /** Events written into an event queue. */
  enqueued = 0;
  /** Forwarded events dropped (masked EAS, no vCPU, no queue page). */
  dropped = 0;
  /** Times a vCPU's OS line was raised by the presenter. */
  signals = 0;
  /** Events for undispatched vCPUs (escalations). */
  escalations = 0;
  /** ACK_OS_REG loads that acknowledged a priority. */
  acks = 0;
  /** ACK_OS_REG loads with nothing signalled. */
  spuriousAcks = 0;
  /** ESB EOIs (load-EOI, SET_PQ_00 on a pending source). */
  eois = 0;
  /** Invalid guest accesses (all-ones loads, ignored stores). */
  guestErrors = 0;

  snapshot(): Record<string, number> {
    return { ...this } as unknown as Record<string, number>;
  }
}
