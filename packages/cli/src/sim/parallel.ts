/**
 * Runs controllers on worker threads, one controller per task, at most `jobs` at once. Each
 * worker loads the plugins itself (same LoadOptions as the main thread) and runs
 * runController exactly as a serial run would: a run depends only on the workload, the cost
 * model and the controller, so the results are identical to serial ones (tested), returned
 * in task order. A worker that dies fails its task with the reason; the others go on.
 *
 *   main: tasks ──postMessage──> worker i: loadPluginSet(load) once; runController(task)
 *         results[k] <──────────  {kind: "result", k, result} | {kind: "progress", k, f}
 */
import { Worker } from "node:worker_threads";
import type { LoadOptions } from "../plugins.js";
import type { Workload } from "../workload/types.js";
import type { CostModel } from "./cost-model.js";
import type { ControllerResult } from "./results.js";

export interface RunTask {
  readonly controller: string;
  /** Behaviour profile of the column (undefined: the VM default, kvm). */
  readonly profile?: string;
  readonly workload: Workload;
  readonly cost: CostModel;
  readonly strict: boolean;
  /** Wall-clock deadline, Date.now() milliseconds (undefined: none). */
  readonly deadlineEpochMs?: number;
}

export type WorkerRequest = { kind: "run"; k: number; task: RunTask } | { kind: "exit" };
export type WorkerReply =
  | { kind: "ready" }
  | { kind: "result"; k: number; result: ControllerResult }
  | { kind: "progress"; k: number; fraction: number }
  | { kind: "error"; k: number; message: string };

export interface PoolOptions {
  readonly jobs: number;
  readonly load?: LoadOptions;
  readonly onProgress?: (k: number, fraction: number) => void;
  /** Called as each task finishes (in completion order). */
  readonly onResult?: (k: number, result: ControllerResult) => void;
  /** A failed task's result (worker crash, plugin loading failure). */
  readonly failed: (k: number, error: string) => ControllerResult;
}

/** The compiled worker (from the sources under vitest, the built one beside dist/). */
const WORKER_URL = import.meta.url.endsWith(".ts") ? new URL("../../dist/sim/worker.js", import.meta.url) : new URL("./worker.js", import.meta.url);

export async function runTasks(tasks: readonly RunTask[], o: PoolOptions): Promise<ControllerResult[]> {
  const results = new Array<ControllerResult>(tasks.length);
  if (tasks.length === 0) return results;
  let next = 0;
  const n = Math.max(1, Math.min(o.jobs, tasks.length));
  const one = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const w = new Worker(WORKER_URL, { workerData: { load: o.load ?? {} } });
      let current = -1;
      const finish = (k: number, r: ControllerResult): void => {
        results[k] = r;
        o.onResult?.(k, r);
      };
      const feed = (): void => {
        if (next >= tasks.length) {
          current = -1;
          w.postMessage({ kind: "exit" } satisfies WorkerRequest);
          return;
        }
        current = next++;
        w.postMessage({ kind: "run", k: current, task: tasks[current] } satisfies WorkerRequest);
      };
      w.on("message", (m: WorkerReply) => {
        if (m.kind === "ready") feed();
        else if (m.kind === "progress") o.onProgress?.(m.k, m.fraction);
        else if (m.kind === "result") {
          finish(m.k, m.result);
          feed();
        } else {
          finish(m.k, o.failed(m.k, m.message));
          feed();
        }
      });
      w.on("error", (e) => {
        if (current >= 0) finish(current, o.failed(current, `the worker thread died: ${e.message}`));
        current = -1;
      });
      w.on("exit", () => {
        if (current >= 0) finish(current, o.failed(current, "the worker thread exited during the run"));
        resolve();
      });
    });
  const pool: Promise<void>[] = [];
  for (let i = 0; i < n; i++) pool.push(one());
  await Promise.all(pool);
  // Tasks a dead worker never reached: run by nobody, reported as failed.
  for (let k = 0; k < tasks.length; k++) {
    if (results[k] !== undefined) continue;
    results[k] = o.failed(k, "no worker thread ran it");
    o.onResult?.(k, results[k]);
  }
  return results;
}
