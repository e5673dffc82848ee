import { describe, expect, it } from "vitest";
import { createVm, Errno, KVM_CAP_IRQ_MPIC, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI } from "@irqlab/core";
import mpicModule from "./module.js";
import { expectErrno, fixture, program, ready } from "./__tests__/helpers.js";
import {
  KVM_DEV_MPIC_BASE_ADDR,
  KVM_DEV_MPIC_GRP_IRQ_ACTIVE,
  KVM_DEV_MPIC_GRP_MISC,
  KVM_DEV_MPIC_GRP_REGISTER,
  cpuReg,
  srcIdr,
  srcIlr,
  srcIvpr,
} from "./constants.js";
import { getMpicBaseAddr, encodeBaseAddr, encodeRegisterValue } from "./attributes.js";
import { MpicDevice } from "./device.js";

describe("MPIC device creation and attributes", () => {
  it("[mpic-1] a second MPIC of either model in the same VM fails with EINVAL", () => {
    for (const [a, b] of [[1, 2], [2, 1], [1, 1], [2, 2]]) {
      const vm = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mpicModule] });
      vm.createDevice(a);
      expectErrno(() => vm.createDevice(b), Errno.EINVAL);
      expect(vm.deviceList()).toHaveLength(1);
    }
  });

  it("[mpic-2] BASE_ADDR reads 0 after creation and the window is not mapped", () => {
    const f = fixture();
    expect(getMpicBaseAddr(f.h)).toBe(0n);
    expect(f.vm.mmio.regions()).toHaveLength(0);
  });

  it("[mpic-3] BASE_ADDR 0xE0040000 is accepted; 0xE0001000 fails with EINVAL and leaves the base", () => {
    const f = fixture({ type: 1 });
    f.h.setAttr({ group: KVM_DEV_MPIC_GRP_MISC, attr: KVM_DEV_MPIC_BASE_ADDR, addr: encodeBaseAddr(0xe0040000) });
    expect(getMpicBaseAddr(f.h)).toBe(0xe0040000n);
    expectErrno(
      () => f.h.setAttr({ group: KVM_DEV_MPIC_GRP_MISC, attr: KVM_DEV_MPIC_BASE_ADDR, addr: encodeBaseAddr(0xe0001000) }),
      Errno.EINVAL,
    );
    expect(getMpicBaseAddr(f.h)).toBe(0xe0040000n);
    expect(f.vm.mmio.regions()).toEqual([{ base: 0xe0040000, size: 0x40000, owner: "kvm-mpic" }]);
    expect(f.vm.mmio.read(0xe0040000, 4)).toBe(0x00400200);
  });

  it("BASE_ADDR rewrite moves the window; 0 removes it; an unreadable payload is EFAULT", () => {
    const f = fixture({ base: 0xe0040000 });
    f.h.setAttr({ group: 1, attr: 0, addr: encodeBaseAddr(0xfe0040000) });
    expect(f.vm.mmio.regions()).toEqual([{ base: 0xfe0040000, size: 0x40000, owner: "kvm-mpic" }]);
    expect(f.vm.mmio.read(0xfe0040000, 4)).toBe(0x00400402);
    expect(f.vm.mmio.read(0xe0040000, 4)).toBe(0xffffffff);
    f.h.setAttr({ group: 1, attr: 0, addr: encodeBaseAddr(0) });
    expect(f.vm.mmio.regions()).toHaveLength(0);
    expectErrno(() => f.h.setAttr({ group: 1, attr: 0, addr: null }), Errno.EFAULT);
    expectErrno(() => f.h.setAttr({ group: 1, attr: 0, addr: new Uint8Array(4) }), Errno.EFAULT);
    expectErrno(() => f.h.getAttr({ group: 1, attr: 0, addr: null }), Errno.EFAULT);
  });

  it("[mpic-4] HAS_DEVICE_ATTR answers per group", () => {
    const f = fixture();
    expectErrno(() => f.h.hasAttr({ group: KVM_DEV_MPIC_GRP_MISC, attr: 1 }), Errno.ENXIO);
    expect(f.h.hasAttr({ group: KVM_DEV_MPIC_GRP_MISC, attr: 0 })).toBe(0);
    for (const a of [0, 3, 0x1002, 0x4000, 0xffffffffffffn]) expect(f.h.hasAttr({ group: KVM_DEV_MPIC_GRP_REGISTER, attr: a })).toBe(0);
    expect(f.h.hasAttr({ group: KVM_DEV_MPIC_GRP_IRQ_ACTIVE, attr: 256 })).toBe(0);
    expectErrno(() => f.h.hasAttr({ group: KVM_DEV_MPIC_GRP_IRQ_ACTIVE, attr: 257 }), Errno.ENXIO);
    expectErrno(() => f.h.hasAttr({ group: 4, attr: 0 }), Errno.ENXIO);
  });

  it("[mpic-5] BRR1 is 0x00400200 on v2.0 and 0x00400402 on v4.2", () => {
    expect(fixture({ type: 1 }).get(0x0)).toBe(0x00400200);
    expect(fixture({ type: 2 }).get(0x0)).toBe(0x00400402);
  });

  it("[mpic-6] FRR reports NIRQ, NCPU and VID; with no vCPU attached bits 8..31 are set", () => {
    expect(fixture({ type: 1, connect: [0] }).get(0x1000)).toBe(0x004f0002);
    expect(fixture({ type: 2, connect: [0] }).get(0x1000)).toBe(0x00c30002);
    expect(fixture({ type: 1 }).get(0x1000)).toBe(0xffffff02);
    expect(fixture({ type: 2, vcpus: 2, connect: [0, 1] }).get(0x1000)).toBe(0x00c30102);
  });

  it("[mpic-7] GET of an unaligned register offset is ENXIO; a 4-aligned non-16 global offset reads all ones", () => {
    const f = fixture();
    expectErrno(() => f.get(0x1002), Errno.ENXIO);
    expect(f.get(0x1004)).toBe(0xffffffff);
  });

  it("[mpic-8] offsets outside every block are ENXIO; a PIR write is ENXIO", () => {
    const f = fixture();
    for (const off of [0x4000, 0x1310, 0x15fc, 0x1800, 0x37fc, 0x12000, 0x1fffc, 0x3f100, 0x3fffc, 0x40000]) {
      expectErrno(() => f.get(off), Errno.ENXIO);
      expectErrno(() => f.set(off, 0), Errno.ENXIO);
    }
    expectErrno(() => f.get(1n << 60n), Errno.ENXIO);
    expectErrno(() => f.set(0x1090, 1), Errno.ENXIO);
    expect(f.get(0x1090)).toBe(0);
  });

  it("[mpic-9] SPVR reads 0xFFFF after reset and keeps 16 bits of a write", () => {
    const f = fixture();
    expect(f.get(0x10e0)).toBe(0xffff);
    f.set(0x10e0, 0x12345678);
    expect(f.get(0x10e0)).toBe(0x5678);
  });

  it("[mpic-10] IVPR reset values: external and IPI 0x80000000, internal 0x80800000", () => {
    const f = fixture();
    expect(f.get(0x10000)).toBe(0x80000000);
    expect(f.get(0x10000 + 0x20 * 16)).toBe(0x80800000);
    expect(f.get(0x10000 + 0x20 * 255)).toBe(0x80800000);
    expect(f.get(0x10a0)).toBe(0x80000000);
  });

  it("[mpic-11] IVPR write masks per source kind", () => {
    const f = fixture();
    f.set(srcIvpr(5), 0xffffffff);
    expect(f.get(srcIvpr(5))).toBe(0x80cfffff);
    f.set(srcIvpr(20), 0xffffffff);
    expect(f.get(srcIvpr(20))).toBe(0x808fffff);
    f.set(0x10a0, 0xffffffff);
    expect(f.get(0x10a0)).toBe(0x800fffff);
  });

  it("[mpic-12] writing IVPR with no active input never sets the activity bit", () => {
    const f = ready({ vcpus: 1 });
    for (const v of [0x00050042, 0x7fffffff, 0x40000000, 0xc0cfffff, 0x00400001]) {
      f.set(srcIvpr(3), v);
      expect(f.get(srcIvpr(3)) & 0x40000000).toBe(0);
      f.set(srcIvpr(30), v);
      expect(f.get(srcIvpr(30)) & 0x40000000).toBe(0);
    }
  });

  it("[mpic-13] ILR reads all ones on v2.0; v4.2 keeps the low byte", () => {
    const f20 = fixture({ type: 1 });
    expect(f20.get(0x10018)).toBe(0xffffffff);
    f20.set(0x10018, 0x102);
    expect(f20.get(0x10018)).toBe(0xffffffff);
    const f42 = fixture({ type: 2 });
    expect(f42.get(0x10018)).toBe(0);
    f42.set(0x10018, 0x102);
    expect(f42.get(0x10018)).toBe(0x02);
  });

  it("[mpic-14] per-CPU CTPR and WHOAMI by address; the global aliases are inert from userspace", () => {
    const f = fixture({ connect: [0, 1] });
    expect(f.get(0x20080)).toBe(15);
    expect(f.get(0x21090)).toBe(1);
    expect(f.get(0x00080)).toBe(0xffffffff);
    expect(f.get(0x00090)).toBe(0xffffffff);
    expect(f.get(0x000a0)).toBe(0xffffffff);
    f.set(0x00080, 3);
    expect(f.get(0x20080)).toBe(15);
    expect(f.get(0x21080)).toBe(15);
  });

  it("[mpic-15] IRQ_ACTIVE on an unmasked edge source raises CPU 0; IACK returns its vector, then the spurious vector", () => {
    const f = fixture({ vcpus: 1, connect: [0] });
    f.set(0x20080, 0);
    program(f, 3, 0x00050042, 1);
    const line = f.vm.vcpus[0].ext;
    expect(line.asserted).toBe(false);
    f.active(3, 1);
    expect(line.asserted).toBe(true);
    expect(f.get(0x200a0)).toBe(0x42);
    expect(line.asserted).toBe(false);
    expect(f.active(3)).toBe(0);
    expect(f.get(0x200a0)).toBe(0xffff);
  });

  it("[mpic-16] an interrupt in service hides a new edge of the same priority until EOI", () => {
    const f = ready({ vcpus: 1 });
    program(f, 3, 0x00050042);
    program(f, 4, 0x00050044);
    f.active(3, 1);
    expect(f.iack()).toBe(0x42);
    f.active(4, 1);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    f.eoi();
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    expect(f.iack()).toBe(0x44);
  });

  it("[mpic-17] a pending source at or below CTPR does not raise the line; lowering CTPR raises it", () => {
    const f = ready({ vcpus: 1 });
    f.set(cpuReg(0, 0x80), 5);
    program(f, 3, 0x00050042);
    f.active(3, 1);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    f.set(cpuReg(0, 0x80), 6);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    f.set(cpuReg(0, 0x80), 4);
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    f.set(cpuReg(0, 0x80), 5);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    f.set(cpuReg(0, 0x80), 0);
    expect(f.iack()).toBe(0x42);
  });

  it("[mpic-18] a level source held at 1 is re-presented after EOI; after it drops, nothing more", () => {
    const f = ready({ vcpus: 1 });
    program(f, 20, 0x00030033);
    const line = f.vm.vcpus[0].ext;
    f.active(20, 1);
    expect(line.asserted).toBe(true);
    expect(f.iack()).toBe(0x33);
    expect(line.asserted).toBe(false);
    expect(f.active(20)).toBe(1);
    f.active(20, 1);
    expect(line.asserted).toBe(false);
    f.eoi();
    expect(line.asserted).toBe(true);
    expect(f.iack()).toBe(0x33);
    f.active(20, 0);
    f.eoi();
    expect(line.asserted).toBe(false);
    expect(f.iack()).toBe(0xffff);
  });

  it("[mpic-19] IACK with nothing raised returns SPVR and changes no state", () => {
    const f = ready({ vcpus: 1 });
    f.set(0x10e0, 0x1234);
    program(f, 3, 0x80050042);
    f.active(3, 1);
    const visible = () => [f.get(srcIvpr(3)), f.active(3), f.get(0x20080), f.vm.vcpus[0].ext.asserted, f.get(0x1720)];
    const before = visible();
    expect(f.iack()).toBe(0x1234);
    expect(visible()).toEqual(before);
    // the first IACK only refreshed the cached queue priority (0 after reset, -1 after a
    // rescan); from then on a spurious IACK leaves every bit of state as it was
    const dump = f.dev.dumpState();
    expect(f.iack()).toBe(0x1234);
    expect(f.dev.dumpState()).toBe(dump);
  });

  it("[mpic-20] EOI with nothing in service changes nothing and notifies nobody", () => {
    const f = ready({ vcpus: 1 });
    const acks: number[] = [];
    f.vm.ackNotifiers.subscribe((_c, pin) => acks.push(pin));
    program(f, 3, 0x00050042);
    f.active(3, 1);
    const before = f.dev.dumpState();
    f.eoi();
    expect(f.dev.dumpState()).toBe(before);
    expect(acks).toEqual([]);
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
  });

  it("[mpic-21] EOI of source 7 notifies the acknowledge listeners for (irqchip 0, pin 7)", () => {
    const f = ready({ vcpus: 1 });
    const acks: Array<[string, number, number]> = [];
    f.vm.ackNotifiers.subscribe((chip, pin) => acks.push([chip.name, chip.index, pin]));
    program(f, 7, 0x00470077 | 0x00400000);
    f.dev.chip.setIrq(7, 1, 1);
    expect(f.iack()).toBe(0x77);
    expect(acks).toEqual([]);
    f.eoi();
    expect(acks).toEqual([["mpic", 0, 7]]);
    expect(f.vm.ackNotifiers.notified).toBe(1);
  });

  it("EOI of an IPI or timer source notifies nobody (no GSI maps pins >= 256)", () => {
    const f = ready({ vcpus: 1 });
    const acks: number[] = [];
    f.vm.ackNotifiers.subscribe((_c, pin) => acks.push(pin));
    f.set(0x10a0, 0x00050099);
    f.set(cpuReg(0, 0x40), 1);
    expect(f.iack()).toBe(0x99);
    f.eoi();
    expect(acks).toEqual([]);
  });

  it("[mpic-22] a GCR reset restores IVPRs and CTPRs but keeps an asserted level input pending", () => {
    const f = ready({ vcpus: 1 });
    program(f, 20, 0x00030033);
    f.active(20, 1);
    f.set(0x10e0, 0x55);
    f.set(0x1020, 0x80000000);
    expect(f.get(0x1020)).toBe(0);
    expect(f.get(srcIvpr(20))).toBe(0x80800000);
    expect(f.get(0x20080)).toBe(15);
    expect(f.get(0x10e0)).toBe(0xffff);
    expect(f.active(20)).toBe(1);
    // no lower was issued: the line stays up, and IACK finds empty queues
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    expect(f.iack()).toBe(0xffff);
  });

  it("[mpic-23] GCR mode bits: v2.0 keeps 0x20000000, v4.2 keeps 0x60000000", () => {
    const f20 = fixture({ type: 1 });
    f20.set(0x1020, 0x60000000);
    expect(f20.get(0x1020)).toBe(0x20000000);
    const f42 = fixture({ type: 2 });
    f42.set(0x1020, 0x60000000);
    expect(f42.get(0x1020)).toBe(0x60000000);
    f42.set(0x1020, 0x1fffffff);
    expect(f42.get(0x1020)).toBe(0);
  });

  it("[mpic-24] an MSI with data 0x03000000 sets MSIR0 bit 3; reading MSIR0 clears it and de-asserts source 224", () => {
    const f = ready({ vcpus: 1 });
    program(f, 224, 0x000500e0);
    f.dev.chip.deliverMsi({ addressLo: 0xe0041740, addressHi: 0, data: 0x03000000, flags: 0, devid: 0 }, 1, 0);
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    expect(f.get(0x1720)).toBe(0x1);
    expect(f.active(224)).toBe(1);
    expect(f.get(0x1600)).toBe(0x00000008);
    expect(f.get(0x1600)).toBe(0);
    expect(f.active(224)).toBe(0);
    expect(f.get(0x1720)).toBe(0);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
  });

  it("[mpic-25] a misaligned MSI-block read is ENXIO; MSIIR reads 0", () => {
    const f = fixture();
    expectErrno(() => f.get(0x1604), Errno.ENXIO);
    expect(f.get(0x1740)).toBe(0);
    expect(f.get(0x1700)).toBe(0);
    f.set(0x1604, 0xffffffff);
    expect(f.get(0x1720)).toBe(0);
  });

  it("[mpic-26] after a reset each IPI also targets CPU 0: IPIDR0 <- 0x2 reaches CPUs 0 and 1", () => {
    const f = ready({ vcpus: 2 });
    f.set(0x10a0, 0x00070070);
    f.set(cpuReg(0, 0x40), 0x2);
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    expect(f.vm.vcpus[1].ext.asserted).toBe(true);
    expect(f.iack(0)).toBe(0x70);
    expect(f.iack(1)).toBe(0x70);
    f.eoi(0);
    f.eoi(1);
    expect(f.iack(0)).toBe(0xffff);
    expect(f.iack(1)).toBe(0xffff);
    // once taken, the CPU 0 bit is gone: the next dispatch reaches CPU 1 only
    f.set(cpuReg(0, 0x40), 0x2);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    expect(f.iack(1)).toBe(0x70);
  });

  it("[mpic-27] IRQ_ACTIVE rejects values other than 0/1 and sources beyond 256 with EINVAL", () => {
    const f = fixture();
    expectErrno(() => f.active(3, 2), Errno.EINVAL);
    expectErrno(() => f.active(300, 1), Errno.EINVAL);
    expectErrno(() => f.active(300), Errno.EINVAL);
    expectErrno(() => f.active(257), Errno.EINVAL);
    expect(f.active(256)).toBe(0);
    f.active(256, 1);
    expect(f.active(256)).toBe(1);
  });

  it("[mpic-28] timer reads are one register off: 0x1100 reads GTBCR0, 0x1110 reads GTVPR0", () => {
    const f = fixture();
    f.set(0x1110, 0x11111111);
    expect(f.get(0x1100)).toBe(0x11111111);
    expect(f.get(0x1110)).toBe(f.dev.pic.ivpr[260]);
    f.set(0x1120, 0x00050090);
    expect(f.get(0x1110)).toBe(0x00050090);
    f.set(0x1130, 0x1);
    expect(f.get(0x1120)).toBe(f.dev.pic.idr[260]);
  });

  it("[mpic-32] IDR reads 0 right after creation; after attaching CPU 0 and a GCR reset it reads 1", () => {
    const f = fixture({ vcpus: 1 });
    expect(f.get(0x10010)).toBe(0);
    f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [f.h, 0]);
    expect(f.get(0x10010)).toBe(0);
    f.set(0x1020, 0x80000000);
    expect(f.get(0x10010)).toBe(1);
  });

  it("[mpic-33] the per-CPU block of a CPU without a vCPU decodes like any other", () => {
    const f = fixture({ vcpus: 1, connect: [0], reset: true });
    expect(f.get(0x21080)).toBe(15);
    expect(f.get(0x3f090)).toBe(31);
    f.set(0x21080, 4);
    expect(f.get(0x21080)).toBe(4);
  });

  it("[mpic-34] v4.2 ILR 3 reads back 3", () => {
    const f = fixture({ type: 2 });
    f.set(0x100b8, 0x3);
    expect(f.get(0x100b8)).toBe(0x3);
  });

  it("[mpic-35] timers: GTBCR0 reads 0x80000000 at 0x1100 after reset, GTCCR0 reads 0 at 0x11F0 and never counts", () => {
    const f = fixture({ vcpus: 1, connect: [0], reset: true });
    expect(f.get(0x1100)).toBe(0x80000000);
    expect(f.get(0x11f0)).toBe(0);
    f.set(0x1110, 1000);
    expect(f.get(0x11f0)).toBe(0);
    expect(f.get(0x1100)).toBe(1000);
    f.vm.clock.advance(1e12);
    expect(f.get(0x11f0)).toBe(0);
    expect(f.vm.clock.pendingTimers()).toBe(0);
    f.set(0x10f0, 0x017d7840);
    expect(f.get(0x10f0)).toBe(0x017d7840);
    f.set(0x1100, 0x1234); // GTCCR0 write: read-only
    expect(f.get(0x11f0)).toBe(0);
  });

  it("[mpic-36] v4.2: a critical (ILR 1) level source sets A but never raises the external line; IACK is spurious", () => {
    const f = ready({ type: 2, vcpus: 1 });
    f.set(srcIdr(5), 1);
    f.set(srcIlr(5), 1);
    f.set(srcIvpr(5), 0x00460055);
    f.active(5, 1);
    expect(f.get(srcIvpr(5)) & 0x40000000).toBe(0x40000000);
    const v = f.vm.vcpus[0];
    expect(v.ext.asserted).toBe(false);
    expect(v.crit.asserted).toBe(false);
    expect(v.mcheck.asserted).toBe(false);
    expect(f.iack()).toBe(0xffff);
  });

  it("[mpic-37] the higher priority is acknowledged first, the lower one even before EOI", () => {
    const f = ready({ vcpus: 1 });
    program(f, 3, 0x00030033);
    program(f, 6, 0x000c006c);
    f.active(3, 1);
    f.active(6, 1);
    expect(f.iack()).toBe(0x6c);
    expect(f.iack()).toBe(0x33);
  });
});

describe("MPIC lifecycle", () => {
  it("[mpic-31] closing the descriptor keeps the MPIC: injections still reach the vCPU; no new MPIC", () => {
    const f = ready({ vcpus: 1 });
    program(f, 3, 0x00050042);
    const chip = f.vm.irqchips.byIndex(0)!;
    f.h.close();
    expectErrno(() => f.vm.createDevice(1), Errno.EINVAL);
    expectErrno(() => f.vm.createDevice(2), Errno.EINVAL);
    expect(chip.setIrq(3, 1, 0)).toBe(0);
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    expect(f.vm.deviceList()).toHaveLength(1);
  });

  it("[devapi-9] with an MPIC created, either MPIC type fails with EINVAL, also after its descriptor is closed", () => {
    for (const first of [1, 2]) {
      const vm = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mpicModule] });
      const h = vm.createDevice(first);
      for (const t of [1, 2]) expectErrno(() => vm.createDevice(t), Errno.EINVAL);
      h.close();
      for (const t of [1, 2]) expectErrno(() => vm.createDevice(t), Errno.EINVAL);
      // the TEST flag only asks whether the type is supported
      expect(vm.createDevice(first, { test: true })).toBeUndefined();
      expect(vm.deviceList()).toHaveLength(1);
    }
  });

  it("VM destruction destroys the MPIC: irqchip unregistered, window unmapped, vCPUs detached", () => {
    const f = ready({ vcpus: 2, base: 0xe0040000 });
    expect(f.vm.irqchips.size).toBe(1);
    f.vm.destroy();
    expect(f.vm.irqchips.size).toBe(0);
    expect(f.vm.mmio.regions()).toHaveLength(0);
    expect(f.vm.vcpus[0].irqchipKind).toBeNull();
    expectErrno(() => f.get(0), Errno.EIO);
  });

  it("registers irqchip 0 with 256 pins, IRQCHIP and MSI routes, and an empty-table reset", () => {
    const f = fixture();
    const chip = f.vm.irqchips.byIndex(0)!;
    expect(chip).toBe(f.dev.chip);
    expect(chip.pins).toBe(256);
    expect(chip.routeTypes).toEqual([KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI]);
    expect(chip.resetsRouting).toBe(true);
    expect(chip.hasCapability?.("msi")).toBe(true);
  });

  it("[mpic-30] a route to pin 256 is refused with EINVAL; pin 255 and MSI routes are accepted; setIrq answers 0", () => {
    const f = ready({ vcpus: 1 });
    const chip = f.dev.chip;
    expectErrno(() => chip.validateRoute({ gsi: 1, flags: 0, type: KVM_IRQ_ROUTING_IRQCHIP, irqchip: 0, pin: 256 }), Errno.EINVAL);
    expectErrno(() => chip.validateRoute({ gsi: 1, flags: 0, type: KVM_IRQ_ROUTING_IRQCHIP, irqchip: 0, pin: -1 }), Errno.EINVAL);
    expect(() => chip.validateRoute({ gsi: 1, flags: 0, type: KVM_IRQ_ROUTING_IRQCHIP, irqchip: 0, pin: 255 })).not.toThrow();
    expect(() =>
      chip.validateRoute({ gsi: 1, flags: 0, type: KVM_IRQ_ROUTING_MSI, msi: { addressLo: 0, addressHi: 0, data: 0, flags: 0, devid: 0 } }),
    ).not.toThrow();
    expectErrno(() => chip.validateRoute({ gsi: 1, flags: 0, type: 3 } as never), Errno.EINVAL);
    program(f, 3, 0x00050042);
    expect(chip.setIrq(3, 1, 0)).toBe(0);
    expect(chip.setIrq(3, 0, 0)).toBe(0);
    expect(chip.setIrq(400, 1, 0)).toBe(0);
    expect(f.dev.counters().ignoredInputs).toBe(1);
  });

  it("a GET with an unwritable payload still performs the read and its side effects (EFAULT after IACK)", () => {
    const f = ready({ vcpus: 1 });
    program(f, 3, 0x00050042);
    f.active(3, 1);
    expectErrno(() => f.h.getAttr({ group: KVM_DEV_MPIC_GRP_REGISTER, attr: 0x200a0, addr: null }), Errno.EFAULT);
    expect(f.active(3)).toBe(0);
    expect(f.iack()).toBe(0xffff);
  });

  it("a SET with an unreadable payload is EFAULT before the offset is looked at", () => {
    const f = fixture();
    expectErrno(() => f.h.setAttr({ group: KVM_DEV_MPIC_GRP_REGISTER, attr: 0x1002, addr: null }), Errno.EFAULT);
    expectErrno(() => f.h.setAttr({ group: KVM_DEV_MPIC_GRP_REGISTER, attr: 0x1002, addr: encodeRegisterValue(1) }), Errno.ENXIO);
    expectErrno(() => f.h.setAttr({ group: KVM_DEV_MPIC_GRP_IRQ_ACTIVE, attr: 300, addr: null }), Errno.EINVAL);
    expectErrno(() => f.h.setAttr({ group: KVM_DEV_MPIC_GRP_IRQ_ACTIVE, attr: 3, addr: null }), Errno.EFAULT);
  });

  it("unknown groups are ENXIO for set, get and has", () => {
    const f = fixture();
    for (const g of [0, 4, 99]) {
      expectErrno(() => f.h.setAttr({ group: g, attr: 0, addr: new Uint8Array(8) }), Errno.ENXIO);
      expectErrno(() => f.h.getAttr({ group: g, attr: 0, addr: new Uint8Array(8) }), Errno.ENXIO);
      expectErrno(() => f.h.hasAttr({ group: g, attr: 0 }), Errno.ENXIO);
    }
    expectErrno(() => f.h.getAttr({ group: 1, attr: 1, addr: new Uint8Array(8) }), Errno.ENXIO);
  });

  it("payloads follow the VM's byte order", () => {
    const vm = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mpicModule], endian: "be" });
    const h = vm.createDevice(2);
    const buf = new Uint8Array(4);
    h.getAttr({ group: 2, attr: 0, addr: buf });
    expect([...buf]).toEqual([0x00, 0x40, 0x04, 0x02]);
    h.setAttr({ group: 1, attr: 0, addr: new Uint8Array([0, 0, 0, 0, 0xe0, 0x04, 0, 0]) });
    expect(h.backend<MpicDevice>().baseAddress).toBe(0xe0040000n);
  });
});
