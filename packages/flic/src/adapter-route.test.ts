import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  Errno,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_IRQ_ROUTING_S390_ADAPTER,
  type AdapterRoute,
  type IrqChip,
  type RoutingEntry,
} from "@irqlab/core";
import { KVM_DEV_FLIC_AIRQ_INJECT, KVM_S390_IO_ADAPTER_MASK } from "./constants.js";
import { indicatorByte, indicatorMsb0Bit, kernelIndicatorBit } from "./adapters.js";
import { aisAllSet, errnoOf, fixture, getAll, modify, register } from "./test-support/vm.js";

const IND = 0x20000;
const SUM = 0x30000;
const route = (over: Partial<AdapterRoute> = {}): AdapterRoute => ({
  indAddr: IND,
  summaryAddr: SUM,
  indOffset: 0,
  summaryOffset: 0,
  adapterId: 0,
  ...over,
});
const adapterEntry = (gsi: number, r: AdapterRoute): RoutingEntry => ({ gsi, flags: 0, type: KVM_IRQ_ROUTING_S390_ADAPTER, adapter: r });

function chipOf(f: ReturnType<typeof fixture>): IrqChip {
  const chip = f.vm.irqchips.byIndex(0);
  if (!chip?.deliverAdapter) throw new Error("no adapter chip");
  return chip;
}

describe("indicator arithmetic", () => {
  it("get_ind_bit: offset + 8 * (addr mod 4096), xor 63 with swap", () => {
    expect(kernelIndicatorBit(0x1008, 3, false)).toBe(67);
    expect(kernelIndicatorBit(0x1008, 3, true)).toBe(67 ^ 63);
    expect(kernelIndicatorBit(0x1000, 0, true)).toBe(63);
  });

  it("with swap the byte/mask are MSB-0 bit `offset` from ind_addr (core setBitMsb0)", () => {
    const { vm } = fixture();
    const out = new Float64Array(2);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 2047 }), (addrOff, off) => {
        const addr = 0x40000 + addrOff;
        indicatorByte(addr, off, true, out);
        expect(out[0]).toBe(addr + Math.floor(off / 8));
        expect(out[1]).toBe(0x80 >> (off % 8));
        // Same position as core's MSB-0 bit operations.
        const page = addr - (addr % 4096);
        vm.memory.writeBytes(page, new Uint8Array(4096 * 2));
        vm.memory.setBitMsb0(addr, off);
        expect(vm.memory.readByte(out[0]) & out[1]).toBe(out[1]);
        vm.memory.clearBitMsb0(addr, off);
        expect(vm.memory.testBitMsb0(page, indicatorMsb0Bit(addr, off, true))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("without swap bits count from the least significant end of each 64-bit doubleword", () => {
    const out = new Float64Array(2);
    indicatorByte(0x5000, 0, false, out);
    expect([out[0], out[1]]).toEqual([0x5007, 0x01]);
    indicatorByte(0x5000, 9, false, out);
    expect([out[0], out[1]]).toEqual([0x5006, 0x02]);
    indicatorByte(0x5000, 64, false, out);
    expect([out[0], out[1]]).toEqual([0x500f, 0x01]);
    indicatorByte(0x5003, 0, false, out);
    // bit 24 of the page: byte 7 - 3 = 4.
    expect([out[0], out[1]]).toEqual([0x5004, 0x01]);
  });
});

describe("adapter routes (set_adapter_int)", () => {
  it("[flic-25] an unregistered adapter id is accepted at route setup; injection yields -1 and changes neither memory nor queues", () => {
    const f = fixture();
    const chip = chipOf(f);
    expect(() => chip.validateRoute?.(adapterEntry(1, route({ adapterId: 9 })))).not.toThrow();
    const before = f.vm.memory.readBytes(IND, 16);
    expect(chip.deliverAdapter!(route({ adapterId: 9 }), 1)).toBe(-1);
    expect(chip.deliverAdapter!(route({ adapterId: 64 }), 1)).toBe(-1);
    expect(f.vm.memory.readBytes(IND, 16)).toEqual(before);
    expect(f.vm.memory.readByte(SUM)).toBe(0);
    expect(getAll(f.flic)).toEqual([]);
  });

  it("[flic-26] swap = 1, ind_offset 10: mask 0x20 in byte ind_addr+1, summary bit, one interrupt; a second injection reports 0 and queues nothing", () => {
    const f = fixture();
    register(f.flic, { id: 0, isc: 3, swap: 1 });
    const chip = chipOf(f);
    const r = route({ indOffset: 10, summaryOffset: 0 });
    expect(chip.deliverAdapter!(r, 1)).toBe(1);
    expect(f.vm.memory.readByte(IND + 1)).toBe(0x20);
    expect(f.vm.memory.readByte(IND)).toBe(0);
    expect(f.vm.memory.readByte(SUM)).toBe(0x80);
    let all = getAll(f.flic);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ kind: "io", type: 0x04000000, io: { ioIntWord: 0x98000000, subchannelId: 0, ioIntParm: 0 } });
    expect(chip.deliverAdapter!(route({ indOffset: 11 }), 1)).toBe(0);
    expect(f.vm.memory.readByte(IND + 1)).toBe(0x30);
    all = getAll(f.flic);
    expect(all).toHaveLength(1);
    expect(f.dev.counters().adapterCoalesced).toBe(1);
  });

  it("[flic-27] swap = 0, ind_offset 0 on an 8-byte-aligned ind_addr sets mask 0x01 in byte ind_addr+7", () => {
    const f = fixture();
    register(f.flic, { id: 0, isc: 1, swap: 0 });
    expect(chipOf(f).deliverAdapter!(route({ indAddr: IND + 8 }), 1)).toBe(1);
    expect(f.vm.memory.readByte(IND + 8 + 7)).toBe(0x01);
    expect(f.vm.memory.readByte(SUM + 7)).toBe(0x01);
    expect(getAll(f.flic)).toHaveLength(1);
  });

  it("[flic-28] a masked adapter: indicator and summary set, returns 1, no interrupt; unmasking queues nothing", () => {
    const f = fixture();
    register(f.flic, { id: 0, isc: 3, swap: 1, maskable: 1 });
    modify(f.flic, { id: 0, type: KVM_S390_IO_ADAPTER_MASK, mask: 1 });
    expect(chipOf(f).deliverAdapter!(route({ indOffset: 4 }), 1)).toBe(1);
    expect(f.vm.memory.readByte(IND)).toBe(0x08);
    expect(f.vm.memory.readByte(SUM)).toBe(0x80);
    expect(getAll(f.flic)).toEqual([]);
    modify(f.flic, { id: 0, type: KVM_S390_IO_ADAPTER_MASK, mask: 0 });
    expect(getAll(f.flic)).toEqual([]);
    // The summary bit is still set: the next injection coalesces until the guest clears it.
    expect(chipOf(f).deliverAdapter!(route({ indOffset: 5 }), 1)).toBe(0);
    f.vm.memory.writeByte(SUM, 0);
    expect(chipOf(f).deliverAdapter!(route({ indOffset: 5 }), 1)).toBe(1);
    expect(getAll(f.flic)).toHaveLength(1);
  });

  it("[flic-29] level 0 returns 0 and touches no memory", () => {
    const f = fixture();
    register(f.flic, { id: 0, isc: 3, swap: 1 });
    expect(chipOf(f).deliverAdapter!(route({ indOffset: 3 }), 0)).toBe(0);
    expect(f.vm.memory.allocatedBytes()).toBe(0);
    expect(getAll(f.flic)).toEqual([]);
  });

  it("inaccessible indicator or summary pages yield -1 and change nothing", () => {
    const f = fixture({ memorySize: 0x40000 });
    register(f.flic, { id: 0, isc: 3, swap: 1 });
    const chip = chipOf(f);
    expect(chip.deliverAdapter!(route({ summaryAddr: 0x50000 }), 1)).toBe(-1);
    expect(chip.deliverAdapter!(route({ indAddr: 0x50000 }), 1)).toBe(-1);
    f.vm.memory.unmap(SUM, 4096);
    expect(chip.deliverAdapter!(route(), 1)).toBe(-1);
    expect(f.vm.memory.readByte(IND)).toBe(0);
    expect(getAll(f.flic)).toEqual([]);
  });

  it("an injection refused by the queue limit returns the negative errno", () => {
    const f = fixture();
    register(f.flic, { id: 0, isc: 3, swap: 1 });
    const s = f.dev.state;
    for (let i = 0; i < 266250; i++) s.floating.injectIo(0, 1, 0, 0x80000000);
    expect(chipOf(f).deliverAdapter!(route(), 1)).toBe(-Errno.EBUSY);
    expect(errnoOf(() => f.flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 0 }))).toBe(Errno.EBUSY);
  });

  it("AIS applies to route injections: a suppressed injection still reports 1", () => {
    const f = fixture({ ais: true });
    register(f.flic, { id: 0, isc: 3, swap: 1, flags: 1 });
    aisAllSet(f.flic, 0x10, 0x10);
    expect(chipOf(f).deliverAdapter!(route(), 1)).toBe(1);
    expect(f.vm.memory.readByte(SUM)).toBe(0x80);
    expect(getAll(f.flic)).toEqual([]);
  });
});

describe("route validation (kvm_set_routing_entry on s390)", () => {
  it("[flic-30] an MSI entry is EINVAL; s390 has no MSI delivery", () => {
    const f = fixture();
    const chip = chipOf(f);
    const msi: RoutingEntry = { gsi: 1, flags: 0, type: KVM_IRQ_ROUTING_MSI, msi: { addressLo: 0, addressHi: 0, data: 0, flags: 0, devid: 0 } };
    expect(errnoOf(() => chip.validateRoute!(msi))).toBe(Errno.EINVAL);
    expect(chip.deliverMsi).toBeUndefined();
    expect(chip.routeTypes).toEqual([KVM_IRQ_ROUTING_S390_ADAPTER]);
  });

  it("irqchip entries are EINVAL; setIrq answers -1", () => {
    const chip = chipOf(fixture());
    expect(errnoOf(() => chip.validateRoute!({ gsi: 0, flags: 0, type: KVM_IRQ_ROUTING_IRQCHIP, irqchip: 0, pin: 0 }))).toBe(Errno.EINVAL);
    expect(chip.setIrq(0, 1, 0)).toBe(-1);
  });

  it("adapter addresses outside guest memory are EFAULT", () => {
    const f = fixture({ memorySize: 0x40000 });
    const chip = chipOf(f);
    expect(errnoOf(() => chip.validateRoute!(adapterEntry(1, route({ summaryAddr: 0x40000 }))))).toBe(Errno.EFAULT);
    expect(errnoOf(() => chip.validateRoute!(adapterEntry(1, route({ indAddr: 0x1_0000_0000 }))))).toBe(Errno.EFAULT);
    expect(() => chip.validateRoute!(adapterEntry(1, route()))).not.toThrow();
  });
});
