// Every code block of the README runs (house rule): the `ts` blocks are plain JS with an
// import line from "@irqlab/core", evaluated against this package's exports.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as core from "./index.js";

const text = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

describe("core README code blocks", () => {
  it("there is at least one", () => expect(blocks.length).toBeGreaterThan(0));
  blocks.forEach((b, i) => {
    it(`block ${i + 1} runs`, () => {
      const body = b.replace(/^import \{([^}]*)\} from "@irqlab\/core";$/m, (_m, names: string) => `const {${names}} = core;`);
      expect(body).not.toMatch(/^import /m);
      new Function("core", body)(core);
    });
  });
});
