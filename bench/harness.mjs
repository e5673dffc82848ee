// Benchmark harness: runs a function in timed rounds and reports, for each result, one row
// of a human table (on stdout) and one JSON line:
//   {"bench":"xics.cycle","ops_per_s":5.2e6,"ns_per_op":192,"spread_pct":3.1,"runs":7,...}
// Bench names say the path (`routing.table.*`: the counter-only test chip; `routing.msi.<id>`:
// through a real controller). Every figure is the MEAN over `runs` measured rounds, with
// `spread_pct` = sample standard deviation / mean (%), `min_ns`/`max_ns` the extreme rounds,
// and `warmup_ns_per_op` the first (unmeasured) round reported separately. Timings are only
// ever reported here, never asserted.
import { performance } from "node:perf_hooks";

const rows = [];

/** Mean, sample standard deviation, min and max of `xs`. */
export function stats(xs) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs), n };
}

/**
 * Measures `fn(n)`, which must perform `n` operations. One warm-up round (reported as
 * `warmup_ns_per_op`), a batch size calibrated to take about `minMs / runs` per round, then
 * `runs` rounds; reports the mean ns per operation and the spread over rounds.
 */
export function bench(name, params, fn, { minMs = 300, batch = 10_000, runs = 7, extra } = {}) {
  const w0 = performance.now();
  fn(Math.min(batch, 1000));
  const warm = ((performance.now() - w0) * 1e6) / Math.min(batch, 1000);
  // Calibrate: grow the batch until one round takes >= minMs / runs.
  const target = minMs / runs;
  for (;;) {
    const s = performance.now();
    fn(batch);
    const dt = performance.now() - s;
    if (dt >= target || batch >= 1e9) break;
    batch = Math.ceil(batch * Math.min(16, Math.max(2, (target * 1.2) / Math.max(dt, 0.01))));
  }
  const per = [];
  for (let r = 0; r < runs; r++) {
    const s = performance.now();
    fn(batch);
    per.push(((performance.now() - s) * 1e6) / batch);
  }
  const st = stats(per);
  return report(name, params, {
    ns_per_op: st.mean,
    ops_per_s: 1e9 / st.mean,
    spread_pct: (100 * st.sd) / st.mean,
    min_ns: st.min,
    max_ns: st.max,
    runs,
    batch,
    warmup_ns_per_op: warm,
    ...(extra ? extra() : {}),
  });
}

/** Measures one long operation: a warm-up call, then `runs` timed calls; mean and spread. */
export function benchOnce(name, params, fn, { runs = 15 } = {}) {
  const w0 = performance.now();
  fn();
  const warm = performance.now() - w0;
  const times = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    fn();
    times.push(performance.now() - s);
  }
  const st = stats(times);
  return report(name, params, {
    ms: st.mean,
    ns_per_op: st.mean * 1e6,
    ops_per_s: 1000 / st.mean,
    spread_pct: (100 * st.sd) / st.mean,
    min_ms: st.min,
    max_ms: st.max,
    runs,
    warmup_ms: warm,
  });
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
  const lines = rows.map((r) => [
    r.bench,
    JSON.stringify(r.params),
    fmt(r.ops_per_s),
    fmt(r.ns_per_op),
    r.spread_pct === undefined ? "" : `±${fmt(r.spread_pct)}%`,
    fmt(r.warmup_ns_per_op ?? r.warmup_ms ?? ""),
    fmt(r.ms ?? r.bytes_per_source ?? r.ratio ?? ""),
  ]);
  const head = ["bench", "params", "ops/s", "ns/op (mean)", "spread", "warm-up", "ms | bytes | ratio"];
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cols) => cols.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  console.log("\n" + line(head));
  console.log(w.map((n) => "-".repeat(n)).join("  "));
  for (const l of lines) console.log(line(l));
}
