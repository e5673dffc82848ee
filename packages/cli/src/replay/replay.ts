/**
 * `irqlab replay` as functions: picks the model for a trace's machine, runs it in the
 * trace's behaviour profile (QEMU traces: "qemu-7.2"; `--profile` overrides), drives it
 * record by record and judges every step: agree, disagree, or n/a (nothing comparable, e.g.
 * a QMP query or a QEMU crash). No verdict depends on a record number or a trace name: a
 * KVM-vs-QEMU difference is a quirk of the model (core profile.ts), switched on by the
 * profile, and `--explain` finds, by toggling quirks, which of them account for each step
 * where the `kvm` profile would differ.
 *
 *   machine               model                              inputs
 *   ppce500               MPIC 4.2 at 0xFE0040000            qtest readl/writel, set_irq_in
 *   mpc8544ds             MPIC 2.0 at 0xE0040000             qtest readl/writel, set_irq_in
 *   pseries,ic-mode=xics  XICS                               rtas, guest hcalls, system_powerdown
 *   pseries,ic-mode=xive  XIVE native                        ESB readq/writeq, TIMA ld/st, hcalls
 *   powernv9              (none maps: every access counted unmodelled, so the trace fails)
 *   anything else         none ("no model for this machine")
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { KVM_PROFILE, KvmError, profileCatalogue, type ProfileCatalogue, type ProfileOption } from "@irqlab/core";
import { CliError } from "../errors.js";
import type { PluginSet } from "../plugins.js";
import { MPIC_MACHINES, createMpicAdapter } from "./mpic-adapter.js";
import { readTrace, stepSummary, traceCpus, type Trace } from "./trace.js";
import type { Check, MachineAdapter, Mismatch, StepResult, TraceCounts, TraceResult, Verdict } from "./types.js";
import { createXicsAdapter } from "./xics-adapter.js";
import { createXiveAdapter } from "./xive-adapter.js";

/** The profile of a QEMU oracle trace (every trace the oracle driver writes is QEMU 7.2). */
export const QEMU_PROFILE = "qemu-7.2";

/** Above this share of unmodelled controller accesses a trace fails. */
export const MAX_UNMODELLED_SHARE = 0.05;

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

type AdapterChoice = { adapter: MachineAdapter } | { status: "no-model" | "model-unavailable"; reason: string; model: string | null };

/** The model for a trace's machine, in `profile`. */
export function adapterFor(trace: Trace, plugins: PluginSet, profile?: ProfileOption): AdapterChoice {
  const [board, ...props] = trace.meta.machine.split(",");
  const cpus = traceCpus(trace.meta);
  const mpic = MPIC_MACHINES.find((m) => m.machine === board);
  if (mpic) {
    const a = createMpicAdapter(mpic, cpus, plugins, profile);
    return typeof a === "string" ? { status: "model-unavailable", reason: a, model: mpic.label } : { adapter: a };
  }
  if (board === "pseries") {
    const mode = props.find((p) => p.startsWith("ic-mode="))?.slice("ic-mode=".length) ?? "dual";
    if (mode === "xive") {
      const a = createXiveAdapter(trace, cpus, plugins, profile, false);
      return typeof a === "string" ? { status: "model-unavailable", reason: a, model: "XIVE" } : { adapter: a };
    }
    if (mode !== "xics") return { status: "no-model", reason: `no model for this machine (pseries interrupt mode ${mode}: give ic-mode=xics or xive)`, model: null };
    const a = createXicsAdapter(trace, cpus, plugins, profile);
    return typeof a === "string" ? { status: "model-unavailable", reason: a, model: "XICS" } : { adapter: a };
  }
  if (board === "powernv9") {
    // A PowerNV machine: replayed on the XIVE model only to count, loudly, what does not map.
    const a = createXiveAdapter(trace, cpus, plugins, profile, true);
    return typeof a === "string" ? { status: "model-unavailable", reason: a, model: "XIVE" } : { adapter: a };
  }
  return { status: "no-model", reason: `no model for this machine (${trace.meta.machine})`, model: null };
}

export function judge(checks: readonly Check[]): { verdict: Verdict; mismatches: Mismatch[] } {
  const mismatches = checks.filter((c) => !deepEqual(c.expected, c.got));
  return { verdict: mismatches.length === 0 ? "agree" : "disagree", mismatches };
}

function emptyCounts(): TraceCounts {
  return { agree: 0, disagree: 0, na: 0 };
}

export interface ReplayOptions {
  /** The profile to run in: a name or an explicit quirk set (default: the trace's, "qemu-7.2"). */
  readonly profile?: ProfileOption;
  /** Also run `kvm` and name the quirks behind each step where it differs. */
  readonly explain?: boolean;
}

/** The profile a trace was recorded in. */
export function traceProfile(trace: Trace): string {
  const p = trace.meta.profile;
  return typeof p === "string" ? p : QEMU_PROFILE;
}

interface RawRun {
  readonly steps: StepResult[];
  readonly counts: TraceCounts;
  readonly model: string;
  readonly controller: string;
  readonly unmodelled: number;
  readonly accesses: number;
}

type RunOutcome = RawRun | Exclude<AdapterChoice, { adapter: MachineAdapter }>;

/** Drives a fresh model through every record; a throwing model step is a disagreement. */
function runOnce(trace: Trace, plugins: PluginSet, profile: ProfileOption): RunOutcome {
  const choice = adapterFor(trace, plugins, profile);
  if (!("adapter" in choice)) return choice;
  const adapter = choice.adapter;
  const counts = emptyCounts();
  const steps: StepResult[] = [];
  let unmodelled = 0;
  let accesses = 0;
  try {
    for (const rec of trace.steps) {
      const what = stepSummary(rec);
      const step = rec.step ?? "";
      let exec;
      try {
        exec = adapter.execute(rec);
      } catch (e) {
        const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
        steps.push({ seq: rec.seq, step, what, verdict: "disagree", compared: 1, mismatches: [{ field: "model", expected: "no exception", got: msg }] });
        counts.disagree++;
        accesses++;
        continue;
      }
      if (!exec.applicable) {
        if (exec.unmodelled) {
          unmodelled++;
          accesses++;
        }
        steps.push({ seq: rec.seq, step, what, verdict: "n/a", compared: 0, mismatches: [], reason: exec.reason });
        counts.na++;
        continue;
      }
      accesses++;
      const { verdict, mismatches } = judge(exec.checks);
      steps.push({ seq: rec.seq, step, what, verdict, compared: exec.checks.length, mismatches });
      if (verdict === "agree") counts.agree++;
      else counts.disagree++;
    }
  } finally {
    adapter.dispose();
  }
  return { steps, counts, model: adapter.model, controller: adapter.controller, unmodelled, accesses };
}

/** The quirks of a profile that belong to a controller ("mpic-4.2" -> family "mpic"). */
function profileQuirks(catalogue: ProfileCatalogue, profile: ProfileOption, controller: string): string[] {
  const family = controller.replace(/-[\d.]+$/, "");
  const ids = typeof profile === "string" ? (catalogue.profile(profile)?.quirks ?? []) : profile.quirks;
  return ids.filter((id) => catalogue.quirk(id)?.controller === family);
}

const profileName = (p: ProfileOption): string => (typeof p === "string" ? p : (p.name ?? "custom"));

/** Replays one trace; never throws for model or trace trouble (the result says what failed). */
export function replayTrace(trace: Trace, plugins: PluginSet, opts: ReplayOptions = {}): TraceResult {
  const base = { trace: trace.origin, scenario: trace.meta.scenario, machine: trace.meta.machine };
  const option = opts.profile ?? traceProfile(trace);
  const profile = profileName(option);
  let run: RunOutcome;
  try {
    run = runOnce(trace, plugins, option);
  } catch (e) {
    // Set-up trouble (an unknown profile, a model refusing the trace's configuration). A
    // machine whose model is not loaded at all is reported as such, not as a bad profile.
    try {
      const bare = adapterFor(trace, plugins, KVM_PROFILE);
      if ("adapter" in bare) bare.adapter.dispose();
      else return { ...base, status: bare.status, model: bare.model, profile, reason: bare.reason, steps: [], counts: emptyCounts() };
    } catch {
      // the plain model cannot be set up either: report the original error
    }
    const msg = KvmError.is(e) ? e.message : e instanceof Error ? e.message : String(e);
    return { ...base, status: "invalid", model: null, profile, reason: `${trace.origin}: cannot set up the model: ${msg}`, steps: [], counts: emptyCounts() };
  }
  if (!("steps" in run)) return { ...base, status: run.status, model: run.model, profile, reason: run.reason, steps: [], counts: emptyCounts() };
  let steps = run.steps;
  if (opts.explain && profile !== KVM_PROFILE) steps = explainSteps(trace, plugins, option, run.controller, steps);
  const share = run.accesses === 0 ? 0 : run.unmodelled / run.accesses;
  const failure =
    share > MAX_UNMODELLED_SHARE
      ? `${run.unmodelled} of ${run.accesses} controller accesses (${(share * 100).toFixed(1)}%) are not modelled (limit ${MAX_UNMODELLED_SHARE * 100}%)`
      : undefined;
  return {
    ...base,
    status: "replayed",
    model: run.model,
    profile,
    steps,
    counts: run.counts,
    unmodelled: run.unmodelled,
    accesses: run.accesses,
    ...(failure ? { failure } : {}),
  };
}

/** Whether a step's checks came out differently from the trace. */
const differs = (s: StepResult | undefined): boolean => s !== undefined && s.verdict === "disagree";

/**
 * --explain: replays in `kvm`, then once per quirk of the profile with that quirk turned
 * off; a step that differs in `kvm` is explained by the quirks whose removal makes it
 * differ (each such quirk is needed for the step to agree). When no single removal does
 * (two quirks each suffice), the quirks that alone, added to `kvm`, make the step agree
 * are named instead.
 */
function explainSteps(trace: Trace, plugins: PluginSet, profile: ProfileOption, controller: string, steps: StepResult[]): StepResult[] {
  const catalogue = profileCatalogue([...(plugins.routing ? [plugins.routing.module] : []), ...plugins.modules]);
  const kvm = runOnce(trace, plugins, KVM_PROFILE);
  if (!("steps" in kvm)) return steps;
  const quirks = profileQuirks(catalogue, profile, controller);
  const without = new Map<string, StepResult[]>();
  const only = new Map<string, StepResult[]>();
  const runWith = (name: string, set: string[]): StepResult[] | undefined => {
    const r = runOnce(trace, plugins, { name, quirks: set });
    return "steps" in r ? r.steps : undefined;
  };
  let needOnly = false;
  const out = steps.map((s, i) => {
    if (!differs(kvm.steps[i])) return s;
    if (without.size === 0) for (const q of quirks) without.set(q, runWith(`${profileName(profile)} without ${q}`, quirks.filter((x) => x !== q)) ?? []);
    const named = quirks.filter((q) => differs(without.get(q)?.[i]));
    if (named.length === 0) needOnly = true;
    return { ...s, kvmDiffers: true, quirks: named };
  });
  if (!needOnly) return out;
  for (const q of quirks) only.set(q, runWith(`kvm with ${q}`, [q]) ?? []);
  const agreesIn = (r: StepResult[] | undefined, i: number) => r !== undefined && r[i] !== undefined && !differs(r[i]);
  let pairs: Map<string, StepResult[]> | null = null;
  return out.map((s, i) => {
    if (!s.kvmDiffers || s.quirks?.length) return s;
    const alone = quirks.filter((q) => agreesIn(only.get(q), i));
    if (alone.length) return { ...s, quirks: alone };
    // Only a combination accounts for it: the pairs of quirks that, together in kvm, agree.
    if (pairs === null) {
      pairs = new Map();
      for (let a = 0; a < quirks.length; a++) for (let b = a + 1; b < quirks.length; b++) pairs.set(`${quirks[a]} + ${quirks[b]}`, runWith(`kvm with ${quirks[a]} and ${quirks[b]}`, [quirks[a], quirks[b]]) ?? []);
    }
    return { ...s, quirks: [...pairs].filter(([, r]) => agreesIn(r, i)).map(([k]) => k) };
  });
}

/** Trace files from arguments: files as given, directories expanded to their *.jsonl files. */
export function expandTracePaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new CliError(`no such trace file or directory: ${p}`);
    }
    if (st.isDirectory()) {
      const files = readdirSync(p).filter((f) => f.endsWith(".jsonl")).sort();
      if (files.length === 0) throw new CliError(`no *.jsonl traces in ${p}`);
      out.push(...files.map((f) => join(p, f)));
    } else out.push(p);
  }
  return out;
}

export interface ReplayTotals extends TraceCounts {
  /** Traces that fail: a disagreeing step, too many unmodelled accesses, or an unreadable trace. */
  failedTraces: number;
}

export interface ReplayReport {
  readonly tool: "irqlab replay";
  readonly format: 2;
  readonly traces: readonly TraceResult[];
  readonly totals: ReplayTotals;
  readonly notes: readonly string[];
}

/** Whether a trace result fails the replay. */
export function traceFails(t: TraceResult): boolean {
  return t.status === "invalid" || t.counts.disagree > 0 || t.failure !== undefined;
}

/** One unreadable trace is reported as such; the others are still replayed. */
function loadAndReplay(file: string, plugins: PluginSet, opts: ReplayOptions): TraceResult {
  let trace: Trace;
  try {
    trace = readTrace(file);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    return { trace: file, scenario: file, machine: "?", status: "invalid", model: null, reason: e.message, steps: [], counts: emptyCounts() };
  }
  return replayTrace(trace, plugins, opts);
}

export function runReplay(paths: readonly string[], plugins: PluginSet, opts: ReplayOptions = {}): ReplayReport {
  const files = expandTracePaths(paths);
  const notes = [...plugins.notes];
  const traces = files.map((f) => loadAndReplay(f, plugins, opts));
  const totals: ReplayTotals = { ...emptyCounts(), failedTraces: 0 };
  for (const t of traces) {
    totals.agree += t.counts.agree;
    totals.disagree += t.counts.disagree;
    totals.na += t.counts.na;
    if (traceFails(t)) totals.failedTraces++;
  }
  return { tool: "irqlab replay", format: 2, traces, totals, notes };
}
