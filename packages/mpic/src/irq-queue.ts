/**
 * The per-CPU "raised" and "servicing" queues (mpic.c struct irq_queue): a 264-bit set of
 * sources plus a *cached* `next` (highest-priority member, ties to the lowest number) and its
 * `priority`. The cache is refreshed only by `check` (IRQ_check / IRQ_get_next), exactly
 * where the kernel rescans; other code reads the stale cache on purpose (mpic.md §5, §6.1).
 *
 * One object holds one queue for all 32 CPUs in typed arrays: 9 words per CPU plus a word
 * summary, so a rescan visits only set bits (O(264) worst case, no allocation).
 */
import { MAX_CPU, QUEUE_WORDS, IVPR_PRIORITY_SHIFT } from "./constants.js";

export class IrqQueues {
  /** Bitmaps, QUEUE_WORDS words per CPU. */
  readonly words = new Uint32Array(MAX_CPU * QUEUE_WORDS);
  /** Per CPU: bit w set when word w is non-zero. */
  readonly summary = new Uint16Array(MAX_CPU);
  /** Cached highest-priority source, or -1. */
  readonly next = new Int32Array(MAX_CPU).fill(-1);
  /** Cached priority of `next` (-1 when a rescan found nothing; 0 after a reset). */
  readonly priority = new Int32Array(MAX_CPU);

  set(cpu: number, irq: number): void {
    const w = irq >>> 5;
    this.words[cpu * QUEUE_WORDS + w] |= 1 << (irq & 31);
    this.summary[cpu] |= 1 << w;
  }

  reset(cpu: number, irq: number): void {
    const w = irq >>> 5;
    const i = cpu * QUEUE_WORDS + w;
    const v = (this.words[i] & ~(1 << (irq & 31))) >>> 0;
    this.words[i] = v;
    if (v === 0) this.summary[cpu] &= ~(1 << w);
  }

  test(cpu: number, irq: number): boolean {
    return (this.words[cpu * QUEUE_WORDS + (irq >>> 5)] & (1 << (irq & 31))) !== 0;
  }

  isEmpty(cpu: number): boolean {
    return this.summary[cpu] === 0;
  }

  /**
   * IRQ_check: rescans the set against the sources' current IVPR priorities and refreshes the
   * cache. Returns the new `next`.
   */
  check(cpu: number, ivpr: Uint32Array): number {
    let next = -1;
    let prio = -1;
    let sum = this.summary[cpu];
    const base = cpu * QUEUE_WORDS;
    const words = this.words;
    while (sum !== 0) {
      const w = 31 - Math.clz32(sum & -sum);
      sum &= sum - 1;
      let bits = words[base + w];
      while (bits !== 0) {
        const low = bits & -bits;
        bits = (bits ^ low) >>> 0;
        const irq = (w << 5) | (31 - Math.clz32(low));
        const p = (ivpr[irq] >>> IVPR_PRIORITY_SHIFT) & 0xf;
        if (p > prio) {
          prio = p;
          next = irq;
        }
      }
    }
    this.next[cpu] = next;
    this.priority[cpu] = prio;
    return next;
  }

  /** Reset state of one CPU's queue: empty, next = -1, cached priority 0 (memset + next = -1). */
  clear(cpu: number): void {
    this.words.fill(0, cpu * QUEUE_WORDS, (cpu + 1) * QUEUE_WORDS);
    this.summary[cpu] = 0;
    this.next[cpu] = -1;
    this.priority[cpu] = 0;
  }

  /** Members of one CPU's set, ascending (for dumps and tests; allocates). */
  members(cpu: number): number[] {
    const out: number[] = [];
    for (let w = 0; w < QUEUE_WORDS; w++) {
      const bits = this.words[cpu * QUEUE_WORDS + w];
      for (let b = 0; b < 32; b++) if (bits & (1 << b)) out.push(w * 32 + b);
    }
    return out;
  }
}
