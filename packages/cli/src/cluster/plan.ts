/**
 * A sweep plan: every cell of a grid in a fixed order, the resolved workload, the irqlab
 * version that made it and a hash of the whole plan. Any machine running any shard of it
 * runs exactly these cells; result files carry the plan hash, so results of another plan
 * (or of another irqlab version) are never mixed in.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { CliError } from "../errors.js";
import type { Workload } from "../workload/types.js";
import { loadWorkload } from "../compare.js";
import { FieldError, parseJson } from "../workload/fields.js";
import { validateWorkload, workloadToJson } from "../workload/validate.js";
import { contentHash } from "./canonical.js";
import { EXIT_NO_RETRY } from "./exit-codes.js";
import { expandCells, type Cell, type Grid } from "./grid.js";

export const PLAN_TOOL = "irqlab sweep plan";
export const PLAN_FORMAT = 1;

export interface Plan {
  readonly tool: typeof PLAN_TOOL;
  readonly format: typeof PLAN_FORMAT;
  readonly version: string;
  readonly workload: Record<string, unknown>;
  readonly duration: string | number | null;
  readonly axes: Grid["axes"];
  readonly controllers: readonly string[];
  readonly cells: readonly Cell[];
  /** sha256 over every other field. */
  readonly planHash: string;
}

/** Resolves the grid's workload: a built-in name, a path relative to the grid file, or an object. */
export function resolveGridWorkload(grid: Grid, gridFile: string | null): Workload {
  const w = grid.workload;
  if (typeof w === "string") {
    const asPath = gridFile && !isAbsolute(w) && /[/\\.]/.test(w) ? resolve(dirname(gridFile), w) : w;
    return loadWorkload(asPath);
  }
  try {
    return validateWorkload(w);
  } catch (e) {
    if (e instanceof FieldError) throw new CliError(`grid workload: ${e.message}`, 2);
    throw e;
  }
}

export function makePlan(grid: Grid, workload: Workload, controllers: readonly string[], version: string): Plan {
  const workloadJson = workloadToJson(workload);
  const body = {
    tool: PLAN_TOOL,
    format: PLAN_FORMAT,
    version,
    workload: workloadJson,
    duration: grid.duration,
    axes: grid.axes,
    controllers: [...controllers],
    cells: expandCells(grid, workloadJson, controllers),
  } as const;
  return { ...body, planHash: contentHash(body) };
}

/** The plan file as written (one cell per line, so a diff of two plans reads well). */
export function planToText(plan: Plan): string {
  const { cells, ...head } = plan;
  const lines = cells.map((c) => "    " + JSON.stringify(c));
  const headText = JSON.stringify(head, null, 2);
  return `${headText.slice(0, -2)},\n  "cells": [\n${lines.join(",\n")}\n  ]\n}\n`;
}

/**
 * Reads and checks a plan: its format, its hash (a hand-edited or truncated plan is refused)
 * and, when `version` is given, that it was made by this irqlab version. Errors exit with
 * the no-retry code: running it again cannot help.
 */
export function readPlan(path: string, version?: string): Plan {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CliError(`cannot read plan ${path}: ${(e as Error).message}`, EXIT_NO_RETRY);
  }
  let data: unknown;
  try {
    data = parseJson(text.replace(/^\uFEFF/, ""), path);
  } catch (e) {
    throw new CliError((e as Error).message, EXIT_NO_RETRY);
  }
  const p = data as Partial<Plan> | null;
  if (p === null || typeof p !== "object" || p.tool !== PLAN_TOOL || p.format !== PLAN_FORMAT || !Array.isArray(p.cells) || typeof p.planHash !== "string") {
    throw new CliError(`${path}: not an irqlab sweep plan (format ${PLAN_FORMAT}); make one with: irqlab sweep plan GRID.json -o plan.json`, EXIT_NO_RETRY);
  }
  const { planHash, ...body } = p as Plan;
  if (contentHash(body) !== planHash) throw new CliError(`${path}: plan hash mismatch (the file was changed or truncated after it was made)`, EXIT_NO_RETRY);
  if (version !== undefined && p.version !== version) {
    throw new CliError(`${path}: made by irqlab ${p.version}, this is irqlab ${version} (results would not be comparable)`, EXIT_NO_RETRY);
  }
  return p as Plan;
}
