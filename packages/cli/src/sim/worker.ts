/**
 * The worker thread of parallel.ts: loads the plugins once, then runs tasks until told to
 * exit. reflect-metadata must load before any decorated class: @irqlab/core's entry does.
 */
import "@irqlab/core";
import { parentPort, workerData } from "node:worker_threads";
import { loadPluginSet, selectDrivers, type LoadOptions } from "../plugins.js";
import { planWorkload } from "../workload/plan.js";
import type { WorkerReply, WorkerRequest } from "./parallel.js";
import { reason } from "./results.js";
import { runController } from "./runner.js";

const port = parentPort!;
const post = (m: WorkerReply): void => port.postMessage(m);
const plugins = loadPluginSet((workerData as { load: LoadOptions }).load);

port.on("message", (m: WorkerRequest) => {
  if (m.kind === "exit") {
    port.close();
    return;
  }
  void plugins.then(
    (set) => {
      try {
        const t = m.task;
        const [c] = selectDrivers(set, [t.controller]);
        if (!set.routing) throw new Error("the routing package is not available in the worker");
        let last = -1;
        const result = runController(c, { routing: set.routing, modules: set.modulesFor(c), profile: t.profile }, {
          workload: t.workload,
          plan: planWorkload(t.workload),
          cost: t.cost,
          strict: t.strict,
          deadlineMs: t.deadlineEpochMs === undefined ? undefined : performance.now() + (t.deadlineEpochMs - Date.now()),
          onProgress: (f) => {
            const pct = Math.floor(f * 100);
            if (pct !== last) {
              last = pct;
              post({ kind: "progress", k: m.k, fraction: f });
            }
          },
        });
        post({ kind: "result", k: m.k, result });
      } catch (e) {
        post({ kind: "error", k: m.k, message: reason(e) });
      }
    },
    (e: unknown) => post({ kind: "error", k: m.k, message: `loading the plugins in the worker failed: ${reason(e)}` }),
  );
});
post({ kind: "ready" });
