// Every code block of README.md and of packages/*/README.md runs here (see readme-blocks.ts
// for what "runs" means per language). A README example that stops working fails the tests.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateVmDescription } from "../inspect.js";
import { workspaceRoot } from "../plugins.js";
import { validateWorkload } from "../workload/validate.js";
import { extractBlocks, readmeFiles, rewriteTs, shellSteps, splitComment, type CodeBlock } from "./readme-blocks.js";

const root = workspaceRoot()!;
const shared = resolve(root, "..", "shared");
const cliBin = join(root, "packages", "cli", "bin", "irqlab.js");
const rootScripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

// Generated blocks live inside the repository (so that their imports resolve like the
// README's reader's do) in a git-ignored folder, removed afterwards.
const out = join(root, ".irqlab-out");
const gen = join(out, `readme-blocks-${process.pid}`);
mkdirSync(gen, { recursive: true });
// Shell examples run in a scratch folder holding the files they name.
const cwd = mkdtempSync(join(tmpdir(), "irqlab-readme-"));
afterAll(() => {
  rmSync(gen, { recursive: true, force: true });
  if (readdirSync(out).length === 0) rmdirSync(out);
  rmSync(cwd, { recursive: true, force: true });
});

(globalThis as Record<string, unknown>).__expect = (actual: unknown, expected: unknown, partial: boolean, where: string) => {
  if (partial) expect(actual, where).toMatchObject(expected as object);
  else expect(actual, where).toEqual(expected);
};

const all: CodeBlock[] = readmeFiles(root).flatMap((f) => extractBlocks(root, f));
const title = (b: CodeBlock) => `${b.file}:${b.line} (${b.lang || "text"})`;
const slug = (b: CodeBlock) => `${b.file.replace(/[^\w]+/g, "-")}-${b.line}`;

/** Files the shell examples name, taken from the README's own JSON examples. */
function jsonExamples(): unknown[] {
  return all.filter((b) => b.lang === "json").flatMap((b) => {
    try {
      return [JSON.parse(b.code)];
    } catch {
      return [];
    }
  });
}
const examples = jsonExamples();
const workloadExample = examples.find((j) => typeof j === "object" && j !== null && "devices" in j);
const vmExample = examples.find((j) => typeof j === "object" && j !== null && "sources" in j);
const gridExample = examples.find((j) => typeof j === "object" && j !== null && "axes" in j);
/** A fresh folder per shell block, holding the files the examples name. */
function shellDir(b: CodeBlock): string {
  const d = join(cwd, slug(b));
  mkdirSync(d);
  writeFileSync(join(d, "my-workload.json"), JSON.stringify(workloadExample));
  writeFileSync(join(d, "vm.json"), JSON.stringify(vmExample));
  if (gridExample) writeFileSync(join(d, "grid.json"), JSON.stringify(gridExample));
  return d;
}

describe("README code blocks are found", () => {
  it("the root README and every package README are read; each has its blocks", () => {
    const files = new Set(all.map((b) => b.file));
    expect(files).toContain("README.md");
    expect(files).toContain("packages/cli/README.md");
    expect(files).toContain("packages/testkit/README.md");
    const langs = new Set(all.map((b) => b.lang));
    for (const l of langs) expect(["ts", "typescript", "js", "sh", "bash", "json", "", "text"], `unknown block language ${l}`).toContain(l);
  });

  it("the root README's library example states its results (and they are asserted)", () => {
    const lib = all.find((b) => b.file === "README.md" && b.lang === "ts")!;
    const r = rewriteTs(lib);
    expect(r.assertions).toBeGreaterThanOrEqual(4);
    expect(r.code).toMatch(/__expect\(v0\.ext\.asserted, true, false/);
  });

  it("comments are split outside string literals; prose comments assert nothing", () => {
    expect(splitComment('f("a // b"); // 3')).toEqual(['f("a // b");', "3"]);
    const b: CodeBlock = { file: "x", line: 1, lang: "ts", code: "f(); // -> status (sum rule)\nconst a = 1; // 1\ng(); // { k: 1, ... } (reused)" };
    const r = rewriteTs(b);
    expect(r.assertions).toBe(1);
    expect(r.code).toContain('__expect(g(), { k: 1 }, true, "x:4");');
  });
});

for (const b of all) {
  if (b.lang === "ts" || b.lang === "typescript" || b.lang === "js") {
    const r = rewriteTs(b);
    const file = join(gen, `${slug(b)}.${b.lang === "js" ? "mjs" : "ts"}`);
    writeFileSync(file, `declare const __expect: (a: unknown, e: unknown, partial: boolean, where: string) => void;\n${r.code}\n`);
    // Blocks that declare tests (the testkit's) register them while this file is collected.
    if (/\b(describeControllerConformance|describe|it)\(/.test(b.code)) {
      // A block that fails to load becomes a failing test (collection itself must not fail,
      // or the clean-up below would not run).
      let failure: unknown = null;
      try {
        await import(file);
      } catch (e) {
        failure = e;
      }
      it(`${title(b)} loads and registers its tests`, () => {
        if (failure) throw failure;
      });
    } else {
      it(`${title(b)} runs${r.assertions ? ` and gives the ${r.assertions} result(s) its comments state` : ""}`, async () => {
        await import(file);
      });
    }
  } else if (b.lang === "sh" || b.lang === "bash") {
    const steps = shellSteps(b.code);
    it(`${title(b)}: ${steps.filter((s) => s.kind === "irqlab").length} irqlab command(s) exit 0`, () => {
      expect(steps.length).toBeGreaterThan(0);
      const dir = shellDir(b);
      for (const s of steps) {
        if (s.kind === "checked") {
          if (s.pnpmScript) expect(Object.keys(rootScripts), `${s.text}: no such pnpm script`).toContain(s.pnpmScript);
          continue;
        }
        // Paths to the shared workplace folder are relative to the repository root.
        // "~/x" stays inside the scratch folder (HOME is pointed there).
        // Paths into the checkout (packages/..., recipes/...) are relative to the repository root.
        const args = s.args.map((a) =>
          a.replace(/^\.\.\/shared(?=\/|$)/, shared).replace(/^~(?=\/)/, dir).replace(/^(packages|recipes)\//, `${root}/$1/`),
        );
        const r = spawnSync(process.execPath, [cliBin, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, COLUMNS: "100", HOME: dir } });
        expect(r.status, `${s.text}\n${r.stderr}`).toBe(0);
        expect(r.stdout.length + r.stderr.length, s.text).toBeGreaterThan(0);
      }
    });
  } else if (b.lang === "json") {
    it(`${title(b)} is valid JSON${"devices" in (safeJson(b.code) ?? {}) ? " and a valid workload" : ""}`, () => {
      const j = safeJson(b.code) ?? JSON.parse(`{${b.code}}`);
      if (typeof j === "object" && j !== null && ("devices" in j || "ipis" in j)) expect(() => validateWorkload(j, "example")).not.toThrow();
      if (typeof j === "object" && j !== null && "sources" in j) expect(() => validateVmDescription(j)).not.toThrow();
    });
  }
}

function safeJson(text: string): Record<string, unknown> | null {
  try {
    const j = JSON.parse(text) as unknown;
    return typeof j === "object" && j !== null ? (j as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
