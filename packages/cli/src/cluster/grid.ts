/**
 * A sweep grid: one workload, a set of controllers and axes of parameters; its cells are
 * every combination of axis values times every controller, in a fixed order (first axis
 * outermost, controllers innermost), each with a content-hash id.
 *
 *   {
 *     "workload": "default",                 built-in name, file (relative to the grid) or object
 *     "controllers": ["xics", "mpic-4.2"],   optional: every loaded controller
 *     "duration": "5ms",                     optional: overrides the workload's
 *     "axes": { "rate": [0.5, 1, 2], "vcpus": [1, 2], "seed": [1], "cost.hcall": [300], "strict": [false] }
 *   }
 *
 * Axes: `rate` multiplies every device's and the IPIs' rate; `vcpus` sets the vCPU count
 * (affinity lists keep the vCPUs that exist); `seed`; `strict`; `cost.KEY` sets one
 * cost-model value (simulated ns).
 */
import { COST_KEYS, type CostModel } from "../sim/cost-model.js";
import { FieldError, parseJson } from "../workload/fields.js";
import { contentHash } from "./canonical.js";

export type AxisValue = number | boolean | string;

export interface Grid {
  /** The workload as given (name, path or object). */
  readonly workload: unknown;
  readonly controllers: readonly string[] | null;
  readonly duration: string | number | null;
  /** Axis name -> values, in the order given. */
  readonly axes: readonly (readonly [string, readonly AxisValue[]])[];
}

/** What one cell changes from the workload and default costs. */
export interface CellParams {
  rate?: number;
  vcpus?: number;
  seed?: number;
  strict?: boolean;
  cost?: Partial<CostModel>;
}

export interface Cell {
  readonly index: number;
  /** 16 hex digits of sha256 over {workload, duration, controller, params}. */
  readonly id: string;
  readonly controller: string;
  readonly params: CellParams;
}

const MAX_CELLS = 1_000_000;
const AXES = ["rate", "vcpus", "seed", "strict"] as const;

function axisError(path: string, problem: string): never {
  throw new FieldError(path, problem);
}

function checkAxis(name: string, values: unknown): AxisValue[] {
  const path = `axes.${name}`;
  if (!Array.isArray(values) || values.length === 0) axisError(path, "must be a non-empty array");
  const out: AxisValue[] = [];
  values.forEach((v, i) => {
    const p = `${path}[${i}]`;
    if (name === "rate") {
      if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > 1e6) axisError(p, "must be a rate multiplier > 0");
    } else if (name === "vcpus") {
      if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 1024) axisError(p, "must be a vCPU count 1..1024");
    } else if (name === "seed") {
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffffffff) axisError(p, "must be an integer 0..2^32-1");
    } else if (name === "strict") {
      if (typeof v !== "boolean") axisError(p, "must be true or false");
    } else if (name.startsWith("cost.")) {
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1e9) axisError(p, "must be simulated ns 0..1e9");
    }
    if (out.some((x) => x === v)) axisError(p, `repeats the value ${String(v)}`);
    out.push(v as AxisValue);
  });
  return out;
}

/** Validates a parsed grid object (every error names its field). */
export function validateGrid(data: unknown): Grid {
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new FieldError("grid", "must be an object");
  const o = data as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!["$schema", "workload", "controllers", "duration", "axes"].includes(k)) throw new FieldError(k, "is not a grid field (workload, controllers, duration, axes)");
  }
  if (o.workload === undefined) throw new FieldError("workload", "is required (a built-in name, a file or an object)");
  if (typeof o.workload !== "string" && (o.workload === null || typeof o.workload !== "object")) throw new FieldError("workload", "must be a name, a path or an object");
  let controllers: string[] | null = null;
  if (o.controllers !== undefined) {
    if (!Array.isArray(o.controllers) || o.controllers.length === 0 || o.controllers.some((c) => typeof c !== "string" || c === "")) {
      throw new FieldError("controllers", "must be a non-empty array of controller ids");
    }
    controllers = [...(o.controllers as string[])];
    if (new Set(controllers).size !== controllers.length) throw new FieldError("controllers", "names a controller twice");
  }
  const duration = o.duration === undefined ? null : (o.duration as string | number);
  if (duration !== null && typeof duration !== "string" && typeof duration !== "number") throw new FieldError("duration", "must be ns or a string like \"5ms\"");
  const axes: [string, AxisValue[]][] = [];
  if (o.axes !== undefined) {
    if (o.axes === null || typeof o.axes !== "object" || Array.isArray(o.axes)) throw new FieldError("axes", "must be an object of arrays");
    for (const [name, values] of Object.entries(o.axes as Record<string, unknown>)) {
      const known = (AXES as readonly string[]).includes(name) || (name.startsWith("cost.") && (COST_KEYS as readonly string[]).includes(name.slice(5)));
      if (!known) throw new FieldError(`axes.${name}`, `is not an axis (${AXES.join(", ")}, cost.<${COST_KEYS.join("|")}>)`);
      axes.push([name, checkAxis(name, values)]);
    }
  }
  return { workload: o.workload, controllers, duration, axes };
}

/** Parses a grid file's text (a leading BOM is accepted); errors name the file and the field. */
export function parseGridText(text: string, origin = "grid"): Grid {
  const data = parseJson(text.replace(/^\uFEFF/, ""), origin);
  try {
    return validateGrid(data);
  } catch (e) {
    if (e instanceof FieldError) throw new FieldError(`${origin}: ${e.path}`, e.problem);
    throw e;
  }
}

/** The cells of a grid in their fixed order. `workloadJson` is the resolved workload. */
export function expandCells(grid: Grid, workloadJson: unknown, controllers: readonly string[]): Cell[] {
  let count = controllers.length;
  for (const [, v] of grid.axes) count *= v.length;
  if (count > MAX_CELLS) throw new FieldError("axes", `make ${count} cells (at most ${MAX_CELLS})`);
  const cells: Cell[] = [];
  const idx = grid.axes.map(() => 0);
  for (;;) {
    const params: CellParams = {};
    grid.axes.forEach(([name, values], i) => {
      const v = values[idx[i]];
      if (name.startsWith("cost.")) params.cost = { ...params.cost, [name.slice(5)]: v as number };
      else (params as Record<string, AxisValue>)[name] = v;
    });
    for (const controller of controllers) {
      const id = contentHash({ workload: workloadJson, duration: grid.duration, controller, params }, 16);
      cells.push({ index: cells.length, id, controller, params });
    }
    let k = grid.axes.length - 1;
    while (k >= 0 && ++idx[k] === grid.axes[k][1].length) idx[k--] = 0;
    if (k < 0) break;
  }
  return cells;
}
