/**
 * The ICP state word (union kvmppc_icp_state) and its transitions, as pure functions.
 *
 * KVM keeps an ICP's whole state in one 64-bit word updated by compare-and-swap:
 *
 *   out_ee (1) | need_resend (1) | cppr (8) | mfrr (8) | pending_pri (8) | xisr (24)
 *
 * Every transition below reads `s`, writes the successor into `out` and returns a small
 * number describing the side results (reject, resend, XIRR) — no allocation, so the hot
 * path can pass the same object as `s` and `out` (every input is read before `out` is
 * written). Each one recomputes `outEe = xisr != 0 && pending_pri < cppr`, which is what
 * icp_try_update does before committing.
 *
 * The ONE_REG view (KVM_REG_PPC_ICP_STATE) carries cppr, xisr, mfrr and pending_pri only
 * (need_resend and out_ee are not exported):
 *
 *   63    56 55              32 31    24 23    16 15       0
 *   +-------+------------------+--------+--------+----------+
 *   | CPPR  |       XISR       |  MFRR  |  PPRI  |  unused  |
 *   +-------+------------------+--------+--------+----------+
 */
import { Errno } from "@irqlab/core";
import {
  KVM_REG_PPC_ICP_CPPR_MASK,
  KVM_REG_PPC_ICP_CPPR_SHIFT,
  KVM_REG_PPC_ICP_MFRR_MASK,
  KVM_REG_PPC_ICP_MFRR_SHIFT,
  KVM_REG_PPC_ICP_PPRI_MASK,
  KVM_REG_PPC_ICP_PPRI_SHIFT,
  KVM_REG_PPC_ICP_XISR_MASK,
  KVM_REG_PPC_ICP_XISR_SHIFT,
  MASKED,
  XICS_IPI,
} from "./constants.js";

/**
 * A 64-bit register value given as a JS number, as the unsigned magnitude KVM compares:
 * negative numbers are two's complement (so -1 is 2^64 - 1, i.e. larger than any u8), NaN
 * reads as 0. Storing keeps using `x & 0xff` on the original number (its low byte).
 */
export function u64Magnitude(x: number): number {
  if (x >= 0) return Math.floor(x);
  if (x < 0) return 18446744073709551616 + Math.ceil(x);
  return 0;
}

/** The fields of union kvmppc_icp_state. Flags are 0/1 numbers (no boolean/number mix). */
export interface IcpState {
  cppr: number;
  mfrr: number;
  pendingPri: number;
  xisr: number;
  needResend: number;
  outEe: number;
}

/** The state of a freshly created ICP (kvmppc_xics_create_icp): CPPR 0, MFRR/PPRI 0xFF. */
export function initialIcpState(): IcpState {
  return { cppr: 0, mfrr: MASKED, pendingPri: MASKED, xisr: 0, needResend: 0, outEe: 0 };
}

function put(out: IcpState, cppr: number, mfrr: number, ppri: number, xisr: number, needResend: number): void {
  out.cppr = cppr;
  out.mfrr = mfrr;
  out.pendingPri = ppri;
  out.xisr = xisr;
  out.needResend = needResend;
  out.outEe = xisr !== 0 && ppri < cppr ? 1 : 0;
}

/** `icpTryToDeliver` result when the ICP refused the interrupt (need_resend was set). */
export const DELIVERY_REFUSED = -1;

/**
 * icp_try_to_deliver (§4.1): accept `irq` at `prio` iff cppr, mfrr and pending_pri are all
 * strictly less favoured. Returns DELIVERY_REFUSED, or the XISR it displaced (0 = none,
 * 2 = IPI, else a source that must be re-delivered).
 */
export function icpTryToDeliver(s: IcpState, irq: number, prio: number, out: IcpState): number {
  const { cppr, mfrr, pendingPri, xisr, needResend } = s;
  if (cppr > prio && mfrr > prio && pendingPri > prio) {
    put(out, cppr, mfrr, prio, irq, needResend);
    return xisr;
  }
  put(out, cppr, mfrr, pendingPri, xisr, 1);
  return DELIVERY_REFUSED;
}

/**
 * icp_down_cppr (§4.4), also the first step of H_EOI: store `newCppr` (u8), present the IPI
 * if MFRR is now more favoured than CPPR and not less favoured than what is pending, latch
 * and clear need_resend. Returns 1 when the caller must run the resend scan.
 */
export function icpDownCppr(s: IcpState, newCppr: number, out: IcpState): number {
  const { mfrr, needResend } = s;
  let { pendingPri, xisr } = s;
  const cppr = newCppr & 0xff;
  if (mfrr < cppr && mfrr <= pendingPri) {
    pendingPri = mfrr;
    xisr = XICS_IPI;
  }
  put(out, cppr, mfrr, pendingPri, xisr, 0);
  return needResend;
}

/**
 * Accept (H_XIRR, §6.2): returns the XIRR `(old cppr << 24) | xisr` as an unsigned number.
 * With XISR 0 nothing changes (`out` receives a copy); otherwise CPPR takes the pending
 * priority and XISR/PPRI are cleared.
 */
export function icpAccept(s: IcpState, out: IcpState): number {
  const { cppr, mfrr, pendingPri, xisr, needResend } = s;
  const xirr = cppr * 0x1000000 + xisr;
  if (xisr === 0) put(out, cppr, mfrr, pendingPri, xisr, needResend);
  else put(out, pendingPri, mfrr, MASKED, 0, needResend);
  return xirr;
}

/**
 * Up_CPPR / Reject_Current (H_CPPR step 2, §6.4): `c` is the full register value (compared
 * unsigned, stored as u8). Anything pending with priority >= c is taken back. Returns the
 * taken-back XISR (0 none, 2 IPI, else a source to re-deliver).
 */
export function icpUpCppr(s: IcpState, c: number, out: IcpState): number {
  const { mfrr, pendingPri, xisr, needResend } = s;
  if (u64Magnitude(c) <= pendingPri) {
    put(out, c & 0xff, mfrr, MASKED, 0, needResend);
    return xisr;
  }
  put(out, c & 0xff, mfrr, pendingPri, xisr, needResend);
  return 0;
}

/** Set in `icpSetMfrr`'s result when MFRR became less favoured and need_resend was latched. */
export const SET_MFRR_RESEND = 0x1000000;

/**
 * Set_MFRR / Check_IPI (H_IPI, §6.6): `m` is the full register value (compared unsigned,
 * stored as u8). Returns `reject + (resend ? SET_MFRR_RESEND : 0)` where `reject` (24 bits)
 * is the XISR displaced by the IPI.
 */
export function icpSetMfrr(s: IcpState, m: number, out: IcpState): number {
  const { cppr, mfrr: oldMfrr, needResend } = s;
  let { pendingPri, xisr } = s;
  const mu = u64Magnitude(m);
  let reject = 0;
  if (mu < cppr && mu <= pendingPri) {
    reject = xisr;
    pendingPri = m & 0xff;
    xisr = XICS_IPI;
  }
  let resend = 0;
  let nr = needResend;
  if (mu > oldMfrr) {
    resend = needResend;
    nr = 0;
  }
  put(out, cppr, m & 0xff, pendingPri, xisr, nr);
  return reject + (resend ? SET_MFRR_RESEND : 0);
}

/** The four fields of the ONE_REG word. */
export interface IcpStateWord {
  readonly cppr: number;
  readonly xisr: number;
  readonly mfrr: number;
  readonly pendingPri: number;
}

/**
 * kvmppc_xics_set_icp's install step (§9 step 4): the four fields replace the state; when
 * MFRR becomes less favoured need_resend is latched (returned as 1) and cleared, otherwise
 * it is kept.
 */
export function icpInstall(s: IcpState, w: IcpStateWord, out: IcpState): number {
  const oldMfrr = s.mfrr;
  const oldNr = s.needResend;
  const mfrr = w.mfrr & 0xff;
  if (mfrr <= oldMfrr) {
    put(out, w.cppr & 0xff, mfrr, w.pendingPri & 0xff, w.xisr & 0xffffff, oldNr);
    return 0;
  }
  put(out, w.cppr & 0xff, mfrr, w.pendingPri & 0xff, w.xisr & 0xffffff, 0);
  return oldNr;
}

/** KVM_REG_PPC_ICP_STATE from the four fields (kvmppc_xics_get_icp). */
export function encodeIcpStateWord(w: IcpStateWord): bigint {
  return (
    (BigInt(w.cppr & 0xff) << KVM_REG_PPC_ICP_CPPR_SHIFT) |
    (BigInt(w.xisr & 0xffffff) << KVM_REG_PPC_ICP_XISR_SHIFT) |
    (BigInt(w.mfrr & 0xff) << KVM_REG_PPC_ICP_MFRR_SHIFT) |
    (BigInt(w.pendingPri & 0xff) << KVM_REG_PPC_ICP_PPRI_SHIFT)
  );
}

/** The four fields of a ONE_REG word (u8/u24 truncation as kvmppc_xics_set_icp does). */
export function decodeIcpStateWord(word: bigint): IcpStateWord {
  const v = BigInt.asUintN(64, word);
  return {
    cppr: Number((v >> KVM_REG_PPC_ICP_CPPR_SHIFT) & KVM_REG_PPC_ICP_CPPR_MASK),
    xisr: Number((v >> KVM_REG_PPC_ICP_XISR_SHIFT) & KVM_REG_PPC_ICP_XISR_MASK),
    mfrr: Number((v >> KVM_REG_PPC_ICP_MFRR_SHIFT) & KVM_REG_PPC_ICP_MFRR_MASK),
    pendingPri: Number((v >> KVM_REG_PPC_ICP_PPRI_SHIFT) & KVM_REG_PPC_ICP_PPRI_MASK),
  };
}

/**
 * The consistency rule of kvmppc_xics_set_icp (§9 step 3): returns 0 or the errno (EINVAL)
 * and a reason. `blockExists(xisr)` answers whether the XISR's ICS block is allocated.
 */
export function checkIcpStateWord(
  w: IcpStateWord,
  blockExists: (irq: number) => boolean,
): { errno: 0 } | { errno: number; reason: string } {
  const { cppr, xisr, mfrr, pendingPri: ppri } = w;
  if (xisr === 0) {
    if (ppri !== MASKED) return { errno: Errno.EINVAL, reason: `XISR 0 needs PPRI 0xff, not 0x${hex(ppri)}` };
  } else if (xisr === XICS_IPI) {
    if (ppri !== mfrr || ppri >= cppr) {
      return { errno: Errno.EINVAL, reason: `XISR 2 (IPI) needs PPRI == MFRR < CPPR (PPRI 0x${hex(ppri)} MFRR 0x${hex(mfrr)} CPPR 0x${hex(cppr)})` };
    }
  } else {
    if (ppri >= mfrr || ppri >= cppr) {
      return { errno: Errno.EINVAL, reason: `XISR 0x${hex(xisr)} needs PPRI < MFRR and PPRI < CPPR (PPRI 0x${hex(ppri)} MFRR 0x${hex(mfrr)} CPPR 0x${hex(cppr)})` };
    }
    if (!blockExists(xisr)) return { errno: Errno.EINVAL, reason: `XISR 0x${hex(xisr)}: its ICS block does not exist` };
  }
  return { errno: 0 };
}

function hex(n: number): string {
  return n.toString(16);
}
