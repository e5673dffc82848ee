/**
 * `irqlab sweep plan | run | merge | status`: the sweep in shards for batch engines (see
 * commands.ts and recipes/README.md for the user's view; exit-codes.ts for run's codes).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { CliError, EXIT_OK, EXIT_USAGE } from "../errors.js";
import type { LoadOptions, PluginSet } from "../plugins.js";
import { selectDrivers } from "../plugins.js";
import { prepareOutDir } from "../report/html.js";
import { toolVersion } from "../version.js";
import { EXIT_INCOMPLETE, EXIT_NO_RETRY, EXIT_RETRY } from "./exit-codes.js";
import { readGrid, writeSweepReport } from "./files.js";
import { mergeResults, writeMerge } from "./merge.js";
import { makePlan, planToText, readPlan } from "./plan.js";
import { writeFileAtomic } from "./results-file.js";
import { runShard } from "./shard-run.js";
import { parseShard, shardFromEnv } from "./shard.js";
import { statusBar, sweepStatus } from "./status.js";

type Opts = Record<string, unknown>;
interface Io {
  out(text: string): void;
  err(text: string): void;
  progressStream?: NodeJS.WriteStream;
}

export const SWEEP_ACTIONS = ["plan", "run", "merge", "status"] as const;

function need(o: Opts, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== "string" || v === "") throw new CliError(`sweep ${what}`, EXIT_USAGE);
  return v;
}

export async function clusterSweepAction(action: string, paths: string[], o: Opts, io: Io, plugins: () => Promise<PluginSet>, load: LoadOptions): Promise<number> {
  const version = toolVersion();
  switch (action) {
    case "plan": {
      if (paths.length !== 1) throw new CliError("sweep plan needs exactly one GRID.json", EXIT_USAGE);
      const out = need(o, "out", "plan needs -o plan.json");
      const grid = readGrid(paths[0]);
      const set = await plugins();
      const controllers = selectDrivers(set, grid.controllers.length ? grid.controllers : undefined).map((d) => d.id);
      const plan = makePlan(grid, controllers, version);
      writeFileAtomic(out, planToText(plan));
      io.out(`plan ${out}: ${plan.cells.length} cells (${controllers.length} controllers), plan hash ${plan.planHash.slice(0, 16)}\n`);
      return EXIT_OK;
    }
    case "run": {
      if (paths.length !== 1) throw new CliError("sweep run needs exactly one plan.json", EXIT_NO_RETRY);
      const outDir = typeof o.out === "string" && o.out !== "" ? o.out : null;
      if (!outDir) throw new CliError("sweep run needs --out DIR (the results directory)", EXIT_NO_RETRY);
      if (o.shard !== undefined && o.shardFromEnv !== undefined) throw new CliError("give --shard or --shard-from-env, not both", EXIT_NO_RETRY);
      const shard =
        typeof o.shardFromEnv === "string"
          ? shardFromEnv(o.shardFromEnv, o.shards as number | undefined)
          : typeof o.shard === "string"
            ? parseShard(o.shard)
            : { index: 0, count: 1 };
      const plan = readPlan(paths[0], version);
      // A missing results directory is created when its parent exists; a missing parent (an
      // unmounted shared volume, say) is a passing fault: retry.
      if (!existsSync(outDir)) {
        try {
          mkdirSync(outDir);
        } catch (e) {
          throw new CliError(`cannot create the results directory ${outDir}: ${(e as Error).message}`, EXIT_RETRY);
        }
      }
      const tty = io.progressStream?.isTTY === true && o.progress !== false;
      const r = await runShard({
        plugins: await plugins(),
        plan,
        shard,
        outDir,
        jobs: o.jobs as number | undefined,
        flushMs: o.flushMs as number | undefined,
        load,
        log: (l) => io.err(`irqlab: ${l}\n`),
        onProgress: tty ? (d, t) => io.progressStream!.write(`\r${d}/${t} cells`) : undefined,
      });
      if (tty) io.progressStream!.write("\n");
      for (const f of r.failedToRun) io.err(`irqlab: cell #${f.index} did not finish (retry the shard): ${f.error}\n`);
      io.out(`shard ${shard.index}/${shard.count}: ${r.ran} cells run, ${r.skipped} already done${r.file ? `, results in ${r.file}` : ""}\n`);
      return r.exitCode;
    }
    case "merge": {
      if (paths.length === 0) throw new CliError("sweep merge needs at least one results directory", EXIT_USAGE);
      const out = need(o, "out", "merge needs -o results.jsonl");
      const planPath = typeof o.plan === "string" ? o.plan : paths.map((d) => join(d, "plan.json")).find((p) => existsSync(p));
      if (!planPath) throw new CliError("sweep merge needs --plan plan.json (no plan.json in the result directories)", EXIT_USAGE);
      const plan = readPlan(planPath);
      if (typeof o.report === "string") prepareOutDir(o.report);
      const m = mergeResults(plan, paths);
      writeMerge(m, out, o.allowMissing === true);
      if (typeof o.report === "string") {
        const html = writeSweepReport(o.report, `irqlab sweep ${planPath}`, m.lines);
        io.err(`report written to ${html}\n`);
      }
      io.out(`merged ${m.lines.length} of ${plan.cells.length} cells from ${m.files} files into ${out} (${m.duplicates} duplicates dropped, ${m.failed.length} failed cells, ${m.missing.length} missing)\n`);
      return m.missing.length ? EXIT_INCOMPLETE : EXIT_OK;
    }
    case "status": {
      if (paths.length < 1) throw new CliError("sweep status needs plan.json and result directories", EXIT_USAGE);
      const plan = readPlan(paths[0]);
      const s = sweepStatus(plan, paths.slice(1));
      if (o.json) io.out(JSON.stringify(s, null, 2) + "\n");
      else {
        io.out(statusBar(s, io.progressStream?.isTTY ? 40 : 20) + "\n");
        for (const f of s.failedCells.slice(0, 20)) io.out(`  failed #${f.index} ${f.controller}: ${f.error}\n`);
      }
      return EXIT_OK;
    }
    default:
      throw new CliError(`sweep: unknown action "${action}" (plan, run, merge or status)`, EXIT_USAGE);
  }
}
