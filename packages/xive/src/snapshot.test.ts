import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { createVm, errnoOf, Errno } from "@irqlab/core";
import { decodeXiveEq } from "./codecs.js";
import { KVM_DEV_TYPE_XIVE, KVM_REG_PPC_VP_STATE, XIVE_PAGE_SIZE } from "./constants.js";
import { createXiveModule } from "./module.js";
import { checkXiveSnapshot, restoreXive, resumeXive, saveXive } from "./snapshot.js";
import { createSource, eqConfig, eqGet, mgmt, qaddrOf, rig, sourceConfig, trig, OS, type Rig } from "./test-support.js";

type Op =
  | { k: "trigger"; src: number }
  | { k: "line"; src: number; level: number }
  | { k: "eoi"; src: number }
  | { k: "pq00"; src: number }
  | { k: "ack"; vcpu: number }
  | { k: "cppr"; vcpu: number; v: number }
  | { k: "pending"; vcpu: number; v: number };

const NSRC = 6;
const QUEUES: [number, number][] = [[0, 3], [0, 6], [1, 3], [1, 6]];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant("trigger" as const), src: fc.nat({ max: NSRC - 1 }) }),
  fc.record({ k: fc.constant("line" as const), src: fc.nat({ max: NSRC - 1 }), level: fc.constantFrom(0, 1) }),
  fc.record({ k: fc.constant("eoi" as const), src: fc.nat({ max: NSRC - 1 }) }),
  fc.record({ k: fc.constant("pq00" as const), src: fc.nat({ max: NSRC - 1 }) }),
  fc.record({ k: fc.constant("ack" as const), vcpu: fc.nat({ max: 1 }) }),
  fc.record({ k: fc.constant("cppr" as const), vcpu: fc.nat({ max: 1 }), v: fc.constantFrom(0, 3, 5, 7, 0xff) }),
  fc.record({ k: fc.constant("pending" as const), vcpu: fc.nat({ max: 1 }), v: fc.nat({ max: 8 }) }),
);

function setup(): Rig {
  const r = rig(2);
  for (const [s, p] of QUEUES) eqConfig(r, s, p);
  for (let i = 0; i < NSRC; i++) {
    createSource(r, 0x100 + i, i % 3 === 2);
    if (i !== 5) sourceConfig(r, 0x100 + i, i % 2, i < 3 ? 3 : 6, 0x40 + i);
    r.esb.read(mgmt(0x100 + i, 0xc00), 8);
  }
  return r;
}

function apply(r: Rig, op: Op): void {
  const v = op.k === "ack" || op.k === "cppr" || op.k === "pending" ? r.vm.vcpus[op.vcpu] : null;
  switch (op.k) {
    case "trigger":
      return r.esb.write(trig(0x100 + op.src), 8, 0);
    case "line":
      r.vm.irqchips.list()[0].setIrq(0x100 + op.src, op.level, 0);
      return;
    case "eoi":
      r.esb.read(mgmt(0x100 + op.src, 0), 8);
      return;
    case "pq00":
      r.esb.read(mgmt(0x100 + op.src, 0xc00), 8);
      return;
    case "ack":
      r.tima.read(OS + 0x810, 2, v);
      return;
    case "cppr":
      return r.tima.write(OS + 0x11, 1, op.v, v);
    case "pending":
      return r.tima.write(OS + 0x812, 1, op.v, v);
  }
}

function observe(r: Rig) {
  return {
    lines: r.vm.vcpus.map((v) => v.ext.asserted),
    vp: r.vm.vcpus.map((v) => v.getOneRegU64(KVM_REG_PPC_VP_STATE)),
    pq: Array.from({ length: NSRC }, (_, i) => r.esb.read(mgmt(0x100 + i, 0x800), 8)),
    eqs: QUEUES.map(([s, p]) => decodeXiveEq(eqGet(r, s, p).buf)),
    mem: QUEUES.map(([s, p]) => Buffer.from(r.vm.memory.readBytes(qaddrOf(s, p), 256)).toString("hex")),
  };
}

describe("save/restore (migration order of xive.rst / QEMU)", () => {
  it("restoring into a fresh VM and continuing delivers exactly what the original delivers", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.array(opArb, { maxLength: 40 }), (prefix, suffix) => {
        const a = setup();
        for (const op of prefix) apply(a, op);
        const snap = JSON.parse(JSON.stringify(saveXive(a.vm, a.h)));
        const vmB = createVm({ arch: "ppc64", vcpus: 2, modules: [createXiveModule()] });
        for (const [s, p] of QUEUES) vmB.memory.writeBytes(qaddrOf(s, p), a.vm.memory.readBytes(qaddrOf(s, p), 0x10000));
        const hB = vmB.createDevice(KVM_DEV_TYPE_XIVE);
        restoreXive(vmB, hB, snap);
        const b: Rig = { vm: vmB, h: hB, dev: hB.backend(), tima: hB.mmap(0, 4 * XIVE_PAGE_SIZE), esb: hB.mmap(4 * XIVE_PAGE_SIZE, 0) };
        resumeXive(a.h, snap);
        resumeXive(b.h, snap);
        expect(observe(b)).toEqual(observe(a));
        for (const op of suffix) {
          apply(a, op);
          apply(b, op);
        }
        expect(observe(b)).toEqual(observe(a));
      }),
      { numRuns: 40 },
    );
  });

  it("an event queued while the VM was stopped (saved 00, live 11) is re-triggered on resume", () => {
    const a = setup();
    const snap = saveXive(a.vm, a.h);
    // While stopped, the device fires twice: 10 -> 11.
    a.esb.write(trig(0x100), 8, 0);
    expect(a.esb.read(mgmt(0x100, 0x800), 8)).toBe(0b11);
    resumeXive(a.h, snap);
    expect(a.esb.read(mgmt(0x100, 0x800), 8)).toBe(0b10);
    expect(a.vm.memory.read(qaddrOf(0, 3), 4, "be")).toBe(0x80000040);
  });

  it("a snapshot with another nrIrqs or format is refused with EINVAL before anything changes", () => {
    const a = setup();
    const snap = saveXive(a.vm, a.h);
    const vm = createVm({ arch: "ppc64", vcpus: 2, modules: [createXiveModule()] });
    const h = vm.createDevice(KVM_DEV_TYPE_XIVE);
    expect(errnoOf(() => restoreXive(vm, h, { ...snap, nrIrqs: 5 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => checkXiveSnapshot({ ...snap, version: 9 }))).toBe(Errno.EINVAL);
    expect(vm.vcpus[0].irqchipKind).toBe(null);
  });
});
