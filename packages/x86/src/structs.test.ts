import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno, errnoOf } from "@irqlab/core";
import { decodeIoapicState, decodeIrqchip, decodePicState, encodeIoapicState, encodeIrqchip, encodePicState, type IoapicState, type PicState } from "./structs.js";

const u8 = fc.nat({ max: 255 });
const pic: fc.Arbitrary<PicState> = fc.record({
  lastIrr: u8, irr: u8, imr: u8, isr: u8, priorityAdd: u8, irqBase: u8, readRegSelect: u8, poll: u8,
  specialMask: u8, initState: u8, autoEoi: u8, rotateOnAutoEoi: u8, specialFullyNestedMode: u8, init4: u8, elcr: u8, elcrMask: u8,
});
const u32 = fc.nat({ max: 0xffffffff });
const ioapic: fc.Arbitrary<IoapicState> = fc.record({
  baseAddress: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  ioregsel: u32,
  id: u32,
  irr: u32,
  pad: u32,
  redirtbl: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 24, maxLength: 24 }),
});

describe("UAPI codecs", () => {
  it("kvm_pic_state and kvm_ioapic_state round-trip, inside struct kvm_irqchip too", () => {
    fc.assert(
      fc.property(pic, ioapic, fc.nat({ max: 1 }), (p, io, id) => {
        expect(decodePicState(encodePicState(p))).toEqual(p);
        expect(decodeIoapicState(encodeIoapicState(io))).toEqual(io);
        expect(decodeIrqchip(encodeIrqchip({ chipId: id as 0 | 1, pic: p }))).toEqual({ chipId: id, pic: p });
        expect(decodeIrqchip(encodeIrqchip({ chipId: 2, ioapic: io }))).toEqual({ chipId: 2, ioapic: io });
      }),
    );
  });

  it("field offsets follow the UAPI layout", () => {
    const b = encodeIrqchip({ chipId: 2, ioapic: { baseAddress: 0xfec00000n, ioregsel: 1, id: 2, irr: 3, pad: 4, redirtbl: [0x1122334455667788n, ...new Array(23).fill(0n)] } });
    expect(b.byteLength).toBe(520);
    const dv = new DataView(b.buffer);
    expect([dv.getUint32(0, true), dv.getUint32(8, true), dv.getUint32(16, true), dv.getUint32(20, true), dv.getUint32(24, true), dv.getUint32(28, true)]).toEqual([2, 0xfec00000, 1, 2, 3, 4]);
    expect(dv.getBigUint64(32, true)).toBe(0x1122334455667788n);
    const q = encodeIrqchip({ chipId: 1, pic: { ...decodePicState(new Uint8Array(16)), elcrMask: 0xde, irqBase: 0x70 } });
    expect([q[8 + 5], q[8 + 15]]).toEqual([0x70, 0xde]);
  });

  it("short buffers are EFAULT", () => {
    expect(errnoOf(() => decodeIrqchip(new Uint8Array(519)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => decodeIrqchip(null))).toBe(Errno.EFAULT);
    expect(errnoOf(() => decodePicState(new Uint8Array(15)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => decodeIoapicState(new Uint8Array(215)))).toBe(Errno.EFAULT);
  });
});
