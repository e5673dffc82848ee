/**
 * Reader of QEMU oracle traces (shared/oracle/qemu/README.md, "Trace format"): one JSON
 * object per line, a `meta` record first, an `end` record last, one record per step in
 * between (`qtest`, `rtas`, `guest`, `hmp`, `qmp`, `sync`).
 */
import { readFileSync } from "node:fs";
import { CliError } from "../errors.js";

export interface IrqEvent {
  readonly line: number;
  readonly level: number;
}

export interface TraceMeta {
  readonly type: "meta";
  readonly scenario: string;
  readonly description?: string;
  readonly machine: string;
  readonly qemu_args?: readonly string[];
  readonly firmware?: string | null;
  readonly qemu_version?: string;
  readonly [k: string]: unknown;
}

interface StepBase {
  readonly seq: number;
  readonly step?: string;
  readonly src?: string;
  readonly note?: string;
  readonly irq?: readonly IrqEvent[];
  readonly levels?: Readonly<Record<string, number>>;
  readonly log?: readonly string[];
  readonly crashed?: boolean;
  readonly exit_status?: number;
}

export interface QtestRecord extends StepBase {
  readonly type: "qtest";
  readonly cmd: string;
  readonly resp?: string;
  readonly value?: number;
}

export interface RtasRecord extends StepBase {
  readonly type: "rtas";
  readonly name: string;
  readonly args: readonly number[];
  readonly nret: number;
  readonly found: boolean;
  readonly rets: readonly number[];
}

export interface GuestRecord extends StepBase {
  readonly type: "guest";
  readonly op: string;
  readonly opcode?: number;
  readonly args?: readonly number[];
  readonly nout?: number;
  readonly ret?: number;
  readonly outs?: readonly number[];
  readonly size?: number;
  readonly addr?: number;
  readonly value?: number;
  readonly data?: number;
}

export interface HmpRecord extends StepBase {
  readonly type: "hmp";
  readonly cmd: string;
  readonly output?: readonly string[];
  readonly parsed?: unknown;
}

export interface QmpRecord extends StepBase {
  readonly type: "qmp";
  readonly cmd: unknown;
  readonly resp?: unknown;
}

export interface SyncRecord extends StepBase {
  readonly type: "sync";
}

export type StepRecord = QtestRecord | RtasRecord | GuestRecord | HmpRecord | QmpRecord | SyncRecord;

export interface Trace {
  readonly origin: string;
  readonly meta: TraceMeta;
  readonly steps: readonly StepRecord[];
  readonly end: { readonly crashed: boolean; readonly exit_status: number } | null;
}

const STEP_TYPES = new Set(["qtest", "rtas", "guest", "hmp", "qmp", "sync"]);

/** The trace format this reader understands (meta.format; absent = 1). */
export const TRACE_FORMAT = 1;

/** Control characters (and the line separators JS treats as such) escaped for a message. */
export function escapeText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A value shown in a message: JSON, cut short, control characters escaped. */
function shown(v: unknown): string {
  let t: string;
  try {
    t = v === undefined ? "undefined" : (JSON.stringify(v) ?? String(v));
  } catch {
    t = String(v);
  }
  return escapeText(t.length > 40 ? `${t.slice(0, 37)}...` : t);
}

type Rec = Record<string, unknown>;
type Problem = (key: string | null, what: string) => never;

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** Checks the fields a record type carries (shared/oracle/qemu/README.md, "Trace format"). */
function checkFields(rec: Rec, bad: Problem): void {
  const int = (k: string, required = false) => {
    if (rec[k] === undefined) {
      if (required) bad(null, `${rec.type} record has no ${k}`);
      return;
    }
    if (!isInt(rec[k])) bad(k, `${k} must be an integer (got ${shown(rec[k])})`);
  };
  const str = (k: string, required = false) => {
    if (rec[k] === undefined) {
      if (required) bad(null, `${rec.type} record has no ${k}`);
      return;
    }
    if (typeof rec[k] !== "string") bad(k, `${k} must be a string (got ${shown(rec[k])})`);
  };
  const ints = (k: string, required = false) => {
    const v = rec[k];
    if (v === undefined) {
      if (required) bad(null, `${rec.type} record has no ${k}`);
      return;
    }
    if (!Array.isArray(v) || !v.every(isInt)) bad(k, `${k} must be an array of integers (got ${shown(v)})`);
  };
  const bool = (k: string, required = false) => {
    if (rec[k] === undefined) {
      if (required) bad(null, `${rec.type} record has no ${k}`);
      return;
    }
    if (typeof rec[k] !== "boolean") bad(k, `${k} must be true or false (got ${shown(rec[k])})`);
  };
  if (!isInt(rec.seq) || (rec.seq as number) < 0) bad(rec.seq === undefined ? null : "seq", `record has no integer seq >= 0 (got ${shown(rec.seq)})`);
  str("step");
  str("src");
  str("note");
  bool("crashed");
  int("exit_status");
  if (rec.irq !== undefined) {
    const ok = Array.isArray(rec.irq) && rec.irq.every((e: unknown) => typeof e === "object" && e !== null && isInt((e as Rec).line) && ((e as Rec).level === 0 || (e as Rec).level === 1));
    if (!ok) bad("irq", `irq must be a list of {"line": N, "level": 0|1} (got ${shown(rec.irq)})`);
  }
  // A record on which QEMU crashed carries only what was sent (it is never compared).
  if (rec.crashed === true) return;
  switch (rec.type) {
    case "qtest":
      str("cmd", true);
      str("resp");
      int("value");
      break;
    case "rtas":
      str("name", true);
      ints("args", true);
      int("nret", true);
      bool("found", true);
      ints("rets", true);
      break;
    case "guest":
      str("op", true);
      if (rec.op === "hcall") {
        int("opcode", true);
        ints("args");
        int("nout");
        int("ret", true);
        ints("outs");
      } else {
        int("size");
        int("addr", true);
        int("value");
        int("data");
      }
      break;
    case "hmp":
      str("cmd", true);
      if (rec.parsed !== undefined && rec.parsed !== null) checkParsedPic(rec.parsed, (what) => bad("parsed", what));
      break;
  }
}

const isObj = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);

/** `info pic` as the driver parses it (XICS icp/ics, XIVE tctx/eas): the fields replay reads. */
function checkParsedPic(p: unknown, bad: (what: string) => never): void {
  if (!isObj(p)) bad(`parsed must be an object or null (got ${shown(p)})`);
  const ints = (o: Rec, keys: string[], where: string) => {
    for (const k of keys) if (!isInt(o[k])) bad(`parsed ${where}.${k} must be an integer (got ${shown(o[k])})`);
  };
  const list = (v: unknown, where: string): Rec[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every(isObj)) bad(`parsed ${where} must be a list of objects (got ${shown(v)})`);
    return v as Rec[];
  };
  for (const icp of list(p.icp, "icp")) {
    ints(icp, ["cpu", "xirr", "pending_priority", "mfrr"], "icp[]");
    if (typeof icp.xirr_owner !== "boolean") bad(`parsed icp[].xirr_owner must be true or false (got ${shown(icp.xirr_owner)})`);
  }
  for (const ics of list(p.ics, "ics")) {
    for (const irq of list(ics.irqs, "ics[].irqs")) {
      ints(irq, ["irq", "priority", "status"], "ics[].irqs[]");
      if (typeof irq.type !== "string") bad(`parsed ics[].irqs[].type must be a string (got ${shown(irq.type)})`);
    }
  }
  if (p.tctx !== undefined) {
    if (!isObj(p.tctx)) bad(`parsed tctx must be an object (got ${shown(p.tctx)})`);
    for (const [cpu, rings] of Object.entries(p.tctx)) {
      if (!/^\d+$/.test(cpu) || !isObj(rings)) bad(`parsed tctx.${escapeText(cpu)} must be a CPU number mapping to rings (got ${shown(rings)})`);
      for (const [name, ring] of Object.entries(rings)) {
        if (!isObj(ring)) bad(`parsed tctx.${cpu}.${escapeText(name)} must be an object (got ${shown(ring)})`);
        ints(ring, ["nsr", "cppr", "ipb", "lsmfb", "ack", "inc", "age", "pipr"], `tctx.${cpu}.${escapeText(name)}`);
      }
    }
  }
  for (const e of list(p.eas, "eas")) {
    ints(e, ["lisn", "pq"], "eas[]");
    if (typeof e.type !== "string") bad(`parsed eas[].type must be a string (got ${shown(e.type)})`);
  }
}

/** The 1-based column of `"key"` in a raw line (1 when not found). */
function columnOf(raw: string, key: string | null): number {
  if (key === null) return 1;
  const i = raw.indexOf(`"${key}"`);
  return i < 0 ? 1 : i + 1;
}

/** Line and column of a JSON.parse error position in one line. */
function jsonColumn(message: string): number {
  const m = /position (\d+)/.exec(message) ?? /column (\d+)/.exec(message);
  return m ? Number(m[1]) + (/position/.test(m[0]) ? 1 : 0) : 1;
}

/**
 * Parses a trace: `meta` first (format 1), one record per step, `end` last. Every problem is
 * one `CliError` line `origin:line:col: what`; a trace without steps or without its `end`
 * record (truncated) fails.
 */
export function parseTrace(text: string, origin = "trace"): Trace {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split("\n");
  let meta: TraceMeta | null = null;
  const steps: StepRecord[] = [];
  let end: Trace["end"] = null;
  let lastLine = 0;
  const where = (line: number, col: number) => `${escapeText(origin)}:${line}:${col}`;
  lines.forEach((raw0, i) => {
    const raw = raw0.endsWith("\r") ? raw0.slice(0, -1) : raw0;
    if (!raw.trim()) return;
    lastLine = i + 1;
    const bad: Problem = (key, what) => {
      throw new CliError(`${where(i + 1, columnOf(raw, key))}: ${what}`);
    };
    if (end !== null) bad(null, "record after the end record");
    let rec: Rec;
    try {
      rec = JSON.parse(raw) as Rec;
    } catch (e) {
      const msg = (e as Error).message;
      throw new CliError(`${where(i + 1, jsonColumn(msg))}: invalid JSON: ${escapeText(msg.replace(/ in JSON at position \d+.*$/s, "").replace(/\s*\(line \d+ column \d+\)$/, ""))}`);
    }
    if (typeof rec !== "object" || rec === null || Array.isArray(rec)) bad(null, "a record must be a JSON object");
    const type = rec.type;
    if (meta === null) {
      if (type !== "meta") bad("type", `the first record must have type "meta" (got ${shown(type)})`);
      if (rec.format !== undefined && rec.format !== TRACE_FORMAT) bad("format", `unsupported trace format ${shown(rec.format)} (this replayer reads format ${TRACE_FORMAT})`);
      if (typeof rec.machine !== "string") bad(rec.machine === undefined ? null : "machine", `meta.machine must be a string (got ${shown(rec.machine)})`);
      if (rec.scenario !== undefined && typeof rec.scenario !== "string") bad("scenario", `meta.scenario must be a string (got ${shown(rec.scenario)})`);
      if (rec.qemu_args !== undefined && !(Array.isArray(rec.qemu_args) && rec.qemu_args.every((a) => typeof a === "string"))) {
        bad("qemu_args", `meta.qemu_args must be a list of strings (got ${shown(rec.qemu_args)})`);
      }
      if (rec.profile !== undefined && typeof rec.profile !== "string") bad("profile", `meta.profile must be a string (got ${shown(rec.profile)})`);
      meta = { ...(rec as object), scenario: typeof rec.scenario === "string" ? rec.scenario : origin } as TraceMeta;
      return;
    }
    if (type === "end") {
      if (rec.crashed !== undefined && typeof rec.crashed !== "boolean") bad("crashed", `end.crashed must be true or false (got ${shown(rec.crashed)})`);
      if (rec.exit_status !== undefined && !isInt(rec.exit_status)) bad("exit_status", `end.exit_status must be an integer (got ${shown(rec.exit_status)})`);
      end = { crashed: rec.crashed === true, exit_status: isInt(rec.exit_status) ? rec.exit_status : 0 };
      return;
    }
    if (type === "meta") bad("type", "a second meta record");
    if (typeof type !== "string" || !STEP_TYPES.has(type)) {
      bad("type", `unknown record type ${shown(type)} (expected one of ${[...STEP_TYPES].join(", ")}, end)`);
    }
    checkFields(rec, bad);
    steps.push(rec as unknown as StepRecord);
  });
  if (meta === null) throw new CliError(`${where(1, 1)}: empty trace (no meta record)`);
  const m = meta as TraceMeta;
  if (end === null) {
    const last = steps[steps.length - 1];
    // A scenario that crashed QEMU may stop at the crash record; any other trace is truncated.
    if (!last?.crashed) throw new CliError(`${where(lastLine + 1, 1)}: truncated trace: no end record${steps.length === 0 ? " (only the meta record)" : ""}`);
  }
  if (steps.length === 0) throw new CliError(`${where(lastLine, 1)}: trace has no step records`);
  return { origin, meta: m, steps, end };
}

export function readTrace(path: string): Trace {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === "ENOENT" ? `no such trace file: ${escapeText(path)}` : `cannot read ${escapeText(path)}: ${escapeText((e as Error).message)}`);
  }
  return parseTrace(text, path);
}

/** The number of CPUs a trace's QEMU ran with (`-smp N`, default 1). */
export function traceCpus(meta: TraceMeta): number {
  const args = meta.qemu_args ?? [];
  const i = args.indexOf("-smp");
  if (i >= 0 && i + 1 < args.length) {
    const n = Number.parseInt(String(args[i + 1]).split(",")[0], 10);
    if (Number.isInteger(n) && n > 0) return n;
  }
  return 1;
}

/** A short text for a step ("readl 0xfe0041000", "rtas ibm,set-xive 4096 0 5", "hcall 0x74"). */
export function stepSummary(r: StepRecord): string {
  switch (r.type) {
    case "qtest":
      return r.cmd;
    case "rtas":
      return r.args ? `rtas ${r.name} ${r.args.join(" ")}` : (r.src ?? "rtas");
    case "guest":
      return r.op === "hcall"
        ? `hcall 0x${(r.opcode ?? 0).toString(16)}${(r.args ?? []).map((a) => ` 0x${a.toString(16)}`).join("")}`
        : `${r.op} 0x${(r.addr ?? 0).toString(16)}`;
    case "hmp":
      return `hmp ${r.cmd}`;
    case "qmp":
      return `qmp ${JSON.stringify(r.cmd)}`;
    case "sync":
      return "sync";
  }
}
