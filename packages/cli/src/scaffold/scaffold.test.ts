// `irqlab new-controller` end to end, as a newcomer follows docs/writing-a-controller.md:
// scaffold a toy 8-pin controller outside the repository, build it, run the testkit on it,
// and see it in `irqlab compare`; and inside a (temporary) workspace, where it is discovered
// with no other edit.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCompare } from "../compare.js";
import { loadPluginSet, workspaceRoot } from "../plugins.js";
import { main, type Io } from "../program.js";
import { extractBlocks, rewriteTs, splitComment } from "../docs/readme-blocks.js";
import { controllerNames } from "./names.js";
import { renderTemplate, scaffoldController } from "./scaffold.js";

const repo = workspaceRoot()!;
const cliBin = join(repo, "packages", "cli", "dist", "bin.js");
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
};

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t) };
  return { code: await main(argv, io), out, err };
}

/** A child process without the parent vitest's environment (a nested vitest must start clean). */
function sh(cmd: string, args: string[], cwd: string) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST") && k !== "NODE_OPTIONS" && k !== "TEST"));
  return spawnSync(cmd, args, { cwd, env, encoding: "utf8" });
}
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

describe("irqlab new-controller: a toy 8-pin controller outside the repository", () => {
  const home = tmp("irqlab-newcomer-");
  const dir = join(home, "toy8");

  it("scaffolds the package: module, device, IrqChip, guest driver, conformance test, README", async () => {
    const r = await run("new-controller", "toy8", "--dir", dir);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    for (const f of ["package.json", "tsconfig.json", "README.md", "src/index.ts", "src/module.ts", "src/device.ts", "src/irqchip.ts", "src/guest-driver.ts", "src/controller.ts", "src/constants.ts", "src/conformance.test.ts"]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(pkg.irqlabPlugin).toEqual({ exports: ["default"] });
    expect(pkg.dependencies["@irqlab/core"]).toBe(`link:${join(repo, "packages", "core")}`);
    expect(r.out).toContain("standalone package");
    expect(r.out).toMatch(/next:\n {2}cd .*toy8\n {2}npm run build\n {2}npm test\n/);
  });

  it("builds with its own `npm run build` (tsc -b)", () => {
    const r = sh(join(dir, "node_modules", ".bin", "tsc"), ["-b"], dir);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(existsSync(join(dir, "dist", "index.js"))).toBe(true);
  });

  it("passes @irqlab/testkit's conformance suite and its own tests (`npm test`)", () => {
    const r = sh(join(dir, "node_modules", ".bin", "vitest"), ["run", "--reporter=verbose"], dir);
    const out = plain(r.stdout + r.stderr);
    expect(out, out).toMatch(/Tests\s+\d+ passed \(\d+\)/);
    expect(out).toContain("toy8: plugin conformance");
    expect(out).not.toMatch(/failed/);
    expect(r.status).toBe(0);
  });

  it("its README's example runs and gives the results its comments state", () => {
    const blocks = extractBlocks(dir, join(dir, "README.md")).filter((b) => b.lang === "ts");
    expect(blocks).toHaveLength(1);
    const r = rewriteTs(blocks[0]);
    expect(r.assertions).toBe(2);
    // Plain JavaScript (no type annotations): run it with node inside the package, where
    // "@irqlab/toy8" resolves to the package itself.
    const file = join(dir, "readme-example.mjs");
    writeFileSync(file, `import { deepStrictEqual } from "node:assert";\nconst __expect = (a, e, _p, where) => deepStrictEqual(a, e, where);\n${r.code}\n`);
    const run = sh(process.execPath, [file], dir);
    rmSync(file);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("appears in `irqlab compare --plugin toy8` (a path without ./), loses nothing, and is listed", () => {
    const r = sh(process.execPath, [cliBin, "compare", "--plugin", "toy8", "-c", "toy8,mpic-4.2", "--json", "--deterministic", "--duration", "5ms"], home);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    const toy = report.controllers.find((c: { id: string }) => c.id === "toy8");
    expect(toy.status).toBe("ok");
    expect(toy.counts.raised).toBeGreaterThan(0);
    expect(toy.counts.lost).toBe(0);
    // Two trapped MMIO accesses per interrupt (ACK read, EOI write), plus the IPI sends.
    expect(toy.perInterrupt.mmio).toBeGreaterThanOrEqual(2);
    const list = sh(process.execPath, [cliBin, "compare", "--list-controllers", "--plugin", "./toy8"], home);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^toy8 +toy8 +ppc-booke +\.\/toy8$/m);
  });

  it("refuses to overwrite a non-empty directory, an existing controller id, or a claimed device type", async () => {
    expect((await run("new-controller", "toy8", "--dir", dir)).err).toMatch(/already exists and is not an empty directory/);
    const xics = await run("new-controller", "xics", "--dir", join(home, "x"));
    expect(xics.code).toBe(2);
    expect(xics.err).toMatch(/a controller with id "xics" is already registered/);
    const taken = await run("new-controller", "pic2", "--dir", join(home, "p"), "--device-type", "2");
    expect(taken.code).toBe(2);
    expect(taken.err).toMatch(/device type 2 is already claimed on ppc-booke/);
    const bad = await run("new-controller", "Toy_8", "--dir", join(home, "t"));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/controller name "Toy_8" must be lower case/);
    expect(existsSync(join(home, "x")) || existsSync(join(home, "p")) || existsSync(join(home, "t"))).toBe(false);
  });
});

describe("irqlab new-controller inside a workspace: discovered with no other edit", () => {
  // A temporary irqlab workspace: the real core/routing/testkit packages (already built),
  // the shared compiler settings, and nothing that names the new package.
  const ws = tmp("irqlab-ws-");
  writeFileSync(join(ws, "pnpm-workspace.yaml"), "packages:\n  - packages/*\n");
  copyFileSync(join(repo, "tsconfig.base.json"), join(ws, "tsconfig.base.json"));
  mkdirSync(join(ws, "packages"));
  for (const p of ["core", "routing", "testkit"]) symlinkSync(join(repo, "packages", p), join(ws, "packages", p), "dir");
  mkdirSync(join(ws, "node_modules"));
  symlinkSync(join(repo, "node_modules", "@types"), join(ws, "node_modules", "@types"), "dir");
  for (const m of [".bin", "typescript"]) symlinkSync(join(repo, "node_modules", m), join(ws, "node_modules", m), "dir");
  mkdirSync(join(ws, "scripts"));
  copyFileSync(join(repo, "scripts", "build.mjs"), join(ws, "scripts", "build.mjs"));

  it("writes packages/NAME with workspace:* dependencies, builds, and every command finds it", async () => {
    const r = scaffoldController({ name: "my-pic", cwd: ws, arch: "ppc64", deviceType: 12 });
    expect(r.mode).toBe("workspace");
    expect(r.dir).toBe(join(ws, "packages", "my-pic"));
    const pkg = JSON.parse(readFileSync(join(r.dir, "package.json"), "utf8"));
    expect(pkg.name).toBe("@irqlab/my-pic");
    expect(pkg.dependencies["@irqlab/core"]).toBe("workspace:*");
    // Names follow NAME: class prefix, constants, ids.
    const src = readFileSync(join(r.dir, "src", "module.ts"), "utf8");
    expect(src).toContain("export const myPicModule");
    expect(src).toContain('name: "kvm-my-pic"');
    expect(readFileSync(join(r.dir, "src", "constants.ts"), "utf8")).toContain("export const KVM_DEV_TYPE_MY_PIC = 12;");

    // `pnpm build` (scripts/build.mjs) finds packages/*/tsconfig.json: no root reference to add.
    expect(sh(process.execPath, ["scripts/build.mjs", "--list"], ws).stdout).toBe("packages/core\npackages/my-pic\npackages/routing\npackages/testkit\n");
    const build = sh(process.execPath, ["scripts/build.mjs"], ws);
    expect(build.stdout + build.stderr).toBe("");
    expect(build.status).toBe(0);

    const set = await loadPluginSet({ workspace: ws });
    expect(set.errors).toEqual([]);
    expect(set.plugins.map((p) => p.specifier)).toEqual(["@irqlab/my-pic"]);
    const report = runCompare(set, { controllers: ["my-pic"], duration: "2ms", deterministic: true });
    expect(report.controllers[0].arch).toBe("ppc64");
    expect(report.controllers[0].counts.lost).toBe(0);
  });
});

describe("docs/writing-a-controller.md shows the scaffold's real code", () => {
  const guide = readFileSync(join(repo, "docs", "writing-a-controller.md"), "utf8");
  const excerpts = [...guide.matchAll(/```ts\n\/\/ (src\/[\w.-]+\.ts)[^\n]*\n([\s\S]*?)```/g)].map((m) => ({ file: m[1], code: m[2] }));
  const codeOf = (line: string) => splitComment(line)[0].trim();

  it("every excerpt of toy8 in the guide is code of the scaffolded file (so the guide cannot drift)", () => {
    expect(excerpts.map((e) => e.file)).toEqual(["src/module.ts", "src/device.ts", "src/irqchip.ts", "src/guest-driver.ts", "src/conformance.test.ts"]);
    const n = controllerNames("toy8");
    for (const e of excerpts) {
      const tpl = readFileSync(join(repo, "packages", "cli", "scaffold", `${e.file}.tpl`), "utf8");
      const rendered = renderTemplate(tpl, n, { ARCH: "ppc-booke", DEVICE_TYPE: "14", PACKAGE: "@irqlab/toy8" });
      const real = new Set(rendered.split("\n").map(codeOf));
      for (const line of e.code.split("\n")) {
        const c = codeOf(line);
        if (c === "" || c.includes("...")) continue;
        expect(real.has(c), `${e.file}: "${c}" is not in the scaffold`).toBe(true);
      }
    }
  });
});

describe("templates", () => {
  it("names are applied everywhere: camelCase values, PascalCase classes, UPPER constants, the id in strings", () => {
    const n = controllerNames("my-pic");
    expect(n).toEqual({ id: "my-pic", pascal: "MyPic", upper: "MY_PIC", camel: "myPic" });
    expect(renderTemplate('toy8Module Toy8Device KVM_DEV_TYPE_TOY8 "toy8.ack" __ARCH__', n, { ARCH: "ppc64" })).toBe(
      'myPicModule MyPicDevice KVM_DEV_TYPE_MY_PIC "my-pic.ack" ppc64',
    );
  });
});
