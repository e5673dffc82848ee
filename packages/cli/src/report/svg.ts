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
  readonly format?: (v: number) => string;
}

const W = 640;
const H = 300;
const M = { left: 70, right: 20, top: 36, bottom: 70 };

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least `v`. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function axisTicks(max: number, fmt: (v: number) => string, plotH: number): string {
  const out: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = M.top + plotH - (plotH * i) / 4;
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${esc(fmt(v))}</text>`);
  }
  return out.join("");
}

function legend(names: readonly string[]): string {
  return names
    .map((n, i) => {
      const x = M.left + i * 130;
      return `<rect x="${x}" y="${H - 18}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 14}" y="${H - 9}" font-size="11">${esc(n)}</text>`;
    })
    .join("");
}

const defaultFmt = (v: number): string => (Math.abs(v) >= 1000 ? v.toLocaleString("en-US", { maximumFractionDigits: 0 }) : String(Math.round(v * 100) / 100));

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
  const max = niceMax(Math.max(0, ...totals));
  const group = plotW / Math.max(1, n);
  const barW = spec.stacked ? group * 0.5 : (group * 0.7) / Math.max(1, spec.series.length);
  const parts: string[] = [];
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(spec.title)}</text>`);
  parts.push(axisTicks(max, fmt, plotH));
  parts.push(`<text x="14" y="${M.top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${M.top + plotH / 2})" text-anchor="middle">${esc(spec.unit)}</text>`);
  spec.categories.forEach((cat, ci) => {
    const gx = M.left + ci * group;
    let stackY = M.top + plotH;
    spec.series.forEach((s, si) => {
      const v = s.values[ci];
      if (v === null || v === undefined) return;
      const h = (plotH * v) / max;
      const color = PALETTE[si % PALETTE.length];
      const title = `<title>${esc(`${cat} - ${s.name}: ${fmt(v)}`)}</title>`;
      if (spec.stacked) {
        const x = gx + (group - barW) / 2;
        stackY -= h;
        parts.push(`<rect x="${x.toFixed(1)}" y="${stackY.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${color}">${title}</rect>`);
      } else {
        const x = gx + group * 0.15 + si * barW;
        const y = M.top + plotH - h;
        parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}">${title}</rect>`);
        parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" font-size="10">${esc(fmt(v))}</text>`);
      }
    });
    if (spec.stacked) {
      parts.push(`<text x="${(gx + group / 2).toFixed(1)}" y="${(stackY - 3).toFixed(1)}" text-anchor="middle" font-size="10">${esc(fmt(totals[ci]))}</text>`);
    }
    parts.push(`<text x="${(gx + group / 2).toFixed(1)}" y="${M.top + plotH + 16}" text-anchor="middle" font-size="11">${esc(cat)}</text>`);
  });
  parts.push(legend(spec.series.map((s) => s.name)));
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
  readonly xMax?: number;
  readonly format?: (v: number) => string;
}

export function lineChart(spec: LineChartSpec): string {
  const fmt = spec.format ?? defaultFmt;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const xMax = spec.xMax ?? Math.max(1, ...spec.series.flatMap((s) => s.points.map((p) => p[0])));
  const yMax = niceMax(Math.max(0, ...spec.series.flatMap((s) => s.points.map((p) => p[1]))));
  const parts: string[] = [];
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(spec.title)}</text>`);
  parts.push(axisTicks(yMax, fmt, plotH));
  for (let i = 0; i <= 4; i++) {
    const x = M.left + (plotW * i) / 4;
    parts.push(`<text x="${x}" y="${M.top + plotH + 16}" text-anchor="middle" font-size="11">${esc(defaultFmt((xMax * i) / 4))}</text>`);
  }
  parts.push(`<text x="${M.left + plotW / 2}" y="${M.top + plotH + 34}" text-anchor="middle" font-size="11">${esc(spec.xLabel)}</text>`);
  parts.push(`<text x="14" y="${M.top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${M.top + plotH / 2})" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  spec.series.forEach((s, si) => {
    if (s.points.length === 0) return;
    const d = s.points
      .map((p, i) => `${i ? "L" : "M"}${(M.left + (plotW * p[0]) / xMax).toFixed(1)},${(M.top + plotH - (plotH * p[1]) / yMax).toFixed(1)}`)
      .join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="${PALETTE[si % PALETTE.length]}" stroke-width="2"><title>${esc(s.name)}</title></path>`);
  });
  parts.push(legend(spec.series.map((s) => s.name)));
  return svg(parts.join(""));
}

function svg(body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">${body}</svg>`;
}
