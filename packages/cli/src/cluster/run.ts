/**
 * `irqlab sweep run PLAN --shard I/N --out DIR`: runs the shard's cells that DIR does not
 * already hold (resume), on `jobs` worker threads, into this attempt's own result file,
 * flushed atomically as cells finish. Returns the exit code (exit-codes.ts).
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { CliError } from "../errors.js";
import { loadPluginSet, type LoadOptions } from "../plugins.js";
import { cellLineText, runCell } from "./cell.js";
import { EXIT_NO_RETRY, EXIT_RETRY, EXIT_SHARD_OK } from "./exit-codes.js";
import type { Plan } from "./plan.js";
import { AttemptWriter, readResults } from "./results-file.js";
import { cellsOfShard, type Shard } from "./shard.js";

export interface ShardRunOptions {
  readonly plan: Plan;
  readonly planPath: string;
  readonly shard: Shard;
  readonly outDir: string;
  readonly jobs?: number;
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

function workerUrl(): URL {
  const here = new URL("./cell-worker.js", import.meta.url);
  // Under vitest this module is the TypeScript source: use the built worker.
  if (import.meta.url.endsWith(".ts")) return new URL("../../dist/cluster/cell-worker.js", import.meta.url);
  return here;
}

export async function runShard(o: ShardRunOptions): Promise<ShardRunResult> {
  const { plan, shard } = o;
  const mine = cellsOfShard(plan.cells, shard);
  const have = new Set(readResults([o.outDir], plan.planHash, "skip").lines.map((l) => l.line.cell));
  const todo = mine.filter((c) => !have.has(c.id));
  const skipped = mine.length - todo.length;
  o.log?.(`shard ${shard.index}/${shard.count}: ${mine.length} cells, ${skipped} already done, ${todo.length} to run`);
  if (todo.length === 0) return { exitCode: EXIT_SHARD_OK, ran: 0, skipped, failedToRun: [], file: null };

  const writer = new AttemptWriter(o.outDir, plan.planHash, plan.version, shard, o.attempt);
  const failedToRun: { index: number; error: string }[] = [];
  let done = 0;
  let lastFlush = Date.now();
  const flushMs = o.flushMs ?? 1000;
  const finished = (text: string | null, index: number, error?: string): void => {
    if (text !== null) writer.add(text);
    else failedToRun.push({ index, error: error ?? "unknown error" });
    done++;
    o.onProgress?.(done, todo.length);
    if (Date.now() - lastFlush >= flushMs) {
      writer.flush();
      lastFlush = Date.now();
    }
  };
  try {
    writer.flush();
  } catch (e) {
    throw new CliError(`cannot write results into ${o.outDir}: ${(e as Error).message}`, EXIT_RETRY);
  }

  const jobs = Math.max(1, Math.min(o.jobs ?? availableParallelism(), todo.length));
  if (jobs === 1) {
    const plugins = await loadPluginSet(o.load ?? {});
    checkControllers(plan, plugins.drivers.map((d) => d.id));
    for (const c of todo) {
      try {
        finished(cellLineText(runCell(plugins, plan, c)), c.index);
      } catch (e) {
        finished(null, c.index, e instanceof Error ? e.message : String(e));
      }
    }
  } else {
    const plugins = await loadPluginSet(o.load ?? {});
    checkControllers(plan, plugins.drivers.map((d) => d.id));
    await runOnWorkers(o, todo.map((c) => c.index), jobs, finished);
  }
  writer.flush();
  const exitCode = failedToRun.length ? EXIT_RETRY : EXIT_SHARD_OK;
  return { exitCode, ran: writer.count, skipped, failedToRun, file: writer.path };
}

/** A plan naming a controller this machine cannot load would fail the same way on retry. */
function checkControllers(plan: Plan, ids: readonly string[]): void {
  const missing = plan.controllers.filter((c) => !ids.includes(c));
  if (missing.length) {
    throw new CliError(`plan needs controllers this irqlab does not have: ${missing.join(", ")} (have: ${ids.join(", ")})`, EXIT_NO_RETRY);
  }
}

function runOnWorkers(
  o: ShardRunOptions,
  indices: readonly number[],
  jobs: number,
  finished: (text: string | null, index: number, error?: string) => void,
): Promise<void> {
  return new Promise((resolveAll) => {
    let next = 0;
    let live = jobs;
    const url = workerUrl();
    for (let w = 0; w < jobs; w++) {
      const worker = new Worker(fileURLToPath(url), { workerData: { planPath: o.planPath, load: o.load ?? {} } });
      let current = -1;
      const feed = (): void => {
        if (next >= indices.length) {
          current = -1;
          void worker.terminate();
          return;
        }
        current = indices[next++];
        worker.postMessage(current);
      };
      worker.on("message", (m: { ready?: boolean; index?: number; text?: string; error?: string }) => {
        if (m.ready) return feed();
        finished(m.text ?? null, m.index!, m.error);
        feed();
      });
      worker.on("error", (e) => {
        if (current >= 0) finished(null, current, `worker failed: ${e.message}`);
        current = -1;
      });
      worker.on("exit", () => {
        // A worker that died mid-cell leaves the rest of the queue to the others.
        if (--live === 0) {
          while (next < indices.length) finished(null, indices[next++], "no worker left to run it");
          resolveAll();
        }
      });
    }
  });
}
