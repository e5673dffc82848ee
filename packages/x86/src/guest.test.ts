import { describe, expect, it } from "vitest";
import { EventFd, irqchipRoute } from "@irqlab/routing";
import { APIC_LVT0, APIC_LVT1, APIC_LVTERR, APIC_LVTT, APIC_SPIV, APIC_TASKPRI } from "./constants.js";
import { x86Vm } from "./test-support/x86-vm.js";

const RESAMPLE = 2;
const LAPIC = 0xfee00000;

describe("guest acknowledge and EOI", () => {
  const level21 = () => {
    const t = x86Vm({ vcpus: 1 });
    t.setEntry(21, { vector: 0x59, level: true });
    return t;
  };

  it("[x86-52] a held level line is re-delivered at EOI", () => {
    const t = level21();
    t.line(21, 1);
    expect(t.x.guestAck(0)).toBe(0x59);
    expect(t.x.lapics[0].computePpr()).toBe(0x50);
    expect(t.x.lapics[0].isrHas(0x59)).toBe(true);
    t.vm.vcpus[0].mmioWrite(LAPIC + 0xb0, 4, 0);
    expect(t.x.lapics[0].isrHas(0x59)).toBe(false);
    expect(t.remoteIrr(21)).toBe(true);
    expect(t.irr(0, 0x59)).toBe(true);
  });

  it("[x86-53] a lowered level line is not re-delivered", () => {
    const t = level21();
    t.line(21, 1);
    t.x.guestAck(0);
    t.line(21, 0);
    t.x.guestEoi(0);
    expect(t.remoteIrr(21)).toBe(false);
    expect(t.irr(0, 0x59)).toBe(false);
  });

  it("[x86-54] resample irqfd on a level entry: EOI de-asserts, signals, no re-delivery", () => {
    const t = level21();
    const efd = EventFd.create();
    const rfd = EventFd.create();
    t.routing.irqfd({ fd: efd, gsi: 21, flags: RESAMPLE, resamplefd: rfd });
    efd.write(1);
    expect(t.x.guestAck(0)).toBe(0x59);
    t.x.guestEoi(0);
    expect(rfd.counter).toBe(1);
    expect(t.irrBit(21)).toBe(false);
    expect(t.remoteIrr(21)).toBe(false);
    expect(t.irr(0, 0x59)).toBe(false);
  });

  it("[x86-55] an edge entry's EOI reaches a resampler; without one the IOAPIC is untouched", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setEntry(20, { vector: 0x58 });
    const rfd = EventFd.create();
    const efd = EventFd.create();
    t.routing.irqfd({ fd: efd, gsi: 20, flags: RESAMPLE, resamplefd: rfd });
    efd.write(1);
    expect(t.x.guestAck(0)).toBe(0x58);
    t.x.guestEoi(0);
    expect(rfd.counter).toBe(1);
    const u = x86Vm({ vcpus: 1 });
    u.setEntry(20, { vector: 0x58 });
    u.line(20, 1);
    const eois = u.x.ioapic!.eois;
    u.x.guestAck(0);
    u.x.guestEoi(0);
    expect(u.x.ioapic!.eois).toBe(eois);
  });

  it("[x86-56] an EOI with an empty ISR changes nothing and notifies nobody", () => {
    const t = level21();
    const acks = t.vm.ackNotifiers.notified;
    expect(t.x.guestEoi(0)).toBe(-1);
    expect(t.vm.ackNotifiers.notified).toBe(acks);
  });

  it("[x86-57] one EOI acknowledges every pin with that vector", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setEntry(20, { vector: 0x59 });
    t.setEntry(21, { vector: 0x59, level: true });
    const r20 = EventFd.create();
    const r21 = EventFd.create();
    t.routing.irqfd({ fd: EventFd.create(), gsi: 20, flags: RESAMPLE, resamplefd: r20 });
    const e21 = EventFd.create();
    t.routing.irqfd({ fd: e21, gsi: 21, flags: RESAMPLE, resamplefd: r21 });
    e21.write(1);
    expect(t.x.guestAck(0)).toBe(0x59);
    t.x.guestEoi(0);
    expect([r20.counter, r21.counter]).toEqual([1, 1]);
  });

  it("[x86-58] TPR gates acknowledgement by priority class", () => {
    const t = x86Vm({ vcpus: 1 });
    const v = t.vm.vcpus[0];
    v.mmioWrite(LAPIC + APIC_TASKPRI, 4, 0x50);
    t.msi(0xfee00000, 0x58);
    t.msi(0xfee00000, 0x61);
    expect(t.x.guestAck(0)).toBe(0x61);
    t.x.guestEoi(0);
    expect(t.x.guestAck(0)).toBe(-1);
    expect(v.ext.asserted).toBe(false);
  });

  it("[x86-59] SVR software-disable masks every LVT; LVT writes stay masked", () => {
    const t = x86Vm({ vcpus: 2 });
    const v = t.vm.vcpus[1];
    v.mmioWrite(LAPIC + APIC_LVT0, 4, 0x700);
    v.mmioWrite(LAPIC + APIC_SPIV, 4, 0x0ff);
    for (const r of [APIC_LVT0, APIC_LVT1, APIC_LVTT, APIC_LVTERR]) expect(v.mmioRead(LAPIC + r, 4) & 0x10000).toBe(0x10000);
    v.mmioWrite(LAPIC + APIC_LVT0, 4, 0x700);
    expect(v.mmioRead(LAPIC + APIC_LVT0, 4)).toBe(0x10700);
  });

  it("[x86-60] guest SVR write 0x11FF reads back 0x1FF in full mode", () => {
    const t = x86Vm({ vcpus: 1 });
    t.vm.vcpus[0].mmioWrite(LAPIC + APIC_SPIV, 4, 0x11ff);
    expect(t.vm.vcpus[0].mmioRead(LAPIC + APIC_SPIV, 4)).toBe(0x1ff);
  });

  it("quirk 9: SVR bit 12 planted by KVM_SET_LAPIC runs notifiers but never clears Remote IRR", () => {
    const t = level21();
    t.setLapic(0, (s) => s.set(APIC_SPIV, 0x11ff));
    t.line(21, 1);
    t.x.guestAck(0);
    const n = t.vm.ackNotifiers.notified;
    t.x.guestEoi(0);
    expect(t.vm.ackNotifiers.notified).toBe(n + 1);
    expect(t.remoteIrr(21)).toBe(true);
  });

  it("an IPI by ICR write reaches the destination", () => {
    const t = x86Vm({ vcpus: 2 });
    const v = t.vm.vcpus[0];
    v.mmioWrite(LAPIC + 0x310, 4, 0x01000000);
    v.mmioWrite(LAPIC + 0x300, 4, 0x40fb);
    expect(t.irr(1, 0xfb)).toBe(true);
    expect(t.vm.vcpus[1].ext.asserted).toBe(true);
  });
});

describe("guest PIC programming", () => {
  const ports = (t: ReturnType<typeof x86Vm>, writes: Array<[number, number]>) => {
    for (const [port, v] of writes) t.vm.vcpus[0].pioWrite(port, 1, v);
  };
  const init = (t: ReturnType<typeof x86Vm>, aeoi = false) => {
    ports(t, [[0x20, 0x11], [0x21, 0x30], [0x21, 0x04], [0x21, aeoi ? 0x03 : 0x01]]);
    ports(t, [[0xa0, 0x11], [0xa1, 0x38], [0xa1, 0x02], [0xa1, 0x01]]);
  };

  it("[x86-61] ICW1..ICW4", () => {
    const t = x86Vm({ vcpus: 1 });
    ports(t, [[0x20, 0x11], [0x21, 0x30], [0x21, 0x04], [0x21, 0x01]]);
    const s = t.pic(0);
    expect([s.irqBase, s.initState, s.imr, s.init4, s.autoEoi]).toEqual([0x30, 0, 0, 1, 0]);
  });

  it("[x86-62] ExtINT acknowledge of an edge pin clears IRR; a level pin keeps it", () => {
    const t = x86Vm({ vcpus: 1 });
    init(t);
    t.routing.setGsiRouting([irqchipRoute(3, 0, 3)]);
    t.line(3, 1);
    expect(t.vm.vcpus[0].ext.asserted).toBe(true);
    expect(t.x.guestAck(0)).toBe(0x33);
    expect(t.pic(0).isr).toBe(0x08);
    expect(t.pic(0).irr & 0x08).toBe(0);
    const u = x86Vm({ vcpus: 1 });
    init(u);
    u.setPic(0, (s) => (s.elcr = 0x08));
    u.routing.setGsiRouting([irqchipRoute(3, 0, 3)]);
    u.line(3, 1);
    expect(u.x.guestAck(0)).toBe(0x33);
    expect(u.pic(0).irr & 0x08).toBe(0x08);
  });

  it("[x86-63] a vanished slave request acknowledges as the slave's spurious vector", () => {
    const t = x86Vm({ vcpus: 1 });
    init(t);
    t.setPic(1, (s) => (s.elcr = 0x08));
    t.routing.setGsiRouting([irqchipRoute(11, 1, 3)]);
    t.line(11, 1);
    t.line(11, 0);
    const isr1 = t.pic(1).isr;
    expect(t.x.guestAck(0)).toBe(0x3f);
    expect(t.pic(0).isr & 4).toBe(4);
    expect(t.pic(1).isr).toBe(isr1);
  });

  it("[x86-64] cascade INTA", () => {
    const t = x86Vm({ vcpus: 1 });
    init(t);
    t.routing.setGsiRouting([irqchipRoute(9, 1, 1)]);
    t.line(9, 1);
    expect(t.x.guestAck(0)).toBe(0x39);
    expect(t.pic(0).isr & 4).toBe(4);
    expect(t.pic(1).isr).toBe(0x02);
  });

  const withResampler = (t: ReturnType<typeof x86Vm>, gsi: number, irqchip: number, pin: number) => {
    t.routing.setGsiRouting([irqchipRoute(gsi, irqchip, pin)]);
    const rfd = EventFd.create();
    t.routing.irqfd({ fd: EventFd.create(), gsi, flags: RESAMPLE, resamplefd: rfd });
    return rfd;
  };

  it("[x86-65] non-specific EOI clears the highest-priority ISR bit and notifies it", () => {
    const t = x86Vm({ vcpus: 1 });
    const rfd = withResampler(t, 3, 0, 3);
    t.setPic(0, (s) => (s.isr = 0x28));
    ports(t, [[0x20, 0x20]]);
    expect(t.pic(0).isr).toBe(0x20);
    expect(rfd.counter).toBe(1);
  });

  it("[x86-66] specific EOI of a pin not in service still notifies", () => {
    const t = x86Vm({ vcpus: 1 });
    const rfd = withResampler(t, 5, 0, 5);
    ports(t, [[0x20, 0x65]]);
    expect(rfd.counter).toBe(1);
  });

  it("[x86-67] AEOI: the ISR bit is gone after INTA and the notifier ran", () => {
    const t = x86Vm({ vcpus: 1 });
    init(t, true);
    const rfd = withResampler(t, 4, 0, 4);
    t.line(4, 1);
    expect(t.x.guestAck(0)).toBe(0x34);
    expect(t.pic(0).isr & 0x10).toBe(0);
    expect(rfd.counter).toBe(1);
  });

  it("[x86-68] set-priority and rotate-on-specific-EOI", () => {
    const t = x86Vm({ vcpus: 1 });
    ports(t, [[0x20, 0xc4]]);
    expect(t.pic(0).priorityAdd).toBe(5);
    ports(t, [[0x20, 0xe3]]);
    expect(t.pic(0).priorityAdd).toBe(4);
  });

  it("[x86-69] poll mode returns the bare pin number, 7 when idle", () => {
    const t = x86Vm({ vcpus: 1 });
    t.routing.setGsiRouting([irqchipRoute(6, 0, 6)]);
    t.line(6, 1);
    ports(t, [[0x20, 0x0c]]);
    expect(t.vm.vcpus[0].pioRead(0x20, 1)).toBe(0x06);
    expect(t.pic(0).irr & 0x40).toBe(0);
    ports(t, [[0x20, 0x0c]]);
    expect(t.vm.vcpus[0].pioRead(0x20, 1)).toBe(0x07);
  });

  it("[x86-70] OCW3 register select; IMR read; special mask is stored only", () => {
    const t = x86Vm({ vcpus: 1 });
    init(t);
    t.setPic(0, (s) => {
      s.irr = 0x10;
      s.isr = 0x01;
      s.imr = 0x80;
    });
    const v = t.vm.vcpus[0];
    ports(t, [[0x20, 0x0b]]);
    expect(v.pioRead(0x20, 1)).toBe(0x01);
    ports(t, [[0x20, 0x0a]]);
    expect(v.pioRead(0x20, 1)).toBe(0x10);
    expect(v.pioRead(0x21, 1)).toBe(0x80);
    t.setPic(0, (s) => (s.isr = 0));
    ports(t, [[0x20, 0x68]]);
    expect(t.pic(0).specialMask).toBe(1);
    expect(t.x.guestAck(0)).toBe(0x34);
  });

  it("[x86-71] ELCR writes are masked by elcr_mask", () => {
    const t = x86Vm({ vcpus: 1 });
    const v = t.vm.vcpus[0];
    v.pioWrite(0x4d0, 1, 0xff);
    v.pioWrite(0x4d1, 1, 0xff);
    expect(v.pioRead(0x4d0, 1)).toBe(0xf8);
    expect(v.pioRead(0x4d1, 1)).toBe(0xde);
  });

  it("[x86-72] ICW1 keeps level IRR bits, clears edge ones and notifies their ISR", () => {
    const t = x86Vm({ vcpus: 1 });
    const rfd = withResampler(t, 1, 0, 1);
    t.setPic(0, (s) => {
      s.elcr = 0x40;
      s.irr = 0x42;
      s.imr = 0x0f;
    });
    ports(t, [[0x20, 0x11]]);
    const s = t.pic(0);
    expect([s.irr, s.imr, s.initState]).toEqual([0x40, 0, 1]);
    expect(rfd.counter).toBe(1);
  });
});
