/**
 * The programmatic API behind the `irqlab` command: every command as a function returning
 * data (no printing, no process.exit). `bin.ts` only parses argv and prints.
 *
 *   compare(opts)        -> CompareReport   (one workload on every controller)
 *   replay(paths, opts)  -> ReplayReport    (QEMU qtest traces against the models)
 *   inspect(opts)        -> InspectReport   (each controller's dumpState())
 *
 * The `run*` variants take an already loaded PluginSet (synchronous; used by tests and by
 * programs that bring their own plugin modules through `pluginSetFrom`).
 */
import { loadPluginSet, type LoadOptions } from "./plugins.js";
import { readVmDescription, runInspect, type InspectOptions, type InspectReport } from "./inspect.js";
import { runReplay, type ReplayOptions, type ReplayReport } from "./replay/replay.js";

export { compare, runCompare, loadWorkload, resolveCosts, effectiveWorkload } from "./compare.js";
export type { CompareOptions, CompareReport } from "./compare.js";
export { runReplay, replayTrace } from "./replay/replay.js";
export type { ReplayOptions, ReplayReport } from "./replay/replay.js";
export { runInspect, readVmDescription, validateVmDescription } from "./inspect.js";
export type { InspectOptions, InspectReport, VmDescription } from "./inspect.js";
export { loadPluginSet, pluginSetFrom } from "./plugins.js";
export type { LoadOptions, PluginSet } from "./plugins.js";

/** Replays trace files (or directories of traces) against the matching models. */
export async function replay(paths: readonly string[], opts: { load?: LoadOptions } & ReplayOptions = {}): Promise<ReplayReport> {
  return runReplay(paths, await loadPluginSet(opts.load), { profile: opts.profile, explain: opts.explain });
}

/** Dumps each controller's state for a VM description file or a workload. */
export async function inspect(opts: InspectOptions & { file?: string; load?: LoadOptions }): Promise<InspectReport> {
  const description = opts.description ?? (opts.file ? readVmDescription(opts.file) : undefined);
  return runInspect(await loadPluginSet(opts.load), { ...opts, description });
}
