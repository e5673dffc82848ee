import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { errnoOf, Errno, GuestMemory } from "./index.js";

describe("GuestMemory", () => {
  it("reads zero where nothing was written and allocates pages lazily", () => {
    const m = new GuestMemory(1 << 20);
    expect(m.read(0x1000, 4)).toBe(0);
    expect(m.allocatedBytes()).toBe(0);
    m.write(0x1ffe, 4, 0xaabbccdd, "be"); // crosses a page boundary
    expect(m.read(0x1ffe, 4, "be")).toBe(0xaabbccdd);
    expect(m.read(0x1ffe, 4, "le")).toBe(0xddccbbaa);
    expect(m.read(0x2000, 2, "be")).toBe(0xccdd);
    expect(m.allocatedBytes()).toBe(8192);
  });

  it("1/2/4/8-byte accesses round-trip in both byte orders", () => {
    const m = new GuestMemory(1 << 16);
    fc.assert(
      fc.property(fc.nat({ max: (1 << 16) - 8 }), fc.constantFrom(1, 2, 4), fc.nat({ max: 0xffffffff }), fc.constantFrom("le", "be" as const), (a, size, v, e) => {
        const value = size === 4 ? v : v % 2 ** (8 * size);
        m.write(a, size as 1 | 2 | 4, value, e);
        expect(m.read(a, size as 1 | 2 | 4, e)).toBe(value);
      }),
    );
    fc.assert(
      fc.property(fc.nat({ max: (1 << 16) - 8 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom("le", "be" as const), (a, v, e) => {
        m.write64(a, v, e);
        expect(m.read64(a, e)).toBe(v);
      }),
    );
  });

  it("out-of-range and unmapped accesses are EFAULT and write nothing", () => {
    const m = new GuestMemory(0x10000);
    expect(errnoOf(() => m.read(0xfffe, 4))).toBe(Errno.EFAULT);
    expect(errnoOf(() => m.write(-1, 1, 0))).toBe(Errno.EFAULT);
    expect(errnoOf(() => m.write64(0xfffc, 1n))).toBe(Errno.EFAULT);
    m.unmap(0x4000, 0x1000);
    expect(m.isMapped(0x3fff, 1)).toBe(true);
    expect(m.isMapped(0x3fff, 2)).toBe(false);
    expect(errnoOf(() => m.setBitMsb0(0x4000, 0))).toBe(Errno.EFAULT);
    expect(m.read(0xfffc, 4)).toBe(0);
    expect(m.allocatedBytes()).toBe(0);
  });

  it("indicator bits use s390 MSB-0 numbering", () => {
    const m = new GuestMemory(0x10000);
    expect(m.setBitMsb0(0x100, 0)).toBe(false);
    expect(m.read(0x100, 1)).toBe(0x80);
    expect(m.setBitMsb0(0x100, 0)).toBe(true);
    m.setBitMsb0(0x100, 15);
    expect(m.read(0x101, 1)).toBe(0x01);
    expect(m.testBitMsb0(0x100, 15)).toBe(true);
    expect(m.clearBitMsb0(0x100, 15)).toBe(true);
    expect(m.testBitMsb0(0x100, 15)).toBe(false);
  });
});
