import { describe, expect, it } from "vitest";
import { createVm, KVM_CAP_PPC_IRQ_XIVE, KVM_DEV_TYPE_XIVE, profileCatalogue, type ProfileOption } from "@irqlab/core";
import { XIVE_PAGE_SIZE } from "./constants.js";
import type { XiveDevice } from "./device.js";
import { xiveModule } from "./module.js";
import { XIVE_QUIRK, XIVE_QUIRKS } from "./quirks.js";

function xive(profile?: ProfileOption) {
  const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [xiveModule], profile });
  const h = vm.createDevice(KVM_DEV_TYPE_XIVE);
  vm.vcpus[0].enableCap(KVM_CAP_PPC_IRQ_XIVE, [h, 0]);
  return { vm, h, dev: h.backend<XiveDevice>(), tima: h.mmap(0, 4 * XIVE_PAGE_SIZE), esb: h.mmap(4 * XIVE_PAGE_SIZE, 0) };
}

describe("XIVE behaviour profiles (quirks.ts)", () => {
  it("the module declares every quirk and the qemu-7.2 profile turning all of them on", () => {
    const c = profileCatalogue([xiveModule]);
    expect(c.profile("qemu-7.2")!.quirks).toEqual(XIVE_QUIRKS.map((q) => q.id));
    for (const q of XIVE_QUIRKS) expect(q.other).toMatch(/hw\/intc\//);
  });

  it("initial OS ring: 00 00 00 00 FF 00 00 00 in kvm, LSMFB/AGE/PIPR 0xFF with the quirk", () => {
    const ring = (p?: ProfileOption) => Array.from(xive(p).dev.xive.servers.get(0)!.regs.subarray(0x10, 0x18));
    expect(ring()).toEqual([0, 0, 0, 0, 0xff, 0, 0, 0]);
    expect(ring({ quirks: [XIVE_QUIRK.osRingReset] })).toEqual([0, 0, 0, 0xff, 0xff, 0, 0xff, 0xff]);
  });

  it("ESB page of an uncreated LISN: SIGBUS in kvm; PQ 01 with the quirk", () => {
    const mgmtGet = 0x1500 * 2 * XIVE_PAGE_SIZE + XIVE_PAGE_SIZE + 0x800;
    expect(() => xive().esb.read(mgmtGet, 8)).toThrow(/SIGBUS/);
    expect(xive({ quirks: [XIVE_QUIRK.esbEveryLisn] }).esb.read(mgmtGet, 8)).toBe(1);
  });

  it("H_INT_GET_SOURCE_INFO: answered in kvm, H_FUNCTION with the quirk", () => {
    expect(xive({ quirks: [XIVE_QUIRK.hcallsNeedCas] }).vm.vcpus[0].hcall(0x3a8, 0, 0x1000)).toBe(-2);
    expect(xive().vm.vcpus[0].hcall(0x3a8, 0, 0x1000)).not.toBe(-2);
  });
});
