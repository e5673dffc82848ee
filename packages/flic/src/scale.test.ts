// Issue 13 (compare at scale) / issue 16 #11: a floating-interrupt change re-evaluates only the
// vCPUs whose lines it can change, and the guest driver's adapter scan skips zero summary and
// indicator words; both with the observable behaviour of the full walks they replace.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createVm, type AdapterRoute, type RouteSpec } from "@irqlab/core";
import flicModule from "./index.js";
import { CR14_CHANNEL_REPORT_SUBMASK, iscToIntWord, iscToIscBits, KVM_S390_INT_IO } from "./constants.js";
import { FlicGuestDriver, flicGuestDriverContribution, SOURCES_PER_ADAPTER } from "./guest-driver.js";
import type { S390Interrupts } from "./s390-interrupts.js";

function setup(vcpus: number) {
  const vm = createVm({ arch: "s390x", vcpus, modules: [flicModule] });
  const driver = flicGuestDriverContribution.attach(vm) as FlicGuestDriver;
  const chip = vm.irqchips.byIndex(0)!;
  const fire = (r: RouteSpec) => chip.deliverAdapter!((r as { adapter: AdapterRoute }).adapter, 1);
  const state: S390Interrupts = driver.flic.state;
  return { vm, driver, fire, state };
}

const lines = (s: S390Interrupts): string => s.vm.vcpus.map((v) => `${v.ext.asserted ? 1 : 0}${v.mcheck.asserted ? 1 : 0}`).join(" ");

/** The refreshAll this replaces: every vCPU, in order (the reference). */
function fullRefreshAll(this: S390Interrupts): void {
  const refresh = (this as unknown as { refresh(s: unknown): void }).refresh;
  for (const s of this.vcpuStates) refresh.call(this, s);
}

describe("issue 13: FLIC floating changes cost the vCPUs whose lines change", () => {
  it("issue-13: a floating change that changes no line visits no vCPU, with 4 or 64 vCPUs", () => {
    for (const n of [4, 64]) {
      const { state } = setup(n);
      expect(state.injectIo(KVM_S390_INT_IO(1, 0, 0, 0), 0, 0, iscToIntWord(3))).toBe(0);
      // Every line went up: those vCPUs are the work.
      expect(state.refreshVisits).toBe(n);
      expect(lines(state)).toBe(Array(n).fill("10").join(" "));
      const v0 = state.refreshVisits;
      // Lines already up: a second class, a second ISC-3 entry, an ISC the vCPUs do not enable.
      expect(state.injectVirtio(1, 0, 0, 0)).toBe(0);
      expect(state.injectIo(KVM_S390_INT_IO(1, 0, 0, 0), 0, 0, iscToIntWord(5))).toBe(0);
      expect(state.injectService(8)).toBe(0);
      expect(state.refreshVisits - v0).toBe(0);
      expect(lines(state)).toBe(Array(n).fill("10").join(" "));
    }
  });

  it("issue-13: only the group of vCPUs that enable the changed class is visited", () => {
    const { state } = setup(64);
    // Odd vCPUs disable ISC 3 (CR6 for ISC 5 only).
    for (let i = 1; i < 64; i += 2) state.setVcpuControl(i, { cr6: BigInt(iscToIscBits(5)) });
    state.refreshVisits = 0;
    expect(state.injectIo(KVM_S390_INT_IO(1, 0, 0, 0), 0, 0, iscToIntWord(3))).toBe(0);
    expect(state.refreshVisits).toBe(32);
    expect(lines(state)).toBe(Array.from({ length: 64 }, (_, i) => (i % 2 ? "00" : "10")).join(" "));
    expect(state.deliver(0)?.isc).toBe(3);
    expect(state.refreshVisits).toBe(64);
    expect(lines(state)).toBe(Array(64).fill("00").join(" "));
  });

  it("issue-13: under random injections, deliveries and settings the lines and deliveries equal the full walk's", () => {
    type Op =
      | { k: "io"; isc: number }
      | { k: "virtio" }
      | { k: "service"; p: number }
      | { k: "mchk"; cr14: number }
      | { k: "deliver"; v: number }
      | { k: "control"; v: number; cr6: number; io: boolean; ext: boolean; mchk: boolean; cr14: number }
      | { k: "emergency"; to: number; from: number }
      | { k: "clear" };
    const v = fc.nat({ max: 5 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ k: fc.constant("io" as const), isc: fc.nat({ max: 7 }) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant("virtio" as const) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant("service" as const), p: fc.constantFrom(1, 8, 0x100) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant("mchk" as const), cr14: fc.constantFrom(0, CR14_CHANNEL_REPORT_SUBMASK) }) },
      { weight: 6, arbitrary: fc.record({ k: fc.constant("deliver" as const), v }) },
      {
        weight: 2,
        arbitrary: fc.record({
          k: fc.constant("control" as const),
          v,
          cr6: fc.constantFrom(0, 0xff000000, iscToIscBits(3), iscToIscBits(5)),
          io: fc.boolean(),
          ext: fc.boolean(),
          mchk: fc.boolean(),
          cr14: fc.constantFrom(0, CR14_CHANNEL_REPORT_SUBMASK),
        }),
      },
      { weight: 1, arbitrary: fc.record({ k: fc.constant("emergency" as const), to: v, from: v }) },
      { weight: 1, arbitrary: fc.constant({ k: "clear" as const }) },
    );
    const apply = (s: S390Interrupts, o: Op): unknown => {
      switch (o.k) {
        case "io":
          return s.injectIo(KVM_S390_INT_IO(1, 0, 0, 0), 0, 0, iscToIntWord(o.isc));
        case "virtio":
          return s.injectVirtio(1, 0, 0, 0);
        case "service":
          return s.injectService(o.p);
        case "mchk":
          return s.injectMchk(BigInt(o.cr14), 1n);
        case "deliver":
          return s.deliver(o.v)?.toJSON() ?? null;
        case "control":
          s.setVcpuControl(o.v, { cr6: BigInt(o.cr6), ioEnabled: o.io, extEnabled: o.ext, mcheckEnabled: o.mchk, cr14: BigInt(o.cr14) });
          return 0;
        case "emergency":
          return s.injectEmergency(o.to, o.from);
        case "clear":
          s.clearFloating();
          return 0;
      }
    };
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 80 }), (ops) => {
        const a = setup(6).state;
        const ref = setup(6).state;
        ref.refreshAll = fullRefreshAll;
        const raises = (s: S390Interrupts) => s.vm.vcpus.map((x) => `${x.ext.raises}/${x.mcheck.raises}`).join(" ");
        for (const o of ops) {
          expect(JSON.stringify(apply(a, o), (_k, x) => (typeof x === "bigint" ? String(x) : x))).toBe(
            JSON.stringify(apply(ref, o), (_k, x) => (typeof x === "bigint" ? String(x) : x)),
          );
          expect(lines(a)).toBe(lines(ref));
          expect(raises(a)).toBe(raises(ref));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("issue 13: the FLIC guest driver's scan reads words, not every byte of every adapter", () => {
  it("issue-13: one interrupt on a 4064-source adapter reads 1 summary byte and 127 indicator words (not 508 bytes)", () => {
    const { vm, driver, fire } = setup(2);
    let route: RouteSpec | null = null;
    for (let i = 0; i < 4064; i++) {
      const r = driver.configureSource({ index: i, trigger: "edge", vcpu: 0 });
      if (i === 2000) route = r;
    }
    fire(route!);
    const got: number[] = [];
    expect(driver.service(vm.vcpus[0], (s) => got.push(s))).toBe(1);
    expect(got).toEqual([2000]);
    expect(driver.scanReads).toBe(1 + 4064 / 32);
  });

  it("issue-13: with 64 adapters an interrupt on the last reads 8 summary bytes and its own indicators only", () => {
    const { vm, driver, fire } = setup(2);
    const r = driver.configureSource({ index: 63 * SOURCES_PER_ADAPTER + 5, trigger: "edge", vcpu: 0 });
    driver.configureSource({ index: 10 * SOURCES_PER_ADAPTER + 4000, trigger: "edge", vcpu: 0 });
    fire(r);
    const got: number[] = [];
    expect(driver.service(vm.vcpus[0], (s) => got.push(s))).toBe(1);
    expect(got).toEqual([63 * SOURCES_PER_ADAPTER + 5]);
    expect(driver.scanReads).toBe(8 + 1);
  });

  it("issue-13: the scan handles every fired source once, in ascending source order (adapter, byte, MSB-first bit)", () => {
    const idx = fc.oneof(fc.nat({ max: 200 }), fc.integer({ min: SOURCES_PER_ADAPTER - 64, max: 3 * SOURCES_PER_ADAPTER + 40 }));
    fc.assert(
      fc.property(fc.uniqueArray(idx, { minLength: 1, maxLength: 40 }), (sources) => {
        const { vm, driver, fire } = setup(1);
        const routes = sources.map((i) => driver.configureSource({ index: i, trigger: "edge", vcpu: 0 }));
        for (const r of routes) fire(r);
        const got: number[] = [];
        // One I/O interruption per adapter whose summary bit went up; the first scan takes all.
        for (let k = 0; k < 70; k++) driver.service(vm.vcpus[0], (s) => got.push(s));
        expect(got).toEqual([...sources].sort((x, y) => x - y));
      }),
      { numRuns: 100 },
    );
  });
});
