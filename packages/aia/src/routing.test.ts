import { describe, expect, it } from "vitest";
import {
  Errno,
  errnoOf,
  KVM_CAP_IRQCHIP,
  KVM_CAP_IRQFD,
  KVM_CAP_IRQFD_RESAMPLE,
  KVM_CAP_IRQ_ROUTING,
  KVM_CAP_SIGNAL_MSI,
  KVM_CAP_IRQ_INJECT_STATUS,
} from "@irqlab/core";
import { EventFd, KVM_IRQFD_FLAG_RESAMPLE, irqchipRoute, msiRoute } from "@irqlab/routing";
import { aiaVm, deliverySetup } from "./__tests__/helpers.js";

const msi = (addressLo: number, data: number, flags = 0, addressHi = 0) => ({ addressLo, addressHi, data, flags, devid: 0 });

describe("KVM_SIGNAL_MSI", () => {
  it("[aia-55] without the device EINVAL; flags 2 EINVAL; before INIT EBUSY", () => {
    const none = aiaVm({ device: false });
    expect(errnoOf(() => none.routing.signalMsi(msi(0x28001000, 33)))).toBe(Errno.EINVAL);
    const a = aiaVm();
    expect(errnoOf(() => a.routing.signalMsi(msi(0x28001000, 33, 2)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => a.routing.signalMsi(msi(0x28001000, 33)))).toBe(Errno.EBUSY);
  });

  it("[aia-56] 0x28001000 data 33 sets eip(1,33); offset 4 data 0x21000000 too; offset 8 ENODEV", () => {
    const a = aiaVm().standard();
    expect(a.routing.signalMsi(msi(0x28001000, 33))).toBe(0);
    expect(a.eip(1, 33)).toBe(true);
    a.imsicW(1, 0x80, 0);
    expect(a.routing.signalMsi(msi(0x28001004, 0x21000000))).toBe(0);
    expect(a.eip(1, 33)).toBe(true);
    expect(errnoOf(() => a.routing.signalMsi(msi(0x28001008, 33)))).toBe(Errno.ENODEV);
  });

  it("[aia-57] data 0 ENODEV; data 256 (IDS 255) EINVAL; an address matching no IMSIC returns 0 and changes nothing", () => {
    const a = aiaVm().standard();
    expect(errnoOf(() => a.routing.signalMsi(msi(0x28001000, 0)))).toBe(Errno.ENODEV);
    expect(errnoOf(() => a.routing.signalMsi(msi(0x28001000, 256)))).toBe(Errno.EINVAL);
    expect(a.routing.signalMsi(msi(0x30000000, 33))).toBe(0);
    expect(a.allEip().every((w) => w === 0n)).toBe(true);
  });

  it("[aia-58] GUEST_BITS 1, HART_BITS 1, IMSICs 0x28000000/0x28002000: guest 1 page ENODEV; 0x28002000 sets eip(1,33)", () => {
    const a = aiaVm();
    a.setCfg(2, 32);
    a.setCfg(1, 255);
    a.setCfg(5, 1);
    a.setCfg(6, 1);
    a.setAddr(0, 0x0c000000);
    a.setAddr(1, 0x28000000);
    a.setAddr(2, 0x28002000);
    a.init();
    expect(errnoOf(() => a.routing.signalMsi(msi(0x28003000, 33)))).toBe(Errno.ENODEV);
    expect(a.routing.signalMsi(msi(0x28002000, 33))).toBe(0);
    expect(a.eip(1, 33)).toBe(true);
    // The APLIC reaches the same file through its hart index.
    a.aplicW(0x3000, (1 << 18) | 34);
    expect(a.eip(1, 34)).toBe(true);
  });

  it("a guest write to an IMSIC page is an MSI by absolute address (errors dropped, no exit); reads are 0", () => {
    const a = aiaVm().standard();
    const v = a.vm.vcpus[0];
    v.mmioWrite(0x28001000, 4, 40);
    expect(a.eip(1, 40)).toBe(true);
    v.mmioWrite(0x28001008, 4, 41); // offset 8: dropped silently
    v.mmioWrite(0x28001000, 4, 0); // identity 0: dropped
    expect(v.mmioRead(0x28001000, 4)).toBe(0);
    expect(a.eip(1, 41)).toBe(false);
  });
});

describe("GSI routing, irqfd and capabilities", () => {
  it("[aia-63] KVM_SET_GSI_ROUTING before the device EINVAL; after: irqchip 1 or pin 1024 EINVAL, pin 1023 OK", () => {
    const none = aiaVm({ device: false });
    expect(errnoOf(() => none.routing.setGsiRouting([irqchipRoute(1, 0, 1)]))).toBe(Errno.EINVAL);
    const a = aiaVm();
    expect(errnoOf(() => a.routing.setGsiRouting([irqchipRoute(1, 1, 1)]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => a.routing.setGsiRouting([irqchipRoute(1, 0, 1024)]))).toBe(Errno.EINVAL);
    expect(a.routing.setGsiRouting([irqchipRoute(1, 0, 1023)])).toBe(0);
    expect(a.routing.setGsiRouting([msiRoute(2, 33, 0x28001000)])).toBe(0);
  });

  it("[aia-64] a table set before INIT is replaced by the default one: irqfd on GSI 40 nothing, on GSI 5 drives source 5", () => {
    const a = aiaVm();
    a.routing.setGsiRouting([irqchipRoute(40, 0, 5)]);
    a.standard();
    a.aplicW(0x0004 + 16, 4);
    expect(a.routing.getGsiRouting()).toHaveLength(33);
    const e40 = EventFd.create();
    const e5 = EventFd.create();
    a.routing.irqfd({ fd: e40, gsi: 40 });
    a.routing.irqfd({ fd: e5, gsi: 5 });
    e40.write(1);
    expect(a.aplicR(0x1c00)).toBe(0);
    e5.write(1);
    expect(a.aplicR(0x1c00)).toBe(1 << 5);
  });

  it("[aia-65] plain irqfd on GSI 5 (edge-rise): first signal delivers, the line stays asserted, a second does not until KVM_IRQ_LINE(5,0)", () => {
    const a = deliverySetup();
    const e = EventFd.create();
    a.routing.irqfd({ fd: e, gsi: 5 });
    e.write(1);
    expect(a.eip(1, 33)).toBe(true);
    a.imsicW(1, 0x80, 0);
    e.write(1);
    expect(a.eip(1, 33)).toBe(false);
    expect(a.aplicR(0x1d00) & (1 << 5)).toBe(1 << 5);
    a.line(5, 0);
    e.write(1);
    expect(a.eip(1, 33)).toBe(true);
  });

  it("[aia-66] irqfd on an MSI-routed GSI sets eip(1, 40) on every signal", () => {
    const a = aiaVm().standard();
    a.routing.setGsiRouting([msiRoute(100, 40, 0x28001000)]);
    const e = EventFd.create();
    a.routing.irqfd({ fd: e, gsi: 100 });
    for (let i = 0; i < 3; i++) {
      e.write(1);
      expect(a.eip(1, 40)).toBe(true);
      a.imsicW(1, 0x80, 0);
    }
  });

  it("[aia-67] KVM_CHECK_EXTENSION: IRQCHIP 1, IRQFD_RESAMPLE 0, SIGNAL_MSI 1, IRQ_ROUTING 4096 (IRQFD 1, INJECT_STATUS 0)", () => {
    const a = aiaVm({ device: false });
    expect(a.vm.checkExtension(KVM_CAP_IRQCHIP)).toBe(1);
    expect(a.vm.checkExtension(KVM_CAP_IRQFD_RESAMPLE)).toBe(0);
    expect(a.vm.checkExtension(KVM_CAP_SIGNAL_MSI)).toBe(1);
    expect(a.vm.checkExtension(KVM_CAP_IRQ_ROUTING)).toBe(4096);
    expect(a.vm.checkExtension(KVM_CAP_IRQFD)).toBe(1);
    expect(a.vm.checkExtension(KVM_CAP_IRQ_INJECT_STATUS)).toBe(0);
  });

  it("a resample irqfd is accepted but its resamplefd never fires; removing it de-asserts the line once", () => {
    const a = deliverySetup();
    a.aplicW(0x0004 + 16, 6); // level-high
    const e = EventFd.create();
    const r = EventFd.create();
    a.routing.irqfd({ fd: e, gsi: 5, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: r });
    e.write(1);
    expect(a.eip(1, 33)).toBe(true);
    // The guest claims (no EOI path exists): nothing signals the resamplefd.
    a.vm.vcpus[1].sysregRead(0x15c | 0x10000);
    expect(Number(r.counter)).toBe(0);
    expect(a.aplicR(0x1d00) & (1 << 5)).toBe(1 << 5);
    a.routing.irqfd({ fd: e, gsi: 5, flags: 1 }); // DEASSIGN
    expect(a.aplicR(0x1d00) & (1 << 5)).toBe(0);
    expect(Number(r.counter)).toBe(0);
  });

  it("irqfds may be assigned before the device exists (riscv keeps the generic kvm_arch_irqfd_allowed)", () => {
    const a = aiaVm({ device: false });
    expect(a.routing.irqfd({ fd: EventFd.create(), gsi: 3 })).toBe(0);
  });
});
