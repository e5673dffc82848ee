/**
 * The sweep report: for every combination of the non-rate axes (e.g. each vCPU count), two
 * charts over offered load: p99 latency and guest exits per handled interrupt, one curve per
 * controller with one point per rate. `sweepCharts` is the data (tested); the HTML reuses
 * report/svg.ts's line chart and is one self-contained file (no scripts).
 */
import { esc, lineChart, timeAxis, type LineSeries } from "../report/svg.js";
import type { AxisValue } from "./grid.js";
import type { CellRecord } from "./record.js";

export interface SweepChart {
  readonly kind: "latency" | "exits";
  readonly title: string;
  /** The fixed axis values of this chart (every axis but rate). */
  readonly group: Readonly<Record<string, AxisValue>>;
  readonly series: readonly LineSeries[];
}

function groupKey(params: Readonly<Record<string, AxisValue>>): string {
  return JSON.stringify(Object.entries(params).filter(([k]) => k !== "rate"));
}

export function sweepCharts(records: readonly CellRecord[]): SweepChart[] {
  const groups = new Map<string, CellRecord[]>();
  for (const r of [...records].sort((a, b) => a.index - b.index)) {
    const k = groupKey(r.params);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(r);
  }
  const charts: SweepChart[] = [];
  for (const [k, rs] of groups) {
    const group = Object.fromEntries(JSON.parse(k) as [string, AxisValue][]);
    const label = Object.entries(group).map(([a, v]) => `${a} ${v}`).join(", ");
    const controllers = [...new Set(rs.map((r) => r.controller))];
    const curve = (pick: (r: CellRecord) => number | null): LineSeries[] =>
      controllers.map((c) => ({
        name: c,
        points: rs
          .filter((r) => r.controller === c && r.status === "ok")
          .map((r) => [r.offeredPerSecond, pick(r)] as const)
          .filter((p): p is readonly [number, number] => p[1] !== null)
          .sort((a, b) => a[0] - b[0]),
      }));
    charts.push({ kind: "latency", title: `p99 latency vs offered load${label ? ` (${label})` : ""}`, group, series: curve((r) => r.latencyNs.p99) });
    charts.push({ kind: "exits", title: `Exits per interrupt vs offered load${label ? ` (${label})` : ""}`, group, series: curve((r) => r.exitsPerInterrupt) });
  }
  return charts;
}

function loadTicks(series: readonly LineSeries[]): [number, string][] {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const fmt = (x: number): string => (x >= 1e6 ? `${Number((x / 1e6).toFixed(2))}M` : x >= 1e3 ? `${Number((x / 1e3).toFixed(1))}k` : String(x));
  return xs.map((x) => [x, fmt(x)]);
}

export function renderSweepHtml(title: string, records: readonly CellRecord[]): string {
  const charts = sweepCharts(records);
  const failed = records.filter((r) => r.status === "failed");
  const body = charts
    .map((c) => {
      // Offered load on a log scale (rates are usually geometric), the lowest at the origin.
      const xs = c.series.flatMap((s) => s.points.map((p) => p[0])).filter((x) => x > 0);
      const lo = xs.length ? Math.log10(Math.min(...xs)) : 0;
      return lineChart({
        xMap: (x: number) => (x > 0 ? Math.log10(x) - lo : 0),
        title: c.title,
        series: c.series,
        xLabel: "offered interrupts per simulated second",
        yLabel: c.kind === "latency" ? "p99 latency (simulated)" : "guest exits per handled interrupt",
        xTicks: loadTicks(c.series),
        ...(c.kind === "latency" ? { axisFormat: timeAxis } : { format: (v: number) => String(Number(v.toFixed(2))) }),
      });
    })
    .join("\n");
  const rows = failed.map((r) => `<tr><td>${esc(r.controller)}</td><td>${esc(JSON.stringify(r.params))}</td><td>${esc(r.error ?? "")}</td></tr>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1300px}div.charts{display:flex;flex-wrap:wrap;gap:1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px}</style>
</head><body>
<h1>${esc(title)}</h1>
<p>${records.length} cells (${records.length - failed.length} ok, ${failed.length} failed). Latency is simulated time from raise to handler under the cost model; offered load is the expected arrival rate (log scale).</p>
<div class="charts">
${body}
</div>
${failed.length ? `<h2>Failed cells</h2><table><tr><th>controller</th><th>params</th><th>reason</th></tr>${rows}</table>` : ""}
</body></html>
`;
}
