#!/usr/bin/env node
// The build: `tsc -b` over every workspace package that has a tsconfig.json (found, not
// listed: a package added under packages/ builds with no other edit; tsc orders them by
// their project references). Extra arguments go to tsc (e.g. --verbose, --clean).
//
//   node scripts/build.mjs            build everything (what `pnpm build` runs)
//   node scripts/build.mjs --list     print the projects it would build
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Every packages/<name>/tsconfig.json, sorted (tsc -b sorts by references anyway). */
export function projects() {
  const dir = join(root, "packages");
  return readdirSync(dir)
    .sort()
    .map((n) => join(dir, n))
    .filter((d) => existsSync(join(d, "tsconfig.json")) && existsSync(join(d, "package.json")))
    .map((d) => relative(root, d));
}

const args = process.argv.slice(2);
if (args.includes("--list")) {
  for (const p of projects()) console.log(p);
  process.exit(0);
}
const tsc = join(root, "node_modules", ".bin", "tsc");
if (!existsSync(tsc)) {
  console.error("irqlab build: node_modules/.bin/tsc not found: run pnpm install first");
  process.exit(1);
}
const res = spawnSync(tsc, ["-b", ...projects(), ...args], { cwd: root, stdio: "inherit" });
process.exit(res.status ?? 1);
