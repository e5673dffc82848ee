import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "./commands.js";
import { BEGIN, END, readmePath, renderCliReference, updatedReadme } from "./gen-docs.js";

describe("generated CLI reference", () => {
  it("README.md is up to date with the command tables (run `pnpm --filter @irqlab/cli docs` if not)", () => {
    const text = readFileSync(readmePath(), "utf8");
    expect(text).toContain(BEGIN);
    expect(text).toContain(END);
    expect(updatedReadme(text)).toBe(text);
  });

  it("documents every command and option", () => {
    const ref = renderCliReference();
    for (const c of COMMANDS) {
      expect(ref).toContain(`### \`irqlab ${c.name}`);
      for (const o of c.options) expect(ref).toContain(o.flags.replace(/\|/g, "\\|"));
    }
  });
});

describe("README examples", () => {
  const text = readFileSync(readmePath(), "utf8");
  // JSON blocks that are whole documents (the package.json excerpt is not).
  const docs = [...text.matchAll(/```json\n([\s\S]*?)```/g)].flatMap((m) => {
    try {
      return [JSON.parse(m[1]) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

  it("the example workload is valid", async () => {
    const { validateWorkload } = await import("./workload/validate.js");
    const w = docs.find((j) => j.name === "nic");
    expect(w).toBeDefined();
    expect(validateWorkload(w).devices).toHaveLength(2);
  });

  it("the example VM description is valid", async () => {
    const { validateVmDescription } = await import("./inspect.js");
    const d = docs.find((j) => "sources" in j);
    expect(validateVmDescription(d).raise).toEqual([0, 1]);
  });
});
