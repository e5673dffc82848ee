/**
 * `irqlab compare --format csv`: one row per controller, one column per metric, raw numbers
 * (no thousands separators, no units: latencies in simulated ns, rates per second), empty
 * cells where a figure does not exist (n/a, no samples). For spreadsheets and plotting.
 */
import type { CompareReport } from "../compare.js";
import { CLASSES } from "../sim/metrics.js";
import type { ControllerResult } from "../sim/runner.js";

type Getter = (r: ControllerResult) => string | number | null | undefined;

function columns(report: CompareReport): [string, Getter][] {
  const cols: [string, Getter][] = [
    ["id", (r) => r.id],
    ["label", (r) => r.label],
    ["arch", (r) => r.arch],
    ["status", (r) => r.status],
    ["raised", (r) => r.counts.raised],
    ["delivered", (r) => r.counts.delivered],
    ["coalesced", (r) => r.counts.coalesced],
    ["redundant", (r) => r.counts.redundant],
    ["lost", (r) => r.counts.lost],
    ["pending", (r) => r.counts.pending],
    ["spurious_entries", (r) => r.spuriousEntries],
    ["exits_per_interrupt", (r) => r.perInterrupt.exits],
    ["hcalls_per_interrupt", (r) => r.perInterrupt.hcalls],
    ["mmio_per_interrupt", (r) => r.perInterrupt.mmio],
    ["rtas_per_interrupt", (r) => r.perInterrupt.rtas],
    ["intercepts_per_interrupt", (r) => r.perInterrupt.intercepts],
    ["pio_per_interrupt", (r) => r.perInterrupt.pio],
    ["sysreg_per_interrupt", (r) => r.perInterrupt.sysreg],
    ["direct_per_interrupt", (r) => r.perInterrupt.direct],
    ["latency_p50_ns", (r) => r.latencyNs.p50],
    ["latency_p99_ns", (r) => r.latencyNs.p99],
  ];
  for (const cls of CLASSES) {
    if (report.controllers.every((r) => r.features[cls] === "none")) continue;
    cols.push([`${cls}_p50_ns`, (r) => (r.features[cls] === "ok" ? r.byClass[cls]?.latencyNs.p50 : null)]);
    cols.push([`${cls}_p99_ns`, (r) => (r.features[cls] === "ok" ? r.byClass[cls]?.latencyNs.p99 : null)]);
  }
  if (report.controllers.some((r) => r.host)) cols.push(["host_interrupts_per_s", (r) => (r.host ? Math.round(r.host.interruptsPerSecond) : null)]);
  cols.push(["error", (r) => r.error ?? ""]);
  return cols;
}

/** RFC 4180 quoting (lines end in \\n): fields with a comma, quote or line break are quoted, quotes doubled. */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "number" ? (Number.isInteger(v) ? String(v) : String(Math.round(v * 1e4) / 1e4)) : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCompareCsv(report: CompareReport): string {
  const cols = columns(report);
  const lines = [cols.map(([h]) => h).join(",")];
  for (const r of report.controllers) {
    const failed = r.status === "failed";
    lines.push(cols.map(([h, g]) => csvField(failed && !["id", "label", "arch", "status", "error"].includes(h) ? null : g(r))).join(","));
  }
  return lines.join("\n") + "\n";
}
