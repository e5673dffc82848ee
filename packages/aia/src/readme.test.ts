import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import * as core from "@irqlab/core";
import * as routing from "@irqlab/routing";
import * as aia from "./index.js";

/** Runs the README's TypeScript block: imports become bindings, `expr; // value` is asserted. */
describe("README code blocks", () => {
  it("the usage example runs and its commented results hold", () => {
    const md = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = /```ts\n([\s\S]*?)```/.exec(md)![1];
    const mods: Record<string, Record<string, unknown>> = { "@irqlab/core": core, "@irqlab/routing": routing, "@irqlab/aia": aia };
    const checks: Array<[unknown, unknown]> = [];
    const body = block
      .split("\n")
      .map((line) => {
        const imp = /^import (.*) from "(.*)";$/.exec(line);
        if (imp) {
          const m = `__mods[${JSON.stringify(imp[2])}]`;
          const [, def, named] = /^(?:(\w+)\s*,?\s*)?(?:\{(.*)\})?$/.exec(imp[1].trim())!;
          return [def ? `const ${def} = ${m}.default;` : "", named ? `const {${named.replace(/ as /g, ": ")}} = ${m};` : ""].join(" ");
        }
        const res = /^(.*\S);\s*\/\/ (true|false|-?\d+)$/.exec(line);
        return res ? `__check(${res[1]}, ${res[2]});` : line;
      })
      .join("\n");
    new Function("__mods", "__check", body)(mods, (a: unknown, b: unknown) => checks.push([a, b]));
    expect(checks.length).toBe(3);
    for (const [got, want] of checks) expect(got).toBe(want);
  });
});
