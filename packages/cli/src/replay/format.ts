/** Text output of `irqlab replay`: step by step, per-trace summaries, quirk listings. */
import type { ProfileCatalogue } from "@irqlab/core";
import { layout } from "../report/format.js";
import { escapeText } from "./trace.js";
import { traceFails, type ReplayReport } from "./replay.js";
import type { Mismatch, StepResult, TraceResult } from "./types.js";

function show(v: unknown): string {
  if (typeof v === "number") return v < 0 || v < 10 ? String(v) : `0x${v.toString(16)}`;
  if (Array.isArray(v)) {
    if (v.every((e) => typeof e === "object" && e !== null && "line" in e && "level" in e)) {
      return v.length === 0 ? "no pin change" : v.map((e: { line: number; level: number }) => `pin ${e.line} ${e.level ? "raise" : "lower"}`).join(", ");
    }
    return `[${v.map(show).join(", ")}]`;
  }
  return escapeText(typeof v === "string" ? v : JSON.stringify(v));
}

function mismatchText(m: Mismatch): string {
  return `${m.field}: QEMU ${show(m.expected)}, model ${show(m.got)}`;
}

const LABEL: Record<StepResult["verdict"], string> = { agree: "agree", disagree: "DISAGREE", "n/a": "n/a" };

export function summaryLine(t: TraceResult): string {
  if (t.status === "invalid") return `${escapeText(t.scenario)}: INVALID: ${t.reason}`;
  if (t.status !== "replayed") return `${escapeText(t.scenario)}: ${t.status === "no-model" ? "" : "MODEL UNAVAILABLE: "}${t.reason}`;
  const c = t.counts;
  const explained = t.steps.filter((s) => s.kvmDiffers).length;
  return (
    `${escapeText(t.scenario)} [${t.profile}]: ${c.agree} agree, ${c.disagree} disagree, ${c.na} n/a` +
    (explained ? `; ${explained} step(s) differ in kvm` : "") +
    (t.failure ? `; FAILED: ${t.failure}` : "")
  );
}

function stepDetail(s: StepResult): string {
  const base = s.verdict === "n/a" ? (s.reason ?? "") : s.mismatches.length ? s.mismatches.map(mismatchText).join("; ") : `${s.compared} field${s.compared === 1 ? "" : "s"}`;
  if (!s.kvmDiffers) return base;
  return `${base}  [kvm differs: ${s.quirks && s.quirks.length ? s.quirks.join(", ") : "no single quirk (combined effect)"}]`;
}

export function formatTrace(t: TraceResult): string {
  const out: string[] = [];
  out.push(`== ${escapeText(t.scenario)} (${escapeText(t.machine)})${t.model ? ` -> ${t.model}` : ""}${t.profile ? `, profile ${t.profile}` : ""}`);
  if (t.status !== "replayed") {
    out.push(`   ${t.reason}`);
    return out.join("\n");
  }
  const rows: string[][] = [];
  for (const s of t.steps) rows.push([`   ${String(s.seq).padStart(4)}`, escapeText(s.step), escapeText(s.what), LABEL[s.verdict], stepDetail(s)]);
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

function status(t: TraceResult): string {
  if (t.status === "no-model") return "no model";
  if (t.status === "model-unavailable") return "MODEL UNAVAILABLE";
  if (t.status === "invalid") return "INVALID";
  if (t.failure) return "UNMODELLED";
  return traceFails(t) ? "DISAGREE" : "ok";
}

export function formatReplay(report: ReplayReport, opts: { summary?: boolean; catalogue?: ProfileCatalogue } = {}): string {
  const out: string[] = [];
  if (!opts.summary) {
    for (const t of report.traces) out.push(formatTrace(t), "");
  }
  if (report.traces.length > 1 || opts.summary) {
    const rows: string[][] = [["trace", "machine", "profile", "agree", "disagree", "n/a", ""]];
    for (const t of report.traces) {
      const c = t.counts;
      rows.push(
        t.status === "replayed"
          ? [escapeText(t.scenario), escapeText(t.machine), t.profile ?? "", String(c.agree), String(c.disagree), String(c.na), status(t)]
          : [escapeText(t.scenario), escapeText(t.machine), t.profile ?? "", "-", "-", "-", status(t)],
      );
    }
    const c = report.totals;
    rows.push(["total", `${report.traces.length} traces, ${c.failedTraces} failed`, "", String(c.agree), String(c.disagree), String(c.na), ""]);
    out.push(layout(rows, 2));
    for (const t of report.traces) if (t.status === "invalid") out.push(`${t.reason}`);
  }
  const used = new Map<string, number>();
  for (const t of report.traces) for (const s of t.steps) for (const q of s.quirks ?? []) used.set(q, (used.get(q) ?? 0) + 1);
  if (used.size) {
    out.push("", `quirks that explain where kvm differs: ${[...used].map(([q, n]) => `${q} (${n} step${n === 1 ? "" : "s"})`).join(", ")}`);
    for (const id of used.keys()) {
      const q = opts.catalogue?.quirk(id);
      if (q) out.push(`  ${id}: ${q.summary}`, `    KVM:   ${q.kvm}`, `    other: ${q.other}`);
    }
  }
  return out.join("\n");
}

/** --list-quirks: every quirk per controller with both references, and the profiles. */
export function formatQuirks(catalogue: ProfileCatalogue): string {
  const out: string[] = [];
  const families = [...new Set(catalogue.quirks.map((q) => q.controller))];
  for (const f of families) {
    out.push(`${f}:`);
    for (const q of catalogue.quirks.filter((x) => x.controller === f)) {
      const inProfiles = catalogue.profiles.filter((p) => p.quirks.includes(q.id)).map((p) => p.name);
      out.push(`  ${q.id}${inProfiles.length ? ` (in ${inProfiles.join(", ")})` : ""}`, `    ${q.summary}`, `    KVM:   ${q.kvm}`, `    other: ${q.other}`);
    }
    out.push("");
  }
  out.push("profiles:");
  for (const p of catalogue.profiles) out.push(`  ${p.name}: ${p.description} (${p.quirks.length} quirk${p.quirks.length === 1 ? "" : "s"})`);
  return out.join("\n");
}
