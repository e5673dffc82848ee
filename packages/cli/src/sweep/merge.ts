/**
 * `irqlab sweep merge DIR… -o results.jsonl`: every cell's line once, in plan order.
 * Batch engines may run a cell twice (a retried shard, a speculative duplicate): identical
 * copies are dropped; copies that differ are a determinism bug and fail the merge naming
 * both places. Cells with no result are listed. The output depends only on the plan and the
 * cells' results, never on how they were sharded.
 */
import { CliError } from "../errors.js";
import type { CellRecord } from "./record.js";
import { EXIT_INCOMPLETE } from "./exit-codes.js";
import type { Plan } from "./plan.js";
import { readResults, writeFileAtomic, type ReadLine } from "./results-file.js";

export interface MergeResult {
  readonly text: string;
  readonly lines: readonly CellRecord[];
  readonly files: number;
  readonly duplicates: number;
  readonly missing: readonly { index: number; id: string; controller: string }[];
  readonly failed: readonly CellRecord[];
}

export function mergeResults(plan: Plan, dirs: readonly string[]): MergeResult {
  const { files, lines } = readResults(dirs, plan.planHash);
  const byId = new Map<string, ReadLine>();
  let duplicates = 0;
  const planned = new Map(plan.cells.map((c) => [c.id, c]));
  for (const l of lines) {
    const cell = planned.get(l.line.cell);
    if (!cell || cell.index !== l.line.index) throw new CliError(`${l.file}:${l.lineNo}:1: cell ${l.line.cell} is not in the plan`);
    const prev = byId.get(l.line.cell);
    if (!prev) byId.set(l.line.cell, l);
    else if (prev.text === l.text) duplicates++;
    else {
      throw new CliError(
        `cell ${l.line.cell} (index ${l.line.index}, ${l.line.controller}): two copies disagree — ${prev.file}:${prev.lineNo} and ${l.file}:${l.lineNo}; a cell is deterministic, so this is a bug (or the copies come from different irqlab builds)`,
      );
    }
  }
  const out: ReadLine[] = [];
  const missing: { index: number; id: string; controller: string }[] = [];
  for (const c of plan.cells) {
    const l = byId.get(c.id);
    if (l) out.push(l);
    else missing.push({ index: c.index, id: c.id, controller: c.controller });
  }
  const text = out.map((l) => l.text).join("\n") + (out.length ? "\n" : "");
  return {
    text,
    lines: out.map((l) => l.line),
    files: files.length,
    duplicates,
    missing,
    failed: out.filter((l) => l.line.status !== "ok").map((l) => l.line),
  };
}

/** Writes the merge atomically; incomplete merges are refused unless `allowMissing`. */
export function writeMerge(m: MergeResult, outPath: string, allowMissing: boolean): void {
  if (m.missing.length && !allowMissing) {
    const shown = m.missing.slice(0, 10).map((c) => `#${c.index} ${c.controller} ${c.id}`).join(", ");
    throw new CliError(
      `${m.missing.length} cell(s) have no result: ${shown}${m.missing.length > 10 ? ", …" : ""} (rerun their shards, or --allow-missing)`,
      EXIT_INCOMPLETE,
    );
  }
  try {
    writeFileAtomic(outPath, m.text);
  } catch (e) {
    throw new CliError(`cannot write ${outPath}: ${(e as Error).message}`);
  }
}
