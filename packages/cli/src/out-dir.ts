/**
 * `--out DIR`: checked before the run, written atomically.
 *
 *   checkOutDir(dir)   refuses "" (it would mean the current directory), "-" and anything
 *                      starting with "-" (an option swallowed as the value: `--out --json`);
 *                      creates DIR and its parents; proves DIR writable by creating and
 *                      removing a probe file; all before a simulation second is spent.
 *   writeAtomically    each file is written to a fresh temporary file in DIR (created
 *                      exclusively: O_EXCL never follows a symlink), then renamed over its
 *                      name (rename replaces a planted symlink itself, never its target). Every
 *                      temporary is complete before the first rename, so a failure or a kill
 *                      leaves the old files, never a truncated or mismatched pair.
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync, constants } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { escapeControl } from "@irqlab/core";
import { CliError, EXIT_USAGE } from "./errors.js";

const fail = (dir: string, why: string, code?: number) => new CliError(`cannot write the report to ${dir === "" ? '""' : escapeControl(String(dir))}: ${why}`, code);

/** Validates and creates the report directory, proving it writable. */
export function checkOutDir(dir: string): void {
  if (typeof dir !== "string" || dir.trim() === "") throw fail(dir, "--out needs a directory name (an empty one would write into the current directory)", EXIT_USAGE);
  if (dir === "-" || dir.startsWith("-")) {
    throw fail(dir, `--out takes a directory, not ${dir === "-" ? '"-" (stdout: use --json)' : "an option (give the directory right after --out)"}`, EXIT_USAGE);
  }
  const abs = resolve(dir);
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    let isDir: boolean | null = null;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw fail(dir, (e as Error).message);
    }
    if (isDir === false) throw fail(dir, `${p} is not a directory`);
    if (isDir) break;
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  // Not mkdirSync(dir, { recursive: true }): on Node 20 that never returns under /proc.
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw fail(dir, (e as Error).message);
    }
  }
  const probe = tempName(abs, ".probe");
  try {
    closeSync(openSync(probe, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
    unlinkSync(probe);
  } catch (e) {
    throw fail(dir, (e as Error).message);
  }
}

let seq = 0;
function tempName(dir: string, name: string): string {
  return join(dir, `.${name}.${process.pid}.${Date.now().toString(36)}.${(seq++).toString(36)}.tmp`);
}

/** Writes every file to a temporary in `dir`, then renames them into place. Returns their paths. */
export function writeAtomically(dir: string, files: ReadonlyArray<{ name: string; content: string }>): string[] {
  checkOutDir(dir);
  const temps: string[] = [];
  try {
    for (const f of files) {
      const t = tempName(resolve(dir), f.name);
      const fd = openSync(t, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
      temps.push(t);
      try {
        const buf = Buffer.from(f.content, "utf8");
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    // A name a rename cannot replace (a directory sits there) fails before the first rename.
    for (const f of files) {
      let st: ReturnType<typeof lstatSync> | null = null;
      try {
        st = lstatSync(join(dir, f.name));
      } catch {
        st = null;
      }
      if (st?.isDirectory()) throw fail(dir, `${join(dir, f.name)} is a directory`);
    }
    const out: string[] = [];
    files.forEach((f, i) => {
      const target = join(dir, f.name);
      renameSync(temps[i], target);
      out.push(target);
    });
    return out;
  } catch (e) {
    for (const t of temps) {
      try {
        unlinkSync(t);
      } catch {
        // already renamed or never created
      }
    }
    throw e instanceof CliError ? e : fail(dir, (e as Error).message);
  }
}
