import { describe, expect, it } from "vitest";
import { Errno, errnoOf } from "@irqlab/core";
import {
  APIC_DFR,
  APIC_ID,
  APIC_ISR,
  APIC_LDR,
  APIC_LVR,
  APIC_LVT0,
  APIC_LVT1,
  APIC_PROCPRI,
  APIC_SPIV,
  APIC_TASKPRI,
  KVM_GET_LAPIC,
  KVM_SET_LAPIC,
} from "./constants.js";
import { LapicState } from "./structs.js";
import { x86Vm } from "./test-support/x86-vm.js";

describe("LAPIC registers and MSI delivery", () => {
  it("[x86-34] reset values before any KVM_SET_LAPIC", () => {
    const t = x86Vm({ vcpus: 2, enable: false });
    const s = t.lapic(1);
    expect(s.get(APIC_ID)).toBe(0x01000000);
    expect(s.get(APIC_LVR)).toBe(0x00050014);
    expect(s.get(APIC_SPIV)).toBe(0xff);
    expect(s.get(APIC_DFR)).toBe(0xffffffff);
    expect([s.get(APIC_LDR), s.get(APIC_TASKPRI), s.get(APIC_PROCPRI)]).toEqual([0, 0, 0]);
    expect([s.get(APIC_LVT0), s.get(APIC_LVT1)]).toEqual([0x10000, 0x10000]);
    expect(t.lapic(0).get(APIC_LVT0)).toBe(0x700);
  });

  it("[x86-36] KVM_SET_LAPIC cannot change LVR", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setLapic(0, (s) => s.set(APIC_LVR, 0));
    expect(t.lapic(0).get(APIC_LVR)).toBe(0x00050014);
  });

  it("[x86-37] PPR after KVM_SET_LAPIC: TPR 0x20 -> 0x20; TPR 0x60 with ISR 0x51 -> 0x60", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setLapic(0, (s) => s.set(APIC_TASKPRI, 0x20));
    expect(t.lapic(0).get(APIC_PROCPRI)).toBe(0x20);
    t.setLapic(0, (s) => s.set(APIC_TASKPRI, 0x60).setBit(APIC_ISR, 0x51, true));
    expect(t.lapic(0).get(APIC_PROCPRI)).toBe(0x60);
  });

  it("[x86-38] KVM_SET_LAPIC plants SVR 0x10FF verbatim in full mode", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setLapic(0, (s) => s.set(APIC_SPIV, 0x10ff));
    expect(t.lapic(0).get(APIC_SPIV)).toBe(0x10ff);
  });

  it("short or missing LAPIC buffers are EFAULT and change nothing", () => {
    const t = x86Vm({ vcpus: 1 });
    const before = t.lapic(0).bytes.slice();
    expect(errnoOf(() => t.vm.vcpus[0].ioctl(KVM_SET_LAPIC, new Uint8Array(0x3ff)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => t.vm.vcpus[0].ioctl(KVM_GET_LAPIC, null))).toBe(Errno.EFAULT);
    expect(t.lapic(0).bytes).toEqual(before);
  });

  it("[x86-39] fixed MSI: 1 even when pending; 0 to a software-disabled LAPIC, IRR kept", () => {
    const t = x86Vm({ vcpus: 1 });
    expect(t.msi(0xfee00000, 0x41)).toBe(1);
    expect(t.msi(0xfee00000, 0x41)).toBe(1);
    t.setLapic(0, (s) => s.set(APIC_SPIV, 0x0ff));
    expect(t.msi(0xfee00000, 0x42)).toBe(0);
    expect(t.irr(0, 0x41)).toBe(true);
    expect(t.irr(0, 0x42)).toBe(false);
  });

  it("[x86-40] [x86-41] MSI trigger bit 15 sets TMR; bit 14 alone is edge", () => {
    const t = x86Vm({ vcpus: 1 });
    expect(t.msi(0xfee00000, 0x8041)).toBe(1);
    expect(t.tmr(0, 0x41)).toBe(true);
    expect(t.msi(0xfee00000, 0x0041)).toBe(1);
    expect(t.tmr(0, 0x41)).toBe(false);
    expect(t.msi(0xfee00000, 0x4042)).toBe(1);
    expect(t.tmr(0, 0x42)).toBe(false);
  });

  it("[x86-42] MSI INIT returns 1, ExtINT 0", () => {
    const t = x86Vm({ vcpus: 1 });
    expect(t.msi(0xfee00000, 0x500)).toBe(1);
    expect(t.x.vcpuEvents(0).initPending).toBe(true);
    expect(t.msi(0xfee00000, 0x700)).toBe(0);
  });

  const logical = () => {
    const t = x86Vm({ vcpus: 2 });
    t.setLapic(0, (s) => s.set(APIC_LDR, 0x01000000));
    t.setLapic(1, (s) => s.set(APIC_LDR, 0x02000000));
    return t;
  };

  it("[x86-43] logical flat destinations", () => {
    const t = logical();
    expect(t.msi(0xfee03004, 0x41)).toBe(2);
    expect(t.msi(0xfee02004, 0x42)).toBe(1);
    expect(t.irr(1, 0x42)).toBe(true);
    expect(t.irr(0, 0x42)).toBe(false);
  });

  it("[x86-44] lowest priority by vector hashing", () => {
    const t = logical();
    expect(t.msi(0xfee03004, 0x140)).toBe(1);
    expect(t.irr(0, 0x40)).toBe(true);
    expect(t.msi(0xfee03004, 0x141)).toBe(1);
    expect(t.irr(1, 0x41)).toBe(true);
    expect(t.irr(0, 0x41)).toBe(false);
  });

  it("[x86-45] a redirection hint with a physical destination lands only in that vCPU", () => {
    const t = logical();
    expect(t.msi(0xfee01008, 0x42)).toBe(1);
    expect(t.irr(1, 0x42)).toBe(true);
    expect(t.irr(0, 0x42)).toBe(false);
  });

  it("[x86-46] logical MSI with no LDR set returns 0", () => {
    const t = x86Vm({ vcpus: 2 });
    expect(t.msi(0xfee03004, 0x41)).toBe(0);
  });

  it("[x86-47] the map excludes the last-created vCPU until a map-dirty event (quirk 7)", () => {
    const t = x86Vm({ vcpus: 2, enable: false });
    expect(t.msi(0xfee01000, 0x400)).toBe(0);
    expect(t.msi(0xfee00000, 0x400)).toBe(1);
    const st = t.lapic(1);
    t.vm.vcpus[1].ioctl(KVM_SET_LAPIC, st.bytes);
    expect(t.msi(0xfee01000, 0x400)).toBe(1);
    expect(t.x.vcpuEvents(1).nmiPending).toBe(1);
  });

  it("[x86-48] a KVM_SET_LAPIC xAPIC ID moves the physical destination", () => {
    const t = x86Vm({ vcpus: 2 });
    t.setLapic(1, (s) => s.set(APIC_ID, 0x05000000));
    expect(t.msi(0xfee05000, 0x41)).toBe(1);
    expect(t.irr(1, 0x41)).toBe(true);
    expect(t.msi(0xfee01000, 0x42)).toBe(0);
  });

  it("[x86-49] duplicate xAPIC IDs disable the map: physical 0 reaches both", () => {
    const t = x86Vm({ vcpus: 2 });
    t.setLapic(1, (s) => s.set(APIC_ID, 0));
    expect(t.msi(0xfee00000, 0x41)).toBe(2);
  });

  it("[x86-50] lowest priority to physical 0xFF becomes a fixed broadcast", () => {
    const t = x86Vm({ vcpus: 2 });
    t.setLapic(1, (s) => s.set(APIC_SPIV, 0xff));
    expect(t.msi(0xfeeff000, 0x141)).toBe(1);
    expect(t.irr(0, 0x41)).toBe(true);
  });

  it("LapicState codec round-trips registers and bits", () => {
    const s = new LapicState().set(APIC_TASKPRI, 0x30).setBit(APIC_ISR, 0x51, true);
    expect(s.get(APIC_TASKPRI)).toBe(0x30);
    expect(s.bit(APIC_ISR, 0x51)).toBe(true);
    expect(s.get(APIC_ISR + 0x20)).toBe(1 << 17);
    expect(() => new LapicState(new Uint8Array(10))).toThrow();
  });

  it("more than 255 vCPUs: xAPIC IDs alias (the map is disabled, both aliases accept); 32-bit IDs map by x2APIC ID", () => {
    const t = x86Vm({ vcpus: 301 });
    expect(t.msi(0xfee2c000, 0x41)).toBe(2);
    expect(t.irr(44, 0x41) && t.irr(300, 0x41)).toBe(true);
    const u = x86Vm({ vcpus: 301 });
    u.vm.enableCap(0x81, [1]);
    expect(u.msi(0xfee2c000, 0x41, 0x100)).toBe(1);
    expect(u.irr(300, 0x41)).toBe(true);
    expect(u.msi(0xfee2c000, 0x42)).toBe(1);
    expect(u.irr(44, 0x42)).toBe(true);
    expect(u.irr(300, 0x42)).toBe(false);
  });
});
