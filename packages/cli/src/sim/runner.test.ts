import { describe, expect, it } from "vitest";
import { runCompare } from "../compare.js";
import { pluginSetFrom } from "../plugins.js";
import { fakeControllerModule, type FakeOptions } from "../test-support/fake-controller.js";
import { fakeRoutingLib } from "../test-support/fake-routing.js";
import { validateWorkload } from "../workload/validate.js";
import type { CostModel } from "./cost-model.js";

/** Round numbers so hand computation is easy: entry 100, MMIO 10, hcall 20, handler 1000. */
const COST: Partial<CostModel> = { entryNs: 100, mmioNs: 10, hcallNs: 20, rtasNs: 40, directNs: 1, handlerNs: 1000 };

function fakes(...opts: FakeOptions[]) {
  return pluginSetFrom(
    opts.map((o, i) => ({ specifier: `fake${i}`, module: fakeControllerModule({ type: 10 + i, ...o }) })),
    fakeRoutingLib,
  );
}

function run(workload: unknown, opts: FakeOptions = {}) {
  const report = runCompare(fakes(opts), { workload: validateWorkload(workload), cost: COST, deterministic: true });
  return report.controllers[0];
}

describe("runner metrics on hand-computed workloads", () => {
  it("isolated periodic MSIs: each costs entry + ACK before the handler, 3 MMIO exits per interrupt", () => {
    // Arrivals every 100 us for 1 ms: t = 100us .. 900us (9 events, the 1 ms one is past the end).
    const r = run({ name: "t", vcpus: 1, duration: "1ms", devices: [{ name: "d", kind: "msi", rate: 10000, arrival: "periodic" }] });
    expect(r.status).toBe("ok");
    expect(r.counts).toEqual({ raised: 9, delivered: 9, coalesced: 0, redundant: 0, lost: 0, pending: 0, unaccounted: 0 });
    expect(r.latencyNs.p50).toBe(110);
    expect(r.latencyNs.p99).toBe(110);
    expect(r.latencyNs.max).toBe(110);
    // ACK (the interrupt), EOI, ACK (nothing more): 3 MMIO accesses, no hcall.
    expect(r.exits).toMatchObject({ mmioReads: 18, mmioWrites: 9, hcalls: 0, exits: 27 });
    expect(r.perInterrupt).toEqual({ exits: 3, hcalls: 0, mmio: 3, rtas: 0, intercepts: 0, pio: 0, sysreg: 0, direct: 0 });
    expect(r.handled).toBe(9);
    expect(r.quiescent).toBe(true);
    expect(r.features).toEqual({ msi: "ok", intx: "none", ipi: "none" });
  });

  it("a burst of 3 edges before the ACK coalesces into one delivery", () => {
    const r = run({ name: "t", vcpus: 1, duration: "1ms", devices: [{ name: "d", kind: "msi", rate: 10000, arrival: "periodic", burst: 3 }] });
    expect(r.counts).toMatchObject({ raised: 27, delivered: 9, coalesced: 18, lost: 0, unaccounted: 0 });
    expect(r.latencyNs.p50).toBe(110);
  });

  it("a level INTx line with resamplefd: one delivery per event, re-armed by the resample", () => {
    const r = run({ name: "t", vcpus: 1, duration: "1ms", devices: [{ name: "d", kind: "intx", rate: 10000, arrival: "periodic" }] });
    expect(r.counts).toMatchObject({ raised: 9, delivered: 9, coalesced: 0, redundant: 0, lost: 0, unaccounted: 0 });
    expect(r.latencyNs.p99).toBe(110);
    expect(r.byClass.intx?.counts.delivered).toBe(9);
    expect(r.byClass.msi).toBeNull();
  });

  it("events arriving while the vCPU is busy wait for the end of the service call", () => {
    // Two MSI sources on one vCPU, both every 100 us, the second offset by phase: same period,
    // so both arrive at the same instants; the second is found by the same service call
    // (ACK loop), after the first handler: latency 100 + ACK + handler + EOI + ACK = 1130.
    const r = run({
      name: "t",
      vcpus: 1,
      duration: "1ms",
      devices: [
        { name: "a", kind: "msi", rate: 10000, arrival: "periodic" },
        { name: "b", kind: "msi", rate: 10000, arrival: "periodic" },
      ],
    });
    expect(r.counts).toMatchObject({ raised: 18, delivered: 18, lost: 0 });
    expect(r.latencyNs.p50).toBe(110);
    expect(r.latencyNs.max).toBe(100 + 10 + 1000 + 10 + 10);
    // One service call per instant: ACK, EOI, ACK, EOI, ACK = 5 accesses for 2 interrupts.
    expect(r.exits.exits).toBe(9 * 5);
  });

  it("IPIs: one hcall to send, delivered to the target with entry + ACK latency", () => {
    const r = run({ name: "t", vcpus: 2, duration: "1ms", ipis: { rate: 10000, arrival: "periodic", pattern: "ring", from: [0], to: [1] } });
    expect(r.byClass.ipi?.counts).toMatchObject({ raised: 9, delivered: 9, coalesced: 0, lost: 0 });
    expect(r.latencyNs.p50).toBe(110);
    expect(r.exits).toMatchObject({ hcalls: 9, mmioReads: 18, mmioWrites: 9 });
    expect(r.perInterrupt.exits).toBe(4);
  });

  it("a controller that cannot send IPIs reports them as n/a, not a crash", () => {
    const r = run({ name: "t", vcpus: 2, duration: "1ms", ipis: { rate: 10000, pattern: "random" }, devices: [{ name: "d", kind: "msi", rate: 10000 }] }, { ipi: false });
    expect(r.status).toBe("ok");
    expect(r.features.ipi).toMatch(/^n\/a: .*EOPNOTSUPP/);
    expect(r.features.msi).toBe("ok");
    expect(r.byClass.ipi).toBeNull();
    expect(r.counts.lost).toBe(0);
  });

  it("a controller without level sources reports intx as n/a and still runs the MSIs", () => {
    const r = run(
      { name: "t", vcpus: 1, duration: "1ms", devices: [{ name: "m", kind: "msi", rate: 10000, arrival: "periodic" }, { name: "l", kind: "intx", rate: 10000 }] },
      { level: false },
    );
    expect(r.features.intx).toMatch(/^n\/a: configuring a level source failed: EOPNOTSUPP/);
    expect(r.counts).toMatchObject({ raised: 9, delivered: 9, lost: 0 });
  });

  it("[lost-check] a controller that drops edges is caught: the last drop is lost, earlier ones show as late", () => {
    // Edges 3, 6 and 9 are dropped. Edges 4 and 7 then cover the dropped ones (the handler
    // drains the device), 100 us late; nothing ever covers edge 9: lost.
    const r = run({ name: "t", vcpus: 1, duration: "1ms", devices: [{ name: "d", kind: "msi", rate: 10000, arrival: "periodic" }] }, { dropEvery: 3 });
    expect(r.counts).toMatchObject({ raised: 9, delivered: 6, coalesced: 2, lost: 1, pending: 0, unaccounted: 0 });
    expect(r.latencyNs.max).toBe(100_000 + 110);
    expect(r.quiescent).toBe(true);
  });

  it("shared INTx line: one handler call covers every device on the line", () => {
    const r = run({
      name: "t",
      vcpus: 1,
      duration: "1ms",
      devices: [
        { name: "a", kind: "intx", line: "L", rate: 10000, arrival: "periodic" },
        { name: "b", kind: "intx", line: "L", rate: 10000, arrival: "periodic" },
      ],
    });
    // Both devices raise at the same instants; the second finds the line already held.
    expect(r.counts).toMatchObject({ raised: 18, delivered: 18, coalesced: 0, lost: 0 });
    expect(r.handled).toBe(9);
    expect(r.latencyNs.max).toBe(110);
  });

  it("Poisson workloads balance their books (raised = delivered + coalesced + lost + pending)", () => {
    const r = run({
      name: "t",
      vcpus: 2,
      duration: "5ms",
      devices: [
        { name: "m", kind: "msi", vectors: 3, rate: 200000, burst: 2 },
        { name: "a", kind: "intx", line: "L", rate: 300000 },
        { name: "b", kind: "intx", line: "L", rate: 300000 },
      ],
      ipis: { rate: 100000 },
    });
    expect(r.counts.unaccounted).toBe(0);
    expect(r.counts.lost).toBe(0);
    expect(r.counts.coalesced).toBeGreaterThan(0);
    expect(r.quiescent).toBe(true);
  });
});

describe("runner hot path", () => {
  it("[hot-path] the runner's own events never go through the VM clock (no timer object per event)", () => {
    // Before: every arrival, entry and end of service was a SimClock timer (an object and a
    // Map entry each), so a service call saw the next arrival (at least) pending on the clock.
    const seen: number[] = [];
    const r = run(
      { name: "t", vcpus: 2, duration: "1ms", devices: [{ name: "d", kind: "msi", vectors: 2, rate: 20000 }], ipis: { rate: 10000 } },
      { clockTimersSeen: seen },
    );
    expect(r.counts).toMatchObject({ lost: 0, unaccounted: 0 });
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.every((n) => n === 0)).toBe(true);
  });

  it("a controller's own timers on the VM clock still fire in time order with the runner's events", () => {
    // The fake controller makes pin 0 (workload source 0) pending at 250 us by itself: the
    // runner enters the guest at 250 us; the handler finds no event of the device's (its
    // periodic arrivals are at 100, 200, ... us, already handled): one redundant delivery.
    const r = run(
      { name: "t", vcpus: 1, duration: "1ms", devices: [{ name: "d", kind: "msi", rate: 10000, arrival: "periodic" }] },
      { timer: { atNs: 250_000, pin: 0 } },
    );
    expect(r.counts).toMatchObject({ raised: 9, delivered: 9, redundant: 1, lost: 0 });
    expect(r.handled).toBe(10);
    expect(r.latencyNs.max).toBe(110);
  });
});

describe("runner notes", () => {
  it("[lost-where] lost events are reported with the source and vCPU they were aimed at", () => {
    const r = run({ name: "t", vcpus: 1, duration: "1ms", devices: [{ name: "d", kind: "msi", rate: 10000, arrival: "periodic" }] }, { dropEvery: 3 });
    expect(r.counts.lost).toBe(1);
    expect(r.notes).toContain("lost events (raised, never handled, nothing left pending): 1 on d (edge, vCPU 0)");
  });

  it("[partial-support] a class only partly set up says how many sources its events leave out of the totals", () => {
    // Source 1 (device b's line) is refused by the controller: only device a's events run.
    const r = run(
      {
        name: "t",
        vcpus: 1,
        duration: "1ms",
        devices: [
          { name: "a", kind: "intx", rate: 10000, arrival: "periodic" },
          { name: "b", kind: "intx", rate: 10000, arrival: "periodic" },
        ],
      },
      { failSources: [1] },
    );
    expect(r.features.intx).toMatch(/^n\/a: 1 of 2 intx sources could not be set up, so the totals leave their events out \(first failure: configuring a level source failed: EBUSY/);
    expect(r.counts).toMatchObject({ raised: 9, delivered: 9, lost: 0 });
  });
});
