import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno, KvmError } from "@irqlab/core";
import {
  decodeBaseAddr,
  decodeIrqActive,
  decodeRegisterValue,
  encodeBaseAddr,
  encodeIrqActive,
  encodeRegisterValue,
} from "./attributes.js";
import { busy, stateOf } from "./__tests__/helpers.js";
import { blockOf, Block } from "./register-map.js";

describe("attribute payload codecs", () => {
  it("golden vectors: u64 base and u32 values in both byte orders", () => {
    expect([...encodeBaseAddr(0xfe0040000n, "le")]).toEqual([0x00, 0x00, 0x04, 0xe0, 0x0f, 0, 0, 0]);
    expect([...encodeBaseAddr(0xe0040000, "be")]).toEqual([0, 0, 0, 0, 0xe0, 0x04, 0x00, 0x00]);
    expect([...encodeRegisterValue(0x00400402, "be")]).toEqual([0x00, 0x40, 0x04, 0x02]);
    expect([...encodeIrqActive(1, "le")]).toEqual([1, 0, 0, 0]);
  });

  it("encode/decode round trip (property)", () => {
    fc.assert(
      fc.property(fc.bigUint64Array({ minLength: 1, maxLength: 1 }), fc.nat({ max: 0xffffffff }), fc.constantFrom("le" as const, "be" as const), (b, v, e) => {
        expect(decodeBaseAddr(encodeBaseAddr(b[0], e), e)).toBe(b[0]);
        expect(decodeRegisterValue(encodeRegisterValue(v, e), e)).toBe(v);
        expect(decodeIrqActive(encodeIrqActive(v, e), e)).toBe(v);
      }),
    );
  });

  it("decoders fault on unreadable or short payloads", () => {
    for (const fn of [() => decodeBaseAddr(null), () => decodeBaseAddr(new Uint8Array(7)), () => decodeRegisterValue(new Uint8Array(3))]) {
      expect(() => fn()).toThrow(KvmError);
    }
  });
});

type Op = "set" | "get" | "has";

/** What KVM answers (mpic_set_attr / mpic_get_attr / mpic_has_attr), 0 = success. */
function expectedErrno(op: Op, group: number, attr: bigint, payload: Uint8Array | null, value: number): number {
  const fault = (size: number) => payload === null || payload.byteLength < size;
  const regBad = (attr & 3n) !== 0n || attr >= 0x40000n || blockOf(Number(attr)) === Block.None;
  switch (group) {
    case 1:
      if (attr !== 0n) return Errno.ENXIO;
      if (op === "has") return 0;
      if (fault(8)) return Errno.EFAULT;
      if (op === "set" && (value & 0x3ffff) !== 0) return Errno.EINVAL;
      return 0;
    case 2:
      if (op === "has") return 0;
      if (op === "set" && fault(4)) return Errno.EFAULT;
      if (regBad) return Errno.ENXIO;
      if (op === "set" && attr === 0x1090n) return Errno.ENXIO;
      if (op === "get" && (attr >= 0x1600n && attr < 0x1800n) && (attr & 0xfn) !== 0n) return Errno.ENXIO;
      if (op === "get" && fault(4)) return Errno.EFAULT;
      return 0;
    case 3:
      if (attr > 256n) return op === "has" ? Errno.ENXIO : Errno.EINVAL;
      if (op === "has") return 0;
      if (fault(4)) return Errno.EFAULT;
      if (op === "set" && value !== 0 && value !== 1) return Errno.EINVAL;
      return 0;
    default:
      return Errno.ENXIO;
  }
}

describe("bad attributes", () => {
  it("fail with KVM's errno and change nothing (property)", () => {
    const f = busy(2);
    const before = stateOf(f);
    const attrArb = fc.oneof(
      fc.integer({ min: 0, max: 0x40010 }).map(BigInt),
      fc.bigUint64Array({ minLength: 1, maxLength: 1 }).map((a) => a[0]),
      fc.constantFrom(0n, 1n, 256n, 257n, 0x1090n, 0x1604n, 0x1002n, 0x4000n),
    );
    const payloadArb = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 9 }).map((n) => new Uint8Array(n)));
    fc.assert(
      fc.property(
        fc.constantFrom<Op>("set", "get", "has"),
        fc.oneof(fc.constantFrom(1, 2, 3), fc.nat({ max: 0xffffffff })),
        attrArb,
        payloadArb,
        fc.oneof(fc.nat({ max: 0xffffffff }), fc.constantFrom(0, 1, 2, 0x40001)),
        (op, group, attr, payload0, value) => {
          const payload = payload0;
          if (payload && payload.byteLength >= 4 && op === "set") new DataView(payload.buffer).setUint32(0, value, true);
          if (payload && payload.byteLength >= 8 && op === "set") new DataView(payload.buffer).setBigUint64(0, BigInt(value), true);
          const want = expectedErrno(op, group, attr, payload, value);
          fc.pre(want !== 0);
          // a GET whose payload faults still performs the read: IACK and MSIR reads have effects
          const a = Number(attr & 0xfffffn);
          fc.pre(!(op === "get" && group === 2 && want === Errno.EFAULT && ((a >= 0x20000 && (a & 0xff0) === 0xa0) || (a >= 0x1600 && a < 0x1680))));
          let got = 0;
          try {
            f.h[`${op}Attr`]({ group, attr, addr: payload });
          } catch (e) {
            if (!KvmError.is(e)) throw e;
            got = e.errno;
          }
          expect(got).toBe(want);
          expect(stateOf(f)).toBe(before);
        },
      ),
      { numRuns: 500 },
    );
  });
});
