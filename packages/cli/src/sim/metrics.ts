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
}

/** Percentiles by nearest rank on the sorted samples (exact and deterministic). */
export class LatencyRecorder {
  private buf = new Float64Array(1024);
  private n = 0;

  push(ns: number): void {
    if (this.n === this.buf.length) {
      const b = new Float64Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.n++] = ns;
  }

  get count(): number {
    return this.n;
  }

  sorted(): Float64Array {
    return this.buf.slice(0, this.n).sort();
  }

  summary(): LatencySummary {
    return summarize(this.sorted());
  }

  /** Merges another recorder's samples into a new sorted array. */
  static mergeSorted(rs: readonly LatencyRecorder[]): Float64Array {
    const total = rs.reduce((a, r) => a + r.n, 0);
    const out = new Float64Array(total);
    let o = 0;
    for (const r of rs) {
      out.set(r.buf.subarray(0, r.n), o);
      o += r.n;
    }
    return out.sort();
  }
}

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
  readonly latency = new LatencyRecorder();
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
