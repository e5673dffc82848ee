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

  /** Looks a handler up once, for drivers that call one opcode in a loop. */
  handler(opcode: number): HcallHandler | undefined {
    return this.handlers.get(opcode);
  }

  call(vcpu: Vcpu, opcode: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0): number {
    this.stats.hcalls++;
    const h = this.handlers.get(opcode);
    return h ? h(vcpu, a0, a1, a2, a3, a4, a5, a6, a7) : H_FUNCTION_UNHANDLED;
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
  call(vcpu: Vcpu, name: string, args: readonly number[], nret = 1): number[] {
    this.stats.rtasCalls++;
    const n = Number.isInteger(nret) && nret >= 0 ? Math.min(nret, 16) : 0;
    const rets = new Array<number>(n).fill(0);
    const h = this.handlers.get(name);
    if (!h) {
      if (n > 0) rets[0] = RTAS_UNHANDLED;
    } else h(vcpu, args, rets);
    rets.length = n;
    return rets;
  }
}
