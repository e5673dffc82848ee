/** `irqlab sweep status PLAN DIR…`: done, failed and missing cells of a plan, per shard count. */
import type { Plan } from "./plan.js";
import { readResults } from "./results-file.js";

export interface SweepStatus {
  readonly cells: number;
  readonly done: number;
  readonly failed: number;
  readonly missing: number;
  readonly files: number;
  readonly failedCells: readonly { index: number; controller: string; error: string }[];
}

export function sweepStatus(plan: Plan, dirs: readonly string[]): SweepStatus {
  const { files, lines } = readResults(dirs, plan.planHash, "skip");
  const seen = new Map<string, (typeof lines)[number]>();
  for (const l of lines) if (!seen.has(l.line.cell)) seen.set(l.line.cell, l);
  const failedCells: { index: number; controller: string; error: string }[] = [];
  let done = 0;
  for (const c of plan.cells) {
    const l = seen.get(c.id);
    if (!l) continue;
    if (l.line.status === "ok") done++;
    else failedCells.push({ index: c.index, controller: c.controller, error: l.line.error ?? "failed" });
  }
  return {
    cells: plan.cells.length,
    done,
    failed: failedCells.length,
    missing: plan.cells.length - done - failedCells.length,
    files: files.length,
    failedCells,
  };
}

/** One line: a bar of done (#), failed (!) and missing (.) cells, `width` characters wide. */
export function statusBar(s: SweepStatus, width = 40): string {
  const n = Math.max(1, s.cells);
  const d = Math.round((s.done / n) * width);
  const f = Math.min(width - d, Math.round((s.failed / n) * width));
  const bar = "#".repeat(d) + "!".repeat(f) + ".".repeat(Math.max(0, width - d - f));
  const pct = ((100 * (s.done + s.failed)) / n).toFixed(1);
  return `[${bar}] ${pct}%  ${s.done} done, ${s.failed} failed, ${s.missing} missing of ${s.cells} cells (${s.files} result files)`;
}
