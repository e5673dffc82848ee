#!/usr/bin/env node
// Screenshots an irqlab HTML report (sweep.html or report.html) with headless Chromium
// (Debian's `chromium` package: apt-get install chromium), so a person can look at it:
//   node scripts/screenshot-report.mjs REPORT.html [OUT.png]
// With no report given, runs the 5 rates x 3 vCPU counts x every controller demo sweep
// (bench/workloads/sweep-demo.json) into a temporary directory first and screenshots that.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
let [report, out] = process.argv.slice(2);
if (!report) {
  const dir = mkdtempSync(join(tmpdir(), "irqlab-sweep-"));
  const grid = join(root, "bench", "workloads", "sweep-demo.json");
  const r = spawnSync(process.execPath, [join(root, "packages/cli/dist/bin.js"), "sweep", grid, "-o", join(dir, "cells.jsonl"), "--report", dir], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  report = join(dir, "sweep.html");
}
report = resolve(report);
out = resolve(out ?? report.replace(/\.html$/, "") + ".png");
const browser = ["chromium", "chromium-browser", "google-chrome"].find((b) => spawnSync("sh", ["-c", `command -v ${b}`]).status === 0);
if (!browser) {
  console.error("no chromium found (Debian: apt-get install chromium)");
  process.exit(1);
}
const r = spawnSync(
  browser,
  ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", `--screenshot=${out}`, "--window-size=1300,2200", pathToFileURL(report).href],
  { encoding: "utf8" },
);
if (r.status !== 0 || !existsSync(out) || statSync(out).size === 0) {
  console.error(`chromium failed (${r.status}): ${r.stderr}`);
  process.exit(1);
}
console.log(`${out} (${statSync(out).size} bytes) from ${report}`);
