import { describe, expect, it } from "vitest";
import { createVm, Errno, KVM_DEV_TYPE_FLIC, KvmError } from "@irqlab/core";
import {
  KVM_CAP_S390_AIS,
  KVM_CAP_S390_AIS_MIGRATION,
  KVM_DEV_FLIC_ADAPTER_MODIFY,
  KVM_DEV_FLIC_ADAPTER_REGISTER,
  KVM_DEV_FLIC_AIRQ_INJECT,
  KVM_DEV_FLIC_AISM,
  KVM_DEV_FLIC_AISM_ALL,
  KVM_DEV_FLIC_APF_DISABLE_WAIT,
  KVM_DEV_FLIC_APF_ENABLE,
  KVM_DEV_FLIC_CLEAR_IO_IRQ,
  KVM_DEV_FLIC_CLEAR_IRQS,
  KVM_DEV_FLIC_ENQUEUE,
  KVM_DEV_FLIC_GET_ALL_IRQS,
  KVM_S390_AIS_MODE_SINGLE,
  KVM_S390_INT_IO,
  KVM_S390_INT_PFAULT_DONE,
  KVM_S390_INT_PFAULT_INIT,
  KVM_S390_INT_SERVICE,
  KVM_S390_INT_VIRTIO,
  KVM_S390_IO_ADAPTER_MAP,
  KVM_S390_IO_ADAPTER_MASK,
  KVM_S390_IO_ADAPTER_UNMAP,
  KVM_S390_MAX_FLOAT_IRQS,
  KVM_S390_MAX_PFAULT_IRQS,
  KVM_S390_MAX_VIRTIO_IRQS,
  KVM_S390_MCHK,
  KVM_S390_PROGRAM_INT,
  SIZEOF_KVM_S390_IRQ,
  iscToIntWord,
} from "./constants.js";
import { createFlicModule } from "./module.js";
import { enableS390Cap, kvmS390Interrupt } from "./s390-vm.js";
import {
  encodeS390Interrupt,
  encodeS390Irqs,
  ioIrq,
  mchkIrq,
  pfaultDoneIrq,
  rawIrq,
  serviceIrq,
  virtioIrq,
  type S390Irq,
} from "./structs.js";
import {
  aisAllGet,
  aisAllSet,
  aism,
  enqueue,
  errnoOf,
  fixture,
  getAll,
  getAllBytes,
  modify,
  register,
  enableAll as enableAllFor,
} from "./test-support/vm.js";

const io = (isc: number, schid: number, parm = 0): S390Irq =>
  ioIrq(KVM_S390_INT_IO(0, 0, 0, schid & 0xffff), {
    subchannelId: schid >>> 16,
    subchannelNr: schid & 0xffff,
    ioIntParm: parm,
    ioIntWord: iscToIntWord(isc),
  });

describe("FLIC device creation", () => {
  it("[flic-1, devapi-10] a second FLIC is EINVAL, also after the first descriptor was closed", () => {
    const { vm, flic } = fixture();
    expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_FLIC))).toBe(Errno.EINVAL);
    flic.close();
    expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_FLIC))).toBe(Errno.EINVAL);
    // The test flag does not reach create.
    expect(vm.createDevice(KVM_DEV_TYPE_FLIC, { test: true })).toBeUndefined();
    expect(vm.deviceList().length).toBe(1);
  });

  it("FLIC is an s390x device only", () => {
    const ppc = createVm({ arch: "ppc64", vcpus: 1, modules: [createFlicModule()] });
    expect(errnoOf(() => ppc.createDevice(KVM_DEV_TYPE_FLIC))).toBe(Errno.ENODEV);
  });

  it("registers the s390 irqchip on create and removes it at VM destruction", () => {
    const { vm } = fixture();
    const chip = vm.irqchips.byIndex(0);
    expect(chip?.name).toBe("flic");
    expect(chip?.pins).toBe(1);
    vm.destroy();
    expect(vm.irqchips.size).toBe(0);
  });

  it("[flic-33] KVM_CHECK_EXTENSION is 1 for KVM_CAP_S390_AIS and KVM_CAP_S390_AIS_MIGRATION", () => {
    const { vm } = fixture();
    expect(vm.checkExtension(KVM_CAP_S390_AIS)).toBe(1);
    expect(vm.checkExtension(KVM_CAP_S390_AIS_MIGRATION)).toBe(1);
  });
});

describe("attribute dispatch", () => {
  it("[flic-2] [pitfall: FLIC answers EINVAL, not ENXIO, for an unknown group] has_attr is 0 for groups 1..11 and ENXIO for 12; set/get of group 12 are EINVAL", () => {
    const { flic } = fixture();
    for (let g = 1; g <= 11; g++) {
      expect(flic.hasAttr({ group: g, attr: 0 })).toBe(0);
      expect(flic.hasAttr({ group: g, attr: 0xffffffffn })).toBe(0);
    }
    expect(errnoOf(() => flic.hasAttr({ group: 12, attr: 0 }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => flic.hasAttr({ group: 0, attr: 0 }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => flic.setAttr({ group: 12, attr: 0 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => flic.getAttr({ group: 12, attr: 0 }))).toBe(Errno.EINVAL);
  });

  it("[flic-3] set_attr(GET_ALL_IRQS) and get_attr(ENQUEUE) are EINVAL", () => {
    const { flic } = fixture();
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: 72, addr: new Uint8Array(72) }))).toBe(
      Errno.EINVAL,
    );
    expect(errnoOf(() => flic.getAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: 72, addr: new Uint8Array(72) }))).toBe(Errno.EINVAL);
    for (const g of [2, 3, 4, 5, 6, 7, 8, 9, 10]) expect(errnoOf(() => flic.getAttr({ group: g, attr: 0 }))).toBe(Errno.EINVAL);
  });

  it("APF_ENABLE and APF_DISABLE_WAIT return 0 and toggle async page faults", () => {
    const { flic, dev } = fixture();
    expect(flic.setAttr({ group: KVM_DEV_FLIC_APF_ENABLE, attr: 0 })).toBe(0);
    expect(dev.apfEnabled).toBe(true);
    expect(flic.setAttr({ group: KVM_DEV_FLIC_APF_DISABLE_WAIT, attr: 99 })).toBe(0);
    expect(dev.apfEnabled).toBe(false);
  });
});

describe("ENQUEUE", () => {
  it("[flic-4] attr 71 and 0x2000010 are EINVAL; attr 0 succeeds and changes nothing", () => {
    const { flic } = fixture();
    const buf = new Uint8Array(0x2000010);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: 71, addr: buf }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: 0x2000010, addr: buf }))).toBe(Errno.EINVAL);
    expect(flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: 0, addr: null })).toBe(0);
    expect(getAll(flic)).toEqual([]);
  });

  it("[flic-5] one PFAULT_INIT record is EINVAL", () => {
    const { flic } = fixture();
    const buf = encodeS390Irqs([{ kind: "ext", type: KVM_S390_INT_PFAULT_INIT, ext: { extParams: 0, extParams2: 1n } }]);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: 72, addr: buf }))).toBe(Errno.EINVAL);
    expect(getAll(flic)).toEqual([]);
  });

  it("[flic-6] a PROGRAM_INT second record is EINVAL and the first record stays queued", () => {
    const { flic } = fixture();
    const buf = encodeS390Irqs([virtioIrq(0x11, 0x22n), rawIrq(KVM_S390_PROGRAM_INT)]);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: buf.length, addr: buf }))).toBe(Errno.EINVAL);
    const all = getAll(flic);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ kind: "ext", type: KVM_S390_INT_VIRTIO, ext: { extParams: 0x11, extParams2: 0x22n } });
  });

  it("a type above 32 bits is EINVAL", () => {
    const { flic } = fixture();
    const buf = encodeS390Irqs([rawIrq(0x1_0000_0000n)]);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: 72, addr: buf }))).toBe(Errno.EINVAL);
  });

  it("a negative length whose u64 value is a multiple of 72 runs until a record fails (kernel conversion rules)", () => {
    const { flic } = fixture();
    // attr 0xFFFFFFF0 -> len = -16; (2^64 - 16) % 72 === 0 and -16 <= 32 MiB.
    expect((2n ** 64n - 16n) % 72n).toBe(0n);
    const buf = encodeS390Irqs([virtioIrq(1), virtioIrq(2)]);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: 0xfffffff0, addr: buf }))).toBe(Errno.EFAULT);
    expect(getAll(flic)).toHaveLength(2);
  });
});

describe("byte order", () => {
  it("ENQUEUE -> GET_ALL_IRQS round-trips every payload kind byte for byte in a big- and a little-endian VM", () => {
    for (const endian of ["be", "le"] as const) {
      const vm = createVm({ arch: "s390x", vcpus: 1, endian, modules: [createFlicModule()] });
      const flic = vm.createDevice(KVM_DEV_TYPE_FLIC);
      const recs: S390Irq[] = [
        io(5, 0x00012345, 0xcafef00d),
        { kind: "ext", type: KVM_S390_INT_PFAULT_DONE, ext: { extParams: 0x01020304, pad: 0x05060708, extParams2: 0x1122334455667788n } },
        { kind: "ext", type: KVM_S390_INT_VIRTIO, ext: { extParams: 0x0a0b0c0d, pad: 0x0e0f1011, extParams2: 0x8877665544332211n } },
        serviceIrq(0x1234567f),
        mchkIrq(0x10000000n, 0x8000_0000_0000_0001n),
      ];
      const buf = encodeS390Irqs(recs, endian);
      expect(flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: buf.length, addr: buf })).toBe(0);
      const out = new Uint8Array(buf.length);
      expect(flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: out.length, addr: out })).toBe(5);
      // The service slot keeps only the event bits and the SCCB address (bit 2 is dropped).
      const expected = encodeS390Irqs([...recs.slice(0, 3), serviceIrq(0x1234567b), recs[4]], endian);
      expect(out).toEqual(expected);
    }
  });
});

describe("GET_ALL_IRQS", () => {
  const situation = () => {
    const f = fixture();
    const A = io(3, 0x00010001, 0xa);
    const B = io(1, 0x00010002, 0xb);
    const C = io(3, 0x00010003, 0xc);
    const V = virtioIrq(0x5, 0x55n);
    const S = serviceIrq(0x1000);
    enqueue(f.flic, [A, B, C, V, S]);
    return { ...f, A, B, C, V, S };
  };

  it("[flic-7] returns 5 items in the order B, A, C, V, S with a 5-record buffer", () => {
    const { flic, A, B, C, V } = situation();
    const buf = new Uint8Array(5 * 72);
    expect(flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: 5 * 72, addr: buf })).toBe(5);
    const got = getAll(flic);
    expect(got[0]).toEqual(B);
    expect(got[1]).toEqual(A);
    expect(got[2]).toEqual(C);
    expect(got[3]).toMatchObject({ kind: "ext", type: KVM_S390_INT_VIRTIO, ext: V.kind === "ext" ? { ...V.ext, pad: 0 } : {} });
    expect(got[4]).toMatchObject({ kind: "ext", type: KVM_S390_INT_SERVICE, ext: { extParams: 0x1000, pad: 0, extParams2: 0n } });
  });

  it("[flic-8] a 4-record buffer is ENOMEM and nothing is written; attr 0 and 0x2000001 are EINVAL", () => {
    const { flic } = situation();
    const buf = new Uint8Array(4 * 72).fill(0xee);
    expect(errnoOf(() => flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: 4 * 72, addr: buf }))).toBe(Errno.ENOMEM);
    expect(buf.every((b) => b === 0xee)).toBe(true);
    expect(errnoOf(() => flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: 0, addr: buf }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: 0x2000001, addr: buf }))).toBe(Errno.EINVAL);
    // Nothing was removed either.
    expect(getAll(flic)).toHaveLength(5);
  });

  it("[flic-9] with nothing pending and attr 72 it returns 0", () => {
    const { flic } = fixture();
    expect(flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: 72, addr: new Uint8Array(72) })).toBe(0);
    // No copy happens for 0 items: even an unreadable buffer is fine.
    expect(flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: 72, addr: null })).toBe(0);
  });

  it("[flic-10] two consecutive calls return identical data (nothing is removed)", () => {
    const { flic } = situation();
    const a = getAllBytes(flic);
    const b = getAllBytes(flic);
    expect(a.length).toBe(5 * 72);
    expect(b).toEqual(a);
  });

  it("a buffer shorter than the items is EFAULT", () => {
    const { flic } = situation();
    expect(errnoOf(() => flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: 10 * 72, addr: new Uint8Array(100) }))).toBe(
      Errno.EFAULT,
    );
  });

  it("pfault-done items come before virtio items, machine check last", () => {
    const { flic } = fixture();
    enqueue(flic, [mchkIrq(0x10000000n, 1n), virtioIrq(1), pfaultDoneIrq(0x77n), serviceIrq(0x2000), io(7, 1)]);
    expect(getAll(flic).map((i) => i.type)).toEqual([
      KVM_S390_INT_IO(0, 0, 0, 1),
      KVM_S390_INT_PFAULT_DONE,
      KVM_S390_INT_VIRTIO,
      KVM_S390_INT_SERVICE,
      KVM_S390_MCHK,
    ]);
  });
});

describe("queue limits and merged slots", () => {
  it("[flic-11] the 266251st I/O, the 87382nd virtio and the 16321st pfault-done interrupt are EBUSY", () => {
    const { flic, dev } = fixture();
    const fill = (rec: S390Irq, n: number) => {
      const one = encodeS390Irqs([rec]);
      const buf = new Uint8Array(n * SIZEOF_KVM_S390_IRQ);
      for (let i = 0; i < n; i++) buf.set(one, i * SIZEOF_KVM_S390_IRQ);
      return flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: buf.length, addr: buf });
    };
    // I/O: the limit is over all ISCs together.
    expect(fill(io(2, 1), KVM_S390_MAX_FLOAT_IRQS - 1)).toBe(0);
    expect(fill(io(6, 2), 1)).toBe(0);
    expect(errnoOf(() => fill(io(0, 3), 1))).toBe(Errno.EBUSY);
    expect(fill(virtioIrq(1), KVM_S390_MAX_VIRTIO_IRQS)).toBe(0);
    expect(errnoOf(() => fill(virtioIrq(2), 1))).toBe(Errno.EBUSY);
    expect(fill(pfaultDoneIrq(1n), KVM_S390_MAX_PFAULT_IRQS)).toBe(0);
    expect(errnoOf(() => fill(pfaultDoneIrq(2n), 1))).toBe(Errno.EBUSY);
    expect(dev.counters()).toMatchObject({
      queuedIo: KVM_S390_MAX_FLOAT_IRQS,
      queuedVirtio: KVM_S390_MAX_VIRTIO_IRQS,
      queuedPfault: KVM_S390_MAX_PFAULT_IRQS,
      rejected: 3,
    });
    // Service and machine check are merged slots with no limit.
    expect(enqueue(flic, [serviceIrq(0x1000), mchkIrq(0n, 1n)])).toBe(0);
  });

  it("[flic-12] service signals 0x1000 and 0x2000 leave one item 0x1000; a later 0x1 makes it 0x1001", () => {
    const { flic } = fixture();
    enqueue(flic, [serviceIrq(0x1000), serviceIrq(0x2000)]);
    let all = getAll(flic);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ type: KVM_S390_INT_SERVICE, ext: { extParams: 0x1000 } });
    enqueue(flic, [serviceIrq(0x1)]);
    all = getAll(flic);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ type: KVM_S390_INT_SERVICE, ext: { extParams: 0x1001 } });
  });

  it("[flic-32] a SERVICE record with ext_params 0x4 leaves one SERVICE item with ext_params 0", () => {
    const { flic } = fixture();
    expect(enqueue(flic, [serviceIrq(0x4)])).toBe(0);
    const all = getAll(flic);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ type: KVM_S390_INT_SERVICE, ext: { extParams: 0, extParams2: 0n } });
  });

  it("[flic-13] machine checks cr14 0x10000000/mcic 1 and cr14 0x0F000000/mcic 2 merge to cr14 0x10000000, mcic 3", () => {
    const { flic } = fixture();
    enqueue(flic, [mchkIrq(0x10000000n, 0x1n), mchkIrq(0x0f000000n, 0x2n)]);
    const all = getAll(flic);
    expect(all).toHaveLength(1);
    expect(all[0].kind).toBe("mchk");
    if (all[0].kind === "mchk") {
      expect(all[0].mchk.cr14).toBe(0x10000000n);
      expect(all[0].mchk.mcic).toBe(0x3n);
      expect(all[0].mchk.failingStorageAddress).toBe(0n);
    }
  });
});

describe("CLEAR_IRQS and CLEAR_IO_IRQ", () => {
  it("[flic-14] CLEAR_IRQS returns 0, empties the list and keeps adapters and AIS modes", () => {
    const { flic, dev } = fixture({ vcpus: 0, ais: true });
    register(flic, { id: 3, isc: 2, maskable: 1, flags: 1 });
    aism(flic, 2, KVM_S390_AIS_MODE_SINGLE);
    enqueue(flic, [io(1, 5), virtioIrq(1), serviceIrq(0x1003), mchkIrq(0x10000000n, 1n), pfaultDoneIrq(9n)]);
    expect(flic.setAttr({ group: KVM_DEV_FLIC_CLEAR_IRQS, attr: 0 })).toBe(0);
    expect(flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: 72, addr: new Uint8Array(72) })).toBe(0);
    expect(dev.adapters()).toEqual([{ id: 3, isc: 2, maskable: true, masked: false, swap: false, suppressible: true }]);
    expect(aisAllGet(flic)).toEqual({ simm: 0x20, nimm: 0 });
  });

  it("[flic-15] CLEAR_IO_IRQ: attr 8, flags 1 and word 0 are EINVAL; an unmatched word returns 0", () => {
    const { flic } = fixture();
    enqueue(flic, [io(1, 0x00010005)]);
    const word = (w: number) => Uint8Array.of(w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_CLEAR_IO_IRQ, attr: 8, addr: word(0x00010005) }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_CLEAR_IO_IRQ, attr: 4, flags: 1, addr: word(0x00010005) }))).toBe(
      Errno.EINVAL,
    );
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_CLEAR_IO_IRQ, attr: 4, addr: word(0) }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_CLEAR_IO_IRQ, attr: 4, addr: null }))).toBe(Errno.EFAULT);
    expect(flic.setAttr({ group: KVM_DEV_FLIC_CLEAR_IO_IRQ, attr: 4, addr: word(0x00010009) })).toBe(0);
    expect(getAll(flic)).toHaveLength(1);
  });

  it("[flic-16] with the same subchannel queued on ISC 2 and ISC 0, CLEAR_IO_IRQ removes only the ISC 0 one", () => {
    const { flic } = fixture();
    const onIsc2 = io(2, 0x00010007, 2);
    const onIsc0 = io(0, 0x00010007, 0);
    enqueue(flic, [onIsc2, onIsc0]);
    expect(
      flic.setAttr({ group: KVM_DEV_FLIC_CLEAR_IO_IRQ, attr: 4, addr: Uint8Array.of(0x00, 0x01, 0x00, 0x07) }),
    ).toBe(0);
    expect(getAll(flic)).toEqual([onIsc2]);
  });
});

describe("adapters", () => {
  it("[flic-17] ADAPTER_REGISTER: id 64 is EINVAL, id 5 twice is EINVAL, id 63 succeeds", () => {
    const { flic, dev } = fixture();
    expect(errnoOf(() => register(flic, { id: 64 }))).toBe(Errno.EINVAL);
    expect(register(flic, { id: 5, isc: 3 })).toBe(0);
    expect(errnoOf(() => register(flic, { id: 5, isc: 4 }))).toBe(Errno.EINVAL);
    expect(register(flic, { id: 63 })).toBe(0);
    expect(dev.adapters().map((a) => [a.id, a.isc])).toEqual([
      [5, 3],
      [63, 0],
    ]);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_ADAPTER_REGISTER, attr: 0, addr: new Uint8Array(7) }))).toBe(Errno.EFAULT);
  });

  it("ADAPTER_REGISTER keeps the isc as given (not range-checked) and treats any non-zero byte as true", () => {
    const { flic, dev } = fixture();
    expect(register(flic, { id: 1, isc: 200, maskable: 7, swap: 2, flags: 0xfe })).toBe(0);
    expect(dev.adapters()[0]).toEqual({ id: 1, isc: 200, maskable: true, masked: false, swap: true, suppressible: false });
  });

  it("[flic-18] ADAPTER_MODIFY: unregistered id and MASK of a non-maskable adapter are EINVAL; MAP/UNMAP return 0; type 4 EINVAL", () => {
    const { flic, dev } = fixture();
    register(flic, { id: 2, maskable: 0 });
    register(flic, { id: 4, maskable: 1 });
    expect(errnoOf(() => modify(flic, { id: 3, type: KVM_S390_IO_ADAPTER_MASK, mask: 1 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => modify(flic, { id: 99, type: KVM_S390_IO_ADAPTER_MAP }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => modify(flic, { id: 2, type: KVM_S390_IO_ADAPTER_MASK, mask: 1 }))).toBe(Errno.EINVAL);
    expect(modify(flic, { id: 2, type: KVM_S390_IO_ADAPTER_MAP, addr: 0x1000n })).toBe(0);
    expect(modify(flic, { id: 2, type: KVM_S390_IO_ADAPTER_UNMAP, addr: 0x1000n })).toBe(0);
    expect(errnoOf(() => modify(flic, { id: 2, type: 4 }))).toBe(Errno.EINVAL);
    expect(modify(flic, { id: 4, type: KVM_S390_IO_ADAPTER_MASK, mask: 5 })).toBe(0);
    expect(dev.adapters().find((a) => a.id === 4)?.masked).toBe(true);
    expect(modify(flic, { id: 4, type: KVM_S390_IO_ADAPTER_MASK, mask: 0 })).toBe(0);
    expect(dev.adapters().find((a) => a.id === 4)?.masked).toBe(false);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_ADAPTER_MODIFY, attr: 0, addr: new Uint8Array(15) }))).toBe(Errno.EFAULT);
  });

  it("[flic-24] AIRQ_INJECT with an unregistered adapter id is EINVAL", () => {
    const { flic } = fixture();
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 7 }))).toBe(Errno.EINVAL);
    register(flic, { id: 7 });
    // attr is truncated to 32 bits: 2^32 + 7 names adapter 7.
    expect(flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 0x1_0000_0007n })).toBe(0);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 64 }))).toBe(Errno.EINVAL);
    expect(getAll(flic)).toHaveLength(1);
  });
});

describe("AIS", () => {
  it("[flic-19] AISM and AISM_ALL get/set are EOPNOTSUPP without KVM_CAP_S390_AIS; AISM_ALL get with attr 1 is EINVAL first", () => {
    const { flic } = fixture();
    expect(errnoOf(() => aism(flic, 3, 0))).toBe(Errno.EOPNOTSUPP);
    expect(errnoOf(() => aisAllGet(flic))).toBe(Errno.EOPNOTSUPP);
    expect(errnoOf(() => aisAllSet(flic, 0, 0))).toBe(Errno.EOPNOTSUPP);
    // Checked before the facility (and before the buffer).
    expect(errnoOf(() => flic.getAttr({ group: KVM_DEV_FLIC_AISM_ALL, attr: 1, addr: null }))).toBe(Errno.EINVAL);
    // The facility is checked before the payload is read.
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_AISM, attr: 0, addr: null }))).toBe(Errno.EOPNOTSUPP);
  });

  it("[flic-20] enabling KVM_CAP_S390_AIS after creating a vCPU is EBUSY; before any vCPU it succeeds", () => {
    const withVcpu = fixture({ vcpus: 1 });
    expect(errnoOf(() => enableS390Cap(withVcpu.vm, KVM_CAP_S390_AIS))).toBe(Errno.EBUSY);
    expect(errnoOf(() => aism(withVcpu.flic, 0, 0))).toBe(Errno.EOPNOTSUPP);
    const noVcpu = fixture({ vcpus: 0 });
    expect(errnoOf(() => enableS390Cap(noVcpu.vm, KVM_CAP_S390_AIS, 1))).toBe(Errno.EINVAL);
    enableS390Cap(noVcpu.vm, KVM_CAP_S390_AIS);
    expect(aism(noVcpu.flic, 0, KVM_S390_AIS_MODE_SINGLE)).toBe(0);
    expect(aisAllGet(noVcpu.flic)).toEqual({ simm: 0x80, nimm: 0 });
  });

  it("[flic-21] with AIS, AISM isc 8 and AISM mode 2 are EINVAL", () => {
    const { flic } = fixture({ ais: true });
    expect(errnoOf(() => aism(flic, 8, 0))).toBe(Errno.EINVAL);
    expect(errnoOf(() => aism(flic, 3, 2))).toBe(Errno.EINVAL);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_AISM, attr: 0, addr: new Uint8Array(3) }))).toBe(Errno.EFAULT);
    expect(aisAllGet(flic)).toEqual({ simm: 0, nimm: 0 });
  });

  it("AISM_ALL set writes both masks verbatim; get needs a 2-byte buffer", () => {
    const { flic } = fixture({ ais: true });
    expect(aisAllSet(flic, 0xa5, 0x5a)).toBe(0);
    expect(aisAllGet(flic)).toEqual({ simm: 0xa5, nimm: 0x5a });
    expect(errnoOf(() => flic.getAttr({ group: KVM_DEV_FLIC_AISM_ALL, attr: 2, addr: new Uint8Array(1) }))).toBe(Errno.EFAULT);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_AISM_ALL, attr: 2, addr: null }))).toBe(Errno.EFAULT);
  });

  it("[flic-22] SINGLE mode on ISC 3: one injection queues 0x04000000/0x98000000, the next is suppressed, simm = nimm = 0x10, AISM SINGLE re-arms", () => {
    const { flic, dev } = fixture({ ais: true });
    register(flic, { id: 1, isc: 3, flags: 1 });
    expect(aism(flic, 3, KVM_S390_AIS_MODE_SINGLE)).toBe(0);
    expect(flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 1 })).toBe(0);
    let all = getAll(flic);
    expect(all).toHaveLength(1);
    expect(all[0]).toEqual(ioIrq(0x04000000, { subchannelId: 0, subchannelNr: 0, ioIntParm: 0, ioIntWord: 0x98000000 }));
    expect(flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 1 })).toBe(0);
    expect(getAll(flic)).toHaveLength(1);
    expect(aisAllGet(flic)).toEqual({ simm: 0x10, nimm: 0x10 });
    expect(dev.counters().aisSuppressed).toBe(1);
    expect(aism(flic, 3, KVM_S390_AIS_MODE_SINGLE)).toBe(0);
    expect(flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 1 })).toBe(0);
    expect(flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 1 })).toBe(0);
    all = getAll(flic);
    expect(all).toHaveLength(2);
    expect(aisAllGet(flic)).toEqual({ simm: 0x10, nimm: 0x10 });
  });

  it("[flic-23] a non-suppressible adapter is never suppressed, whatever simm/nimm are", () => {
    const { flic } = fixture({ ais: true });
    register(flic, { id: 2, isc: 5, flags: 0 });
    for (const [simm, nimm] of [
      [0, 0],
      [0xff, 0],
      [0xff, 0xff],
      [0, 0xff],
    ]) {
      aisAllSet(flic, simm, nimm);
      flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 2 });
      expect(aisAllGet(flic)).toEqual({ simm, nimm });
    }
    expect(getAll(flic)).toHaveLength(4);
  });

  it("[flic-34] isc 3 without SUPPRESSIBLE, AIS on, ISC 3 in NO mode: every AIRQ_INJECT queues 0x98000000", () => {
    const { flic } = fixture({ ais: true });
    register(flic, { id: 0, isc: 3, flags: 0 });
    aisAllSet(flic, 0x10, 0x10);
    for (let i = 1; i <= 3; i++) {
      expect(flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 0 })).toBe(0);
      const all = getAll(flic);
      expect(all).toHaveLength(i);
      expect(all[i - 1]).toMatchObject({ kind: "io", type: 0x04000000, io: { ioIntWord: 0x98000000 } });
    }
  });

  it("without the AIS facility a suppressible adapter is injected every time", () => {
    const { flic } = fixture({ ais: false });
    register(flic, { id: 0, isc: 3, flags: 1 });
    flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 0 });
    flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 0 });
    expect(getAll(flic)).toHaveLength(2);
  });

  it("an adapter with isc > 7 queues on isc & 7 with bit 30 set and is never suppressed", () => {
    const { flic } = fixture({ ais: true });
    register(flic, { id: 0, isc: 11, flags: 1 });
    aisAllSet(flic, 0xff, 0xff);
    flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 0 });
    const all = getAll(flic);
    expect(all).toHaveLength(1);
    // 0x80000000 | (11 << 27) truncated to 32 bits.
    expect(all[0]).toMatchObject({ io: { ioIntWord: 0xd8000000 } });
    expect(aisAllGet(flic)).toEqual({ simm: 0xff, nimm: 0xff });
  });
});

describe("KVM_S390_INTERRUPT on the VM", () => {
  it("converts VIRTIO, SERVICE, PFAULT_DONE, MCHK and I/O and refuses vCPU types with EINVAL", () => {
    const { vm, flic } = fixture();
    const s = (type: number, parm: number, parm64: bigint) => kvmS390Interrupt(vm, encodeS390Interrupt({ type, parm, parm64 }));
    s(KVM_S390_INT_VIRTIO, 1, 2n);
    s(KVM_S390_INT_SERVICE, 0x1000, 0n);
    s(KVM_S390_INT_PFAULT_DONE, 0, 0x99n);
    s(KVM_S390_MCHK, 0x10000000, 4n);
    s(KVM_S390_INT_IO(0, 0, 0, 7), 0x00010007, (0xabcdn << 32n) | 0x90000000n);
    expect(errnoOf(() => s(KVM_S390_PROGRAM_INT, 0, 0n))).toBe(Errno.EINVAL);
    expect(errnoOf(() => kvmS390Interrupt(vm, new Uint8Array(15)))).toBe(Errno.EFAULT);
    const all = getAll(flic);
    expect(all.map((i) => i.kind)).toEqual(["io", "ext", "ext", "ext", "mchk"]);
    expect(all[0]).toMatchObject({ io: { subchannelId: 1, subchannelNr: 7, ioIntParm: 0xabcd, ioIntWord: 0x90000000 } });
    expect(all[1]).toMatchObject({ type: KVM_S390_INT_PFAULT_DONE, ext: { extParams2: 0x99n } });
    expect(all[2]).toMatchObject({ type: KVM_S390_INT_VIRTIO, ext: { extParams: 1, extParams2: 2n } });
  });
});

describe("errors", () => {
  it("errors are KvmErrors naming the bad input", () => {
    const { flic } = fixture();
    try {
      flic.setAttr({ group: KVM_DEV_FLIC_ADAPTER_REGISTER, attr: 0, addr: Uint8Array.of(0, 0, 0, 64, 0, 0, 0, 0) });
      expect.unreachable();
    } catch (e) {
      expect(KvmError.is(e, Errno.EINVAL)).toBe(true);
      expect((e as Error).message).toContain("64");
    }
  });
});

describe("AIS ordering", () => {
  it("an AISM SINGLE re-arm issued by code reacting to the injected interrupt (vCPU line callback) is not undone by the SINGLE -> NO update", () => {
    // KVM holds ais_lock across the injection and the nimm update: the re-arm comes after both.
    const { vm, flic, dev } = fixture({ ais: true });
    enableAllFor(dev, vm);
    register(flic, { id: 1, isc: 3, flags: 1 });
    aism(flic, 3, KVM_S390_AIS_MODE_SINGLE);
    const off = vm.vcpu(0).ext.onChange((up) => {
      if (!up) return;
      dev.deliver(0);
      aism(flic, 3, KVM_S390_AIS_MODE_SINGLE);
    });
    expect(flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 1 })).toBe(0);
    expect(aisAllGet(flic)).toEqual({ simm: 0x10, nimm: 0 });
    off();
    // Re-armed: the next injection is delivered, then ISC 3 is in NO mode.
    expect(flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 1 })).toBe(0);
    expect(getAll(flic)).toHaveLength(1);
    expect(aisAllGet(flic)).toEqual({ simm: 0x10, nimm: 0x10 });
  });

  it("a SINGLE-mode injection refused at the queue limit leaves the ISC armed", () => {
    const { flic, dev } = fixture({ ais: true });
    register(flic, { id: 1, isc: 3, flags: 1 });
    aism(flic, 3, KVM_S390_AIS_MODE_SINGLE);
    for (let i = 0; i < KVM_S390_MAX_FLOAT_IRQS; i++) dev.state.floating.injectIo(0, 1, 0, 0x80000000);
    expect(errnoOf(() => flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 1 }))).toBe(Errno.EBUSY);
    expect(aisAllGet(flic)).toEqual({ simm: 0x10, nimm: 0 });
  });
});
