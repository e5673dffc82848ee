import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno } from "@irqlab/core";
import { expectErrno, fixture, program, type Fixture } from "./__tests__/helpers.js";
import { cpuReg, srcIdr, srcIlr, srcIvpr } from "./constants.js";
import { restoreMpicState, saveMpicState, validateMpicSnapshot, type MpicSnapshot } from "./snapshot.js";

const BASE = 0xe0040000;

/** Everything but history counters: registers, queues and their caches, A bits, lines. */
function behaviourState(f: Fixture): string {
  const p = f.dev.pic;
  return JSON.stringify({
    g: [p.gcr, p.frr, p.spve, p.tfrr, p.nbCpus],
    src: [p.ivpr, p.idr, p.destmask, p.output, p.pending, p.level, p.nomask].map((a) => Array.from(a)),
    dst: [p.ctpr, p.outputsActive].map((a) => Array.from(a)),
    q: [p.raised, p.servicing].map((q) => [q.words, q.next, q.priority].map((a) => Array.from(a))),
    t: [p.tccr, p.tbcr, p.msir].map((a) => Array.from(a)),
    lines: f.vm.vcpus.map((v) => [v.ext.asserted, v.crit.asserted]),
    base: f.dev.baseAddress.toString(),
  });
}

/** A VM configured the way the guest driver leaves it (no reset after connect), then busy. */
function source(type: 1 | 2): Fixture {
  const f = fixture({ type, vcpus: 3, connect: [0, 1, 2], base: BASE });
  f.set(0x10e0, 0x7ff);
  f.set(0x1020, type === 2 ? 0x60000000 : 0x20000000);
  f.set(0x10f0, 0x017d7840);
  f.set(0x1110, 1234); // GTBCR0
  f.set(0x1130, 2); // GTDR0
  f.set(0x1120, 0x80090090); // GTVPR0
  for (let c = 0; c < 3; c++) f.set(cpuReg(c, 0x80), c === 2 ? 7 : 0);
  program(f, 3, 0x00050043, 1); // edge, raised on CPU 0
  program(f, 4, 0x00460044, 2); // level external, CPU 1
  program(f, 20, 0x00030033, 3); // internal level, CPUs 0+1
  program(f, 21, 0x00040034, 4); // internal level below CTPR 7 on CPU 2
  program(f, 22, 0x80040035, 1); // masked, pending level
  program(f, 225, 0x000600e1, 2); // MSI bank 1 on CPU 1
  program(f, 7, 0x00080047, 1); // serviced then EOI'd
  if (type === 2) {
    f.set(srcIlr(30), 1);
    program(f, 30, 0x00460036, 1); // critical level (ILR 1)
  } else {
    program(f, 30, 0x00460036, 0x40000000); // critical via IDR CI0
  }
  f.set(0x10a0, 0x000a07fb);
  f.active(7, 1);
  expect(f.iack(0)).toBe(0x47);
  f.eoi(0);
  f.active(3, 1);
  f.active(4, 1);
  f.active(20, 1);
  f.active(21, 1);
  f.active(22, 1);
  f.active(30, 1);
  f.dev.chip.deliverMsi({ addressLo: 0, addressHi: 0, data: (1 << 29) | (9 << 24), flags: 0, devid: 0 }, 1, 0);
  f.dev.chip.deliverMsi({ addressLo: 0, addressHi: 0, data: (6 << 29) | (0 << 24), flags: 0, devid: 0 }, 1, 0);
  return f;
}

function target(type: 1 | 2): Fixture {
  return fixture({ type, vcpus: 3, connect: [0, 1, 2] });
}

describe("save/restore through GRP_REGISTER and GRP_IRQ_ACTIVE", () => {
  for (const type of [1, 2] as const) {
    it(`v${type === 1 ? "2.0" : "4.2"}: a restored MPIC has the same state and continues identically (property)`, () => {
      const a = source(type);
      const before = behaviourState(a);
      const snap = JSON.parse(JSON.stringify(saveMpicState(a.h))) as MpicSnapshot;
      expect(behaviourState(a)).toBe(before); // saving (MSIR read + rewrite) left it as it was
      const b = target(type);
      restoreMpicState(b.h, snap);
      expect(behaviourState(b)).toBe(before);
      // the second snapshot of the restored VM equals the first
      expect(saveMpicState(b.h)).toEqual(snap);

      type Op = [number, number, number, number];
      const op = fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 31 }), fc.nat({ max: 0xffffffff }));
      fc.assert(
        fc.property(fc.array(op, { maxLength: 40 }), (ops: Op[]) => {
          const x = source(type);
          const y = target(type);
          restoreMpicState(y.h, saveMpicState(x.h));
          const srcs = [3, 4, 20, 21, 22, 225, 7, 30];
          for (const [kind, cpu, n, v] of ops) {
            const s = srcs[n % srcs.length];
            const run = (f: Fixture): unknown => {
              switch (kind) {
                case 0:
                  return f.iack(cpu);
                case 1:
                  return f.eoi(cpu);
                case 2:
                  return f.set(cpuReg(cpu, 0x80), v & 15);
                case 3:
                  return f.dev.chip.setIrq(s, v & 1, 0);
                case 4:
                  return f.set(srcIvpr(s), (v & 0x800f0000) | s);
                case 5:
                  return f.set(srcIdr(s), v & 7);
                case 6:
                  return f.set(cpuReg(cpu, 0x40), v & 7);
                case 7:
                  return f.get(0x1600 + 0x10 * (n & 7));
                default:
                  return f.dev.chip.deliverMsi({ addressLo: 0, addressHi: 0, data: v & 0xff000000, flags: 0, devid: 0 }, 1, 0);
              }
            };
            expect(run(y)).toEqual(run(x));
            expect(y.vm.vcpus.map((c) => c.ext.asserted)).toEqual(x.vm.vcpus.map((c) => c.ext.asserted));
          }
          expect(behaviourState(y)).toBe(behaviourState(x));
        }),
        { numRuns: 60 },
      );
    });
  }

  it("save refuses with EBUSY while an interrupt is in service (KVM's interface cannot carry it)", () => {
    const a = source(2);
    expect(a.iack(0)).toBe(0x43);
    expectErrno(() => saveMpicState(a.h), Errno.EBUSY);
    expect(saveMpicState(a.h, { allowInService: true }).format).toBe("irqlab.mpic/1");
    a.eoi(0);
    expect(() => saveMpicState(a.h)).not.toThrow();
  });

  it("restore checks model and CPU count first and writes nothing on a mismatch", () => {
    const snap = saveMpicState(source(2).h);
    const wrongModel = target(1);
    const st = behaviourState(wrongModel);
    expectErrno(() => restoreMpicState(wrongModel.h, snap), Errno.EINVAL);
    expect(behaviourState(wrongModel)).toBe(st);
    const fewer = fixture({ type: 2, vcpus: 2, connect: [0, 1] });
    const st2 = behaviourState(fewer);
    expectErrno(() => restoreMpicState(fewer.h, snap), Errno.EINVAL);
    expect(behaviourState(fewer)).toBe(st2);
  });

  it("malformed snapshots are refused with EINVAL naming the field", () => {
    const snap = saveMpicState(source(1).h);
    validateMpicSnapshot(snap);
    const bad: Array<[string, unknown]> = [
      ["format", { ...snap, format: "x" }],
      ["ivpr", { ...snap, ivpr: snap.ivpr.slice(1) }],
      ["ctpr", { ...snap, ctpr: [...snap.ctpr.slice(1), -1] }],
      ["baseAddr", { ...snap, baseAddr: "12" }],
      ["timers", { ...snap, timers: [] }],
      ["irqActive", { ...snap, irqActive: snap.irqActive.map(() => 1.5) }],
    ];
    for (const [field, s] of bad) expect(() => validateMpicSnapshot(s as MpicSnapshot)).toThrow(new RegExp(field));
    expectErrno(() => restoreMpicState(target(1).h, { ...snap, msir: [] }), Errno.EINVAL);
  });

  it("documented gap: a line held up by a stale raised entry (multicast edge taken by another CPU) is restored low", () => {
    const a = fixture({ type: 2, vcpus: 2, connect: [0, 1] });
    for (const c of [0, 1]) a.set(cpuReg(c, 0x80), 0);
    program(a, 3, 0x00050043, 3); // edge, CPUs 0 and 1
    a.active(3, 1);
    expect(a.iack(0)).toBe(0x43);
    a.eoi(0);
    // CPU 1 still has the entry in its raised queue and its line up; its IACK would be spurious
    expect(a.vm.vcpus[1].ext.asserted).toBe(true);
    const b = fixture({ type: 2, vcpus: 2, connect: [0, 1] });
    restoreMpicState(b.h, saveMpicState(a.h));
    expect(b.vm.vcpus[1].ext.asserted).toBe(false);
    expect([a.iack(1), b.iack(1)]).toEqual([0xffff, 0xffff]); // only the spurious entry is lost
  });

  it("a level external source on a critical output keeps its input across restore", () => {
    const a = fixture({ type: 2, vcpus: 1, connect: [0] });
    a.set(srcIlr(2), 1);
    program(a, 2, 0x00460042, 1);
    a.active(2, 1);
    const b = fixture({ type: 2, vcpus: 1, connect: [0] });
    restoreMpicState(b.h, saveMpicState(a.h));
    expect(b.active(2)).toBe(1);
    expect(behaviourState(b)).toBe(behaviourState(a));
  });
});
