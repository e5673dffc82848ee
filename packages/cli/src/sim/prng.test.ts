import { describe, expect, it } from "vitest";
import { percentile, summarize } from "./metrics.js";
import { exponential, mulberry32, pick, splitSeed } from "./prng.js";

describe("seeded generators", () => {
  it("the same seed gives the same sequence; values stay in [0, 1)", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    for (let i = 0; i < 1000; i++) {
      const x = a.next();
      expect(x).toBe(b.next());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(mulberry32(43).next()).not.toBe(mulberry32(42).next());
  });

  it("exponential gaps are integers >= 1 with about the requested mean", () => {
    const r = mulberry32(7);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const g = exponential(r, 1000);
      expect(Number.isInteger(g) && g >= 1).toBe(true);
      sum += g;
    }
    expect(sum / 20000).toBeGreaterThan(950);
    expect(sum / 20000).toBeLessThan(1050);
  });

  it("pick stays in range; splitSeed separates streams", () => {
    const r = mulberry32(1);
    for (let i = 0; i < 100; i++) expect(pick(r, 3)).toBeLessThan(3);
    expect(splitSeed(1, 0)).not.toBe(splitSeed(1, 1));
    expect(splitSeed(1, 0)).toBe(splitSeed(1, 0));
  });
});

describe("latency percentiles (nearest rank)", () => {
  it("on hand-computed samples", () => {
    const s = Float64Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(percentile(s, 0.5)).toBe(50);
    expect(percentile(s, 0.99)).toBe(100);
    expect(percentile(s, 0.9)).toBe(90);
    expect(summarize(s)).toEqual({ samples: 10, p50: 50, p90: 90, p99: 100, max: 100, mean: 55 });
    expect(summarize(new Float64Array(0)).p50).toBeNull();
  });
});
