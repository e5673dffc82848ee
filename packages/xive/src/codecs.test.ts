import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  decodeEqId,
  decodeSourceConfig,
  decodeSourceValue,
  decodeVpState,
  decodeXiveEq,
  encodeEqId,
  encodeSourceConfig,
  encodeSourceValue,
  encodeVpState,
  encodeXiveEq,
} from "./codecs.js";

describe("codecs", () => {
  it("golden vectors from the uapi layouts", () => {
    expect(encodeSourceValue({ levelSensitive: true, asserted: true })).toBe(3n);
    expect(encodeSourceConfig({ priority: 6, server: 1, masked: false, eisn: 0x10 })).toBe((0x10n << 33n) | (1n << 3n) | 6n);
    expect(encodeSourceConfig({ priority: 0, server: 0, masked: true, eisn: 0 })).toBe(0x100000000n);
    expect(decodeSourceConfig(0xfffffffffffffffen)).toEqual({ priority: 6, server: 0x1fffffff, masked: true, eisn: 0x7fffffff });
    expect(encodeEqId({ server: 2, priority: 5 })).toBe(0x15n);
    expect(decodeEqId(0xffffffff00000017n)).toEqual({ server: 2, priority: 7 });
    const eq = encodeXiveEq({ flags: 1, qshift: 16, qaddr: 0x10000000n, qtoggle: 1, qindex: 3 });
    expect([...eq.subarray(0, 24)]).toEqual([1, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0]);
    expect(eq.length).toBe(64);
    expect(encodeVpState({ nsr: 0, cppr: 0, ipb: 0, lsmfb: 0, ackCnt: 0xff, inc: 0, age: 0, pipr: 0 }, "be")).toBe(0xff000000n << 64n);
    expect(encodeVpState({ nsr: 0, cppr: 0, ipb: 0, lsmfb: 0, ackCnt: 0xff, inc: 0, age: 0, pipr: 0 }, "le")).toBe(0xff00000000n << 64n);
  });

  it("round trips", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), (l, a) => {
        expect(decodeSourceValue(encodeSourceValue({ levelSensitive: l, asserted: a }))).toEqual({ levelSensitive: l, asserted: a });
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0x1fffffff }), fc.boolean(), fc.integer({ min: 0, max: 0x7fffffff }), (priority, server, masked, eisn) => {
        const c = { priority, server, masked, eisn };
        expect(decodeSourceConfig(encodeSourceConfig(c))).toEqual(c);
        expect(decodeEqId(encodeEqId({ server, priority }))).toEqual({ server, priority });
      }),
    );
    fc.assert(
      fc.property(
        fc.record({ flags: fc.nat({ max: 0xffffffff }), qshift: fc.nat({ max: 0xffffffff }), qaddr: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), qtoggle: fc.nat({ max: 0xffffffff }), qindex: fc.nat({ max: 0xffffffff }) }),
        fc.constantFrom("le" as const, "be" as const),
        (eq, endian) => {
          expect(decodeXiveEq(encodeXiveEq(eq, endian), endian)).toEqual(eq);
        },
      ),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom("le" as const, "be" as const), (w0, endian) => {
        expect(encodeVpState(decodeVpState(w0 << 64n, endian), endian)).toBe(w0 << 64n);
      }),
    );
  });
});
