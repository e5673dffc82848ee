import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno, errnoOf } from "@irqlab/core";
import {
  iscToIntWord,
  intWordToIsc,
  KVM_S390_INT_IO,
  KVM_S390_INT_PFAULT_DONE,
  KVM_S390_INT_PFAULT_INIT,
  KVM_S390_INT_SERVICE,
  KVM_S390_INT_VIRTIO,
  KVM_S390_MCHK,
  KVM_S390_PROGRAM_INT,
  KVM_S390_SIGP_STOP,
} from "./constants.js";
import {
  decodeAisAll,
  decodeAisReq,
  decodeIoAdapter,
  decodeIoAdapterReq,
  decodeS390Interrupt,
  decodeS390Irq,
  decodeS390Irqs,
  encodeAisAll,
  encodeAisReq,
  encodeIoAdapter,
  encodeIoAdapterReq,
  encodeS390Interrupt,
  encodeS390Irq,
  encodeS390Irqs,
  irqPayloadOf,
  type S390Irq,
} from "./structs.js";

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const endian = fc.constantFrom<"le" | "be">("le", "be");

const ioIrqArb: fc.Arbitrary<S390Irq> = fc
  .record({ type: fc.integer({ min: 0, max: 0xfffdffff }), subchannelId: u16, subchannelNr: u16, ioIntParm: u32, ioIntWord: u32 })
  .map(({ type, ...io }) => ({ kind: "io", type, io }));
const extIrqArb: fc.Arbitrary<S390Irq> = fc
  .record({
    type: fc.constantFrom(KVM_S390_INT_VIRTIO, KVM_S390_INT_SERVICE, KVM_S390_INT_PFAULT_DONE, KVM_S390_INT_PFAULT_INIT),
    extParams: u32,
    pad: u32,
    extParams2: u64,
  })
  .map(({ type, ...ext }) => ({ kind: "ext", type, ext }));
const mchkIrqArb: fc.Arbitrary<S390Irq> = fc
  .record({
    cr14: u64,
    mcic: u64,
    failingStorageAddress: u64,
    extDamageCode: u32,
    pad: u32,
    fixedLogout: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  })
  .map((mchk) => ({ kind: "mchk", type: KVM_S390_MCHK, mchk }));
const rawIrqArb: fc.Arbitrary<S390Irq> = fc
  .record({
    type: fc.oneof(fc.constantFrom(KVM_S390_PROGRAM_INT, KVM_S390_SIGP_STOP, 0xffffffff).map(BigInt), fc.bigInt({ min: 2n ** 32n, max: 2n ** 64n - 1n })),
    u: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  })
  .map(({ type, u }) => ({ kind: "raw", type, u }));
const irqArb = fc.oneof(ioIrqArb, extIrqArb, mchkIrqArb, rawIrqArb);

describe("struct kvm_s390_irq codec", () => {
  it("round-trips every kind in both byte orders", () => {
    fc.assert(
      fc.property(fc.array(irqArb, { maxLength: 8 }), endian, (irqs, e) => {
        const bytes = encodeS390Irqs(irqs, e);
        expect(bytes.length).toBe(irqs.length * 72);
        expect(decodeS390Irqs(bytes, irqs.length, e)).toEqual(irqs);
        // and bytes -> decode -> encode is stable
        expect(encodeS390Irqs(decodeS390Irqs(bytes, undefined, e), e)).toEqual(bytes);
      }),
    );
  });

  it("golden: an adapter I/O record for ISC 3 in big-endian layout", () => {
    const bytes = encodeS390Irq({
      kind: "io",
      type: KVM_S390_INT_IO(1, 0, 0, 0),
      io: { subchannelId: 0x0001, subchannelNr: 0x0203, ioIntParm: 0x0a0b0c0d, ioIntWord: iscToIntWord(3) },
    });
    const hex = Buffer.from(bytes.subarray(0, 20)).toString("hex");
    expect(hex).toBe("0000000004000000" + "0001" + "0203" + "0a0b0c0d" + "98000000");
    expect(bytes.subarray(20).every((b) => b === 0)).toBe(true);
  });

  it("golden: a virtio record (ext_params @8, ext_params2 @16) and a machine check (cr14 @8, mcic @16)", () => {
    const v = encodeS390Irq({ kind: "ext", type: KVM_S390_INT_VIRTIO, ext: { extParams: 0x11223344, extParams2: 0x0102030405060708n } });
    expect(Buffer.from(v.subarray(0, 24)).toString("hex")).toBe("00000000ffff2603" + "11223344" + "00000000" + "0102030405060708");
    const m = encodeS390Irq({ kind: "mchk", type: KVM_S390_MCHK, mchk: { cr14: 0x10000000n, mcic: 3n } }, "le");
    expect(Buffer.from(m.subarray(0, 24)).toString("hex")).toBe("0010feff00000000" + "0000001000000000" + "0300000000000000");
  });

  it("decoding a short buffer is EFAULT; a bad record count is EINVAL (no RangeError, no partial record)", () => {
    expect(errnoOf(() => decodeS390Irq(new Uint8Array(71)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => decodeS390Irqs(null, 1))).toBe(Errno.EFAULT);
    for (const n of [-1, 1.5, Number.NaN, Infinity]) expect(errnoOf(() => decodeS390Irqs(new Uint8Array(144), n))).toBe(Errno.EINVAL);
  });

  it("classifies type codes as copy_irq_from_user does", () => {
    expect(irqPayloadOf(0)).toBe("io");
    expect(irqPayloadOf(0xfffdffff)).toBe("io");
    expect(irqPayloadOf(KVM_S390_INT_PFAULT_INIT)).toBe("ext");
    expect(irqPayloadOf(KVM_S390_MCHK)).toBe("mchk");
    expect(irqPayloadOf(KVM_S390_PROGRAM_INT)).toBe("invalid");
    expect(irqPayloadOf(0xfffe0000)).toBe("invalid");
    expect(irqPayloadOf(0x100000000n)).toBe("invalid");
  });
});

describe("I/O type and interruption-word encodings", () => {
  it("golden values from the spec tables", () => {
    expect(KVM_S390_INT_IO(1, 0, 0, 0)).toBe(0x04000000);
    expect(KVM_S390_INT_IO(0, 0xfe, 3, 0x1234)).toBe(0x1234 | (3 << 16) | (0xfe << 18));
    expect(iscToIntWord(0)).toBe(0x80000000);
    expect(iscToIntWord(3)).toBe(0x98000000);
    expect(iscToIntWord(7)).toBe(0xb8000000);
    // isc > 7: truncated to 32 bits; the ISC field keeps isc & 7.
    expect(iscToIntWord(8)).toBe(0xc0000000);
    expect(iscToIntWord(255)).toBe(0xf8000000);
    expect(intWordToIsc(iscToIntWord(11))).toBe(3);
  });

  it("the ISC round-trips through the interruption word", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 7 }), (isc) => intWordToIsc(iscToIntWord(isc)) === isc));
  });
});

describe("adapter, AIS and interrupt structs", () => {
  it("kvm_s390_io_adapter round-trips (8 bytes)", () => {
    fc.assert(
      fc.property(fc.record({ id: u32, isc: u8, maskable: u8, swap: u8, flags: u8 }), endian, (a, e) => {
        const b = encodeIoAdapter(a, e);
        expect(b.length).toBe(8);
        expect(decodeIoAdapter(b, e)).toEqual(a);
      }),
    );
    expect(Buffer.from(encodeIoAdapter({ id: 5, isc: 3, maskable: 1, swap: 1, flags: 1 })).toString("hex")).toBe("0000000503010101");
  });

  it("kvm_s390_io_adapter_req round-trips (16 bytes)", () => {
    fc.assert(
      fc.property(fc.record({ id: u32, type: u8, mask: u8, pad: u16, addr: u64 }), endian, (r, e) => {
        const b = encodeIoAdapterReq(r, e);
        expect(b.length).toBe(16);
        expect(decodeIoAdapterReq(b, e)).toEqual(r);
      }),
    );
    expect(Buffer.from(encodeIoAdapterReq({ id: 1, type: 2, mask: 0, addr: 0x1000n })).toString("hex")).toBe(
      "00000001020000000000000000001000",
    );
  });

  it("kvm_s390_ais_req (4 bytes), kvm_s390_ais_all (2 bytes) and kvm_s390_interrupt (16 bytes) round-trip", () => {
    fc.assert(
      fc.property(fc.record({ isc: u8, pad: u8, mode: u16 }), endian, (r, e) => {
        expect(decodeAisReq(encodeAisReq(r, e), e)).toEqual(r);
      }),
    );
    fc.assert(
      fc.property(fc.record({ simm: u8, nimm: u8 }), (a) => {
        expect(decodeAisAll(encodeAisAll(a))).toEqual(a);
      }),
    );
    fc.assert(
      fc.property(fc.record({ type: u32, parm: u32, parm64: u64 }), endian, (i, e) => {
        expect(decodeS390Interrupt(encodeS390Interrupt(i, e), e)).toEqual(i);
      }),
    );
    expect(Buffer.from(encodeAisReq({ isc: 3, mode: 1 })).toString("hex")).toBe("03000001");
    expect(errnoOf(() => decodeAisAll(new Uint8Array(1)))).toBe(Errno.EFAULT);
  });
});
