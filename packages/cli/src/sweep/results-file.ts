/**
 * Result files of sweep shards. Each attempt of a shard writes its own file
 * (`shard-I-of-N.ATTEMPT.jsonl`): a header line, then one line per finished cell. The file
 * is rewritten whole and renamed into place (a temporary opened with O_EXCL, then rename),
 * so a reader never sees a half-written line, a kill loses at most the cells since the last
 * flush, no two writers ever share a file, and a symlink planted at the target is replaced,
 * not followed.
 */
import { closeSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { CliError } from "../errors.js";
import type { CellRecord } from "./record.js";
import { EXIT_NO_RETRY } from "./exit-codes.js";
import type { Shard } from "./shard.js";

export const RESULTS_TOOL = "irqlab sweep results";

export interface ResultsHeader {
  readonly tool: typeof RESULTS_TOOL;
  readonly format: 1;
  readonly planHash: string;
  readonly version: string;
  readonly shard: Shard;
  readonly attempt: string;
}

/** Writes `path` atomically: a fresh temporary beside it, then rename. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, "wx", 0o644);
    writeSync(fd, text);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
}

export class AttemptWriter {
  readonly path: string;
  private readonly lines: string[] = [];
  private readonly header: string;

  constructor(dir: string, planHash: string, version: string, shard: Shard, attempt = defaultAttemptId()) {
    const h: ResultsHeader = { tool: RESULTS_TOOL, format: 1, planHash, version, shard, attempt };
    this.header = JSON.stringify(h);
    this.path = join(dir, `shard-${shard.index}-of-${shard.count}.${attempt}.jsonl`);
  }

  add(lineText: string): void {
    this.lines.push(lineText);
  }

  get count(): number {
    return this.lines.length;
  }

  flush(): void {
    writeFileAtomic(this.path, [this.header, ...this.lines].join("\n") + "\n");
  }
}

export function defaultAttemptId(): string {
  const host = hostname().replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40) || "host";
  return `${host}-${process.pid}-${Date.now().toString(36)}`;
}

export interface ReadLine {
  readonly text: string;
  readonly line: CellRecord;
  readonly file: string;
  readonly lineNo: number;
}

export interface ResultSet {
  readonly files: string[];
  readonly lines: ReadLine[];
}

/**
 * Every cell line of every result file (`*.jsonl`, not temporaries) in `dirs` made for
 * `planHash`. A file of another plan or a malformed line is an error naming file:line,
 * unless `otherPlans` is "skip" (resume: another sweep's files may share the directory).
 */
export function readResults(dirs: readonly string[], planHash: string, otherPlans: "error" | "skip" = "error"): ResultSet {
  const files: string[] = [];
  const lines: ReadLine[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith(".jsonl") && !n.startsWith(".") && !n.includes(".tmp-")).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new CliError(`cannot read results directory ${dir}: ${(e as Error).message}`);
    }
    for (const name of names) {
      const file = join(dir, name);
      const text = readFileSync(file, "utf8");
      const rows = text.split("\n");
      if (rows.at(-1) === "") rows.pop();
      let header: Partial<ResultsHeader>;
      try {
        header = JSON.parse(rows[0] ?? "") as Partial<ResultsHeader>;
      } catch {
        header = {};
      }
      if (header.tool !== RESULTS_TOOL) {
        if (otherPlans === "skip") continue;
        throw new CliError(`${file}:1:1: not an irqlab sweep result file`, EXIT_NO_RETRY);
      }
      if (header.planHash !== planHash) {
        if (otherPlans === "skip") continue;
        throw new CliError(`${file}:1:1: results of another plan (${String(header.planHash).slice(0, 12)}…, expected ${planHash.slice(0, 12)}…)`, EXIT_NO_RETRY);
      }
      files.push(file);
      for (let i = 1; i < rows.length; i++) {
        let line: CellRecord;
        try {
          line = JSON.parse(rows[i]) as CellRecord;
        } catch (e) {
          throw new CliError(`${file}:${i + 1}:1: malformed result line (${(e as Error).message})`);
        }
        if (typeof line?.cell !== "string" || !Number.isInteger(line.index)) throw new CliError(`${file}:${i + 1}:1: result line without a cell id`);
        lines.push({ text: rows[i], line, file, lineNo: i + 1 });
      }
    }
  }
  return { files, lines };
}
