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
  "exits / interrupt: hcalls, RTAS calls, intercepts (s390 SIGP), trapped MMIO, port I/O and trapped system registers per handler call; direct accesses cost no exit",
  "latency: simulated time from the oldest event a handler call found to that handler, under the cost model (--cost-*)",
  "host throughput: handler calls per wall-clock second of the model (short runs include JIT warm-up; not deterministic)",
];

/** The rendered matrix: header row (controller labels), metric rows, footnotes. */
export interface CompareMatrix {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes: readonly string[];
}

/** Heading lines: workload, description, costs. */
function headLines(report: CompareReport): string[] {
  const w = report.workload;
  const out = [
    `irqlab compare: workload "${w.name}" (${w.vcpus} vCPU${w.vcpus === 1 ? "" : "s"}, ${formatNs(w.duration)} simulated, seed ${report.seed})`,
  ];
  if (w.description) out.push(w.description);
  const c = report.cost;
  out.push(
    `costs (simulated ns): hcall ${c.hcallNs}, MMIO ${c.mmioNs}, RTAS ${c.rtasNs}, intercept ${c.interceptNs}, port I/O ${c.pioNs}, sysreg ${c.sysregNs}, direct ${c.directNs}, entry ${c.entryNs}, handler ${c.handlerNs}`,
  );
  return out;
}

/** One row per metric, one column per controller, with footnote references for n/a cells. */
export function compareMatrix(report: CompareReport): CompareMatrix {
  const rs = report.controllers;
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

  const rows: string[][] = [];
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
  rows.push(row("  port I/O / interrupt", (r) => ratio(r.perInterrupt.pio)));
  rows.push(row("  trapped sysregs / interrupt", (r) => ratio(r.perInterrupt.sysreg)));
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
  for (const r of rs) for (const n of r.notes) notes.push(`${r.label}: ${n}`);
  return { header: ["", ...rs.map((r) => r.label)], rows, notes };
}

export interface TableOptions {
  /**
   * Columns the table may use; 0 or undefined = unlimited. Wider tables are wrapped: the
   * controllers are split into blocks that fit, each block repeating the metric names.
   * `irqlab compare` passes the terminal width (80 when stdout is not a terminal).
   */
  readonly width?: number;
}

const GAP = 3;

/** Splits controller columns into blocks whose rendered width fits `width`. */
function columnBlocks(m: CompareMatrix, width: number): number[][] {
  const cols = m.header.length - 1;
  const all = [...Array(cols).keys()];
  if (!width || width <= 0) return [all];
  const w = (i: number) => Math.max(...[m.header, ...m.rows].map((r) => [...r[i]].length));
  const labelW = w(0);
  const blocks: number[][] = [];
  let cur: number[] = [];
  let used = labelW;
  for (const c of all) {
    const cw = GAP + w(c + 1);
    if (cur.length > 0 && used + cw > width) {
      blocks.push(cur);
      cur = [];
      used = labelW;
    }
    cur.push(c);
    used += cw;
  }
  if (cur.length) blocks.push(cur);
  return blocks;
}

/** Wraps prose lines to `width` (continuation lines indented two spaces); 0 = unchanged. */
export function wrapLines(lines: readonly string[], width?: number): string[] {
  if (!width || width <= 0) return [...lines];
  const out: string[] = [];
  for (const line of lines) {
    if ([...line].length <= width) {
      out.push(line);
      continue;
    }
    const indent = /^ */.exec(line)![0];
    const cont = indent + "  ";
    let cur = "";
    for (const word of line.trim().split(/ +/)) {
      const cand = cur ? `${cur} ${word}` : `${indent}${word}`;
      if (cur && [...cand].length > width) {
        out.push(cur);
        cur = `${cont}${word}`;
      } else cur = cand;
    }
    if (cur) out.push(cur);
  }
  return out;
}

export function formatCompareTable(report: CompareReport, opts: TableOptions = {}): string {
  const width = opts.width ?? 0;
  const out: string[] = wrapLines(headLines(report), width);
  out.push("");
  if (report.controllers.length === 0) {
    out.push("no controller to compare (are the controller packages built? run: pnpm build)");
    return out.join("\n");
  }
  const m = compareMatrix(report);
  const blocks = columnBlocks(m, width);
  blocks.forEach((cols, b) => {
    if (b > 0) out.push("");
    const pick = (r: readonly string[]) => [r[0], ...cols.map((c) => r[c + 1])];
    out.push(layout([pick(m.header), ...m.rows.map(pick)], GAP));
  });
  if (m.notes.length) {
    out.push("");
    out.push(...wrapLines(m.notes.map((n, i) => `[${i + 1}] ${n}`), width));
  }
  out.push("");
  out.push(...wrapLines(LEGEND, width));
  return out.join("\n");
}

/** The same table as GitHub-flavoured markdown (for reports and pull requests). */
export function formatCompareMarkdown(report: CompareReport): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const out: string[] = [];
  const [title, ...rest] = headLines(report);
  out.push(`### ${esc(title)}`, "", ...rest.map((l) => `${esc(l)}  `), "");
  if (report.controllers.length === 0) {
    out.push("no controller to compare");
    return out.join("\n") + "\n";
  }
  const m = compareMatrix(report);
  out.push(`| metric | ${m.header.slice(1).map(esc).join(" | ")} |`);
  out.push(`|---|${m.header.slice(1).map(() => "---:").join("|")}|`);
  for (const r of m.rows) {
    const label = r[0].startsWith("  ") ? `&nbsp;&nbsp;${esc(r[0].trim())}` : esc(r[0]);
    out.push(`| ${label} | ${r.slice(1).map(esc).join(" | ")} |`);
  }
  if (m.notes.length) {
    out.push("");
    m.notes.forEach((n, i) => out.push(`${i + 1}. ${esc(n)}`));
  }
  out.push("");
  // Legend entries: each starts a new line; continuation lines join it.
  const legend: string[] = [];
  for (const l of LEGEND) {
    if (l.startsWith("  ") && legend.length) legend[legend.length - 1] += ` ${l.trim()}`;
    else legend.push(l);
  }
  for (const l of legend) out.push(`- ${esc(l)}`);
  return out.join("\n") + "\n";
}
