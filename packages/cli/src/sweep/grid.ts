/**
 * A sweep grid: one workload, axes of parameter values, the controllers. The grid expands
 * into cells in a fixed order (axes in the order the grid lists them, the first varying
 * slowest, values in listed order; the controller innermost), and each cell has a content
 * hash id over exactly what determines its result (the effective workload, the cost model,
 * strict, the controller id), so the same cell has the same id in any grid, in any run, on
 * any machine. That is what resume (skip cells already in the output) and a later
 * plan / shard / merge rely on.
 *
 *   GRID.json  { "workload": "default" | {...} | "file.json",
 *                "controllers": ["xics", ...],             optional: every registered one
 *                "axes": { "rate": [0.5, 1, 2],            multiplies every device and IPI rate
 *                          "vcpus": [2, 4, 8],             vCPU count (affinities taken modulo)
 *                          "vectors": [4, 16],             MSI vectors of every MSI device
 *                          "duration": ["10ms"],           arrival period
 *                          "seed": [1, 2],
 *                          "cost.hcallNs": [500, 1000] },  any cost-model value
 *                "cost": { "mmioNs": 1200 },               optional base cost model
 *                "strict": false }
 */
import { createHash } from "node:crypto";
import { COST_KEYS, type CostModel } from "../sim/cost-model.js";
import { FieldError, array, describe as show, object, parseJson } from "../workload/fields.js";
import type { Workload } from "../workload/types.js";
import { validateWorkload, workloadToJson } from "../workload/validate.js";

export const BASE_AXES = ["rate", "vcpus", "vectors", "duration", "seed"] as const;
export const COST_AXES = COST_KEYS.map((k) => `cost.${k}`);
export const AXES: readonly string[] = [...BASE_AXES, ...COST_AXES];

export type AxisValue = number | string;

export interface Grid {
  readonly workload: Workload;
  /** Controller ids; empty = every registered one (resolved by the caller). */
  readonly controllers: readonly string[];
  readonly axes: readonly { readonly name: string; readonly values: readonly AxisValue[] }[];
  readonly cost: Partial<CostModel>;
  readonly strict: boolean;
}

export interface Cell {
  /** Position in the grid's fixed order. */
  readonly index: number;
  /** Content hash (16 hex digits) of what determines the result. */
  readonly id: string;
  readonly controller: string;
  /** Axis name -> value, in axis order. */
  readonly params: Readonly<Record<string, AxisValue>>;
  readonly workload: Workload;
  readonly cost: CostModel;
  readonly strict: boolean;
}

/** Parses and checks a grid (`load` resolves the workload: a built-in name, a file, or inline). */
export function parseGrid(text: string, origin: string, load: (spec: string) => Workload): Grid {
  const g = object(parseJson(text, origin), "grid", ["workload", "controllers", "axes", "cost", "strict"]);
  const workload = typeof g.workload === "string" ? load(g.workload) : g.workload === undefined ? load("default") : validateWorkload(g.workload);
  const controllers = g.controllers === undefined ? [] : array(g.controllers, "grid.controllers").map((c, i) => {
    if (typeof c !== "string" || c === "") throw new FieldError(`grid.controllers[${i}]`, `must be a controller id (got ${show(c)})`);
    return c;
  });
  const rawAxes = g.axes === undefined ? {} : object(g.axes, "grid.axes", AXES);
  const axes = Object.entries(rawAxes).map(([name, v]) => {
    const values = array(v, `grid.axes.${name}`);
    if (values.length === 0) throw new FieldError(`grid.axes.${name}`, "needs at least one value");
    values.forEach((x, i) => {
      const ok = name === "duration" ? typeof x === "string" || typeof x === "number" : typeof x === "number" && Number.isFinite(x);
      if (!ok) throw new FieldError(`grid.axes.${name}[${i}]`, `must be a ${name === "duration" ? "duration" : "number"} (got ${show(x)})`);
      if (name === "rate" && !((x as number) > 0)) throw new FieldError(`grid.axes.rate[${i}]`, "a rate multiplier must be > 0");
    });
    if (new Set(values.map((x) => JSON.stringify(x))).size !== values.length) throw new FieldError(`grid.axes.${name}`, "lists a value twice");
    return { name, values: values as AxisValue[] };
  });
  const cost: Partial<Record<keyof CostModel, number>> = {};
  if (g.cost !== undefined) {
    for (const [k, v] of Object.entries(object(g.cost, "grid.cost", COST_KEYS))) {
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1e9) throw new FieldError(`grid.cost.${k}`, "must be a number of simulated ns (0 to 1e9)");
      cost[k as keyof CostModel] = v;
    }
  }
  if (g.strict !== undefined && typeof g.strict !== "boolean") throw new FieldError("grid.strict", "must be true or false");
  return { workload, controllers, axes, cost, strict: g.strict === true };
}

/** The workload of one cell: the grid's, with the cell's axis values applied, validated. */
export function applyParams(base: Workload, params: Readonly<Record<string, AxisValue>>): Workload {
  const raw = workloadToJson(base) as Record<string, unknown> & { devices: Record<string, unknown>[]; ipis?: Record<string, unknown> };
  const rate = params.rate as number | undefined;
  const vcpus = params.vcpus as number | undefined;
  const mod = (xs: unknown): number[] | undefined => (Array.isArray(xs) && vcpus !== undefined ? [...new Set((xs as number[]).map((v) => v % vcpus))] : (xs as number[] | undefined));
  if (vcpus !== undefined) raw.vcpus = vcpus;
  if (params.duration !== undefined) raw.duration = params.duration;
  if (params.seed !== undefined) raw.seed = params.seed;
  raw.devices = raw.devices.map((d) => {
    const out: Record<string, unknown> = { ...d };
    if (rate !== undefined) out.rate = (d.rate as number) * rate;
    if (params.vectors !== undefined && d.kind === "msi") out.vectors = params.vectors;
    if (d.affinity !== undefined) out.affinity = mod(d.affinity);
    return out;
  });
  if (raw.ipis) {
    const ipis: Record<string, unknown> = { ...raw.ipis };
    if (rate !== undefined) ipis.rate = (ipis.rate as number) * rate;
    if (ipis.from !== undefined) ipis.from = mod(ipis.from);
    if (ipis.to !== undefined) ipis.to = mod(ipis.to);
    raw.ipis = ipis;
  }
  const parts = Object.entries(params).map(([k, v]) => `${k}=${v}`);
  try {
    return validateWorkload(raw);
  } catch (e) {
    if (e instanceof FieldError) throw new FieldError(`grid cell ${parts.join(", ")}`, e.message);
    throw e;
  }
}

/** Canonical JSON (object keys sorted) for hashing. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

export function cellId(workload: Workload, cost: CostModel, strict: boolean, controller: string): string {
  const text = canonical({ v: 1, workload: workloadToJson(workload), cost, strict, controller });
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** Every cell of the grid, in the fixed order. `baseCost` is the resolved cost model. */
export function expandGrid(grid: Grid, controllers: readonly string[], baseCost: CostModel): Cell[] {
  const cells: Cell[] = [];
  const combos: Record<string, AxisValue>[] = [{}];
  for (const axis of grid.axes) {
    const next: Record<string, AxisValue>[] = [];
    for (const c of combos) for (const v of axis.values) next.push({ ...c, [axis.name]: v });
    combos.splice(0, combos.length, ...next);
  }
  for (const params of combos) {
    const workload = applyParams(grid.workload, params);
    const cost = { ...baseCost };
    for (const [k, v] of Object.entries(params)) if (k.startsWith("cost.")) cost[k.slice(5) as keyof CostModel] = v as number;
    for (const controller of controllers) {
      cells.push({ index: cells.length, id: cellId(workload, cost, grid.strict, controller), controller, params, workload, cost, strict: grid.strict });
    }
  }
  return cells;
}
