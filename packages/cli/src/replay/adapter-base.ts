/**
 * What every machine adapter shares: the pin tracker for the intercepted CPU, the `irq`
 * check added to every executed step, qtest command parsing, and the rule that a step on
 * which QEMU crashed compares nothing.
 */
import { KvmError, type Vm } from "@irqlab/core";
import { PinTracker, type PinMapping } from "./pins.js";
import type { StepRecord } from "./trace.js";
import type { Check, Execution, MachineAdapter } from "./types.js";

export type QtestCommand =
  | { kind: "read"; size: 1 | 2 | 4 | 8; addr: number }
  | { kind: "write"; size: 1 | 2 | 4 | 8; addr: number; value: bigint }
  | { kind: "set_irq_in"; path: string; name: string; n: number; level: number }
  | { kind: "irq_intercept_in"; path: string }
  | { kind: "other"; verb: string };

const SIZES: Record<string, 1 | 2 | 4 | 8> = { b: 1, w: 2, l: 4, q: 8 };

export function parseQtest(cmd: string): QtestCommand {
  const w = cmd.trim().split(/\s+/);
  const verb = w[0] ?? "";
  const num = (s: string | undefined): bigint => (s === undefined ? NaN : BigInt(s)) as bigint;
  try {
    let m = /^read([bwlq])$/.exec(verb);
    if (m && w.length >= 2) return { kind: "read", size: SIZES[m[1]], addr: Number(num(w[1])) };
    m = /^write([bwlq])$/.exec(verb);
    if (m && w.length >= 3) return { kind: "write", size: SIZES[m[1]], addr: Number(num(w[1])), value: num(w[2]) };
    if (verb === "set_irq_in" && w.length >= 5) {
      return { kind: "set_irq_in", path: w[1], name: w[2], n: Number(num(w[3])), level: Number(num(w[4])) };
    }
    if (verb === "irq_intercept_in" && w.length >= 2) return { kind: "irq_intercept_in", path: w[1] };
  } catch {
    // A malformed number: treated as an unknown command below.
  }
  return { kind: "other", verb };
}

/** The CPU index in a QOM path like /machine/unattached/device[1] or .../device[0]/thread[0]. */
export function cpuOfPath(path: string): number | null {
  const m = /device\[(\d+)\]/.exec(path);
  return m ? Number(m[1]) : null;
}

export function errnoName(e: unknown): string {
  if (KvmError.is(e)) return e.code;
  throw e;
}

export const na = (reason: string): Execution => ({ applicable: false, reason });
/** A controller access the adapter does not model (counted: > 5% of them fails the trace). */
export const unmodelled = (reason: string): Execution => ({ applicable: false, reason, unmodelled: true });
export const checks = (...c: Check[]): Execution => ({ applicable: true, checks: c });

export abstract class AdapterBase implements MachineAdapter {
  abstract readonly model: string;
  abstract readonly controller: string;
  protected readonly pins = new PinTracker();
  /**
   * Report each step's net pin change instead of every transition the model made inside
   * it (for controllers whose vCPU input is a queued exception, not a wire: see XICS).
   */
  protected netPinChanges = false;

  constructor(protected readonly vm: Vm) {}

  /** Maps an intercepted CPU to its pins (per machine). */
  protected abstract pinsOf(cpu: number): PinMapping[] | null;
  protected abstract run(rec: StepRecord): Execution;

  execute(rec: StepRecord): Execution {
    if (rec.crashed) {
      return na(`QEMU crashed on this step (exit status ${rec.exit_status ?? "?"}): the trace documents a QEMU limitation`);
    }
    const r = this.run(rec);
    const got = this.pins.drain(this.netPinChanges);
    const expected = (rec.irq ?? []).map((e) => ({ line: e.line, level: e.level }));
    // Pin changes during a step that is otherwise not compared are still checked.
    if (!r.applicable) return expected.length || got.length ? checks({ field: "irq", expected, got }) : r;
    if (rec.irq) r.checks.push({ field: "irq", expected, got });
    return r;
  }

  /** `irq_intercept_in PATH`: report that CPU's pins from now on. */
  /** The vCPU a QOM path of the trace's machine names (see cpuOfPath). */
  protected cpuOf(path: string): number | null {
    return cpuOfPath(path);
  }

  protected intercept(path: string): Execution {
    const cpu = this.cpuOf(path);
    const mappings = cpu === null ? null : this.pinsOf(cpu);
    if (!mappings) return na(`cannot map ${path} to a vCPU of the model`);
    this.pins.intercept(mappings);
    return checks();
  }

  dispose(): void {
    this.pins.dispose();
    this.vm.destroy();
  }
}
