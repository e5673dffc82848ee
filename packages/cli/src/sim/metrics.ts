/**
 * Metric accumulators of the comparison runner.
 *
 * Accounting (one "event" = one interrupt request by a device vector, an INTx device or an
 * IPI send to one vCPU):
 *  - raised: events requested.
 *  - A handler invocation for a source covers every event of that source raised since the
 *    previous invocation (the handler drains the device). If it covers k >= 1 events of a
 *    stream: 1 delivered + (k - 1) coalesced, and one latency sample = handler time - time of
 *    the oldest covered event. If it covers none: a redundant delivery (e.g. a re-delivery of
 *    an event whose data an earlier handler already consumed).
 *  - After the run drains: events never covered are lost if the system is quiescent (no vCPU
 *    line asserted, nothing scheduled), else still pending.
 *  - Check: raised = delivered + coalesced + lost + pending, and lost must be 0.
 */

export interface LatencySummary {
  readonly samples: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  /**
   * Present only when the histogram had to coarsen (more than TAIL_CAPACITY distinct values
   * at or above DENSE_NS): the largest relative error of a reported value.
   */
  readonly relativeError?: number;
}

/** Integer latencies below this (ns) are counted in a dense array: exact, O(1). */
export const DENSE_NS = 1 << 16;
/** Distinct values at or above DENSE_NS (or fractional) kept exactly before coarsening. */
export const TAIL_CAPACITY = 1 << 16;
/** Significant bits kept once coarsened: relative error below 2^-(QUANT_BITS - 1). */
const QUANT_BITS = 11;
export const COARSE_RELATIVE_ERROR = 2 ** -(QUANT_BITS - 1);
const TAIL_SLOTS = TAIL_CAPACITY * 2;

/**
 * Latency statistics in bounded memory: an exact histogram of integer nanoseconds. Values in
 * [0, DENSE_NS) go to a dense count array; others (long latencies, or fractional ones under a
 * fractional cost model) to an open-addressing table of exact values. Memory is bounded:
 * 256 KiB dense + 2 MiB table at most. Only if a run produces more than TAIL_CAPACITY
 * distinct tail values does the table keep new values to QUANT_BITS significant bits
 * (stated in the summary as `relativeError`); on every built-in workload it is exact, so
 * percentiles (nearest rank) equal those of the sorted samples. `push` allocates nothing
 * after the first sample of each tier.
 */
export class LatencyHistogram {
  private dense: Uint32Array | null = null;
  private keys: Float64Array | null = null;
  private counts: Float64Array | null = null;
  private tailSize = 0;
  private coarse = false;
  private n = 0;
  private sum = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;

  push(ns: number): void {
    this.add(ns, 1);
  }

  get count(): number {
    return this.n;
  }

  /** Whether every value is held exactly. */
  get exact(): boolean {
    return !this.coarse;
  }

  private add(ns: number, c: number): void {
    this.n += c;
    this.sum += ns * c;
    if (ns < this.lo) this.lo = ns;
    if (ns > this.hi) this.hi = ns;
    if (ns >= 0 && ns < DENSE_NS && (ns | 0) === ns) {
      (this.dense ??= new Uint32Array(DENSE_NS))[ns] += c;
      return;
    }
    this.addTail(ns, c);
  }

  private addTail(v: number, c: number): void {
    if (this.tailSize >= TAIL_CAPACITY && !this.coarse) this.coarse = true;
    if (this.coarse) {
      v = quantize(v);
      if (v >= 0 && v < DENSE_NS && (v | 0) === v) {
        (this.dense ??= new Uint32Array(DENSE_NS))[v] += c;
        return;
      }
    }
    if (this.keys === null) {
      this.keys = new Float64Array(TAIL_SLOTS);
      this.counts = new Float64Array(TAIL_SLOTS);
    }
    const keys = this.keys;
    const counts = this.counts!;
    const mask = TAIL_SLOTS - 1;
    let i = hash(v) & mask;
    for (;;) {
      if (counts[i] === 0) {
        keys[i] = v;
        counts[i] = c;
        this.tailSize++;
        return;
      }
      if (keys[i] === v) {
        counts[i] += c;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /** The distinct tail values ascending, with their counts. */
  private sortedTail(): { keys: Float64Array; counts: Float64Array } {
    const keys = new Float64Array(this.tailSize);
    const counts = new Float64Array(this.tailSize);
    if (this.keys === null) return { keys, counts };
    let k = 0;
    for (let i = 0; i < TAIL_SLOTS; i++) if (this.counts![i] !== 0) keys[k++] = this.keys[i];
    keys.sort();
    // Counts looked up again in sorted order.
    for (let j = 0; j < keys.length; j++) counts[j] = this.countOf(keys[j]);
    return { keys, counts };
  }

  private countOf(v: number): number {
    const mask = TAIL_SLOTS - 1;
    let i = hash(v) & mask;
    while (this.keys![i] !== v) i = (i + 1) & mask;
    return this.counts![i];
  }

  /**
   * The values at the given 1-based ranks (ascending ranks), by one merged walk of the dense
   * array and the sorted tail.
   */
  valuesAtRanks(ranks: readonly number[]): number[] {
    const out: number[] = [];
    if (this.n === 0) return ranks.map(() => NaN);
    const { keys, counts } = this.sortedTail();
    const dense = this.dense;
    let r = 0;
    let seen = 0;
    let t = 0;
    let d = 0;
    while (r < ranks.length) {
      // Next value: the smaller of the next dense index with a count and the next tail key.
      while (dense !== null && d < DENSE_NS && dense[d] === 0) d++;
      const dv = dense !== null && d < DENSE_NS ? d : Number.POSITIVE_INFINITY;
      const tv = t < keys.length ? keys[t] : Number.POSITIVE_INFINITY;
      let v: number;
      let c: number;
      if (dv <= tv) {
        v = dv;
        c = dense![d++];
      } else {
        v = tv;
        c = counts[t++];
      }
      if (v === Number.POSITIVE_INFINITY) break;
      seen += c;
      while (r < ranks.length && ranks[r] <= seen) {
        out.push(v);
        r++;
      }
    }
    while (out.length < ranks.length) out.push(this.hi);
    return out;
  }

  /** Nearest-rank percentile (as `percentile` on the sorted samples). */
  percentiles(ps: readonly number[]): (number | null)[] {
    if (this.n === 0) return ps.map(() => null);
    const ranks = ps.map((p) => Math.min(this.n, Math.max(1, Math.ceil(p * this.n))));
    const order = ranks.map((_, i) => i).sort((a, b) => ranks[a] - ranks[b]);
    const vals = this.valuesAtRanks(order.map((i) => ranks[i]));
    const out: number[] = new Array(ps.length);
    order.forEach((i, k) => (out[i] = vals[k]));
    return out;
  }

  summary(): LatencySummary {
    if (this.n === 0) return { samples: 0, p50: null, p90: null, p99: null, max: null, mean: null };
    const [p50, p90, p99] = this.percentiles([0.5, 0.9, 0.99]);
    const s: LatencySummary = { samples: this.n, p50, p90, p99, max: this.hi, mean: Math.round((this.sum / this.n) * 10) / 10 };
    return this.coarse ? { ...s, relativeError: COARSE_RELATIVE_ERROR } : s;
  }

  /** [percent, ns] at CDF_PERCENTS (0 = the minimum), as `cdf` on the sorted samples. */
  cdf(): [number, number][] {
    if (this.n === 0) return [];
    const vals = this.percentiles(CDF_PERCENTS.map((p) => p / 100));
    return CDF_PERCENTS.map((p, i) => [p, p === 0 ? this.lo : vals[i]!]);
  }

  /** A histogram holding every sample of `hs`. */
  static merge(hs: readonly LatencyHistogram[]): LatencyHistogram {
    const m = new LatencyHistogram();
    for (const h of hs) {
      if (h.n === 0) continue;
      m.n += h.n;
      m.sum += h.sum;
      if (h.lo < m.lo) m.lo = h.lo;
      if (h.hi > m.hi) m.hi = h.hi;
      if (h.coarse) m.coarse = true;
      if (h.dense !== null) {
        const d = (m.dense ??= new Uint32Array(DENSE_NS));
        for (let i = 0; i < DENSE_NS; i++) d[i] += h.dense[i];
      }
      if (h.keys !== null) {
        for (let i = 0; i < TAIL_SLOTS; i++) if (h.counts![i] !== 0) m.addTail(h.keys[i], h.counts![i]);
      }
    }
    return m;
  }
}

/** Keeps QUANT_BITS significant bits (rounding down); integers below DENSE_NS stay exact. */
function quantize(v: number): number {
  if (!(v > 0)) return v;
  if (v < DENSE_NS) return Math.floor(v);
  const step = 2 ** (Math.floor(Math.log2(v)) - (QUANT_BITS - 1));
  return Math.floor(v / step) * step;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

function hash(v: number): number {
  F64[0] = v;
  return Math.imul(U32[0] ^ Math.imul(U32[1], 0x85ebca6b), 0x9e3779b1) >>> 15;
}

/**
 * Reference computations on sorted samples (what the runner did before the histogram); the
 * histogram's results are tested against them.
 */
export function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function summarize(sorted: Float64Array): LatencySummary {
  if (sorted.length === 0) return { samples: 0, p50: null, p90: null, p99: null, max: null, mean: null };
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    samples: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1],
    mean: Math.round((sum / sorted.length) * 10) / 10,
  };
}

/** Points of the latency distribution for charts: [percent, ns] at fixed percentiles. */
export const CDF_PERCENTS = [0, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.9, 100] as const;

export function cdf(sorted: Float64Array): [number, number][] {
  if (sorted.length === 0) return [];
  return CDF_PERCENTS.map((p) => [p, p === 0 ? sorted[0] : percentile(sorted, p / 100)!]);
}

export type InterruptClass = "msi" | "intx" | "ipi";
export const CLASSES: readonly InterruptClass[] = ["msi", "intx", "ipi"];

export class ClassCounters {
  raised = 0;
  delivered = 0;
  coalesced = 0;
  redundant = 0;
  lost = 0;
  pending = 0;
  readonly latency = new LatencyHistogram();
}

export interface CountsJson {
  readonly raised: number;
  readonly delivered: number;
  readonly coalesced: number;
  readonly redundant: number;
  readonly lost: number;
  readonly pending: number;
  /** raised - delivered - coalesced - pending - lost: 0 when every event is accounted for. */
  readonly unaccounted: number;
}

export function countsJson(c: { raised: number; delivered: number; coalesced: number; redundant: number; lost: number; pending: number }): CountsJson {
  return {
    raised: c.raised,
    delivered: c.delivered,
    coalesced: c.coalesced,
    redundant: c.redundant,
    lost: c.lost,
    pending: c.pending,
    unaccounted: c.raised - c.delivered - c.coalesced - c.pending - c.lost,
  };
}
