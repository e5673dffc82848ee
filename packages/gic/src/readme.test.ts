// Every code block of the package README runs here.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as core from "@irqlab/core";
import * as routing from "@irqlab/routing";
import * as gic from "./index.js";

const README = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../README.md"), "utf8");
const MODULES: Record<string, Record<string, unknown>> = { "@irqlab/core": core, "@irqlab/routing": routing, "@irqlab/gic": gic };

/** Turns the block's imports into parameters and runs the rest (the blocks use no TS types). */
function run(code: string): void {
  const names: string[] = [];
  const values: unknown[] = [];
  const body = code.replace(/^import\s+(?:(\w+)\s*,?\s*)?(?:\{([^}]*)\})?\s*from\s*"([^"]+)";\s*$/gm, (_m, def: string | undefined, named: string | undefined, from: string) => {
    const mod = MODULES[from];
    if (!mod) throw new Error(`README imports ${from}`);
    if (def) {
      names.push(def);
      values.push(mod.default);
    }
    for (const n of (named ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
      names.push(n);
      values.push(mod[n]);
    }
    return "";
  });
  new Function(...names, body)(...values);
}

describe("README", () => {
  const blocks = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  it("has code blocks", () => expect(blocks.length).toBeGreaterThan(0));
  blocks.forEach((b, i) => it(`code block ${i + 1} runs`, () => run(b)));
});
