import { describe, expect, it } from "vitest";
import { Errno, KVM_DEV_TYPE_FLIC, KvmError } from "@irqlab/core";
import {
  iscToIntWord,
  KVM_DEV_FLIC_APF_DISABLE_WAIT,
  KVM_DEV_FLIC_APF_ENABLE,
  KVM_DEV_FLIC_GET_ALL_IRQS,
  KVM_S390_INT_IO,
  KVM_S390_IO_ADAPTER_MASK,
} from "./constants.js";
import type { FlicDevice } from "./flic-device.js";
import { getAllIrqs, restoreFlic, saveFlic, type FlicSnapshot } from "./snapshot.js";
import { ioIrq, mchkIrq, pfaultDoneIrq, serviceIrq, virtioIrq, type S390Irq } from "./structs.js";
import { aisAllGet, aisAllSet, enableAll, enqueue, errnoOf, fixture, getAllBytes, makeVm, modify, register } from "./test-support/vm.js";

const io = (isc: number, nr: number): S390Irq =>
  ioIrq(KVM_S390_INT_IO(0, 0, 0, nr), { subchannelId: 1, subchannelNr: nr, ioIntParm: nr, ioIntWord: iscToIntWord(isc) });

function source() {
  const f = fixture({ vcpus: 2, ais: true });
  enableAll(f.dev, f.vm);
  register(f.flic, { id: 0, isc: 3, maskable: 1, swap: 1, flags: 1 });
  register(f.flic, { id: 9, isc: 6, maskable: 1, swap: 0, flags: 0 });
  modify(f.flic, { id: 9, type: KVM_S390_IO_ADAPTER_MASK, mask: 1 });
  aisAllSet(f.flic, 0x10, 0x00);
  f.flic.setAttr({ group: KVM_DEV_FLIC_APF_ENABLE, attr: 0 });
  enqueue(f.flic, [io(5, 1), io(0, 2), virtioIrq(1, 2n), pfaultDoneIrq(3n), serviceIrq(0x8001), mchkIrq(0x10000000n, 7n), io(5, 3)]);
  f.flic.setAttr({ group: 10, attr: 0 }); // AIRQ_INJECT adapter 0: SINGLE -> NO
  return f;
}

function fresh(ais = true) {
  const vm = makeVm({ vcpus: 2, ais });
  const flic = vm.createDevice(KVM_DEV_TYPE_FLIC);
  return { vm, flic, dev: flic.backend<FlicDevice>() };
}

function deliveries(dev: FlicDevice, vcpu: number): unknown[] {
  const out: unknown[] = [];
  for (let d = dev.deliver(vcpu); d; d = dev.deliver(vcpu)) out.push(d.toJSON());
  return out;
}

describe("save/restore", () => {
  it("GET_ALL_IRQS -> ENQUEUE round-trips the whole list, adapters, AIS and APF; the restored VM delivers the same interrupts in the same order", () => {
    const a = source();
    const snap: FlicSnapshot = JSON.parse(JSON.stringify(saveFlic(a.flic)));
    expect(snap.count).toBe(8);
    const b = fresh();
    restoreFlic(b.flic, snap);
    expect(getAllBytes(b.flic)).toEqual(getAllBytes(a.flic));
    expect(b.dev.adapters()).toEqual(a.dev.adapters());
    expect(aisAllGet(b.flic)).toEqual({ simm: 0x10, nimm: 0x10 });
    expect(b.dev.apfEnabled).toBe(true);
    expect(b.dev.vcpuControl(1)).toEqual(a.dev.vcpuControl(1));
    // Re-presented: the restored vCPUs see the pending interrupts without any new injection.
    expect(b.vm.vcpus.map((v) => [v.ext.asserted, v.mcheck.asserted])).toEqual([
      [true, true],
      [true, true],
    ]);
    const da = deliveries(a.dev, 1);
    const db = deliveries(b.dev, 1);
    expect(da.length).toBe(9); // service signal with event bits counts twice
    expect(db).toEqual(da);
  });

  it("the restored AIS and adapter state behave the same (suppression, masking)", () => {
    const a = source();
    const b = fresh();
    restoreFlic(b.flic, saveFlic(a.flic));
    for (const x of [a, b]) {
      x.flic.setAttr({ group: 10, attr: 0 }); // suppressed: ISC 3 is in NO mode
      x.flic.setAttr({ group: 10, attr: 9 }); // not suppressible: queued
    }
    expect(getAllBytes(b.flic)).toEqual(getAllBytes(a.flic));
    const chipA = a.vm.irqchips.byIndex(0)!;
    const chipB = b.vm.irqchips.byIndex(0)!;
    const r = { indAddr: 0x8000, summaryAddr: 0x9000, indOffset: 1, summaryOffset: 1, adapterId: 9 };
    expect(chipB.deliverAdapter!(r, 1)).toBe(chipA.deliverAdapter!(r, 1)); // masked: 1, no interrupt
    expect(getAllBytes(b.flic)).toEqual(getAllBytes(a.flic));
  });

  it("a second snapshot of the restored VM equals the first (nothing cached outside the controller)", () => {
    const a = source();
    const s1 = saveFlic(a.flic);
    const b = fresh();
    restoreFlic(b.flic, s1);
    const s2 = saveFlic(b.flic);
    expect(s2).toEqual(s1);
    const c = fresh();
    restoreFlic(c.flic, s2);
    expect(deliveries(c.dev, 0)).toEqual(deliveries(a.dev, 0));
  });

  it("save disables async page faults before reading the list (APF_DISABLE_WAIT first) and re-enables them", () => {
    const a = source();
    const groups: number[] = [];
    const orig = a.flic.setAttr.bind(a.flic);
    const origGet = a.flic.getAttr.bind(a.flic);
    a.flic.setAttr = (arg) => (groups.push(Number(arg!.group)), orig(arg));
    a.flic.getAttr = (arg) => (groups.push(-Number(arg!.group)), origGet(arg));
    saveFlic(a.flic);
    expect(groups.indexOf(KVM_DEV_FLIC_APF_DISABLE_WAIT)).toBeLessThan(groups.indexOf(-KVM_DEV_FLIC_GET_ALL_IRQS));
    expect(groups.at(-1)).toBe(KVM_DEV_FLIC_APF_ENABLE);
    expect(a.dev.apfEnabled).toBe(true);
  });

  it("[pitfall: GET_ALL_IRQS is ENOMEM when the buffer is too small] reading the list retries with a larger buffer", () => {
    const { flic } = fixture();
    const many = Array.from({ length: 300 }, (_, i) => io(i % 8, i + 1));
    enqueue(flic, many);
    const { count, bytes } = getAllIrqs(flic);
    expect(count).toBe(300);
    expect(bytes.length).toBe(300 * 72);
  });

  it("refuses mismatched snapshots with EINVAL (or EOPNOTSUPP for AIS state without the facility) before changing anything", () => {
    const snap = saveFlic(source().flic);
    const b = fresh();
    expect(errnoOf(() => restoreFlic(b.flic, { ...snap, version: 2 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => restoreFlic(b.flic, { ...snap, endian: "le" }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => restoreFlic(b.flic, { ...snap, count: 7 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => restoreFlic(b.flic, { ...snap, irqs: "zz" }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => restoreFlic(b.flic, { ...snap, vcpus: [] }))).toBe(Errno.EINVAL);
    const noAis = fresh(false);
    expect(errnoOf(() => restoreFlic(noAis.flic, snap))).toBe(Errno.EOPNOTSUPP);
    expect(b.dev.adapters()).toEqual([]);
    expect(noAis.dev.adapters()).toEqual([]);
    expect(getAllBytes(b.flic).length).toBe(0);
  });
});

describe("save/restore pitfalls", () => {
  it("[pitfall: pending interrupts lost across restore] a pending SIGP emergency signal (vCPU-local) survives save/restore", () => {
    const a = fixture({ vcpus: 3 });
    enableAll(a.dev, a.vm);
    a.dev.emergencySignal(2, 1);
    a.dev.emergencySignal(0, 1);
    const snap: FlicSnapshot = JSON.parse(JSON.stringify(saveFlic(a.flic)));
    const vm = makeVm({ vcpus: 3 });
    const b = vm.createDevice(KVM_DEV_TYPE_FLIC);
    const bdev = b.backend<FlicDevice>();
    restoreFlic(b, snap);
    // Re-presented without any new injection.
    expect(vm.vcpu(1).ext.asserted).toBe(true);
    expect(vm.vcpu(0).ext.asserted).toBe(false);
    const da = deliveries(a.dev, 1);
    expect(da).toMatchObject([
      { kind: "emergency", cpuAddr: 0 },
      { kind: "emergency", cpuAddr: 2 },
    ]);
    expect(deliveries(bdev, 1)).toEqual(da);
  });

  it("[pitfall: crash on bad input] a malformed snapshot is EINVAL (never a TypeError/SyntaxError) and restores nothing", () => {
    const snap = saveFlic(source().flic);
    const bad: unknown[] = [
      null,
      { ...snap, irqs: null },
      { ...snap, adapters: null },
      { ...snap, adapters: [...snap.adapters, { id: 64, isc: 0, maskable: false, masked: false, swap: false, suppressible: false }] },
      { ...snap, adapters: [...snap.adapters, snap.adapters[0]] },
      { ...snap, adapters: [{ ...snap.adapters[0], isc: 256 }] },
      { ...snap, ais: { simm: 0x100, nimm: 0 } },
      { ...snap, vcpus: snap.vcpus!.map((c, i) => (i === 1 ? { ...c, cr0: "zz" } : c)) },
      { ...snap, vcpus: snap.vcpus!.map((c, i) => (i === 1 ? { ...c, cr6: "-1" } : c)) },
      { ...snap, vcpus: snap.vcpus!.map((c) => ({ ...c, emergency: [5] })) },
      { ...snap, vcpus: [null, null] },
      // A record with a vCPU-only type: ENQUEUE would refuse it after the adapters were registered.
      { ...snap, count: 1, irqs: Buffer.from(new Uint8Array(72).fill(0xff)).toString("hex") },
    ];
    for (const s of bad) {
      const b = fresh();
      let err: unknown;
      try {
        restoreFlic(b.flic, s as FlicSnapshot);
      } catch (e) {
        err = e;
      }
      expect(KvmError.is(err, Errno.EINVAL), `${JSON.stringify(s, (_k, v) => (typeof v === "bigint" ? String(v) : v))?.slice(0, 80)}: ${String(err)}`).toBe(true);
      expect(b.dev.adapters()).toEqual([]);
      expect(getAllBytes(b.flic).length).toBe(0);
      expect(aisAllGet(b.flic)).toEqual({ simm: 0, nimm: 0 });
      expect(b.dev.vcpuControl(0).cr0).toBe(0n);
    }
  });

  it("[pitfall: state changed by a failing call] restoring into a FLIC that already holds state is EBUSY and changes nothing", () => {
    const snap = saveFlic(source().flic);
    const b = fresh();
    register(b.flic, { id: 9, isc: 1 });
    expect(errnoOf(() => restoreFlic(b.flic, snap))).toBe(Errno.EBUSY);
    expect(b.dev.adapters().map((x) => x.id)).toEqual([9]);
    expect(getAllBytes(b.flic).length).toBe(0);
    const c = fresh();
    enqueue(c.flic, [io(1, 1)]);
    expect(errnoOf(() => restoreFlic(c.flic, snap))).toBe(Errno.EBUSY);
    expect(c.dev.adapters()).toEqual([]);
    expect(getAllBytes(c.flic).length).toBe(72);
  });
});
