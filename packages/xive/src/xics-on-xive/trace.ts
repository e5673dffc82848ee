/**
 * XICS-on-XIVE trace events (typed catalogue, emitted only when `tracer.enabled`) and counters.
 */
import { traceEvents } from "@irqlab/core";

export interface XoxEvents extends Record<string, Record<string, unknown>> {
  /** A trigger reached the selected ESB of a source (kvm_set_irq, re-trigger, restore). */
  "xox.esb.trigger": { irq: number; pt: boolean; pq: number; notify: boolean };
  /** An event was written into a VP queue (or, without a page, only signalled). */
  "xox.router.enqueue": { server: number; priority: number; eisn: number; queued: boolean };
  /** A forwarded event was dropped (masked EAS, no vCPU). */
  "xox.router.drop": { eisn: number; reason: string };
  /** H_XIRR / H_XIRR_X result. */
  "xox.icp.xirr": { server: number; xirr: number };
  /** H_EOI. */
  "xox.icp.eoi": { server: number; xirr: number; rc: number };
  /** H_CPPR (mapped value). */
  "xox.icp.cppr": { server: number; cppr: number };
  /** H_IPI. */
  "xox.icp.ipi": { server: number; target: number; mfrr: number; triggered: boolean };
  /** lock_and_mask / finish_unmask. */
  "xox.source.mask": { irq: number; oldPriority: number; oldP: boolean; oldQ: boolean };
  "xox.source.unmask": { irq: number; priority: number };
  /** A source was (re)targeted: act_server, act_priority. */
  "xox.source.target": { irq: number; server: number; priority: number };
  /** An entry of a rerouted source was replaced by XICS_DUMMY and re-fired. */
  "xox.source.reroute": { irq: number; server: number; priority: number };
  /** set_mapped / clr_mapped. */
  "xox.passthrough": { irq: number; hwIrq: number; mapped: boolean };
}

export const emit = traceEvents<XoxEvents>();

export class XoxCounters {
  /** Triggers that reached a source's selected ESB. */
  triggers = 0;
  /** Triggers absorbed by the ESB (P set, or off). */
  coalesced = 0;
  /** Events forwarded by an ESB to the router. */
  forwarded = 0;
  /** Entries written into queues. */
  enqueued = 0;
  /** Forwarded events dropped (masked EAS, no vCPU). */
  dropped = 0;
  /** Times a vCPU's line was raised. */
  signals = 0;
  /** H_XIRR/H_XIRR_X calls, and those that found nothing. */
  xirr = 0;
  spurious = 0;
  /** H_EOI calls. */
  eois = 0;
  /** MFRR IPIs triggered by H_IPI / ONE_REG. */
  ipis = 0;
  /** Entries replaced by XICS_DUMMY by scan_for_rerouted_irqs. */
  rerouted = 0;
  /** kvm_set_irq refused (-EINVAL). */
  rejected = 0;
  /** Guest errors (RTAS failures). */
  guestErrors = 0;

  snapshot(): Record<string, number> {
    return { ...this } as unknown as Record<string, number>;
  }
}
