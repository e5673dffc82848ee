/** Number formatting shared by the table and the HTML report. */

export function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function ratio(n: number | null): string {
  if (n === null) return "-";
  if (n === 0) return "0";
  return n.toFixed(2);
}

/** Simulated nanoseconds: "850 ns", "12.3 us", "1.20 ms". */
export function ns(n: number | null): string {
  if (n === null) return "-";
  if (n < 1e4) return `${int(n)} ns`;
  if (n < 1e7) return `${(n / 1e3).toFixed(1)} us`;
  return `${(n / 1e6).toFixed(2)} ms`;
}

/** Rates: "950", "12.3k", "1.25M". */
export function rate(n: number): string {
  if (n < 1e4) return int(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}k`;
  return `${(n / 1e6).toFixed(2)}M`;
}

/** Lays out rows of cells: first column left-aligned, the others right-aligned. */
export function layout(rows: readonly (readonly string[])[], gap = 3): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, width(c))));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? c + " ".repeat(widths[0] - width(c)) : " ".repeat(gap + widths[i] - width(c)) + c))
        .join("")
        .trimEnd(),
    )
    .join("\n");
}

function width(s: string): number {
  return [...s].length;
}
