import { describe, expect, it } from "vitest";
import { runCompare } from "../compare.js";
import { loadPluginSet } from "../plugins.js";

const plugins = await loadPluginSet();

describe("trapped system registers and port I/O are exits with their own cost", () => {
  it("[sysreg-exits] a trapped CPU interface counts its system-register accesses as exits and pays --cost-sysreg; the direct one pays neither", () => {
    const r = runCompare(plugins, { workload: "msi-many-queue", duration: "2ms", controllers: ["gicv3", "gicv3-trapped"], deterministic: true });
    const [direct, trapped] = r.controllers;
    expect(direct.perInterrupt.sysreg).toBe(0);
    expect(trapped.perInterrupt.sysreg).toBeGreaterThan(1);
    expect(trapped.exits.sysregTraps).toBe(trapped.exits.exits - trapped.exits.mmioReads - trapped.exits.mmioWrites - trapped.exits.pioReads - trapped.exits.pioWrites - trapped.exits.hcalls - trapped.exits.rtasCalls - trapped.exits.intercepts);
    expect(direct.exits.directAccesses).toBeGreaterThan(0);
    expect(trapped.latencyNs.p50!).toBeGreaterThan(direct.latencyNs.p50!);
    // The cost of one trap is an option: cheaper traps, lower latency (timing changes how
    // events coalesce, so the counts may move too).
    const cheap = runCompare(plugins, { workload: "msi-many-queue", duration: "2ms", controllers: ["gicv3-trapped"], cost: { sysregNs: 10 }, deterministic: true }).controllers[0];
    expect(cheap.exits.sysregTraps).toBeGreaterThan(0);
    expect(cheap.latencyNs.p50!).toBeLessThan(trapped.latencyNs.p50!);
  });

  it("[pio-exits] port I/O is counted and charged apart from MMIO (--cost-pio)", () => {
    const r = runCompare(plugins, { workload: "default", duration: "2ms", controllers: ["x86"], deterministic: true }).controllers[0];
    expect(r.exits.exits).toBe(r.exits.hcalls + r.exits.rtasCalls + r.exits.intercepts + r.exits.mmioReads + r.exits.mmioWrites + r.exits.pioReads + r.exits.pioWrites + r.exits.sysregTraps);
    expect(r.perInterrupt.pio).toBe(r.handled ? (r.exits.pioReads + r.exits.pioWrites) / r.handled : null);
  });
});
