/**
 * The thread interrupt context (TCTX) of one vCPU as the OS view of the TIMA page shows it,
 * as pure functions over a 64-byte register image (four 16-byte rings, QW0..QW3), following
 * QEMU hw/intc/xive.c (xive_tctx_*, xive_tm_*) which the Linux drivers and KVM assume:
 *
 *   OS ring (QW1 = 0x10): NSR CPPR IPB LSMFB ACK_CNT INC AGE PIPR | W2 (VO + CAM) | W3
 *
 *   presenter:   IPB |= 0x80 >> prio; PIPR = first set IPB bit; PIPR < CPPR -> NSR[EO], signal
 *   ACK_OS_REG:  lower; if NSR[EO]: CPPR = PIPR, clear its IPB bit, recompute PIPR, clear EO;
 *                return NSR_before << 8 | CPPR
 *   CPPR store:  > 7 -> 0xFF, then the presenter check
 *
 * Functions return whether the OS interrupt line must be raised (TCTX_RAISE) / lowered.
 */
import {
  TM_ACK_CNT,
  TM_CPPR,
  TM_IPB,
  TM_NSR,
  TM_PIPR,
  TM_QW0_USER,
  TM_QW1_NSR_EO,
  TM_QW1_OS,
  TM_SPC_ACK_OS_REG,
  TM_SPC_SET_OS_PENDING,
  TM_SPECIAL_OP,
  TM_WORD2,
  TM_QW1W2_VO,
  XIVE_PRIORITY_MAX,
} from "./constants.js";

/** Bytes of one thread context (four rings). */
export const TCTX_SIZE = 64;

const OS_NSR = TM_QW1_OS + TM_NSR;
const OS_CPPR = TM_QW1_OS + TM_CPPR;
const OS_IPB = TM_QW1_OS + TM_IPB;
const OS_PIPR = TM_QW1_OS + TM_PIPR;

/** PIPR of an IPB: the most favoured pending priority, 0xFF when none. */
export function ipbToPipr(ipb: number): number {
  return ipb === 0 ? 0xff : Math.clz32(ipb & 0xff) - 24;
}

/** IPB bit of a priority (none above 7). */
export function priorityToIpb(priority: number): number {
  return priority > XIVE_PRIORITY_MAX || priority < 0 ? 0 : 0x80 >> priority;
}

/**
 * KVM's initial saved OS context at connect: W0/W1 = 00 00 00 00 FF 00 00 00
 * (ACK_CNT = 0xFF), and the CAM word with VO set in W2.
 */
export function tctxInit(regs: Uint8Array, base: number, cam: number): void {
  regs.fill(0, base, base + TCTX_SIZE);
  regs[base + TM_QW1_OS + TM_ACK_CNT] = 0xff;
  const w2 = (TM_QW1W2_VO | (cam & 0x00ffffff)) >>> 0;
  const o = base + TM_QW1_OS + TM_WORD2;
  regs[o] = w2 >>> 24;
  regs[o + 1] = (w2 >>> 16) & 0xff;
  regs[o + 2] = (w2 >>> 8) & 0xff;
  regs[o + 3] = w2 & 0xff;
}

/** xive_tctx_notify: returns true when the line must be raised. */
export function tctxNotify(regs: Uint8Array, base: number): boolean {
  if (regs[base + OS_PIPR] < regs[base + OS_CPPR]) {
    regs[base + OS_NSR] |= TM_QW1_NSR_EO;
    return true;
  }
  return false;
}

/** xive_tctx_ipb_update: OR `ipbBits` into IPB, recompute PIPR, notify. */
export function tctxIpbUpdate(regs: Uint8Array, base: number, ipbBits: number): boolean {
  const ipb = (regs[base + OS_IPB] | ipbBits) & 0xff;
  regs[base + OS_IPB] = ipb;
  regs[base + OS_PIPR] = ipbToPipr(ipb);
  return tctxNotify(regs, base);
}

/**
 * xive_tctx_set_cppr (OS ring): values above 7 become 0xFF; PIPR is recomputed from IPB (as
 * the hardware keeps it, and as recent QEMU does) before the presenter check, so KVM's
 * initial image (PIPR byte 0 with an empty IPB) does not signal a phantom priority 0.
 */
export function tctxSetCppr(regs: Uint8Array, base: number, cppr: number): boolean {
  regs[base + OS_CPPR] = (cppr & 0xff) > XIVE_PRIORITY_MAX ? 0xff : cppr & 0xff;
  regs[base + OS_PIPR] = ipbToPipr(regs[base + OS_IPB]);
  return tctxNotify(regs, base);
}

/** xive_tctx_accept (OS ring): the ACK_OS_REG value. The caller lowers the line. */
export function tctxAccept(regs: Uint8Array, base: number): number {
  const nsr = regs[base + OS_NSR];
  if (nsr & TM_QW1_NSR_EO) {
    const cppr = regs[base + OS_PIPR];
    regs[base + OS_CPPR] = cppr;
    const ipb = regs[base + OS_IPB] & ~priorityToIpb(cppr) & 0xff;
    regs[base + OS_IPB] = ipb;
    regs[base + OS_PIPR] = ipbToPipr(ipb);
    regs[base + OS_NSR] = nsr & ~TM_QW1_NSR_EO;
  }
  return (nsr << 8) | regs[base + OS_CPPR];
}

/**
 * Per-byte permissions of the OS view (QEMU xive_tm_os_view): 2 = readable, 1 = writable.
 * QW0 NSR and word 2 are listed but QW0 is refused as a whole by the raw accessors.
 */
const OS_VIEW: readonly number[] = [
  3, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 0, 0, 0, 0,
  2, 3, 2, 2, 2, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/** What an OS-view TIMA access at `offset` (within the page) of `size` bytes does. */
export const TM_OP_INVALID = 0;
export const TM_OP_RAW = 1;
export const TM_OP_SET_OS_CPPR = 2;
export const TM_OP_ACK_OS_REG = 3;
export const TM_OP_SET_OS_PENDING = 4;

export function timaDecode(offset: number, size: number, write: boolean): number {
  const o = offset & 0xfff;
  if (o & TM_SPECIAL_OP) {
    if (!write && o === TM_SPC_ACK_OS_REG && size === 2) return TM_OP_ACK_OS_REG;
    if (write && o === TM_SPC_SET_OS_PENDING && size === 1) return TM_OP_SET_OS_PENDING;
    return TM_OP_INVALID;
  }
  if (write && o === OS_CPPR && size === 1) return TM_OP_SET_OS_CPPR;
  const reg = o & 0x3f;
  if ((size !== 4 && size !== 8) || (reg & 0x30) === TM_QW0_USER) return TM_OP_INVALID;
  const bit = write ? 1 : 2;
  let any = false;
  for (let i = 0; i < size; i++) if (reg + i < 64 && (OS_VIEW[reg + i] & bit) !== 0) any = true;
  return any ? TM_OP_RAW : TM_OP_INVALID;
}

/**
 * Raw register load (big-endian bytes of the image); size 4 or 8. Bytes the OS view may not
 * read come back as 0 (QEMU masks them: AGE and word 2 of QW1).
 */
export function timaRawRead(regs: Uint8Array, base: number, offset: number, size: number): number {
  const reg = offset & 0x3f;
  let v = 0;
  for (let i = 0; i < size; i++) {
    const ok = reg + i < 64 && (OS_VIEW[reg + i] & 2) !== 0;
    v = v * 256 + (ok ? regs[base + reg + i] : 0);
  }
  return v;
}

/** Raw register store: only the bytes the OS view lets the OS write. */
export function timaRawWrite(regs: Uint8Array, base: number, offset: number, size: number, value: number): void {
  const reg = offset & 0x3f;
  for (let i = 0; i < size; i++) {
    if (reg + i >= 64 || (OS_VIEW[reg + i] & 1) === 0) continue;
    const shift = 8 * (size - 1 - i);
    regs[base + reg + i] = Math.floor(value / 2 ** shift) & 0xff;
  }
}

/** The all-ones answer of an invalid load of `size` bytes. */
export function allOnes(size: number): number {
  return size >= 8 ? 2 ** 64 - 1 : 2 ** (8 * size) - 1;
}

