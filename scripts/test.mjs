#!/usr/bin/env node
// The test command: builds every package (scripts/build.mjs: tsc -b), runs every package's tests with vitest,
// and ends with one line "N passed, N failed, N skipped". Extra arguments go to vitest.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = (cmd, args) => spawnSync(cmd, args, { stdio: "inherit", shell: false });
const bin = (name) => join("node_modules", ".bin", name);

// Every packages/*/tsconfig.json (scripts/build.mjs): a new package needs no root reference.
const build = run(process.execPath, [join("scripts", "build.mjs")]);
if (build.status !== 0) {
  console.log("0 passed, 1 failed, 0 skipped");
  process.exit(1);
}

// Type-check the tests too (vitest strips types without checking them).
const typecheck = run(bin("tsc"), ["-p", "tsconfig.test.json"]);
if (typecheck.status !== 0) {
  console.log("0 passed, 1 failed, 0 skipped");
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "irqlab-test-"));
const out = join(dir, "results.json");
const res = run(bin("vitest"), [
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${out}`,
  ...process.argv.slice(2),
]);
let passed = 0, failed = 0, skipped = 0;
try {
  const r = JSON.parse(readFileSync(out, "utf8"));
  passed = r.numPassedTests;
  failed = r.numFailedTests;
  skipped = r.numPendingTests + (r.numTodoTests ?? 0);
  // A suite that failed to load has no tests; count it as a failure.
  const brokenSuites = (r.testResults ?? []).filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
  failed += brokenSuites;
} catch {
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(res.status === 0 && failed === 0 ? 0 : 1);
