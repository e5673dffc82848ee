/**
 * The shipped recipes (recipes/ at the repository root) are the files tested here: the
 * Kubernetes Indexed Job against the Kubernetes schema, the Slurm and GNU parallel scripts
 * through real processes, and (scripts/slurm-e2e.sh) a real single-node Slurm array.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Job } from "kubernetes-models/batch/v1/Job";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { EXIT_NO_RETRY, EXIT_RETRY } from "./exit-codes.js";

const repo = resolve(import.meta.dirname, "../../../..");
const bin = join(repo, "packages/cli/dist/bin.js");
const tmp = mkdtempSync(join(tmpdir(), "irqlab-recipes-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function irqlab(args: string[], env: NodeJS.ProcessEnv = {}, cwd = tmp) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ...env }, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function plan(name: string, grid: object): string {
  const d = join(tmp, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "grid.json"), JSON.stringify(grid));
  const r = irqlab(["sweep", "plan", join(d, "grid.json"), "-o", join(d, "plan.json")]);
  expect(r.code, r.err).toBe(0);
  return d;
}

const GRID = { workload: "default", controllers: ["xics", "mpic-4.2"], axes: { rate: [0.5, 1, 2, 4], seed: [1, 2, 3], duration: ["2ms"] } };

describe("the Kubernetes Indexed Job recipe", () => {
  const doc = parse(readFileSync(join(repo, "recipes/kubernetes/irqlab-sweep-job.yaml"), "utf8"));

  it("is a valid batch/v1 Job under the Kubernetes schema (kubernetes-models); a broken copy is refused", () => {
    expect(() => new Job(doc).validate()).not.toThrow();
    const broken = structuredClone(doc);
    broken.spec.backoffLimitPerIndex = "three";
    expect(() => new Job(broken).validate()).toThrow(/backoffLimitPerIndex/);
  });

  it("runs one shard per index, retries per index, and maps the no-retry exit code to FailIndex", () => {
    const spec = doc.spec;
    expect(spec.completionMode).toBe("Indexed");
    expect(spec.backoffLimitPerIndex).toBeGreaterThan(0);
    expect(spec.template.spec.restartPolicy).toBe("Never");
    const rule = spec.podFailurePolicy.rules.find((r: { action: string }) => r.action === "FailIndex");
    expect(rule.onExitCodes).toMatchObject({ containerName: "irqlab", operator: "In", values: [EXIT_NO_RETRY] });
    const cmd: string[] = spec.template.spec.containers[0].command;
    expect(cmd.slice(0, 3)).toEqual(["irqlab", "sweep", "run"]);
    expect(cmd[cmd.indexOf("--shard-from-env") + 1]).toBe("JOB_COMPLETION_INDEX");
    expect(Number(cmd[cmd.indexOf("--shards") + 1])).toBe(spec.completions);
  });
});

describe("shards as separate processes (what any batch engine does)", () => {
  it("N processes with the index variable set, merged, equal the one-machine run byte for byte", () => {
    const d = plan("procs", GRID);
    const p = join(d, "plan.json");
    mkdirSync(join(d, "one"));
    mkdirSync(join(d, "many"));
    expect(irqlab(["sweep", "run", p, "--out", join(d, "one")]).code).toBe(0);
    expect(irqlab(["sweep", "merge", join(d, "one"), "--plan", p, "-o", join(d, "one.jsonl")]).code).toBe(0);
    // A 1-based Slurm-style array of 3 tasks, run concurrently.
    const runs = [1, 2, 3].map(
      (i) =>
        new Promise<number | null>((ok) => {
          const c = spawn(process.execPath, [bin, "sweep", "run", p, "--shard-from-env", "SLURM_ARRAY_TASK_ID,1", "--out", join(d, "many"), "-j", "1"], {
            env: { ...process.env, SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: "3" },
            stdio: "ignore",
          });
          c.on("exit", ok);
        }),
    );
    return Promise.all(runs).then((codes) => {
      expect(codes).toEqual([0, 0, 0]);
      expect(readdirSync(join(d, "many"))).toHaveLength(3);
      expect(irqlab(["sweep", "merge", join(d, "many"), "--plan", p, "-o", join(d, "many.jsonl")]).code).toBe(0);
      expect(readFileSync(join(d, "many.jsonl"), "utf8")).toBe(readFileSync(join(d, "one.jsonl"), "utf8"));
    });
  });

  it("a shard killed midway (SIGKILL) and rerun completes with the same bytes; the rerun skips what the kill kept", async () => {
    const d = plan("kill", { workload: "default", controllers: ["xics", "mpic-4.2"], axes: { rate: [1, 2, 4, 8], seed: [1, 2], duration: ["20ms"] } });
    const p = join(d, "plan.json");
    const out = join(d, "r");
    mkdirSync(out);
    const child = spawn(process.execPath, [bin, "sweep", "run", p, "--out", out, "-j", "1", "--flush-ms", "0"], { stdio: "ignore" });
    let exited = false;
    const gone = new Promise((r) => child.on("exit", () => ((exited = true), r(null))));
    const lines = (): number => {
      const f = readdirSync(out).find((n) => n.endsWith(".jsonl"));
      return f ? readFileSync(join(out, f), "utf8").split("\n").filter(Boolean).length - 1 : 0;
    };
    const started = Date.now();
    while (lines() < 2 && !exited && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    await gone;
    const kept = lines();
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(16); // killed before the end: the rerun has work left
    expect(readdirSync(out).filter((n) => n.includes(".tmp-")).length).toBeLessThanOrEqual(1);
    const again = irqlab(["sweep", "run", p, "--out", out, "-j", "1"]);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(new RegExp(`${kept} already done`));
    expect(irqlab(["sweep", "merge", out, "--plan", p, "-o", join(d, "m.jsonl")]).code).toBe(0);
    const fresh = join(d, "fresh");
    mkdirSync(fresh);
    irqlab(["sweep", "run", p, "--out", fresh, "-j", "1"]);
    irqlab(["sweep", "merge", fresh, "--plan", p, "-o", join(d, "f.jsonl")]);
    expect(readFileSync(join(d, "m.jsonl"), "utf8")).toBe(readFileSync(join(d, "f.jsonl"), "utf8"));
  }, 60_000);

  it("exit codes a retry policy can act on: wrong plan hash / version / shard = 65, results dir under a missing parent = 75", () => {
    const d = plan("codes", GRID);
    const p = join(d, "plan.json");
    const edited = join(d, "edited.json");
    writeFileSync(edited, readFileSync(p, "utf8").replace('"seed": [\n        1,', '"seed": [\n        9,'));
    expect(readFileSync(edited, "utf8")).not.toBe(readFileSync(p, "utf8"));
    mkdirSync(join(d, "r"));
    expect(irqlab(["sweep", "run", edited, "--out", join(d, "r")]).code).toBe(EXIT_NO_RETRY);
    const other = join(d, "other-version.json");
    const j = JSON.parse(readFileSync(p, "utf8"));
    writeFileSync(other, JSON.stringify({ ...j, version: "0.0.1" }));
    expect(irqlab(["sweep", "run", other, "--out", join(d, "r")]).err).toMatch(/plan hash mismatch|made by irqlab/);
    expect(irqlab(["sweep", "run", p, "--shard", "3/3", "--out", join(d, "r")]).code).toBe(EXIT_NO_RETRY);
    expect(irqlab(["sweep", "run", p, "--shard-from-env", "JOB_COMPLETION_INDEX", "--out", join(d, "r")]).code).toBe(EXIT_NO_RETRY);
    expect(irqlab(["sweep", "run", p, "--out", join(d, "unmounted", "results")]).code).toBe(EXIT_RETRY);
    expect(irqlab(["sweep", "run", p, "--shard", "0/9", "--out", join(d, "created")]).code).toBe(0);
    expect(irqlab(["sweep", "bogus"]).code).toBe(2);
  });

  it("the GNU parallel recipe runs the shards on this machine (-S :) to the same bytes", () => {
    if (spawnSync("parallel", ["--version"]).status !== 0) {
      // Debian's `parallel` is installed by scripts/slurm-e2e.sh (and so in CI); say so when absent.
      console.warn("GNU parallel is not installed: recipe not run here (scripts/slurm-e2e.sh installs it)");
      return;
    }
    const d = plan("parallel", GRID);
    const p = join(d, "plan.json");
    const r = spawnSync(join(repo, "recipes/parallel/irqlab-sweep.sh"), [p, join(d, "r"), "3", ":"], {
      env: { ...process.env, IRQLAB: `${process.execPath} ${bin}` },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    mkdirSync(join(d, "one"));
    irqlab(["sweep", "run", p, "--out", join(d, "one")]);
    irqlab(["sweep", "merge", join(d, "one"), "--plan", p, "-o", join(d, "one.jsonl")]);
    expect(irqlab(["sweep", "merge", join(d, "r"), "--plan", p, "-o", join(d, "par.jsonl")]).code).toBe(0);
    expect(readFileSync(join(d, "par.jsonl"), "utf8")).toBe(readFileSync(join(d, "one.jsonl"), "utf8"));
  });
});

// A real Slurm: daemons started and stopped by the script, the shipped batch script as the
// array job, 200 cells. Runs where the script can install or find Slurm (root, as in CI).
const canSlurm = process.getuid?.() === 0 && (existsSync("/usr/bin/sbatch") || existsSync("/usr/bin/apt-get"));
describe.runIf(canSlurm)("a real Slurm array (scripts/slurm-e2e.sh)", () => {
  it("a 200-cell sweep as an 8-task array (%4 throttle), merged, is byte-identical to one machine and to GNU parallel", () => {
    const r = spawnSync("bash", [join(repo, "scripts/slurm-e2e.sh")], { encoding: "utf8", timeout: 300_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/slurm-e2e: 200 cells; Slurm array \(8 tasks, %4 throttle, 8 result files\).*byte-identical/);
    console.log(r.stdout.trim().split("\n").at(-1));
  }, 320_000);
});
