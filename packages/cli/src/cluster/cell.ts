/**
 * One sweep cell: the plan's workload with the cell's parameters applied, one controller,
 * deterministic output (no wall-clock figures), as one canonical JSON line. The same cell
 * gives the same line on any machine, so copies can be compared byte for byte.
 */
import { CliError } from "../errors.js";
import { runCompare, resolveCosts } from "../compare.js";
import type { PluginSet } from "../plugins.js";
import type { ControllerResult } from "../sim/results.js";
import { FieldError } from "../workload/fields.js";
import { validateWorkload } from "../workload/validate.js";
import type { Workload } from "../workload/types.js";
import { canonicalJson } from "./canonical.js";
import type { Cell, CellParams } from "./grid.js";
import type { Plan } from "./plan.js";

export interface CellLine {
  readonly cell: string;
  readonly index: number;
  readonly controller: string;
  readonly params: CellParams;
  readonly status: "ok" | "failed";
  readonly error?: string;
  readonly result?: ControllerResult;
}

/** Keeps `obj[key]`'s vCPUs that exist; none left = the field goes (spread over all vCPUs). */
function keepVcpus(obj: Record<string, unknown>, key: string, vcpus: number): void {
  const list = obj[key];
  if (!Array.isArray(list)) return;
  const kept = (list as number[]).filter((v) => v < vcpus);
  if (kept.length) obj[key] = kept;
  else delete obj[key];
}

/** The workload a cell runs (throws FieldError when the parameters leave the limits). */
export function cellWorkload(plan: Plan, params: CellParams): Workload {
  const w = structuredClone(plan.workload) as Record<string, unknown> & {
    devices?: Record<string, unknown>[];
    ipis?: Record<string, unknown> | null;
  };
  const rate = params.rate ?? 1;
  if (params.vcpus !== undefined) {
    w.vcpus = params.vcpus;
    for (const d of w.devices ?? []) keepVcpus(d, "affinity", params.vcpus);
    if (w.ipis) {
      keepVcpus(w.ipis, "from", params.vcpus);
      keepVcpus(w.ipis, "to", params.vcpus);
    }
  }
  if (rate !== 1) {
    for (const d of w.devices ?? []) if (typeof d.rate === "number") d.rate = d.rate * rate;
    if (w.ipis && typeof w.ipis.rate === "number") w.ipis.rate = w.ipis.rate * rate;
  }
  if (params.seed !== undefined) w.seed = params.seed;
  if (plan.duration !== null) w.duration = plan.duration;
  return validateWorkload(w);
}

export function runCell(plugins: PluginSet, plan: Plan, cell: Cell): CellLine {
  const base = { cell: cell.id, index: cell.index, controller: cell.controller, params: cell.params };
  try {
    const workload = cellWorkload(plan, cell.params);
    const report = runCompare(plugins, {
      workload,
      controllers: [cell.controller],
      cost: resolveCosts(cell.params.cost),
      strict: cell.params.strict,
      deterministic: true,
    });
    const result = report.controllers[0];
    return { ...base, status: result.status, ...(result.error ? { error: result.error } : {}), result };
  } catch (e) {
    if (e instanceof CliError || e instanceof FieldError) return { ...base, status: "failed", error: e.message };
    throw e;
  }
}

export function cellLineText(line: CellLine): string {
  return canonicalJson(line);
}
