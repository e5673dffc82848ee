import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventQueue } from "./event-queue.js";

describe("EventQueue", () => {
  it("pops in (time, insertion order) like SimClock fires timers, across growth", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 600 }), (times) => {
        const q = new EventQueue(4);
        times.forEach((t, i) => q.push(t, i));
        const expected = times.map((t, i) => ({ t, i })).sort((a, b) => a.t - b.t || a.i - b.i);
        const got: { t: number; i: number }[] = [];
        while (q.size > 0) {
          got.push({ t: q.peekTime(), i: q.peekCode() });
          q.pop();
        }
        expect(got).toEqual(expected);
        expect(q.peekTime()).toBe(Number.POSITIVE_INFINITY);
      }),
      { numRuns: 200 },
    );
  });

  it("interleaved pushes and pops keep the order (events scheduled at the current time run after those already due)", () => {
    const q = new EventQueue(2);
    q.push(10, 1);
    q.push(10, 2);
    q.push(5, 3);
    expect(q.peekCode()).toBe(3);
    q.pop();
    q.push(10, 4); // scheduled "now" at 10 while 1 and 2 are due at 10: runs after them
    const order: number[] = [];
    while (q.size) {
      order.push(q.peekCode());
      q.pop();
    }
    expect(order).toEqual([1, 2, 4]);
  });
});
