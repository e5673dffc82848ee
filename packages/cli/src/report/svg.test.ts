// The report's bar charts: value labels are never covered by a bar, never overlap each
// other and stay inside the picture (the p50 labels of the first chart were clipped).
import { describe, expect, it } from "vitest";
import { ns } from "./format.js";
import { barChart, timeAxis } from "./svg.js";

interface Box { x0: number; x1: number; y0: number; y1: number }

function parse(svg: string): { rects: Box[]; labels: (Box & { text: string; at: number })[]; firstLabelAt: number; lastRectAt: number } {
  const rects: Box[] = [];
  let lastRectAt = -1;
  for (const m of svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)) {
    const [x, y, w, h] = m.slice(1).map(Number);
    // Bars (the legend's 10x10 swatches are not bars).
    if (h > 0 && w > 10) {
      rects.push({ x0: x, x1: x + w, y0: y, y1: y + h });
      lastRectAt = m.index!;
    }
  }
  const labels = [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" text-anchor="middle" font-size="10" class="value">([^<]*)<\/text>/g)].map((m) => {
    const x = Number(m[1]);
    const y = Number(m[2]);
    const w = m[3].length * 6;
    return { x0: x - w / 2, x1: x + w / 2, y0: y - 9, y1: y, text: m[3], at: m.index! };
  });
  return { rects, labels, firstLabelAt: Math.min(...labels.map((l) => l.at)), lastRectAt };
}

const overlap = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

describe("[report-labels] bar chart value labels", () => {
  for (const n of [2, 6, 8]) {
    it(`p50/p99 latency chart with ${n} controllers: every label visible, none under a bar, none overlapping`, () => {
      const cats = Array.from({ length: n }, (_, i) => `controller ${i}`);
      const svg = barChart({
        title: "Latency",
        categories: cats,
        series: [
          { name: "p50", values: cats.map((_, i) => 1300 + 1000 * (i % 3)) },
          { name: "p99", values: cats.map((_, i) => 7000 + 4000 * (i % 4)) },
        ],
        unit: "simulated time",
        format: ns,
        axisFormat: timeAxis,
      });
      const { rects, labels, firstLabelAt, lastRectAt } = parse(svg);
      expect(labels).toHaveLength(2 * n);
      expect(firstLabelAt).toBeGreaterThan(lastRectAt); // drawn on top of every bar
      for (const l of labels) {
        expect(l.y0, l.text).toBeGreaterThan(24); // below the title, inside the picture
        for (const r of rects) expect(overlap(l, r), `${l.text} under a bar`).toBe(false);
      }
      for (let i = 0; i < labels.length; i++) {
        for (let j = i + 1; j < labels.length; j++) expect(overlap(labels[i], labels[j]), `${labels[i].text} / ${labels[j].text}`).toBe(false);
      }
    });
  }

  it("labels that fit their bar stay just above it", () => {
    const svg = barChart({ title: "t", categories: ["a", "b"], series: [{ name: "x", values: [1, 2] }], unit: "u" });
    const { rects, labels } = parse(svg);
    for (const [i, l] of labels.entries()) expect(rects[i].y0 - l.y1).toBeCloseTo(3, 5);
  });
});
