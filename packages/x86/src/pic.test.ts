import { describe, expect, it } from "vitest";
import { EventFd, irqchipRoute } from "@irqlab/routing";
import { x86Vm } from "./test-support/x86-vm.js";

describe("i8259 PIC pair", () => {
  it("[x86-7] GSI 0 sets PIC master IRR bit 0 and IOAPIC IRR bit 0, status 1", () => {
    const t = x86Vm({ vcpus: 1 });
    expect(t.line(0, 1)).toBe(1);
    expect(t.pic(0).irr & 1).toBe(1);
    expect(t.irrBit(0)).toBe(true);
    expect(t.pic(0).irr & 4).toBe(0);
  });

  it("[x86-8] GSI 12 latches slave IRR 4 and master IRR 2; with slave IMR 4 set both chips -1", () => {
    const t = x86Vm({ vcpus: 1 });
    expect(t.line(12, 1)).toBe(1);
    expect(t.pic(1).irr).toBe(0x10);
    expect(t.pic(0).irr).toBe(0x04);
    const u = x86Vm({ vcpus: 1 });
    u.setPic(1, (s) => (s.imr = 0x10));
    expect(u.line(12, 1)).toBe(-1);
    expect(u.pic(1).irr).toBe(0x10);
    expect(u.pic(0).irr & 4).toBe(0);
  });

  it("[x86-9] edge pin: 1, 1 (latched), 0 (new edge finds IRR set), 1 (line high)", () => {
    const t = x86Vm({ vcpus: 1 });
    t.routing.setGsiRouting([irqchipRoute(40, 0, 6)]);
    expect(t.line(40, 1)).toBe(1);
    expect(t.line(40, 0)).toBe(1);
    expect(t.pic(0).irr & 0x40).toBe(0x40);
    expect(t.line(40, 1)).toBe(0);
    expect(t.line(40, 1)).toBe(1);
  });

  it("[x86-10] masked edge pin: assert -1 (IRR set), deassert -1", () => {
    const t = x86Vm({ vcpus: 1 });
    t.routing.setGsiRouting([irqchipRoute(40, 0, 6)]);
    t.setPic(0, (s) => (s.imr = 0x40));
    expect(t.line(40, 1)).toBe(-1);
    expect(t.pic(0).irr & 0x40).toBe(0x40);
    expect(t.line(40, 0)).toBe(-1);
  });

  it("[x86-11] level pin: 1, 0, deassert 1 clears IRR", () => {
    const t = x86Vm({ vcpus: 1 });
    t.routing.setGsiRouting([irqchipRoute(40, 0, 6)]);
    t.setPic(0, (s) => (s.elcr = 0x40));
    expect(t.line(40, 1)).toBe(1);
    expect(t.line(40, 1)).toBe(0);
    expect(t.line(40, 0)).toBe(1);
    expect(t.pic(0).irr & 0x40).toBe(0);
  });

  it("[x86-12] SET_IRQCHIP elcr 0x07 reads back 0x07", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setPic(0, (s) => (s.elcr = 0x07));
    expect(t.pic(0).elcr).toBe(0x07);
  });

  it("[x86-13] GSI 41 -> slave pin 3 changes master IRR bit 2, not 6", () => {
    const t = x86Vm({ vcpus: 1 });
    t.routing.setGsiRouting([irqchipRoute(41, 1, 3), irqchipRoute(40, 0, 6)]);
    t.line(41, 1);
    expect(t.pic(0).irr).toBe(0x04);
    expect(t.pic(1).irr).toBe(0x08);
  });

  // The spec gives status 1 for the level-0 call; arch/x86/kvm/i8259.c pic_set_irq1's level
  // branch ("ret = !(s->irr & mask);") sees the effective level still 1 (source 1) with IRR set
  // and returns 0. The kernel wins.
  it("[x86-14] a resample irqfd's assertion survives KVM_IRQ_LINE level 0 on a PIC level pin", () => {
    const t = x86Vm({ vcpus: 1 });
    t.routing.setGsiRouting([irqchipRoute(40, 0, 6)]);
    t.setPic(0, (s) => (s.elcr = 0x40));
    const efd = EventFd.create();
    const rfd = EventFd.create();
    t.routing.irqfd({ fd: efd, gsi: 40, flags: 2, resamplefd: rfd });
    efd.write(1);
    expect(t.pic(0).irr & 0x40).toBe(0x40);
    expect(t.line(40, 0)).toBe(0);
    expect(t.pic(0).irr & 0x40).toBe(0x40);
  });
});
