/**
 * Event queues (END/EQ): one per (vCPU, priority), in guest memory. The hardware writer
 * appends 32-bit big-endian entries `generation << 31 | EISN` at `index`, advances the
 * index modulo the entry count and flips its generation bit at wrap; a fresh queue starts
 * at (toggle 1, index 0) over zeroed memory. The guest reader keeps its own (index,
 * toggle) starting at (0, 0): an entry is valid when its bit 31 differs from the reader's
 * toggle (Linux xive_read_eq).
 *
 * `EventQueues` also holds KVM's per-queue targeting counter (kvmppc_xive_vcpu queues[p].count)
 * that SOURCE_CONFIG consumes and nothing in the native device gives back.
 */
import type { GuestMemory } from "@irqlab/core";
import { KVMPPC_XIVE_Q_COUNT, XIVE_Q_GAP } from "./constants.js";

export class EventQueues {
  /** Whether the HW queue has a page (q->qpage != NULL). */
  readonly configured = new Uint8Array(KVMPPC_XIVE_Q_COUNT);
  /** Guest physical address and log2 size remembered for EQ_CONFIG get / EQ_SYNC. */
  readonly qaddr = new Float64Array(KVMPPC_XIVE_Q_COUNT);
  readonly qshift = new Uint8Array(KVMPPC_XIVE_Q_COUNT);
  /** entries - 1 (q->msk); kept across disable, as xive_native_disable_queue does. */
  readonly msk = new Uint32Array(KVMPPC_XIVE_Q_COUNT);
  /** Writer state. */
  readonly toggle = new Uint8Array(KVMPPC_XIVE_Q_COUNT);
  readonly index = new Uint32Array(KVMPPC_XIVE_Q_COUNT);
  /** Targeting accounting (q->count). */
  readonly count = new Uint32Array(KVMPPC_XIVE_Q_COUNT);
  /** Entries written per queue (statistics). */
  readonly written = new Float64Array(KVMPPC_XIVE_Q_COUNT);
  /** Escalation interrupts attached (one per configured queue, §9). */
  readonly escalation = new Uint8Array(KVMPPC_XIVE_Q_COUNT);
  /**
   * Reader state when KVM itself consumes the queue (XICS-on-XIVE: q->idx, q->toggle,
   * starting at (0, 0)), and the retarget accounting q->pending_count that scan_interrupts
   * subtracts from `count` when it next sees the queue empty.
   */
  readonly readIdx = new Uint32Array(KVMPPC_XIVE_Q_COUNT);
  readonly readToggle = new Uint8Array(KVMPPC_XIVE_Q_COUNT);
  readonly pendingCount = new Uint32Array(KVMPPC_XIVE_Q_COUNT);

  /** xive_native_configure_queue with a page: resets msk, index, toggle (not count). */
  configure(prio: number, qaddr: number, qshift: number): void {
    this.configured[prio] = 1;
    this.qaddr[prio] = qaddr;
    this.qshift[prio] = qshift;
    this.msk[prio] = (1 << (qshift - 2)) - 1;
    this.index[prio] = 0;
    this.toggle[prio] = 1;
    this.escalation[prio] = 1;
    this.readIdx[prio] = 0;
    this.readToggle[prio] = 0;
  }

  /**
   * __xive_read_eq on queue `prio` from (idx, toggle) without touching the stored reader:
   * returns the entry's low 31 bits (0 when empty or no page); the advanced position is left
   * in `scanIdx` / `scanToggle`.
   */
  peekAt(memory: GuestMemory, prio: number, idx: number, toggle: number): number {
    this.scanIdx = idx;
    this.scanToggle = toggle;
    if (!this.configured[prio]) return 0;
    const cur = memory.read(this.qaddr[prio] + idx * 4, 4, "be");
    if (cur >>> 31 === toggle) return 0;
    const next = (idx + 1) & this.msk[prio];
    this.scanIdx = next;
    this.scanToggle = next === 0 ? toggle ^ 1 : toggle;
    return cur & 0x7fffffff;
  }

  /** Position after the last `peekAt` (scratch, no allocation). */
  scanIdx = 0;
  scanToggle = 0;

  /** Queue reset (qshift 0) / cleanup: no page, guest values forgotten; count untouched. */
  disable(prio: number): void {
    this.configured[prio] = 0;
    this.qaddr[prio] = 0;
    this.qshift[prio] = 0;
    this.escalation[prio] = 0;
  }

  entries(prio: number): number {
    return this.msk[prio] + 1;
  }

  /**
   * xive_try_pick_queue: 0 on success (one slot consumed), -ENXIO (6) when the queue has no
   * page, -EBUSY (16) when full (count reached entries - XIVE_Q_GAP).
   */
  tryPick(prio: number): number {
    if (!this.configured[prio]) return -6;
    const max = this.msk[prio] + 1 - XIVE_Q_GAP;
    if (this.count[prio] >= max) return -16;
    this.count[prio]++;
    return 0;
  }

  /** Writes one entry for `eisn` into queue `prio` of guest memory; false when no page. */
  push(memory: GuestMemory, prio: number, eisn: number): boolean {
    if (!this.configured[prio]) return false;
    const idx = this.index[prio];
    const t = this.toggle[prio];
    memory.write(this.qaddr[prio] + idx * 4, 4, t * 0x80000000 + (eisn & 0x7fffffff), "be");
    const next = (idx + 1) & this.msk[prio];
    this.index[prio] = next;
    if (next === 0) this.toggle[prio] = t ^ 1;
    this.written[prio]++;
    return true;
  }
}

/** The guest side of one queue (Linux struct xive_q): its own index and toggle. */
export class EqReader {
  idx = 0;
  toggle = 0;
  readonly msk: number;

  constructor(
    readonly memory: GuestMemory,
    readonly qaddr: number,
    qshift: number,
  ) {
    this.msk = (1 << (qshift - 2)) - 1;
  }

  /** xive_read_eq: the next EISN, or 0 when the queue holds nothing new. */
  read(justPeek = false): number {
    const cur = this.memory.read(this.qaddr + this.idx * 4, 4, "be");
    if (cur >>> 31 === this.toggle) return 0;
    if (!justPeek) {
      this.idx = (this.idx + 1) & this.msk;
      if (this.idx === 0) this.toggle ^= 1;
    }
    return cur & 0x7fffffff;
  }
}
