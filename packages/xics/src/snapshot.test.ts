import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno, createVm, errnoOf } from "@irqlab/core";
import xicsModule, { H_CPPR, H_EOI, H_XIRR, restoreXics, saveXics, type XicsSnapshot } from "./index.js";
import { applyOp, guestStacks, icpWord, lossless, lsi, msi, opArb, opFixture, srcState, xicsVm, type Op, type XicsFixture } from "./test-support.js";

function restoreInto(snap: XicsSnapshot): XicsFixture {
  const vm = createVm({ arch: "ppc64", vcpus: 2, modules: [xicsModule] });
  const dev = restoreXics(vm, JSON.parse(JSON.stringify(snap)) as XicsSnapshot);
  const backend = dev.backend<import("./index.js").XicsDevice>();
  return { vm, dev, backend, xics: backend.xics, v: [...vm.vcpus] };
}

function listenAcks(f: XicsFixture): number[] {
  const acks: number[] = [];
  f.vm.ackNotifiers.subscribe((_c, pin) => acks.push(pin));
  return acks;
}

describe("save/restore through KVM's interfaces", () => {
  it("a snapshot is plain JSON: every source word and every ICP word, with a sanity field", () => {
    const f = xicsVm(2);
    msi(f.dev, 0x1000, 0, 5);
    lsi(f.dev, 0x1001, 1, 6);
    f.v[0].hcall(H_CPPR, 0xff);
    f.xics.setIrq(0x1000, 1);
    const snap = saveXics(f.vm, f.dev);
    expect(snap).toEqual({
      format: "irqlab.xics",
      version: 1,
      nrIrqs: 0x100000,
      icps: [
        { vcpu: 0, server: 0, state: "0xff001000ff050000" },
        { vcpu: 1, server: 1, state: "0x00000000ffff0000" },
      ],
      sources: [
        { irq: 0x1000, word: "0x0000080500000000" },
        { irq: 0x1001, word: "0x0000010600000001" },
      ],
    });
  });

  it("restore rejects a snapshot whose format, version, nrIrqs or words do not match (EINVAL, nothing created)", () => {
    const f = xicsVm(2);
    const snap = saveXics(f.vm, f.dev);
    const vm = createVm({ arch: "ppc64", vcpus: 2, modules: [xicsModule] });
    for (const bad of [
      { ...snap, format: "other" },
      { ...snap, version: 2 },
      { ...snap, nrIrqs: 1024 },
      { ...snap, icps: [{ vcpu: 5, server: 0, state: "0x0" }] },
      { ...snap, sources: [{ irq: 0x1000, word: "zz" }] },
    ]) {
      expect(errnoOf(() => restoreXics(vm, bad as XicsSnapshot))).toBe(Errno.EINVAL);
    }
    expect(vm.deviceList()).toHaveLength(0);
  });

  it("a presented MSI, an in-flight MSI with Q, a refused MSI, a masked-pending MSI and a pending IPI survive restore and are delivered alike", () => {
    const f = xicsVm(2);
    msi(f.dev, 0x1000, 0, 5);
    msi(f.dev, 0x1001, 0, 6);
    msi(f.dev, 0x1002, 1, 5);
    msi(f.dev, 0x1003, 0, 4);
    f.v[0].hcall(H_CPPR, 0xff);
    f.xics.setIrq(0x1000, 1); // presented on 0
    f.xics.setIrq(0x1001, 1); // refused (PPRI 5 < 6): resend
    f.xics.setIrq(0x1002, 1); // refused at CPPR 0 on vCPU 1
    f.v[0].rtas("ibm,int-off", [0x1003], 1);
    f.xics.setIrq(0x1003, 1); // masked pending
    f.v[0].hcall(0x6c, 1, 3); // MFRR 3 on vCPU 1 (CPPR 0: not presented)
    expect(lossless(f)).toBe(true);
    const g = restoreInto(saveXics(f.vm, f.dev));
    expect(saveXics(g.vm, g.dev)).toEqual(saveXics(f.vm, f.dev));
    expect(srcState(g, 0x1001)).toEqual(srcState(f, 0x1001));
    expect(g.v[0].ext.asserted).toBe(true);
    const run = (x: XicsFixture) => {
      const acks = listenAcks(x);
      const seen: string[] = [];
      seen.push(applyOp(x, { k: "service", vcpu: 0, deassert: false }, acks));
      seen.push(applyOp(x, { k: "service", vcpu: 0, deassert: false }, acks));
      seen.push(applyOp(x, { k: "rtas", name: "ibm,int-on", args: [0x1003], nret: 1 }, acks));
      seen.push(applyOp(x, { k: "service", vcpu: 0, deassert: false }, acks));
      seen.push(applyOp(x, { k: "hcall", vcpu: 1, op: H_CPPR, a0: 0xff, a1: 0 }, acks));
      seen.push(applyOp(x, { k: "service", vcpu: 1, deassert: false }, acks));
      seen.push(applyOp(x, { k: "service", vcpu: 1, deassert: false }, acks));
      return seen;
    };
    expect(run(g)).toEqual(run(f));
  });

  it("a presented LSI is restored as presented, without a stale resend (PENDING dropped for XISR sources)", () => {
    const f = xicsVm(1);
    lsi(f.dev, 0x1000, 0, 5);
    f.v[0].hcall(H_CPPR, 0xff);
    f.xics.setIrq(0x1000, 1);
    const g = restoreInto(saveXics(f.vm, f.dev));
    expect(srcState(g, 0x1000)).toEqual(srcState(f, 0x1000));
    for (const x of [f, g]) {
      x.v[0].hcall(H_XIRR);
      x.xics.setIrq(0x1000, 0);
      x.v[0].hcall(H_EOI, x.v[0].hret[0]);
    }
    expect(icpWord(g.v[0])).toEqual(icpWord(f.v[0]));
    expect(icpWord(g.v[0]).xisr).toBe(0);
  });

  it("a restored VM can be snapshotted and restored again (pitfall: the second snapshot breaks)", () => {
    const f = xicsVm(2);
    msi(f.dev, 0x1000, 0, 5);
    msi(f.dev, 0x1001, 0, 6);
    f.v[0].hcall(H_CPPR, 0xff);
    f.xics.setIrq(0x1000, 1);
    f.xics.setIrq(0x1001, 1);
    const g = restoreInto(saveXics(f.vm, f.dev));
    g.v[0].hcall(H_XIRR);
    f.v[0].hcall(H_XIRR);
    const h = restoreInto(saveXics(g.vm, g.dev));
    for (const x of [f, g, h]) x.v[0].hcall(H_EOI, 0xff001000);
    expect(saveXics(h.vm, h.dev)).toEqual(saveXics(f.vm, f.dev));
    expect(icpWord(h.v[0])).toEqual({ cppr: 0xff, xisr: 0x1001, mfrr: 0xff, pendingPri: 6 });
    expect(h.v[0].ext.asserted).toBe(true);
  });

  it("KVM limit: an LSI in service (accepted, not EOIed) comes back marked for resend and is presented once more after a de-assert", () => {
    const f = xicsVm(1);
    lsi(f.dev, 0x1000, 0, 5);
    f.v[0].hcall(H_CPPR, 0xff);
    f.xics.setIrq(0x1000, 1);
    f.v[0].hcall(H_XIRR); // in service
    expect(lossless(f)).toBe(false);
    const g = restoreInto(saveXics(f.vm, f.dev));
    expect(srcState(g, 0x1000)!.resend).toBe(true);
    for (const x of [f, g]) {
      x.xics.setIrq(0x1000, 0);
      x.v[0].hcall(H_EOI, 0xff001000);
    }
    expect(icpWord(f.v[0]).xisr).toBe(0);
    expect(icpWord(g.v[0]).xisr).toBe(0x1000); // the spurious presentation KVM's words cannot avoid
  });

  it("restored VMs deliver exactly what the original would have (property: random reachable states, random continuations)", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40, size: "max" }), fc.array(opArb, { minLength: 1, maxLength: 30, size: "max" }), (prefix, cont) => {
        // the longest lossless prefix (every state before it was reachable the same way)
        const probe = opFixture();
        const sink: number[] = [];
        let k = 0;
        prefix.forEach((op, i) => {
          applyOp(probe, op, sink);
          if (lossless(probe)) k = i + 1;
        });
        const a = opFixture();
        const acksA = listenAcks(a);
        for (const op of prefix.slice(0, k)) applyOp(a, op, acksA);
        const snap = saveXics(a.vm, a.dev);
        const b = restoreInto(snap);
        const acksB = listenAcks(b);
        guestStacks(a).forEach((st, i) => guestStacks(b)[i].push(...st)); // the guest's own memory migrates too
        expect(saveXics(b.vm, b.dev)).toEqual(snap);
        for (const v of [...a.v, ...b.v]) v.hret.fill(0);
        acksA.length = 0;
        cont.forEach((op: Op, i: number) => {
          expect([i, applyOp(b, op, acksB)]).toEqual([i, applyOp(a, op, acksA)]);
        });
        expect(saveXics(b.vm, b.dev)).toEqual(saveXics(a.vm, a.dev));
      }),
      { numRuns: Number(process.env.XICS_RUNS ?? 150) },
    );
  });

  it("the random prefixes reach the interesting states (resend, masked-pending, Q, presented IPI, LSI) — generator sanity", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40, size: "max" }), (ops) => {
        const f = opFixture();
        const sink: number[] = [];
        for (const op of ops) {
          applyOp(f, op, sink);
          if (!lossless(f)) continue;
          for (const irq of f.xics.ics.existing()) {
            const s = srcState(f, irq)!;
            if (s.resend) seen.add("resend");
            if (s.maskedPending) seen.add("masked-pending");
            if (s.pq === 3) seen.add("Q");
            if (s.lsi && s.pq === 1) seen.add("lsi-P");
          }
          for (const icp of f.xics.icps()) if (icp.xisr === 2) seen.add("ipi");
        }
      }),
      { numRuns: 100 },
    );
    expect([...seen].sort()).toEqual(["Q", "ipi", "lsi-P", "masked-pending", "resend"]);
  });
});
