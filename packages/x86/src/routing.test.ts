import { describe, expect, it } from "vitest";
import { Errno, errnoOf } from "@irqlab/core";
import { EventFd, KVM_CAP_MSI_DEVID, irqchipRoute, msiRoute } from "@irqlab/routing";
import { KVM_CAP_X2APIC_API } from "./constants.js";
import { defaultRouting } from "./x86-irqchip.js";
import { x86Vm } from "./test-support/x86-vm.js";

const RESAMPLE = 2;

describe("x86 routing rules (routing-irqfd.md)", () => {
  it("KVM_CREATE_IRQCHIP installs KVM's 40-entry default table (IOAPIC entry first)", () => {
    const t = x86Vm({ vcpus: 1 });
    expect(t.routing.getGsiRouting()).toEqual(defaultRouting());
    expect(defaultRouting()).toHaveLength(40);
    // GSI 3 with both pins masked: PIC 1 + IOAPIC -1 -> 1; deassert 1 + 1 -> 2.
    expect(t.line(3, 1)).toBe(1);
    expect(t.line(3, 0)).toBe(2);
  });

  it("[routing-10] IRQCHIP pin limits 8/8/24, irqchip 3, and split mode refuse with EINVAL", () => {
    const t = x86Vm({ vcpus: 1 });
    for (const e of [irqchipRoute(1, 0, 8), irqchipRoute(1, 1, 8), irqchipRoute(1, 2, 24), irqchipRoute(1, 3, 0)]) {
      expect(errnoOf(() => t.routing.setGsiRouting([e]))).toBe(Errno.EINVAL);
    }
    expect(t.routing.getGsiRouting()).toHaveLength(40);
    t.routing.setGsiRouting([irqchipRoute(1, 0, 7), irqchipRoute(1, 2, 23)]);
    const s = x86Vm({ vcpus: 1, irqchip: "split" });
    expect(errnoOf(() => s.routing.setGsiRouting([irqchipRoute(1, 2, 1)]))).toBe(Errno.EINVAL);
  });

  it("[routing-11] KVM_SET_GSI_ROUTING without an in-kernel irqchip is EINVAL, even nr = 0", () => {
    const t = x86Vm({ vcpus: 1, irqchip: "none" });
    expect(errnoOf(() => t.routing.setGsiRouting([]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => t.routing.setGsiRouting([msiRoute(1, 0x41)]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => t.routing.irqLine(3, 1))).toBe(Errno.ENXIO);
    expect(errnoOf(() => t.routing.irqfd({ fd: -1, gsi: 1 }))).toBe(Errno.EINVAL);
  });

  it("[routing-21] with 32-bit APIC IDs, address_hi & 0xff != 0 is EINVAL for routes and KVM_SIGNAL_MSI", () => {
    const t = x86Vm({ vcpus: 1 });
    t.vm.enableCap(KVM_CAP_X2APIC_API, [1]);
    const bad = { ...msiRoute(1, 0x41), msi: { addressLo: 0xfee00000, addressHi: 1, data: 0x41, flags: 0, devid: 0 } };
    expect(errnoOf(() => t.routing.setGsiRouting([bad]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => t.msi(0xfee00000, 0x41, 0x01))).toBe(Errno.EINVAL);
    expect(t.irr(0, 0x41)).toBe(false);
    // Bits 31:8 carry destination bits: 0x100 -> APIC ID 256, nobody there (0).
    t.routing.setGsiRouting([{ ...bad, msi: { ...bad.msi, addressHi: 0x100 } }]);
    expect(t.msi(0xfee00000, 0x41, 0x100)).toBe(0);
    expect(t.msi(0xfee00000, 0x41, 0)).toBe(1);
  });

  it("[routing-30] split irqchip: RESAMPLE irqfd EINVAL (before the fd is looked up), plain irqfd ok", () => {
    const t = x86Vm({ vcpus: 1, irqchip: "split" });
    expect(errnoOf(() => t.routing.irqfd({ fd: -1, gsi: 1, flags: RESAMPLE, resamplefd: -1 }))).toBe(Errno.EINVAL);
    expect(t.routing.irqfd({ fd: EventFd.create(), gsi: 1 })).toBe(0);
  });

  it("[routing-45] KVM_SIGNAL_MSI: no vCPUs EPERM; absent 0; sw-disabled 0; broadcast to two 2", () => {
    expect(errnoOf(() => x86Vm({ vcpus: 0 }).msi(0xfee00000, 0x41))).toBe(Errno.EPERM);
    const t = x86Vm({ vcpus: 2 });
    expect(t.msi(0xfee07000, 0x41)).toBe(0);
    expect(t.msi(0xfeeff000, 0x42)).toBe(2);
    const d = x86Vm({ vcpus: 1, enable: false });
    expect(d.msi(0xfee00000, 0x41)).toBe(0);
  });

  it("[routing-48] a resample assertion survives KVM_IRQ_LINE 0; a plain irqfd pulse drops a userspace level", () => {
    const t = x86Vm({ vcpus: 1 });
    t.setEntry(21, { vector: 0x59, level: true, masked: true });
    const efd = EventFd.create();
    t.routing.irqfd({ fd: efd, gsi: 21, flags: RESAMPLE, resamplefd: EventFd.create() });
    efd.write(1);
    t.line(21, 0);
    expect(t.irrBit(21)).toBe(true);
    const u = x86Vm({ vcpus: 1 });
    u.setEntry(21, { vector: 0x59, level: true, masked: true });
    const p = EventFd.create();
    u.routing.irqfd({ fd: p, gsi: 21 });
    u.line(21, 1);
    expect(u.irrBit(21)).toBe(true);
    p.write(1);
    expect(u.irrBit(21)).toBe(false);
  });

  it("[routing-51] split irqchip: MSI routes accepted, GSI 3 unrouted (-1), KVM_SIGNAL_MSI delivers", () => {
    const t = x86Vm({ vcpus: 1, irqchip: "split" });
    expect(t.line(3, 1)).toBe(-1);
    t.routing.setGsiRouting([msiRoute(5, 0x41)]);
    expect(t.line(5, 1)).toBe(1);
    expect(t.msi(0xfee00000, 0x42)).toBe(1);
    expect(t.irr(0, 0x42)).toBe(true);
  });

  it("[routing-52] KVM_CAP_MSI_DEVID is 0 yet VALID_DEVID routes and KVM_SIGNAL_MSI flags 1 work", () => {
    const t = x86Vm({ vcpus: 1 });
    expect(t.vm.checkExtension(KVM_CAP_MSI_DEVID)).toBe(0);
    t.routing.setGsiRouting([msiRoute(5, 0x41, 0xfee00000, 1, 77)]);
    expect(t.line(5, 1)).toBe(1);
    expect(t.msi(0xfee00000, 0x42, 0, 1)).toBe(1);
  });

  it("split mode: an EOI of a level MSI route's vector among the reserved GSIs exits (KVM_EXIT_IOAPIC_EOI)", () => {
    const t = x86Vm({ vcpus: 1, irqchip: "split", splitPins: 24 });
    t.routing.setGsiRouting([msiRoute(5, 0x8041), msiRoute(30, 0x8042)]);
    t.line(5, 1);
    t.line(30, 1);
    expect(t.x.guestAck(0)).toBe(0x42);
    t.x.guestEoi(0);
    expect(t.x.eoiExits).toEqual([]);
    expect(t.x.guestAck(0)).toBe(0x41);
    t.x.guestEoi(0);
    expect(t.x.eoiExits).toEqual([{ vcpu: 0, vector: 0x41 }]);
  });

  it("split mode: LVR advertises directed EOI; with ENABLE_SUPPRESS_EOI_BROADCAST and SVR bit 12 the EOI does not exit, legacy ignores the bit", () => {
    for (const suppress of [false, true]) {
      const t = x86Vm({ vcpus: 1, irqchip: "split", splitPins: 24 });
      if (suppress) t.vm.enableCap(KVM_CAP_X2APIC_API, [4]);
      const v = t.vm.vcpus[0];
      expect(v.mmioRead(0xfee00030, 4)).toBe(0x01050014);
      v.mmioWrite(0xfee000f0, 4, 0x11ff);
      expect(v.mmioRead(0xfee000f0, 4)).toBe(0x11ff);
      t.routing.setGsiRouting([msiRoute(5, 0x8041)]);
      t.line(5, 1);
      t.x.guestAck(0);
      t.x.guestEoi(0);
      expect(t.x.eoiExits.length).toBe(suppress ? 0 : 1);
    }
    const d = x86Vm({ vcpus: 1, irqchip: "split" });
    d.vm.enableCap(KVM_CAP_X2APIC_API, [8]);
    d.setLapic(0, () => {});
    expect(d.lapic(0).get(0x30)).toBe(0x00050014);
  });
});

