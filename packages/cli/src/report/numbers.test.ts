// packages/cli/README.md "Reading the numbers" explains controller-specific figures; these
// tests pin the relations it states, so the explanation cannot silently go stale.
import { beforeAll, describe, expect, it } from "vitest";
import { runCompare } from "../compare.js";
import { loadPluginSet, type PluginSet } from "../plugins.js";

let set: PluginSet;
beforeAll(async () => {
  set = await loadPluginSet();
});
const byId = (r: ReturnType<typeof runCompare>) => Object.fromEntries(r.controllers.map((c) => [c.id, c]));

describe("[readme-numbers] spurious entries and redundant deliveries", () => {
  it("native XIVE: Q re-triggers at EOI give one redundant delivery and (at most) one spurious entry each; no exit", () => {
    const r = byId(runCompare(set, { controllers: ["xive", "xics", "mpic-4.2"], duration: "30ms", deterministic: true }));
    const x = r.xive;
    expect(x.spuriousEntries).toBeGreaterThan(0);
    expect(x.spuriousEntries).toBeLessThanOrEqual(x.counts.redundant);
    expect(x.counts.redundant).toBeLessThanOrEqual(x.counts.coalesced);
    expect(x.perInterrupt.direct).toBeGreaterThan(0);
    expect(x.perInterrupt.mmio).toBe(0);
    // Legacy XICS and MPIC take no spurious entries on the same events.
    expect(r.xics.spuriousEntries).toBe(0);
    expect(r["mpic-4.2"].spuriousEntries).toBe(0);
  });

  it("XICS on XIVE on an IPI storm: coalesced IPIs re-trigger the vCPU's IPI source; H_XIRR then finds MFRR 0xFF (spurious)", () => {
    const r = byId(runCompare(set, { workload: "ipi-storm", controllers: ["xics-on-xive", "xics", "xive"], duration: "5ms", deterministic: true }));
    const xox = r["xics-on-xive"];
    expect(xox.spuriousEntries).toBeGreaterThan(0);
    expect(xox.spuriousEntries).toBeLessThanOrEqual(xox.byClass.ipi!.counts.coalesced);
    expect(xox.counts.redundant).toBe(0);
    expect(r.xics.spuriousEntries).toBe(0);
    expect(r.xive.spuriousEntries).toBeGreaterThan(0);
    // Each of those spurious entries is an H_XIRR with nothing to deliver: no handler call.
    expect(xox.handled).toBe(xox.counts.delivered + xox.counts.redundant);
  });
});
