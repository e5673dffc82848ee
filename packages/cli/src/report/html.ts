/**
 * `irqlab compare --out DIR`: a self-contained HTML report (inline CSS and SVG charts, no
 * scripts, no external resources) plus the JSON results beside it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CompareReport } from "../compare.js";
import { formatNs } from "../workload/fields.js";
import { ns } from "./format.js";
import { barChart, esc, lineChart } from "./svg.js";
import { formatCompareTable } from "./table.js";

export function renderHtmlReport(report: CompareReport): string {
  const ok = report.controllers.filter((r) => r.status === "ok");
  const labels = ok.map((r) => r.label);
  const w = report.workload;
  const charts: string[] = [];
  if (ok.length) {
    charts.push(
      barChart({
        title: "Latency from raise to handler (simulated)",
        categories: labels,
        series: [
          { name: "p50", values: ok.map((r) => r.latencyNs.p50) },
          { name: "p99", values: ok.map((r) => r.latencyNs.p99) },
        ],
        unit: "ns",
      }),
      barChart({
        title: "Guest exits and direct accesses per interrupt",
        categories: labels,
        series: [
          { name: "hcalls", values: ok.map((r) => r.perInterrupt.hcalls) },
          { name: "trapped MMIO", values: ok.map((r) => r.perInterrupt.mmio) },
          { name: "RTAS", values: ok.map((r) => r.perInterrupt.rtas) },
          { name: "direct (no exit)", values: ok.map((r) => r.perInterrupt.direct) },
        ],
        unit: "per handled interrupt",
        stacked: true,
      }),
      barChart({
        title: "What became of each interrupt request",
        categories: labels,
        series: [
          { name: "delivered", values: ok.map((r) => r.counts.delivered) },
          { name: "coalesced", values: ok.map((r) => r.counts.coalesced) },
          { name: "redundant", values: ok.map((r) => r.counts.redundant) },
          { name: "lost", values: ok.map((r) => r.counts.lost) },
        ],
        unit: "interrupts",
        stacked: true,
      }),
      lineChart({
        title: "Latency distribution (percentile -> simulated ns)",
        series: ok.map((r) => ({ name: r.label, points: r.latencyCdf })),
        xLabel: "percentile",
        yLabel: "ns",
        xMax: 100,
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
</table>
<h2>Charts</h2>
<div class="charts">${charts.join("\n")}</div>
<h2>Table</h2>
<pre>${esc(formatCompareTable(report))}</pre>
${notes.length ? `<h2>Notes</h2><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}
<h2>Latency percentiles</h2>
<pre>${esc(ok.map((r) => `${r.label.padEnd(24)} ${r.latencyCdf.map(([p, v]) => `p${p}=${ns(v)}`).join("  ")}`).join("\n"))}</pre>
<h2>Workload</h2>
<pre>${esc(JSON.stringify(report.workload, null, 2))}</pre>
<details><summary>Results (JSON, also in results.json)</summary><pre>${esc(json)}</pre></details>
</body></html>
`;
}

/** Writes DIR/report.html and DIR/results.json; returns their paths. */
export function writeReport(dir: string, report: CompareReport): { html: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const html = join(dir, "report.html");
  const json = join(dir, "results.json");
  writeFileSync(html, renderHtmlReport(report));
  writeFileSync(json, JSON.stringify(report, null, 2) + "\n");
  return { html, json };
}
