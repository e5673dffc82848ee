/** Text output of `irqlab replay`: step by step, per-trace summaries, the divergence table. */
import { layout } from "../report/format.js";
import type { ReplayReport } from "./replay.js";
import type { DivergenceRow, Mismatch, StepResult, TraceResult } from "./types.js";

function show(v: unknown): string {
  if (typeof v === "number") return v < 0 || v < 10 ? String(v) : `0x${v.toString(16)}`;
  if (Array.isArray(v)) {
    if (v.every((e) => typeof e === "object" && e !== null && "line" in e && "level" in e)) {
      return v.length === 0 ? "no pin change" : v.map((e: { line: number; level: number }) => `pin ${e.line} ${e.level ? "raise" : "lower"}`).join(", ");
    }
    return `[${v.map(show).join(", ")}]`;
  }
  return typeof v === "string" ? v : JSON.stringify(v);
}

function mismatchText(m: Mismatch): string {
  return `${m.field}: QEMU ${show(m.expected)}, model ${show(m.got)}${m.divergence ? ` [${m.divergence}]` : ""}`;
}

const LABEL: Record<StepResult["verdict"], string> = {
  agree: "agree",
  divergence: "DIVERGENCE",
  disagree: "DISAGREE",
  "n/a": "n/a",
};

export function summaryLine(t: TraceResult): string {
  if (t.status !== "replayed") return `${t.scenario}: ${t.status === "no-model" ? "" : "MODEL UNAVAILABLE: "}${t.reason}`;
  const c = t.counts;
  return `${t.scenario}: ${c.agree} agree, ${c.divergence} documented divergence, ${c.disagree} disagree, ${c.na} n/a`;
}

export function formatTrace(t: TraceResult): string {
  const out: string[] = [];
  out.push(`== ${t.scenario} (${t.machine})${t.model ? ` -> ${t.model}` : ""}`);
  if (t.status !== "replayed") {
    out.push(`   ${t.reason}`);
    return out.join("\n");
  }
  const rows: string[][] = [];
  for (const s of t.steps) {
    const detail =
      s.verdict === "n/a" ? (s.reason ?? "") : s.mismatches.length ? s.mismatches.map(mismatchText).join("; ") : `${s.compared} field${s.compared === 1 ? "" : "s"}`;
    rows.push([`   ${String(s.seq).padStart(4)}`, s.step, s.what, LABEL[s.verdict], detail]);
  }
  out.push(layoutLeft(rows));
  out.push(`   ${summaryLine(t)}`);
  return out.join("\n");
}

/** Left-aligned columns (step listings read better that way). */
function layoutLeft(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.min(60, Math.max(widths[i] ?? 0, c.length))));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd()).join("\n");
}

export function formatReplay(report: ReplayReport, opts: { summary?: boolean } = {}): string {
  const out: string[] = [];
  if (!opts.summary) {
    for (const t of report.traces) out.push(formatTrace(t), "");
  }
  if (report.traces.length > 1 || opts.summary) {
    const rows: string[][] = [["trace", "machine", "agree", "divergence", "disagree", "n/a", ""]];
    for (const t of report.traces) {
      const c = t.counts;
      const status = t.status === "no-model" ? "no model" : t.status === "model-unavailable" ? "MODEL UNAVAILABLE" : c.disagree ? "DISAGREE" : "ok";
      rows.push(
        t.status === "replayed"
          ? [t.scenario, t.machine, String(c.agree), String(c.divergence), String(c.disagree), String(c.na), status]
          : [t.scenario, t.machine, "-", "-", "-", "-", status],
      );
    }
    const c = report.totals;
    rows.push(["total", "", String(c.agree), String(c.divergence), String(c.disagree), String(c.na), ""]);
    out.push(layout(rows, 2));
  }
  const used = new Set(report.traces.flatMap((t) => t.steps.flatMap((s) => s.mismatches.map((m) => m.divergence)).filter(Boolean)));
  if (used.size) out.push("", `documented divergences seen: ${[...used].join(", ")} (irqlab replay --list-divergences)`);
  return out.join("\n");
}

export function formatDivergences(rows: readonly DivergenceRow[]): string {
  return rows
    .map((r) =>
      [
        `${r.id} (${r.controller}; ${r.source})`,
        `  spec: ${r.spec}`,
        ...(r.qemu ? [`  KVM:  ${r.kvm}`, `  QEMU: ${r.qemu}`] : [`  KVM vs QEMU: ${r.kvm}`]),
      ].join("\n"),
    )
    .join("\n\n");
}
