import { describe, expect, it } from "vitest";
import { Teardown } from "./index.js";

describe("Teardown", () => {
  it("undoes registrations most recent first, once", () => {
    const t = new Teardown();
    const seen: number[] = [];
    t.add(() => seen.push(1));
    t.add(() => seen.push(2));
    t.run();
    t.run();
    expect(seen).toEqual([2, 1]);
  });

  it("guard undoes what a failing setup registered and rethrows", () => {
    const t = new Teardown();
    const seen: string[] = [];
    expect(() =>
      t.guard(() => {
        t.add(() => seen.push("hcalls"));
        t.add(() => seen.push("rtas"));
        throw new Error("irqchip index taken");
      }),
    ).toThrow("irqchip index taken");
    expect(seen).toEqual(["rtas", "hcalls"]);
    t.run();
    expect(seen).toEqual(["rtas", "hcalls"]);
  });
});
