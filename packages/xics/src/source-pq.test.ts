import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { PQ_PRESENTED as P, PQ_QUEUED as Q, PQ_UNCHANGED, normaliseLevel, pqEoi, pqTrigger } from "./index.js";

describe("source P/Q: pure transitions (table)", () => {
  it.each([
    { lsi: false, pq: 0, level: 1, next: P },
    { lsi: false, pq: P, level: 1, next: P | Q },
    { lsi: false, pq: P | Q, level: 1, next: P | Q },
    { lsi: false, pq: Q, level: 1, next: P },
    { lsi: false, pq: P, level: 0, next: PQ_UNCHANGED },
    { lsi: false, pq: 0, level: 7, next: P },
    { lsi: true, pq: 0, level: 1, next: P },
    { lsi: true, pq: P, level: 1, next: PQ_UNCHANGED },
    { lsi: true, pq: P | Q, level: 1, next: PQ_UNCHANGED },
    { lsi: true, pq: P, level: 0, next: 0 },
    { lsi: true, pq: P | Q, level: 0, next: 0 },
    { lsi: true, pq: 0, level: 0, next: 0 },
  ])("trigger: lsi=$lsi pq=$pq level=$level -> $next", ({ lsi, pq, level, next }) => {
    expect(pqTrigger(pq, lsi, level)).toBe(next);
  });

  it.each([
    { lsi: false, pq: P | Q, next: P },
    { lsi: false, pq: P, next: 0 },
    { lsi: false, pq: 0, next: 0 },
    { lsi: true, pq: P, next: P },
    { lsi: true, pq: 0, next: 0 },
  ])("EOI: lsi=$lsi pq=$pq -> $next", ({ lsi, pq, next }) => {
    expect(pqEoi(pq, lsi)).toBe(next);
  });

  it("[xics-38] levels -1U and -3U count as 1, -2U as 0, others as they are", () => {
    expect(normaliseLevel(-1)).toBe(1);
    expect(normaliseLevel(-3)).toBe(1);
    expect(normaliseLevel(0xffffffff)).toBe(1);
    expect(normaliseLevel(0xfffffffd)).toBe(1);
    expect(normaliseLevel(-2)).toBe(0);
    expect(normaliseLevel(0xfffffffe)).toBe(0);
    expect(normaliseLevel(0)).toBe(0);
    expect(normaliseLevel(5)).toBe(5);
  });

  it("the presenting transition is exactly 'becomes P with Q clear', and P/Q stay in 0..3 (property)", () => {
    fc.assert(
      fc.property(fc.nat({ max: 3 }), fc.boolean(), fc.integer(), (pq, lsi, level) => {
        const n = pqTrigger(pq, lsi, normaliseLevel(level));
        if (n !== PQ_UNCHANGED) expect(n >= 0 && n <= 3).toBe(true);
        expect(pqEoi(pq, lsi) >= 0 && pqEoi(pq, lsi) <= 3).toBe(true);
        if (!lsi && normaliseLevel(level) !== 0) expect(n & P).toBe(P);
      }),
    );
  });
});
