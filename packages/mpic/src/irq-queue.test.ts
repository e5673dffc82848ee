import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { IrqQueues } from "./irq-queue.js";

/** IRQ_check as written in the kernel: scan 0..263, strictly greater priority wins. */
function naiveCheck(set: Set<number>, ivpr: Uint32Array): [number, number] {
  let next = -1;
  let prio = -1;
  for (let i = 0; i < 264; i++) {
    if (!set.has(i)) continue;
    const p = (ivpr[i] >>> 16) & 0xf;
    if (p > prio) {
      prio = p;
      next = i;
    }
  }
  return [next, prio];
}

describe("IrqQueues", () => {
  it("picks the highest priority, ties to the lowest source; caches until the next check", () => {
    const q = new IrqQueues();
    const ivpr = new Uint32Array(264);
    ivpr[3] = 5 << 16;
    ivpr[100] = 9 << 16;
    ivpr[40] = 9 << 16;
    ivpr[263] = 15 << 16;
    expect(q.next[0]).toBe(-1);
    expect(q.priority[0]).toBe(0);
    q.set(0, 3);
    q.set(0, 100);
    q.set(0, 40);
    expect(q.check(0, ivpr)).toBe(40);
    expect(q.priority[0]).toBe(9);
    q.set(0, 263);
    expect(q.next[0]).toBe(40);
    expect(q.check(0, ivpr)).toBe(263);
    q.reset(0, 263);
    q.reset(0, 40);
    q.reset(0, 100);
    q.reset(0, 3);
    expect(q.isEmpty(0)).toBe(true);
    expect(q.check(0, ivpr)).toBe(-1);
    expect(q.priority[0]).toBe(-1);
    q.set(1, 7);
    q.clear(1);
    expect([q.isEmpty(1), q.next[1], q.priority[1]]).toEqual([true, -1, 0]);
  });

  it("agrees with the kernel's linear scan for any set and priorities (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 263 })), { maxLength: 80 }),
        fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 264, maxLength: 264 }),
        fc.integer({ min: 0, max: 31 }),
        (ops, prios, cpu) => {
          const q = new IrqQueues();
          const ivpr = Uint32Array.from(prios, (p) => (p << 16) | 0x80000000);
          const set = new Set<number>();
          for (const [add, irq] of ops) {
            if (add) {
              q.set(cpu, irq);
              set.add(irq);
            } else {
              q.reset(cpu, irq);
              set.delete(irq);
            }
            expect(q.test(cpu, irq)).toBe(add);
          }
          const [next, prio] = naiveCheck(set, ivpr);
          expect(q.check(cpu, ivpr)).toBe(next);
          expect(q.priority[cpu]).toBe(prio);
          expect(q.members(cpu)).toEqual([...set].sort((a, b) => a - b));
          expect(q.isEmpty(cpu)).toBe(set.size === 0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
