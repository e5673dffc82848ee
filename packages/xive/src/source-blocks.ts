/**
 * Per-source state KVM keeps for the native device (struct kvmppc_xive_irq_state), in typed
 * arrays, in lazily allocated blocks of 1024 sources (kvmppc_xive_create_src_block).
 * The source's EAS (its routing entry in the XIVE router) is derived from the targeting:
 * masked when `actPriority` is 0xFF, else (server, priority, EISN).
 */
import {
  KVM_INTERRUPT_SET_LEVEL,
  KVM_INTERRUPT_UNSET,
  MASKED,
  PQ_OFF,
  XIVE_BLOCK_MASK,
  XIVE_BLOCK_SHIFT,
  XIVE_BLOCK_SIZE,
  XIVE_MAX_BLOCK_ID,
} from "./constants.js";

export const SRC_VALID = 1;
export const SRC_LSI = 2;
export const SRC_ASSERTED = 4;
/** A host device interrupt is mapped to this source (pt_number != 0). */
export const SRC_PT = 8;

/** Bytes of typed-array state per source (for the heap figure of the bench). */
export const BYTES_PER_SOURCE = 1 + 1 + 1 + 1 + 4 + 4 + 4 + 4;

/**
 * The level part of kvmppc_xive_set_irq, shared by the native and the XICS-on-XIVE device:
 * level 0 / UNSET only clears `asserted` (returns false); (1 on an LSI) or SET_LEVEL sets it;
 * every level but 0 / UNSET then triggers (returns true).
 */
export function applySourceLevel(b: SourceBlock, i: number, level: number): boolean {
  const f = b.flags[i];
  const l = level >>> 0;
  if ((l === 1 && f & SRC_LSI) || l === KVM_INTERRUPT_SET_LEVEL) b.flags[i] = f | SRC_ASSERTED;
  else if (l === 0 || l === KVM_INTERRUPT_UNSET) {
    b.flags[i] = f & ~SRC_ASSERTED;
    return false;
  }
  return true;
}

export class SourceBlock {
  readonly flags = new Uint8Array(XIVE_BLOCK_SIZE);
  /** PQ of the IPI backing each source (the ESB the guest sees when nothing is passed through). */
  readonly pq = new Uint8Array(XIVE_BLOCK_SIZE);
  /** PQ of the passed-through host interrupt, when one is mapped. */
  readonly ptPq = new Uint8Array(XIVE_BLOCK_SIZE);
  readonly actPriority = new Uint8Array(XIVE_BLOCK_SIZE).fill(MASKED);
  readonly actServer = new Uint32Array(XIVE_BLOCK_SIZE);
  readonly eisn = new Uint32Array(XIVE_BLOCK_SIZE);
  /**
   * EISN programmed in the EAS of the selected hardware interrupt (IPI, or the passed-through
   * one): `eisn` after SOURCE_CONFIG, the source number after set_mapped / clr_mapped
   * (xive_native_configure_irq(..., state->number)) until the next SOURCE_CONFIG.
   */
  readonly hwEisn = new Uint32Array(XIVE_BLOCK_SIZE);
  /** Host hardware interrupt number of the passed-through interrupt (pt_number). */
  readonly ptNumber = new Uint32Array(XIVE_BLOCK_SIZE);

  constructor(readonly id: number) {
    // An IPI that was never allocated reads as "off" until SOURCE creates it.
    this.pq.fill(PQ_OFF);
    this.ptPq.fill(PQ_OFF);
  }

  number(i: number): number {
    return (this.id << XIVE_BLOCK_SHIFT) | i;
  }
}

/**
 * The block table (src_blocks[]). Generic over the block type so a device that keeps more
 * per-source state (XICS-on-XIVE: guest/saved priorities, old P/Q, snapshot flags) extends
 * `SourceBlock` and passes its factory.
 */
export class SourceBlocks<B extends SourceBlock = SourceBlock> {
  readonly blocks: (B | null)[] = new Array(XIVE_MAX_BLOCK_ID + 1).fill(null);
  allocated = 0;
  /** Number of valid sources (src_count). */
  count = 0;

  constructor(private readonly make: (id: number) => B = (id) => new SourceBlock(id) as B) {}

  /** kvmppc_xive_find_source: the block of `irq` (u32), or null. */
  find(irq: number): B | null {
    const bid = irq >>> XIVE_BLOCK_SHIFT;
    if (bid > XIVE_MAX_BLOCK_ID) return null;
    return this.blocks[bid];
  }

  /** kvmppc_xive_create_src_block. */
  create(irq: number): B {
    const bid = irq >>> XIVE_BLOCK_SHIFT;
    let b = this.blocks[bid];
    if (!b) {
      b = this.make(bid);
      this.blocks[bid] = b;
      this.allocated++;
    }
    return b;
  }

  /** Whether `irq` is a valid (created) source. */
  valid(irq: number): boolean {
    const b = this.find(irq);
    return b !== null && (b.flags[irq & XIVE_BLOCK_MASK] & SRC_VALID) !== 0;
  }

  clear(): void {
    this.blocks.fill(null);
    this.allocated = 0;
    this.count = 0;
  }

  *each(): IterableIterator<[B, number]> {
    for (const b of this.blocks) {
      if (!b) continue;
      for (let i = 0; i < XIVE_BLOCK_SIZE; i++) if (b.flags[i] & SRC_VALID) yield [b, i];
    }
  }
}
