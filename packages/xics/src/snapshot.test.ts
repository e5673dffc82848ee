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

  it("a failing restore changes nothing (pitfall: state changed by a failing call): malformed snapshots are EINVAL, never a TypeError", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 2, modules: [xicsModule] });
    const base = { format: "irqlab.xics", version: 1, nrIrqs: 0x100000 };
    const idle = "0x00000000ffff0000";
    const cases: Array<[unknown, number]> = [
      [{ ...base, icps: null, sources: [] }, Errno.EINVAL],
      [{ ...base, icps: [], sources: {} }, Errno.EINVAL],
      [{ ...base, icps: [], sources: [null] }, Errno.EINVAL],
      [{ ...base, icps: [null], sources: [] }, Errno.EINVAL],
      [{ ...base, icps: [{ vcpu: 0, server: "0", state: idle }], sources: [] }, Errno.EINVAL],
      [{ ...base, icps: [{ vcpu: 0, server: -1, state: idle }], sources: [] }, Errno.EINVAL],
      // each of these used to fail half-way, leaving the XICS created and vCPUs connected
      [{ ...base, icps: [{ vcpu: 0, server: 0, state: idle }, { vcpu: 1, server: 0, state: idle }], sources: [] }, Errno.EINVAL],
      [{ ...base, icps: [{ vcpu: 0, server: 0, state: idle }, { vcpu: 0, server: 1, state: idle }], sources: [] }, Errno.EINVAL],
      [{ ...base, icps: [{ vcpu: 0, server: 0, state: idle }], sources: [{ irq: 0x1000, word: "0x0000000500000007" }] }, Errno.EINVAL],
    ];
    for (const [bad, errno] of cases) {
      expect(errnoOf(() => restoreXics(vm, bad as XicsSnapshot))).toBe(errno);
      expect(vm.deviceList()).toHaveLength(0);
      expect(vm.vcpus.map((v) => v.irqchipKind)).toEqual([null, null]);
    }
    // a masked source (priority field 0xFF) may name a server without ICP, as KVM allows
    const ok = { ...base, icps: [{ vcpu: 0, server: 0, state: idle }], sources: [{ irq: 0x1000, word: "0x000002ff00000007" }] };
    expect(errnoOf(() => restoreXics(vm, ok as XicsSnapshot).close())).toBe(0);
    // a failure that only KVM can see (vCPU 1 already attached elsewhere) is rolled back too
    const other = createVm({ arch: "ppc64", vcpus: 2, modules: [xicsModule] });
    other.vcpus[1].attachIrqchip("other", 0, {});
    const two = { ...base, icps: [{ vcpu: 0, server: 0, state: idle }, { vcpu: 1, server: 1, state: idle }], sources: [] };
    expect(errnoOf(() => restoreXics(other, two as XicsSnapshot))).toBe(Errno.EBUSY);
    expect(other.deviceList()).toHaveLength(0);
    expect(other.vcpus[0].irqchipKind).toBe(null);
    expect(errnoOf(() => other.createDevice(3))).toBe(0); // the failed restore left no XICS behind
  });

  it("save checks its descriptor: EBADF once closed (even while a dup keeps the device alive), EINVAL for another VM's XICS", () => {
    const f = xicsVm(2);
    const dup = f.dev.dup();
    f.dev.close();
    expect(errnoOf(() => saveXics(f.vm, f.dev))).toBe(Errno.EBADF);
    const other = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsModule] });
    expect(errnoOf(() => saveXics(other, dup))).toBe(Errno.EINVAL);
    expect(saveXics(f.vm, dup).icps).toHaveLength(2);
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

  it("KVM limits: the other states KVM's words cannot carry (an unrestorable ICP word, flags without P, never-created sources)", () => {
    // an ICP whose pending priority is not below its CPPR (H_CPPR 0x105, quirk 39): KVM_SET_ONE_REG refuses its own word
    const a = xicsVm(1);
    msi(a.dev, 0x1000, 0, 0x10);
    a.v[0].hcall(H_CPPR, 0xff);
    a.xics.setIrq(0x1000, 1);
    a.v[0].hcall(H_CPPR, 0x105);
    const snapA = saveXics(a.vm, a.dev);
    expect(lossless(a)).toBe(false);
    const vmA = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsModule] });
    expect(errnoOf(() => restoreXics(vmA, snapA))).toBe(Errno.EINVAL);
    expect(vmA.deviceList()).toHaveLength(0);

    // an MSI marked resend whose P a (software-error) EOI cleared: PENDING restores as P, so a new trigger coalesces
    const b = xicsVm(1);
    msi(b.dev, 0x1000, 0, 5);
    b.v[0].hcall(H_CPPR, 5);
    b.xics.setIrq(0x1000, 1); // refused: resend, P
    b.v[0].hcall(H_EOI, 0x05001000); // P -> 0, resend stays
    expect(srcState(b, 0x1000)).toMatchObject({ resend: true, pq: 0 });
    expect(lossless(b)).toBe(false);
    const b2 = restoreInto(saveXics(b.vm, b.dev));
    expect(srcState(b2, 0x1000)).toMatchObject({ resend: true, pq: 1 });
    for (const x of [b, b2]) x.xics.setIrq(0x1000, 1);
    expect(srcState(b, 0x1000)!.pq).toBe(1); // original: a fresh trigger (presented again later)
    expect(srcState(b2, 0x1000)!.pq).toBe(3); // restored: coalesced into Q

    // an LSI masked while asserted, then de-asserted: its masked-pending flag is not in the word (PENDING = P for an LSI)
    const c = xicsVm(1);
    lsi(c.dev, 0x1000, 0, 5);
    c.v[0].hcall(H_CPPR, 0xff);
    c.v[0].rtas("ibm,int-off", [0x1000], 1);
    c.xics.setIrq(0x1000, 1);
    c.xics.setIrq(0x1000, 0);
    expect(srcState(c, 0x1000)).toMatchObject({ maskedPending: true, pq: 0 });
    const c2 = restoreInto(saveXics(c.vm, c.dev));
    for (const x of [c, c2]) x.v[0].rtas("ibm,int-on", [0x1000], 1);
    expect(icpWord(c.v[0]).xisr).toBe(0x1000); // original: the unmask presents it (KVM delivers on masked_pending alone)
    expect(icpWord(c2.v[0]).xisr).toBe(0); // restored: nothing to deliver

    // RTAS settings of a never-created source in an allocated block: attribute get is ENOENT, so they are not saved
    const d = xicsVm(1);
    msi(d.dev, 0x1000, 0, 5);
    d.v[0].rtas("ibm,set-xive", [0x1001, 0, 7], 1);
    const d2 = restoreInto(saveXics(d.vm, d.dev));
    expect(d.v[0].rtas("ibm,get-xive", [0x1001], 3)).toEqual([0, 0, 7]);
    expect(d2.v[0].rtas("ibm,get-xive", [0x1001], 3)).toEqual([0, 0, 0xff]);
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
