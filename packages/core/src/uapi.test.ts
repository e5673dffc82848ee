import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeU32, decodeU64, encodeU32, encodeU64, errnoOf, Errno, UapiView, u64ToIndex } from "./index.js";

describe("user buffers", () => {
  it("null or short buffers are EFAULT", () => {
    expect(errnoOf(() => new UapiView(null, 4, "le", "x"))).toBe(Errno.EFAULT);
    expect(errnoOf(() => new UapiView(new Uint8Array(3), 4, "le", "x"))).toBe(Errno.EFAULT);
    expect(errnoOf(() => decodeU64(new Uint8Array(7)))).toBe(Errno.EFAULT);
  });

  it("reads fields in the VM's byte order, at the buffer's offset", () => {
    const bytes = new Uint8Array([9, 0x12, 0x34, 0x56, 0x78]);
    const sub = bytes.subarray(1);
    expect(new UapiView(sub, 4, "be", "x").u32(0)).toBe(0x12345678);
    expect(new UapiView(sub, 4, "le", "x").u32(0)).toBe(0x78563412);
    expect(encodeU32(0x01020304, "be")).toEqual(new Uint8Array([1, 2, 3, 4]));
  });

  it("u64 and u32 codecs round-trip in both byte orders", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom("le", "be" as const), (v, e) => {
        expect(decodeU64(encodeU64(v, e), e)).toBe(v);
      }),
    );
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.constantFrom("le", "be" as const), (v, e) => {
        expect(decodeU32(encodeU32(v, e), e)).toBe(v);
      }),
    );
  });

  it("u64ToIndex keeps safe integers and maps the rest to Infinity", () => {
    expect(u64ToIndex(5n)).toBe(5);
    expect(u64ToIndex(2n ** 53n)).toBe(Number.POSITIVE_INFINITY);
  });
});
