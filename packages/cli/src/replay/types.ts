/**
 * What a replay produces: per step, the checks a model adapter made (field, QEMU's answer,
 * the model's answer) and the verdict; per trace, the counts. A divergence row explains a
 * mismatch that is a genuine, documented difference between KVM (irqlab's reference) and
 * QEMU 7.2 (the oracle).
 */
import type { StepRecord, TraceMeta } from "./trace.js";

export interface Check {
  /** "value", "irq", "rets[0]", "ret", "outs", "icp[0].xirr", "ics[4096].priority" ... */
  readonly field: string;
  /** QEMU's answer (from the trace). */
  readonly expected: unknown;
  /** The model's answer. */
  readonly got: unknown;
}

export type Execution =
  | { readonly applicable: false; readonly reason: string }
  | { readonly applicable: true; readonly checks: Check[] };

export type Verdict = "agree" | "divergence" | "disagree" | "n/a";

export interface Mismatch extends Check {
  /** The divergence row that explains it, if any. */
  readonly divergence?: string;
}

export interface StepResult {
  readonly seq: number;
  readonly step: string;
  readonly what: string;
  readonly verdict: Verdict;
  /** Number of fields compared. */
  readonly compared: number;
  readonly mismatches: readonly Mismatch[];
  /** Why nothing was compared (n/a). */
  readonly reason?: string;
}

export interface TraceCounts {
  agree: number;
  divergence: number;
  disagree: number;
  na: number;
}

export interface TraceResult {
  readonly trace: string;
  readonly scenario: string;
  readonly machine: string;
  /** "replayed": compared step by step; "no-model": no irqlab model for this machine;
   *  "model-unavailable": there is a model but its plugin is not loaded. */
  readonly status: "replayed" | "no-model" | "model-unavailable";
  readonly model: string | null;
  readonly reason?: string;
  readonly steps: readonly StepResult[];
  readonly counts: TraceCounts;
}

/** What a divergence matcher sees. */
export interface MatchContext {
  readonly meta: TraceMeta;
  readonly rec: StepRecord;
  readonly check: Check;
  /** The model's controller id: "mpic-4.2", "mpic-2.0", "xics". */
  readonly controller: string;
  /** MPIC register accesses: the offset from the MPIC base (else null). */
  readonly offset: number | null;
  readonly access: "read" | "write" | null;
  /** Number of CPUs the trace's QEMU had. */
  readonly cpus: number;
}

export interface DivergenceRow {
  readonly id: string;
  /** "mpic" (both models), "mpic-4.2", "mpic-2.0", "xics". */
  readonly controller: string;
  /** Where the KVM behaviour is specified: spec file section / checklist item. */
  readonly spec: string;
  /** What KVM does (for rows imported from a controller package: the whole description). */
  readonly kvm: string;
  /** What QEMU 7.2 does (empty when `kvm` describes both sides). */
  readonly qemu: string;
  /** Who maintains the row: "@irqlab/cli" or "<package> QEMU_DIVERGENCES". */
  readonly source: string;
  /** True when this row explains the mismatch. */
  readonly matches: (ctx: MatchContext) => boolean;
}

/** A model for one machine type, driven record by record. */
export interface MachineAdapter {
  /** "MPIC 4.2 (KVM_DEV_TYPE_FSL_MPIC_42) at 0xfe0040000". */
  readonly model: string;
  readonly controller: string;
  execute(rec: StepRecord): Execution;
  /** Register offset and access kind of a step, for divergence matchers (MPIC). */
  access(rec: StepRecord): { offset: number | null; access: "read" | "write" | null };
  dispose(): void;
}
