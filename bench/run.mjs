#!/usr/bin/env node
// `pnpm bench`: runs every bench/*.bench.mjs (each in its own process, so heap figures do not
// mix), or only those whose name contains an argument: `pnpm bench xics`.
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
// The machine as the benchmarks found it (other jobs load the shared dev machine): one JSON
// line per file, so figures can be read against the load they were measured under.
const machine = (file) =>
  console.log(JSON.stringify({ bench: "machine", file, cpus: availableParallelism(), loadavg: loadavg().map((x) => Number(x.toFixed(2))), node: process.version, at: new Date().toISOString() }));
for (const f of files) {
  console.log(`\n# ${f}`);
  machine(f);
  const r = spawnSync(process.execPath, ["--expose-gc", join(here, f)], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
if (files.length === 0) console.log("no benchmarks matched");
process.exit(failed ? 1 : 0);
