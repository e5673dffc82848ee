import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SimClock } from "./index.js";

describe("SimClock", () => {
  it("fires timers in deadline order, ties in scheduling order, at their own time", () => {
    const c = new SimClock();
    const seen: string[] = [];
    c.at(30, (t) => seen.push(`b@${t}`));
    c.at(10, (t) => seen.push(`a@${t}`));
    c.at(30, (t) => seen.push(`c@${t}`));
    c.advanceTo(25);
    expect(seen).toEqual(["a@10"]);
    expect(c.now).toBe(25);
    c.advance(100);
    expect(seen).toEqual(["a@10", "b@30", "c@30"]);
    expect(c.now).toBe(125);
  });

  it("cancelled timers never fire; timers scheduled from a callback fire in the same advance", () => {
    const c = new SimClock();
    const seen: number[] = [];
    const id = c.after(5, () => seen.push(5));
    expect(c.cancel(id)).toBe(true);
    c.after(10, () => c.after(1, (t) => seen.push(t)));
    c.advance(20);
    expect(seen).toEqual([11]);
    expect(c.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
    expect(() => c.at(Number.NaN, () => {})).toThrow(RangeError);
  });

  it("never goes backwards and fires every timer exactly once", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1000 }), { maxLength: 50 }), (deadlines) => {
        const c = new SimClock();
        const fired: number[] = [];
        for (const d of deadlines) c.at(d, (t) => fired.push(t));
        c.advanceTo(500);
        c.advanceTo(100);
        expect(c.now).toBe(500);
        c.advanceTo(2000);
        expect(fired).toEqual([...deadlines].sort((a, b) => a - b));
      }),
    );
  });
});
