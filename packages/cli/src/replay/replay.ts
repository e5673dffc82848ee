/**
 * `irqlab replay` as functions: picks the model for a trace's machine, drives it record by
 * record, and judges every step: agree, divergence (all mismatches explained by documented
 * rows), disagree, or n/a (nothing comparable, e.g. a QMP query or a QEMU crash).
 *
 *   machine               model                              inputs
 *   ppce500               MPIC 4.2 at 0xFE0040000            qtest readl/writel, set_irq_in
 *   mpc8544ds             MPIC 2.0 at 0xE0040000             qtest readl/writel, set_irq_in
 *   pseries,ic-mode=xics  XICS                               rtas, guest hcalls, system_powerdown
 *   anything else         none ("no model for this machine")
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { CliError } from "../errors.js";
import type { PluginSet } from "../plugins.js";
import { DIVERGENCES, importedRows, rowsFor } from "./divergences.js";
import { MPIC_MACHINES, createMpicAdapter } from "./mpic-adapter.js";
import { readTrace, stepSummary, traceCpus, type Trace } from "./trace.js";
import type { Check, DivergenceRow, MachineAdapter, Mismatch, StepResult, TraceCounts, TraceResult, Verdict } from "./types.js";
import { createXicsAdapter } from "./xics-adapter.js";

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

/** The model for a trace's machine. */
export function adapterFor(trace: Trace, plugins: PluginSet): AdapterChoice {
  const [board, ...props] = trace.meta.machine.split(",");
  const cpus = traceCpus(trace.meta);
  const mpic = MPIC_MACHINES.find((m) => m.machine === board);
  if (mpic) {
    const a = createMpicAdapter(mpic, cpus, plugins);
    return typeof a === "string" ? { status: "model-unavailable", reason: a, model: mpic.label } : { adapter: a };
  }
  if (board === "pseries") {
    const mode = props.find((p) => p.startsWith("ic-mode="))?.slice("ic-mode=".length) ?? "dual";
    if (mode !== "xics") {
      return { status: "no-model", reason: `no model for this machine (pseries interrupt mode ${mode}: XIVE is not replayed by the CLI)`, model: null };
    }
    const a = createXicsAdapter(trace, cpus, plugins);
    return typeof a === "string" ? { status: "model-unavailable", reason: a, model: "XICS" } : { adapter: a };
  }
  return { status: "no-model", reason: `no model for this machine (${trace.meta.machine})`, model: null };
}

export function judge(checks: readonly Check[], explain: (c: Check) => string | undefined): { verdict: Verdict; mismatches: Mismatch[] } {
  const mismatches: Mismatch[] = [];
  for (const c of checks) {
    if (deepEqual(c.expected, c.got)) continue;
    const divergence = explain(c);
    mismatches.push(divergence ? { ...c, divergence } : { ...c });
  }
  const verdict: Verdict = mismatches.length === 0 ? "agree" : mismatches.every((m) => m.divergence) ? "divergence" : "disagree";
  return { verdict, mismatches };
}

function emptyCounts(): TraceCounts {
  return { agree: 0, divergence: 0, disagree: 0, na: 0 };
}

/** Replays one trace; never throws for model trouble (a throwing model step is a disagreement). */
export function replayTrace(trace: Trace, plugins: PluginSet, rows: readonly DivergenceRow[] = divergenceRows(plugins)): TraceResult {
  const base = { trace: trace.origin, scenario: trace.meta.scenario, machine: trace.meta.machine };
  const choice = adapterFor(trace, plugins);
  const counts = emptyCounts();
  if (!("adapter" in choice)) {
    return { ...base, status: choice.status, model: choice.model, reason: choice.reason, steps: [], counts };
  }
  const adapter = choice.adapter;
  const applicable = rowsFor(adapter.controller, rows);
  const cpus = traceCpus(trace.meta);
  const steps: StepResult[] = [];
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
        continue;
      }
      if (!exec.applicable) {
        steps.push({ seq: rec.seq, step, what, verdict: "n/a", compared: 0, mismatches: [], reason: exec.reason });
        counts.na++;
        continue;
      }
      const acc = adapter.access(rec);
      const { verdict, mismatches } = judge(exec.checks, (check) =>
        applicable.find((r) => r.matches({ meta: trace.meta, rec, check, controller: adapter.controller, offset: acc.offset, access: acc.access, cpus }))?.id,
      );
      steps.push({ seq: rec.seq, step, what, verdict, compared: exec.checks.length, mismatches });
      if (verdict === "agree") counts.agree++;
      else if (verdict === "divergence") counts.divergence++;
      else counts.disagree++;
    }
  } finally {
    adapter.dispose();
  }
  return { ...base, status: "replayed", model: adapter.model, steps, counts };
}

/** Controller family a plugin's exported divergences are about (from its guest drivers). */
function familyOf(ids: readonly string[]): string | null {
  if (ids.length === 0) return null;
  const families = new Set(ids.map((id) => id.replace(/-[\d.]+$/, "")));
  return families.size === 1 ? [...families][0] : null;
}

/** The CLI's divergence table plus the rows controller packages export as QEMU_DIVERGENCES. */
export function divergenceRows(plugins: PluginSet, notes: string[] = []): DivergenceRow[] {
  const rows = [...DIVERGENCES];
  for (const p of plugins.plugins) {
    const exported = p.exports?.QEMU_DIVERGENCES;
    if (exported === undefined) continue;
    const family = familyOf(p.contributions.map((c) => c.id));
    if (!family) {
      notes.push(`${p.specifier} exports QEMU_DIVERGENCES but its controller family is unclear; ignored`);
      continue;
    }
    const { rows: imported, skipped } = importedRows(exported, family, p.specifier);
    if (skipped) notes.push(`${p.specifier}: ${skipped} QEMU_DIVERGENCES entries have an unknown shape and were ignored`);
    for (const r of imported) if (!rows.some((x) => x.id === r.id)) rows.push(r);
  }
  return rows;
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

export interface ReplayReport {
  readonly tool: "irqlab replay";
  readonly format: 1;
  readonly traces: readonly TraceResult[];
  readonly totals: TraceCounts;
  readonly notes: readonly string[];
}

export function runReplay(paths: readonly string[], plugins: PluginSet): ReplayReport {
  const files = expandTracePaths(paths);
  const notes = [...plugins.notes];
  const rows = divergenceRows(plugins, notes);
  const traces = files.map((f) => replayTrace(readTrace(f), plugins, rows));
  const totals = emptyCounts();
  for (const t of traces) {
    totals.agree += t.counts.agree;
    totals.divergence += t.counts.divergence;
    totals.disagree += t.counts.disagree;
    totals.na += t.counts.na;
  }
  return { tool: "irqlab replay", format: 1, traces, totals, notes };
}
