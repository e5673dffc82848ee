/**
 * Interrupt sources: their kinds and the pure register-write functions (mpic.md §2, §4, §6.10).
 * The delivery state machine (openpic.ts) stores the results in typed arrays.
 */
import {
  IDR_CI0_SHIFT,
  IDR_EP,
  IDR_EP_SHIFT,
  IRQ_IPI0,
  IVPR_ACTIVITY,
  IVPR_POLARITY,
  IVPR_SENSE,
  IVPR_WRITE_MASK,
  MAX_CPU,
  MAX_IRQ,
  MAX_SRC,
  NUM_EXTERNAL,
  OUTPUT_CINT,
  OUTPUT_INT,
  ILR_INTTGT_MASK,
} from "./constants.js";

/** Source kinds (mpic.c enum irq_type). */
export const SourceKind = {
  /** 0–15: external, edge or level per IVPR[S]. */
  Normal: 0,
  /** 16–255: FSL internal, always level. */
  FslInt: 1,
  /** 256–263: IPIs and timers, always edge, no polarity. */
  FslSpecial: 2,
} as const;
export type SourceKind = (typeof SourceKind)[keyof typeof SourceKind];

export function sourceKind(n: number): SourceKind {
  return n < NUM_EXTERNAL ? SourceKind.Normal : n < MAX_SRC ? SourceKind.FslInt : SourceKind.FslSpecial;
}

/** Human name of a source number: "src 5", "ipi 1", "timer 3", "msi 2 (src 226)". */
export function sourceName(n: number): string {
  if (n >= IRQ_IPI0 + 4 && n < MAX_IRQ) return `timer ${n - IRQ_IPI0 - 4}`;
  if (n >= IRQ_IPI0 && n < MAX_IRQ) return `ipi ${n - IRQ_IPI0}`;
  if (n >= 224 && n < 232) return `msi ${n - 224} (src ${n})`;
  return `src ${n}`;
}

/** Result of an IVPR write: the stored register and whether the source is level-sensitive. */
export interface IvprWrite {
  ivpr: number;
  level: boolean;
}

/**
 * IVPR write (write_IRQreg_ivpr): keep the read-only A bit, take MASK|PRIORITY|SENSE|POLARITY|
 * VECTOR from the value, then force per kind: normal sources take `level` from S; internal
 * sources clear S (they stay level); IPIs/timers clear S and P (they stay edge).
 */
export function ivprWrite(kind: SourceKind, old: number, value: number, oldLevel: boolean): IvprWrite {
  let ivpr = ((old & IVPR_ACTIVITY) | (value & IVPR_WRITE_MASK)) >>> 0;
  let level = oldLevel;
  switch (kind) {
    case SourceKind.Normal:
      level = (ivpr & IVPR_SENSE) !== 0;
      break;
    case SourceKind.FslInt:
      ivpr = (ivpr & ~IVPR_SENSE) >>> 0;
      break;
    case SourceKind.FslSpecial:
      ivpr = (ivpr & ~(IVPR_POLARITY | IVPR_SENSE)) >>> 0;
      break;
  }
  return { ivpr, level };
}

/** Result of an IDR write: the stored IDR, the CPU set, the output and the v2.0 nomask flag. */
export interface IdrWrite {
  idr: number;
  destmask: number;
  /** v2.0 only: the output the CI bits select (v4.2 keeps the ILR's output: null). */
  output: number | null;
  /** v2.0 only: critical sources ignore IVPR[MASK]. */
  nomask: boolean | null;
}

/** (1 << n) - 1 for n in 0..32, as a u32. */
function lowMask(n: number): number {
  return n >= 32 ? 0xffffffff : ((1 << n) - 1) >>> 0;
}

/**
 * IDR write (write_IRQreg_idr) with `nbCpus` CPUs attached at the time of the write.
 *
 * v2.0 (`idrCrit`): normal mask = bits 0..N-1, critical mask = normal << (31 - N), EP = bit 31;
 * the value is ANDed with their union. Any critical bit set -> output CINT, nomask, destmask =
 * CPUs i whose bit (30 - i) is set; else output INT, destmask = normal bits.
 * The kernel shifts by (31 - N), which is -1 when N = 32: that shift is undefined in C and a
 * PowerPC shift instruction gives 0 for it, so the critical mask is empty then (and bit -1
 * for CPU 31 never matches).
 *
 * v4.2: value ANDed with the normal mask; destmask = that.
 */
export function idrWrite(idrCrit: boolean, nbCpus: number, value: number): IdrWrite {
  const normal = lowMask(nbCpus);
  if (!idrCrit) {
    const idr = (value & normal) >>> 0;
    return { idr, destmask: idr, output: null, nomask: null };
  }
  const critShift = IDR_EP_SHIFT - nbCpus;
  const crit = critShift >= 0 && critShift < 32 ? (normal << critShift) >>> 0 : 0;
  const mask = (normal | crit | IDR_EP) >>> 0;
  const idr = (value & mask) >>> 0;
  if ((idr & crit) !== 0) {
    let destmask = 0;
    for (let i = 0; i < nbCpus && i < MAX_CPU; i++) {
      const ci = IDR_CI0_SHIFT - i;
      if (ci >= 0 && (idr & (1 << ci)) !== 0) destmask |= 1 << i;
    }
    return { idr, destmask: destmask >>> 0, output: OUTPUT_CINT, nomask: true };
  }
  return { idr, destmask: (idr & normal) >>> 0, output: OUTPUT_INT, nomask: false };
}

/** ILR write (v4.2): output = value & 0xFF, stored as is (values >= 3 are kept, mpic.md §12.9). */
export function ilrWrite(value: number): number {
  return value & ILR_INTTGT_MASK;
}
