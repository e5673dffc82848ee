/**
 * How a guest driver talks to a controller without MMIO: PAPR hypercalls and RTAS calls.
 * Both are guest exits, counted in ExitStats. Handlers return the guest-visible status;
 * they never throw for bad guest input.
 */
import type { ExitStats } from "./exit-stats.js";
import { Errno, fail } from "./kvm-error.js";
import type { Vcpu } from "./vcpu.js";

/**
 * A hypercall handler: argument registers r4..r11 (a0..a7; handlers declare the ones they
 * use), returns the status (r3). Results go to `vcpu.hret[0..]` (r4, r5, ...), so no call
 * allocates.
 */
export type HcallHandler = (
  vcpu: Vcpu,
  a0: number,
  a1: number,
  a2: number,
  a3: number,
  a4: number,
  a5: number,
  a6: number,
  a7: number,
) => number;

/** PAPR H_FUNCTION: the status of a hypercall nobody implements. */
export const H_FUNCTION_UNHANDLED = -2;
/** PAPR H_PARAMETER: the status of a hypercall whose argument registers cannot be read. */
export const H_PARAMETER_BAD_REGISTER = -4;

const TWO53 = 2 ** 53;

/**
 * A guest register as the number handlers take: a GPR is 64 bits, so a number that is an
 * integer passes unchanged and a bigint is read as its 64-bit two's complement (exactly, within
 * ±2^53; beyond that as the nearest number, which no range check accepts). NaN for anything
 * that is no register value (1.5, NaN, ±Infinity, a string, an object): the caller answers
 * the guest with a parameter error instead of running the handler.
 */
export function guestRegister(v: unknown): number {
  if (typeof v === "number") return Number.isInteger(v) ? v : NaN;
  if (typeof v === "bigint") {
    const s = BigInt.asIntN(64, v);
    return s >= -TWO53 && s <= TWO53 ? Number(s) : Number(BigInt.asUintN(64, v));
  }
  return NaN;
}

export class HcallTable {
  private handlers = new Map<number, HcallHandler>();

  constructor(private readonly stats: ExitStats) {}

  register(opcode: number, handler: HcallHandler): void {
    if (this.handlers.has(opcode)) fail(Errno.EEXIST, `hcall 0x${opcode.toString(16)} is registered`);
    this.handlers.set(opcode, handler);
  }

  unregister(opcode: number): void {
    this.handlers.delete(opcode);
  }

  has(opcode: number): boolean {
    return this.handlers.has(opcode);
  }

  /** The registered opcodes, ascending (for fuzzers and tooling; not a hot path). */
  opcodes(): number[] {
    return [...this.handlers.keys()].sort((a, b) => a - b);
  }

  /** Looks a handler up once, for drivers that call one opcode in a loop. */
  handler(opcode: number): HcallHandler | undefined {
    return this.handlers.get(opcode);
  }

  /**
   * The one hcall dispatch: registers are normalised here (guestRegister), so a handler
   * only ever sees integer numbers; a register that holds no integer answers H_PARAMETER.
   * Integer numbers take the fast path (one typeof and one isInteger per register).
   */
  call(
    vcpu: Vcpu,
    opcode: number | bigint,
    a0: number | bigint = 0,
    a1: number | bigint = 0,
    a2: number | bigint = 0,
    a3: number | bigint = 0,
    a4: number | bigint = 0,
    a5: number | bigint = 0,
    a6: number | bigint = 0,
    a7: number | bigint = 0,
  ): number {
    this.stats.hcalls++;
    const h = this.handlers.get(typeof opcode === "number" ? opcode : guestRegister(opcode));
    if (!h) return H_FUNCTION_UNHANDLED;
    if (
      typeof a0 === "number" && typeof a1 === "number" && typeof a2 === "number" && typeof a3 === "number" &&
      typeof a4 === "number" && typeof a5 === "number" && typeof a6 === "number" && typeof a7 === "number" &&
      Number.isInteger(a0) && Number.isInteger(a1) && Number.isInteger(a2) && Number.isInteger(a3) &&
      Number.isInteger(a4) && Number.isInteger(a5) && Number.isInteger(a6) && Number.isInteger(a7)
    ) {
      return h(vcpu, a0, a1, a2, a3, a4, a5, a6, a7);
    }
    const r0 = guestRegister(a0), r1 = guestRegister(a1), r2 = guestRegister(a2), r3 = guestRegister(a3);
    const r4 = guestRegister(a4), r5 = guestRegister(a5), r6 = guestRegister(a6), r7 = guestRegister(a7);
    if (Number.isNaN(r0 + r1 + r2 + r3 + r4 + r5 + r6 + r7)) return H_PARAMETER_BAD_REGISTER;
    return h(vcpu, r0, r1, r2, r3, r4, r5, r6, r7);
  }
}

/**
 * An RTAS handler: fills `rets` (rets[0] is the status) from `args`. `args.length` is the
 * call's nargs and `rets.length` its nret (possibly 0: a handler checks both, as KVM's do).
 */
export type RtasHandler = (vcpu: Vcpu, args: readonly number[], rets: number[]) => void;

/** RTAS status for a call with no handler ("parameter error", as QEMU answers unknown tokens). */
export const RTAS_UNHANDLED = -3;

export class RtasTable {
  private handlers = new Map<string, RtasHandler>();

  constructor(private readonly stats: ExitStats) {}

  register(name: string, handler: RtasHandler): void {
    if (this.handlers.has(name)) fail(Errno.EEXIST, `RTAS call ${name} is registered`);
    this.handlers.set(name, handler);
  }

  unregister(name: string): void {
    this.handlers.delete(name);
  }

  has(name: string): boolean {
    return this.handlers.has(name);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }

  /**
   * Calls RTAS `name` with `nret` return words (rets[0] = status). The array has exactly
   * `nret` slots; a handler that writes beyond them is cut back (the guest reserved no more).
   */
  call(vcpu: Vcpu, name: string, args: readonly (number | bigint)[] | null, nret: number | bigint = 1): number[] {
    this.stats.rtasCalls++;
    const nr = guestRegister(nret);
    const n = nr >= 0 ? Math.min(nr, 16) : 0;
    const rets = new Array<number>(n).fill(0);
    const h = typeof name === "string" ? this.handlers.get(name) : undefined;
    // The argument cells as integers (guestRegister); null or a non-array is nargs 0; a cell
    // that holds no integer is a parameter error answered before the handler runs.
    const cells = rtasCells(args);
    if (!h || cells === null) {
      if (n > 0) rets[0] = RTAS_UNHANDLED;
    } else h(vcpu, cells, rets);
    rets.length = n;
    for (let i = 0; i < n; i++) if (typeof rets[i] !== "number" || !Number.isFinite(rets[i])) rets[i] = 0;
    return rets;
  }
}

/** RTAS argument cells as integer numbers, [] for no array, null when a cell is no integer. */
function rtasCells(args: unknown): readonly number[] | null {
  try {
    return readCells(args);
  } catch {
    return null; // a cell that cannot be read (a getter that throws): a parameter error
  }
}

function readCells(args: unknown): readonly number[] | null {
  if (!Array.isArray(args)) return [];
  let plain = true;
  for (let i = 0; i < args.length; i++) {
    const a: unknown = args[i];
    if (typeof a !== "number" || !Number.isInteger(a)) {
      plain = false;
      break;
    }
  }
  if (plain) return args as number[];
  const out = new Array<number>(args.length);
  for (let i = 0; i < args.length; i++) {
    const r = guestRegister(args[i]);
    if (Number.isNaN(r)) return null;
    out[i] = r;
  }
  return out;
}
