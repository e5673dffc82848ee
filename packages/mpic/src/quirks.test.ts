import { describe, expect, it } from "vitest";
import { createVm, encodeU64, KVM_CAP_IRQ_MPIC, KVM_DEV_TYPE_FSL_MPIC_42, profileCatalogue } from "@irqlab/core";
import mpicModule from "./module.js";
import { MPIC_QUIRK, MPIC_QUIRKS } from "./quirks.js";
import type { MpicDevice } from "./device.js";

const BASE = 0xfe0040000;

function mpic(profile?: string | { quirks: string[] }, vcpus = 1) {
  const vm = createVm({ arch: "ppc-booke", vcpus, modules: [mpicModule], profile });
  const h = vm.createDevice(KVM_DEV_TYPE_FSL_MPIC_42);
  h.setAttr({ group: 1, attr: 0, addr: encodeU64(BASE, vm.endian) });
  for (const v of vm.vcpus) v.enableCap(KVM_CAP_IRQ_MPIC, [h, v.id]);
  vm.mmio.write(BASE + 0x1020, 4, 0x80000000);
  return { vm, dev: h.backend<MpicDevice>() };
}

describe("MPIC behaviour profiles (quirks.ts)", () => {
  it("the module declares every quirk and the qemu-7.2 profile turning all of them on", () => {
    const c = profileCatalogue([mpicModule]);
    expect(c.profile("qemu-7.2")!.quirks).toEqual(MPIC_QUIRKS.map((q) => q.id));
    for (const q of MPIC_QUIRKS) expect(q.other).toMatch(/hw\/intc\/openpic\.c/);
  });

  it("each quirk is read at creation; kvm leaves every one off", () => {
    expect(Object.values(mpic().dev.pic.quirks).every((v) => v === false)).toBe(true);
    expect(Object.values(mpic("qemu-7.2").dev.pic.quirks).every((v) => v === true)).toBe(true);
  });

  it("absent CPU blocks: CTPR of CPU 1 reads 15 in kvm, all ones with the quirk", () => {
    expect(mpic().vm.mmio.read(BASE + 0x21080, 4)).toBe(15);
    expect(mpic({ quirks: [MPIC_QUIRK.absentCpu] }).vm.mmio.read(BASE + 0x21080, 4)).toBe(0xffffffff);
  });

  it("timer reads: 0x1110 reads GTVPR0 in kvm (block-relative decode), GTBCR0 with the quirk", () => {
    expect(mpic().vm.mmio.read(BASE + 0x1110, 4)).toBe(0x80000000); // GTVPR0 reset: masked
    const q = mpic({ quirks: [MPIC_QUIRK.timerDecode] });
    q.vm.mmio.write(BASE + 0x1110, 4, 0x1234);
    expect(q.vm.mmio.read(BASE + 0x1110, 4)).toBe(0x1234);
  });

  it("IPI destinations after reset: CPU 0 in kvm, none with the quirk", () => {
    expect(mpic().dev.pic.idr[256]).toBe(1);
    expect(mpic({ quirks: [MPIC_QUIRK.ipiDestinationReset] }).dev.pic.idr[256]).toBe(0);
  });
});
