// Benchmark harness: runs a function in a timed loop and reports, for each result, one row
// of a human table (stderr-free, on stdout) and one JSON line:
//   {"bench":"xics.cycle","ops_per_s":5.2e6,"ns_per_op":192,"params":{...}}
// Bench names are `<package>.<what>`. Timings are only ever reported here, never asserted.
import { performance } from "node:perf_hooks";

const rows = [];

/**
 * Measures `fn(n)`, which must perform `n` operations. Warms up, then repeats batches until
 * `minMs` have passed; reports the best batch rate (least disturbed by GC and JIT).
 */
export function bench(name, params, fn, { minMs = 300, batch = 10_000, extra } = {}) {
  fn(Math.min(batch, 1000));
  let best = Infinity;
  let total = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    const s = performance.now();
    fn(batch);
    const dt = performance.now() - s;
    total += batch;
    best = Math.min(best, (dt * 1e6) / batch);
    if (dt < 5) batch *= 2;
  }
  return report(name, params, { ns_per_op: best, ops_per_s: 1e9 / best, ...(extra ? extra() : {}) });
}

/** Measures one long operation `runs` times; reports the median duration. */
export function benchOnce(name, params, fn, { runs = 15 } = {}) {
  fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    fn();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  return report(name, params, { ms, ns_per_op: ms * 1e6, ops_per_s: 1000 / ms });
}

/** Reports a figure that is not a rate (e.g. heap bytes per source). */
export function report(name, params, figures) {
  const row = { bench: name, ...round(figures), params };
  rows.push(row);
  console.log(JSON.stringify(row));
  return row;
}

function round(f) {
  const o = {};
  for (const [k, v] of Object.entries(f)) o[k] = typeof v === "number" ? Number(v.toPrecision(4)) : v;
  return o;
}

export function printTable() {
  const fmt = (v) => (v === undefined ? "" : typeof v === "number" ? v.toLocaleString("en-US", { maximumSignificantDigits: 4 }) : String(v));
  const lines = rows.map((r) => [r.bench, JSON.stringify(r.params), fmt(r.ops_per_s), fmt(r.ns_per_op), fmt(r.ms ?? r.bytes_per_source ?? "")]);
  const head = ["bench", "params", "ops/s", "ns/op", "ms | bytes"];
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cols) => cols.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  console.log("\n" + line(head));
  console.log(w.map((n) => "-".repeat(n)).join("  "));
  for (const l of lines) console.log(line(l));
}
