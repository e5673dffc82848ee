/**
 * `irqlab sweep run PLAN --shard I/N --out DIR`: runs the shard's cells that DIR does not
 * already hold (resume), cells in parallel on worker threads (the compare pool), into this
 * attempt's own result file, rewritten atomically as cells finish. Returns the exit code
 * (exit-codes.ts): a cell that could not finish (worker crash) is "retry me", not a result.
 */
import { availableParallelism } from "node:os";
import { CliError } from "../errors.js";
import { selectDrivers, type LoadOptions, type PluginSet } from "../plugins.js";
import { runTasks } from "../sim/parallel.js";
import { failedResult, type ControllerResult } from "../sim/results.js";
import { runController } from "../sim/runner.js";
import { planWorkload } from "../workload/plan.js";
import { EXIT_NO_RETRY, EXIT_RETRY, EXIT_SHARD_OK } from "./exit-codes.js";
import type { Cell } from "./grid.js";
import type { Plan } from "./plan.js";
import { cellRecord } from "./record.js";
import { AttemptWriter, readResults } from "./results-file.js";
import { cellsOfShard, type Shard } from "./shard.js";

export interface ShardRunOptions {
  readonly plugins: PluginSet;
  readonly plan: Plan;
  readonly shard: Shard;
  readonly outDir: string;
  readonly jobs?: number;
  /** How `plugins` was loaded (each worker loads the same); needed for jobs > 1. */
  readonly load?: LoadOptions;
  /** Attempt id in the file name (default host-pid-time). */
  readonly attempt?: string;
  /** How often the attempt file is rewritten while cells finish (ms, default 1000). */
  readonly flushMs?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly log?: (line: string) => void;
}

export interface ShardRunResult {
  readonly exitCode: number;
  readonly ran: number;
  readonly skipped: number;
  readonly failedToRun: readonly { index: number; error: string }[];
  readonly file: string | null;
}

/** A cell's record line (deterministic: the same bytes on any machine). */
export function recordLine(cell: Cell, r: ControllerResult): string {
  return JSON.stringify(cellRecord(cell, r));
}

export async function runShard(o: ShardRunOptions): Promise<ShardRunResult> {
  const { plan, shard, plugins } = o;
  if (!plugins.routing) throw new CliError("the routing package is not available (build it with: pnpm build)", EXIT_RETRY);
  const have = new Set(plugins.drivers.map((d) => d.id));
  const missing = plan.controllers.filter((c) => !have.has(c));
  // A plan naming a controller this installation lacks fails the same way on every retry.
  if (missing.length) throw new CliError(`plan needs controllers this irqlab does not have: ${missing.join(", ")}`, EXIT_NO_RETRY);
  const mine = cellsOfShard(plan.cells, shard);
  const done = new Set(readResults([o.outDir], plan.planHash, "skip").lines.map((l) => l.line.cell));
  const todo = mine.filter((c) => !done.has(c.id));
  const skipped = mine.length - todo.length;
  o.log?.(`shard ${shard.index}/${shard.count}: ${mine.length} cells, ${skipped} already done, ${todo.length} to run`);
  if (todo.length === 0) return { exitCode: EXIT_SHARD_OK, ran: 0, skipped, failedToRun: [], file: null };

  const writer = new AttemptWriter(o.outDir, plan.planHash, plan.version, shard, o.attempt);
  try {
    writer.flush();
  } catch (e) {
    throw new CliError(`cannot write results into ${o.outDir}: ${(e as Error).message}`, EXIT_RETRY);
  }
  const failedToRun: { index: number; error: string }[] = [];
  const transient = new Set<number>();
  let finished = 0;
  let lastFlush = Date.now();
  const flushMs = o.flushMs ?? 1000;
  const finish = (k: number, r: ControllerResult): void => {
    if (!transient.has(k)) writer.add(recordLine(todo[k], r));
    finished++;
    o.onProgress?.(finished, todo.length);
    if (Date.now() - lastFlush >= flushMs) {
      writer.flush();
      lastFlush = Date.now();
    }
  };
  const drivers = new Map(selectDrivers(plugins, [...new Set(todo.map((c) => c.controller))]).map((d) => [d.id, d]));
  const jobs = Math.max(1, Math.min(o.jobs ?? availableParallelism(), todo.length));
  if (jobs === 1 || o.load === undefined) {
    todo.forEach((cell, k) => {
      const c = drivers.get(cell.controller)!;
      finish(k, runController(c, { routing: plugins.routing!, modules: plugins.modulesFor(c) }, { workload: cell.workload, plan: planWorkload(cell.workload), cost: cell.cost, strict: cell.strict }));
    });
  } else {
    await runTasks(
      todo.map((c) => ({ controller: c.controller, workload: c.workload, cost: c.cost, strict: c.strict })),
      {
        jobs,
        load: o.load,
        onResult: finish,
        failed: (k, error) => {
          transient.add(k);
          failedToRun.push({ index: todo[k].index, error });
          return failedResult(drivers.get(todo[k].controller)!, error, planWorkload(todo[k].workload), todo[k].workload);
        },
      },
    );
  }
  writer.flush();
  return { exitCode: failedToRun.length ? EXIT_RETRY : EXIT_SHARD_OK, ran: writer.count, skipped, failedToRun, file: writer.path };
}
