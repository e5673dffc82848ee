/**
 * A worker thread of `irqlab sweep run`: loads the plugins and the plan once, then runs
 * the cells it is sent, answering each with its result line (or the error that stopped it).
 */
// reflect-metadata loads with @irqlab/core (imported by the modules below) before any decorated class.
import { parentPort, workerData } from "node:worker_threads";
import { loadPluginSet, type LoadOptions } from "../plugins.js";
import { cellLineText, runCell } from "./cell.js";
import { readPlan } from "./plan.js";

interface Init {
  readonly planPath: string;
  readonly load: LoadOptions;
}

const init = workerData as Init;
const port = parentPort!;
const plan = readPlan(init.planPath);
const plugins = await loadPluginSet(init.load);
port.on("message", (index: number) => {
  try {
    port.postMessage({ index, text: cellLineText(runCell(plugins, plan, plan.cells[index])) });
  } catch (e) {
    port.postMessage({ index, error: e instanceof Error ? e.message : String(e) });
  }
});
port.postMessage({ ready: true });
