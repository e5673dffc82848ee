/**
 * Minimal inline-SVG charts for the HTML report: grouped or stacked bars and line charts.
 * Pure string builders (no DOM, no scripts), so the report stays one self-contained file.
 */

export const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export interface Series {
  readonly name: string;
  readonly values: readonly (number | null)[];
}

export interface BarChartSpec {
  readonly title: string;
  readonly categories: readonly string[];
  readonly series: readonly Series[];
  readonly unit: string;
  readonly stacked?: boolean;
  /** Value labels (and axis ticks unless axisFormat is given). */
  readonly format?: (v: number) => string;
  /** Axis ticks, given the axis maximum (one unit for the whole axis). */
  readonly axisFormat?: (max: number) => (v: number) => string;
}

const W = 600;
const H = 300;
const M = { left: 76, right: 20, top: 36, bottom: 78 };

/** A "nice" axis: a step of 1, 2 or 5 times a power of ten, and the smallest multiple of it >= v (4-6 ticks). */
export function niceScale(v: number): { max: number; step: number } {
  if (!(v > 0)) return { max: 1, step: 0.25 };
  const raw = v / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  let step = 10 * p;
  for (const m of [1, 2, 5]) {
    if (m * p >= raw) {
      step = m * p;
      break;
    }
  }
  return { max: Math.ceil(v / step - 1e-9) * step, step };
}

/** The axis maximum of niceScale. */
export function niceMax(v: number): number {
  return niceScale(v).max;
}

function axisTicks(scale: { max: number; step: number }, fmt: (v: number) => string, plotH: number): string {
  const out: string[] = [];
  const n = Math.round(scale.max / scale.step);
  for (let i = 0; i <= n; i++) {
    const v = Math.round(scale.step * i * 1e9) / 1e9;
    const y = M.top + plotH - (plotH * i) / n;
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="11">${esc(fmt(v))}</text>`);
  }
  return out.join("");
}

/** Legend entries laid out one after the other (width from the text length), wrapping to a second row. */
function legend(entries: readonly { name: string; color: string; dash?: string }[]): string {
  const out: string[] = [];
  let x = M.left;
  let y = H - 30;
  for (const e of entries) {
    const w = 22 + e.name.length * 6.5 + 16;
    if (x + w > W - M.right && x > M.left) {
      x = M.left;
      y += 15;
    }
    const swatch = e.dash !== undefined
      ? `<line x1="${x}" x2="${x + 16}" y1="${y + 5}" y2="${y + 5}" stroke="${e.color}" stroke-width="3"${e.dash ? ` stroke-dasharray="${e.dash}"` : ""}/>`
      : `<rect x="${x}" y="${y}" width="10" height="10" fill="${e.color}"/>`;
    out.push(`${swatch}<text x="${x + 20}" y="${y + 9}" font-size="11">${esc(e.name)}</text>`);
    x += w;
  }
  return out.join("");
}

const defaultFmt = (v: number): string => (Math.abs(v) >= 1000 ? v.toLocaleString("en-US", { maximumFractionDigits: 0 }) : String(Math.round(v * 100) / 100));

/** Width of a value label in px (font-size 10 sans-serif, about 6 px per character). */
const labelWidth = (text: string): number => text.length * 6;
/** Height of one row of value labels. */
const LABEL_ROW = 12;

export function barChart(spec: BarChartSpec): string {
  const fmt = spec.format ?? defaultFmt;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const n = spec.categories.length;
  const totals = spec.categories.map((_, ci) =>
    spec.stacked
      ? spec.series.reduce((a, s) => a + (s.values[ci] ?? 0), 0)
      : Math.max(0, ...spec.series.map((s) => s.values[ci] ?? 0)),
  );
  const group = plotW / Math.max(1, n);
  const barW = spec.stacked ? group * 0.5 : (group * 0.7) / Math.max(1, spec.series.length);
  // Value labels wider than their bar go above the group's tallest bar, one row per series
  // (series 0 lowest), so no bar covers a label and no two labels overlap; the axis gets
  // the headroom those rows need.
  const stackedLabels =
    !spec.stacked &&
    spec.series.some((s) => s.values.some((v) => v !== null && v !== undefined && labelWidth(fmt(v)) > barW - 2));
  const rows = spec.stacked ? 1 : stackedLabels ? spec.series.length : 1;
  const room = rows * LABEL_ROW + 4;
  const scale = niceScale((Math.max(0, ...totals) * plotH) / Math.max(1, plotH - room));
  const max = scale.max;
  const bars: string[] = [];
  const labels: string[] = [];
  const parts: string[] = [];
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(spec.title)}</text>`);
  parts.push(axisTicks(scale, spec.axisFormat ? spec.axisFormat(scale.max) : fmt, plotH));
  parts.push(`<text x="14" y="${M.top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${M.top + plotH / 2})" text-anchor="middle">${esc(spec.unit)}</text>`);
  spec.categories.forEach((cat, ci) => {
    const gx = M.left + ci * group;
    let stackY = M.top + plotH;
    const groupTop = M.top + plotH - (plotH * totals[ci]) / max;
    spec.series.forEach((s, si) => {
      const v = s.values[ci];
      if (v === null || v === undefined) return;
      const h = (plotH * v) / max;
      const color = PALETTE[si % PALETTE.length];
      const title = `<title>${esc(`${cat} - ${s.name}: ${fmt(v)}`)}</title>`;
      if (spec.stacked) {
        const x = gx + (group - barW) / 2;
        stackY -= h;
        bars.push(`<rect x="${x.toFixed(1)}" y="${stackY.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${color}">${title}</rect>`);
      } else {
        const x = gx + group * 0.15 + si * barW;
        const y = M.top + plotH - h;
        bars.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}">${title}</rect>`);
        const label = fmt(v);
        const ly = stackedLabels ? groupTop - 3 - si * LABEL_ROW : y - 3;
        labels.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${ly.toFixed(1)}" text-anchor="middle" font-size="10" class="value">${esc(label)}</text>`);
      }
    });
    if (spec.stacked) {
      labels.push(`<text x="${(gx + group / 2).toFixed(1)}" y="${(stackY - 3).toFixed(1)}" text-anchor="middle" font-size="10" class="value">${esc(fmt(totals[ci]))}</text>`);
    }
    parts.push(`<text x="${(gx + group / 2).toFixed(1)}" y="${M.top + plotH + 16}" text-anchor="middle" font-size="11">${esc(cat)}</text>`);
  });
  // Labels after every bar: drawn on top.
  parts.push(...bars, ...labels);
  parts.push(legend(spec.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length] }))));
  return svg(parts.join(""));
}

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface LineChartSpec {
  readonly title: string;
  readonly series: readonly LineSeries[];
  readonly xLabel: string;
  readonly yLabel: string;
  /** Where x ticks go: [x, label] pairs (x in data units, before `xMap`). */
  readonly xTicks: readonly (readonly [number, string])[];
  /** Maps data x to a linear axis position (e.g. the "nines" scale of a latency CDF); identity by default. */
  readonly xMap?: (x: number) => number;
  readonly format?: (v: number) => string;
  /** Axis ticks, given the axis maximum (one unit for the whole axis). */
  readonly axisFormat?: (max: number) => (v: number) => string;
}

/**
 * Position of a percentile on a "nines" axis: 0 -> 0, 90 -> 1, 99 -> 2, 99.9 -> 3, so the
 * tail of a latency distribution is as wide as its body; 100 (the maximum) sits at 3.5.
 */
export function ninesScale(percent: number): number {
  if (percent >= 100) return 3.5;
  if (percent <= 0) return 0;
  return Math.min(3.5, -Math.log10(1 - percent / 100));
}

const DASHES = ["", "7 4", "2 3", "10 3 2 3"];

/** Axis ticks in one time unit for the whole axis: ns below 10 us, else us, else ms. */
export function timeAxis(max: number): (v: number) => string {
  if (max < 1e4) return (v) => `${Math.round(v).toLocaleString("en-US")} ns`;
  if (max < 1e7) return (v) => `${Number((v / 1e3).toFixed(2))} us`;
  return (v) => `${Number((v / 1e6).toFixed(2))} ms`;
}

export function lineChart(spec: LineChartSpec): string {
  const fmt = spec.format ?? defaultFmt;
  const map = spec.xMap ?? ((x: number) => x);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const xs = [...spec.xTicks.map((t) => map(t[0])), ...spec.series.flatMap((s) => s.points.map((p) => map(p[0])))];
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(xMin + 1, ...xs);
  const px = (x: number): number => M.left + (plotW * (map(x) - xMin)) / (xMax - xMin);
  const scale = niceScale(Math.max(0, ...spec.series.flatMap((s) => s.points.map((p) => p[1]))));
  const yMax = scale.max;
  const parts: string[] = [];
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(spec.title)}</text>`);
  parts.push(axisTicks(scale, spec.axisFormat ? spec.axisFormat(scale.max) : fmt, plotH));
  for (const [x, label] of spec.xTicks) {
    const X = px(x).toFixed(1);
    parts.push(`<line x1="${X}" x2="${X}" y1="${M.top}" y2="${M.top + plotH}" stroke="#eee"/>`);
    parts.push(`<text x="${X}" y="${M.top + plotH + 16}" text-anchor="middle" font-size="11">${esc(label)}</text>`);
  }
  parts.push(`<text x="${M.left + plotW / 2}" y="${M.top + plotH + 32}" text-anchor="middle" font-size="11">${esc(spec.xLabel)}</text>`);
  parts.push(`<text x="14" y="${M.top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${M.top + plotH / 2})" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  // A series identical to an earlier one is drawn dashed over it and says so in the legend,
  // so that no controller silently disappears under another.
  const entries: { name: string; color: string; dash: string }[] = [];
  spec.series.forEach((s, si) => {
    const color = PALETTE[si % PALETTE.length];
    const same = spec.series.findIndex((o, oi) => oi < si && o.points.length > 0 && JSON.stringify(o.points) === JSON.stringify(s.points));
    const dash = DASHES[si % DASHES.length];
    entries.push({ name: same >= 0 ? `${s.name} (= ${spec.series[same].name})` : s.name, color, dash });
    if (s.points.length === 0) return;
    const d = s.points
      .map((p, i) => `${i ? "L" : "M"}${px(p[0]).toFixed(1)},${(M.top + plotH - (plotH * p[1]) / yMax).toFixed(1)}`)
      .join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ""}><title>${esc(s.name)}</title></path>`);
  });
  parts.push(legend(entries));
  return svg(parts.join(""));
}

function svg(body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">${body}</svg>`;
}
