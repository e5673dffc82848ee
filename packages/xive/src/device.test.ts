import { describe, it, expect } from "vitest";
import {
  createVm,
  encodeU64,
  errnoOf,
  Errno,
  KVM_CAP_IRQ_XICS,
  KVM_DEV_TYPE_XICS,
} from "@irqlab/core";
import xicsModule from "@irqlab/xics";
import { decodeXiveEq, encodeEqId } from "./codecs.js";
import {
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_DEV_TYPE_XIVE,
  KVM_DEV_XIVE_GRP_CTRL,
  KVM_DEV_XIVE_GRP_EQ_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE,
  KVM_DEV_XIVE_GRP_SOURCE_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE_SYNC,
  KVM_DEV_XIVE_EQ_SYNC,
  KVM_MAX_VCPUS,
  KVM_XIVE_EQ_ALWAYS_NOTIFY,
  MASKED,
  PQ_OFF,
  XIVE_PAGE_SIZE,
} from "./constants.js";
import { SRC_ASSERTED, SRC_LSI } from "./source-blocks.js";
import { XiveSigbus } from "./xive.js";
import { createXiveModule } from "./module.js";
import { createSource, ctrlReset, eqConfig, eqGet, mgmt, nrServers, qaddrOf, ready, rig, sourceConfig, trig, OS } from "./test-support.js";

const state = (r: ReturnType<typeof rig>, irq: number) => {
  const b = r.dev.xive.sources.find(irq)!;
  const i = irq & 1023;
  return { flags: b.flags[i], pq: b.pq[i], prio: b.actPriority[i], server: b.actServer[i], eisn: b.eisn[i] };
};

describe("device lifecycle", () => {
  it("one XIVE-backed device per VM: a second create is EEXIST; after close a new one can be created", () => {
    const r = rig(1);
    expect(errnoOf(() => r.vm.createDevice(KVM_DEV_TYPE_XIVE))).toBe(Errno.EEXIST);
    r.h.close();
    expect(r.vm.irqchips.size).toBe(0);
    expect(r.vm.vcpus[0].irqchipKind).toBe(null);
    const h2 = r.vm.createDevice(KVM_DEV_TYPE_XIVE);
    expect(h2.name).toBe("kvm-xive-native");
    r.vm.vcpus[0].enableCap(KVM_CAP_PPC_IRQ_XIVE, [h2, 0]);
  });

  it("an XICS in the VM blocks the XIVE (irqchip 0 is taken) and nothing is left behind", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsModule, createXiveModule()] });
    vm.createDevice(KVM_DEV_TYPE_XICS);
    expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_XIVE))).toBe(Errno.EEXIST);
    expect(vm.hcalls.has(0x3ac)).toBe(false);
  });

  it("without host XIVE the type is not registered and the capability precheck answers ENXIO", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsModule, createXiveModule({ hostXive: false })] });
    expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_XIVE))).toBe(Errno.ENODEV);
    expect(vm.checkExtension(KVM_CAP_PPC_IRQ_XIVE)).toBe(0);
    const xics = vm.createDevice(KVM_DEV_TYPE_XICS);
    expect(errnoOf(() => vm.vcpus[0].enableCap(KVM_CAP_PPC_IRQ_XIVE, [xics, 0]))).toBe(Errno.ENXIO);
    expect(errnoOf(() => vm.vcpus[0].enableCap(KVM_CAP_PPC_IRQ_XIVE, [99, 0]))).toBe(Errno.EBADF);
  });

  it("connect: a non-XIVE device is EPERM, a vCPU already connected EBUSY", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 2, modules: [xicsModule, createXiveModule()] });
    const xics = vm.createDevice(KVM_DEV_TYPE_XICS);
    expect(errnoOf(() => vm.vcpus[0].enableCap(KVM_CAP_PPC_IRQ_XIVE, [xics, 0]))).toBe(Errno.EPERM);
    vm.vcpus[1].enableCap(KVM_CAP_IRQ_XICS, [xics, 1]);
    const r = rig(1);
    r.vm.vcpus[0].detachIrqchip();
    const other = createVm({ arch: "ppc64", vcpus: 1, modules: [createXiveModule()] });
    expect(errnoOf(() => other.vcpus[0].enableCap(KVM_CAP_PPC_IRQ_XIVE, [r.h.fd, 0]))).not.toBe(0);
    const r2 = rig(1);
    expect(errnoOf(() => r2.vm.vcpus[0].enableCap(KVM_CAP_PPC_IRQ_XIVE, [r2.h, 5]))).toBe(Errno.EBUSY);
  });

  it("[xive-19] packed id >= nr_servers is EINVAL; two vCPUs with one server EEXIST", () => {
    const r = rig(3, {}, false);
    expect(nrServers(r, 2)).toBe(0);
    expect(errnoOf(() => r.vm.vcpus[0].enableCap(KVM_CAP_PPC_IRQ_XIVE, [r.h, 2]))).toBe(Errno.EINVAL);
    expect(r.vm.vcpus[0].irqchipKind).toBe(null);
    r.vm.vcpus[0].enableCap(KVM_CAP_PPC_IRQ_XIVE, [r.h, 1]);
    expect(errnoOf(() => r.vm.vcpus[1].enableCap(KVM_CAP_PPC_IRQ_XIVE, [r.h, 1]))).toBe(Errno.EEXIST);
    expect(r.vm.vcpus[1].irqchipKind).toBe(null);
  });

  it("[xive-18] NR_SERVERS: 0 EINVAL, > KVM_MAX_VCPU_IDS EINVAL, clamped to KVM_MAX_VCPUS, EBUSY after a connect", () => {
    const r = rig(1, {}, false);
    expect(nrServers(r, 0)).toBe(Errno.EINVAL);
    expect(nrServers(r, 8 * KVM_MAX_VCPUS + 1)).toBe(Errno.EINVAL);
    expect(nrServers(r, 8 * KVM_MAX_VCPUS)).toBe(0);
    expect(r.dev.xive.nrServers).toBe(KVM_MAX_VCPUS);
    expect(errnoOf(() => r.h.setAttr({ group: KVM_DEV_XIVE_GRP_CTRL, attr: 3, addr: null }))).toBe(Errno.EFAULT);
    r.vm.vcpus[0].enableCap(KVM_CAP_PPC_IRQ_XIVE, [r.h, 0]);
    expect(nrServers(r, 4)).toBe(Errno.EBUSY);
    expect(r.dev.xive.nrServers).toBe(KVM_MAX_VCPUS);
  });

  it("[xive-34] constants (VP_STATE id from the uapi header: 0x104000000000008D)", async () => {
    const c = await import("./constants.js");
    expect([c.KVM_DEV_TYPE_XIVE, c.KVM_CAP_PPC_IRQ_XIVE]).toEqual([9, 169]);
    // KVM_REG_PPC | KVM_REG_SIZE_U128 | 0x8d with KVM_REG_PPC = 0x1000000000000000 (uapi
    // linux/kvm.h). xive.md's "0x6040..." uses arm64's KVM_REG_ARM64 prefix: a digest error.
    expect(c.KVM_REG_PPC_VP_STATE).toBe(0x104000000000008dn);
    expect([c.KVM_DEV_XIVE_GRP_CTRL, c.KVM_DEV_XIVE_GRP_SOURCE, c.KVM_DEV_XIVE_GRP_SOURCE_CONFIG, c.KVM_DEV_XIVE_GRP_EQ_CONFIG, c.KVM_DEV_XIVE_GRP_SOURCE_SYNC]).toEqual([1, 2, 3, 4, 5]);
    expect([c.KVM_DEV_XIVE_RESET, c.KVM_DEV_XIVE_EQ_SYNC, c.KVM_DEV_XIVE_NR_SERVERS]).toEqual([1, 2, 3]);
    expect([c.KVM_XIVE_TIMA_PAGE_OFFSET, c.KVM_XIVE_ESB_PAGE_OFFSET, c.KVM_XIVE_EQ_ALWAYS_NOTIFY]).toEqual([0, 4, 1]);
  });
});

describe("attributes", () => {
  it("[xive-1] has_attr(SOURCE, 0) is 0, (SOURCE, 0x100000) ENXIO; CTRL and EQ_CONFIG as KVM", () => {
    const r = rig(1);
    expect(r.h.hasAttr({ group: KVM_DEV_XIVE_GRP_SOURCE, attr: 0 })).toBe(0);
    expect(errnoOf(() => r.h.hasAttr({ group: KVM_DEV_XIVE_GRP_SOURCE, attr: 0x100000 }))).toBe(Errno.ENXIO);
    expect(r.h.hasAttr({ group: KVM_DEV_XIVE_GRP_SOURCE_CONFIG, attr: 0xfffff })).toBe(0);
    expect(r.h.hasAttr({ group: KVM_DEV_XIVE_GRP_SOURCE_SYNC, attr: 5 })).toBe(0);
    expect(r.h.hasAttr({ group: KVM_DEV_XIVE_GRP_EQ_CONFIG, attr: 2n ** 63n })).toBe(0);
    for (const a of [1, 2, 3]) expect(r.h.hasAttr({ group: KVM_DEV_XIVE_GRP_CTRL, attr: a })).toBe(0);
    expect(errnoOf(() => r.h.hasAttr({ group: KVM_DEV_XIVE_GRP_CTRL, attr: 4 }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => r.h.hasAttr({ group: 6, attr: 0 }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => r.h.setAttr({ group: KVM_DEV_XIVE_GRP_CTRL, attr: 9 }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => r.h.setAttr({ group: 0, attr: 0 }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => r.h.getAttr({ group: KVM_DEV_XIVE_GRP_SOURCE, attr: 0, addr: new Uint8Array(8) }))).toBe(Errno.ENXIO);
  });

  it("[xive-2] SOURCE 0x100000 is E2BIG; a null value EFAULT (after the block was allocated, as in KVM)", () => {
    const r = rig(1);
    expect(createSource(r, 0x100000)).toBe(Errno.E2BIG);
    expect(r.dev.xive.sources.allocated).toBe(0);
    expect(errnoOf(() => r.h.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE, attr: 5, addr: null }))).toBe(Errno.EFAULT);
    expect(r.dev.xive.sources.valid(5)).toBe(false);
    expect(sourceConfig(r, 5, 0, 1, 0)).toBe(Errno.EINVAL);
  });

  it("[xive-3] after SOURCE create the ESB reads 01 (off) and the source is untargeted", () => {
    const r = rig(1);
    expect(createSource(r, 0)).toBe(0);
    expect(r.esb.read(mgmt(0, 0x800), 8)).toBe(PQ_OFF);
    expect(state(r, 0)).toMatchObject({ prio: MASKED, server: 0 });
    expect(r.dev.xive.sources.count).toBe(1);
  });

  it("[xive-4] SOURCE with LSI|ASSERTED makes an asserted LSI; a later SOURCE with 0 leaves it LSI", () => {
    const r = rig(1);
    createSource(r, 7, true, true);
    expect(state(r, 7).flags & (SRC_LSI | SRC_ASSERTED)).toBe(SRC_LSI | SRC_ASSERTED);
    createSource(r, 7, false, false);
    expect(state(r, 7).flags & SRC_LSI).toBe(SRC_LSI);
    expect(r.dev.xive.sources.count).toBe(1);
  });

  it("[xive-5] SOURCE_CONFIG on a never-created source in an existing block is EINVAL, in a missing block ENOENT", () => {
    const r = rig(1);
    createSource(r, 0);
    expect(sourceConfig(r, 1, 0, 1, 0)).toBe(Errno.EINVAL);
    expect(sourceConfig(r, 2048, 0, 1, 0)).toBe(Errno.ENOENT);
    expect(sourceConfig(r, 0x100000, 0, 1, 0)).toBe(Errno.ENOENT);
    expect(errnoOf(() => r.h.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE_CONFIG, attr: 0, addr: null }))).toBe(Errno.EFAULT);
  });

  it("[xive-6] SOURCE_CONFIG priority 7 is EINVAL; 0..6 pass the priority check", () => {
    const r = rig(1);
    createSource(r, 0);
    for (let p = 0; p <= 6; p++) eqConfig(r, 0, p);
    expect(sourceConfig(r, 0, 0, 7, 0)).toBe(Errno.EINVAL);
    expect(state(r, 0).prio).toBe(MASKED);
    for (let p = 0; p <= 6; p++) {
      expect(sourceConfig(r, 0, 0, p, 0x10 + p)).toBe(0);
      expect(state(r, 0).prio).toBe(p);
    }
  });

  it("[xive-7] an unconfigured queue: EBUSY when no vCPU can take it (untouched), else placed on another vCPU; never ENXIO", () => {
    const r = rig(2);
    createSource(r, 3);
    expect(sourceConfig(r, 3, 0, 5, 9)).toBe(Errno.EBUSY);
    expect(state(r, 3)).toMatchObject({ prio: MASKED, server: 0, eisn: 0 });
    eqConfig(r, 1, 5);
    expect(sourceConfig(r, 3, 0, 5, 9)).toBe(0);
    expect(state(r, 3)).toMatchObject({ prio: 5, server: 1, eisn: 9 });
  });

  it("[xive-8] SOURCE_CONFIG to an unknown server is EINVAL", () => {
    const r = rig(1);
    createSource(r, 3);
    eqConfig(r, 0, 5);
    expect(sourceConfig(r, 3, 42, 5, 9)).toBe(Errno.EINVAL);
    expect(state(r, 3).prio).toBe(MASKED);
  });

  it("[xive-9] SOURCE_CONFIG identical in server/priority/EISN returns 0 and changes nothing, even with masked set", () => {
    const r = rig(1);
    ready(r, 3, 0, 5, 9);
    const count = r.dev.xive.servers.get(0)!.queues.count[5];
    expect(sourceConfig(r, 3, 0, 5, 9, true)).toBe(0);
    expect(state(r, 3)).toMatchObject({ prio: 5, server: 0, eisn: 9 });
    expect(r.dev.xive.servers.get(0)!.queues.count[5]).toBe(count);
  });

  it("[xive-10] SOURCE_CONFIG masked=1 with different targeting leaves act_priority 0xFF, act_server 0, eisn 0; PQ untouched", () => {
    const r = rig(2);
    ready(r, 3, 1, 5, 9);
    const pq = r.esb.read(mgmt(3, 0x800), 8);
    expect(sourceConfig(r, 3, 1, 4, 9, true)).toBe(0);
    expect(state(r, 3)).toMatchObject({ prio: MASKED, server: 0, eisn: 0 });
    expect(r.esb.read(mgmt(3, 0x800), 8)).toBe(pq);
  });

  it("[xive-11] EQ_CONFIG: qshift 0 succeeds whatever the flags; 12, 21, 24 EINVAL; 16 with flags != 1 EINVAL", () => {
    const r = rig(1);
    expect(eqConfig(r, 0, 3, { qshift: 0, flags: 0xdead })).toBe(0);
    for (const qshift of [12, 21, 24, 15, 17]) expect(eqConfig(r, 0, 3, { qshift })).toBe(Errno.EINVAL);
    expect(eqConfig(r, 0, 3, { flags: 0 })).toBe(Errno.EINVAL);
    expect(eqConfig(r, 0, 3, { flags: 3 })).toBe(Errno.EINVAL);
    expect(eqConfig(r, 0, 3)).toBe(0);
    expect(eqConfig(r, 0, 7)).toBe(Errno.EINVAL);
    expect(errnoOf(() => r.h.setAttr({ group: KVM_DEV_XIVE_GRP_EQ_CONFIG, attr: 0, addr: new Uint8Array(63) }))).toBe(Errno.EFAULT);
  });

  it("[xive-12] EQ_CONFIG with a qaddr not 64 KiB aligned is EINVAL; an unbacked page EINVAL", () => {
    const r = rig(1);
    expect(eqConfig(r, 0, 3, { qaddr: BigInt(qaddrOf(0, 3) + 0x1000) })).toBe(Errno.EINVAL);
    r.vm.memory.unmap(0x3000_0000, 0x10000);
    expect(eqConfig(r, 0, 3, { qaddr: 0x3000_0000n })).toBe(Errno.EINVAL);
    expect(eqConfig(r, 0, 3, { qaddr: 2n ** 40n })).toBe(Errno.EINVAL);
    expect(r.dev.xive.servers.get(0)!.queues.configured[3]).toBe(0);
  });

  it("[xive-13] EQ_CONFIG get on an unconfigured queue returns 0 and leaves the buffer untouched (even a null one)", () => {
    const r = rig(1);
    const { rc, buf } = eqGet(r, 0, 2);
    expect(rc).toBe(0);
    expect([...buf].every((b) => b === 0xaa)).toBe(true);
    expect(errnoOf(() => r.h.getAttr({ group: KVM_DEV_XIVE_GRP_EQ_CONFIG, attr: encodeEqId({ server: 0, priority: 2 }), addr: null }))).toBe(0);
  });

  it("[xive-14] EQ_CONFIG get after set returns flags/qshift/qaddr and the HW toggle/index", () => {
    const r = rig(1);
    ready(r, 3, 0, 2, 0x33);
    r.esb.write(trig(3), 8, 0);
    const { rc, buf } = eqGet(r, 0, 2);
    expect(rc).toBe(0);
    expect(decodeXiveEq(buf)).toEqual({ flags: KVM_XIVE_EQ_ALWAYS_NOTIFY, qshift: 16, qaddr: BigInt(qaddrOf(0, 2)), qtoggle: 1, qindex: 1 });
    expect([...buf.subarray(24)].every((b) => b === 0)).toBe(true);
    expect(errnoOf(() => r.h.getAttr({ group: KVM_DEV_XIVE_GRP_EQ_CONFIG, attr: encodeEqId({ server: 0, priority: 2 }), addr: null }))).toBe(Errno.EFAULT);
    expect(eqConfig(r, 0, 2, { qtoggle: 0, qindex: 100 })).toBe(0);
    expect(decodeXiveEq(eqGet(r, 0, 2).buf)).toMatchObject({ qtoggle: 0, qindex: 100 });
  });

  it("[xive-15] EQ_CONFIG with an unknown server is ENOENT (set and get); priority 7 EINVAL", () => {
    const r = rig(1);
    expect(eqConfig(r, 9, 3)).toBe(Errno.ENOENT);
    expect(eqGet(r, 9, 3).rc).toBe(Errno.ENOENT);
    expect(eqGet(r, 0, 7).rc).toBe(Errno.EINVAL);
  });

  it("[xive-16] after 16382 targetings of one queue the next goes to another vCPU's queue, or EBUSY", () => {
    const r = rig(2);
    createSource(r, 3);
    eqConfig(r, 0, 4);
    for (let n = 0; n < 16382; n++) expect(sourceConfig(r, 3, 0, 4, n + 1)).toBe(0);
    expect(sourceConfig(r, 3, 0, 4, 0x7fff0000)).toBe(Errno.EBUSY);
    expect(state(r, 3)).toMatchObject({ server: 0, eisn: 16382 });
    eqConfig(r, 1, 4);
    expect(sourceConfig(r, 3, 0, 4, 0x7fff0000)).toBe(0);
    expect(state(r, 3)).toMatchObject({ server: 1, prio: 4, eisn: 0x7fff0000 });
  });

  it("[xive-32] the targeting count survives EQ reconfiguration, qshift 0 and CTRL RESET; only a new connect resets it", () => {
    const r = rig(1);
    createSource(r, 3);
    eqConfig(r, 0, 4);
    for (let n = 0; n < 16382; n++) sourceConfig(r, 3, 0, 4, n + 1);
    eqConfig(r, 0, 4, { qshift: 0 });
    eqConfig(r, 0, 4);
    expect(sourceConfig(r, 3, 0, 4, 0x100000)).toBe(Errno.EBUSY);
    expect(ctrlReset(r)).toBe(0);
    eqConfig(r, 0, 4);
    expect(sourceConfig(r, 3, 0, 4, 0x100001)).toBe(Errno.EBUSY);
    r.h.close();
    const h = r.vm.createDevice(KVM_DEV_TYPE_XIVE);
    r.vm.vcpus[0].enableCap(KVM_CAP_PPC_IRQ_XIVE, [h, 0]);
    h.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE, attr: 3, addr: encodeU64(0) });
    const r2 = { ...r, h, dev: h.backend<never>() };
    expect(eqConfig(r2 as never, 0, 4)).toBe(0);
    expect(sourceConfig(r2 as never, 3, 0, 4, 1)).toBe(0);
  });

  it("[xive-17] CTRL RESET: sources untargeted, PQ 01, queues deconfigured, sources still valid", () => {
    const r = rig(2);
    ready(r, 3, 0, 5, 9);
    ready(r, 4, 1, 6, 10);
    createSource(r, 5, true);
    expect(ctrlReset(r)).toBe(0);
    for (const irq of [3, 4]) {
      expect(state(r, irq).prio).toBe(MASKED);
      expect(r.esb.read(mgmt(irq, 0x800), 8)).toBe(PQ_OFF);
    }
    expect(state(r, 3)).toMatchObject({ server: 0, eisn: 9 });
    expect(state(r, 4)).toMatchObject({ server: 1, eisn: 10 });
    expect(eqGet(r, 0, 5).buf[0]).toBe(0xaa);
    expect(eqGet(r, 1, 6).buf[0]).toBe(0xaa);
    expect(r.dev.xive.sources.valid(3) && r.dev.xive.sources.valid(5)).toBe(true);
    expect(state(r, 5).flags & SRC_LSI).toBe(SRC_LSI);
    // A trigger now goes nowhere.
    r.esb.write(trig(3), 8, 0);
    expect(r.vm.vcpus[0].ext.asserted).toBe(false);
  });

  it("CTRL RESET also untargets sources aimed at a server without a connected vCPU (stale fields cleared)", () => {
    const r = rig(1);
    ready(r, 3, 0, 5, 9);
    // Simulate a target whose vCPU is gone: drop the server from the map.
    const xv = r.dev.xive.servers.get(0)!;
    r.dev.xive.servers.delete(0);
    r.dev.xive.servers.set(77, xv);
    const b = r.dev.xive.sources.find(3)!;
    b.actServer[3] = 5;
    xv.vcpu.detachIrqchip();
    expect(ctrlReset(r)).toBe(0);
    expect(state(r, 3)).toMatchObject({ prio: MASKED, server: 0, eisn: 0 });
  });

  it("SOURCE_SYNC: ENOENT no block, EINVAL invalid, 0 valid; EQ_SYNC 0", () => {
    const r = rig(1);
    expect(errnoOf(() => r.h.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE_SYNC, attr: 3 }))).toBe(Errno.ENOENT);
    createSource(r, 4);
    expect(errnoOf(() => r.h.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE_SYNC, attr: 3 }))).toBe(Errno.EINVAL);
    expect(r.h.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE_SYNC, attr: 4 })).toBe(0);
    expect(r.h.setAttr({ group: KVM_DEV_XIVE_GRP_CTRL, attr: KVM_DEV_XIVE_EQ_SYNC })).toBe(0);
  });
});

describe("mmap", () => {
  it("[xive-20] TIMA with 5 pages is EINVAL; page offsets 1..3 and > 4 EINVAL", () => {
    const r = rig(1);
    expect(errnoOf(() => r.h.mmap(0, 5 * XIVE_PAGE_SIZE))).toBe(Errno.EINVAL);
    for (const p of [1, 2, 3, 5, 8]) expect(errnoOf(() => r.h.mmap(p * XIVE_PAGE_SIZE, XIVE_PAGE_SIZE))).toBe(Errno.EINVAL);
    expect(errnoOf(() => r.h.mmap(4 * XIVE_PAGE_SIZE, (2 * 0x100000 + 1) * XIVE_PAGE_SIZE))).toBe(Errno.EINVAL);
    expect(errnoOf(() => r.h.mmap(100, 0))).toBe(Errno.EINVAL);
    expect(r.h.mmap(0, 4 * XIVE_PAGE_SIZE).size).toBe(4 * XIVE_PAGE_SIZE);
    expect(r.h.mmap(4 * XIVE_PAGE_SIZE, 2 * 0x100000 * XIVE_PAGE_SIZE).size).toBe(2 * 0x100000 * XIVE_PAGE_SIZE);
  });

  it("[xive-21] TIMA page 2 is the OS view; pages 0, 1 and 3 raise SIGBUS", () => {
    const r = rig(1);
    const v = r.vm.vcpus[0];
    expect(r.tima.read(OS + 0x810, 2, v)).toBe(0x0000);
    for (const p of [0, 1, 3]) {
      expect(() => r.tima.read(p * XIVE_PAGE_SIZE + 0x10, 8, v)).toThrow(XiveSigbus);
      expect(() => r.tima.write(p * XIVE_PAGE_SIZE + 0x11, 1, 0, v)).toThrow(XiveSigbus);
    }
  });

  it("[xive-22] ESB page 2n is source n's trigger page, 2n+1 its management page; an invalid source SIGBUS", () => {
    const r = rig(1);
    createSource(r, 1);
    r.esb.read(mgmt(1, 0xc00), 8);
    r.esb.write(trig(1), 8, 0); // trigger page store: 00 -> 10
    expect(r.esb.read(mgmt(1, 0x800), 8)).toBe(0b10);
    expect(() => r.esb.read(mgmt(2, 0x800), 8)).toThrow(XiveSigbus);
    expect(() => r.esb.write(trig(5000), 8, 0)).toThrow(XiveSigbus);
  });
});

describe("VP ids and release", () => {
  it("kvmppc_pack_vcpu_id: identity below KVM_MAX_VCPUS; higher ids fold per emulated SMT mode", async () => {
    const { packVcpuId } = await import("./xive.js");
    expect([0, 5, 2047].map((i) => packVcpuId(i))).toEqual([0, 5, 2047]);
    expect(packVcpuId(2048)).toBe(0); // stride 1: block 8 -> 0
    expect(packVcpuId(2048, 2)).toBe(1); // block 4 -> +1
    expect(packVcpuId(2048 + 3, 8)).toBe(3 + 4); // block 1 -> +4
    expect(packVcpuId(2047, 8 as never)).toBe(2047);
    expect(packVcpuId(4095, 8)).toBe(0); // 2047 + 4 >= KVM_MAX_VCPUS -> 0
  });

  it("release detaches every vCPU (VP_STATE then ENXIO), drops the hcalls and the IrqChip, and the old mapping faults", async () => {
    const { KVM_REG_PPC_VP_STATE } = await import("./constants.js");
    const r = rig(2);
    ready(r, 3, 1, 6, 3);
    r.h.close();
    expect(r.vm.vcpus.map((v) => v.irqchipKind)).toEqual([null, null]);
    expect(errnoOf(() => r.vm.vcpus[1].getOneRegU64(KVM_REG_PPC_VP_STATE))).toBe(Errno.ENXIO);
    expect(r.vm.hcalls.has(0x3ac)).toBe(false);
    expect(r.vm.irqchips.size).toBe(0);
    expect(() => r.esb.read(mgmt(3, 0x800), 8)).toThrow(XiveSigbus);
    expect(r.dev.xive.alive).toBe(false);
  });

  it("destroying the VM tears the device down too", () => {
    const r = rig(1);
    r.vm.destroy();
    expect(r.dev.xive.alive).toBe(false);
  });
});
