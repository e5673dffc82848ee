/** Reading a grid file and writing the sweep report (atomically: a temp file renamed). */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { loadWorkload } from "../compare.js";
import { CliError } from "../errors.js";
import { FieldError } from "../workload/fields.js";
import { parseGrid, type Grid } from "./grid.js";
import type { CellRecord } from "./record.js";
import { renderSweepHtml } from "./report.js";
import { writeFileAtomic } from "./results-file.js";

export function readGrid(file: string): Grid {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read grid file ${file}: ${(e as Error).message}`, 2);
  }
  try {
    return parseGrid(text, basename(file), loadWorkload);
  } catch (e) {
    if (e instanceof FieldError) throw new CliError(`${file}: ${e.message}`, 2);
    throw e;
  }
}

export function writeSweepReport(dir: string, title: string, records: readonly CellRecord[]): string {
  const path = join(dir, "sweep.html");
  writeFileAtomic(path, renderSweepHtml(title, records));
  return path;
}
