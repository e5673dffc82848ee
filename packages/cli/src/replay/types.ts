/**
 * What a replay produces: per step, the checks a model adapter made (field, QEMU's answer,
 * the model's answer) and the verdict; per trace, the counts. The model runs in a behaviour
 * profile (core's profile.ts: "qemu-7.2" for QEMU traces), so every check must agree;
 * `--explain` names the quirks that account for the steps where KVM itself would differ.
 */
import type { StepRecord } from "./trace.js";

export interface Check {
  /** "value", "irq", "rets[0]", "ret", "outs", "icp[0].xirr", "ics[4096].priority" ... */
  readonly field: string;
  /** QEMU's answer (from the trace). */
  readonly expected: unknown;
  /** The model's answer. */
  readonly got: unknown;
}

export type Execution =
  | { readonly applicable: false; readonly reason: string; readonly unmodelled?: boolean }
  | { readonly applicable: true; readonly checks: Check[] };

export type Verdict = "agree" | "disagree" | "n/a";

export type Mismatch = Check;

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
  /** --explain: in the kvm profile this step differs from the trace; these quirks account for it. */
  readonly kvmDiffers?: boolean;
  readonly quirks?: readonly string[];
}

export interface TraceCounts {
  agree: number;
  disagree: number;
  na: number;
}

export interface TraceResult {
  readonly trace: string;
  readonly scenario: string;
  readonly machine: string;
  /** "replayed": compared step by step; "no-model": no irqlab model for this machine;
   *  "model-unavailable": there is a model but its plugin is not loaded;
   *  "invalid": the trace could not be read or set up (reason says where). */
  readonly status: "replayed" | "no-model" | "model-unavailable" | "invalid";
  readonly model: string | null;
  /** The behaviour profile the model ran in. */
  readonly profile?: string;
  readonly reason?: string;
  readonly steps: readonly StepResult[];
  readonly counts: TraceCounts;
  /** Controller accesses (register accesses, inputs, calls) the adapter does not model. */
  readonly unmodelled?: number;
  readonly accesses?: number;
  /** Why the trace fails although no step disagrees (too many unmodelled accesses). */
  readonly failure?: string;
}

/** A model for one machine type, driven record by record. */
export interface MachineAdapter {
  /** "MPIC 4.2 (KVM_DEV_TYPE_FSL_MPIC_42) at 0xfe0040000". */
  readonly model: string;
  readonly controller: string;
  execute(rec: StepRecord): Execution;
  dispose(): void;
}
