import { describe, expect, it } from "vitest";
import {
  Errno,
  KVM_CAP_IRQ_XICS,
  KVM_DEV_TYPE_XICS,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  createVm,
  encodeU64,
  errnoOf,
  type RoutingEntry,
} from "@irqlab/core";
import xicsModule, {
  H_CPPR,
  H_SUCCESS,
  H_XIRR,
  KVM_CAP_PPC_RTAS,
  KVM_DEV_XICS_GRP_CTRL,
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_DEV_XICS_NR_SERVERS,
  KVM_XICS_PENDING,
  XICS_HCALLS,
  XICS_RTAS_CALLS,
  XicsDevice,
  encodeSourceWord,
} from "./index.js";
import { getSource, icpWord, msi, setSource, sourceWordOrErrno, srcState, xicsVm } from "./test-support.js";

const IRQ = 0x1000;
const SRC = KVM_DEV_XICS_GRP_SOURCES;

describe("XICS device: KVM_CREATE_DEVICE, connect, release", () => {
  it("[xics-36] a second KVM_CREATE_DEVICE(XICS) on the same VM is EEXIST", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsModule] });
    vm.createDevice(KVM_DEV_TYPE_XICS);
    expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_XICS))).toBe(Errno.EEXIST);
    expect(vm.deviceList()).toHaveLength(1);
    expect(vm.createDevice(KVM_DEV_TYPE_XICS, { test: true })).toBeUndefined();
  });

  it("[xics-35] a used server number is EEXIST; an already connected vCPU is EBUSY (checked first)", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 3, modules: [xicsModule] });
    const d = vm.createDevice(KVM_DEV_TYPE_XICS);
    vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [d, 5]);
    expect(errnoOf(() => vm.vcpus[1].enableCap(KVM_CAP_IRQ_XICS, [d, 5]))).toBe(Errno.EEXIST);
    expect(errnoOf(() => vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [d, 6]))).toBe(Errno.EBUSY);
    expect(errnoOf(() => vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [d, 5]))).toBe(Errno.EBUSY);
    expect(vm.vcpus[1].irqchipKind).toBeNull();
    // the server is a u32: 2^32 + 5 is server 5
    expect(errnoOf(() => vm.vcpus[1].enableCap(KVM_CAP_IRQ_XICS, [d, 2n ** 32n + 5n]))).toBe(Errno.EEXIST);
    vm.vcpus[1].enableCap(KVM_CAP_IRQ_XICS, [d, 0xffffffff]);
    expect(vm.vcpus[1].irqchipCpu).toBe(0xffffffff);
  });

  it("connect: EPERM for another VM's XICS or a non-XICS device; core checks flags/fd first", () => {
    const a = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsModule] });
    const b = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsModule] });
    const da = a.createDevice(KVM_DEV_TYPE_XICS);
    b.createDevice(KVM_DEV_TYPE_XICS);
    expect(errnoOf(() => b.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [da, 0]))).toBe(Errno.EPERM);
    expect(errnoOf(() => a.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [da, 0], 1))).toBe(Errno.EINVAL);
    expect(errnoOf(() => a.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [999, 0]))).toBe(Errno.EBADF);
    expect(a.checkExtension(KVM_CAP_IRQ_XICS)).toBe(1);
    expect(a.checkExtension(KVM_CAP_PPC_RTAS)).toBe(1);
  });

  it("create registers the IrqChip (index 0, 2^20 pins, IRQCHIP routes), the six hcalls and four RTAS calls; release removes them all", () => {
    const f = xicsVm(2);
    msi(f.dev, IRQ, 0, 5);
    const chip = f.vm.irqchips.byIndex(0)!;
    expect(chip).toMatchObject({ name: "xics", index: 0, pins: 0x100000, routeTypes: [KVM_IRQ_ROUTING_IRQCHIP] });
    for (const op of XICS_HCALLS) expect(f.vm.hcalls.has(op)).toBe(true);
    for (const n of XICS_RTAS_CALLS) expect(f.vm.rtas.has(n)).toBe(true);
    f.dev.close();
    expect(f.vm.irqchips.size).toBe(0);
    for (const op of XICS_HCALLS) expect(f.vm.hcalls.has(op)).toBe(false);
    for (const n of XICS_RTAS_CALLS) expect(f.vm.rtas.has(n)).toBe(false);
    expect(f.vm.vcpus.every((v) => v.irqchipKind === null)).toBe(true);
    expect(f.vm.deviceList()).toHaveLength(0);
    expect(f.vm.vcpus[0].rtas("ibm,get-xive", [IRQ], 3)[0]).toBe(-3);
    // a new one can be created, fresh
    const d2 = f.vm.createDevice(KVM_DEV_TYPE_XICS);
    f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [d2, 0]);
    expect(icpWord(f.vm.vcpus[0])).toEqual({ cppr: 0, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
    expect(sourceWordOrErrno(d2, IRQ)).toBe(Errno.ENOENT);
    expect(f.vm.irqchips.byIndex(0)).toBe(d2.backend<XicsDevice>().chip);
  });

  it("a dup'd descriptor keeps the device alive until the last close", () => {
    const f = xicsVm(1);
    const d2 = f.dev.dup();
    f.dev.close();
    expect(f.vm.irqchips.size).toBe(1);
    expect(d2.hasAttr({ group: SRC, attr: IRQ })).toBe(0);
    d2.close();
    expect(f.vm.irqchips.size).toBe(0);
  });

  it("the IrqChip validates routes: IRQCHIP to irqchip 0 and a pin below 2^20 only", () => {
    const f = xicsVm(1);
    const chip = f.vm.irqchips.byIndex(0)!;
    const ok: RoutingEntry = { gsi: 1, flags: 0, type: KVM_IRQ_ROUTING_IRQCHIP, irqchip: 0, pin: 0xfffff };
    expect(() => chip.validateRoute!(ok)).not.toThrow();
    expect(errnoOf(() => chip.validateRoute!({ ...ok, irqchip: 1 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => chip.validateRoute!({ ...ok, pin: 0x100000 }))).toBe(Errno.EINVAL);
    expect(
      errnoOf(() => chip.validateRoute!({ gsi: 1, flags: 0, type: KVM_IRQ_ROUTING_MSI, msi: { addressLo: 0, addressHi: 0, data: 0, flags: 0, devid: 0 } })),
    ).toBe(Errno.EINVAL);
  });

  it("is a ppc64 device only", () => {
    for (const arch of ["ppc-booke", "s390x"] as const) {
      const vm = createVm({ arch, vcpus: 1, modules: [xicsModule] });
      expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_XICS))).toBe(Errno.ENODEV);
    }
  });
});

describe("XICS device: KVM_DEV_XICS_GRP_SOURCES", () => {
  it("[xics-3] set with irq < 16 or irq >= 0x100000 is ENOENT (and allocates nothing)", () => {
    const f = xicsVm(1);
    for (const irq of [0, 15, 0x100000, 0x7fffffff, 2n ** 63n, 2n ** 64n - 1n]) {
      expect(errnoOf(() => setSource(f.dev, irq, { server: 0, priority: 5 }))).toBe(Errno.ENOENT);
    }
    expect(f.xics.ics.allocated).toBe(0);
    setSource(f.dev, 16, { server: 0, priority: 5 });
    setSource(f.dev, 0xfffff, { server: 0, priority: 5 });
  });

  it("[xics-4] an unmasked priority to an unknown server is EINVAL (even with MASKED set); priority 0xFF succeeds", () => {
    const f = xicsVm(1);
    expect(errnoOf(() => setSource(f.dev, IRQ, { server: 3, priority: 5 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => setSource(f.dev, IRQ, { server: 3, priority: 5, masked: true }))).toBe(Errno.EINVAL);
    expect(sourceWordOrErrno(f.dev, IRQ)).toBe(Errno.ENOENT);
    setSource(f.dev, IRQ, { server: 3, priority: 0xff });
    expect(getSource(f.dev, IRQ)).toMatchObject({ server: 3, priority: 0xff, masked: true });
  });

  it("KVM quirk: the block is allocated before the word is read or checked (EFAULT/EINVAL still allocate it)", () => {
    const f = xicsVm(1);
    expect(errnoOf(() => f.dev.setAttr({ group: SRC, attr: IRQ, addr: null }))).toBe(Errno.EFAULT);
    expect(f.xics.ics.allocated).toBe(1);
    expect(errnoOf(() => setSource(f.dev, 0x2000, { server: 9, priority: 1 }))).toBe(Errno.EINVAL);
    expect(f.xics.ics.allocated).toBe(2);
    expect(f.vm.vcpus[0].rtas("ibm,get-xive", [0x2001], 3)).toEqual([0, 0, 0xff]);
  });

  it("[xics-5] creating a source allocates its whole block: neighbours are ENOENT to get, yet RTAS works on them", () => {
    const f = xicsVm(1);
    msi(f.dev, 0x1005, 0, 5);
    const v = f.vm.vcpus[0];
    for (const irq of [0x1000, 0x1004, 0x13ff]) {
      expect(sourceWordOrErrno(f.dev, irq)).toBe(Errno.ENOENT);
      expect(v.rtas("ibm,get-xive", [irq], 3)).toEqual([0, 0, 0xff]);
      expect(v.rtas("ibm,int-off", [irq], 1)).toEqual([0]);
      expect(v.rtas("ibm,set-xive", [irq, 0, 6], 1)).toEqual([0]);
      expect(v.rtas("ibm,get-xive", [irq], 3)).toEqual([0, 0, 6]);
    }
    expect(v.rtas("ibm,get-xive", [0x1400], 3)[0]).toBe(-3);
    expect(sourceWordOrErrno(f.dev, 0x1400)).toBe(Errno.ENOENT);
  });

  it("[xics-30] get reports MASKED + saved priority, LEVEL_SENSITIVE + PENDING(=P) for an LSI, PRESENTED/QUEUED from P/Q", () => {
    const f = xicsVm(1);
    msi(f.dev, IRQ, 0, 5);
    f.vm.vcpus[0].rtas("ibm,int-off", [IRQ], 1);
    expect(getSource(f.dev, IRQ)).toEqual({ server: 0, priority: 5, masked: true, levelSensitive: false, pending: false, presented: false, queued: false });
    setSource(f.dev, IRQ + 1, { server: 0, priority: 6, levelSensitive: true });
    f.xics.setIrq(IRQ + 1, 1); // CPPR 0: refused, P set
    expect(getSource(f.dev, IRQ + 1)).toMatchObject({ levelSensitive: true, pending: true, presented: true, queued: false });
    msi(f.dev, IRQ + 2, 0, 6);
    f.xics.setIrq(IRQ + 2, 1);
    f.xics.setIrq(IRQ + 2, 1);
    expect(getSource(f.dev, IRQ + 2)).toMatchObject({ levelSensitive: false, pending: true, presented: true, queued: true });
    // getAttr truncates the attribute to u32, as KVM's find_ics does
    expect(getSource(f.dev, 2n ** 32n + BigInt(IRQ))).toMatchObject({ priority: 5, masked: true });
  });

  it("[xics-31] set with PENDING tries delivery: presented, refused (resend), masked-pending, or dropped without ICP", () => {
    const f = xicsVm(2);
    f.vm.vcpus[0].hcall(H_CPPR, 0xff);
    setSource(f.dev, IRQ, { server: 0, priority: 5, pending: true });
    expect(icpWord(f.vm.vcpus[0])).toMatchObject({ xisr: IRQ, pendingPri: 5 });
    expect(srcState(f, IRQ)!.pq).toBe(1);
    setSource(f.dev, IRQ + 1, { server: 1, priority: 5, pending: true }); // vCPU 1 has CPPR 0
    expect(srcState(f, IRQ + 1)).toMatchObject({ resend: true, pq: 1 });
    setSource(f.dev, IRQ + 2, { server: 0, priority: 5, masked: true, pending: true });
    expect(srcState(f, IRQ + 2)).toMatchObject({ maskedPending: true, resend: false });
    expect(getSource(f.dev, IRQ + 2).pending).toBe(true);
    setSource(f.dev, IRQ + 3, { server: 9, priority: 0xff, pending: true });
    expect(srcState(f, IRQ + 3)).toMatchObject({ maskedPending: false, resend: false, pq: 1 });
  });

  it("set resets resend and masked-pending, and takes LSI/P/Q from the word", () => {
    const f = xicsVm(1);
    msi(f.dev, IRQ, 0, 5);
    f.xics.setIrq(IRQ, 1); // refused: resend
    setSource(f.dev, IRQ, { server: 0, priority: 5, levelSensitive: true, queued: true });
    expect(srcState(f, IRQ)).toMatchObject({ resend: false, maskedPending: false, lsi: true, pq: 2 });
  });

  it("has_attr: group 1 with 16 <= attr < 2^20 is 0, anything else ENXIO", () => {
    const f = xicsVm(1);
    expect(f.dev.hasAttr({ group: SRC, attr: 16 })).toBe(0);
    expect(f.dev.hasAttr({ group: SRC, attr: 0xfffff })).toBe(0);
    for (const attr of [0, 15, 0x100000, 2n ** 64n - 1n]) expect(errnoOf(() => f.dev.hasAttr({ group: SRC, attr }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => f.dev.hasAttr({ group: 0, attr: 16 }))).toBe(Errno.ENXIO);
  });

  it("[xics-34] KVM_DEV_XICS_GRP_CTRL (NR_SERVERS) is ENXIO for set, get and has_attr on this backend", () => {
    const f = xicsVm(1);
    const a = { group: KVM_DEV_XICS_GRP_CTRL, attr: KVM_DEV_XICS_NR_SERVERS, addr: encodeU64(8) };
    expect(errnoOf(() => f.dev.setAttr(a))).toBe(Errno.ENXIO);
    expect(errnoOf(() => f.dev.getAttr(a))).toBe(Errno.ENXIO);
    expect(errnoOf(() => f.dev.hasAttr(a))).toBe(Errno.ENXIO);
  });

  it("get: ENOENT (no block / not created) before EFAULT", () => {
    const f = xicsVm(1);
    expect(errnoOf(() => f.dev.getAttr({ group: SRC, attr: IRQ, addr: null }))).toBe(Errno.ENOENT);
    msi(f.dev, IRQ, 0, 5);
    expect(errnoOf(() => f.dev.getAttr({ group: SRC, attr: IRQ, addr: new Uint8Array(4) }))).toBe(Errno.EFAULT);
  });

  it("payloads use the VM's byte order", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsModule], endian: "be" });
    const d = vm.createDevice(KVM_DEV_TYPE_XICS);
    vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [d, 0]);
    d.setAttr({ group: SRC, attr: IRQ, addr: encodeU64(encodeSourceWord({ server: 0, priority: 5 }) | KVM_XICS_PENDING, "be") });
    const buf = new Uint8Array(8);
    d.getAttr({ group: SRC, attr: IRQ, addr: buf });
    expect(Array.from(buf)).toEqual([0, 0, 0x0c, 0x05, 0, 0, 0, 0]); // PENDING (refused at CPPR 0) | PRESENTED
    expect(vm.vcpus[0].hcall(H_CPPR, 0xff)).toBe(H_SUCCESS);
    vm.vcpus[0].hcall(H_XIRR);
    expect(vm.vcpus[0].hret[0]).toBe(0xff001000);
  });
});
