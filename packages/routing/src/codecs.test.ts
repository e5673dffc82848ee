import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno, errnoOf, type Endian } from "@irqlab/core";
import {
  decodeIoeventfd,
  decodeIrqLevel,
  decodeIrqLevelStatus,
  decodeIrqRouting,
  decodeIrqRoutingEntries,
  decodeIrqRoutingHeader,
  decodeIrqfd,
  decodeMsi,
  decodeRoutingEntry,
  encodeIoeventfd,
  encodeIrqLevel,
  encodeIrqRouting,
  encodeIrqfd,
  encodeMsi,
  encodeRoutingEntry,
  type AnyRoutingEntry,
} from "./index.js";

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const safeU64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const endian = fc.constantFrom<Endian>("le", "be");

/** Any entry the codec can carry losslessly (known types, union fields of that type). */
const entryArb: fc.Arbitrary<AnyRoutingEntry> = fc.oneof(
  fc.record({ gsi: u32, type: fc.constant(1 as const), flags: u32, irqchip: u32, pin: u32 }),
  fc
    .record({ gsi: u32, flags: u32, addressLo: u32, addressHi: u32, data: u32, devid: u32 })
    .map(({ gsi, flags, ...m }) => ({ gsi, type: 2 as const, flags, msi: { ...m, flags } })),
  fc
    .record({
      gsi: u32,
      flags: u32,
      indAddr: safeU64,
      summaryAddr: safeU64,
      indOffset: safeU64,
      summaryOffset: u32,
      adapterId: u32,
    })
    .map(({ gsi, flags, ...adapter }) => ({ gsi, type: 3 as const, flags, adapter })),
  fc.record({ gsi: u32, type: fc.constant(4 as const), flags: u32, vcpu: u32, sint: u32 }),
  fc.record({ gsi: u32, type: fc.constant(5 as const), flags: u32, port: u32, vcpu: u32, priority: u32 }),
  fc.record({ gsi: u32, type: u32.filter((t) => t < 1 || t > 5), flags: u32 }),
);

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

describe("struct kvm_irq_routing_entry codec", () => {
  it("round-trips every entry type in both byte orders", () => {
    fc.assert(
      fc.property(entryArb, endian, (e, en) => {
        expect(decodeRoutingEntry(encodeRoutingEntry(e, en), en)).toEqual(e);
      }),
    );
  });

  it("golden vector: IRQCHIP gsi 5 -> irqchip 0 pin 7, little-endian (spec §2 offsets)", () => {
    const b = encodeRoutingEntry({ gsi: 5, type: 1, flags: 0, irqchip: 0, pin: 7 }, "le");
    expect(b.length).toBe(48);
    expect(hex(b)).toBe("05000000" + "01000000" + "00000000" + "00000000" + "00000000" + "07000000" + "00".repeat(24));
  });

  it("golden vector: MSI with devid, big-endian: address_lo @16, address_hi @20, data @24, devid @28", () => {
    const b = encodeRoutingEntry(
      { gsi: 0x102, type: 2, flags: 1, msi: { addressLo: 0xfee01000, addressHi: 0x12, data: 0x4041, flags: 1, devid: 0x0810 } },
      "be",
    );
    expect(hex(b.subarray(0, 32))).toBe("00000102" + "00000002" + "00000001" + "00000000" + "fee01000" + "00000012" + "00004041" + "00000810");
  });

  it("golden vector: S390_ADAPTER u64 addresses @16/@24/@32, summary_offset @40, adapter_id @44 (big-endian)", () => {
    const b = encodeRoutingEntry(
      { gsi: 1, type: 3, flags: 0, adapter: { indAddr: 0x1000, summaryAddr: 0x2008, indOffset: 10, summaryOffset: 3, adapterId: 7 } },
      "be",
    );
    expect(hex(b.subarray(16))).toBe(
      "0000000000001000" + "0000000000002008" + "000000000000000a" + "00000003" + "00000007",
    );
  });

  it("ignores pad and the unused union words when decoding", () => {
    const b = encodeRoutingEntry({ gsi: 9, type: 1, flags: 0, irqchip: 1, pin: 2 });
    b.fill(0xaa, 12, 16);
    b.fill(0xbb, 24, 48);
    expect(decodeRoutingEntry(b)).toEqual({ gsi: 9, type: 1, flags: 0, irqchip: 1, pin: 2 });
  });

  it("struct kvm_irq_routing round-trips header and entries; short buffers are EFAULT", () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 8 }), u32, endian, (entries, flags, en) => {
        const buf = encodeIrqRouting(entries, flags, en);
        expect(buf.length).toBe(8 + 48 * entries.length);
        expect(decodeIrqRouting(buf, en)).toEqual({ flags, entries });
        if (entries.length > 0) {
          expect(errnoOf(() => decodeIrqRoutingEntries(buf.subarray(0, buf.length - 1), entries.length, en))).toBe(
            Errno.EFAULT,
          );
        }
      }),
      { numRuns: 200 },
    );
    expect(errnoOf(() => decodeIrqRoutingHeader(new Uint8Array(7)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => decodeIrqRoutingHeader(null))).toBe(Errno.EFAULT);
    expect(decodeIrqRoutingHeader(encodeIrqRouting([], 0, "le", 4097))).toEqual({ nr: 4097, flags: 0 });
  });
});

describe("small structs", () => {
  it("kvm_irq_level: round trip, status read as s32 from the union", () => {
    fc.assert(
      fc.property(u32, u32, endian, (irq, level, en) => {
        expect(decodeIrqLevel(encodeIrqLevel({ irq, level }, en), en)).toEqual({ irq, level });
      }),
    );
    expect(hex(encodeIrqLevel({ irq: 5000, level: 2 }, "le"))).toBe("88130000" + "02000000");
    expect(decodeIrqLevelStatus(encodeIrqLevel({ irq: 0xffffffff, level: 0 }))).toBe(-1);
    expect(errnoOf(() => decodeIrqLevel(new Uint8Array(4)))).toBe(Errno.EFAULT);
  });

  it("kvm_msi: round trip and golden layout (32 bytes, devid @16)", () => {
    fc.assert(
      fc.property(fc.record({ addressLo: u32, addressHi: u32, data: u32, flags: u32, devid: u32 }), endian, (m, en) => {
        expect(decodeMsi(encodeMsi(m, en), en)).toEqual(m);
      }),
    );
    const b = encodeMsi({ addressLo: 0xfee00000, addressHi: 1, data: 0x41, flags: 1, devid: 0x10 }, "le");
    expect(b.length).toBe(32);
    expect(hex(b.subarray(0, 20))).toBe("0000e0fe" + "01000000" + "41000000" + "01000000" + "10000000");
  });

  it("kvm_irqfd: round trip with descriptors as s32 (0xffffffff reads as -1)", () => {
    fc.assert(
      fc.property(
        fc.record({
          fd: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
          gsi: u32,
          flags: u32,
          resamplefd: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        }),
        endian,
        (v, en) => {
          expect(decodeIrqfd(encodeIrqfd(v, en), en)).toEqual(v);
        },
      ),
    );
    expect(hex(encodeIrqfd({ fd: 3, gsi: 7, flags: 2, resamplefd: -1 }, "le").subarray(0, 16))).toBe(
      "03000000" + "07000000" + "02000000" + "ffffffff",
    );
  });

  it("kvm_ioeventfd: round trip and golden layout (datamatch @0, addr @8, len @16, fd @20, flags @24)", () => {
    const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
    fc.assert(
      fc.property(u64, u64, u32, fc.integer({ min: -0x80000000, max: 0x7fffffff }), u32, endian, (datamatch, addr, len, fd, flags, en) => {
        expect(decodeIoeventfd(encodeIoeventfd({ datamatch, addr, len, fd, flags }, en), en)).toEqual({
          datamatch,
          addr,
          len,
          fd,
          flags,
        });
      }),
    );
    const b = encodeIoeventfd({ datamatch: 0x1122n, addr: 0x10000n, len: 4, fd: 5, flags: 1 }, "be");
    expect(b.length).toBe(64);
    expect(hex(b.subarray(0, 28))).toBe("0000000000001122" + "0000000000010000" + "00000004" + "00000005" + "00000001");
  });
});
