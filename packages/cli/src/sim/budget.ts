/**
 * The run-time budget: before a run starts, the work is estimated from the workload (the
 * expected number of events, which arrival rates and duration fix) and compared with the
 * wall-clock seconds the user allows (`--max-seconds`). A run estimated past the budget is
 * refused with the estimate and the way out; a run that is accepted but still going at the
 * deadline stops, and its controller is reported as failed with the reason (runner.ts).
 *
 * The estimate is deliberately pessimistic, fitted to the slowest controller on the 2-core
 * dev machine under load (cli.runner; FLIC on bench/workloads/max.json and wide-flic.json):
 * a base cost per event, a per-vCPU term (floating interrupts offered to every vCPU: FLIC's
 * refresh of every vCPU) and a per-source term (a guest handler that scans every indicator
 * of a source set: FLIC's adapter scan).
 */
import type { Workload } from "../workload/types.js";

/** Wall-clock ns per event, pessimistic (bench: cli.compare.e2e). */
export const EST_NS_PER_EVENT = 1500;
/** Extra ns per event per vCPU (floating interrupts offered to every vCPU). */
export const EST_NS_PER_EVENT_PER_VCPU = 40;
/** Extra ns per event per configured source (handlers that scan every source's indicator). */
export const EST_NS_PER_EVENT_PER_SOURCE = 1;
/** Fixed cost of one controller's VM set-up, per source (ns). */
export const EST_NS_PER_SOURCE = 20_000;
/** Default --max-seconds. */
export const DEFAULT_MAX_SECONDS = 600;

/** Expected events of a workload (device arrivals x burst, plus IPIs), as the validator counts. */
export function expectedEvents(w: Workload): number {
  const s = w.durationNs / 1e9;
  let events = w.ipis ? w.ipis.rate * s * (w.ipis.pattern === "broadcast" ? Math.max(1, w.vcpus - 1) : 1) : 0;
  for (const d of w.devices) events += d.rate * (d.kind === "msi" ? d.vectors : 1) * d.burst * s;
  return events;
}

export interface Estimate {
  readonly events: number;
  /** Wall seconds for all controllers with `jobs` running at once. */
  readonly seconds: number;
}

export function estimateRun(w: Workload, controllers: number, jobs: number): Estimate {
  const events = expectedEvents(w);
  const sources = w.devices.reduce((a, d) => a + (d.kind === "msi" ? d.vectors : 1), 0);
  const perEvent = EST_NS_PER_EVENT + EST_NS_PER_EVENT_PER_VCPU * w.vcpus + EST_NS_PER_EVENT_PER_SOURCE * sources;
  const perController = (events * perEvent + sources * EST_NS_PER_SOURCE) / 1e9;
  const rounds = Math.ceil(controllers / Math.max(1, Math.min(jobs, controllers)));
  return { events, seconds: perController * rounds };
}
