import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { errnoOf, Errno } from "@irqlab/core";
import { H_XIRR, H_EOI, H_IPI, H_CPPR, KVM_REG_PPC_ICP_STATE, KVM_DEV_XICS_GRP_SOURCES } from "@irqlab/xics";
import { getSrc, icpWord, openCppr, queued, ready, setSrc, xrig, xv } from "./xox-rig.js";

describe("XICS-on-XIVE save / restore (§8)", () => {
  it("[xox-22] ONE_REG ICP_STATE get returns XISR 0 and PPRI 0xFF always", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    r.x.setIrq(16, 1);
    r.vm.vcpus[0].hcall(H_XIRR); // 16 presented: CPPR 5
    r.vm.vcpus[1].hcall(H_IPI, 0, 7);
    const w = icpWord(r, 0);
    expect(w).toBe((5n << 56n) | (7n << 24n) | (0xffn << 16n));
    expect((w >> 32n) & 0xffffffn).toBe(0n);
    // A vCPU with no XICS-on-XIVE vCPU: ENXIO from the generic ONE_REG code.
    const n = xrig(2, {}, false);
    expect(errnoOf(() => n.vm.vcpus[0].getOneRegU64(KVM_REG_PPC_ICP_STATE))).toBe(Errno.ENXIO);
  });

  it("[xox-23] ICP_STATE set: MFRR < CPPR triggers the vCPU IPI; XISR of a valid source triggers it; an unknown one is deferred to set_source as PENDING", () => {
    const r = xrig();
    ready(r, 16, 0, 5);
    const v = r.vm.vcpus[0];
    v.setOneRegU64(KVM_REG_PPC_ICP_STATE, (0xffn << 56n) | (5n << 24n));
    expect(xv(r, 0)).toMatchObject({ cppr: 0xff, hwCppr: 0xff, mfrr: 5, ipiPq: 0b10 });
    expect(v.ext.asserted).toBe(true);
    v.setOneRegU64(KVM_REG_PPC_ICP_STATE, (0xffn << 56n) | (16n << 32n) | (0xffn << 24n));
    expect(queued(r, 0, 5)).toEqual([16]);
    v.setOneRegU64(KVM_REG_PPC_ICP_STATE, (0xffn << 56n) | (0x20n << 32n) | (0xffn << 24n));
    expect(xv(r, 0).delayedIrq).toBe(0x20);
    expect(r.x.delayedIrqs).toBe(1);
    setSrc(r, 0x20, { server: 0, priority: 5 });
    expect(r.x.delayedIrqs).toBe(0);
    expect(xv(r, 0).delayedIrq).toBe(0);
    expect(queued(r, 0, 5)).toEqual([16, 0x20]);
    // EIO while the context is pushed.
    xv(r, 0).pushed = true;
    expect(errnoOf(() => v.setOneRegU64(KVM_REG_PPC_ICP_STATE, 0n))).toBe(Errno.EIO);
    expect(xv(r, 0).mfrr).toBe(0xff);
  });

  it("quirk §9.6: the CPPR restored by ONE_REG is not priority-mapped", () => {
    const r = xrig();
    r.vm.vcpus[0].setOneRegU64(KVM_REG_PPC_ICP_STATE, (0x80n << 56n) | (0xffn << 24n));
    expect(xv(r, 0).cppr).toBe(0x80);
    r.vm.vcpus[0].hcall(H_CPPR, 0x80);
    expect(xv(r, 0).cppr).toBe(6);
  });

  it("[xox-24] the first get_source masks all, scans the queues and unmasks; after all valid sources were read in_queue is cleared", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    ready(r, 17, 1, 5);
    r.x.setIrq(16, 1);
    expect(getSrc(r, 16)).toMatchObject({ pending: true, presented: true, queued: false, masked: false, priority: 5 });
    expect(r.x.savedSrcCount).toBe(1);
    expect(r.x.sourceState(16)).toMatchObject({ inQueue: true, guestPriority: 5, ipiPq: 0b10 });
    expect(r.x.sourceState(17)).toMatchObject({ guestPriority: 5, ipiPq: 0b00 });
    expect(getSrc(r, 17)).toMatchObject({ pending: false, presented: false, queued: false, masked: false, server: 1 });
    expect(r.x.savedSrcCount).toBe(0);
    expect(r.x.sourceState(16)!.inQueue).toBe(false);
    // The queue was not consumed: the guest still gets it.
    r.vm.vcpus[0].hcall(H_XIRR);
    expect(r.vm.vcpus[0].hret[0]).toBe(0xff000010);
  });

  it("[xox-25] a queued MSI saves as PENDING; restored unmasked it re-fires exactly once; restored masked it fires once when unmasked", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    r.x.setIrq(16, 1);
    const buf = new Uint8Array(8);
    r.h.getAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: 16, addr: buf });
    const w = getSrc(r, 16);
    expect(w.pending).toBe(true);

    const a = xrig();
    openCppr(a);
    a.h.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: 16, addr: buf });
    expect(queued(a, 0, 5)).toEqual([16]);
    expect(a.x.sourceState(16)!.ipiPq).toBe(0b10);
    a.vm.vcpus[0].hcall(H_XIRR);
    expect(a.vm.vcpus[0].hret[0]).toBe(0xff000010);
    a.vm.vcpus[0].hcall(H_EOI, 0xff000010);
    expect(queued(a, 0, 5)).toEqual([]);
    expect(a.x.sourceState(16)!.ipiPq).toBe(0b00);

    const b = xrig();
    openCppr(b);
    setSrc(b, 16, { ...w, masked: true });
    expect(queued(b, 0, 5)).toEqual([]);
    expect(b.vm.vcpus[0].rtas("ibm,int-on", [16], 1)[0]).toBe(0);
    expect(queued(b, 0, 5)).toEqual([16]);
  });

  it("[xox-26] get_source of an LSI reports PENDING from its saved P, never PRESENTED or QUEUED", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5, true);
    r.x.setIrq(16, 1);
    r.x.setIrq(16, 1); // Q too
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b11);
    const w = getSrc(r, 16);
    expect(w).toMatchObject({ levelSensitive: true, pending: true, presented: false, queued: false });
  });

  it("quirk §9.9: a masked MSI with Q reports PENDING only when the saved priority is 0xFF too", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    ready(r, 17, 1, 5);
    for (const irq of [16, 17]) {
      r.x.setIrq(irq, 1);
      r.x.setIrq(irq, 1); // PQ 11
    }
    r.vm.vcpus[0].hcall(H_XIRR); // the entries leave the queues: only P and Q remain
    r.vm.vcpus[1].hcall(H_XIRR);
    r.vm.vcpus[0].rtas("ibm,int-off", [16], 1); // old P/Q captured, saved_priority 5
    r.vm.vcpus[0].rtas("ibm,set-xive", [17, 1, 0xff], 1); // saved_priority 0xFF
    expect(getSrc(r, 16)).toMatchObject({ masked: true, presented: true, queued: true, pending: false, priority: 5 });
    expect(getSrc(r, 17)).toMatchObject({ masked: true, presented: true, queued: true, pending: true, priority: 0xff });
  });

  it("get_source of a missing or invalid source is ENOENT; an EFAULT comes after the snapshot bookkeeping (KVM order)", () => {
    const r = xrig();
    ready(r, 16, 0, 5);
    ready(r, 17, 0, 5);
    expect(errnoOf(() => r.h.getAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: 18, addr: new Uint8Array(8) }))).toBe(Errno.ENOENT);
    expect(errnoOf(() => r.h.getAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: 0x5000, addr: new Uint8Array(8) }))).toBe(Errno.ENOENT);
    expect(r.x.savedSrcCount).toBe(0);
    expect(errnoOf(() => r.h.getAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: 16, addr: null }))).toBe(Errno.EFAULT);
    expect(r.x.savedSrcCount).toBe(1);
  });

  it("save every source and the ICPs, restore into a fresh VM: the same interrupts are then delivered", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(16, 17, 18, 19), { maxLength: 8 }), fc.boolean(), (fires, maskOne) => {
        const r = xrig();
        openCppr(r);
        ready(r, 16, 0, 5);
        ready(r, 17, 1, 3);
        ready(r, 18, 0, 9);
        ready(r, 19, 1, 5, true);
        if (maskOne) r.vm.vcpus[0].rtas("ibm,int-off", [18], 1);
        for (const f of fires) r.x.setIrq(f, 1);
        const words = [16, 17, 18, 19].map((irq) => {
          const buf = new Uint8Array(8);
          r.h.getAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: irq, addr: buf });
          return buf;
        });
        const icps = r.vm.vcpus.map((v) => v.getOneRegU64(KVM_REG_PPC_ICP_STATE));
        const drain = (x: ReturnType<typeof xrig>) => {
          const seen: number[] = [];
          for (const v of x.vm.vcpus) {
            for (let n = 0; n < 20; n++) {
              v.hcall(H_XIRR);
              const xirr = v.hret[0];
              if ((xirr & 0xffffff) === 0) break;
              seen.push(xirr & 0xffffff);
              v.hcall(H_EOI, xirr);
            }
          }
          return [...new Set(seen)].sort();
        };
        const f = xrig();
        [16, 17, 18, 19].forEach((irq, k) => f.h.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: irq, addr: words[k] }));
        f.vm.vcpus.forEach((v, k) => v.setOneRegU64(KVM_REG_PPC_ICP_STATE, icps[k]));
        // The same sources are delivered (a queued + Q-set MSI restores as one occurrence: §8.2).
        const expected = drain(r);
        expect(drain(f)).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });
});
