/**
 * The four RTAS calls KVM implements for XICS (book3s_rtas.c) and the H_RTAS transport.
 *
 *   guest ─ H_RTAS(r4 = &rtas_args) ─> token -> name (KVM_PPC_RTAS_DEFINE_TOKEN table)
 *         ─> ibm,set-xive / ibm,get-xive / ibm,int-off / ibm,int-on ─> rets[] written back
 *
 * Every failure of a call is the RTAS status -3 in rets[0] (wrong nargs/nret, missing ICS
 * block, server without ICP, no XICS device). Arguments are u32 words.
 * `vcpu.rtas(name, args, nret)` (core's RtasTable) reaches the same handlers by name.
 */
import { Errno, fail, UapiView, type Endian, type UserPtr, type Vcpu, type Vm } from "@irqlab/core";
import {
  RTAS_IBM_GET_XIVE,
  RTAS_IBM_INT_OFF,
  RTAS_IBM_INT_ON,
  RTAS_IBM_SET_XIVE,
  RTAS_PARAMETER_ERROR,
  RTAS_SUCCESS,
} from "./constants.js";
import type { Xics } from "./xics.js";

/** A call: (xics or null, nargs, nret, args, rets) — rets[0..] are written, never read. */
export type XicsRtasCall = (xics: Xics | null, nargs: number, nret: number, args: ArrayLike<number>, rets: number[]) => void;

const status = (rc: number): number => (rc === 0 ? RTAS_SUCCESS : RTAS_PARAMETER_ERROR);

function report(xics: Xics | null, name: string, rc: number, why: string): void {
  if (rc !== 0 && xics !== null) xics.guestError(`${name}: ${why}`);
}

/** The handlers' first check: wrong nargs/nret answer -3 (rets[0] only). True when the counts fit. */
function countsOk(xics: Xics | null, name: string, nargs: number, nret: number, wantArgs: number, wantRets: number, rets: number[]): boolean {
  if (nargs === wantArgs && nret === wantRets) return true;
  rets[0] = RTAS_PARAMETER_ERROR;
  report(xics, name, -1, `nargs ${nargs} nret ${nret} (${wantArgs}/${wantRets} expected)`);
  return false;
}

/** ibm,set-xive(irq, server, priority): 3 args, 1 return. */
export const rtasSetXive: XicsRtasCall = (xics, nargs, nret, args, rets) => {
  if (!countsOk(xics, RTAS_IBM_SET_XIVE, nargs, nret, 3, 1, rets)) return;
  const rc = xics === null ? -Errno.ENODEV : xics.setXive(args[0] >>> 0, args[1] >>> 0, args[2] >>> 0);
  report(xics, RTAS_IBM_SET_XIVE, rc, `irq 0x${(args[0] >>> 0).toString(16)} server ${args[1] >>> 0}: no ICS block or no ICP`);
  rets[0] = status(rc);
};

/** ibm,get-xive(irq) -> status, server, priority: 1 arg, 3 returns (only status on failure). */
export const rtasGetXive: XicsRtasCall = (xics, nargs, nret, args, rets) => {
  if (!countsOk(xics, RTAS_IBM_GET_XIVE, nargs, nret, 1, 3, rets)) return;
  const x = xics === null ? null : xics.getXive(args[0] >>> 0);
  if (x === null) {
    rets[0] = RTAS_PARAMETER_ERROR;
    report(xics, RTAS_IBM_GET_XIVE, -1, `irq 0x${(args[0] >>> 0).toString(16)}: no ICS block`);
    return;
  }
  rets[1] = x.server;
  rets[2] = x.priority;
  rets[0] = RTAS_SUCCESS;
};

/** ibm,int-off(irq): 1 arg, 1 return. */
export const rtasIntOff: XicsRtasCall = (xics, nargs, nret, args, rets) => {
  if (!countsOk(xics, RTAS_IBM_INT_OFF, nargs, nret, 1, 1, rets)) return;
  const rc = xics === null ? -Errno.ENODEV : xics.intOff(args[0] >>> 0);
  report(xics, RTAS_IBM_INT_OFF, rc, `irq 0x${(args[0] >>> 0).toString(16)}: no ICS block`);
  rets[0] = status(rc);
};

/** ibm,int-on(irq): 1 arg, 1 return. */
export const rtasIntOn: XicsRtasCall = (xics, nargs, nret, args, rets) => {
  if (!countsOk(xics, RTAS_IBM_INT_ON, nargs, nret, 1, 1, rets)) return;
  const rc = xics === null ? -Errno.ENODEV : xics.intOn(args[0] >>> 0);
  report(xics, RTAS_IBM_INT_ON, rc, `irq 0x${(args[0] >>> 0).toString(16)}: no ICS block or its server has no ICP`);
  rets[0] = status(rc);
};

/** rtas_handlers[]: the only names KVM knows. */
export const XICS_RTAS_HANDLERS: ReadonlyMap<string, XicsRtasCall> = new Map([
  [RTAS_IBM_SET_XIVE, rtasSetXive],
  [RTAS_IBM_GET_XIVE, rtasGetXive],
  [RTAS_IBM_INT_OFF, rtasIntOff],
  [RTAS_IBM_INT_ON, rtasIntOn],
]);

/** Size of struct rtas_args: token, nargs, nret, args[16] (be32 each), rets pointer (8, aligned). */
export const SIZEOF_RTAS_ARGS = 88;
/** Entries of rtas_args.args[]. */
export const RTAS_ARGS_SLOTS = 16;
/** Size of struct kvm_rtas_token_args: char name[120]; __u64 token. */
export const SIZEOF_KVM_RTAS_TOKEN_ARGS = 128;
/** Bytes of the name field. */
export const RTAS_TOKEN_NAME_LEN = 120;
/** KVM_PAM: H_RTAS masks the top 4 bits off the args address (guest real address). */
const KVM_PAM = 0x0fffffffffffffffn;

/** A token given as a number or bigint, as the __u64 KVM stores (EINVAL for a non-integer). */
function tokenU64(token: bigint | number): bigint {
  if (typeof token === "number" && !Number.isInteger(token)) fail(Errno.EINVAL, `RTAS token ${token} is not an integer`);
  return BigInt.asUintN(64, BigInt(token));
}

/** A 64-bit register passed as a JS number or bigint, as its u64 value (NaN / ±Infinity read as 0). */
function registerU64(r: bigint | number): bigint {
  if (typeof r === "bigint") return BigInt.asUintN(64, r);
  return Number.isFinite(r) ? BigInt.asUintN(64, BigInt(Math.trunc(r))) : 0n;
}

/** Packs struct kvm_rtas_token_args (for `RtasTokens.defineIoctl`). */
export function encodeRtasTokenArgs(name: string, token: bigint | number, endian: Endian = "le"): Uint8Array {
  const t = tokenU64(token);
  const bytes = new Uint8Array(SIZEOF_KVM_RTAS_TOKEN_ARGS);
  const enc = new TextEncoder().encode(name);
  bytes.set(enc.subarray(0, RTAS_TOKEN_NAME_LEN));
  new UapiView(bytes, SIZEOF_KVM_RTAS_TOKEN_ARGS, endian, "struct kvm_rtas_token_args").setU64(RTAS_TOKEN_NAME_LEN, t);
  return bytes;
}

/** strncmp(a, b, 120) == 0 with C-string semantics (stop at NUL). */
function rtasNameMatches(a: string, b: string): boolean {
  const cut = (s: string) => {
    const z = s.indexOf("\0");
    return (z < 0 ? s : s.slice(0, z)).slice(0, RTAS_TOKEN_NAME_LEN);
  };
  return cut(a) === cut(b);
}

/**
 * The VM's RTAS token table (kvm->arch.rtas_tokens) and H_RTAS (kvmppc_rtas_hcall).
 * Tokens survive the XICS device: without it the calls answer -3 (-ENODEV inside KVM).
 */
export class RtasTokens {
  private tokens: Array<{ token: bigint; name: string }> = [];

  constructor(private readonly xicsOf: () => Xics | null) {}

  /**
   * KVM_PPC_RTAS_DEFINE_TOKEN: `token` 0 undefines `name` (unknown names too, no error);
   * a token already in use is EEXIST; a name the kernel does not implement is ENOENT.
   */
  define(name: string, token: bigint | number): void {
    const t = tokenU64(token);
    if (t === 0n) {
      const i = this.tokens.findIndex((d) => rtasNameMatches(d.name, name));
      if (i >= 0) this.tokens.splice(i, 1);
      return;
    }
    if (this.tokens.some((d) => d.token === t)) fail(Errno.EEXIST, `RTAS token 0x${t.toString(16)} is already defined`);
    const known = [...XICS_RTAS_HANDLERS.keys()].find((n) => rtasNameMatches(n, name));
    if (!known) fail(Errno.ENOENT, `RTAS call "${name}" is unknown to KVM (it knows ${[...XICS_RTAS_HANDLERS.keys()].join(", ")})`);
    this.tokens.push({ token: t, name: known });
  }

  /** KVM_PPC_RTAS_DEFINE_TOKEN on the 128-byte struct kvm_rtas_token_args (EFAULT if short). */
  defineIoctl(arg: UserPtr, endian: Endian): void {
    const v = new UapiView(arg, SIZEOF_KVM_RTAS_TOKEN_ARGS, endian, "struct kvm_rtas_token_args");
    const raw = new Uint8Array(v.dv.buffer, v.dv.byteOffset, RTAS_TOKEN_NAME_LEN);
    const z = raw.indexOf(0);
    const name = new TextDecoder().decode(z < 0 ? raw : raw.subarray(0, z));
    this.define(name, v.u64(RTAS_TOKEN_NAME_LEN));
  }

  /** Defined (token, name) pairs in definition order. */
  list(): ReadonlyArray<{ token: bigint; name: string }> {
    return this.tokens;
  }

  get empty(): boolean {
    return this.tokens.length === 0;
  }

  /**
   * H_RTAS (kvmppc_pseries_do_hcall, then kvmppc_rtas_hcall): `gpr4` is the guest address
   * of struct rtas_args. Returns 0 when a handler ran and the args were written back (the
   * guest gets H_SUCCESS), -ENOENT when no token is defined at all (checked before the args
   * are read) or none matches (the hcall goes to userspace), or -EFAULT / -EINVAL
   * (unreadable args, nargs >= 16: KVM_RUN fails with that errno; no handler runs, guest
   * memory unchanged).
   */
  hcall(vcpu: Vcpu, gpr4: number | bigint): number {
    const mem = vcpu.vm.memory;
    vcpu.vm.exitStats.rtasCalls++;
    if (this.tokens.length === 0) return -Errno.ENOENT;
    const addr = Number(registerU64(gpr4) & KVM_PAM);
    if (!Number.isSafeInteger(addr) || !mem.isMapped(addr, SIZEOF_RTAS_ARGS)) return -Errno.EFAULT;
    const token = mem.read(addr, 4, "be");
    const nargs = mem.read(addr + 4, 4, "be");
    const nret = mem.read(addr + 8, 4, "be");
    if (nargs >= RTAS_ARGS_SLOTS) return -Errno.EINVAL;
    const d = this.tokens.find((x) => x.token === BigInt(token));
    if (!d) return -Errno.ENOENT;
    const slots: number[] = [];
    for (let i = 0; i < RTAS_ARGS_SLOTS; i++) slots.push(mem.read(addr + 12 + 4 * i, 4, "be"));
    const rets = slots.slice(nargs);
    XICS_RTAS_HANDLERS.get(d.name)!(this.xicsOf(), nargs, nret, slots.slice(0, nargs), rets);
    for (let i = 0; i < rets.length; i++) mem.write(addr + 12 + 4 * (nargs + i), 4, rets[i] >>> 0, "be");
    return 0;
  }
}

/** Reads the rets the guest sees after an H_RTAS (signed 32-bit, status first). */
export function readRtasRets(vm: Vm, addr: number, nargs: number, nret: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < nret && nargs + i < RTAS_ARGS_SLOTS; i++) out.push(vm.memory.read(addr + 12 + 4 * (nargs + i), 4, "be") | 0);
  return out;
}

/** Writes struct rtas_args for an H_RTAS (token, nargs, nret, args; rets zeroed). */
export function writeRtasArgs(vm: Vm, addr: number, token: number, args: readonly number[], nret: number): void {
  const mem = vm.memory;
  mem.write(addr, 4, token >>> 0, "be");
  mem.write(addr + 4, 4, args.length >>> 0, "be");
  mem.write(addr + 8, 4, nret >>> 0, "be");
  for (let i = 0; i < RTAS_ARGS_SLOTS; i++) mem.write(addr + 12 + 4 * i, 4, i < args.length ? args[i] >>> 0 : 0, "be");
  mem.write64(addr + 80, 0n, "be");
}
