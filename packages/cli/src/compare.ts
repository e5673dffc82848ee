/**
 * `irqlab compare` as a function: one workload on every selected controller, results as
 * data (CompareReport). Deterministic apart from the wall-clock `host` figures, which
 * `deterministic: true` leaves out.
 */
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import { escapeControl, profileCatalogue, type GuestDriverContribution } from "@irqlab/core";
import { CliError } from "./errors.js";
import { RESULTS_SCHEMA_ID, toolVersion } from "./version.js";
import { loadPluginSet, selectDrivers, type LoadOptions, type PluginSet } from "./plugins.js";
import { COST_KEYS, DEFAULT_COSTS, type CostModel } from "./sim/cost-model.js";
import { DEFAULT_MAX_SECONDS, estimateRun, type Estimate } from "./sim/budget.js";
import { runTasks } from "./sim/parallel.js";
import { failedResult } from "./sim/results.js";
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
  /**
   * Controller ids (GuestDriverContribution.id); default: every registered one. `id:profile`
   * runs that column in a behaviour profile ("xics:kvm", "xics:qemu-7.2"); the same id may
   * then appear once per profile.
   */
  controllers?: readonly string[];
  /** Behaviour profile of every column without its own (core profile.ts; default "kvm"). */
  profile?: string;
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
  /**
   * Worker threads running controllers at once (`--jobs`): a number, or "auto" (the
   * default): one per core when the estimated run is long enough to pay for starting them
   * (AUTO_PARALLEL_SECONDS), else 1. Results are identical either way. Only the async entry
   * points (`compare`, `runCompareAsync` with `load`) use threads.
   */
  jobs?: number | "auto";
  /**
   * Run-time budget in wall seconds (`--max-seconds`, default DEFAULT_MAX_SECONDS): a run
   * estimated longer is refused before it starts; one still going at the deadline stops and
   * its controllers are reported as failed with the reason.
   */
  maxSeconds?: number;
  /** @internal An absolute deadline (Date.now() ms) instead of one derived from maxSeconds. */
  deadlineEpochMs?: number;
  /** Told the estimate before the run starts (the CLI prints long ones). */
  onEstimate?: (e: Estimate & { jobs: number; controllers: number }) => void;
}

/** Estimated wall seconds from which "auto" jobs start worker threads. */
export const AUTO_PARALLEL_SECONDS = 1;

export interface CompareReport {
  /** packages/cli/schemas/results.schema.json */
  readonly $schema: typeof RESULTS_SCHEMA_ID;
  readonly tool: "irqlab compare";
  /** The irqlab version that produced the results. */
  readonly version: string;
  readonly format: 1;
  readonly workload: ReturnType<typeof workloadToJson> & { name: string; vcpus: number; duration: number; description: string };
  readonly seed: number;
  readonly cost: CostModel;
  readonly controllers: readonly ControllerResult[];
  /** Remarks about this run (plugin-loading messages never go here: see PluginSet.notes/errors). */
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

interface Prepared {
  readonly w: Workload;
  readonly cost: CostModel;
  readonly drivers: GuestDriverContribution[];
  /** The columns: a driver and the profile it runs in (`-c xics:qemu-7.2`). */
  readonly columns: ReturnType<typeof profileColumns>;
  readonly jobs: number;
  readonly deadlineEpochMs: number;
}

/** Validates, estimates and applies the run-time budget (refusing a run that would exceed it). */
function prepare(plugins: PluginSet, opts: CompareOptions, threads: boolean): Prepared {
  const w = effectiveWorkload(opts);
  const cost = resolveCosts(opts.cost);
  const columns = profileColumns(plugins, opts.controllers, opts.profile);
  const drivers = columns.map((c) => c.driver);
  if (!plugins.routing) {
    throw new CliError(
      `the routing package is not available (${[...plugins.errors, ...plugins.notes].find((n) => n.startsWith("routing")) ?? "not loaded"}); build it with: pnpm build`,
    );
  }
  const maxSeconds = opts.maxSeconds ?? DEFAULT_MAX_SECONDS;
  if (!(typeof maxSeconds === "number" && maxSeconds > 0 && Number.isFinite(maxSeconds))) {
    throw new CliError(`--max-seconds must be a positive number of seconds (got ${String(maxSeconds)})`, 2);
  }
  const cores = availableParallelism();
  let jobs = 1;
  if (threads) {
    if (opts.jobs === undefined || opts.jobs === "auto") {
      jobs = estimateRun(w, drivers.length, 1).seconds >= AUTO_PARALLEL_SECONDS ? cores : 1;
    } else {
      if (!Number.isInteger(opts.jobs) || opts.jobs < 1 || opts.jobs > 256) throw new CliError(`--jobs must be an integer from 1 to 256 (got ${String(opts.jobs)})`, 2);
      jobs = opts.jobs;
    }
  }
  jobs = Math.max(1, Math.min(jobs, drivers.length));
  const est = estimateRun(w, drivers.length, Math.min(jobs, cores));
  opts.onEstimate?.({ ...est, jobs, controllers: drivers.length });
  if (est.seconds > maxSeconds) {
    throw new CliError(
      `the run is estimated at about ${Math.ceil(est.seconds)} s wall (${Math.round(est.events).toLocaleString("en-US")} events on each of ${drivers.length} controller(s), ${jobs} at a time), over the budget of ${maxSeconds} s: raise --max-seconds, choose fewer controllers (-c), or shorten the workload (--duration)`,
      2,
    );
  }
  return { w, cost, drivers, columns, jobs, deadlineEpochMs: opts.deadlineEpochMs ?? Date.now() + maxSeconds * 1000 };
}

/** Runs the comparison with plugins already loaded (synchronous, one controller after another). */
export function runCompare(plugins: PluginSet, opts: CompareOptions = {}): CompareReport {
  const p = prepare(plugins, opts, false);
  const { w, cost, drivers, columns } = p;
  const plan = planWorkload(w);
  const routing = plugins.routing!;
  const results = drivers.map((c, i) =>
    runController(c, { routing, modules: plugins.modulesFor(c), profile: columns[i].profile }, {
      workload: w,
      plan,
      cost,
      strict: opts.strict,
      deadlineMs: performance.now() + (p.deadlineEpochMs - Date.now()),
      onProgress: opts.onProgress ? (f) => opts.onProgress!(c, i, drivers.length, f) : undefined,
    }),
  );
  return finishReport(plugins, opts, w, cost, results, p.columns);
}

/**
 * The comparison on worker threads (`jobs` at once; see CompareOptions.jobs). `load` must be
 * how `plugins` was loaded (each worker loads the same set); without it, runs serially.
 */
export async function runCompareAsync(plugins: PluginSet, opts: CompareOptions & { load?: LoadOptions } = {}): Promise<CompareReport> {
  if (opts.load === undefined) return runCompare(plugins, opts);
  const p = prepare(plugins, opts, true);
  if (p.jobs <= 1) return runCompare(plugins, { ...opts, deadlineEpochMs: p.deadlineEpochMs });
  const { w, cost, drivers } = p;
  const plan = planWorkload(w);
  const fractions = drivers.map(() => 0);
  const results = await runTasks(
    drivers.map((c, i) => ({ controller: c.id, profile: p.columns[i].profile, workload: w, cost, strict: opts.strict ?? false, deadlineEpochMs: p.deadlineEpochMs })),
    {
      jobs: p.jobs,
      load: opts.load,
      // Several controllers run at once: report the sum of their fractions as one overall
      // position (index = whole controllers done, fraction = the rest), so the bar only moves on.
      onProgress: opts.onProgress
        ? (k, f) => {
            fractions[k] = Math.min(1, f);
            const total = fractions.reduce((a, b) => a + b, 0);
            const whole = Math.min(drivers.length - 1, Math.floor(total));
            opts.onProgress!(drivers[k], whole, drivers.length, Math.min(1, total - whole));
          }
        : undefined,
      failed: (k, error) => failedResult(drivers[k], error, plan, w),
    },
  );
  return finishReport(plugins, opts, w, cost, results, p.columns);
}

function finishReport(
  plugins: PluginSet,
  opts: CompareOptions,
  w: Workload,
  cost: CostModel,
  results: ControllerResult[],
  columns: Prepared["columns"],
): CompareReport {
  columns.forEach((col, i) => {
    // A column run in a named profile says so in its label ("XICS [qemu-7.2]").
    if (col.profile !== undefined) results[i] = { ...results[i], id: `${results[i].id}:${col.profile}`, label: `${results[i].label} [${col.profile}]` };
  });

  if (opts.deterministic) for (const r of results) delete r.host;
  return {
    $schema: RESULTS_SCHEMA_ID,
    tool: "irqlab compare",
    version: toolVersion(),
    format: 1,
    workload: workloadToJson(w) as CompareReport["workload"],
    seed: w.seed,
    cost,
    controllers: results,
    notes: [],
  };
}

/** Loads the plugins, then runs the comparison. */
export async function compare(opts: CompareOptions & { load?: LoadOptions } = {}): Promise<CompareReport> {
  // Validate the cheap things first: a bad workload should not wait for plugin loading.
  effectiveWorkload(opts);
  resolveCosts(opts.cost);
  const load = opts.load ?? {};
  const plugins = await loadPluginSet(load);
  return runCompareAsync(plugins, { ...opts, load });
}

/** `-c id[:profile],...` and `--profile`: the columns to run, each with its profile. */
function profileColumns(
  plugins: PluginSet,
  ids: readonly string[] | undefined,
  profile: string | undefined,
): { driver: GuestDriverContribution; profile: string | undefined }[] {
  const catalogue = profileCatalogue([...(plugins.routing ? [plugins.routing.module] : []), ...plugins.modules]);
  const check = (p: string | undefined): string | undefined => {
    if (p !== undefined && !catalogue.profile(p)) {
      throw new CliError(`unknown profile "${p}" (known: ${catalogue.profiles.map((x) => x.name).join(", ")})`, 2);
    }
    return p;
  };
  if (!ids || ids.length === 0) return selectDrivers(plugins, ids).map((driver) => ({ driver, profile: check(profile) }));
  const out: { driver: GuestDriverContribution; profile: string | undefined }[] = [];
  for (const entry of ids) {
    const colon = entry.lastIndexOf(":");
    const id = colon > 0 ? entry.slice(0, colon) : entry;
    const p = check(colon > 0 ? entry.slice(colon + 1) : profile);
    const [driver] = selectDrivers(plugins, [id]);
    if (!out.some((c) => c.driver === driver && c.profile === p)) out.push({ driver, profile: p });
  }
  return out;
}
