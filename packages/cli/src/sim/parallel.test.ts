import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCompare, runCompareAsync } from "../compare.js";
import { loadPluginSet } from "../plugins.js";

const plugins = await loadPluginSet({});

describe("compare on worker threads", () => {
  it("[determinism] --jobs 2 gives results identical to a serial run, in the same order", async () => {
    for (const workload of ["default", "ipi-storm"]) {
      const opts = { workload, duration: "5ms", deterministic: true } as const;
      const serial = runCompare(plugins, opts);
      const parallel = await runCompareAsync(plugins, { ...opts, load: {}, jobs: 2 });
      expect(parallel.controllers.length).toBeGreaterThan(1);
      expect(JSON.stringify(parallel)).toBe(JSON.stringify(serial));
    }
  });

  it("a run estimated past --max-seconds is refused before it starts, with the estimate", () => {
    expect(() => runCompare(plugins, { workload: "default", maxSeconds: 0.001 })).toThrow(/estimated at about \d+ s wall .* over the budget of 0.001 s/);
  });
});

describe("a worker thread that dies", () => {
  it("[issue-16.9] is one failed controller with the reason; the other controllers are reported", async () => {
    const plugin = fileURLToPath(new URL("../test-support/crash-plugin.mjs", import.meta.url));
    const load = { extra: [plugin] };
    const set = await loadPluginSet(load);
    const r = await runCompareAsync(set, { workload: "ipi-storm", duration: "1ms", controllers: ["xics", "crash", "mpic-4.2"], load, jobs: 2, deterministic: true });
    expect(r.controllers.map((c) => [c.id, c.status])).toEqual([
      ["xics", "ok"],
      ["crash", "failed"],
      ["mpic-4.2", "ok"],
    ]);
    expect(r.controllers[1].error).toMatch(/the worker thread exited during the run/);
    const serial = runCompare(set, { workload: "ipi-storm", duration: "1ms", controllers: ["xics", "mpic-4.2"], deterministic: true });
    expect(JSON.stringify([r.controllers[0], r.controllers[2]])).toBe(JSON.stringify(serial.controllers));
  });
});
