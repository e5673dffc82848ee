/**
 * Reading a JSON input file (workload, VM description) the one way: size-capped before it is
 * read, invalid UTF-8 refused (not silently turned into U+FFFD), a UTF-8 byte-order mark
 * accepted (as replay does), and every syntax error reported as one line
 * `file:line:col: what`, with control characters escaped so nothing reaches the terminal raw.
 */
import { readFileSync, statSync } from "node:fs";
import { CliError, EXIT_USAGE } from "../errors.js";
import { lineCol, located } from "./json-scan.js";

/** The largest input file read (workloads are small; a 600 MB file is a mistake). */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/** The text of `path`: ENOENT passes through (the caller may look for a built-in name). */
export function readInputText(path: string): string {
  const size = statSync(path).size;
  if (size > MAX_INPUT_BYTES) {
    throw new CliError(`${located(path, 1, 1, `the file is ${size} bytes; input files are limited to ${MAX_INPUT_BYTES} bytes`)}`, EXIT_USAGE);
  }
  const bytes = readFileSync(path);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstBadUtf8(bytes);
    const prefix = new TextDecoder("utf-8").decode(bytes.subarray(0, at));
    const { line, col } = lineCol(prefix, prefix.length);
    throw new CliError(located(path, line, col, `invalid UTF-8 (byte 0x${bytes[at].toString(16).padStart(2, "0")} at offset ${at})`), EXIT_USAGE);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstBadUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 0) return i;
    if (n > 1) {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(i, i + n));
      } catch {
        return i;
      }
    }
    i += n;
  }
  return Math.max(0, b.length - 1);
}
