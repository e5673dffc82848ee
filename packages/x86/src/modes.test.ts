import { describe, expect, it } from "vitest";
import { Errno, errnoOf } from "@irqlab/core";
import {
  KVM_CAP_SPLIT_IRQCHIP,
  KVM_CAP_X2APIC_API,
  KVM_CREATE_IRQCHIP,
  KVM_GET_IRQCHIP,
  KVM_GET_LAPIC,
  KVM_INTERRUPT,
  KVM_SET_IRQCHIP,
} from "./constants.js";
import { encodeInterrupt, encodeIrqchip } from "./structs.js";
import { x86Vm } from "./test-support/x86-vm.js";

describe("irqchip modes and creation", () => {
  it("[x86-1] a second KVM_CREATE_IRQCHIP is EEXIST; after split mode too", () => {
    const t = x86Vm({ vcpus: 0, irqchip: "none" });
    expect(t.vm.ioctl(KVM_CREATE_IRQCHIP)).toBe(0);
    expect(errnoOf(() => t.vm.ioctl(KVM_CREATE_IRQCHIP))).toBe(Errno.EEXIST);
    const s = x86Vm({ vcpus: 0, irqchip: "none" });
    s.vm.enableCap(KVM_CAP_SPLIT_IRQCHIP, [24]);
    expect(errnoOf(() => s.vm.ioctl(KVM_CREATE_IRQCHIP))).toBe(Errno.EEXIST);
    expect(s.x.mode).toBe("split");
  });

  it("[x86-2] KVM_CREATE_IRQCHIP after KVM_CREATE_VCPU is EINVAL and changes nothing", () => {
    const t = x86Vm({ vcpus: 1, irqchip: "none" });
    expect(errnoOf(() => t.vm.ioctl(KVM_CREATE_IRQCHIP))).toBe(Errno.EINVAL);
    expect(t.x.mode).toBe("none");
    expect(t.vm.irqchips.size).toBe(0);
    expect(t.vm.pio.regions()).toHaveLength(0);
  });

  it("[x86-3] KVM_CAP_SPLIT_IRQCHIP: 4097 EINVAL, 24 ok, vCPU or irqchip EEXIST, flags 1 EINVAL", () => {
    const a = x86Vm({ vcpus: 0, irqchip: "none" });
    expect(errnoOf(() => a.vm.enableCap(KVM_CAP_SPLIT_IRQCHIP, [4097]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => a.vm.enableCap(KVM_CAP_SPLIT_IRQCHIP, [24], 1))).toBe(Errno.EINVAL);
    expect(a.x.mode).toBe("none");
    a.vm.enableCap(KVM_CAP_SPLIT_IRQCHIP, [24]);
    expect(a.x.splitPins).toBe(24);
    const b = x86Vm({ vcpus: 1, irqchip: "none" });
    expect(errnoOf(() => b.vm.enableCap(KVM_CAP_SPLIT_IRQCHIP, [24]))).toBe(Errno.EEXIST);
    const c = x86Vm({ vcpus: 0, irqchip: "none" });
    c.vm.ioctl(KVM_CREATE_IRQCHIP);
    expect(errnoOf(() => c.vm.enableCap(KVM_CAP_SPLIT_IRQCHIP, [24]))).toBe(Errno.EEXIST);
  });

  it("[x86-4] KVM_GET/SET_IRQCHIP: ENXIO in split and none, EINVAL for chip_id 3", () => {
    for (const irqchip of ["split", "none"] as const) {
      const t = x86Vm({ vcpus: 0, irqchip });
      expect(errnoOf(() => t.vm.ioctl(KVM_GET_IRQCHIP, encodeIrqchip({ chipId: 0 })))).toBe(Errno.ENXIO);
      expect(errnoOf(() => t.vm.ioctl(KVM_SET_IRQCHIP, encodeIrqchip({ chipId: 0 })))).toBe(Errno.ENXIO);
    }
    const t = x86Vm({ vcpus: 0 });
    expect(errnoOf(() => t.vm.ioctl(KVM_GET_IRQCHIP, encodeIrqchip({ chipId: 3 })))).toBe(Errno.EINVAL);
    expect(errnoOf(() => t.vm.ioctl(KVM_SET_IRQCHIP, encodeIrqchip({ chipId: 3 })))).toBe(Errno.EINVAL);
    expect(errnoOf(() => t.vm.ioctl(KVM_GET_IRQCHIP, new Uint8Array(519)))).toBe(Errno.EFAULT);
  });

  it("[x86-5] fresh IOAPIC state", () => {
    const s = x86Vm({ vcpus: 0 }).ioapic();
    expect(s.baseAddress).toBe(0xfec00000n);
    expect([s.ioregsel, s.id, s.irr, s.pad]).toEqual([0, 0, 0, 0]);
    expect(s.redirtbl).toEqual(new Array(24).fill(0x10000n));
  });

  it("[x86-6] fresh PIC state: all zero but elcr_mask 0xF8 / 0xDE", () => {
    const t = x86Vm({ vcpus: 0 });
    const b = encodeIrqchip({ chipId: 0 });
    t.vm.ioctl(KVM_GET_IRQCHIP, b);
    expect([...b.subarray(8, 24)]).toEqual([...new Array(15).fill(0), 0xf8]);
    const c = encodeIrqchip({ chipId: 1 });
    t.vm.ioctl(KVM_GET_IRQCHIP, c);
    expect([...c.subarray(8, 24)]).toEqual([...new Array(15).fill(0), 0xde]);
  });

  it("[x86-15] KVM_INTERRUPT: ENXIO in full mode; split: 0 then EEXIST; irq 256 EINVAL", () => {
    const full = x86Vm({ vcpus: 1 });
    expect(errnoOf(() => full.vm.vcpus[0].ioctl(KVM_INTERRUPT, encodeInterrupt(0x30)))).toBe(Errno.ENXIO);
    const s = x86Vm({ vcpus: 1, irqchip: "split" });
    expect(errnoOf(() => s.vm.vcpus[0].ioctl(KVM_INTERRUPT, encodeInterrupt(256)))).toBe(Errno.EINVAL);
    expect(s.vm.vcpus[0].ioctl(KVM_INTERRUPT, encodeInterrupt(0x30))).toBe(0);
    expect(errnoOf(() => s.vm.vcpus[0].ioctl(KVM_INTERRUPT, encodeInterrupt(0x31)))).toBe(Errno.EEXIST);
    expect(s.vm.vcpus[0].ext.asserted).toBe(true);
    expect(s.x.guestAck(0)).toBe(0x30);
    expect(errnoOf(() => s.vm.vcpus[0].ioctl(KVM_INTERRUPT, new Uint8Array(3)))).toBe(Errno.EFAULT);
    const none = x86Vm({ vcpus: 1, irqchip: "none" });
    expect(none.vm.vcpus[0].ioctl(KVM_INTERRUPT, encodeInterrupt(5))).toBe(0);
  });

  it("[x86-35] KVM_GET_LAPIC without an irqchip is EINVAL", () => {
    const t = x86Vm({ vcpus: 1, irqchip: "none" });
    expect(errnoOf(() => t.vm.vcpus[0].ioctl(KVM_GET_LAPIC, new Uint8Array(0x400)))).toBe(Errno.EINVAL);
  });

  it("[x86-51] KVM_CAP_X2APIC_API flag rules; KVM_CHECK_EXTENSION 0xB / 0xF", () => {
    const full = x86Vm({ vcpus: 0 });
    expect(full.vm.checkExtension(KVM_CAP_X2APIC_API)).toBe(0xb);
    expect(errnoOf(() => full.vm.enableCap(KVM_CAP_X2APIC_API, [0x10]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => full.vm.enableCap(KVM_CAP_X2APIC_API, [0xc]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => full.vm.enableCap(KVM_CAP_X2APIC_API, [0x4]))).toBe(Errno.EINVAL);
    expect(full.x.x2apicFlags).toBe(0);
    full.vm.enableCap(KVM_CAP_X2APIC_API, [0x8]);
    expect(full.x.x2apicFlags).toBe(0x8);
    const split = x86Vm({ vcpus: 0, irqchip: "split" });
    expect(split.vm.checkExtension(KVM_CAP_X2APIC_API)).toBe(0xf);
    split.vm.enableCap(KVM_CAP_X2APIC_API, [0x4]);
    expect(split.x.x2apicFlags).toBe(0x4);
  });
});
