import { describe, expect, it } from "vitest";
import { runCompare } from "../compare.js";
import { runInspect } from "../inspect.js";
import { main, type Io } from "../program.js";
import { pluginSetFrom } from "../plugins.js";
import { fakeControllerModule } from "../test-support/fake-controller.js";
import { fakeRoutingLib } from "../test-support/fake-routing.js";

const set = pluginSetFrom(
  [
    { specifier: "good", module: fakeControllerModule({ id: "good", type: 10 }) },
    { specifier: "bad", module: fakeControllerModule({ id: "bad", type: 11, throwInService: 3 }) },
    { specifier: "good2", module: fakeControllerModule({ id: "good2", type: 12 }) },
  ],
  fakeRoutingLib,
);

describe("a plugin that throws during the run", () => {
  it("[issue-16.9] a throw inside service() is one failed column with its reason; the other controllers are reported", () => {
    const r = runCompare(set, { workload: "default", duration: "2ms", deterministic: true });
    expect(r.controllers.map((c) => [c.id, c.status])).toEqual([
      ["good", "ok"],
      ["bad", "failed"],
      ["good2", "ok"],
    ]);
    const bad = r.controllers[1];
    expect(bad.error).toMatch(/service\(\) on vCPU \d threw at simulated \d+ ns: fake plugin bug in service\(\)/);
    expect(r.controllers[0].handled).toBeGreaterThan(0);
    expect(r.controllers[2].handled).toBe(r.controllers[0].handled);
  });

  it("[issue-16.9] inspect --run: the failing controller carries the reason, the others their state", () => {
    const r = runInspect(set, { workload: "default", run: true });
    const bad = r.controllers.find((c) => c.id === "bad")!;
    expect(bad.error).toMatch(/fake plugin bug in service\(\)/);
    for (const c of r.controllers.filter((x) => x.id !== "bad")) {
      expect(c.error).toBeUndefined();
      expect(c.state).toBeTruthy();
    }
  });

  it("[issue-16.11] a run past its wall-clock deadline stops and says so (each controller's column says so)", () => {
    const r = runCompare(set, { workload: "default", deadlineEpochMs: 0, deterministic: true });
    for (const c of r.controllers.filter((x) => x.id !== "bad")) {
      expect(c.status).toBe("failed");
      expect(c.error).toMatch(/stopped by the run-time budget/);
    }
  });
});

describe("the run-time budget on the command line", () => {
  const run = async (argv: string[]): Promise<{ code: number; err: string }> => {
    let err = "";
    const io: Io = { out: () => {}, err: (t) => void (err += t) };
    return { code: await main(argv, io), err };
  };

  it("[issue-16.11] a workload estimated past --max-seconds is refused before it runs, saying how to proceed", async () => {
    const r = await run(["compare", "--max-seconds", "0.001", "-c", "xics"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/estimated at about \d+ s wall .*over the budget of 0\.001 s: raise --max-seconds/);
  });

  it("bad --jobs and --max-seconds values are usage errors", async () => {
    expect((await run(["compare", "--jobs", "0"])).err).toMatch(/--jobs must be an integer from 1 to 256/);
    expect((await run(["compare", "--jobs", "many"])).code).toBe(2);
    expect((await run(["compare", "--max-seconds", "-3"])).err).toMatch(/--max-seconds must be a positive number/);
  });
});
