import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  discoverWorkspacePlugins,
  loadPluginSet,
  pluginSetFrom,
  resolvePluginArg,
  selectDrivers,
  workspaceRoot,
} from "./plugins.js";
import { main } from "./program.js";
import { fakeControllerModule } from "./test-support/fake-controller.js";
import { fakeRoutingLib } from "./test-support/fake-routing.js";

const repo = workspaceRoot()!;
const fixture = fileURLToPath(new URL("./test-support/fixture-plugin.mjs", import.meta.url));

/** A scratch folder outside the repository whose modules can import @irqlab/core. */
function scratch(name = "irqlab-plugins-"): string {
  const dir = mkdtempSync(join(tmpdir(), name));
  mkdirSync(join(dir, "node_modules", "@irqlab"), { recursive: true });
  symlinkSync(join(repo, "packages", "core"), join(dir, "node_modules", "@irqlab", "core"), "dir");
  made.push(dir);
  return dir;
}
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A plugin package directory (package.json + dist/index.js) in `dir`. */
function pluginPackage(dir: string, pkg: Record<string, unknown>, code: string | null): string {
  mkdirSync(join(dir, "dist"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", main: "./dist/index.js", ...pkg }));
  if (code !== null) writeFileSync(join(dir, "dist", "index.js"), code);
  return dir;
}

const fixtureCode = (id: string, extra = "") => `
import { ContainerModule, GuestDriverContribution } from "@irqlab/core";
const mk = (id) => new ContainerModule(({ bind }) => {
  bind(GuestDriverContribution).toConstantValue({ id, label: id, arch: "ppc64", deviceType: 14, attach() { throw new Error("only registers"); } });
});
export default mk(${JSON.stringify(id)});
${extra}`;

describe("plugin discovery (package.json \"irqlabPlugin\")", () => {
  it("finds every workspace package that declares irqlabPlugin, one plugin per export; no list in the CLI's package.json", () => {
    const { refs, errors } = discoverWorkspacePlugins(repo);
    expect(errors).toEqual([]);
    const specs = refs.map((r) => r.specifier);
    expect(specs).toEqual(expect.arrayContaining(["@irqlab/xics", "@irqlab/mpic", "@irqlab/flic", "@irqlab/xive", "@irqlab/xive#xicsOnXiveModule"]));
    // Core, routing, testkit and the CLI are not plugins.
    expect(specs.some((s) => /@irqlab\/(core|routing|testkit|cli)\b/.test(s))).toBe(false);
  });

  it("loads the discovered plugins: XICS, XIVE and XICS-on-XIVE among them, nothing failing", async () => {
    const set = await loadPluginSet();
    expect(set.errors).toEqual([]);
    expect(set.drivers.map((d) => d.id)).toEqual(expect.arrayContaining(["xics", "xive", "xics-on-xive", "mpic-4.2", "flic"]));
    // XICS and XICS-on-XIVE both claim KVM_DEV_TYPE_XICS: never in one VM.
    const xics = set.plugins.find((p) => p.specifier === "@irqlab/xics")!;
    const xox = set.plugins.find((p) => p.specifier === "@irqlab/xive#xicsOnXiveModule")!;
    expect(set.modulesFor(xox.contributions[0])).toContain(xox.module);
    expect(set.modulesFor(xox.contributions[0])).not.toContain(xics.module);
    expect(set.notes.join("\n")).toMatch(/xicsOnXiveModule cannot share a VM/);
  });

  it("a declared plugin that is not built is an error naming the cause, never a silent skip", async () => {
    const ws = scratch();
    writeFileSync(join(ws, "pnpm-workspace.yaml"), "packages:\n  - packages/*\n");
    pluginPackage(join(ws, "packages", "good"), { name: "good", irqlabPlugin: { exports: ["default"] } }, fixtureCode("good"));
    pluginPackage(join(ws, "packages", "unbuilt"), { name: "unbuilt", irqlabPlugin: { exports: ["default"] } }, null);
    pluginPackage(join(ws, "packages", "bad-field"), { name: "bad-field", irqlabPlugin: { exports: "default" } }, fixtureCode("bad"));
    pluginPackage(join(ws, "packages", "no-export"), { name: "no-export", irqlabPlugin: { exports: ["default", "other"] } }, fixtureCode("ne"));
    pluginPackage(join(ws, "packages", "not-a-plugin"), { name: "not-a-plugin" }, "export default 1;");
    const set = await loadPluginSet({ workspace: ws });
    expect(set.drivers.map((d) => d.id).sort()).toEqual(["good", "ne"]);
    const errors = set.errors.join("\n");
    expect(errors).toMatch(/plugin unbuilt failed to load: its entry .*dist\/index\.js does not exist \(not built\? run: pnpm build\)/);
    expect(errors).toMatch(/plugin bad-field failed to load: its package.json "irqlabPlugin" must be/);
    expect(errors).toMatch(/plugin no-export#other failed to load: its export "other" is missing/);
    expect(errors).not.toMatch(/not-a-plugin/);

    // The command line: warnings on stderr for every command; --list-controllers fails.
    let out = "";
    let err = "";
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t), workspace: ws };
    expect(await main(["compare", "--list-controllers"], io)).toBe(1);
    expect(out).toMatch(/^good +good +ppc64 +good$/m);
    expect(err).toMatch(/^irqlab: warning: plugin unbuilt failed to load: its entry .*does not exist \(not built\? run: pnpm build\)$/m);
    expect(err).toMatch(/^irqlab: 3 plugin\(s\) failed to load/m);
  });
});

describe("--plugin PATH|PACKAGE", () => {
  it("a path works with or without ./, relative or absolute; a directory uses its irqlabPlugin exports", async () => {
    const dir = scratch();
    pluginPackage(join(dir, "mine"), { name: "mine", irqlabPlugin: { exports: ["default", "second"] } }, fixtureCode("mine", 'export const second = mk("mine-2");'));
    for (const arg of ["mine", "./mine", join(dir, "mine")]) {
      const set = await loadPluginSet({ plugins: [], extra: [arg], cwd: dir });
      expect(set.drivers.map((d) => d.id)).toEqual(["mine", "mine-2"]);
      expect(set.plugins.map((p) => p.specifier)).toEqual([arg, `${arg}#second`]);
    }
    // A file path without "./" (was taken for a package name).
    writeFileSync(join(dir, "mine", "dist", "solo.js"), fixtureCode("solo"));
    const set = await loadPluginSet({ plugins: [], extra: ["mine/dist/solo.js"], cwd: dir });
    expect(set.drivers.map((d) => d.id)).toEqual(["solo"]);
  });

  it("a path containing # works; path#name picks a named export", () => {
    const dir = scratch("irqlab-plugins-#hash-");
    pluginPackage(join(dir, "a#b"), { name: "ab" }, fixtureCode("hash", 'export const alt = mk("hash-alt");'));
    const file = join(dir, "a#b", "dist", "index.js");
    expect(resolvePluginArg(file).map((r) => [r.entry, r.exportName])).toEqual([[file, "default"]]);
    expect(resolvePluginArg(`${file}#alt`).map((r) => [r.entry, r.exportName])).toEqual([[file, "alt"]]);
    expect(resolvePluginArg("a#b#alt", dir).map((r) => [r.specifier, r.exportName])).toEqual([["a#b#alt", "alt"]]);
    // Loaded by the real CLI (vitest's own module loader cannot import a file URL with %23).
    const list = (arg: string) =>
      spawnSync(process.execPath, [join(repo, "packages", "cli", "dist", "bin.js"), "compare", "--list-controllers", "--plugin", arg], { cwd: dir, encoding: "utf8" });
    for (const [arg, id] of [[file, "hash"], [`${file}#alt`, "hash-alt"], ["a#b", "hash"], ["a#b#alt", "hash-alt"]]) {
      const r = list(arg);
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(new RegExp(`^${id} .* ${arg.replace(/[.#/]/g, "\\$&")}$`, "m"));
    }
  });

  it("a package name resolves from the current directory, then from the CLI; pkg#name takes that export", () => {
    expect(resolvePluginArg("@irqlab/xive#xicsOnXiveModule", repo).map((r) => [r.specifier, r.exportName])).toEqual([
      ["@irqlab/xive#xicsOnXiveModule", "xicsOnXiveModule"],
    ]);
    expect(resolvePluginArg("@irqlab/xive", tmpdir()).map((r) => r.exportName)).toEqual(["default", "xicsOnXiveModule"]);
  });

  it("a --plugin that cannot load is fatal, with the cause", async () => {
    const dir = scratch();
    pluginPackage(join(dir, "unbuilt"), { name: "unbuilt" }, null);
    writeFileSync(join(dir, "notmodule.mjs"), "export default 42;\n");
    writeFileSync(join(dir, "throws.mjs"), 'throw new Error("boom at import");\n');
    const load = (arg: string) => loadPluginSet({ plugins: [], extra: [arg], cwd: dir });
    await expect(load("no/such/plugin.js")).rejects.toThrow(/plugin no\/such\/plugin\.js failed to load: no such file or directory: .*no\/such\/plugin\.js/);
    await expect(load("no-such-package")).rejects.toThrow(/no package "no-such-package" in node_modules/);
    await expect(load("unbuilt")).rejects.toThrow(/plugin unbuilt failed to load: its entry .*does not exist \(not built\?/);
    await expect(load("notmodule.mjs")).rejects.toThrow(/its default export is not an inversify ContainerModule/);
    await expect(load("throws.mjs")).rejects.toThrow(/plugin throws\.mjs failed to load: boom at import/);
    await expect(load(`${relative(dir, fixture)}#nope`)).rejects.toThrow(/its export "nope" is missing/);
  });

  it("the same module named twice (workspace and --plugin) loads once", async () => {
    const set = await loadPluginSet({ extra: [join(repo, "packages", "xics")] });
    expect(set.drivers.filter((d) => d.id === "xics")).toHaveLength(1);
    expect(set.errors).toEqual([]);
  });
});

describe("plugin sets", () => {
  it("a guest driver id registered twice is kept once (the first)", () => {
    const set = pluginSetFrom(
      [
        { specifier: "a", module: fakeControllerModule({ id: "same", type: 10 }) },
        { specifier: "b", module: fakeControllerModule({ id: "same", type: 11 }) },
      ],
      fakeRoutingLib,
    );
    expect(set.drivers).toHaveLength(1);
    expect(set.notes.join("\n")).toMatch(/guest driver id "same" already registered/);
  });

  it("selectDrivers keeps the order asked for", () => {
    const set = pluginSetFrom(
      [
        { specifier: "a", module: fakeControllerModule({ id: "a", type: 10 }) },
        { specifier: "b", module: fakeControllerModule({ id: "b", type: 11 }) },
      ],
      fakeRoutingLib,
    );
    expect(selectDrivers(set, ["b", "a"]).map((d) => d.id)).toEqual(["b", "a"]);
    expect(selectDrivers(set, undefined).map((d) => d.id)).toEqual(["a", "b"]);
  });
});
