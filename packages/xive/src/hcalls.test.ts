import { describe, it, expect } from "vitest";
import { createVm } from "@irqlab/core";
import {
  H_INT_ESB,
  H_INT_GET_QUEUE_CONFIG,
  H_INT_GET_QUEUE_INFO,
  H_INT_GET_SOURCE_CONFIG,
  H_INT_GET_SOURCE_INFO,
  H_INT_RESET,
  H_INT_SET_QUEUE_CONFIG,
  H_INT_SET_SOURCE_CONFIG,
  H_INT_SYNC,
  H_HARDWARE,
  H_P2,
  H_P3,
  H_P4,
  H_P5,
  H_PARAMETER,
  H_SUCCESS,
  KVM_DEV_TYPE_XIVE,
  SPAPR_XIVE_SRC_H_INT_ESB,
  SPAPR_XIVE_SRC_LSI,
  SPAPR_XIVE_VC_BASE,
} from "./constants.js";
import { createXiveModule } from "./module.js";
import { createSource, mgmt, rig } from "./test-support.js";

describe("H_INT_* hcalls (QEMU's userspace half)", () => {
  it("are registered with the device and unregistered on release", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [createXiveModule()] });
    const h = vm.createDevice(KVM_DEV_TYPE_XIVE);
    expect(vm.hcalls.has(H_INT_ESB)).toBe(true);
    h.close();
    expect(vm.hcalls.has(H_INT_ESB)).toBe(false);
  });

  it("GET_SOURCE_INFO: flags, EOI/trigger page addresses, ESB shift; LSIs must use H_INT_ESB", () => {
    const r = rig(1);
    const v = r.vm.vcpus[0];
    createSource(r, 0x1000);
    createSource(r, 0x1001, true);
    expect(v.hcall(H_INT_GET_SOURCE_INFO, 1, 0x1000)).toBe(H_PARAMETER);
    expect(v.hcall(H_INT_GET_SOURCE_INFO, 0, 0x1002)).toBe(H_P2);
    expect(v.hcall(H_INT_GET_SOURCE_INFO, 0, 0x1000)).toBe(H_SUCCESS);
    expect([...v.hret.subarray(0, 4)]).toEqual([0, SPAPR_XIVE_VC_BASE + 0x1000 * 0x20000 + 0x10000, SPAPR_XIVE_VC_BASE + 0x1000 * 0x20000, 16]);
    expect(v.hcall(H_INT_GET_SOURCE_INFO, 0, 0x1001)).toBe(H_SUCCESS);
    expect([...v.hret.subarray(0, 3)]).toEqual([SPAPR_XIVE_SRC_H_INT_ESB | SPAPR_XIVE_SRC_LSI, -1, -1]);
  });

  it("SET_SOURCE_CONFIG / SET_QUEUE_CONFIG parameter checks and translation into attributes", () => {
    const r = rig(2);
    const v = r.vm.vcpus[0];
    createSource(r, 0x1000);
    expect(v.hcall(H_INT_SET_QUEUE_CONFIG, 2, 1, 6, 0x1000_0000, 16)).toBe(H_PARAMETER);
    expect(v.hcall(H_INT_SET_QUEUE_CONFIG, 1, 1, 7, 0x1000_0000, 16)).toBe(H_P3);
    expect(v.hcall(H_INT_SET_QUEUE_CONFIG, 1, 5, 6, 0x1000_0000, 16)).toBe(H_P2);
    expect(v.hcall(H_INT_SET_QUEUE_CONFIG, 1, 1, 6, 0x1000_1000, 16)).toBe(H_P4);
    expect(v.hcall(H_INT_SET_QUEUE_CONFIG, 1, 1, 6, 0x1000_0000, 13)).toBe(H_P5);
    // QEMU accepts 12, KVM refuses it: error_report + H_HARDWARE.
    expect(v.hcall(H_INT_SET_QUEUE_CONFIG, 1, 1, 6, 0x1000_0000, 12)).toBe(H_HARDWARE);
    expect(v.hcall(H_INT_SET_QUEUE_CONFIG, 1, 1, 6, 0x1000_0000, 16)).toBe(H_SUCCESS);
    expect(v.hcall(H_INT_GET_QUEUE_INFO, 0, 1, 6)).toBe(H_SUCCESS);
    expect(v.hret[1]).toBe(16);
    expect(v.hcall(H_INT_GET_QUEUE_CONFIG, 2, 1, 6)).toBe(H_PARAMETER);
    expect(v.hcall(H_INT_GET_QUEUE_CONFIG, 1, 1, 6)).toBe(H_SUCCESS);
    expect([...v.hret.subarray(0, 4)]).toEqual([1, 0x1000_0000, 16, 0x80000000]);
    expect(v.hcall(H_INT_SET_SOURCE_CONFIG, 4, 0x1000, 1, 6, 5)).toBe(H_PARAMETER);
    expect(v.hcall(H_INT_SET_SOURCE_CONFIG, 2, 0x1001, 1, 6, 5)).toBe(H_P2);
    expect(v.hcall(H_INT_SET_SOURCE_CONFIG, 2, 0x1000, 1, 7, 5)).toBe(H_P4);
    expect(v.hcall(H_INT_SET_SOURCE_CONFIG, 2, 0x1000, 9, 6, 5)).toBe(H_P3);
    // CPU 0 has no queue at 6: KVM silently places the source on CPU 1's queue.
    expect(v.hcall(H_INT_SET_SOURCE_CONFIG, 2, 0x1000, 0, 6, 5)).toBe(H_SUCCESS);
    expect(r.dev.xive.sources.find(0x1000)!.actServer[0]).toBe(1);
    expect(v.hcall(H_INT_GET_SOURCE_CONFIG, 0, 0x1000)).toBe(H_SUCCESS);
    expect(v.hret[0]).toBe(0);
    expect(v.hcall(H_INT_SET_SOURCE_CONFIG, 2, 0x1000, 1, 6, 5)).toBe(H_SUCCESS);
    expect(v.hcall(H_INT_GET_SOURCE_CONFIG, 0, 0x1000)).toBe(H_SUCCESS);
    expect([...v.hret.subarray(0, 3)]).toEqual([1, 6, 5]);
    expect(v.hcall(H_INT_SET_SOURCE_CONFIG, 0, 0x1000, 0, 0xff, 0)).toBe(H_SUCCESS);
    expect(v.hcall(H_INT_GET_SOURCE_CONFIG, 0, 0x1000)).toBe(H_SUCCESS);
    expect(v.hret[1]).toBe(0xff);
  });

  it("H_INT_ESB, H_INT_SYNC and H_INT_RESET", () => {
    const r = rig(1);
    const v = r.vm.vcpus[0];
    createSource(r, 0x1000);
    expect(v.hcall(H_INT_ESB, 2, 0x1000, 0x800, 0)).toBe(H_PARAMETER);
    expect(v.hcall(H_INT_ESB, 0, 0x1000, 0x30000, 0)).toBe(H_P3);
    expect(v.hcall(H_INT_ESB, 0, 0x1000, 0xc00, 0)).toBe(H_SUCCESS);
    expect(v.hret[0]).toBe(1);
    expect(v.hcall(H_INT_ESB, 1, 0x1000, 0xf00, 0)).toBe(H_SUCCESS);
    expect(r.esb.read(mgmt(0x1000, 0x800), 8)).toBe(3);
    expect(v.hcall(H_INT_SYNC, 0, 0x1000)).toBe(H_SUCCESS);
    expect(v.hcall(H_INT_SYNC, 0, 0x1001)).toBe(H_P2);
    expect(v.hcall(H_INT_RESET, 1)).toBe(H_PARAMETER);
    expect(v.hcall(H_INT_RESET, 0)).toBe(H_SUCCESS);
    expect(r.esb.read(mgmt(0x1000, 0x800), 8)).toBe(1);
  });
});

describe("H_INT_* bad input", () => {
  it("random arguments answer with an H_* status (never throw) and a refused call changes nothing", async () => {
    const fc = (await import("fast-check")).default;
    const { dumpXiveState } = await import("./dump.js");
    const r = rig(2);
    const v = r.vm.vcpus[1];
    createSource(r, 0x1000);
    createSource(r, 0x1001, true);
    const ops = [H_INT_GET_SOURCE_INFO, H_INT_SET_SOURCE_CONFIG, H_INT_GET_SOURCE_CONFIG, H_INT_GET_QUEUE_INFO, H_INT_SET_QUEUE_CONFIG, H_INT_ESB, H_INT_SYNC];
    const arg = fc.oneof(fc.constantFrom(0, 1, 2, 6, 7, 16, 0xff, 0x1000, 0x1001, 0x1000_0000, -1, 2 ** 40), fc.integer());
    fc.assert(
      fc.property(fc.constantFrom(...ops), arg, arg, arg, arg, arg, (op, a0, a1, a2, a3, a4) => {
        const before = dumpXiveState(r.dev.xive);
        const rc = v.hcall(op, a0, a1, a2, a3, a4);
        expect(typeof rc).toBe("number");
        if (rc !== H_SUCCESS) expect(dumpXiveState(r.dev.xive)).toBe(before);
      }),
      { numRuns: 500 },
    );
  });
});
