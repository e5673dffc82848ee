/** Test fixture: the checklist's default VM (spec "Conformance checklist" preamble). */
import { createVm, encodeU32, encodeU64, errnoOf, runVcpu, type DeviceHandle, type Vm } from "@irqlab/core";
import routingModule, { GsiRouting } from "@irqlab/routing";
import gicModule from "../module.js";
import type { GicV3Device } from "../gic-device.js";
import {
  ADDR_ITS,
  ADDR_V3_DIST,
  ADDR_V3_REDIST,
  CTRL_INIT,
  GRP_ADDR,
  GRP_CTRL,
  GRP_DIST_REGS,
  GRP_REDIST_REGS,
  ICC_EOIR1_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  KVM_DEV_TYPE_ARM_VGIC_ITS,
  KVM_DEV_TYPE_ARM_VGIC_V3,
  GRP_ITS_REGS,
} from "../constants.js";
import type { ItsDeviceBackend } from "../its-device.js";

export const DIST = 0x08000000;
export const REDIST = 0x080a0000;
export const ITS_BASE = 0x08080000;

export class Fx {
  readonly vm: Vm;
  readonly gic: DeviceHandle;
  readonly g: GicV3Device;
  its: DeviceHandle | null = null;
  readonly routing: GsiRouting;

  constructor(opts: { vcpus?: number; init?: boolean; addrs?: boolean; its?: boolean; nrIrqs?: number; strict?: boolean } = {}) {
    this.vm = createVm({ arch: "arm64", vcpus: opts.vcpus ?? 2, modules: [routingModule, gicModule], strict: opts.strict });
    this.routing = this.vm.get(GsiRouting);
    this.gic = this.vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_V3);
    this.g = this.gic.backend<GicV3Device>();
    if (opts.its) this.addIts();
    if (opts.addrs ?? true) {
      this.set(GRP_ADDR, ADDR_V3_DIST, encodeU64(DIST));
      this.set(GRP_ADDR, ADDR_V3_REDIST, encodeU64(REDIST));
    }
    if (opts.nrIrqs) this.set(3, 0, encodeU32(opts.nrIrqs));
    if (opts.init ?? true) {
      this.set(GRP_CTRL, CTRL_INIT, null);
      if (opts.addrs ?? true) runVcpu(this.vm.vcpus[0]);
    }
  }

  addIts(base = ITS_BASE): DeviceHandle {
    const h = this.vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_ITS);
    h.setAttr({ group: GRP_ADDR, attr: ADDR_ITS, addr: encodeU64(base) });
    this.its = h;
    return h;
  }

  get itsBackend(): ItsDeviceBackend {
    return this.its!.backend<ItsDeviceBackend>();
  }

  set(group: number, attr: number | bigint, addr: Uint8Array | null): number {
    return this.gic.setAttr({ group, attr, addr });
  }
  get32(group: number, attr: number | bigint): number {
    const b = new Uint8Array(4);
    this.gic.getAttr({ group, attr, addr: b });
    return new DataView(b.buffer).getUint32(0, true);
  }
  get64(group: number, attr: number | bigint, payload: Uint8Array = new Uint8Array(8)): bigint {
    this.gic.getAttr({ group, attr, addr: payload });
    return new DataView(payload.buffer).getBigUint64(0, true);
  }
  dist(off: number): number {
    return this.get32(GRP_DIST_REGS, off);
  }
  setDist(off: number, v: number): number {
    return this.set(GRP_DIST_REGS, off, encodeU32(v));
  }
  redist(off: number, vcpu = 0): number {
    return this.get32(GRP_REDIST_REGS, (BigInt(vcpu) << 32n) | BigInt(off));
  }
  err(fn: () => unknown): number {
    return errnoOf(fn);
  }
  /** The checklist's guest setup: PMR 0xF0, IGRPEN1 1, GICD_CTLR 0x2. */
  guestSetup(vcpus: number[] = [0]): void {
    for (const v of vcpus) {
      this.vm.vcpus[v].sysregWrite(ICC_PMR_EL1, 0xf0);
      this.vm.vcpus[v].sysregWrite(ICC_IGRPEN1_EL1, 1);
    }
    this.mmioW(DIST, 0x2);
  }
  /** "SPI n enabled": ISENABLER bit set, priority 0x80, IROUTER 0. */
  enableSpi(n: number, prio = 0x80): void {
    this.mmioW(DIST + 0x100 + 4 * (n >> 5), 1 << (n & 31));
    this.vm.mmio.write(DIST + 0x400 + n, 1, prio);
  }
  setLevel(n: number): void {
    const a = DIST + 0xc00 + 4 * (n >> 4);
    this.mmioW(a, this.vm.mmio.read(a, 4) & ~(2 << (2 * (n & 15))));
  }
  mmioW(a: number, v: number): void {
    this.vm.vcpus[0].mmioWrite(a, 4, v >>> 0);
  }
  mmioR(a: number): number {
    return this.vm.vcpus[0].mmioRead(a, 4);
  }
  iar(v = 0): number {
    return this.vm.vcpus[v].sysregRead(ICC_IAR1_EL1);
  }
  eoir(id: number, v = 0): void {
    this.vm.vcpus[v].sysregWrite(ICC_EOIR1_EL1, id);
  }
  irqLine(irq: number, level: number): number {
    return this.routing.irqLine(irq, level);
  }
  itsSet(off: number, v: bigint): number {
    return this.its!.setAttr({ group: GRP_ITS_REGS, attr: off, addr: encodeU64(v) });
  }
  itsGet(off: number): bigint {
    const b = new Uint8Array(8);
    this.its!.getAttr({ group: GRP_ITS_REGS, attr: off, addr: b });
    return new DataView(b.buffer).getBigUint64(0, true);
  }
}
