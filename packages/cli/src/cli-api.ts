/**
 * The programmatic API behind the `irqlab` command: every command as a function returning
 * data (no printing, no process.exit). `bin.ts` only parses argv and prints.
 *
 *   compare(opts)        -> CompareReport   (one workload on every controller)
 *   replay(paths, opts)  -> ReplayReport    (QEMU qtest traces against the models)
 *   inspect(opts)        -> InspectReport   (each controller's dumpState())
 *   sweep(grid, opts)    -> SweepResult     (a grid of parameters x every controller)
 *
 * The `run*` variants take an already loaded PluginSet (synchronous; used by tests and by
 * programs that bring their own plugin modules through `pluginSetFrom`).
 */
import { availableParallelism } from "node:os";
import { loadPluginSet, type LoadOptions } from "./plugins.js";
import { readGrid } from "./sweep/files.js";
import { runSweep, type SweepOptions, type SweepResult } from "./sweep/run.js";
import { readVmDescription, runInspect, type InspectOptions, type InspectReport } from "./inspect.js";
import { runReplay, type ReplayOptions, type ReplayReport } from "./replay/replay.js";

export { compare, runCompare, runCompareAsync, loadWorkload, resolveCosts, effectiveWorkload } from "./compare.js";
export { runSweep, type SweepOptions, type SweepResult } from "./sweep/run.js";
export { parseGrid, expandGrid, cellId, type Grid, type Cell } from "./sweep/grid.js";
export { sweepCharts, renderSweepHtml } from "./sweep/report.js";
export type { CellRecord } from "./sweep/record.js";
export { estimateRun, expectedEvents, DEFAULT_MAX_SECONDS } from "./sim/budget.js";
export type { CompareOptions, CompareReport } from "./compare.js";
export { runReplay, replayTrace } from "./replay/replay.js";
export type { ReplayOptions, ReplayReport } from "./replay/replay.js";
export { runInspect, readVmDescription, validateVmDescription } from "./inspect.js";
export type { InspectOptions, InspectReport, VmDescription } from "./inspect.js";
export { loadPluginSet, pluginSetFrom } from "./plugins.js";
export type { LoadOptions, PluginSet } from "./plugins.js";

/** Runs (or resumes, with `out`) a sweep grid file on every controller, cells on worker threads. */
export async function sweep(file: string, opts: Partial<SweepOptions> & { load?: LoadOptions } = {}): Promise<SweepResult> {
  const load = opts.load ?? {};
  return runSweep(await loadPluginSet(load), readGrid(file), { jobs: availableParallelism(), ...opts, load });
}

/** Replays trace files (or directories of traces) against the matching models. */
export async function replay(paths: readonly string[], opts: { load?: LoadOptions } & ReplayOptions = {}): Promise<ReplayReport> {
  return runReplay(paths, await loadPluginSet(opts.load), { profile: opts.profile, explain: opts.explain });
}

/** Dumps each controller's state for a VM description file or a workload. */
export async function inspect(opts: InspectOptions & { file?: string; load?: LoadOptions }): Promise<InspectReport> {
  const description = opts.description ?? (opts.file ? readVmDescription(opts.file) : undefined);
  return runInspect(await loadPluginSet(opts.load), { ...opts, description });
}
