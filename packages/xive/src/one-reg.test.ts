import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { createVm, errnoOf, Errno, KVM_DEV_TYPE_XICS } from "@irqlab/core";
import xicsModule from "@irqlab/xics";
import { decodeVpState, encodeVpState } from "./codecs.js";
import { KVM_REG_PPC_VP_STATE } from "./constants.js";
import { createXiveModule } from "./module.js";
import { ready, rig, trig, OS } from "./test-support.js";

describe("ONE_REG KVM_REG_PPC_VP_STATE", () => {
  it("after connect the image is KVM's 00 00 00 00 FF 00 00 00 (bytes in the user buffer, NSR first)", () => {
    const r = rig(1);
    const buf = new Uint8Array(16).fill(0x55);
    r.vm.vcpus[0].getOneReg(KVM_REG_PPC_VP_STATE, buf);
    expect([...buf.subarray(0, 8)]).toEqual([0, 0, 0, 0, 0xff, 0, 0, 0]);
    expect(decodeVpState(r.vm.vcpus[0].getOneRegU64(KVM_REG_PPC_VP_STATE))).toEqual({ nsr: 0, cppr: 0, ipb: 0, lsmfb: 0, ackCnt: 0xff, inc: 0, age: 0, pipr: 0 });
  });

  it("[xive-33] on a vCPU never connected to a XIVE device get/set answer ENXIO (not ENOENT)", () => {
    const r = rig(2, {}, false);
    const v = r.vm.vcpus[1];
    expect(errnoOf(() => v.getOneRegU64(KVM_REG_PPC_VP_STATE))).toBe(Errno.ENXIO);
    expect(errnoOf(() => v.setOneRegU128(KVM_REG_PPC_VP_STATE, 0n))).toBe(Errno.ENXIO);
    const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsModule, createXiveModule()] });
    const x = vm.createDevice(KVM_DEV_TYPE_XICS);
    vm.vcpus[0].enableCap(92, [x, 0]);
    expect(errnoOf(() => vm.vcpus[0].getOneRegU64(KVM_REG_PPC_VP_STATE))).toBe(Errno.ENXIO);
  });

  it("[xive-29] VP_STATE on a vCPU not in native mode (XICS-on-XIVE) is EPERM; set while pushed is EBUSY", () => {
    const r = rig(1);
    const v = r.vm.vcpus[0];
    const xv = r.dev.xive.servers.get(0)!;
    xv.pushed = true;
    const before = v.getOneRegU64(KVM_REG_PPC_VP_STATE);
    expect(errnoOf(() => v.setOneRegU128(KVM_REG_PPC_VP_STATE, 1n << 64n))).toBe(Errno.EBUSY);
    expect(v.getOneRegU64(KVM_REG_PPC_VP_STATE)).toBe(before);
    xv.pushed = false;
    xv.native = false;
    expect(errnoOf(() => v.getOneRegU64(KVM_REG_PPC_VP_STATE))).toBe(Errno.EPERM);
    expect(errnoOf(() => v.setOneRegU128(KVM_REG_PPC_VP_STATE, 0n))).toBe(Errno.EPERM);
  });

  it("[xive-30] get ORs the IPB the firmware recorded in the NVT into byte 2", () => {
    const r = rig(1);
    ready(r, 3, 0, 5, 3);
    const v = r.vm.vcpus[0];
    r.tima.write(OS + 0x812, 1, 1, v);
    const xv = r.dev.xive.servers.get(0)!;
    xv.undispatch();
    r.esb.write(trig(3), 8, 0);
    const s = decodeVpState(v.getOneRegU64(KVM_REG_PPC_VP_STATE));
    expect(s.ipb).toBe(0x40 | 0x04);
    expect(xv.regs[0x12]).toBe(0x40);
  });

  it("set stores word 0 verbatim (round trip in both byte orders) and re-raises a signalled line", () => {
    for (const endian of ["le", "be"] as const) {
      const vm = createVm({ arch: "ppc64", vcpus: 1, endian, modules: [createXiveModule()] });
      const h = vm.createDevice(9);
      const v = vm.vcpus[0];
      v.enableCap(169, [h, 0]);
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (w0) => {
          v.setOneRegU128(KVM_REG_PPC_VP_STATE, w0 << 64n);
          expect(v.getOneRegU64(KVM_REG_PPC_VP_STATE)).toBe(w0 << 64n);
          const s = decodeVpState(w0 << 64n, endian);
          expect(encodeVpState(s, endian)).toBe(w0 << 64n);
          expect(v.ext.asserted).toBe((s.nsr & 0x80) !== 0);
        }),
        { numRuns: 100 },
      );
      const buf = new Uint8Array(16);
      v.setOneRegU128(KVM_REG_PPC_VP_STATE, encodeVpState({ nsr: 0x80, cppr: 6, ipb: 0x02, lsmfb: 0, ackCnt: 0xff, inc: 0, age: 0, pipr: 6 }, endian));
      v.getOneReg(KVM_REG_PPC_VP_STATE, buf);
      expect([...buf.subarray(0, 8)]).toEqual([0x80, 6, 2, 0, 0xff, 0, 0, 6]);
    }
  });
});
