// Regression tests for issue 16 in the XIVE package: restore is parse whole, then apply
// (core snapshot.ts), and guest calls take bigint registers (core's hcall dispatch).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createVm, errnoOf, Errno, KvmError, type Vm, type DeviceHandle } from "@irqlab/core";
import { H_CPPR, H_EOI, H_IPI, H_XIRR } from "@irqlab/xics";
import { H_INT_GET_QUEUE_INFO, H_INT_GET_SOURCE_CONFIG, H_INT_SET_QUEUE_CONFIG, H_INT_SET_SOURCE_CONFIG, KVM_DEV_TYPE_XIVE, XIVE_PAGE_SIZE } from "./constants.js";
import { createXiveModule } from "./module.js";
import { restoreXive, resumeXive, saveXive, type XiveSnapshot } from "./snapshot.js";
import { createSource, eqConfig, mgmt, rig, sourceConfig, trig } from "./test-support.js";
import { xrig, ready } from "./xics-on-xive/xox-rig.js";

function saved(): { snap: XiveSnapshot } {
  const r = rig(2);
  eqConfig(r, 0, 3);
  eqConfig(r, 1, 6);
  createSource(r, 0x100, false);
  sourceConfig(r, 0x100, 0, 3, 0x40);
  createSource(r, 0x101, true);
  sourceConfig(r, 0x101, 1, 6, 0x41);
  r.esb.read(mgmt(0x100, 0xc00), 8);
  r.esb.read(mgmt(0x101, 0xc00), 8);
  r.esb.write(trig(0x100), 8, 0);
  const snap = JSON.parse(JSON.stringify(saveXive(r.vm, r.h))) as XiveSnapshot;
  return { snap };
}

function fresh(): { vm: Vm; h: DeviceHandle } {
  const vm = createVm({ arch: "ppc64", vcpus: 2, modules: [createXiveModule()] });
  return { vm, h: vm.createDevice(KVM_DEV_TYPE_XIVE) };
}

const look = (vm: Vm, h: DeviceHandle) =>
  JSON.stringify([(h.backend() as { dumpState(): string }).dumpState(), vm.vcpus.map((v) => [v.irqchipKind, v.irqchipCpu, v.ext.asserted])]);

describe("issue 16 #1: native XIVE restore applies a corrupted snapshot partway", () => {
  const corruptions: Array<[string, (s: XiveSnapshot) => unknown]> = [
    ["a source priority of 7", (s) => ({ ...s, sources: s.sources.map((x, i) => (i === 1 ? { ...x, priority: 7 } : x)) })],
    ["server: NaN", (s) => ({ ...s, sources: s.sources.map((x) => ({ ...x, server: Number.NaN })) })],
    ["an EQ field of the wrong type", (s) => ({ ...s, vcpus: s.vcpus.map((c) => ({ ...c, queues: c.queues.map((q) => ({ ...q, eq: 12 })) })) })],
    ['vcpus: "x"', (s) => ({ ...s, vcpus: "x" })],
    ["a source aimed at a server no vCPU has", (s) => ({ ...s, sources: s.sources.map((x) => ({ ...x, server: 7 })) })],
    ["a sparse sources array", (s) => ({ ...s, sources: [s.sources[0], , s.sources[1]] })],
    ["a null-prototype snapshot with a getter that throws", (s) => Object.defineProperty(Object.assign(Object.create(null), s), "sources", { get: () => { throw new Error("boom"); } })],
    ["nrServers 8 with a vCPU server beyond it", (s) => ({ ...s, nrServers: 1, vcpus: s.vcpus })],
  ];
  for (const [what, corrupt] of corruptions) {
    it(`issue-16 #1: ${what} is refused with a KvmError, device and VM exactly as before, and a correct restore is accepted after`, () => {
      const { snap } = saved();
      const { vm, h } = fresh();
      const before = look(vm, h);
      let err: unknown = null;
      try {
        restoreXive(vm, h, corrupt(snap) as XiveSnapshot);
      } catch (e) {
        err = e;
      }
      expect(KvmError.is(err), String(err)).toBe(true);
      expect(look(vm, h)).toBe(before);
      expect(vm.vcpus.every((v) => v.irqchipKind === null)).toBe(true);
      restoreXive(vm, h, snap);
      resumeXive(h, snap);
      expect(vm.vcpus.every((v) => v.irqchipKind === "xive")).toBe(true);
    });
  }

  it("issue-16 #1: a second restore into a device that already holds state is EBUSY before anything changes", () => {
    const { snap } = saved();
    const { vm, h } = fresh();
    restoreXive(vm, h, snap);
    const before = look(vm, h);
    expect(errnoOf(() => restoreXive(vm, h, snap))).toBe(Errno.EBUSY);
    expect(look(vm, h)).toBe(before);
  });

  it("issue-16 #1: the resume path never faults, even for a snapshot naming sources the device lacks", () => {
    const { snap } = saved();
    const { vm, h } = fresh();
    restoreXive(vm, h, snap);
    const other = { ...snap, sources: [...snap.sources, { ...snap.sources[0], lisn: 0x9999 }] };
    expect(() => resumeXive(h, other)).not.toThrow();
    const esb = h.mmap(4 * XIVE_PAGE_SIZE, 0);
    expect(() => esb.read(mgmt(0x100, 0x800), 8)).not.toThrow();
  });

  it("issue-16 #1 property: a random mutation of any field is refused with no change, or accepted with save(restore(s)) = s", () => {
    const { snap } = saved();
    const paths: Array<Array<string | number>> = [];
    const walk = (x: unknown, p: Array<string | number>) => {
      if (x !== null && typeof x === "object") for (const [k, v] of Object.entries(x)) walk(v, [...p, Array.isArray(x) ? Number(k) : k]);
      else paths.push(p);
    };
    walk(snap, []);
    fc.assert(
      fc.property(fc.nat({ max: paths.length - 1 }), fc.oneof(fc.integer({ min: -2, max: 300 }), fc.constantFrom(Number.NaN, 2 ** 53 + 1, -1, 0.5, "x", null, true)), (pi, v) => {
        const m = JSON.parse(JSON.stringify(snap));
        const p = paths[pi];
        let o = m;
        for (const k of p.slice(0, -1)) o = o[k];
        o[p[p.length - 1]] = v;
        const { vm, h } = fresh();
        const before = look(vm, h);
        try {
          restoreXive(vm, h, m);
        } catch (e) {
          expect(KvmError.is(e)).toBe(true);
          expect(look(vm, h)).toBe(before);
          restoreXive(vm, h, snap);
          return;
        }
        resumeXive(h, m);
        const back = saveXive(vm, h);
        resumeXive(h, back);
        expect(JSON.parse(JSON.stringify(back))).toEqual(m);
        for (const v2 of vm.vcpus) v2.hcall(H_INT_GET_QUEUE_INFO, 0, v2.irqchipCpu, 3);
      }),
      { numRuns: 150 },
    );
  });
});

describe("issue 16 #4: guest calls with bigint registers never throw", () => {
  it("issue-16 #4: XIVE H_INT_* with bigint flags and registers answer a status", () => {
    const r = rig(2);
    const v = r.vm.vcpus[0];
    for (const op of [H_INT_SET_QUEUE_CONFIG, H_INT_SET_SOURCE_CONFIG, H_INT_GET_SOURCE_CONFIG, H_INT_GET_QUEUE_INFO]) {
      for (const flags of [0n, 1n << 63n, 2n ** 64n - 1n, -1n]) {
        expect(typeof v.hcall(op, flags, 0n, 3n, 0x1000n)).toBe("number");
      }
    }
  });

  it("issue-16 #4: XICS-on-XIVE int-on with bigint arguments and rtas with null args answer a status", () => {
    const r = xrig();
    ready(r, 16, 0, 5);
    const v = r.vm.vcpus[0];
    expect(v.rtas("ibm,int-on", [16n], 1)).toEqual([0]);
    expect(v.rtas("ibm,get-xive", null, 3)).toEqual([-3, 0, 0]);
    expect(v.rtas("ibm,set-xive", [16n, 0n, 5n], 1)).toEqual([0]);
    for (const op of [H_CPPR, H_IPI, H_EOI, H_XIRR]) expect(typeof v.hcall(op, 0xffn, 5n)).toBe("number");
  });
});
