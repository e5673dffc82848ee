/**
 * `irqlab sweep` as a function: expands the grid, skips cells whose id is already in the
 * output file (resume), runs the others on worker threads (cells in parallel, `jobs` at
 * once), and appends one JSON line per finished cell as it finishes (a kill loses at most
 * the cells in flight). When every cell is done the file is rewritten, atomically, in cell
 * order: the same bytes as `sweep merge` of the same grid run in shards. Returns every record
 * of the grid in cell order.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { CliError } from "../errors.js";
import { selectDrivers, type LoadOptions, type PluginSet } from "../plugins.js";
import { resolveCosts } from "../compare.js";
import { runTasks } from "../sim/parallel.js";
import { failedResult } from "../sim/results.js";
import { runController } from "../sim/runner.js";
import { planWorkload } from "../workload/plan.js";
import { expandGrid, type Cell, type Grid } from "./grid.js";
import { cellRecord, readRecords, type CellRecord } from "./record.js";
import { writeFileAtomic } from "./results-file.js";

export interface SweepOptions {
  /** JSON-lines output file (appended; resumed from when it exists). */
  readonly out?: string;
  /** Worker threads; 1 runs the cells on the calling thread. */
  readonly jobs: number;
  /** How `plugins` was loaded (each worker loads the same); required for jobs > 1. */
  readonly load?: LoadOptions;
  readonly onProgress?: (done: number, total: number, skipped: number) => void;
}

export interface SweepResult {
  readonly cells: readonly Cell[];
  readonly records: readonly CellRecord[];
  /** Cells found in the output file and not run again. */
  readonly resumed: number;
}

export async function runSweep(plugins: PluginSet, grid: Grid, o: SweepOptions): Promise<SweepResult> {
  if (!plugins.routing) throw new CliError("the routing package is not available (build it with: pnpm build)");
  const drivers = selectDrivers(plugins, grid.controllers.length ? grid.controllers : undefined);
  const cells = expandGrid(grid, drivers.map((d) => d.id), resolveCosts(grid.cost));
  const byId = new Map(cells.map((c) => [c.id, c]));
  const have = new Map<string, CellRecord>();
  if (o.out !== undefined && existsSync(o.out)) {
    const text = readFileSync(o.out, "utf8");
    for (const r of readRecords(text)) if (byId.has(r.cell)) have.set(r.cell, { ...r, index: byId.get(r.cell)!.index });
    // Start on a fresh line after a line cut short.
    if (text.length > 0 && !text.endsWith("\n")) appendFileSync(o.out, "\n");
  }
  const todo = cells.filter((c) => !have.has(c.id));
  const resumed = cells.length - todo.length;
  let done = resumed;
  o.onProgress?.(done, cells.length, resumed);
  const emit = (cell: Cell, rec: CellRecord): void => {
    have.set(cell.id, rec);
    if (o.out !== undefined) appendFileSync(o.out, JSON.stringify(rec) + "\n");
    o.onProgress?.(++done, cells.length, resumed);
  };
  const driverOf = new Map(drivers.map((d) => [d.id, d]));
  if (o.jobs <= 1 || o.load === undefined) {
    for (const cell of todo) {
      const c = driverOf.get(cell.controller)!;
      const r = runController(c, { routing: plugins.routing, modules: plugins.modulesFor(c) }, {
        workload: cell.workload,
        plan: planWorkload(cell.workload),
        cost: cell.cost,
        strict: cell.strict,
      });
      emit(cell, cellRecord(cell, r));
    }
  } else {
    await runTasks(
      todo.map((c) => ({ controller: c.controller, workload: c.workload, cost: c.cost, strict: c.strict })),
      {
        jobs: o.jobs,
        load: o.load,
        onResult: (k, r) => emit(todo[k], cellRecord(todo[k], r)),
        failed: (k, error) => failedResult(driverOf.get(todo[k].controller)!, error, planWorkload(todo[k].workload), todo[k].workload),
      },
    );
  }
  const records = cells.map((c) => have.get(c.id)!);
  if (o.out !== undefined) writeFileAtomic(o.out, records.map((r) => JSON.stringify(r) + "\n").join(""));
  return { cells, records, resumed };
}
