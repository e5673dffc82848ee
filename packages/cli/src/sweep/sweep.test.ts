import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadWorkload } from "../compare.js";
import { main, type Io } from "../program.js";
import { loadPluginSet } from "../plugins.js";
import { DEFAULT_COSTS } from "../sim/cost-model.js";
import { FieldError } from "../workload/fields.js";
import { expandGrid, parseGrid } from "./grid.js";
import { readRecords } from "./record.js";
import { renderSweepHtml, sweepCharts } from "./report.js";
import { runSweep } from "./run.js";

const plugins = await loadPluginSet({});
const dir = mkdtempSync(join(tmpdir(), "irqlab-sweep-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GRID = JSON.stringify({
  workload: { name: "g", vcpus: 2, duration: "1ms", devices: [{ name: "nic", kind: "msi", vectors: 8, rate: 20000 }], ipis: { rate: 20000 } },
  axes: { rate: [0.5, 1, 2, 4, 8], vcpus: [2, 4, 8] },
});
const RATES = 5;
const VCPUS = [2, 4, 8];

describe("irqlab sweep", () => {
  const grid = parseGrid(GRID, "grid.json", loadWorkload);
  const ids = plugins.drivers.map((d) => d.id);

  it("cells come in a fixed order (first axis slowest, controller innermost) with content-hash ids", () => {
    const cells = expandGrid(grid, ids, DEFAULT_COSTS);
    expect(cells.length).toBe(RATES * VCPUS.length * ids.length);
    expect(cells.slice(0, ids.length).map((c) => c.controller)).toEqual(ids);
    expect(cells[0].params).toEqual({ rate: 0.5, vcpus: 2 });
    expect(cells[ids.length].params).toEqual({ rate: 0.5, vcpus: 4 });
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    // The id depends on what the cell runs, not on where it sits in a grid.
    const other = parseGrid(JSON.stringify({ ...JSON.parse(GRID), axes: { vcpus: [4], rate: [2] } }), "g2", loadWorkload);
    const [same] = expandGrid(other, [ids[0]], DEFAULT_COSTS);
    expect(same.id).toBe(cells.find((c) => c.controller === ids[0] && c.params.rate === 2 && c.params.vcpus === 4)!.id);
    expect(expandGrid(grid, ids, DEFAULT_COSTS).map((c) => c.id)).toEqual(cells.map((c) => c.id));
  });

  it("5 rates x 3 vCPU counts x every controller: the report's charts hold one curve per controller with a point per rate", async () => {
    const out = join(dir, "cells.jsonl");
    const r = await runSweep(plugins, grid, { out, jobs: 2, load: {} });
    const okControllers = new Set(r.records.filter((x) => x.status === "ok").map((x) => x.controller));
    expect([...okControllers]).toEqual(ids);
    const charts = sweepCharts(r.records);
    expect(charts.length).toBe(2 * VCPUS.length);
    for (const c of charts) {
      expect(c.series.map((s) => s.name)).toEqual(ids);
      for (const s of c.series) {
        expect(s.points.length).toBe(RATES);
        const xs = s.points.map((p) => p[0]);
        expect([...xs].sort((a, b) => a - b)).toEqual(xs);
      }
    }
    const html = renderSweepHtml("t", r.records);
    expect((html.match(/<svg /g) ?? []).length).toBe(charts.length);
    expect((html.match(/<path /g) ?? []).length).toBe(charts.length * okControllers.size);
    expect(readRecords(readFileSync(out, "utf8")).length).toBe(r.cells.length);
  });

  it("[determinism] a parallel sweep equals a serial one, and an interrupted sweep resumes from its output file", async () => {
    const small = parseGrid(JSON.stringify({ ...JSON.parse(GRID), axes: { rate: [1, 4] } }), "small", loadWorkload);
    const serial = await runSweep(plugins, small, { jobs: 1 });
    const out = join(dir, "resume.jsonl");
    const full = await runSweep(plugins, small, { out, jobs: 2, load: {} });
    expect(full.records).toEqual(serial.records);
    // Cut the file mid-line after the first two records: those two are kept, the rest re-run.
    const lines = readFileSync(out, "utf8").split("\n");
    writeFileSync(out, lines.slice(0, 2).join("\n") + "\n" + lines[2].slice(0, 20));
    const resumed = await runSweep(plugins, small, { out, jobs: 2, load: {} });
    expect(resumed.resumed).toBe(2);
    expect(resumed.records).toEqual(serial.records);
    expect(readRecords(readFileSync(out, "utf8")).length).toBe(serial.records.length);
  });

  it("bad grids are refused with the field path", () => {
    const bad = (g: unknown): string => {
      try {
        parseGrid(JSON.stringify(g), "g", loadWorkload);
      } catch (e) {
        if (e instanceof FieldError) return e.message;
        throw e;
      }
      throw new Error("accepted");
    };
    expect(bad({ axes: { rates: [1] } })).toMatch(/^grid\.axes\.rates: unknown field/);
    expect(bad({ axes: { rate: [] } })).toMatch(/grid\.axes\.rate: needs at least one value/);
    expect(bad({ axes: { rate: [0] } })).toMatch(/rate multiplier must be > 0/);
    expect(bad({ axes: { "cost.hcallNs": ["x"] } })).toMatch(/grid\.axes\.cost\.hcallNs\[0\]: must be a number/);
    expect(() => expandGrid(parseGrid(JSON.stringify({ axes: { vcpus: [9999] } }), "g", loadWorkload), ["xics"], DEFAULT_COSTS)).toThrow(/grid cell vcpus=9999/);
  });

  it("the command: streams JSON lines, writes the report, resumes (second run runs nothing)", async () => {
    const file = join(dir, "grid.json");
    writeFileSync(file, JSON.stringify({ ...JSON.parse(GRID), controllers: [ids[0]], axes: { rate: [1, 2] } }));
    const out = join(dir, "cmd.jsonl");
    const err: string[] = [];
    const io: Io = { out: () => {}, err: (t) => void err.push(t) };
    expect(await main(["sweep", file, "-o", out, "--report", join(dir, "rep"), "-j", "1"], io)).toBe(0);
    expect(readFileSync(join(dir, "rep", "sweep.html"), "utf8")).toContain("<svg ");
    expect(err.join("")).toMatch(/2 cells \(0 resumed\), 0 failed/);
    err.length = 0;
    expect(await main(["sweep", file, "-o", out, "-j", "1"], io)).toBe(0);
    expect(err.join("")).toMatch(/2 cells \(2 resumed\)/);
  });
});
