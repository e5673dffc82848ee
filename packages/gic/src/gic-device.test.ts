import { describe, expect, it } from "vitest";
import { createVm, encodeU32, encodeU64, Errno, errnoOf, KVM_CAP_IRQFD_RESAMPLE, runVcpu } from "@irqlab/core";
import routingModule, { EventFd, GsiRouting, KVM_CAP_MSI_DEVID, KVM_IRQFD_FLAG_RESAMPLE } from "@irqlab/routing";
import gicModule from "./module.js";
import {
  GRP_ADDR,
  GRP_CPU_REGS,
  GRP_CPU_SYSREGS,
  GRP_CTRL,
  GRP_DIST_REGS,
  GRP_ITS_REGS,
  GRP_LEVEL_INFO,
  GRP_NR_IRQS,
  GRP_REDIST_REGS,
  ICC_CTLR_EL1,
  ICC_DIR_EL1,
  ICC_PMR_EL1,
  ICC_RPR_EL1,
  ICC_SGI0R_EL1,
  ICC_SGI1R_EL1,
  KVM_CAP_ARM_IRQ_LINE_LAYOUT_2,
  KVM_DEV_TYPE_ARM_VGIC_V3,
} from "./constants.js";
import { DIST, Fx } from "./__tests__/fixture.js";

const u64 = encodeU64;
const u32 = encodeU32;

describe("GICv3 device life cycle and GRP_ADDR", () => {
  it("[gic-1] a second KVM_CREATE_DEVICE of type 7 fails with EEXIST, also after closing the first", () => {
    const f = new Fx({ init: false, addrs: false });
    expect(errnoOf(() => f.vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_V3))).toBe(Errno.EEXIST);
    f.gic.close();
    expect(errnoOf(() => f.vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_V3))).toBe(Errno.EEXIST);
  });

  it("[gic-2] creating the GICv3 after a vCPU has run fails with EBUSY", () => {
    const vm = createVm({ arch: "arm64", vcpus: 2, modules: [routingModule, gicModule] });
    runVcpu(vm.vcpus[1]);
    expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_V3))).toBe(Errno.EBUSY);
    expect(vm.irqchips.size).toBe(0);
  });

  it("the first KVM_RUN maps the vGIC: before CTRL_INIT it is EBUSY and the vCPU has not run", () => {
    const f = new Fx({ init: false });
    expect(errnoOf(() => runVcpu(f.vm.vcpus[0]))).toBe(Errno.EBUSY);
    // The failed run tore the addresses down (recent kernels): set them again.
    expect(f.get64(GRP_ADDR, 2)).toBe(0xffffffffffffffffn);
    f.set(GRP_ADDR, 2, u64(DIST));
    f.set(GRP_ADDR, 3, u64(0x080a0000));
    f.set(GRP_CTRL, 0, null);
    runVcpu(f.vm.vcpus[0]);
    expect(f.vm.vcpus[0].mmioRead(DIST + 0x8, 4)).toBe(0x4b00343b);
  });

  it("[gic-4] HAS answers 0 for the supported attributes and ENXIO for the others", () => {
    const f = new Fx({ init: false, addrs: false });
    const has = (group: number, attr: number) => errnoOf(() => f.gic.hasAttr({ group, attr }));
    expect([has(GRP_ADDR, 2), has(GRP_ADDR, 3), has(GRP_ADDR, 5), has(GRP_NR_IRQS, 0), has(GRP_CTRL, 0), has(GRP_CTRL, 3)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([has(GRP_ADDR, 4), has(GRP_CTRL, 1), has(GRP_CPU_REGS, 0), has(GRP_ITS_REGS, 0)]).toEqual(Array(4).fill(Errno.ENXIO));
  });

  it("[gic-5] unset distributor and redistributor bases read VGIC_ADDR_UNDEF", () => {
    const f = new Fx({ init: false, addrs: false });
    expect(f.get64(GRP_ADDR, 2)).toBe(0xffffffffffffffffn);
    expect(f.get64(GRP_ADDR, 3)).toBe(0xffffffffffffffffn);
  });

  it("[gic-6] V3_DIST: misaligned EINVAL, aligned 0, again EEXIST", () => {
    const f = new Fx({ init: false, addrs: false });
    expect(f.err(() => f.set(GRP_ADDR, 2, u64(0x08001000)))).toBe(Errno.EINVAL);
    expect(f.set(GRP_ADDR, 2, u64(0x08000000))).toBe(0);
    expect(f.err(() => f.set(GRP_ADDR, 2, u64(0x09000000)))).toBe(Errno.EEXIST);
    expect(f.get64(GRP_ADDR, 2)).toBe(0x08000000n);
  });

  it("[gic-7] V3_DIST at 2^40 fails with E2BIG", () => {
    const f = new Fx({ init: false, addrs: false });
    expect(f.err(() => f.set(GRP_ADDR, 2, u64(0x0000010000000000n)))).toBe(Errno.E2BIG);
  });

  it("[gic-8] the GICv2 distributor attribute is ENXIO", () => {
    const f = new Fx({ init: false, addrs: false });
    expect(f.err(() => f.set(GRP_ADDR, 0, u64(0x08000000)))).toBe(Errno.ENXIO);
  });

  const region = (index: number, base: number, count: number, flags = 0) => u64((BigInt(count) << 52n) | BigInt(base) | BigInt(flags << 12) | BigInt(index));

  it("[gic-9] V3_REDIST_REGION: count 0, flags, or index 1 first are EINVAL", () => {
    const f = new Fx({ init: false, addrs: false });
    expect(f.err(() => f.set(GRP_ADDR, 5, region(0, 0x080a0000, 0)))).toBe(Errno.EINVAL);
    expect(f.err(() => f.set(GRP_ADDR, 5, region(0, 0x080a0000, 2, 1)))).toBe(Errno.EINVAL);
    expect(f.err(() => f.set(GRP_ADDR, 5, region(1, 0x080a0000, 2)))).toBe(Errno.EINVAL);
  });

  it("[gic-10] a counted region reads back; an unknown index is ENOENT", () => {
    const f = new Fx({ init: false, addrs: false });
    expect(f.set(GRP_ADDR, 5, region(0, 0x080a0000, 2))).toBe(0);
    expect(f.get64(GRP_ADDR, 5, u64(0))).toBe(0x00200000080a0000n);
    expect(f.err(() => f.get64(GRP_ADDR, 5, u64(1)))).toBe(Errno.ENOENT);
  });

  it("[gic-11] region index order and overlap", () => {
    const f = new Fx({ init: false, addrs: false });
    f.set(GRP_ADDR, 5, region(0, 0x080a0000, 2));
    expect(f.err(() => f.set(GRP_ADDR, 5, region(2, 0x08200000, 1)))).toBe(Errno.EINVAL);
    expect(f.err(() => f.set(GRP_ADDR, 5, region(1, 0x080c0000, 1)))).toBe(Errno.EINVAL);
    expect(f.set(GRP_ADDR, 5, region(1, 0x080e0000, 1))).toBe(0);
  });

  it("[gic-12] legacy and counted regions do not mix; a second legacy one is EEXIST", () => {
    const f = new Fx({ init: false, addrs: false });
    f.set(GRP_ADDR, 5, region(0, 0x080a0000, 2));
    expect(f.err(() => f.set(GRP_ADDR, 3, u64(0x09000000)))).toBe(Errno.EINVAL);
    const g = new Fx({ init: false, addrs: false });
    g.set(GRP_ADDR, 3, u64(0x080a0000));
    expect(g.err(() => g.set(GRP_ADDR, 3, u64(0x09000000)))).toBe(Errno.EEXIST);
  });

  it("first KVM_RUN without a distributor base fails with ENXIO and tears the configuration down", () => {
    const f = new Fx({ init: false, addrs: false });
    f.set(GRP_ADDR, 3, u64(0x080a0000));
    f.set(GRP_CTRL, 0, null);
    expect(f.err(() => runVcpu(f.vm.vcpus[0]))).toBe(Errno.ENXIO);
    expect(f.get64(GRP_ADDR, 3)).toBe(0xffffffffffffffffn);
    expect(f.get32(GRP_NR_IRQS, 0)).toBe(32);
  });
});

describe("GICv3 NR_IRQS, CTRL and register groups", () => {
  it("[gic-13] NR_IRQS reads 32 fresh and 256 after a default CTRL_INIT", () => {
    const f = new Fx({ init: false });
    expect(f.get32(GRP_NR_IRQS, 0)).toBe(32);
    f.set(GRP_CTRL, 0, null);
    expect(f.get32(GRP_NR_IRQS, 0)).toBe(256);
  });

  it("[gic-14] NR_IRQS accepts 64..992 in steps of 32, once", () => {
    const f = new Fx({ init: false });
    expect(f.err(() => f.set(GRP_NR_IRQS, 0, u32(1024)))).toBe(Errno.EINVAL);
    expect(f.set(GRP_NR_IRQS, 0, u32(992))).toBe(0);
    const g = new Fx({ init: false });
    expect(g.err(() => g.set(GRP_NR_IRQS, 0, u32(48)))).toBe(Errno.EINVAL);
    expect(g.err(() => g.set(GRP_NR_IRQS, 0, u32(100)))).toBe(Errno.EINVAL);
    expect(f.err(() => f.set(GRP_NR_IRQS, 0, u32(992)))).toBe(Errno.EBUSY);
    expect(f.err(() => f.set(GRP_NR_IRQS, 0, null))).toBe(Errno.EFAULT);
  });

  it("[gic-15] 64 interrupts: GICD_TYPER 0x00480001", () => {
    const f = new Fx({ nrIrqs: 64 });
    expect(f.dist(0x4)).toBe(0x00480001);
  });

  it("[gic-16] CTRL_INIT twice returns 0 both times", () => {
    const f = new Fx({ init: false });
    expect(f.set(GRP_CTRL, 0, null)).toBe(0);
    expect(f.set(GRP_CTRL, 0, null)).toBe(0);
  });

  it("[gic-17] DIST_REGS before CTRL_INIT is EBUSY; with no vCPU EINVAL", () => {
    const f = new Fx({ init: false });
    expect(f.err(() => f.dist(0))).toBe(Errno.EBUSY);
    const g = new Fx({ init: false, vcpus: 0, addrs: false });
    expect(g.err(() => g.dist(0))).toBe(Errno.EINVAL);
  });

  it("[gic-18] REDIST_REGS with an unknown affinity is EINVAL", () => {
    const f = new Fx();
    expect(f.err(() => f.get32(GRP_REDIST_REGS, 0x0000000500000000n))).toBe(Errno.EINVAL);
  });

  it("[gic-19] GICD_CTLR reads 0x50; userspace 0x3 reads 0x52", () => {
    const f = new Fx();
    expect(f.dist(0)).toBe(0x50);
    f.setDist(0, 0x3);
    expect(f.dist(0)).toBe(0x52);
  });

  it("[gic-20] GICD_TYPER 0x00480007, 0x007A0007 with an ITS", () => {
    const f = new Fx();
    expect(f.dist(4)).toBe(0x00480007);
    f.addIts();
    expect(f.dist(4)).toBe(0x007a0007);
  });

  it("[gic-21] IIDR, TYPER2, PIDR2, STATUSR", () => {
    const f = new Fx();
    expect([f.dist(0x8), f.dist(0xc), f.dist(0xffe8), f.dist(0x10)]).toEqual([0x4b00343b, 0, 0x3b, 0xffffffff]);
  });

  it("[gic-22] userspace IIDR writes may only change the revision to 2 or 3", () => {
    const f = new Fx();
    expect(f.err(() => f.setDist(0x8, 0x4b00343c))).toBe(Errno.EINVAL);
    expect(f.err(() => f.setDist(0x8, 0x4b00443b))).toBe(Errno.EINVAL);
    expect(f.setDist(0x8, 0x4b00343b)).toBe(0);
    expect(f.setDist(0x8, 0x4b00243b)).toBe(0);
    expect(f.dist(0x8)).toBe(0x4b00243b);
    expect(f.redist(0)).toBe(0);
  });

  it("[gic-23] IGROUPR1 reads all ones, IGROUPR0 (SGI/PPI in the distributor) 0", () => {
    const f = new Fx();
    expect(f.dist(0x84)).toBe(0xffffffff);
    expect(f.dist(0x80)).toBe(0);
  });

  it("[gic-24] ICFGR of SPIs 32-47 reads edge; writing 0 makes them level", () => {
    const f = new Fx();
    expect(f.dist(0xc08)).toBe(0xaaaaaaaa);
    f.setDist(0xc08, 0);
    expect(f.dist(0xc08)).toBe(0);
  });

  it("[gic-25] priorities keep 5 bits", () => {
    const f = new Fx();
    f.setDist(0x420, 0xffffffff);
    expect(f.dist(0x420)).toBe(0xf8f8f8f8);
  });

  it("[gic-26] IROUTER keeps Aff2.Aff1.Aff0; the high word is RAZ/WI", () => {
    const f = new Fx();
    f.setDist(0x6100, 0xffffffff);
    expect(f.dist(0x6100)).toBe(0x00ffffff);
    expect(f.dist(0x6104)).toBe(0);
    f.setDist(0x6104, 0xffffffff);
    expect(f.dist(0x6104)).toBe(0);
  });

  it("[gic-27] undecoded offsets succeed with 0; only HAS says ENXIO", () => {
    const f = new Fx();
    expect(f.dist(0xe00)).toBe(0);
    const has = (attr: number) => errnoOf(() => f.gic.hasAttr({ group: GRP_DIST_REGS, attr }));
    expect([has(0xe00), has(0x2), has(0x104)]).toEqual([Errno.ENXIO, Errno.ENXIO, 0]);
  });

  it("[gic-28] before NR_IRQS/CTRL_INIT the SPI registers are absent for HAS", () => {
    const f = new Fx({ init: false });
    expect(errnoOf(() => f.gic.hasAttr({ group: GRP_DIST_REGS, attr: 0x104 }))).toBe(Errno.ENXIO);
  });

  it("[gic-29] ISENABLER beyond nr_irqs reads 0 with success", () => {
    const f = new Fx();
    expect(f.dist(0x108)).toBe(0);
    expect(f.dist(0x120)).toBe(0);
  });

  it("[gic-30] GICR_CTLR 0x6, GICR_IIDR, GICR_WAKER", () => {
    const f = new Fx();
    expect([f.redist(0), f.redist(4), f.redist(0x14)]).toEqual([0x6, 0x4b00043b, 0]);
  });

  it("[gic-31] GICR_TYPER of vCPU 0 and 1 (legacy region, Last on vCPU 1)", () => {
    const f = new Fx();
    expect(f.redist(0x8, 0)).toBe(0);
    expect(f.redist(0x8, 1)).toBe(0x110);
    expect(f.redist(0xc, 1)).toBe(0x1);
  });

  it("[gic-32] with an ITS, GICR_TYPER.PLPIS is set", () => {
    const f = new Fx();
    f.addIts();
    expect(f.redist(0x8, 1)).toBe(0x111);
  });

  it("[gic-33] PENDBASER 0x580, PROPBASER 0 without ITS", () => {
    const f = new Fx();
    expect(f.redist(0x78)).toBe(0x580);
    expect(f.redist(0x70)).toBe(0);
  });

  it("[gic-34] SGI_base: ISENABLER0 0xFFFF, ICFGR0 edge, ICFGR1 level and fixed", () => {
    const f = new Fx();
    expect(f.redist(0x10100)).toBe(0xffff);
    expect(f.redist(0x10c00)).toBe(0xaaaaaaaa);
    expect(f.redist(0x10c04)).toBe(0);
    f.set(GRP_REDIST_REGS, 0x10c04, u32(0xaaaaaaaa));
    expect(f.redist(0x10c04)).toBe(0);
  });

  it("[gic-35] a level SPI's line shows in the guest's ISPENDR and LEVEL_INFO, not the userspace ISPENDR", () => {
    const f = new Fx();
    f.setLevel(40);
    f.irqLine(0x01000028, 1);
    expect(f.dist(0x204)).toBe(0);
    expect(f.mmioR(DIST + 0x204)).toBe(0x100);
    expect(f.get32(GRP_LEVEL_INFO, 32)).toBe(0x100);
  });

  it("[gic-36] an edge SPI latches: ISPENDR 0x100, LEVEL_INFO 0", () => {
    const f = new Fx();
    f.irqLine(0x01000028, 1);
    f.irqLine(0x01000028, 0);
    expect(f.dist(0x204)).toBe(0x100);
    expect(f.get32(GRP_LEVEL_INFO, 32)).toBe(0);
  });

  it("[gic-37] userspace ISPENDR 0 clears the latch; userspace ICPENDR is ignored and reads 0", () => {
    const f = new Fx();
    f.irqLine(0x01000028, 1);
    f.setDist(0x204, 0);
    expect(f.dist(0x204)).toBe(0);
    f.irqLine(0x01000028, 1);
    f.setDist(0x284, 0x100);
    expect(f.dist(0x204)).toBe(0x100);
    expect(f.dist(0x284)).toBe(0);
  });

  it("[gic-38] LEVEL_INFO: vINTID 33 EINVAL, info 1 EINVAL, HAS with info 1 ENXIO", () => {
    const f = new Fx();
    expect(f.err(() => f.get32(GRP_LEVEL_INFO, 33))).toBe(Errno.EINVAL);
    expect(f.err(() => f.get32(GRP_LEVEL_INFO, 32 | (1 << 10)))).toBe(Errno.EINVAL);
    expect(errnoOf(() => f.gic.hasAttr({ group: GRP_LEVEL_INFO, attr: 1 << 10 }))).toBe(Errno.ENXIO);
  });

  it("[gic-39] ICC_SRE_EL1 reads 7, SRE 0 refused; unknown sysreg ENXIO; HAS(CTLR) 0", () => {
    const f = new Fx();
    expect(f.get64(GRP_CPU_SYSREGS, 0xc665)).toBe(7n);
    expect(f.err(() => f.set(GRP_CPU_SYSREGS, 0xc665, u64(0)))).toBe(Errno.EINVAL);
    expect(f.err(() => f.get64(GRP_CPU_SYSREGS, 0xc000))).toBe(Errno.ENXIO);
    expect(f.gic.hasAttr({ group: GRP_CPU_SYSREGS, attr: 0xc664 })).toBe(0);
  });

  it("[gic-40] PMR round-trips; IGRPEN1 is 0 after init", () => {
    const f = new Fx();
    f.set(GRP_CPU_SYSREGS, 0xc230, u64(0x80));
    expect(f.get64(GRP_CPU_SYSREGS, 0xc230)).toBe(0x80n);
    expect(f.vm.vcpus[0].sysregRead(ICC_PMR_EL1)).toBe(0x80);
    expect(f.get64(GRP_CPU_SYSREGS, 0xc667)).toBe(0n);
  });

  it("[gic-41] with 5 priority bits only AP1R0 exists", () => {
    const f = new Fx();
    expect(f.err(() => f.set(GRP_CPU_SYSREGS, 0xc649, u64(0)))).toBe(Errno.EINVAL);
    expect(f.set(GRP_CPU_SYSREGS, 0xc648, u64(0))).toBe(0);
  });

  it("[gic-42] ICC_CTLR_EL1: a larger PRIbits is EINVAL; EOImode is stored", () => {
    const f = new Fx();
    const v = f.get64(GRP_CPU_SYSREGS, ICC_CTLR_EL1);
    expect(v).toBe(0x400n);
    expect(f.err(() => f.set(GRP_CPU_SYSREGS, ICC_CTLR_EL1, u64(v + 0x100n)))).toBe(Errno.EINVAL);
    f.set(GRP_CPU_SYSREGS, ICC_CTLR_EL1, u64(v | 2n));
    expect(f.get64(GRP_CPU_SYSREGS, ICC_CTLR_EL1)).toBe(v | 2n);
  });
});

describe("arm64 KVM_IRQ_LINE", () => {
  it("[gic-43] SPI before the GIC exists ENXIO; before CTRL_INIT EBUSY", () => {
    const bare = createVm({ arch: "arm64", vcpus: 2, modules: [routingModule, gicModule] });
    expect(errnoOf(() => bare.get(GsiRouting).irqLine(0x01000028, 1))).toBe(Errno.ENXIO);
    const f = new Fx({ init: false });
    expect(f.err(() => f.irqLine(0x01000028, 1))).toBe(Errno.EBUSY);
  });

  it("[gic-44] SPI ids below 32 or beyond nr_irqs are EINVAL", () => {
    const f = new Fx();
    expect(f.err(() => f.irqLine(0x0100001f, 1))).toBe(Errno.EINVAL);
    expect(f.err(() => f.irqLine(0x01000100, 1))).toBe(Errno.EINVAL);
    expect(f.irqLine(0x01000028, 1)).toBe(0);
  });

  it("[gic-45] PPI range, vCPU, type 3 and type CPU errors", () => {
    const f = new Fx();
    for (const irq of [0x0200000f, 0x02000020, 0x02050010, 0x03000028]) expect(f.err(() => f.irqLine(irq, 1))).toBe(Errno.EINVAL);
    expect(f.err(() => f.irqLine(0, 1))).toBe(Errno.ENXIO);
  });

  it("[gic-46] vcpu2_index addresses vCPU id 256 * vcpu2 + vcpu", () => {
    const f = new Fx();
    expect(f.err(() => f.irqLine(0x12010010, 1))).toBe(Errno.EINVAL);
    expect(f.irqLine(0x02010010, 1)).toBe(0);
    expect(f.redist(0x10200, 1)).toBe(0);
    expect(f.mmioR(0x080a0000 + 0x20000 + 0x10200)).toBe(0x10000);
  });
});

describe("CPU interface: pending, priority, acknowledge, deactivate", () => {
  const ready = () => {
    const f = new Fx();
    f.guestSetup();
    f.enableSpi(40);
    return f;
  };

  it("[gic-47] SPI 40 is acknowledged once", () => {
    const f = ready();
    f.irqLine(0x01000028, 1);
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    expect(f.iar()).toBe(40);
    expect(f.iar()).toBe(1023);
  });

  it("[gic-48] PMR masks priorities at or above it", () => {
    const f = ready();
    f.vm.vcpus[0].sysregWrite(ICC_PMR_EL1, 0x80);
    f.irqLine(0x01000028, 1);
    expect(f.iar()).toBe(1023);
    f.vm.vcpus[0].sysregWrite(ICC_PMR_EL1, 0x88);
    expect(f.iar()).toBe(40);
  });

  it("[gic-49] GICD_CTLR EnableGrp1A gates delivery", () => {
    const f = ready();
    f.mmioW(DIST, 0);
    f.irqLine(0x01000028, 1);
    expect(f.iar()).toBe(1023);
    f.mmioW(DIST, 2);
    expect(f.iar()).toBe(40);
  });

  it("[gic-50] running priority blocks lower priorities until EOI", () => {
    const f = ready();
    f.enableSpi(41, 0xa0);
    f.enableSpi(42, 0x40);
    f.irqLine(0x01000029, 1);
    f.irqLine(0x0100002a, 1);
    expect(f.iar()).toBe(42);
    expect(f.iar()).toBe(1023);
    f.eoir(42);
    expect(f.iar()).toBe(41);
  });

  it("[gic-51] RPR follows the active priority", () => {
    const f = ready();
    f.enableSpi(42, 0x40);
    f.irqLine(0x0100002a, 1);
    expect(f.iar()).toBe(42);
    expect(f.vm.vcpus[0].sysregRead(ICC_RPR_EL1)).toBe(0x40);
    f.eoir(42);
    expect(f.vm.vcpus[0].sysregRead(ICC_RPR_EL1)).toBe(0xff);
  });

  it("[gic-52] EOImode 1: EOIR drops priority, DIR deactivates", () => {
    const f = ready();
    f.vm.vcpus[0].sysregWrite(ICC_CTLR_EL1, 2);
    f.irqLine(0x01000028, 1);
    expect(f.iar()).toBe(40);
    f.eoir(40);
    expect(f.vm.vcpus[0].sysregRead(ICC_RPR_EL1)).toBe(0xff);
    expect(f.dist(0x304) & 0x100).toBe(0x100);
    f.vm.vcpus[0].sysregWrite(ICC_DIR_EL1, 40);
    expect(f.dist(0x304) & 0x100).toBe(0);
  });

  it("[gic-53] a level SPI held high is acknowledged again after EOI", () => {
    const f = ready();
    f.setLevel(40);
    f.irqLine(0x01000028, 1);
    expect(f.iar()).toBe(40);
    f.eoir(40);
    expect(f.iar()).toBe(40);
  });

  const resampled = (edge: boolean) => {
    const f = ready();
    if (!edge) f.setLevel(40);
    const efd = EventFd.create();
    const rfd = EventFd.create();
    f.routing.irqfd({ fd: efd, gsi: 8, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rfd });
    efd.write(1);
    expect(f.iar()).toBe(40);
    f.eoir(40);
    return { f, rfd };
  };

  it("[gic-54] a resample irqfd on a level SPI: EOIR signals the resamplefd and lowers the line", () => {
    const { f, rfd } = resampled(false);
    expect(rfd.counter).toBe(1);
    expect(f.iar()).toBe(1023);
  });

  it("[gic-55] on an edge SPI the resamplefd is never signalled", () => {
    const { rfd } = resampled(true);
    expect(rfd.counter).toBe(0);
  });

  it("[gic-56] a plain irqfd asserts a level SPI without a pulse: it stays high after EOI", () => {
    const f = ready();
    f.setLevel(40);
    const efd = EventFd.create();
    f.routing.irqfd({ fd: efd, gsi: 8 });
    efd.write(1);
    expect(f.iar()).toBe(40);
    f.eoir(40);
    expect(f.get32(GRP_LEVEL_INFO, 32)).toBe(0x100);
    expect(f.iar()).toBe(40);
  });

  it("[gic-57] KVM_IRQFD before CTRL_INIT fails with EAGAIN", () => {
    const f = new Fx({ init: false });
    expect(f.err(() => f.routing.irqfd({ fd: EventFd.create(), gsi: 8 }))).toBe(Errno.EAGAIN);
  });

  it("[gic-58] the default table routes GSI 223 to SPI 255 and nothing for GSI 224", () => {
    const f = new Fx();
    const a = EventFd.create();
    const b = EventFd.create();
    f.routing.irqfd({ fd: a, gsi: 223 });
    f.routing.irqfd({ fd: b, gsi: 224 });
    b.write(1);
    expect(f.dist(0x200 + 4 * 7)).toBe(0);
    a.write(1);
    expect(f.dist(0x200 + 4 * 7)).toBe(0x80000000);
  });

  it("[gic-59] IRQCHIP routes: irqchip 1 and pin 988 EINVAL, pin 987 accepted", () => {
    const f = new Fx();
    const r = (irqchip: number, pin: number) => errnoOf(() => f.routing.setGsiRouting([{ gsi: 1, type: 1, flags: 0, irqchip, pin }]));
    expect(r(1, 0)).toBe(Errno.EINVAL);
    expect(r(0, 988)).toBe(Errno.EINVAL);
    expect(r(0, 987)).toBe(0);
  });

  it("[gic-60] CTRL_INIT replaces an earlier routing table with the identity map", () => {
    const f = new Fx({ init: false });
    f.routing.setGsiRouting([{ gsi: 5, type: 1, flags: 0, irqchip: 0, pin: 100 }]);
    f.set(GRP_CTRL, 0, null);
    const t = f.routing.getGsiRouting();
    expect(t).toHaveLength(224);
    expect(t[5]).toMatchObject({ gsi: 5, irqchip: 0, pin: 5 });
  });

  it("[gic-61] SGI1R with IRM = 1 reaches every other vCPU", () => {
    const f = new Fx();
    f.vm.vcpus[0].sysregWrite(ICC_SGI1R_EL1, (1n << 40n) | (3n << 24n));
    expect(f.redist(0x10200, 1)).toBe(0x8);
    expect(f.redist(0x10200, 0)).toBe(0);
  });

  it("[gic-62] SGI1R with a target list", () => {
    const f = new Fx();
    f.vm.vcpus[0].sysregWrite(ICC_SGI1R_EL1, 0x0000000002000002n);
    expect(f.redist(0x10200, 1)).toBe(0x4);
  });

  it("[gic-63] SGI0R does not generate group-1 SGIs", () => {
    const f = new Fx();
    f.vm.vcpus[0].sysregWrite(ICC_SGI0R_EL1, 0x0000000002000002n);
    expect(f.redist(0x10200, 1)).toBe(0);
  });

  it("[gic-64] IROUTER picks the acknowledging vCPU; an unknown affinity reaches nobody", () => {
    const f = ready();
    f.guestSetup([0, 1]);
    f.setDist(0x6000 + 8 * 40, 1);
    f.irqLine(0x01000028, 1);
    expect(f.iar(0)).toBe(1023);
    expect(f.iar(1)).toBe(40);
    f.eoir(40, 1);
    f.setDist(0x6000 + 8 * 40, 7);
    f.irqLine(0x01000028, 1);
    expect([f.iar(0), f.iar(1)]).toEqual([1023, 1023]);
    expect(f.dist(0x204)).toBe(0x100);
  });

  it("[gic-65] arm64 capabilities", () => {
    const f = new Fx();
    expect(f.vm.checkExtension(KVM_CAP_IRQFD_RESAMPLE)).toBe(1);
    expect(f.vm.checkExtension(KVM_CAP_ARM_IRQ_LINE_LAYOUT_2)).toBe(1);
    expect(f.vm.checkExtension(KVM_CAP_MSI_DEVID)).toBe(0);
  });
});
