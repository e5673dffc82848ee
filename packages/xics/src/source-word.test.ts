import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno, errnoOf } from "@irqlab/core";
import {
  KVM_XICS_LEVEL_SENSITIVE,
  KVM_XICS_MASKED,
  KVM_XICS_PENDING,
  KVM_XICS_PRESENTED,
  KVM_XICS_QUEUED,
  SOURCE_WORD_DEFINED_BITS,
  decodeSourceWord,
  encodeSourceWord,
  formatSourceWord,
  sourceWordBytes,
  sourceWordFromBytes,
} from "./index.js";

const word = fc.record({
  server: fc.nat({ max: 0xffffffff }),
  priority: fc.nat({ max: 0xff }),
  levelSensitive: fc.boolean(),
  masked: fc.boolean(),
  pending: fc.boolean(),
  presented: fc.boolean(),
  queued: fc.boolean(),
});

describe("source word codec (KVM_DEV_XICS_GRP_SOURCES)", () => {
  it("golden vectors from the uapi bit table", () => {
    expect(KVM_XICS_LEVEL_SENSITIVE).toBe(0x10000000000n);
    expect(KVM_XICS_MASKED).toBe(0x20000000000n);
    expect(KVM_XICS_PENDING).toBe(0x40000000000n);
    expect(KVM_XICS_PRESENTED).toBe(0x80000000000n);
    expect(KVM_XICS_QUEUED).toBe(0x100000000000n);
    expect(encodeSourceWord({ server: 0x12345678, priority: 5 })).toBe(0x0000000512345678n);
    expect(
      encodeSourceWord({ server: 1, priority: 0xff, levelSensitive: true, masked: true, pending: true, presented: true, queued: true }),
    ).toBe(0x00001fff00000001n);
    expect(decodeSourceWord(0x0000020500000003n)).toEqual({
      server: 3,
      priority: 5,
      levelSensitive: false,
      masked: true,
      pending: false,
      presented: false,
      queued: false,
    });
    expect(SOURCE_WORD_DEFINED_BITS).toBe(0x1fffffffffffn);
  });

  it("encode/decode round trip is lossless (property)", () => {
    fc.assert(
      fc.property(word, (w) => {
        expect(decodeSourceWord(encodeSourceWord(w))).toEqual(w);
      }),
    );
  });

  it("decode ignores undefined bits; re-encoding keeps exactly the defined ones (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (v) => {
        expect(encodeSourceWord(decodeSourceWord(v))).toBe(v & SOURCE_WORD_DEFINED_BITS);
      }),
    );
  });

  it("byte helpers use the UAPI layout in either byte order, EFAULT on a short buffer", () => {
    const le = sourceWordBytes(0x0000000512345678n, "le");
    expect(Array.from(le)).toEqual([0x78, 0x56, 0x34, 0x12, 5, 0, 0, 0]);
    const be = sourceWordBytes({ server: 0x12345678, priority: 5, levelSensitive: false, masked: false, pending: false, presented: false, queued: false }, "be");
    expect(Array.from(be)).toEqual([0, 0, 0, 5, 0x12, 0x34, 0x56, 0x78]);
    fc.assert(
      fc.property(word, fc.constantFrom("le" as const, "be" as const), (w, e) => {
        expect(sourceWordFromBytes(sourceWordBytes(w, e), e)).toEqual(w);
      }),
    );
    expect(errnoOf(() => sourceWordFromBytes(new Uint8Array(7)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => sourceWordFromBytes(null))).toBe(Errno.EFAULT);
  });

  it("formats a word in words", () => {
    expect(formatSourceWord(decodeSourceWord(0x00001fff00000001n))).toBe("server 0x1 prio 0xff LSI MASKED PENDING P Q");
  });
});
