import { describe, expect, it } from "vitest";
import { profileCatalogue } from "@irqlab/core";
import { H_EOI, H_XIRR } from "./constants.js";
import xicsModule from "./module.js";
import { XICS_QUIRK, XICS_QUIRKS } from "./quirks.js";
import { setSource, xicsVm } from "./test-support.js";

describe("XICS behaviour profiles (quirks.ts)", () => {
  it("the module declares every quirk and the qemu-7.2 profile turning all of them on", () => {
    const c = profileCatalogue([xicsModule]);
    expect(c.profile("qemu-7.2")!.quirks).toEqual(XICS_QUIRKS.map((q) => q.id));
    for (const q of XICS_QUIRKS) expect(q.other).toMatch(/hw\/intc\/xics/);
  });

  it("empty H_XIRR: CPPR unchanged in kvm, 0xFF with the quirk", () => {
    for (const [profile, cppr] of [[undefined, 0], [{ quirks: [XICS_QUIRK.acceptEmptySetsCppr] }, 0xff]] as const) {
      const f = xicsVm(1, { profile: profile });
      expect(f.v[0].hcall(H_XIRR)).toBe(0);
      expect(f.v[0].hret[0]).toBe(0);
      expect(f.xics.icpOf(f.v[0])!.cppr).toBe(cppr);
    }
  });

  it("H_EOI of source 0: H_PARAMETER in kvm, H_SUCCESS with the quirk", () => {
    expect(xicsVm(1).v[0].hcall(H_EOI, 0xff000000)).toBe(-4);
    expect(xicsVm(1, { profile: { quirks: [XICS_QUIRK.eoiWithoutSource] } }).v[0].hcall(H_EOI, 0xff000000)).toBe(0);
  });

  it("set-xive priority 0x100: accepted in kvm, -3 with the quirk", () => {
    for (const [profile, rc] of [[undefined, 0], [{ quirks: [XICS_QUIRK.setXivePriorityChecked] }, -3]] as const) {
      const f = xicsVm(1, { profile: profile });
      setSource(f.dev, 0x1000, { server: 0, priority: 0xff });
      expect(f.v[0].rtas("ibm,set-xive", [0x1000, 0, 0x100], 1)[0]).toBe(rc);
    }
  });
});
