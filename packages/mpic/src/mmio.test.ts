import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createVm } from "@irqlab/core";
import mpicModule from "./module.js";
import { busy, fixture, program, ready, stateOf } from "./__tests__/helpers.js";
import { cpuReg, CPU_IACK, srcIvpr } from "./constants.js";
import { MpicDevice } from "./device.js";
import { setMpicBaseAddr } from "./attributes.js";

const BASE = 0xe0040000;

/** Window offsets no block decodes (mpic.md §3). */
const HOLES: Array<[number, number]> = [
  [0x1310, 0x15ff],
  [0x1800, 0x37ff],
  [0x4000, 0xffff],
  [0x12000, 0x1ffff],
  [0x3f100, 0x3ffff],
];

describe("guest MMIO on the register window", () => {
  it("4-byte accesses reach the registers; the exit is counted", () => {
    const f = ready({ vcpus: 1, base: BASE });
    const s = f.vm.exitStats;
    expect(f.vm.mmio.read(BASE + 0x1000, 4)).toBe(0x00c30002);
    f.vm.mmio.write(BASE + srcIdr3, 4, 1);
    f.vm.mmio.write(BASE + srcIvpr(3), 4, 0x00050042);
    f.active(3, 1);
    expect(f.vm.mmio.read(BASE + cpuReg(0, CPU_IACK), 4)).toBe(0x42);
    expect(s.mmioReads).toBe(2);
    expect(s.mmioWrites).toBe(2);
    expect(s.mmioUnhandled).toBe(0);
  });

  it("1-byte reads return byte (offset & 3) of the decoded word in host byte order; other lanes read 0xFF", () => {
    const le = ready({ vcpus: 1, base: BASE });
    expect(le.vm.mmio.read(BASE + 0x1000, 1)).toBe(0x02);
    expect(le.vm.mmio.read(BASE + 0x1001, 1)).toBe(0xff);
    expect(le.vm.mmio.read(BASE + 0x3801, 1)).toBe(0);
    const vm = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mpicModule], endian: "be" });
    const h = vm.createDevice(2);
    setMpicBaseAddr(h, BASE);
    expect(vm.mmio.read(BASE + 0x0, 1)).toBe(0x00);
    expect(vm.mmio.read(BASE + 0x1000, 1)).toBe(0xff); // FRR with no vCPU: 0xFFFFFF02
    expect(vm.mmio.read(BASE + 0x10e0, 1)).toBe(0x00);
    expect(vm.mmio.read(BASE + 0x10018, 1)).toBe(0x00); // ILR of source 0, v4.2
    expect(vm.exitStats.mmioUnhandled).toBe(0);
  });

  it("a 1-byte read of IACK acknowledges (the decoder runs first)", () => {
    const f = ready({ vcpus: 1, base: BASE });
    program(f, 3, 0x00050042);
    f.active(3, 1);
    expect(f.vm.mmio.read(BASE + cpuReg(0, CPU_IACK), 1)).toBe(0x42);
    expect(f.active(3)).toBe(0);
  });

  it("2- and 8-byte reads are not handled but their side effects happen (IACK acknowledges)", () => {
    const f = ready({ vcpus: 1, base: BASE });
    program(f, 3, 0x00050042);
    f.active(3, 1);
    expect(f.vm.mmio.read(BASE + cpuReg(0, CPU_IACK), 2)).toBe(0xffff);
    expect(f.vm.exitStats.mmioUnhandled).toBe(1);
    expect(f.active(3)).toBe(0);
    expect(f.vm.mmio.read(BASE + cpuReg(0, CPU_IACK), 8)).toBe(0xffffffff);
    expect(f.vm.exitStats.mmioUnhandled).toBe(2);
  });

  it("a misaligned MSI read and a PIR write are not handled", () => {
    const f = ready({ vcpus: 1, base: BASE });
    expect(f.vm.mmio.read(BASE + 0x1604, 4)).toBe(0xffffffff);
    f.vm.mmio.write(BASE + 0x1090, 4, 1);
    expect(f.vm.exitStats.mmioUnhandled).toBe(2);
    expect(f.dev.counters().mmioUnhandled).toBe(2);
  });

  it("global per-CPU aliases act on the accessing vCPU's CPU inside runOnVcpu and are inert outside", () => {
    const f = ready({ vcpus: 2, base: BASE });
    const v1 = f.vm.vcpus[1];
    expect(f.vm.mmio.read(BASE + 0x90, 4)).toBe(0xffffffff);
    expect(f.dev.runOnVcpu(v1, () => f.vm.mmio.read(BASE + 0x90, 4))).toBe(1);
    f.dev.runOnVcpu(v1, () => f.vm.mmio.write(BASE + 0x80, 4, 7));
    expect(f.get(cpuReg(1, 0x80))).toBe(7);
    program(f, 3, 0x00090042, 2);
    f.active(3, 1);
    expect(f.dev.runOnVcpu(v1, () => f.vm.mmio.read(BASE + 0xa0, 4))).toBe(0x42);
    expect(v1.ext.asserted).toBe(false);
    f.dev.runOnVcpu(v1, () => f.vm.mmio.write(BASE + 0xb0, 4, 0));
    expect(f.dev.pic.servicing.isEmpty(1)).toBe(true);
    // IPI dispatch through the alias
    f.set(0x10a0, 0x000a0099);
    f.dev.runOnVcpu(v1, () => f.vm.mmio.write(BASE + 0x40, 4, 0x1));
    expect(f.iack(0)).toBe(0x99);
    // a vCPU that was never attached acts as CPU 0 (its irq_cpu_id is zero-initialised)
    const g = fixture({ vcpus: 2, connect: [1], base: BASE, reset: true });
    expect(g.dev.runOnVcpu(g.vm.vcpus[1], () => g.vm.mmio.read(BASE + 0x90, 4))).toBe(0);
  });

  it("guest MMIO by a vCPU (vcpu.mmioRead/mmioWrite) reaches the aliases as that vCPU's CPU", () => {
    const f = ready({ vcpus: 2, base: BASE });
    const v1 = f.vm.vcpus[1];
    expect(v1.mmioRead(BASE + 0x90, 4)).toBe(1);
    expect(f.vm.vcpus[0].mmioRead(BASE + 0x90, 4)).toBe(0);
    v1.mmioWrite(BASE + 0x80, 4, 7);
    expect(f.get(cpuReg(1, 0x80))).toBe(7);
    program(f, 3, 0x00090042, 2);
    f.active(3, 1);
    expect(v1.mmioRead(BASE + 0xa0, 4)).toBe(0x42);
    v1.mmioWrite(BASE + 0xb0, 4, 0);
    expect(f.dev.pic.servicing.isEmpty(1)).toBe(true);
  });

  it("unaligned, wrong-size and unmapped guest accesses answer as KVM does and change nothing (property)", () => {
    const f = busy(2, BASE);
    const before = stateOf(f);
    const unaligned = fc.tuple(fc.constantFrom(2, 4, 8), fc.integer({ min: 0, max: 0x3fff0 })).map(([size, o]) => {
      const off = o - (o % size) + 1 + (o % (size - 1));
      return { kind: "read" as const, size, off };
    });
    const badWrite = fc.tuple(fc.constantFrom(1, 2, 8), fc.integer({ min: 0, max: 0x3fff0 })).map(([size, off]) => ({ kind: "write" as const, size, off }));
    const unalignedWrite = fc.integer({ min: 0, max: 0x3fff0 }).map((o) => ({ kind: "write" as const, size: 4, off: (o & ~3) + 1 + (o % 3) }));
    const hole = fc
      .tuple(fc.constantFrom(...HOLES), fc.nat(), fc.constantFrom(1, 2, 4, 8), fc.boolean())
      .map(([[lo, hi], n, size, w]) => ({ kind: w ? ("write" as const) : ("read" as const), size, off: (lo + (n % (hi - lo - 8))) & ~(size - 1) }));
    const outside = fc.tuple(fc.integer({ min: 0x40000, max: 0x7fffc }), fc.constantFrom(1, 2, 4), fc.boolean()).map(([off, size, w]) => ({ kind: w ? ("write" as const) : ("read" as const), size, off }));
    fc.assert(
      fc.property(fc.oneof(unaligned, badWrite, unalignedWrite, hole, outside), fc.nat({ max: 0xffffffff }), (acc, value) => {
        const unhandled = f.vm.exitStats.mmioUnhandled;
        if (acc.kind === "read") {
          const v = f.vm.mmio.read(BASE + acc.off, acc.size);
          expect(v).toBe(acc.size >= 4 ? 0xffffffff : (1 << (8 * acc.size)) - 1);
        } else {
          f.vm.mmio.write(BASE + acc.off, acc.size, value);
        }
        expect(f.vm.exitStats.mmioUnhandled).toBe(unhandled + 1);
        expect(stateOf(f)).toBe(before);
      }),
      { numRuns: 400 },
    );
  });

  it("2/8-byte reads of registers without read side effects change nothing (property)", () => {
    const f = busy(1, BASE);
    const before = stateOf(f);
    const sideEffect = (off: number) => (off >= 0x20000 && (off & 0xff0) === 0xa0) || (off >= 0x1600 && off < 0x1680);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x3fff8 }), fc.constantFrom(2, 8), (o, size) => {
        const off = o & ~(size - 1);
        fc.pre(!sideEffect(off) && !sideEffect(off & ~0xf));
        f.vm.mmio.read(BASE + off, size);
        expect(stateOf(f)).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it("the window can sit above 4 GiB (ppce500 base 0xFE0040000)", () => {
    const f = ready({ vcpus: 1, base: 0xfe0040000 });
    expect(f.vm.mmio.read(0xfe0040000, 4)).toBe(0x00400402);
    expect(f.dev.mapped).toBe(true);
  });

  it("a base the bus cannot map is stored but not reported as an error (KVM ignores the failure)", () => {
    const vm = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mpicModule] });
    vm.mmio.map(0xe0040000, 0x1000, { read: () => 0x1234, write: () => {} }, "other");
    const h = vm.createDevice(1);
    setMpicBaseAddr(h, 0xe0040000);
    const dev = h.backend<MpicDevice>();
    expect(dev.baseAddress).toBe(0xe0040000n);
    expect(dev.mapped).toBe(false);
    expect(vm.mmio.read(0xe0040000, 4)).toBe(0x1234);
    setMpicBaseAddr(h, 0xffff_ffff_fffc_0000n);
    expect(dev.baseAddress).toBe(0xfffffffffffc0000n);
    expect(dev.mapped).toBe(false);
  });
});

const srcIdr3 = 0x10000 + 0x20 * 3 + 0x10;
