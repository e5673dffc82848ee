import { describe, expect, it } from "vitest";
import { createVm, encodeU32, errnoOf, Errno, KVM_CAP_IRQ_XICS, KVM_DEV_TYPE_XICS, KVM_DEV_TYPE_XIVE } from "@irqlab/core";
import { KVM_DEV_XICS_GRP_CTRL, KVM_DEV_XICS_GRP_SOURCES, KVM_DEV_XICS_NR_SERVERS } from "@irqlab/xics";
import xiveModule from "../index.js";
import { xicsOnXiveModule } from "./module.js";
import { getSrc, setSrc, xrig } from "./xox-rig.js";
import { X_IPI } from "./xox-state.js";

describe("XICS-on-XIVE lifecycle (§3)", () => {
  it("[xox-1] NR_SERVERS is reported by has_attr; 0 is EINVAL; after a vCPU connects it is EBUSY", () => {
    const r = xrig(2, {}, false);
    const attr = { group: KVM_DEV_XICS_GRP_CTRL, attr: KVM_DEV_XICS_NR_SERVERS };
    expect(r.h.hasAttr({ ...attr, addr: null })).toBe(0);
    expect(errnoOf(() => r.h.setAttr({ ...attr, addr: encodeU32(0, "le") }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => r.h.setAttr({ ...attr, addr: encodeU32(16385, "le") }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => r.h.setAttr({ ...attr, addr: null }))).toBe(Errno.EFAULT);
    expect(r.h.setAttr({ ...attr, addr: encodeU32(5000, "le") })).toBe(0);
    expect(r.x.nrServers).toBe(2048); // clamped to KVM_MAX_VCPUS
    expect(r.h.setAttr({ ...attr, addr: encodeU32(4, "le") })).toBe(0);
    r.vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [r.h, 0]);
    expect(errnoOf(() => r.h.setAttr({ ...attr, addr: encodeU32(8, "le") }))).toBe(Errno.EBUSY);
    expect(r.x.nrServers).toBe(4);
    // A server whose packed VP offset is >= nr_servers is refused.
    expect(errnoOf(() => r.vm.vcpus[1].enableCap(KVM_CAP_IRQ_XICS, [r.h, 4]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => r.h.getAttr({ ...attr, addr: new Uint8Array(4) }))).toBe(Errno.ENXIO);
  });

  it("[xox-2] set_source for irq 15 is ENOENT; for irq 16 it allocates a backing IPI and marks the source valid", () => {
    const r = xrig();
    expect(errnoOf(() => setSrc(r, 15, { server: 0, priority: 0xff, masked: true }))).toBe(Errno.ENOENT);
    expect(errnoOf(() => setSrc(r, 0x100000, { server: 0, priority: 0xff, masked: true }))).toBe(Errno.ENOENT);
    expect(r.x.sources.count).toBe(0);
    setSrc(r, 16, { server: 0, priority: 0xff, masked: true });
    const b = r.x.sources.find(16)!;
    expect(b.xflags[16] & X_IPI).toBe(X_IPI);
    expect(r.x.sourceState(16)!.valid).toBe(true);
    expect(r.x.sources.count).toBe(1);
    expect(r.h.hasAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: 16, addr: null })).toBe(0);
    expect(errnoOf(() => r.h.hasAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: 15, addr: null }))).toBe(Errno.ENXIO);
  });

  it("[xox-3] set_source with MASKED parks the IPI at PQ 10 and get_source returns MASKED with the same saved priority", () => {
    const r = xrig();
    setSrc(r, 16, { server: 1, priority: 5, masked: true });
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b10);
    expect(r.x.sourceState(16)!.guestPriority).toBe(0xff);
    const w = getSrc(r, 16);
    expect(w).toMatchObject({ masked: true, priority: 5, server: 1, pending: false, presented: false, queued: false });
    // Still parked: the pre-save scan does not unmask a masked source.
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b10);
  });

  it("one XIVE-backed device per VM: EEXIST, also against the native device when both modules are loaded", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [xiveModule, xicsOnXiveModule] });
    const h = vm.createDevice(KVM_DEV_TYPE_XICS);
    expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_XICS))).toBe(Errno.EEXIST);
    expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_XIVE))).toBe(Errno.EEXIST);
    h.close();
    const n = vm.createDevice(KVM_DEV_TYPE_XIVE);
    expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_XICS))).toBe(Errno.EEXIST);
    n.close();
    vm.createDevice(KVM_DEV_TYPE_XICS);
  });

  it("connect: EPERM for another device, EBUSY when connected, EEXIST for a VP in use", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 2, modules: [xiveModule, xicsOnXiveModule] });
    const h = vm.createDevice(KVM_DEV_TYPE_XICS);
    vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [h, 0]);
    expect(errnoOf(() => vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [h, 1]))).toBe(Errno.EBUSY);
    expect(errnoOf(() => vm.vcpus[1].enableCap(KVM_CAP_IRQ_XICS, [h, 0]))).toBe(Errno.EEXIST);
    const other = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsOnXiveModule] });
    const oh = other.createDevice(KVM_DEV_TYPE_XICS);
    expect(errnoOf(() => vm.vcpus[1].enableCap(KVM_CAP_IRQ_XICS, [oh, 1]))).toBe(Errno.EPERM);
    expect(vm.vcpus[1].irqchipKind).toBe(null);
  });

  it("connect gives provisioned priorities a queue page; the vCPU IPI is routed at ESB 00; CPPR starts at 0", () => {
    const r = xrig(1, {}, false);
    // set-xive provisions priority 5 before it finds no source block (RTAS -3): qmap keeps it.
    expect(r.vm.vcpus[0].rtas("ibm,set-xive", [16, 0, 5], 1)[0]).toBe(-3);
    expect(r.x.qmap).toBe(1 << 5);
    r.vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [r.h, 0]);
    const xv = r.x.xvcpuOf(r.vm.vcpus[0])!;
    expect(xv.cppr).toBe(0);
    expect(xv.regs[0x11]).toBe(0);
    expect(xv.mfrr).toBe(0xff);
    expect(xv.ipiPq).toBe(0b00);
    expect(Array.from(xv.queues.configured)).toEqual([0, 0, 0, 0, 0, 1, 0, 0]);
    setSrc(r, 16, { server: 0, priority: 2 });
    expect(r.x.qmap).toBe((1 << 5) | (1 << 2));
    expect(xv.queues.configured[2]).toBe(1);
    // A vCPU connected later gets the page at connect.
    const r2 = xrig(2, {}, false);
    r2.vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [r2.h, 0]);
    setSrc(r2, 16, { server: 0, priority: 3 });
    r2.vm.vcpus[1].enableCap(KVM_CAP_IRQ_XICS, [r2.h, 1]);
    expect(r2.x.xvcpuOf(r2.vm.vcpus[1])!.queues.configured[3]).toBe(1);
  });

  it("release cleans up vCPUs and sources; a new device can be created and starts empty", () => {
    const r = xrig();
    setSrc(r, 16, { server: 0, priority: 5 });
    r.h.close();
    expect(r.x.alive).toBe(false);
    expect(r.vm.vcpus.every((v) => v.irqchipKind === null)).toBe(true);
    expect(r.vm.irqchips.size).toBe(0);
    const h2 = r.vm.createDevice(KVM_DEV_TYPE_XICS);
    expect(errnoOf(() => h2.getAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: 16, addr: new Uint8Array(8) }))).toBe(Errno.ENOENT);
  });
});
