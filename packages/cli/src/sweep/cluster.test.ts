import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { loadWorkload } from "../compare.js";
import { CliError } from "../errors.js";
import { loadPluginSet } from "../plugins.js";
import { EXIT_INCOMPLETE, EXIT_NO_RETRY, EXIT_RETRY } from "./exit-codes.js";
import { parseGrid } from "./grid.js";
import { mergeResults, writeMerge } from "./merge.js";
import { makePlan, planToText, readPlan } from "./plan.js";
import { readResults, writeFileAtomic } from "./results-file.js";
import { runSweep } from "./run.js";
import { runShard as runShardWith, type ShardRunOptions } from "./shard-run.js";
import { cellsOfShard, parseShard, shardFromEnv } from "./shard.js";
import { statusBar, sweepStatus } from "./status.js";

const tmp = mkdtempSync(join(tmpdir(), "irqlab-cluster-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const dir = (): string => mkdtempSync(join(tmp, `d${n++}-`));

const codeOf = (f: () => unknown): number | string => {
  try {
    f();
    return "no error";
  } catch (e) {
    return e instanceof CliError ? e.exitCode : (e as Error).name;
  }
};

const GRID = { workload: "default", controllers: ["xics", "mpic-4.2"], axes: { rate: [0.5, 1, 2], vcpus: [2, 3], duration: ["1ms"] } };

function planFile(grid: object = GRID, version = "9.9.9"): { path: string; plan: ReturnType<typeof makePlan> } {
  const g = parseGrid(JSON.stringify(grid), "grid.json", loadWorkload);
  const plan = makePlan(g, g.controllers, version);
  const path = join(dir(), "plan.json");
  writeFileSync(path, planToText(plan));
  return { path, plan };
}

describe("sweep grids and plans", () => {
  it("cells come in a fixed order (first axis outermost, controllers innermost) with content-hash ids", () => {
    const { plan } = planFile();
    expect(plan.cells).toHaveLength(12);
    expect(plan.cells.slice(0, 4).map((c) => [c.controller, c.params])).toEqual([
      ["xics", { rate: 0.5, vcpus: 2, duration: "1ms" }],
      ["mpic-4.2", { rate: 0.5, vcpus: 2, duration: "1ms" }],
      ["xics", { rate: 0.5, vcpus: 3, duration: "1ms" }],
      ["mpic-4.2", { rate: 0.5, vcpus: 3, duration: "1ms" }],
    ]);
    expect(new Set(plan.cells.map((c) => c.id)).size).toBe(12);
    expect(plan.cells.every((c, i) => c.index === i && /^[0-9a-f]{16}$/.test(c.id))).toBe(true);
  });

  it("the plan hash changes with any content; cell ids do not depend on the grid around them", () => {
    const a = planFile().plan;
    expect(planFile({ ...GRID, axes: { ...GRID.axes, duration: ["2ms"] } }).plan.planHash).not.toBe(a.planHash);
    const b = planFile({ ...GRID, axes: { vcpus: [3], rate: [2], duration: ["1ms"] } }).plan;
    expect(b.cells.map((c) => c.id)).toEqual(a.cells.filter((c) => c.params.rate === 2 && c.params.vcpus === 3).map((c) => c.id));
  });

  it("a plan file reads back; an edited or truncated plan and another version are refused with the no-retry code", () => {
    const { path, plan } = planFile();
    expect(readPlan(path, "9.9.9").planHash).toBe(plan.planHash);
    expect(codeOf(() => readPlan(path, "1.0.0"))).toBe(EXIT_NO_RETRY);
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.replace('"rate": [\n        0.5', '"rate": [\n        0.25'));
    expect(text).toContain('"rate": [\n        0.5');
    expect(codeOf(() => readPlan(path))).toBe(EXIT_NO_RETRY);
    writeFileSync(path, text.slice(0, text.length / 2));
    expect(codeOf(() => readPlan(path))).toBe(EXIT_NO_RETRY);
    writeFileSync(path, "{}");
    expect(codeOf(() => readPlan(path))).toBe(EXIT_NO_RETRY);
  });

  it("a grid cell outside the workload limits refuses the whole plan, naming the cell (nothing runs)", () => {
    expect(() => planFile({ ...GRID, axes: { vcpus: [2, 1000] } })).toThrow(/vcpus=1000/);
  });
});

describe("shards", () => {
  it("--shard I/N and --shard-from-env for Slurm (0- and 1-based), Kubernetes and AWS Batch", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    expect(shardFromEnv("SLURM_ARRAY_TASK_ID", undefined, { SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "4" })).toEqual({ index: 3, count: 4 });
    expect(shardFromEnv("SLURM_ARRAY_TASK_ID,1", 4, { SLURM_ARRAY_TASK_ID: "4" })).toEqual({ index: 3, count: 4 });
    expect(shardFromEnv("JOB_COMPLETION_INDEX", 8, { JOB_COMPLETION_INDEX: "0" })).toEqual({ index: 0, count: 8 });
    expect(shardFromEnv("AWS_BATCH_JOB_ARRAY_INDEX", undefined, { AWS_BATCH_JOB_ARRAY_INDEX: "5", AWS_BATCH_JOB_ARRAY_SIZE: "6" })).toEqual({ index: 5, count: 6 });
  });

  it("bad shard specs are refused with the no-retry code", () => {
    for (const s of ["4/4", "1/0", "-1/3", "a/b", "1", ""]) expect(codeOf(() => parseShard(s))).toBe(EXIT_NO_RETRY);
    expect(codeOf(() => shardFromEnv("JOB_COMPLETION_INDEX", 2, {}))).toBe(EXIT_NO_RETRY);
    expect(codeOf(() => shardFromEnv("JOB_COMPLETION_INDEX", undefined, { JOB_COMPLETION_INDEX: "0" }))).toBe(EXIT_NO_RETRY);
    expect(codeOf(() => shardFromEnv("SLURM_ARRAY_TASK_ID,1", 4, { SLURM_ARRAY_TASK_ID: "0" }))).toBe(EXIT_NO_RETRY);
    expect(codeOf(() => shardFromEnv("X,1,2", 4, { X: "1" }))).toBe(EXIT_NO_RETRY);
    expect(codeOf(() => shardFromEnv("X", 4, { X: "1.5" }))).toBe(EXIT_NO_RETRY);
  });

  it("the shards of N partition the cells: every cell in exactly one shard", () => {
    const { plan } = planFile();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), (count) => {
        const seen = Array.from({ length: count }, (_, i) => cellsOfShard(plan.cells, { index: i, count })).flat().map((c) => c.index);
        expect(seen.sort((a, b) => a - b)).toEqual(plan.cells.map((c) => c.index));
      }),
    );
  });
});

const plugins = await loadPluginSet();

const runShard = (o: Omit<ShardRunOptions, "plugins" | "plan"> & { plan: ReturnType<typeof makePlan>; planPath?: string }) =>
  runShardWith({ plugins, ...o, load: o.jobs && o.jobs > 1 ? {} : undefined });

async function serial(_path: string, plan: ReturnType<typeof makePlan>): Promise<string> {
  const out = dir();
  const r = await runShard({ plan, shard: { index: 0, count: 1 }, outDir: out, jobs: 1 });
  expect(r.exitCode).toBe(0);
  return mergeResults(plan, [out]).text;
}

describe("running shards and merging", () => {
  it("sanity: the plugins have the grid's controllers", () => {
    expect(plugins.drivers.map((d) => d.id)).toEqual(expect.arrayContaining(["xics", "mpic-4.2"]));
  });

  it("N shards merged are byte-identical to one machine; a shard run twice is deduplicated", async () => {
    const { path, plan } = planFile();
    const one = await serial(path, plan);
    expect(one.split("\n").filter(Boolean)).toHaveLength(12);
    const out = dir();
    for (let i = 0; i < 3; i++) {
      const r = await runShard({ plan, planPath: path, shard: { index: i, count: 3 }, outDir: out, jobs: 1, attempt: `a${i}` });
      expect(r).toMatchObject({ exitCode: 0, ran: 4, skipped: 0 });
    }
    // A duplicate attempt of shard 1 (another machine ran it too) lands in its own file.
    const dup = dir();
    await runShard({ plan, planPath: path, shard: { index: 1, count: 3 }, outDir: dup, jobs: 1, attempt: "dup" });
    const m = mergeResults(plan, [out, dup]);
    expect(m).toMatchObject({ files: 4, duplicates: 4, missing: [] });
    expect(m.text).toBe(one);
    const target = join(dir(), "results.jsonl");
    writeMerge(m, target, false);
    expect(readFileSync(target, "utf8")).toBe(one);
    expect(sweepStatus(plan, [out])).toMatchObject({ cells: 12, done: 12, missing: 0, failed: 0 });
  });

  it("resume: a shard killed midway (its file holds some cells) reruns only the missing ones", async () => {
    const { path, plan } = planFile();
    const one = await serial(path, plan);
    const out = dir();
    // What a kill after the last flush leaves: the attempt file with the first 2 of 6 cells.
    await runShard({ plan, planPath: path, shard: { index: 0, count: 2 }, outDir: out, jobs: 1, attempt: "killed" });
    const f = join(out, readdirSync(out)[0]);
    const rows = readFileSync(f, "utf8").split("\n");
    writeFileSync(f, rows.slice(0, 3).join("\n") + "\n");
    expect(sweepStatus(plan, [out])).toMatchObject({ done: 2, missing: 10 });
    expect(statusBar(sweepStatus(plan, [out]), 12)).toMatch(/^\[##\.{10}\] 16\.7%/);
    const again = await runShard({ plan, planPath: path, shard: { index: 0, count: 2 }, outDir: out, jobs: 1, attempt: "rerun" });
    expect(again).toMatchObject({ ran: 4, skipped: 2 });
    const again2 = await runShard({ plan, planPath: path, shard: { index: 0, count: 2 }, outDir: out, jobs: 1, attempt: "noop" });
    expect(again2).toMatchObject({ ran: 0, skipped: 6, file: null });
    expect(codeOf(() => writeMerge(mergeResults(plan, [out]), join(out, "..", "x.jsonl"), false))).toBe(EXIT_INCOMPLETE);
    await runShard({ plan, planPath: path, shard: { index: 1, count: 2 }, outDir: out, jobs: 1 });
    expect(mergeResults(plan, [out]).text).toBe(one);
  });

  it("two copies of a cell that disagree fail the merge naming both files", async () => {
    const { path, plan } = planFile();
    const a = dir();
    const b = dir();
    await runShard({ plan, planPath: path, shard: { index: 0, count: 4 }, outDir: a, jobs: 1 });
    await runShard({ plan, planPath: path, shard: { index: 0, count: 4 }, outDir: b, jobs: 1 });
    const f = join(b, readdirSync(b)[0]);
    writeFileSync(f, readFileSync(f, "utf8").replace(/"handled":(\d+)/, (_, h) => `"handled":${Number(h) + 1}`));
    expect(() => mergeResults(plan, [a, b])).toThrow(/two copies disagree.*shard-0-of-4/);
  });

  it("results of another plan are refused by merge and ignored by resume", async () => {
    const { path, plan } = planFile();
    const other = planFile({ ...GRID, axes: { ...GRID.axes, duration: ["2ms"] } }).plan;
    const out = dir();
    await runShard({ plan, planPath: path, shard: { index: 0, count: 6 }, outDir: out, jobs: 1 });
    expect(codeOf(() => mergeResults(other, [out]))).toBe(EXIT_NO_RETRY);
    expect(sweepStatus(other, [out]).done).toBe(0);
  });

  it("a plan naming a controller this machine lacks is refused with the no-retry code", async () => {
    const { path, plan } = planFile({ ...GRID, controllers: ["no-such-chip"] });
    await expect(runShard({ plan, planPath: path, shard: { index: 0, count: 1 }, outDir: dir(), jobs: 1 })).rejects.toMatchObject({ exitCode: EXIT_NO_RETRY });
  });

  it("the one-machine sweep of the grid (irqlab sweep GRID -o) writes the same bytes as the merged shards", async () => {
    const { path, plan } = planFile();
    const one = await serial(path, plan);
    const out = join(dir(), "cells.jsonl");
    await runSweep(plugins, parseGrid(JSON.stringify(GRID), "grid.json", loadWorkload), { out, jobs: 1 });
    expect(readFileSync(out, "utf8")).toBe(one);
  });

  it("worker threads give the same lines as the serial run", async () => {
    const { path, plan } = planFile();
    const one = await serial(path, plan);
    const out = dir();
    const r = await runShard({ plan, planPath: path, shard: { index: 0, count: 1 }, outDir: out, jobs: 2 });
    expect(r).toMatchObject({ exitCode: 0, ran: 12 });
    expect(mergeResults(plan, [out]).text).toBe(one);
  });

  it("an unwritable results directory is the retry code; atomic writes replace a planted symlink instead of following it", async () => {
    const { path, plan } = planFile();
    await expect(runShard({ plan, planPath: path, shard: { index: 0, count: 1 }, outDir: join(tmp, "no", "such"), jobs: 1 })).rejects.toMatchObject({ exitCode: EXIT_RETRY });
    const d = dir();
    const victim = join(d, "victim.txt");
    writeFileSync(victim, "keep");
    symlinkSync(victim, join(d, "out.jsonl"));
    writeFileAtomic(join(d, "out.jsonl"), "new\n");
    expect(readFileSync(victim, "utf8")).toBe("keep");
    expect(readFileSync(join(d, "out.jsonl"), "utf8")).toBe("new\n");
    expect(readdirSync(d).filter((f) => f.includes(".tmp-"))).toEqual([]);
    expect(readResults([d], plan.planHash, "skip").lines).toEqual([]);
  });
});
