import { describe, expect, it } from "vitest";
import { EventFd, irqchipRoute } from "@irqlab/routing";
import { APIC_IRR, APIC_SPIV } from "./constants.js";
import { x86Vm } from "./test-support/x86-vm.js";

const RESAMPLE = 2;

describe("IOAPIC", () => {
  it("[x86-16] masked pin 20: assert -1 with irr bit 20, deassert 1 clears it", () => {
    const t = x86Vm({ vcpus: 1 });
    expect(t.line(20, 1)).toBe(-1);
    expect(t.irrBit(20)).toBe(true);
    expect(t.line(20, 0)).toBe(1);
    expect(t.irrBit(20)).toBe(false);
  });

  it("[x86-17] [x86-18] edge entry: delivered, hidden irr, merge in the LAPIC, second assert 0 un-hides", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setEntry(20, { vector: 0x58 });
    expect(t.line(20, 1)).toBe(1);
    expect(t.irr(0, 0x58)).toBe(true);
    expect(t.tmr(0, 0x58)).toBe(false);
    expect(t.irrBit(20)).toBe(false);
    expect(t.line(20, 0)).toBe(1);
    expect(t.line(20, 1)).toBe(1);
    expect(t.line(20, 1)).toBe(0);
    expect(t.irrBit(20)).toBe(true);
  });

  it("[x86-19] level entry: Remote IRR, -1 while set, SET_IRQCHIP clearing Remote IRR with irr re-delivers", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setEntry(21, { vector: 0x59, level: true });
    expect(t.line(21, 1)).toBe(1);
    expect(t.remoteIrr(21)).toBe(true);
    expect(t.tmr(0, 0x59)).toBe(true);
    expect(t.irrBit(21)).toBe(true);
    expect(t.line(21, 0)).toBe(1);
    expect(t.irrBit(21)).toBe(false);
    expect(t.remoteIrr(21)).toBe(true);
    expect(t.line(21, 1)).toBe(-1);
    t.setIoapic((s) => {
      s.redirtbl[21] &= ~0x4000n;
      s.irr |= 1 << 21;
    });
    expect(t.remoteIrr(21)).toBe(true);
  });

  it("[x86-20] level entry to a software-disabled LAPIC: 0, no Remote IRR, twice", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setLapic(0, (s) => s.set(APIC_SPIV, 0xff));
    t.setEntry(21, { vector: 0x59, level: true });
    expect(t.line(21, 1)).toBe(0);
    expect(t.remoteIrr(21)).toBe(false);
    expect(t.irr(0, 0x59)).toBe(false);
    expect(t.line(21, 0)).toBe(1);
    expect(t.line(21, 1)).toBe(0);
  });

  it("[x86-21] level entry in a VM without vCPUs: -1 and Remote IRR set", () => {
    const t = x86Vm({ vcpus: 0 });
    t.setEntry(21, { vector: 0x59, level: true });
    expect(t.line(21, 1)).toBe(-1);
    expect(t.remoteIrr(21)).toBe(true);
  });

  it("[x86-22] [x86-23] physical destination 7 of 2 vCPUs: 0; 0xFF: 2", () => {
    const t = x86Vm({ vcpus: 2 });
    t.setEntry(20, { vector: 0x58, dest: 7 });
    expect(t.line(20, 1)).toBe(0);
    t.line(20, 0);
    t.setEntry(20, { vector: 0x58, dest: 0xff });
    expect(t.line(20, 1)).toBe(2);
    expect(t.irr(0, 0x58) && t.irr(1, 0x58)).toBe(true);
  });

  it("[x86-24] [x86-25] ExtINT entries deliver nothing (0); NMI entries queue an NMI (1)", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setEntry(20, { vector: 0x58, dm: 7 });
    expect(t.line(20, 1)).toBe(0);
    expect(t.x.lapics[0].highestIrr()).toBe(-1);
    t.setEntry(19, { vector: 0, dm: 4 });
    expect(t.line(19, 1)).toBe(1);
    expect(t.x.vcpuEvents(0).nmiPending).toBe(1);
  });

  it("[x86-26] SET_IRQCHIP irr delivers unmasked edge pins now and latches masked ones", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setIoapic((s) => {
      s.redirtbl[20] = 0x58n;
      s.irr = 1 << 20;
    });
    expect(t.irr(0, 0x58)).toBe(true);
    expect(t.irrBit(20)).toBe(false);
    const u = x86Vm({ vcpus: 1 });
    u.setIoapic((s) => {
      s.redirtbl[20] = 0x10058n;
      s.irr = 1 << 20;
    });
    expect(u.irrBit(20)).toBe(true);
  });

  it("[x86-27] SET_IRQCHIP stores entries, id and pad verbatim", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setIoapic((s) => {
      s.redirtbl[5] = 0x4000n;
      s.id = 0x12345678;
      s.pad = 7;
    });
    const s = t.ioapic();
    expect(s.redirtbl[5]).toBe(0x4000n);
    expect(s.id).toBe(0x12345678);
    expect(s.pad).toBe(7);
  });

  it("[x86-28] SET_IRQCHIP leaves the per-source line state intact", () => {
    const t = x86Vm({ vcpus: 1 });
    const efd = EventFd.create();
    const rfd = EventFd.create();
    t.routing.irqfd({ fd: efd, gsi: 20, flags: RESAMPLE, resamplefd: rfd });
    efd.write(1);
    expect(t.irrBit(20)).toBe(true);
    t.setIoapic((s) => (s.irr = 0));
    expect(t.irrBit(20)).toBe(false);
    expect(t.line(20, 0)).toBe(-1);
    expect(t.irrBit(20)).toBe(true);
  });

  describe("RTC pin 8 coalescing", () => {
    const rtc = (masked = false) => {
      const t = x86Vm({ vcpus: 1 });
      t.routing.setGsiRouting([irqchipRoute(33, 2, 8), irqchipRoute(34, 2, 10)]);
      t.setEntry(8, { vector: 0x6c, masked });
      t.setEntry(10, { vector: 0x6d });
      return t;
    };

    it("[x86-29] KVM_IRQ_LINE_STATUS on pin 8: 1, 1, then 0 (coalesced, irr stays 0)", () => {
      const t = rtc();
      expect(t.line(33, 1)).toBe(1);
      expect(t.line(33, 0)).toBe(1);
      expect(t.line(33, 1)).toBe(0);
      expect(t.irrBit(8)).toBe(false);
    });

    it("[x86-30] KVM_SET_LAPIC clearing the vector's IRR bit ends the coalescing", () => {
      const t = rtc();
      t.line(33, 1);
      t.line(33, 0);
      t.setLapic(0, (s) => s.setBit(APIC_IRR, 0x6c, false));
      expect(t.line(33, 0)).toBe(1);
      expect(t.line(33, 1)).toBe(1);
    });

    it("[x86-31] a plain KVM_IRQ_LINE delivery is not tracked", () => {
      const t = rtc();
      t.routing.irqLine(33, 1);
      expect(t.line(33, 0)).toBe(1);
      expect(t.line(33, 1)).toBe(1);
    });

    it("[x86-32] pin 10 with the same programming is never coalesced", () => {
      const t = rtc();
      expect(t.line(34, 1)).toBe(1);
      expect(t.line(34, 0)).toBe(1);
      expect(t.line(34, 1)).toBe(1);
    });

    it("[x86-33] a masked pin 8 never arms the coalescing", () => {
      const t = rtc(true);
      expect(t.line(33, 1)).toBe(-1);
      expect(t.line(33, 0)).toBe(1);
      expect(t.line(33, 1)).toBe(-1);
    });

    it("a guest EOI of the RTC vector ends the coalescing", () => {
      const t = rtc();
      t.line(33, 1);
      t.line(33, 0);
      expect(t.x.guestAck(0)).toBe(0x6c);
      t.x.guestEoi(0);
      expect(t.x.ioapic!.rtcPendingEoi).toBe(0);
      expect(t.line(33, 1)).toBe(1);
    });
  });

  it("[x86-73] guest IOAPIC MMIO: version, bad index, IOREGSEL width, ID", () => {
    const t = x86Vm({ vcpus: 1 });
    const v = t.vm.vcpus[0];
    v.mmioWrite(0xfec00000, 4, 0x01);
    expect(v.mmioRead(0xfec00010, 4)).toBe(0x00170011);
    v.mmioWrite(0xfec00000, 4, 0x40);
    expect(v.mmioRead(0xfec00010, 4)).toBe(0xffffffff);
    v.mmioWrite(0xfec00000, 4, 0x1234);
    expect(v.mmioRead(0xfec00000, 4)).toBe(0x34);
    v.mmioWrite(0xfec00000, 4, 0x00);
    v.mmioWrite(0xfec00010, 4, 0x0f000000);
    expect(v.mmioRead(0xfec00010, 4)).toBe(0x0f000000);
    expect(t.ioapic().id).toBe(15);
  });

  it("[x86-74] guest write of a level entry keeps Remote IRR; rewriting it as edge clears it", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setEntry(21, { vector: 0x59, level: true, remoteIrr: true });
    const v = t.vm.vcpus[0];
    v.mmioWrite(0xfec00000, 4, 0x10 + 42);
    v.mmioWrite(0xfec00010, 4, 0x8059);
    expect(t.remoteIrr(21)).toBe(true);
    v.mmioWrite(0xfec00010, 4, 0x0059);
    expect(t.remoteIrr(21)).toBe(false);
  });

  it("[x86-75] guest unmask of a pending level entry: the resampler retires it; without one it is delivered", () => {
    for (const withResampler of [true, false]) {
      const t = x86Vm({ vcpus: 1 });
      t.setEntry(21, { vector: 0x59, level: true, masked: true });
      const rfd = EventFd.create();
      if (withResampler) t.routing.irqfd({ fd: EventFd.create(), gsi: 21, flags: RESAMPLE, resamplefd: rfd });
      t.line(21, 1);
      const v = t.vm.vcpus[0];
      v.mmioWrite(0xfec00000, 4, 0x10 + 42);
      v.mmioWrite(0xfec00010, 4, 0x8059);
      if (withResampler) {
        expect(rfd.counter).toBe(1);
        expect(t.irrBit(21)).toBe(false);
        expect(t.irr(0, 0x59)).toBe(false);
      } else {
        expect(t.irr(0, 0x59)).toBe(true);
        expect(t.remoteIrr(21)).toBe(true);
      }
    }
  });

  it("an EOI storm of 10000 successive re-deliveries is deferred by 10 ms", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setEntry(21, { vector: 0x59, level: true });
    t.line(21, 1);
    for (let i = 0; i < 9999; i++) {
      expect(t.x.guestAck(0)).toBe(0x59);
      t.x.guestEoi(0);
    }
    expect(t.x.guestAck(0)).toBe(0x59);
    t.x.guestEoi(0);
    expect(t.remoteIrr(21)).toBe(false);
    expect(t.irr(0, 0x59)).toBe(false);
    t.vm.clock.advance(10_000_000);
    expect(t.irr(0, 0x59)).toBe(true);
  });
});
