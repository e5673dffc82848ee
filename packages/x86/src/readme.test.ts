import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createVm } from "@irqlab/core";
import { GsiRouting, routingModule } from "@irqlab/routing";
import { KVM_CREATE_IRQCHIP, KVM_GET_IRQCHIP } from "./constants.js";
import { x86Module } from "./module.js";
import { decodeIrqchip, encodeIrqchip } from "./structs.js";

describe("README", () => {
  it("every ts code block runs", () => {
    const text = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
    const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThan(0);
    const scope = { createVm, GsiRouting, routingModule, KVM_CREATE_IRQCHIP, KVM_GET_IRQCHIP, x86Module, decodeIrqchip, encodeIrqchip, expect };
    for (const b of blocks) {
      const fn = new Function(...Object.keys(scope), `${b}\nreturn "ran";`);
      expect(fn(...Object.values(scope))).toBe("ran");
    }
  });
});
