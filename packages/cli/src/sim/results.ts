/**
 * What a comparison run reports per controller (the JSON `irqlab compare --json` prints):
 * feature status, event accounting, exits, latency, and the wall-clock host figures.
 */
import type { GuestDriverContribution } from "@irqlab/core";
import type { WorkloadPlan } from "../workload/plan.js";
import type { Workload } from "../workload/types.js";
import { countsJson, summarize, type CountsJson, type InterruptClass, type LatencySummary } from "./metrics.js";

export type FeatureStatus = "ok" | "none" | `n/a: ${string}`;

export interface ExitTotals {
  readonly hcalls: number;
  readonly rtasCalls: number;
  readonly intercepts: number;
  readonly mmioReads: number;
  readonly mmioWrites: number;
  readonly pioReads: number;
  readonly pioWrites: number;
  readonly sysregTraps: number;
  readonly directAccesses: number;
  /** Guest exits: hcalls + RTAS + intercepts + MMIO + port I/O + trapped system registers. */
  readonly exits: number;
}

export interface PerInterrupt {
  readonly exits: number | null;
  readonly hcalls: number | null;
  readonly mmio: number | null;
  readonly rtas: number | null;
  readonly intercepts: number | null;
  /** Trapped I/O-port accesses. */
  readonly pio: number | null;
  /** Trapped system-register / CSR accesses. */
  readonly sysreg: number | null;
  readonly direct: number | null;
}

export interface ClassResult {
  readonly counts: CountsJson;
  readonly latencyNs: LatencySummary;
}

export interface ControllerResult {
  readonly id: string;
  readonly label: string;
  readonly arch: string;
  readonly status: "ok" | "failed";
  readonly error?: string;
  readonly features: Readonly<Record<InterruptClass, FeatureStatus>>;
  readonly notes: readonly string[];
  readonly counts: CountsJson;
  /** Handler invocations (delivered + redundant). */
  readonly handled: number;
  /** Interrupt entries where the driver found nothing to handle. */
  readonly spuriousEntries: number;
  readonly byClass: Readonly<Record<InterruptClass, ClassResult | null>>;
  readonly exits: ExitTotals;
  /** Per handled interrupt. */
  readonly perInterrupt: PerInterrupt;
  readonly latencyNs: LatencySummary;
  /** [percent, ns] points of the latency distribution. */
  readonly latencyCdf: readonly [number, number][];
  /** Whether the run drained to a quiescent state. */
  readonly quiescent: boolean;
  readonly simulatedNs: number;
  /** Wall-clock figures (the only ones): omitted from deterministic output. */
  host?: { readonly wallMs: number; readonly interruptsPerSecond: number };
}

export const NO_EXITS: ExitTotals = { hcalls: 0, rtasCalls: 0, intercepts: 0, mmioReads: 0, mmioWrites: 0, pioReads: 0, pioWrites: 0, sysregTraps: 0, directAccesses: 0, exits: 0 };

/** The one-line reason of an error (KvmError messages carry their errno name). */
export function reason(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}

/** What `failed` results carry: everything zero, the error said once. */
export function failedResult(c: GuestDriverContribution, error: string, plan: WorkloadPlan, w: Workload): ControllerResult {
  const counts = countsJson({ raised: 0, delivered: 0, coalesced: 0, redundant: 0, lost: 0, pending: 0 });
  const na = `n/a: ${error}` as const;
  return {
    id: c.id,
    label: c.label,
    arch: c.arch,
    status: "failed",
    error,
    features: {
      msi: plan.sources.some((s) => s.kind === "msi") ? na : "none",
      intx: plan.sources.some((s) => s.kind === "intx") ? na : "none",
      ipi: w.ipis ? na : "none",
    },
    notes: [],
    counts,
    handled: 0,
    spuriousEntries: 0,
    byClass: { msi: null, intx: null, ipi: null },
    exits: NO_EXITS,
    perInterrupt: { exits: null, hcalls: null, mmio: null, rtas: null, intercepts: null, pio: null, sysreg: null, direct: null },
    latencyNs: summarize(new Float64Array(0)),
    latencyCdf: [],
    quiescent: false,
    simulatedNs: 0,
  };
}

