import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno, createVm, encodeU64, errnoOf, KVM_CAP_IRQ_XICS } from "@irqlab/core";
import xicsModule, { H_CPPR, H_XIRR, KVM_REG_PPC_ICP_STATE, encodeIcpStateWord } from "./index.js";
import { fingerprint, icpOf, icpWord, msi, setIcpWord, srcState, xicsVm } from "./test-support.js";

const IRQ = 0x1000;

describe("ONE_REG KVM_REG_PPC_ICP_STATE", () => {
  it("[xics-1] a freshly connected vCPU reads back CPPR 0, XISR 0, MFRR 0xFF, PPRI 0xFF", () => {
    const f = xicsVm(2);
    for (const v of f.v) {
      expect(v.getOneRegU64(KVM_REG_PPC_ICP_STATE)).toBe(0x00000000ffff0000n);
      expect(icpWord(v)).toEqual({ cppr: 0, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
    }
    const buf = new Uint8Array(8);
    f.v[0].getOneReg(KVM_REG_PPC_ICP_STATE, buf);
    expect(Array.from(buf)).toEqual([0, 0, 0xff, 0xff, 0, 0, 0, 0]);
  });

  it("[xics-33] get/set on a vCPU with no in-kernel ICP is ENXIO (with or without an XICS device)", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 2, modules: [xicsModule] });
    expect(errnoOf(() => vm.vcpus[0].getOneRegU64(KVM_REG_PPC_ICP_STATE))).toBe(Errno.ENXIO);
    expect(errnoOf(() => vm.vcpus[0].setOneRegU64(KVM_REG_PPC_ICP_STATE, 0xffff0000n))).toBe(Errno.ENXIO);
    const d = vm.createDevice(3);
    vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [d, 0]);
    expect(errnoOf(() => vm.vcpus[1].getOneRegU64(KVM_REG_PPC_ICP_STATE))).toBe(Errno.ENXIO);
    expect(errnoOf(() => vm.vcpus[1].setOneReg(KVM_REG_PPC_ICP_STATE, encodeU64(0xffff0000n)))).toBe(Errno.ENXIO);
    d.close();
    expect(errnoOf(() => vm.vcpus[0].getOneRegU64(KVM_REG_PPC_ICP_STATE))).toBe(Errno.ENXIO);
    expect(errnoOf(() => vm.vcpus[0].getOneReg(KVM_REG_PPC_ICP_STATE, new Uint8Array(8)))).toBe(Errno.ENXIO);
  });

  it("[xics-32] set validation: XISR 0 needs PPRI 0xFF; XISR 2 needs PPRI == MFRR < CPPR; others PPRI < MFRR, PPRI < CPPR and an existing block", () => {
    const f = xicsVm(1);
    const v = f.v[0];
    const bad = [
      { cppr: 0xff, xisr: 0, mfrr: 0xff, pendingPri: 5 },
      { cppr: 0xff, xisr: 2, mfrr: 4, pendingPri: 5 },
      { cppr: 4, xisr: 2, mfrr: 4, pendingPri: 4 },
      { cppr: 0xff, xisr: IRQ, mfrr: 0xff, pendingPri: 5 }, // block missing
    ];
    for (const w of bad) expect(errnoOf(() => setIcpWord(v, w))).toBe(Errno.EINVAL);
    msi(f.dev, 0x1234, 0, 5); // allocates block 4 (0x1000..0x13ff); IRQ itself is not created
    setIcpWord(v, { cppr: 0xff, xisr: IRQ, mfrr: 0xff, pendingPri: 5 });
    expect(errnoOf(() => setIcpWord(v, { cppr: 5, xisr: IRQ, mfrr: 0xff, pendingPri: 5 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => setIcpWord(v, { cppr: 0xff, xisr: IRQ, mfrr: 5, pendingPri: 5 }))).toBe(Errno.EINVAL);
    setIcpWord(v, { cppr: 5, xisr: 2, mfrr: 4, pendingPri: 4 });
    setIcpWord(v, { cppr: 0, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
    expect(errnoOf(() => v.setOneReg(KVM_REG_PPC_ICP_STATE, new Uint8Array(7)))).toBe(Errno.EFAULT);
  });

  it("set installs the word, raises EE when it calls for it, and does not reject what it overwrites", () => {
    const f = xicsVm(1);
    msi(f.dev, IRQ, 0, 5);
    msi(f.dev, IRQ + 1, 0, 3);
    const v = f.v[0];
    v.hcall(H_CPPR, 0xff);
    f.xics.setIrq(IRQ, 1);
    setIcpWord(v, { cppr: 0xff, xisr: IRQ + 1, mfrr: 0xff, pendingPri: 3 });
    expect(icpWord(v)).toEqual({ cppr: 0xff, xisr: IRQ + 1, mfrr: 0xff, pendingPri: 3 });
    expect(v.ext.asserted).toBe(true);
    expect(srcState(f, IRQ)).toMatchObject({ resend: false, pq: 1 }); // not rejected
    setIcpWord(v, { cppr: 2, xisr: IRQ + 1, mfrr: 0xff, pendingPri: 1 });
    expect(v.ext.asserted).toBe(true);
    setIcpWord(v, { cppr: 0xff, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
    expect(v.ext.asserted).toBe(false);
  });

  it("set runs the resend scan when MFRR becomes less favoured and need_resend was set", () => {
    const f = xicsVm(1);
    msi(f.dev, IRQ, 0, 5);
    const v = f.v[0];
    setIcpWord(v, { cppr: 0xff, xisr: 0, mfrr: 3, pendingPri: 0xff }); // MFRR 3 < CPPR but XISR 0: no IPI
    f.xics.setIrq(IRQ, 1); // refused by MFRR 3
    expect(icpOf(f, v).needResend).toBe(1);
    setIcpWord(v, { cppr: 0xff, xisr: 0, mfrr: 2, pendingPri: 0xff }); // MFRR more favoured: kept, no scan
    expect(icpOf(f, v).needResend).toBe(1);
    expect(srcState(f, IRQ)!.resend).toBe(true);
    setIcpWord(v, { cppr: 0xff, xisr: 0, mfrr: 0xff, pendingPri: 0xff }); // raised: scan presents it
    expect(icpWord(v)).toMatchObject({ xisr: IRQ, pendingPri: 5 });
    v.hcall(H_XIRR);
    expect(v.hret[0]).toBe(0xff001000);
  });

  it("a rejected word changes nothing (property over random words)", () => {
    const f = xicsVm(2);
    msi(f.dev, IRQ, 0, 5);
    f.v[0].hcall(H_CPPR, 0xff);
    f.xics.setIrq(IRQ, 1);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat({ max: 1 }), (word, i) => {
        const before = fingerprint(f);
        const e = errnoOf(() => f.v[i].setOneRegU64(KVM_REG_PPC_ICP_STATE, word));
        if (e !== 0) {
          expect(e).toBe(Errno.EINVAL);
          expect(fingerprint(f)).toBe(before);
        } else {
          expect(f.v[i].getOneRegU64(KVM_REG_PPC_ICP_STATE)).toBe(word & ~0xffffn);
          setIcpWord(f.v[i], i === 0 ? { cppr: 0xff, xisr: IRQ, mfrr: 0xff, pendingPri: 5 } : { cppr: 0, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
        }
      }),
      { numRuns: 300 },
    );
    expect(encodeIcpStateWord(icpWord(f.v[0]))).toBe(0xff001000ff050000n);
  });
});
