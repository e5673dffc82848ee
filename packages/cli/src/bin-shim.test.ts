// `irqlab` is runnable right after the README's install: pnpm links a bin that exists before
// any build (bin/irqlab.js), the root `prepare` script builds, and the shim says what to do
// when the build is missing.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { workspaceRoot } from "./plugins.js";
import { toolVersion } from "./version.js";

const root = workspaceRoot()!;
const cli = join(root, "packages", "cli");
const json = (p: string) => JSON.parse(readFileSync(p, "utf8"));

describe("[install] the irqlab executable", () => {
  it("the bin pnpm links is a committed shim, not a build output", () => {
    const pkg = json(join(cli, "package.json"));
    expect(pkg.bin).toEqual({ irqlab: "./bin/irqlab.js" });
    const shim = join(cli, "bin", "irqlab.js");
    expect(readFileSync(shim, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(statSync(shim).mode & 0o111).not.toBe(0);
    expect(pkg.files).toContain("bin");
  });

  it("the install builds (root prepare) and `pnpm irqlab` runs the shim", () => {
    const scripts = json(join(root, "package.json")).scripts;
    expect(scripts.prepare).toBe("node scripts/build.mjs");
    expect(scripts.build).toBe("node scripts/build.mjs");
    expect(scripts.irqlab).toBe("node packages/cli/bin/irqlab.js");
    // With pnpm reached only through `corepack pnpm`, there is no `pnpm` on PATH inside a
    // script: no root script may call it.
    for (const [name, cmd] of Object.entries(scripts)) expect(cmd, name).not.toMatch(/(^|[\s;&|])pnpm\b/);
  });

  it("runs the CLI once built", () => {
    const r = spawnSync(process.execPath, [join(cli, "bin", "irqlab.js"), "--version"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(toolVersion());
  });

  it("before the build it says how to build, exit 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "irqlab-shim-"));
    try {
      mkdirSync(join(dir, "packages", "cli", "bin"), { recursive: true });
      copyFileSync(join(cli, "bin", "irqlab.js"), join(dir, "packages", "cli", "bin", "irqlab.js"));
      const r = spawnSync(process.execPath, [join(dir, "packages", "cli", "bin", "irqlab.js"), "--version"], { encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^irqlab: the CLI is not built yet \(.*dist\/bin\.js is missing\): run `pnpm build` in /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("corepack can fetch the pinned pnpm without root: packageManager carries its sha512", () => {
    expect(json(join(root, "package.json")).packageManager).toMatch(/^pnpm@10\.\d+\.\d+\+sha512\.[0-9a-f]{128}$/);
  });
});
