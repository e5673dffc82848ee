/**
 * `irqlab compare` as a function: one workload on every selected controller, results as
 * data (CompareReport). Deterministic apart from the wall-clock `host` figures, which
 * `deterministic: true` leaves out.
 */
import { basename } from "node:path";
import { escapeControl, type GuestDriverContribution } from "@irqlab/core";
import { CliError } from "./errors.js";
import { loadPluginSet, selectDrivers, type LoadOptions, type PluginSet } from "./plugins.js";
import { COST_KEYS, DEFAULT_COSTS, type CostModel } from "./sim/cost-model.js";
import { runController, type ControllerResult } from "./sim/runner.js";
import { BUILTIN_WORKLOADS, builtinWorkload } from "./workload/builtins.js";
import { FieldError, JsonSyntaxError, duration as parseDuration, integer } from "./workload/fields.js";
import { readInputText } from "./workload/input-file.js";
import { planWorkload } from "./workload/plan.js";
import { WORKLOAD_LIMITS, type Workload } from "./workload/types.js";
import { parseWorkloadText, workloadToJson } from "./workload/validate.js";

export interface CompareOptions {
  /** A built-in name, a path to a workload JSON file, or a Workload. Default: "default". */
  workload?: string | Workload;
  /** Controller ids (GuestDriverContribution.id); default: every registered one. */
  controllers?: readonly string[];
  /** Overrides the workload's seed. */
  seed?: number;
  /** Overrides the workload's duration (ns or "20ms"). */
  duration?: number | string;
  /** Per-operation costs (simulated ns); missing keys take the defaults. */
  cost?: Partial<CostModel>;
  strict?: boolean;
  /** Leave out the wall-clock host throughput (byte-identical output for a given seed). */
  deterministic?: boolean;
  onProgress?: (controller: GuestDriverContribution, index: number, count: number, fraction: number) => void;
}

export interface CompareReport {
  readonly tool: "irqlab compare";
  readonly format: 1;
  readonly workload: ReturnType<typeof workloadToJson> & { name: string; vcpus: number; duration: number; description: string };
  readonly seed: number;
  readonly cost: CostModel;
  readonly controllers: readonly ControllerResult[];
  /** Plugin loading notes (skipped plugins). */
  readonly notes: readonly string[];
}

/** A built-in workload by name, or a workload JSON file. */
export function loadWorkload(spec: string): Workload {
  const builtin = builtinWorkload(spec);
  if (builtin) return builtin;
  let text: string;
  try {
    text = readInputText(spec);
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new CliError(`no built-in workload or file named "${spec}" (built-ins: ${BUILTIN_WORKLOADS.join(", ")})`, 2);
    }
    throw new CliError(`cannot read workload file ${spec}: ${(e as Error).message}`);
  }
  try {
    return parseWorkloadText(text, basename(spec));
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new CliError(e.located(spec));
    if (e instanceof FieldError) throw new CliError(`${escapeControl(spec)}: ${e.message}`);
    throw e;
  }
}

export function resolveCosts(cost: Partial<CostModel> = {}): CostModel {
  const out = { ...DEFAULT_COSTS };
  for (const k of Object.keys(cost) as (keyof CostModel)[]) {
    if (!COST_KEYS.includes(k)) throw new CliError(`unknown cost "${String(k)}" (known: ${COST_KEYS.join(", ")})`, 2);
    const v = cost[k];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1e9) {
      throw new CliError(`cost ${k} must be a number of simulated ns between 0 and 1e9 (got ${String(v)})`, 2);
    }
    out[k] = v;
  }
  return out;
}

/** The workload after command-line overrides (seed, duration). */
export function effectiveWorkload(opts: CompareOptions): Workload {
  const base = typeof opts.workload === "object" ? opts.workload : loadWorkload(opts.workload ?? "default");
  let w: Workload = base;
  try {
    if (opts.seed !== undefined) w = { ...w, seed: integer(opts.seed, "--seed", 0, 0xffffffff) };
    if (opts.duration !== undefined) w = { ...w, durationNs: parseDuration(opts.duration, "--duration", WORKLOAD_LIMITS.maxDurationNs) };
  } catch (e) {
    if (e instanceof FieldError) throw new CliError(e.message, 2);
    throw e;
  }
  return w;
}

/** Runs the comparison with plugins already loaded (synchronous). */
export function runCompare(plugins: PluginSet, opts: CompareOptions = {}): CompareReport {
  const w = effectiveWorkload(opts);
  const cost = resolveCosts(opts.cost);
  const drivers = selectDrivers(plugins, opts.controllers);
  if (!plugins.routing) {
    throw new CliError(
      `the routing package is not available (${plugins.notes.find((n) => n.startsWith("routing")) ?? "not loaded"}); build it with: pnpm build`,
    );
  }
  const plan = planWorkload(w);
  const routing = plugins.routing;
  const results = drivers.map((c, i) =>
    runController(c, { routing, modules: plugins.modulesFor(c) }, {
      workload: w,
      plan,
      cost,
      strict: opts.strict,
      onProgress: opts.onProgress ? (f) => opts.onProgress!(c, i, drivers.length, f) : undefined,
    }),
  );
  if (opts.deterministic) for (const r of results) delete r.host;
  return {
    tool: "irqlab compare",
    format: 1,
    workload: workloadToJson(w) as CompareReport["workload"],
    seed: w.seed,
    cost,
    controllers: results,
    notes: [...plugins.notes],
  };
}

/** Loads the plugins, then runs the comparison. */
export async function compare(opts: CompareOptions & { load?: LoadOptions } = {}): Promise<CompareReport> {
  // Validate the cheap things first: a bad workload should not wait for plugin loading.
  effectiveWorkload(opts);
  resolveCosts(opts.cost);
  const plugins = await loadPluginSet(opts.load);
  return runCompare(plugins, opts);
}
