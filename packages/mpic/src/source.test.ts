import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { idrWrite, ilrWrite, ivprWrite, SourceKind, sourceKind, sourceName } from "./source.js";

describe("source register writes (pure)", () => {
  it("IVPR write masks per kind (golden vectors from mpic.md §4 and checklist 11)", () => {
    const table: Array<[SourceKind, number, number, boolean, number, boolean]> = [
      // kind, old, value, oldLevel -> ivpr, level
      [SourceKind.Normal, 0x80000000, 0xffffffff, false, 0x80cfffff, true],
      [SourceKind.FslInt, 0x80800000, 0xffffffff, true, 0x808fffff, true],
      [SourceKind.FslSpecial, 0x80000000, 0xffffffff, false, 0x800fffff, false],
      [SourceKind.Normal, 0x40000000, 0x00050042, true, 0x40050042, false],
      [SourceKind.Normal, 0x00000000, 0x20000000, false, 0x00000000, false],
      [SourceKind.FslInt, 0x40800000, 0x00400000, true, 0x40000000, true],
    ];
    for (const [k, old, v, lvl, ivpr, level] of table) expect(ivprWrite(k, old, v, lvl)).toEqual({ ivpr, level });
  });

  it("IVPR write keeps A, never sets MODE, and forces S/P per kind (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 263 }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.boolean(), (n, old, v, lvl) => {
        const k = sourceKind(n);
        const w = ivprWrite(k, old, v, lvl);
        expect(w.ivpr & 0x40000000).toBe(old & 0x40000000);
        expect(w.ivpr & 0x20000000).toBe(0);
        expect(w.ivpr & ~0xc0cfffff).toBe(0);
        if (k === SourceKind.Normal) expect(w.level).toBe((v & 0x00400000) !== 0);
        else expect(w.level).toBe(lvl);
        if (k !== SourceKind.Normal) expect(w.ivpr & 0x00400000).toBe(0);
        if (k === SourceKind.FslSpecial) expect(w.ivpr & 0x00800000).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("IDR write on v4.2 keeps the CPU bits of attached CPUs only", () => {
    expect(idrWrite(false, 0, 1)).toEqual({ idr: 0, destmask: 0, output: null, nomask: null });
    expect(idrWrite(false, 1, 0xffffffff)).toEqual({ idr: 1, destmask: 1, output: null, nomask: null });
    expect(idrWrite(false, 2, 0x3)).toEqual({ idr: 3, destmask: 3, output: null, nomask: null });
    expect(idrWrite(false, 32, 0xffffffff).idr).toBe(0xffffffff);
  });

  it("IDR write on v2.0: EP kept, CI bits select the critical output and ignore the mask", () => {
    // 1 CPU: normal bit 0, CI0 = bit 30, EP = bit 31
    expect(idrWrite(true, 1, 0xffffffff)).toEqual({ idr: 0xc0000001, destmask: 1, output: 1, nomask: true });
    expect(idrWrite(true, 1, 0x80000001)).toEqual({ idr: 0x80000001, destmask: 1, output: 0, nomask: false });
    expect(idrWrite(true, 1, 0x40000000)).toEqual({ idr: 0x40000000, destmask: 1, output: 1, nomask: true });
    // 2 CPUs: CI0 = bit 30, CI1 = bit 29
    expect(idrWrite(true, 2, 0x20000000)).toEqual({ idr: 0x20000000, destmask: 2, output: 1, nomask: true });
    expect(idrWrite(true, 2, 0x00000002)).toEqual({ idr: 2, destmask: 2, output: 0, nomask: false });
    // no CPU: only EP survives (reset before any attach stores 0)
    expect(idrWrite(true, 0, 1)).toEqual({ idr: 0, destmask: 0, output: 0, nomask: false });
    expect(idrWrite(true, 0, 0xffffffff).idr).toBe(0x80000000);
  });

  it("IDR write on v2.0 with 16 or more CPUs: the CI mask overlaps the CPU bits, so a CPU bit selects the critical output", () => {
    // N = 20: critical mask = bits 11..30; bit 12 (CPU 12) is also CI for CPU 30 - 12 = 18
    expect(idrWrite(true, 20, 1 << 12)).toEqual({ idr: 1 << 12, destmask: 1 << 18, output: 1, nomask: true });
    expect(idrWrite(true, 20, 1 << 10)).toEqual({ idr: 1 << 10, destmask: 1 << 10, output: 0, nomask: false });
    // N = 31: crit_shift 0, every CPU bit is a CI bit: CPU 0's bit routes to CPU 30's critical output
    expect(idrWrite(true, 31, 1)).toEqual({ idr: 1, destmask: 1 << 30, output: 1, nomask: true });
  });

  it("IDR write on v2.0 with 32 CPUs: the kernel's shift by -1 gives no critical bits", () => {
    const w = idrWrite(true, 32, 0xffffffff);
    expect(w).toEqual({ idr: 0xffffffff, destmask: 0xffffffff, output: 0, nomask: false });
  });

  it("IDR write never leaves bits outside the allowed mask and destmask within the CPUs (property)", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 0, max: 32 }), fc.nat({ max: 0xffffffff }), (crit, n, v) => {
        const w = idrWrite(crit, n, v);
        const normal = n >= 32 ? 0xffffffff : (1 << n) - 1;
        expect((w.destmask & ~normal) >>> 0).toBe(0);
        expect((w.idr & ~v) >>> 0).toBe(0);
        if (!crit) expect(w.idr).toBe((v & normal) >>> 0);
        expect(idrWrite(crit, n, w.idr)).toEqual(w);
      }),
      { numRuns: 300 },
    );
  });

  it("ILR keeps the low byte; source kinds and names", () => {
    expect(ilrWrite(0x102)).toBe(2);
    expect(ilrWrite(0xffffffff)).toBe(0xff);
    expect([0, 15, 16, 255, 256, 263].map(sourceKind)).toEqual([0, 0, 1, 1, 2, 2]);
    expect([5, 226, 257, 263].map(sourceName)).toEqual(["src 5", "msi 2 (src 226)", "ipi 1", "timer 3"]);
  });
});
