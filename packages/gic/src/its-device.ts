/**
 * KVM_DEV_TYPE_ARM_VGIC_ITS (type 8): attribute groups ADDR (ITS_BASE), CTRL (INIT, RESET,
 * SAVE_TABLES, RESTORE_TABLES) and ITS_REGS (§10.1), and the 128 KiB frame on the MMIO bus.
 */
import { Errno, fail, UapiView, type DeviceAttr, type DeviceBackend, type MmioRegion, type Vm } from "@irqlab/core";
import { KVM_CAP_MSI_DEVID } from "@irqlab/routing";
import {
  ADDR_ITS,
  CTRL_INIT,
  CTRL_ITS_RESET,
  CTRL_ITS_RESTORE_TABLES,
  CTRL_ITS_SAVE_TABLES,
  GRP_ADDR,
  GRP_CTRL,
  GRP_ITS_REGS,
  ITS_SIZE,
  SZ_64K,
  VGIC_ADDR_UNDEF,
} from "./constants.js";
import { gicOf, iorange } from "./gic-device.js";
import { Its } from "./its.js";
import { VgicState } from "./vgic.js";

export class ItsDeviceBackend implements DeviceBackend {
  readonly its: Its;

  constructor(readonly vm: Vm) {
    const gic = gicOf(vm);
    // Without a GICv3 the ITS is inert: it keeps its own (never signalled) interrupt state.
    const st = gic ? gic.st : new VgicState(vm);
    this.its = new Its(st, vm.memory);
    st.hasIts = true;
    st.propbaser = 0x580n;
    if (gic) gic.its.push(this.its);
    vm.provideExtension(KVM_CAP_MSI_DEVID, 1);
  }

  hasAttr(a: DeviceAttr): number {
    switch (a.group) {
      case GRP_ADDR:
        if (a.attr === BigInt(ADDR_ITS)) return 0;
        break;
      case GRP_CTRL:
        if ([0n, 1n, 2n, 4n].includes(a.attr)) return 0;
        break;
      case GRP_ITS_REGS: {
        const off = Number(a.attr & 0xffffffffn);
        this.checkAlign(a.attr);
        if (a.attr <= 0xffffn && Its.decodes(off)) return 0;
        break;
      }
    }
    fail(Errno.ENXIO, `vgic-its: no attribute ${a.attr} in group ${a.group}`);
  }

  private checkAlign(attr: bigint): void {
    const off = attr;
    const four = off < 0x8n || off >= 0xffd0n;
    if (off % (four ? 4n : 8n) !== 0n) fail(Errno.EINVAL, `ITS_REGS offset 0x${off.toString(16)} misaligned`);
  }

  getAttr(a: DeviceAttr): number {
    return this.access(a, false);
  }

  setAttr(a: DeviceAttr): number {
    return this.access(a, true);
  }

  private access(a: DeviceAttr, set: boolean): number {
    const its = this.its;
    switch (a.group) {
      case GRP_ADDR: {
        const v = new UapiView(a.addr, 8, "le", "ITS_BASE");
        const addr = set ? v.u64(0) : 0n;
        if (a.attr !== BigInt(ADDR_ITS)) fail(Errno.ENODEV, `vgic-its: GRP_ADDR attribute ${a.attr}`);
        if (!set) {
          v.setU64(0, its.base < 0 ? VGIC_ADDR_UNDEF : BigInt(its.base));
          return 0;
        }
        const e = iorange(its.base, addr, SZ_64K, ITS_SIZE);
        if (e !== 0) fail(e, `ITS_BASE 0x${addr.toString(16)}`);
        this.vm.mmio.map(Number(addr), ITS_SIZE, this.region(), "gicv3-its");
        its.base = Number(addr);
        return 0;
      }
      case GRP_CTRL: {
        if (!set) fail(Errno.ENXIO, "vgic-its: CTRL has no GET");
        switch (a.attr) {
          case BigInt(CTRL_INIT):
            return 0;
          case BigInt(CTRL_ITS_RESET):
            its.reset();
            return 0;
          case BigInt(CTRL_ITS_SAVE_TABLES): {
            const e = its.save();
            if (e !== 0) fail(e, "ITS_SAVE_TABLES");
            return 0;
          }
          case BigInt(CTRL_ITS_RESTORE_TABLES): {
            const e = its.restore();
            if (e !== 0) fail(e, "ITS_RESTORE_TABLES");
            return 0;
          }
        }
        fail(Errno.ENXIO, `vgic-its: CTRL attribute ${a.attr}`);
      }
      // eslint-disable-next-line no-fallthrough
      case GRP_ITS_REGS: {
        const v = new UapiView(a.addr, 8, "le", "ITS_REGS");
        const value = set ? v.u64(0) : 0n;
        this.checkAlign(a.attr);
        if (its.base < 0) fail(Errno.ENXIO, "ITS_REGS before ITS_BASE is set");
        const off = Number(a.attr & 0xffffn);
        if (a.attr > 0xffffn || !Its.decodes(off)) fail(Errno.ENXIO, `ITS_REGS: no register at 0x${a.attr.toString(16)}`);
        if (!set) {
          v.setU64(0, its.read(off));
          return 0;
        }
        const w = Its.width(off) === 4 ? value & 0xffffffffn : value;
        const e = its.write(off, w, true);
        if (e !== 0) fail(e, `ITS_REGS 0x${off.toString(16)} = 0x${value.toString(16)} refused`);
        return 0;
      }
    }
    fail(Errno.ENXIO, `vgic-its: no attribute group ${a.group}`);
  }

  private region(): MmioRegion {
    const its = this.its;
    const reg64 = (off: number): number => {
      if (off >= 0x8 && off < 0xffd0 && Its.decodes(off & ~7) && Its.width(off & ~7) === 8) return off & ~7;
      return -1;
    };
    return {
      read: (off, size) => {
        if (size === 8) return off % 8 === 0 && reg64(off) === off ? Number(its.read(off)) : 0;
        if (size !== 4 || off % 4 !== 0) return 0;
        const r = reg64(off);
        if (r >= 0) {
          const v = its.read(r);
          return Number(off === r ? v & 0xffffffffn : v >> 32n);
        }
        return Its.decodes(off) ? Number(its.read(off)) : 0;
      },
      write: (off, size, value) => {
        if (size === 8) {
          if (off % 8 === 0 && reg64(off) === off) its.write(off, BigInt(value), false);
          return;
        }
        if (size !== 4 || off % 4 !== 0) return;
        const r = reg64(off);
        const w = BigInt(value >>> 0);
        if (r >= 0) {
          const cur = its.read(r);
          its.write(r, off === r ? (cur & 0xffffffff00000000n) | w : (cur & 0xffffffffn) | (w << 32n), false);
          return;
        }
        if (Its.decodes(off)) its.write(off, w, false);
      },
    };
  }

  dumpState(): string {
    return this.its.describe().join("\n");
  }
}
