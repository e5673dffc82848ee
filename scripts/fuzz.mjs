#!/usr/bin/env node
// pnpm fuzz [--ops N] [--seed S] [--target NAME[,NAME]] [--max-seconds T]
// Runs the testkit's API-contract fuzzer on every controller plugin of the repository (built
// output: run `pnpm -s build` first; the root script does) and prints, per controller, the
// ops/s and the counts per entry point. A violation prints its shrunk regression test and
// exits 1.
import { fuzzController, formatFuzzReport, FuzzFailure } from "@irqlab/testkit/fuzz";
import { xicsFuzzTarget } from "@irqlab/xics";
import { xiveFuzzTarget, xicsOnXiveFuzzTarget } from "@irqlab/xive";
import { mpic20FuzzTarget, mpic42FuzzTarget } from "@irqlab/mpic";
import { flicFuzzTarget } from "@irqlab/flic";
import { gicFuzzTarget } from "@irqlab/gic";
import { aiaFuzzTarget } from "@irqlab/aia";

const targets = [xicsFuzzTarget, xiveFuzzTarget, xicsOnXiveFuzzTarget, mpic20FuzzTarget, mpic42FuzzTarget, flicFuzzTarget, gicFuzzTarget, aiaFuzzTarget];

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith("--")) {
    console.error(`irqlab fuzz: --${name} needs a value`);
    process.exit(2);
  }
  return v;
}
function int(name, dflt) {
  const s = arg(name, undefined);
  if (s === undefined) return dflt;
  if (!/^(?:0x[0-9a-f]+|[0-9]+(?:e[0-9]+)?)$/i.test(s) || !Number.isSafeInteger(Number(s))) {
    console.error(`irqlab fuzz: --${name} ${JSON.stringify(s)} is not a non-negative integer`);
    process.exit(2);
  }
  return Number(s);
}

const ops = int("ops", 100_000);
const seed = int("seed", Date.now() % 0x100000000);
const maxSeconds = int("max-seconds", 0);
const only = arg("target", "")
  .split(",")
  .map((s) => s.trim().toLowerCase())
  .filter(Boolean);
const chosen = only.length ? targets.filter((t) => only.some((o) => t.name.toLowerCase().replace(/\s+/g, "-").includes(o))) : targets;
if (chosen.length === 0) {
  console.error(`irqlab fuzz: no target matches ${only.join(",")} (${targets.map((t) => t.name).join(", ")})`);
  process.exit(2);
}
let failed = false;
let total = 0;
const t0 = Date.now();
for (const t of chosen) {
  try {
    const r = fuzzController(t, { ops, seed, maxMs: maxSeconds ? maxSeconds * 1000 : undefined });
    total += r.ops;
    console.log(formatFuzzReport(r));
    console.log(JSON.stringify({ bench: "testkit.fuzz", target: t.name, ops: r.ops, ops_per_s: r.opsPerSec, seed }));
  } catch (e) {
    if (!(e instanceof FuzzFailure)) throw e;
    failed = true;
    console.log(e.message);
  }
}
console.log(`${failed ? "FAILED" : "ok"}: ${total} operations on ${chosen.length} controller(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s, seed ${seed}`);
process.exit(failed ? 1 : 0);
