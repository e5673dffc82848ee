/**
 * A sweep plan: the grid (its workload inline, so the plan stands alone), the controllers,
 * every cell's index and content-hash id in the grid's fixed order, the irqlab version that
 * made it and a hash of the whole plan. Any machine running any shard expands the same grid
 * to the same cells and checks their ids against the plan: a plan from another irqlab build
 * (whose cells would differ) or a hand-edited one is refused, never mixed in.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadWorkload, resolveCosts } from "../compare.js";
import { CliError } from "../errors.js";
import { FieldError, parseJson } from "../workload/fields.js";
import { workloadToJson } from "../workload/validate.js";
import { EXIT_NO_RETRY } from "./exit-codes.js";
import { canonical, expandGrid, parseGrid, type Cell, type Grid } from "./grid.js";

export const PLAN_TOOL = "irqlab sweep plan";
export const PLAN_FORMAT = 1;

export interface PlanCell {
  readonly index: number;
  readonly id: string;
  readonly controller: string;
}

export interface PlanFile {
  readonly tool: typeof PLAN_TOOL;
  readonly format: typeof PLAN_FORMAT;
  readonly version: string;
  /** The grid as a grid file would hold it, with the workload inline. */
  readonly grid: Record<string, unknown>;
  readonly controllers: readonly string[];
  readonly cells: readonly PlanCell[];
  /** sha256 over every other field. */
  readonly planHash: string;
}

/** A plan read back: the file, its grid and its cells (workload, cost, parameters). */
export interface Plan {
  readonly file: PlanFile;
  readonly grid: Grid;
  readonly cells: readonly Cell[];
  readonly planHash: string;
  readonly version: string;
  readonly controllers: readonly string[];
}

export function planHashOf(body: Omit<PlanFile, "planHash">): string {
  return createHash("sha256").update(canonical(body)).digest("hex");
}

function gridJson(grid: Grid, controllers: readonly string[]): Record<string, unknown> {
  return {
    workload: workloadToJson(grid.workload),
    controllers: [...controllers],
    axes: Object.fromEntries(grid.axes.map((a) => [a.name, [...a.values]])),
    ...(Object.keys(grid.cost).length ? { cost: grid.cost } : {}),
    ...(grid.strict ? { strict: true } : {}),
  };
}

export function makePlan(grid: Grid, controllers: readonly string[], version: string): Plan {
  const cells = expandGrid(grid, controllers, resolveCosts(grid.cost));
  const body = {
    tool: PLAN_TOOL,
    format: PLAN_FORMAT,
    version,
    grid: gridJson(grid, controllers),
    controllers: [...controllers],
    cells: cells.map((c) => ({ index: c.index, id: c.id, controller: c.controller })),
  } as const;
  const planHash = planHashOf(body);
  return { file: { ...body, planHash }, grid, cells, planHash, version, controllers };
}

/** The plan file as written: one cell per line, so two plans diff well. */
export function planToText(plan: Plan): string {
  const { cells, ...head } = plan.file;
  const headText = JSON.stringify(head, null, 2);
  return `${headText.slice(0, -2)},\n  "cells": [\n${cells.map((c) => "    " + JSON.stringify(c)).join(",\n")}\n  ]\n}\n`;
}

function refuse(msg: string): never {
  throw new CliError(msg, EXIT_NO_RETRY);
}

/**
 * Reads and checks a plan: format, hash (an edited or truncated plan is refused), the irqlab
 * version when `version` is given, and that its grid expands to exactly its cells here.
 * Every refusal exits with the no-retry code: running it again cannot help.
 */
export function readPlan(path: string, version?: string): Plan {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    refuse(`cannot read plan ${path}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseJson(text.replace(/^\uFEFF/, ""), path);
  } catch (e) {
    refuse((e as Error).message);
  }
  const p = data as Partial<PlanFile> | null;
  if (p === null || typeof p !== "object" || p.tool !== PLAN_TOOL || p.format !== PLAN_FORMAT || !Array.isArray(p.cells) || typeof p.planHash !== "string" || typeof p.grid !== "object" || !Array.isArray(p.controllers)) {
    refuse(`${path}: not an irqlab sweep plan (format ${PLAN_FORMAT}); make one with: irqlab sweep plan GRID.json -o plan.json`);
  }
  const { planHash, ...body } = p as PlanFile;
  if (planHashOf(body) !== planHash) refuse(`${path}: plan hash mismatch (the file was changed or truncated after it was made)`);
  if (version !== undefined && p.version !== version) refuse(`${path}: made by irqlab ${p.version}, this is irqlab ${version} (results would not be comparable)`);
  let grid: Grid;
  try {
    grid = parseGrid(JSON.stringify(p.grid), path, loadWorkload);
  } catch (e) {
    if (e instanceof FieldError || e instanceof CliError) refuse(`${path}: ${e.message}`);
    throw e;
  }
  const cells = expandGrid(grid, p.controllers as string[], resolveCosts(grid.cost));
  const same = cells.length === p.cells!.length && cells.every((c, i) => c.id === p.cells![i].id && c.controller === p.cells![i].controller);
  if (!same) refuse(`${path}: this irqlab expands the plan's grid to other cells (a plan made by another build); make the plan again`);
  return { file: p as PlanFile, grid, cells, planHash, version: p.version as string, controllers: p.controllers as string[] };
}
