/**
 * A Linux-like arm64 guest driver for the comparison runner (drivers/irqchip/irq-gic-v3.c and
 * irq-gic-v3-its.c on QEMU's virt board layout):
 *
 *   attach     KVM_CREATE_DEVICE GICv3 + ITS, DIST 0x08000000, REDIST 0x080A0000 (legacy),
 *              ITS 0x08080000, CTRL_INIT, KVM_RUN of every vCPU (runVcpu); guest: GICD_CTLR = EnableGrp1A,
 *              per CPU PMR 0xF0 + IGRPEN1, LPI property table (IDbits 15) and pending
 *              tables, EnableLPIs, ITS device/collection tables + command queue, GITS_CTLR,
 *              MAPC per CPU (ICID = CPU).
 *   configure  level sources: an SPI (level, priority 0xA0, IROUTER = CPU, enabled) behind an
 *              IRQCHIP route; edge sources: one ITS device each (MAPD, MAPTI → LPI, INV),
 *              behind an MSI route with KVM_MSI_VALID_DEVID.
 *   service    IAR1 read, handler, EOIR1 write (EOImode 0), through the CPU interface system
 *              registers: direct (hardware-virtualised, no exit) or trapped (option).
 *   sendIpi    ICC_SGI1R_EL1 with SGI 1 and the target's affinity.
 */
import {
  IPI_SOURCE,
  KVM_DEV_TYPE_ARM_VGIC_ITS,
  KVM_DEV_TYPE_ARM_VGIC_V3,
  KVM_MSI_VALID_DEVID,
  encodeU64,
  runVcpu,
  type DeviceHandle,
  type GuestDriver,
  type GuestDriverContribution,
  type RouteSpec,
  type SourceSpec,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import {
  ADDR_ITS,
  ADDR_V3_DIST,
  ADDR_V3_REDIST,
  CTRL_INIT,
  GITS_TRANSLATER,
  GRP_ADDR,
  GRP_CTRL,
  ICC_EOIR1_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  ICC_SGI1R_EL1,
  LPI_BASE,
  MAX_SPIS,
  SPURIOUS,
  vcpuAffinity,
} from "./constants.js";
import type { GicV3Device } from "./gic-device.js";
import { CMD } from "./its.js";

export const GUEST_DIST_BASE = 0x08000000;
export const GUEST_REDIST_BASE = 0x080a0000;
export const GUEST_ITS_BASE = 0x08080000;
const PROP_TABLE = 0x40000000;
const PEND_TABLES = 0x40100000;
const DEVICE_TABLE = 0x50000000;
const COLL_TABLE = 0x50010000;
const CMD_QUEUE = 0x50020000;
/** Command queue size in 4 KiB pages (CBASER.Size + 1). */
const QUEUE_PAGES = 16;
const ITTS = 0x50100000;
const GUEST_PRIORITY = 0xa0;
const IPI_SGI = 1;

export interface GicGuestDriverOptions {
  /** Trapped CPU interface (KVM's software path) instead of the direct hardware one. */
  trapped?: boolean;
}

export class GicGuestDriver implements GuestDriver {
  readonly controller: DeviceHandle;
  readonly itsHandle: DeviceHandle;
  readonly gic: GicV3Device;
  private readonly sourceOf = new Int32Array(65536).fill(-1);
  private nextPin = 0;
  private nextDev = 1;
  private cwriter = 0;

  constructor(
    readonly vm: Vm,
    opts: GicGuestDriverOptions = {},
  ) {
    const h = vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_V3);
    this.controller = h;
    this.gic = h.backend<GicV3Device>();
    this.gic.trapped = opts.trapped ?? false;
    h.setAttr({ group: GRP_ADDR, attr: ADDR_V3_DIST, addr: encodeU64(GUEST_DIST_BASE) });
    h.setAttr({ group: GRP_ADDR, attr: ADDR_V3_REDIST, addr: encodeU64(GUEST_REDIST_BASE) });
    const its = vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_ITS);
    this.itsHandle = its;
    its.setAttr({ group: GRP_ADDR, attr: ADDR_ITS, addr: encodeU64(GUEST_ITS_BASE) });
    its.setAttr({ group: GRP_CTRL, attr: CTRL_INIT, addr: null });
    h.setAttr({ group: GRP_CTRL, attr: CTRL_INIT, addr: null });
    for (const cpu of vm.vcpus) runVcpu(cpu);
    this.guestInit();
  }

  private w32(addr: number, v: number): void {
    this.vm.mmio.write(addr, 4, v >>> 0);
  }

  /** A 64-bit register written as two 32-bit halves (low first). */
  private w64(addr: number, v: bigint): void {
    this.w32(addr, Number(v & 0xffffffffn));
    this.w32(addr + 4, Number(v >> 32n));
  }

  private guestInit(): void {
    const vm = this.vm;
    this.w32(GUEST_DIST_BASE, 0x2);
    // LPI configuration: property table with IDbits 15 (16 bits), every byte "disabled, 0xA0".
    vm.memory.writeBytes(PROP_TABLE, new Uint8Array(0x10000).fill(GUEST_PRIORITY));
    for (const cpu of vm.vcpus) {
      const rd = GUEST_REDIST_BASE + cpu.id * 0x20000;
      cpu.sysregWrite(ICC_PMR_EL1, 0xf0);
      cpu.sysregWrite(ICC_IGRPEN1_EL1, 1);
      this.w64(rd + 0x70, BigInt(PROP_TABLE | 0x38f));
      this.w64(rd + 0x78, BigInt(PEND_TABLES + cpu.id * 0x10000));
      this.w32(rd + 0x0, 1);
    }
    const its = GUEST_ITS_BASE;
    this.w64(its + 0x100, (1n << 63n) | BigInt(DEVICE_TABLE));
    this.w64(its + 0x108, (1n << 63n) | BigInt(COLL_TABLE));
    this.w64(its + 0x80, (1n << 63n) | BigInt(CMD_QUEUE) | BigInt(QUEUE_PAGES - 1));
    this.w32(its, 1);
    for (const cpu of vm.vcpus) this.command(CMD.MAPC, 0n, BigInt(cpu.id) << 16n | BigInt(cpu.id) | (1n << 63n), 0n);
  }

  /** Writes one command at CWRITER and advances it (one MMIO exit, as the guest's its_send). */
  private command(op: number, dw1: bigint, dw2: bigint, devid: bigint): void {
    const m = this.vm.memory;
    const a = CMD_QUEUE + this.cwriter;
    m.write64(a, BigInt(op) | (devid << 32n), "le");
    m.write64(a + 8, dw1, "le");
    m.write64(a + 16, dw2, "le");
    m.write64(a + 24, 0n, "le");
    this.cwriter = (this.cwriter + 32) % (QUEUE_PAGES * 0x1000);
    this.w32(GUEST_ITS_BASE + 0x88, this.cwriter);
  }

  configureSource(spec: SourceSpec): RouteSpec {
    const prio = GUEST_PRIORITY;
    if (spec.trigger === "level") {
      const pin = this.nextPin++;
      if (pin >= MAX_SPIS) throw new RangeError(`no SPI left for source ${spec.index}`);
      const intid = pin + 32;
      const d = GUEST_DIST_BASE;
      const cfgAddr = d + 0xc00 + 4 * (intid >> 4);
      const cfg = this.vm.mmio.read(cfgAddr, 4);
      this.w32(cfgAddr, cfg & ~(2 << (2 * (intid & 15))));
      this.vm.mmio.write(d + 0x400 + intid, 1, prio);
      this.w64(d + 0x6000 + 8 * intid, BigInt(vcpuAffinity(spec.vcpu)));
      this.w32(d + 0x100 + 4 * (intid >> 5), 1 << (intid & 31));
      this.sourceOf[intid] = spec.index;
      return { type: "irqchip", irqchip: 0, pin };
    }
    const devid = this.nextDev++;
    const lpi = LPI_BASE + devid - 1;
    const itt = ITTS + devid * 0x100;
    this.command(CMD.MAPD, 0n, (1n << 63n) | BigInt(itt), BigInt(devid));
    this.command(CMD.MAPTI, BigInt(lpi) << 32n, BigInt(spec.vcpu), BigInt(devid));
    this.vm.memory.writeByte(PROP_TABLE + lpi - LPI_BASE, prio | 1);
    this.command(CMD.INV, 0n, 0n, BigInt(devid));
    this.sourceOf[lpi] = spec.index;
    return {
      type: "msi",
      msi: { addressLo: GUEST_ITS_BASE + GITS_TRANSLATER, addressHi: 0, data: 0, flags: KVM_MSI_VALID_DEVID, devid },
    };
  }

  service(vcpu: Vcpu, handler: (source: number) => void): number {
    const id = vcpu.sysregRead(ICC_IAR1_EL1);
    if (id === SPURIOUS) return 0;
    handler(id < 16 ? IPI_SOURCE : this.sourceOf[id]);
    vcpu.sysregWrite(ICC_EOIR1_EL1, id);
    return 1;
  }

  sendIpi(from: Vcpu, to: number): void {
    const aff = vcpuAffinity(to);
    const v = (BigInt((aff >> 16) & 0xff) << 32n) | (BigInt(IPI_SGI) << 24n) | (BigInt((aff >> 8) & 0xff) << 16n) | BigInt(1 << (aff & 0xf));
    from.sysregWrite(ICC_SGI1R_EL1, v);
  }

  dumpState(): string {
    return this.gic.dumpState();
  }
}

export const gicGuestDriver: GuestDriverContribution = {
  id: "gicv3",
  label: "GICv3",
  arch: "arm64",
  deviceType: KVM_DEV_TYPE_ARM_VGIC_V3,
  attach: (vm: Vm) => new GicGuestDriver(vm),
};

export const gicTrappedGuestDriver: GuestDriverContribution = {
  id: "gicv3-trapped",
  label: "GICv3 trapped",
  arch: "arm64",
  deviceType: KVM_DEV_TYPE_ARM_VGIC_V3,
  attach: (vm: Vm) => new GicGuestDriver(vm, { trapped: true }),
};
