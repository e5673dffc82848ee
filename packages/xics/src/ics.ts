/**
 * The interrupt source controller (ICS): up to 1024 lazily allocated blocks of 1024 sources
 * (struct kvmppc_ics), each source's state in typed arrays — 8 bytes per source:
 *
 *   server          Uint32Array   destination server number
 *   priority        Uint8Array    current priority (0xFF = masked)
 *   savedPriority   Uint8Array    priority ibm,int-on restores
 *   pq              Uint8Array    P (1) / Q (2)
 *   flags           Uint8Array    RESEND | MASKED_PENDING | LSI | EXISTS
 *
 * plus the block's resend set: the RESEND flags again as a two-level bitmap (32 words of 32
 * bits and a summary word with one bit per non-zero word) and their count, so the resend
 * scan visits only the sources marked resend, in index order. Every write of `flags` goes
 * through `setFlags`, which keeps the set equal to the RESEND bits.
 *
 * A block is allocated only by KVM_SET_DEVICE_ATTR(KVM_DEV_XICS_GRP_SOURCES); every source
 * of a fresh block has priority = saved priority = 0xFF and everything else 0.
 * (host_irq / intr_cpu, KVM's pass-through bookkeeping, have no effect here and are not kept.)
 */
import { KVMPPC_XICS_ICS_SHIFT, KVMPPC_XICS_IRQ_PER_ICS, KVMPPC_XICS_MAX_ICS_ID, MASKED } from "./constants.js";

/** flags bits. */
export const SRC_RESEND = 1;
export const SRC_MASKED_PENDING = 2;
export const SRC_LSI = 4;
export const SRC_EXISTS = 8;

/** Bytes of typed-array state per source. */
export const BYTES_PER_SOURCE = 8;

/** One block of 1024 sources (struct kvmppc_ics). */
export class IcsBlock {
  readonly server: Uint32Array;
  readonly priority: Uint8Array;
  readonly savedPriority: Uint8Array;
  readonly pq: Uint8Array;
  readonly flags: Uint8Array;
  /** Bit (i & 31) of word i >>> 5 is set while source i has SRC_RESEND. */
  readonly resendWords = new Uint32Array(KVMPPC_XICS_IRQ_PER_ICS >>> 5);
  /** Bit w is set while resendWords[w] is non-zero. */
  resendSummary = 0;
  /** Number of sources with SRC_RESEND. */
  resendCount = 0;

  constructor(readonly icsid: number) {
    const n = KVMPPC_XICS_IRQ_PER_ICS;
    const buf = new ArrayBuffer(n * BYTES_PER_SOURCE);
    this.server = new Uint32Array(buf, 0, n);
    this.priority = new Uint8Array(buf, 4 * n, n);
    this.savedPriority = new Uint8Array(buf, 5 * n, n);
    this.pq = new Uint8Array(buf, 6 * n, n);
    this.flags = new Uint8Array(buf, 7 * n, n);
    this.priority.fill(MASKED);
    this.savedPriority.fill(MASKED);
  }

  /** Stores the flags of source `i`, keeping the resend set in step with SRC_RESEND. */
  setFlags(i: number, f: number): void {
    const old = this.flags[i];
    this.flags[i] = f;
    if (((old ^ f) & SRC_RESEND) === 0) return;
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    if (f & SRC_RESEND) {
      this.resendWords[w] |= bit;
      this.resendSummary |= 1 << w;
      this.resendCount++;
    } else {
      const left = this.resendWords[w] & ~bit;
      this.resendWords[w] = left;
      if (left === 0) this.resendSummary &= ~(1 << w);
      this.resendCount--;
    }
  }

  /**
   * The lowest source index >= `from` marked resend, or -1: O(1) (two find-first-set steps on
   * the bitmap), whatever the number of sources in the block.
   */
  nextResend(from: number): number {
    if (this.resendCount === 0 || from >= KVMPPC_XICS_IRQ_PER_ICS) return -1;
    const w = from >>> 5;
    const here = this.resendWords[w] & (-1 << (from & 31));
    if (here !== 0) return (w << 5) | lowestBit(here);
    if (w === 31) return -1;
    const later = this.resendSummary & (-1 << (w + 1));
    if (later === 0) return -1;
    const w2 = lowestBit(later);
    return (w2 << 5) | lowestBit(this.resendWords[w2]);
  }

  /** Global number of the source at `index`. */
  number(index: number): number {
    return (this.icsid << KVMPPC_XICS_ICS_SHIFT) | index;
  }
}

/** Index of the lowest set bit of a non-zero 32-bit value. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export class Ics {
  /** Blocks by id; null until allocated. */
  readonly blocks: (IcsBlock | null)[] = new Array<IcsBlock | null>(KVMPPC_XICS_MAX_ICS_ID + 1).fill(null);
  /** Highest block id ever allocated (xics->max_icsid). */
  maxIcsId = 0;
  /** Number of allocated blocks. */
  allocated = 0;

  /** kvmppc_xics_find_ics: the block of `irq` (taken as u32), or null. */
  find(irq: number): IcsBlock | null {
    const icsid = (irq >>> 0) >>> KVMPPC_XICS_ICS_SHIFT;
    return icsid > KVMPPC_XICS_MAX_ICS_ID ? null : this.blocks[icsid];
  }

  /** kvmppc_xics_create_ics: allocates the block of `irq` if needed. `irq` must be < 2^20. */
  create(irq: number): IcsBlock {
    const icsid = irq >>> KVMPPC_XICS_ICS_SHIFT;
    let b = this.blocks[icsid];
    if (b === null) {
      b = new IcsBlock(icsid);
      this.blocks[icsid] = b;
      this.allocated++;
      if (icsid > this.maxIcsId) this.maxIcsId = icsid;
    }
    return b;
  }

  /** Frees every block (release). */
  clear(): void {
    this.blocks.fill(null);
    this.maxIcsId = 0;
    this.allocated = 0;
  }

  /** Numbers of every source with exists = 1, ascending. */
  *existing(): Generator<number> {
    for (const b of this.blocks) {
      if (b === null) continue;
      for (let i = 0; i < KVMPPC_XICS_IRQ_PER_ICS; i++) if (b.flags[i] & SRC_EXISTS) yield b.number(i);
    }
  }
}
