/**
 * The side-by-side table `irqlab compare` prints: one column per controller, one row per
 * metric; "n/a" where a controller cannot run a workload feature, footnotes for the reasons.
 */
import type { CompareReport } from "../compare.js";
import { CLASSES, type InterruptClass } from "../sim/metrics.js";
import type { ControllerResult } from "../sim/runner.js";
import { formatNs } from "../workload/fields.js";
import { int, layout, ns, rate, ratio } from "./format.js";

/** What the rows mean (printed under every table). */
export const LEGEND: readonly string[] = [
  "delivered: an event found by a handler call (one per device per call); coalesced: events found by the same call as an",
  "  earlier one of the same device (k events = 1 delivered + k-1 coalesced); lost: raised, never handled, though the run drained",
  "redundant deliveries: handler calls that found no new event, because the controller presented the source again after its",
  "  events were handled: a level line still asserted at EOI is re-presented before the ack notifier lowers it (resamplefd),",
  "  or an edge triggered again before the EOI of the first is presented again at that EOI",
  "exits / interrupt: hcalls, RTAS calls, intercepts (s390 SIGP) and trapped MMIO per handler call; direct accesses cost no exit",
  "latency: simulated time from the oldest event a handler call found to that handler, under the cost model (--cost-*)",
  "host throughput: handler calls per wall-clock second of the model (short runs include JIT warm-up; not deterministic)",
];

export function formatCompareTable(report: CompareReport): string {
  const w = report.workload;
  const out: string[] = [];
  out.push(
    `irqlab compare: workload "${w.name}" (${w.vcpus} vCPU${w.vcpus === 1 ? "" : "s"}, ${formatNs(w.duration)} simulated, seed ${report.seed})`,
  );
  if (w.description) out.push(w.description);
  const c = report.cost;
  out.push(
    `costs (simulated ns): hcall ${c.hcallNs}, MMIO ${c.mmioNs}, RTAS ${c.rtasNs}, intercept ${c.interceptNs}, direct ${c.directNs}, entry ${c.entryNs}, handler ${c.handlerNs}`,
  );
  out.push("");
  const rs = report.controllers;
  if (rs.length === 0) {
    out.push("no controller to compare (are the controller packages built? try --verbose)");
    return out.join("\n");
  }

  const notes: string[] = [];
  const noteRef = (text: string): string => {
    let i = notes.indexOf(text);
    if (i < 0) i = notes.push(text) - 1;
    return `[${i + 1}]`;
  };
  const cell = (r: ControllerResult, f: (r: ControllerResult) => string): string =>
    r.status === "failed" ? `n/a ${noteRef(`${r.label}: ${r.error}`)}` : f(r);
  const classCell = (r: ControllerResult, cls: InterruptClass, f: (r: ControllerResult) => string): string =>
    cell(r, (x) => {
      const feat = x.features[cls];
      if (feat === "none") return "-";
      if (feat !== "ok") return `n/a ${noteRef(`${x.label}: ${cls} ${feat}`)}`;
      return f(x);
    });
  const row = (label: string, f: (r: ControllerResult) => string): string[] => [label, ...rs.map((r) => cell(r, f))];

  const rows: string[][] = [["", ...rs.map((r) => r.label)]];
  rows.push(row("interrupts raised", (r) => int(r.counts.raised)));
  rows.push(row("  delivered", (r) => int(r.counts.delivered)));
  rows.push(row("  coalesced", (r) => int(r.counts.coalesced)));
  rows.push(row("  redundant deliveries", (r) => int(r.counts.redundant)));
  rows.push(
    row("  lost (checked, must be 0)", (r) => {
      const ok = r.counts.lost === 0 && r.counts.unaccounted === 0;
      return ok ? "0 ok" : `${int(r.counts.lost)} LOST${r.counts.unaccounted ? ` (${r.counts.unaccounted} unaccounted)` : ""}`;
    }),
  );
  rows.push(row("  still pending at end", (r) => int(r.counts.pending)));
  rows.push(row("spurious entries", (r) => int(r.spuriousEntries)));
  rows.push(row("guest exits / interrupt", (r) => ratio(r.perInterrupt.exits)));
  rows.push(row("  hcalls / interrupt", (r) => ratio(r.perInterrupt.hcalls)));
  rows.push(row("  trapped MMIO / interrupt", (r) => ratio(r.perInterrupt.mmio)));
  rows.push(row("  RTAS / interrupt", (r) => ratio(r.perInterrupt.rtas)));
  rows.push(row("  intercepts / interrupt", (r) => ratio(r.perInterrupt.intercepts)));
  rows.push(row("direct accesses / interrupt", (r) => ratio(r.perInterrupt.direct)));
  rows.push(row("latency p50 (raise -> handler)", (r) => ns(r.latencyNs.p50)));
  rows.push(row("latency p99", (r) => ns(r.latencyNs.p99)));
  for (const cls of CLASSES) {
    if (rs.every((r) => r.features[cls] === "none")) continue;
    rows.push([
      `  ${cls} p50 / p99`,
      ...rs.map((r) => classCell(r, cls, (x) => {
        const l = x.byClass[cls]?.latencyNs;
        return l && l.samples ? `${ns(l.p50)} / ${ns(l.p99)}` : "-";
      })),
    ]);
  }
  if (rs.some((r) => r.host)) {
    rows.push(row("host throughput (interrupts/s)", (r) => (r.host ? rate(r.host.interruptsPerSecond) : "-")));
  }
  out.push(layout(rows));
  for (const r of rs) for (const n of r.notes) notes.push(`${r.label}: ${n}`);
  if (notes.length) {
    out.push("");
    notes.forEach((n, i) => out.push(`[${i + 1}] ${n}`));
  }
  out.push("");
  out.push(...LEGEND);
  return out.join("\n");
}
