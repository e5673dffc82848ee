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

export function parseTrace(text: string, origin = "trace"): Trace {
  const lines = text.split("\n");
  let meta: TraceMeta | null = null;
  const steps: StepRecord[] = [];
  let end: Trace["end"] = null;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const where = `${origin}:${i + 1}`;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      throw new CliError(`${where}: invalid JSON: ${(e as Error).message}`);
    }
    if (typeof rec !== "object" || rec === null || Array.isArray(rec)) throw new CliError(`${where}: a record must be a JSON object`);
    const type = rec.type;
    if (meta === null) {
      if (type !== "meta") throw new CliError(`${where}: the first record must have type "meta" (got ${JSON.stringify(type)})`);
      if (typeof rec.machine !== "string") throw new CliError(`${where}: meta.machine must be a string`);
      meta = { ...(rec as object), scenario: typeof rec.scenario === "string" ? rec.scenario : origin } as TraceMeta;
      return;
    }
    if (type === "end") {
      end = { crashed: rec.crashed === true, exit_status: typeof rec.exit_status === "number" ? rec.exit_status : 0 };
      return;
    }
    if (typeof type !== "string" || !STEP_TYPES.has(type)) {
      throw new CliError(`${where}: unknown record type ${JSON.stringify(type)} (expected one of ${[...STEP_TYPES].join(", ")})`);
    }
    if (typeof rec.seq !== "number") throw new CliError(`${where}: record has no numeric seq`);
    // A record on which QEMU crashed carries only what was sent (it is never compared).
    if (rec.crashed === true) {
      steps.push(rec as unknown as StepRecord);
      return;
    }
    if (type === "qtest" && typeof rec.cmd !== "string") throw new CliError(`${where}: qtest record has no cmd`);
    if (type === "rtas" && (typeof rec.name !== "string" || !Array.isArray(rec.args) || !Array.isArray(rec.rets))) {
      throw new CliError(`${where}: rtas record needs name, args and rets`);
    }
    if (type === "guest" && typeof rec.op !== "string") throw new CliError(`${where}: guest record has no op`);
    steps.push(rec as unknown as StepRecord);
  });
  if (meta === null) throw new CliError(`${origin}: empty trace (no meta record)`);
  return { origin, meta, steps, end };
}

export function readTrace(path: string): Trace {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === "ENOENT" ? `no such trace file: ${path}` : `cannot read ${path}: ${(e as Error).message}`);
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
