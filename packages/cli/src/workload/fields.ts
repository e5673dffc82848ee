/**
 * Small helpers for validating JSON input field by field. Every failure is a `FieldError`
 * whose message starts with the field path (`workload.devices[2].rate: must be ...`), so a
 * user can find the bad field without reading the validator.
 */

import { escapeControl } from "@irqlab/core";
import { jsonSyntaxError, lineCol, located } from "./json-scan.js";

export class FieldError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = "FieldError";
  }
}

/** JSON text that does not parse: where (line and column, 1-based) and what. */
export class JsonSyntaxError extends FieldError {
  constructor(
    origin: string,
    readonly line: number,
    readonly column: number,
    readonly what: string,
  ) {
    super(origin, `invalid JSON at line ${line}, column ${column}: ${what}`);
  }

  /** The one-line form `file:line:col: what` (control characters escaped). */
  located(file: string): string {
    return located(file, this.line, this.column, `invalid JSON: ${this.what}`);
  }
}

/**
 * JSON.parse of input text, a UTF-8 byte-order mark accepted; a syntax error is a
 * JsonSyntaxError with the line and column (Node's own messages carry no position).
 */
export function parseJson(text: string, origin: string): unknown {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (t.trim() === "") throw new JsonSyntaxError(origin, 1, 1, "the file is empty");
  const bad = jsonSyntaxError(t);
  if (bad) {
    const { line, col } = lineCol(t, bad.pos);
    throw new JsonSyntaxError(origin, line, col, bad.what);
  }
  return JSON.parse(t);
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return escapeControl(JSON.stringify(v.length > 40 ? v.slice(0, 37) + "..." : v));
  if (typeof v === "object") return "an object";
  return String(v);
}

export function object(v: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new FieldError(path, `must be an object (got ${describe(v)})`);
  }
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) {
      throw new FieldError(`${path}.${k}`, `unknown field (expected one of: ${allowed.join(", ")})`);
    }
  }
  return v as Record<string, unknown>;
}

export function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new FieldError(path, `must be an array (got ${describe(v)})`);
  return v;
}

export function string(v: unknown, path: string, { nonEmpty = true } = {}): string {
  if (typeof v !== "string") throw new FieldError(path, `must be a string (got ${describe(v)})`);
  if (nonEmpty && v.trim() === "") throw new FieldError(path, "must not be empty");
  // Names and descriptions reach the terminal and the HTML report: no control characters
  // (an ESC sequence in a workload's name would drive the terminal).
  const ctl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.exec(v);
  if (ctl) throw new FieldError(path, `must not contain control characters (U+${ctl[0].charCodeAt(0).toString(16).padStart(4, "0")} at ${ctl.index})`);
  return v;
}

export function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  if (typeof v !== "string" || !values.includes(v as T)) {
    throw new FieldError(path, `must be one of ${values.map((x) => JSON.stringify(x)).join(", ")} (got ${describe(v)})`);
  }
  return v as T;
}

export function integer(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new FieldError(path, `must be an integer (got ${describe(v)})`);
  }
  if (v < min || v > max) throw new FieldError(path, `must be between ${min} and ${max} (got ${v})`);
  return v;
}

export function positive(v: unknown, path: string, max: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new FieldError(path, `must be a positive number (got ${describe(v)})`);
  }
  if (v > max) throw new FieldError(path, `must be at most ${max} (got ${v})`);
  return v;
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9 };

/** A duration: a number of nanoseconds, or a string with a unit ("500us", "20ms", "1.5s"). */
export function duration(v: unknown, path: string, max: number): number {
  let ns: number;
  if (typeof v === "number") ns = v;
  else if (typeof v === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)\s*$/.exec(v);
    if (!m) throw new FieldError(path, `must be a duration with a unit (ns, us, ms or s), like "500us" or "20ms" (got ${describe(v)})`);
    ns = Number(m[1]) * UNITS[m[2]];
  } else {
    throw new FieldError(path, `must be a number of ns or a string with a unit, like "20ms" (got ${describe(v)})`);
  }
  if (!Number.isFinite(ns) || ns <= 0) throw new FieldError(path, `must be a positive duration (got ${describe(v)})`);
  if (ns < 1) throw new FieldError(path, `must be at least 1 ns (got ${describe(v)})`);
  ns = Math.round(ns);
  if (ns > max) throw new FieldError(path, `must be at most ${formatNs(max)} (got ${formatNs(ns)})`);
  return ns;
}

/** "20ms", "1.5us", "800ns": the shortest exact-enough unit. */
export function formatNs(ns: number): string {
  if (ns >= 1e9 && ns % 1e6 === 0) return `${ns / 1e9}s`;
  if (ns >= 1e6 && ns % 1e3 === 0) return `${ns / 1e6}ms`;
  if (ns >= 1e3) return `${ns / 1e3}us`;
  return `${ns}ns`;
}
