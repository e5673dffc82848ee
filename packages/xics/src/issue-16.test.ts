// Regression tests for issue 16 in the XICS package: guest calls with bigint registers
// (normalised by core's hcall/RTAS dispatch) and restore as parse whole, then apply.
import { describe, expect, it } from "vitest";
import { createVm, errnoOf, Errno, KvmError } from "@irqlab/core";
import { H_CPPR, H_EOI, H_IPI, H_SUCCESS, H_XIRR } from "./constants.js";
import { xicsModule } from "./module.js";
import { restoreXics, saveXics, type XicsSnapshot } from "./snapshot.js";
import { icpWord, msi, xicsVm } from "./test-support.js";

describe("issue 16 #4: XICS guest calls with bigint registers", () => {
  it("issue-16 #4: H_CPPR / H_IPI / H_EOI / H_XIRR with bigint registers act as the numbers they hold", () => {
    const a = xicsVm(2);
    const b = xicsVm(2);
    msi(a.dev, 0x1000, 0, 5);
    msi(b.dev, 0x1000, 0, 5);
    expect(a.v[0].hcall(H_CPPR, 0xffn)).toBe(H_SUCCESS);
    expect(b.v[0].hcall(H_CPPR, 0xff)).toBe(H_SUCCESS);
    expect(a.v[1].hcall(H_IPI, 0n, 3n)).toBe(b.v[1].hcall(H_IPI, 0, 3));
    a.xics.setIrq(0x1000, 1);
    b.xics.setIrq(0x1000, 1);
    expect(a.v[0].hcall(H_XIRR)).toBe(b.v[0].hcall(H_XIRR));
    expect(a.v[0].hret[0]).toBe(b.v[0].hret[0]);
    expect(a.v[0].hcall(H_EOI, BigInt(a.v[0].hret[0]))).toBe(b.v[0].hcall(H_EOI, b.v[0].hret[0]));
    expect(icpWord(a.v[0])).toEqual(icpWord(b.v[0]));
  });

  it("issue-16 #4: rtas(\"ibm,get-xive\", null, …) and bigint cells answer a status, never throw", () => {
    const f = xicsVm(1);
    msi(f.dev, 0x1000, 0, 5);
    expect(f.v[0].rtas("ibm,get-xive", null, 3)).toEqual([-3, 0, 0]);
    expect(f.v[0].rtas("ibm,get-xive", [0x1000n], 3)).toEqual([0, 0, 5]);
    expect(f.v[0].rtas("ibm,set-xive", [0x1000n, 0n, 6n], 1)).toEqual([0]);
    expect(f.v[0].rtas("ibm,int-off", [Number.NaN], 1)).toEqual([-3]);
  });
});

describe("issue 16: XICS restore is parse whole, then apply", () => {
  it("issue-16: a snapshot with a sparse, unsorted, accessor or reserved-bit field is EINVAL and the VM is unchanged", () => {
    const f = xicsVm(2);
    msi(f.dev, 0x1000, 0, 5);
    msi(f.dev, 0x1001, 1, 5);
    const s = JSON.parse(JSON.stringify(saveXics(f.vm, f.dev))) as XicsSnapshot;
    const bad: unknown[] = [
      { ...s, sources: [s.sources[0], , s.sources[1]] },
      { ...s, sources: [s.sources[1], s.sources[0]] },
      { ...s, icps: [{ ...s.icps[0], state: s.icps[0].state.replace(/.$/, "1") }, s.icps[1]] },
      Object.defineProperty({ ...s }, "icps", { enumerable: true, get: () => { throw new Error("boom"); } }),
      Object.assign(Object.create(null), { ...s, format: Object.create(null) }),
    ];
    for (const b of bad) {
      const vm = createVm({ arch: "ppc64", vcpus: 2, modules: [xicsModule] });
      let e: unknown = null;
      try {
        restoreXics(vm, b as XicsSnapshot);
      } catch (x) {
        e = x;
      }
      expect(KvmError.is(e, Errno.EINVAL), String(e)).toBe(true);
      expect(vm.deviceList()).toHaveLength(0);
      expect(vm.vcpus.every((v) => v.irqchipKind === null)).toBe(true);
      restoreXics(vm, s);
      expect(errnoOf(() => restoreXics(vm, s))).toBe(Errno.EBUSY);
    }
  });
});
