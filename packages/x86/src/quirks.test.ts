import { describe, expect, it } from "vitest";
import { irqchipRoute } from "@irqlab/routing";
import { APIC_DFR, APIC_LDR, APIC_PROCPRI, APIC_ISR, APIC_TASKPRI } from "./constants.js";
import { x86Vm } from "./test-support/x86-vm.js";

describe("x86 quirks (spec §10) and delivery corners", () => {
  it("quirk 6: a moved IOAPIC base_address only narrows the fixed registration", () => {
    const t = x86Vm({ vcpus: 1 });
    const v = t.vm.vcpus[0];
    v.mmioWrite(0xfec00000, 4, 0x01);
    t.setIoapic((s) => (s.baseAddress = 0xfec00080n));
    // Below the new base nothing is decoded; inside [base, 0xfec000ff] the offset is addr & 0xff
    // (0x80..0xff: no register), and the part above 0xfec000ff is not registered at all.
    expect(v.mmioRead(0xfec00000, 4)).toBe(0);
    expect(v.mmioRead(0xfec00090, 4)).toBe(0);
    v.mmioWrite(0xfec00080, 4, 0x00);
    t.setIoapic((s) => (s.baseAddress = 0xfec00000n));
    expect(v.mmioRead(0xfec00000, 4)).toBe(0x01);
    expect(v.mmioRead(0xfec00010, 4)).toBe(0x00170011);
  });

  it("quirk 10: delivery mode 3 acts as REMRD (1); SIPI records its vector", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setEntry(20, { vector: 0x58, dm: 3 });
    expect(t.line(20, 1)).toBe(1);
    expect(t.msi(0xfee00000, 0x612)).toBe(1);
    expect(t.x.vcpuEvents(0).sipiVector).toBe(0x12);
  });

  it("quirk 12: lowest priority through the logical map hashes to an empty slot and returns 0", () => {
    const t = x86Vm({ vcpus: 2 });
    t.setLapic(0, (s) => s.set(APIC_LDR, 0x01000000));
    t.setLapic(1, (s) => s.set(APIC_LDR, 0x04000000));
    // dest 0x03: bits 0 and 1 set, vector 0x41 -> index 1 -> slot 1, which nobody holds.
    expect(t.msi(0xfee03004, 0x141)).toBe(0);
    expect(t.msi(0xfee03004, 0x140)).toBe(1);
    expect(t.irr(0, 0x40)).toBe(true);
  });

  it("quirk 13: KVM_SET_LAPIC computes PPR from the pre-copy ISR summary", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setLapic(0, (s) => s.set(APIC_TASKPRI, 0x20).setBit(APIC_ISR, 0x71, true));
    expect(t.lapic(0).get(APIC_PROCPRI)).toBe(0x20);
    // The vCPU's next evaluation uses the real priority: 0x61 is blocked by ISR 0x71.
    t.msi(0xfee00000, 0x61);
    expect(t.x.guestAck(0)).toBe(-1);
    expect(t.lapic(0).get(APIC_PROCPRI)).toBe(0x70);
  });

  it("logical cluster mode: high nibble selects the cluster, low nibble the members", () => {
    const t = x86Vm({ vcpus: 2 });
    t.setLapic(0, (s) => s.set(APIC_DFR, 0x0fffffff).set(APIC_LDR, 0x11000000));
    t.setLapic(1, (s) => s.set(APIC_DFR, 0x0fffffff).set(APIC_LDR, 0x12000000));
    expect(t.msi(0xfee13004, 0x41)).toBe(2);
    expect(t.msi(0xfee22004, 0x42)).toBe(0);
    expect(t.msi(0xfee12004, 0x43)).toBe(1);
    expect(t.irr(1, 0x43)).toBe(true);
  });

  it("mixed flat and cluster LDRs disable the logical map: the scan path delivers", () => {
    const t = x86Vm({ vcpus: 2 });
    t.setLapic(0, (s) => s.set(APIC_LDR, 0x01000000));
    t.setLapic(1, (s) => s.set(APIC_DFR, 0x0fffffff).set(APIC_LDR, 0x12000000));
    expect(t.msi(0xfee01004, 0x41)).toBe(1);
    expect(t.irr(0, 0x41)).toBe(true);
  });

  it("only vCPUs accepting PIC interrupts see the PIC (the BSP's LINT0 is ExtINT at reset)", () => {
    const t = x86Vm({ vcpus: 2 });
    t.routing.setGsiRouting([irqchipRoute(3, 0, 3)]);
    t.line(3, 1);
    expect(t.vm.vcpus.map((v) => v.ext.asserted)).toEqual([true, false]);
    expect(t.x.guestAck(1)).toBe(-1);
    expect(t.x.guestAck(0)).toBe(0x03);
  });

  it("ExtINT is taken before a higher LAPIC vector (no PPR check)", () => {
    const t = x86Vm({ vcpus: 1 });
    t.routing.setGsiRouting([irqchipRoute(3, 0, 3)]);
    t.msi(0xfee00000, 0xe0);
    t.line(3, 1);
    expect(t.x.guestAck(0)).toBe(0x03);
    expect(t.x.guestAck(0)).toBe(0xe0);
  });
});
