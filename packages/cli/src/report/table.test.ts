// The compare table fits the terminal (wrapped into blocks of controllers), and the same
// results come out as CSV and markdown.
import { beforeAll, describe, expect, it } from "vitest";
import { runCompare, type CompareReport } from "../compare.js";
import { loadPluginSet } from "../plugins.js";
import { main, type Io } from "../program.js";
import { csvField, formatCompareCsv } from "./csv.js";
import { compareMatrix, formatCompareMarkdown, formatCompareTable, wrapLines } from "./table.js";

let report: CompareReport;
beforeAll(async () => {
  report = runCompare(await loadPluginSet(), { duration: "2ms", deterministic: true });
});

async function run(io: Partial<Io>, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t), ...io });
  return { code, out, err };
}

const widest = (text: string) => Math.max(...text.split("\n").map((l) => [...l].length));

describe("compare table width", () => {
  it("every controller, a line no longer than the width asked for, metric names repeated per block", () => {
    expect(report.controllers.length).toBeGreaterThanOrEqual(6);
    for (const width of [60, 80, 100, 119]) {
      const t = formatCompareTable(report, { width });
      expect(widest(t), `width ${width}`).toBeLessThanOrEqual(width);
      for (const c of report.controllers) expect(t).toContain(c.label);
      const blocks = t.split("\n").filter((l) => l.startsWith("interrupts raised")).length;
      expect(blocks).toBeGreaterThan(1);
    }
  });

  it("width 0 (or wide enough) keeps one block: one header line with every controller", () => {
    const t = formatCompareTable(report, { width: 0 });
    expect(t.split("\n").filter((l) => l.startsWith("interrupts raised"))).toHaveLength(1);
    expect(formatCompareTable(report, { width: widest(t) })).toBe(t);
  });

  it("a block never loses a row: every metric row appears once per block with the same label", () => {
    const m = compareMatrix(report);
    const t = formatCompareTable(report, { width: 80 });
    const blocks = t.split("\n").filter((l) => l.startsWith("interrupts raised")).length;
    for (const r of m.rows) expect(t.split("\n").filter((l) => l.startsWith(`${r[0]} `) || l === r[0]).length, r[0]).toBe(blocks);
  });

  it("prose wraps at word boundaries with an indented continuation", () => {
    expect(wrapLines(["aaa bbb ccc ddd"], 8)).toEqual(["aaa bbb", "  ccc", "  ddd"]);
    expect(wrapLines(["  x yy zz"], 6)).toEqual(["  x yy", "    zz"]);
    expect(wrapLines(["short"], 80)).toEqual(["short"]);
  });

  it("irqlab compare fits the terminal's width, 80 when stdout is not a terminal, --width overrides", async () => {
    const args = ["compare", "--duration", "1ms", "--deterministic", "--no-progress"];
    const saved = process.env.COLUMNS;
    delete process.env.COLUMNS;
    try {
      expect(widest((await run({}, ...args)).out)).toBeLessThanOrEqual(80);
      expect(widest((await run({ columns: 100 }, ...args)).out)).toBeLessThanOrEqual(100);
      const wide = await run({ columns: 100 }, ...args, "--width", "0");
      expect(wide.out.split("\n").filter((l) => l.startsWith("interrupts raised"))).toHaveLength(1);
      expect(widest(wide.out)).toBeGreaterThan(120);
    } finally {
      if (saved !== undefined) process.env.COLUMNS = saved;
    }
  });
});

describe("--format csv | markdown | json", () => {
  it("csv: a header, one row per controller, raw numbers", () => {
    const lines = formatCompareCsv(report).trimEnd().split("\n");
    const head = lines[0].split(",");
    expect(head.slice(0, 5)).toEqual(["id", "label", "arch", "status", "raised"]);
    expect(lines).toHaveLength(report.controllers.length + 1);
    const xics = lines.find((l) => l.startsWith("xics,"))!.split(",");
    const r = report.controllers.find((c) => c.id === "xics")!;
    expect(Number(xics[head.indexOf("raised")])).toBe(r.counts.raised);
    expect(Number(xics[head.indexOf("latency_p50_ns")])).toBe(r.latencyNs.p50);
    expect(xics[head.indexOf("lost")]).toBe("0");
  });

  it("csv quoting follows RFC 4180", () => {
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(csvField(null)).toBe("");
    expect(csvField(0.123456)).toBe("0.1235");
  });

  it("markdown: a table with one column per controller and one row per metric", () => {
    const md = formatCompareMarkdown(report);
    const m = compareMatrix(report);
    const rows = md.split("\n").filter((l) => l.startsWith("| "));
    expect(rows).toHaveLength(m.rows.length + 1);
    expect(rows[0]).toBe(`| metric | ${report.controllers.map((c) => c.label).join(" | ")} |`);
    expect(md).toContain("|---|");
  });

  it("the command: --format picks the output, --json is --format json, contradictions are usage errors", async () => {
    const args = ["compare", "--duration", "1ms", "--deterministic", "-c", "xics,mpic-4.2"];
    const csv = await run({}, ...args, "--format", "csv");
    expect(csv.code).toBe(0);
    expect(csv.out.split("\n")[1]).toMatch(/^xics,XICS,ppc64,ok,/);
    const md = await run({}, ...args, "--format", "markdown");
    expect(md.out).toContain("| metric | XICS | MPIC 4.2 |");
    const json = await run({}, ...args, "--format", "json");
    expect(JSON.parse(json.out).controllers.map((c: { id: string }) => c.id)).toEqual(["xics", "mpic-4.2"]);
    expect((await run({}, ...args, "--json")).out).toBe(json.out);
    const bad = await run({}, ...args, "--format", "yaml");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--format yaml: one of table, json, csv, markdown/);
    expect((await run({}, ...args, "--json", "--format", "csv")).code).toBe(2);
  });
});
