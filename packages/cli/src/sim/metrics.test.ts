import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCompare } from "../compare.js";
import { loadPluginSet } from "../plugins.js";
import { BUILTIN_WORKLOADS } from "../workload/builtins.js";
import { COARSE_RELATIVE_ERROR, DENSE_NS, LatencyHistogram, TAIL_CAPACITY, cdf, summarize } from "./metrics.js";

const plugins = await loadPluginSet();

const sortedOf = (xs: readonly number[]): Float64Array => Float64Array.from(xs).sort();

function histOf(xs: readonly number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const x of xs) h.push(x);
  return h;
}

describe("LatencyHistogram", () => {
  it("summary and CDF equal the sorted-sample computation for integer and fractional samples", () => {
    const value = fc.oneof(
      fc.integer({ min: 0, max: DENSE_NS - 1 }),
      fc.integer({ min: DENSE_NS, max: 2e10 }),
      fc.double({ min: 0, max: 1e7, noNaN: true }),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 400 }), (xs) => {
        const h = histOf(xs);
        const s = sortedOf(xs);
        const got = h.summary();
        const want = summarize(s);
        expect({ ...got, mean: null }).toEqual({ ...want, mean: null });
        if (want.mean !== null) expect(got.mean).toBeCloseTo(want.mean, 6);
        expect(h.cdf()).toEqual(cdf(s));
        expect(h.exact).toBe(true);
      }),
    );
  });

  it("merging histograms equals one histogram of every sample", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 300_000 }), { maxLength: 100 }), { maxLength: 4 }), (parts) => {
        const m = LatencyHistogram.merge(parts.map(histOf));
        expect(m.cdf()).toEqual(cdf(sortedOf(parts.flat())));
        expect(m.count).toBe(parts.flat().length);
      }),
    );
  });

  it("memory stays bounded past TAIL_CAPACITY distinct long latencies, with the stated relative error", () => {
    const h = new LatencyHistogram();
    const xs: number[] = [];
    for (let i = 0; i < TAIL_CAPACITY * 3; i++) {
      const v = DENSE_NS + i * 7919;
      xs.push(v);
      h.push(v);
    }
    expect(h.exact).toBe(false);
    const s = summarize(sortedOf(xs));
    const got = h.summary();
    expect(got.relativeError).toBe(COARSE_RELATIVE_ERROR);
    for (const k of ["p50", "p90", "p99"] as const) {
      expect(Math.abs(got[k]! - s[k]!) / s[k]!).toBeLessThanOrEqual(COARSE_RELATIVE_ERROR);
    }
    expect(got.max).toBe(s.max);
  });
});

describe("latency statistics on the built-in workloads", () => {
  const samples = new Map<LatencyHistogram, number[]>();
  afterEach(() => {
    vi.restoreAllMocks();
    samples.clear();
  });

  for (const name of BUILTIN_WORKLOADS) {
    it(`${name}: every controller's percentiles and CDF equal the sorted-sample computation (the histogram is exact)`, () => {
      const push = LatencyHistogram.prototype.push;
      vi.spyOn(LatencyHistogram.prototype, "push").mockImplementation(function (this: LatencyHistogram, ns: number) {
        let a = samples.get(this);
        if (!a) samples.set(this, (a = []));
        a.push(ns);
        push.call(this, ns);
      });
      let checked = 0;
      for (const d of plugins.drivers) {
        samples.clear();
        const [c] = runCompare(plugins, { workload: name, controllers: [d.id], deterministic: true }).controllers;
        if (c.status !== "ok") continue;
        const classes = (["msi", "intx", "ipi"] as const).map((k) => c.byClass[k]).filter((r) => r !== null);
        const arrays = [...samples.values()];
        const all = sortedOf(arrays.flat());
        expect(c.latencyNs.relativeError).toBeUndefined();
        expect(c.latencyNs).toEqual(summarize(all));
        expect(c.latencyCdf).toEqual(cdf(all));
        for (const r of classes) {
          const mine = arrays.filter((a) => a.length === r.latencyNs.samples).map((a) => summarize(sortedOf(a)));
          if (r.latencyNs.samples > 0) expect(mine).toContainEqual(r.latencyNs);
        }
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});
