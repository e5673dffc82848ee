/**
 * `irqlab compare --out DIR`: a self-contained HTML report (inline CSS and SVG charts, no
 * scripts, no external resources) plus the JSON results beside it.
 */
import { checkOutDir, writeAtomically } from "../out-dir.js";
import type { CompareReport } from "../compare.js";
import type { ControllerResult } from "../sim/runner.js";
import { formatNs } from "../workload/fields.js";
import { int, ns, ratio } from "./format.js";
import { barChart, esc, lineChart, ninesScale, timeAxis } from "./svg.js";
import { formatCompareTable } from "./table.js";

export function renderHtmlReport(report: CompareReport): string {
  const ok = report.controllers.filter((r) => r.status === "ok");
  const labels = ok.map((r) => r.label);
  const w = report.workload;
  const charts: string[] = [];
  if (ok.length) {
    charts.push(
      barChart({
        title: "Latency from raise to handler (simulated, all classes)",
        categories: labels,
        series: [
          { name: "p50", values: ok.map((r) => r.latencyNs.p50) },
          { name: "p99", values: ok.map((r) => r.latencyNs.p99) },
        ],
        unit: "simulated time",
        format: ns,
        axisFormat: timeAxis,
      }),
      lineChart({
        title: "Latency distribution (tail on a log scale)",
        series: ok.map((r) => ({ name: r.label, points: r.latencyCdf })),
        xLabel: "percentile of handled events (0, 50, 90, 99, 99.9, maximum)",
        yLabel: "simulated time, raise -> handler",
        xTicks: [
          [0, "0"],
          [50, "50"],
          [90, "90"],
          [99, "99"],
          [99.9, "99.9"],
          [100, "max"],
        ],
        xMap: ninesScale,
        format: ns,
        axisFormat: timeAxis,
      }),
      barChart({
        title: "Guest exits and direct accesses per handled interrupt",
        categories: labels,
        series: [
          { name: "hcalls", values: ok.map((r) => r.perInterrupt.hcalls) },
          { name: "trapped MMIO", values: ok.map((r) => r.perInterrupt.mmio) },
          { name: "RTAS", values: ok.map((r) => r.perInterrupt.rtas) },
          { name: "intercepts", values: ok.map((r) => r.perInterrupt.intercepts) },
          { name: "port I/O", values: ok.map((r) => r.perInterrupt.pio) },
          { name: "trapped sysreg", values: ok.map((r) => r.perInterrupt.sysreg) },
          { name: "direct access (no exit)", values: ok.map((r) => r.perInterrupt.direct) },
        ],
        unit: "operations per handler call",
        stacked: true,
        format: ratio,
      }),
      barChart({
        title: "Interrupt requests: delivered + coalesced + lost + pending = raised",
        categories: labels,
        series: [
          { name: "delivered", values: ok.map((r) => r.counts.delivered) },
          { name: "coalesced", values: ok.map((r) => r.counts.coalesced) },
          { name: "lost", values: ok.map((r) => r.counts.lost) },
          { name: "still pending", values: ok.map((r) => r.counts.pending) },
        ],
        unit: "interrupt requests (events)",
        stacked: true,
        format: int,
      }),
      barChart({
        title: "Handler calls: delivering vs redundant (nothing new)",
        categories: labels,
        series: [
          { name: "delivering", values: ok.map((r) => r.handled - r.counts.redundant) },
          { name: "redundant", values: ok.map((r) => r.counts.redundant) },
        ],
        unit: "handler invocations",
        stacked: true,
        format: int,
      }),
    );
  }
  const notes = report.controllers.flatMap((r) => [
    ...(r.status === "failed" ? [`${r.label}: failed: ${r.error}`] : []),
    ...Object.entries(r.features)
      .filter(([, f]) => f.startsWith("n/a"))
      .map(([cls, f]) => `${r.label}: ${cls} ${f}`),
    ...r.notes.map((n) => `${r.label}: ${n}`),
  ]);
  const json = JSON.stringify(report, null, 2);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>irqlab compare: ${esc(w.name)}</title>
<style>
body{font-family:sans-serif;max-width:1360px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}
pre.wrap{white-space:pre-wrap}
table.pct{border-collapse:collapse;font-size:13px}
table.pct th,table.pct td{padding:3px 8px;text-align:right;border-bottom:1px solid #eee}
table.pct th:first-child,table.pct td:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:1em}
.charts svg{border:1px solid #eee;background:#fff}
table.meta td{padding:2px 12px 2px 0}
</style></head><body>
<h1>irqlab compare: workload "${esc(w.name)}"</h1>
<p>${esc(w.description)}</p>
<table class="meta">
<tr><td>vCPUs</td><td>${w.vcpus}</td></tr>
<tr><td>simulated arrival period</td><td>${esc(formatNs(w.duration))}</td></tr>
<tr><td>seed</td><td>${report.seed}</td></tr>
<tr><td>costs (simulated ns)</td><td>${esc(Object.entries(report.cost).map(([k, v]) => `${k.replace(/Ns$/, "")} ${v}`).join(", "))}</td></tr>
<tr><td>controllers</td><td>${esc(report.controllers.map((r) => `${r.label} (${r.id}, ${r.arch})`).join(", "))}</td></tr>
<tr><td>irqlab version</td><td>${esc(report.version)}</td></tr>
</table>
<h2>Charts</h2>
<div class="charts">${charts.join("\n")}</div>
<h2>Table</h2>
<pre class="wrap">${esc(formatCompareTable(report))}</pre>
${notes.length ? `<h2>Notes</h2><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}
<h2>Latency percentiles (simulated time, raise -> handler)</h2>
${percentileTable(ok)}
<h2>Workload</h2>
<pre>${esc(JSON.stringify(report.workload, null, 2))}</pre>
<details><summary>Results (JSON, also in results.json)</summary><pre>${esc(json)}</pre></details>
</body></html>
`;
}

/** One row per controller, one column per percentile of the latency distribution. */
function percentileTable(rs: readonly ControllerResult[]): string {
  if (rs.length === 0) return "<p>no controller ran</p>";
  const ps = rs.find((r) => r.latencyCdf.length)?.latencyCdf.map(([p]) => p) ?? [];
  const head = `<tr><th>controller</th>${ps.map((p) => `<th>${p === 100 ? "max" : `p${p}`}</th>`).join("")}</tr>`;
  const rows = rs.map((r) => {
    const byP = new Map(r.latencyCdf.map(([p, v]) => [p, v]));
    return `<tr><td>${esc(r.label)}</td>${ps.map((p) => `<td>${esc(ns(byP.get(p) ?? null))}</td>`).join("")}</tr>`;
  });
  return `<table class="pct">${head}${rows.join("")}</table>`;
}

/** Checks and creates the report directory before the run (out-dir.ts). */
export function prepareOutDir(dir: string): void {
  checkOutDir(dir);
}

/** Writes DIR/report.html and DIR/results.json; returns their paths. */
export function writeReport(dir: string, report: CompareReport): { html: string; json: string } {
  // Both files complete in temporaries first, then renamed (out-dir.ts): no torn or stale pair.
  const [json, html] = writeAtomically(dir, [
    { name: "results.json", content: JSON.stringify(report, null, 2) + "\n" },
    { name: "report.html", content: renderHtmlReport(report) },
  ]);
  return { html, json };
}
