import { describe, expect, it } from "vitest";
import { createVm, encodeU64, Errno, errnoOf } from "@irqlab/core";
import routingModule, { GsiRouting, KVM_CAP_MSI_DEVID } from "@irqlab/routing";
import gicModule from "./module.js";
import {
  CTRL_ITS_RESET,
  CTRL_ITS_RESTORE_TABLES,
  CTRL_ITS_SAVE_TABLES,
  CTRL_SAVE_PENDING_TABLES,
  GRP_ADDR,
  GRP_CTRL,
  GRP_ITS_REGS,
  ICC_EOIR1_EL1,
  KVM_DEV_TYPE_ARM_VGIC_ITS,
} from "./constants.js";
import { CMD } from "./its.js";
import { Fx, ITS_BASE, REDIST } from "./__tests__/fixture.js";

const MSI = { addressLo: 0x08090040, addressHi: 0, flags: 1, devid: 1, data: 2 };

/** The checklist's "configured" ITS VM (RAM 0x40000000-0x4FFFFFFF). */
class ItsFx extends Fx {
  cw = 0;
  constructor(opts: { propbaser?: number; baser0?: bigint } = {}) {
    super({ its: true });
    this.guestSetup([0, 1]);
    const mem = this.vm.memory;
    void mem;
    this.rdW(0, 0x70, opts.propbaser ?? 0x4000000f);
    this.rdW(0, 0x78, 0x40010000);
    this.rdW(1, 0x78, 0x40020000);
    this.rdW(0, 0x0, 1);
    this.rdW(1, 0x0, 1);
    this.itsW64(0x100, opts.baser0 ?? 0x8000000040030000n);
    this.itsW64(0x108, 0x8000000040040000n);
    this.itsW64(0x80, 0x8000000040050000n);
    this.mmioW(ITS_BASE, 1);
  }
  rdW(v: number, off: number, val: number): void {
    this.vm.vcpus[0].mmioWrite(REDIST + v * 0x20000 + off, 4, val);
  }
  itsW64(off: number, v: bigint): void {
    this.mmioW(ITS_BASE + off, Number(v & 0xffffffffn));
    this.mmioW(ITS_BASE + off + 4, Number(v >> 32n));
  }
  cmd(dw0: bigint, dw1 = 0n, dw2 = 0n, dw3 = 0n): void {
    const m = this.vm.memory;
    const a = 0x40050000 + this.cw;
    m.write64(a, dw0, "le");
    m.write64(a + 8, dw1, "le");
    m.write64(a + 16, dw2, "le");
    m.write64(a + 24, dw3, "le");
    this.cw = (this.cw + 32) % 0x1000;
    this.mmioW(ITS_BASE + 0x88, this.cw);
  }
  mapd(dev: number, size: number, itt: number, v = 1): void {
    this.cmd(BigInt(CMD.MAPD) | (BigInt(dev) << 32n), BigInt(size), (BigInt(v) << 63n) | BigInt(itt));
  }
  mapc(icid: number, rd: number, v = 1): void {
    this.cmd(BigInt(CMD.MAPC), 0n, (BigInt(v) << 63n) | (BigInt(rd) << 16n) | BigInt(icid));
  }
  mapti(dev: number, ev: number, lpi: number, icid: number): void {
    this.cmd(BigInt(CMD.MAPTI) | (BigInt(dev) << 32n), BigInt(ev) | (BigInt(lpi) << 32n), BigInt(icid));
  }
  devcmd(op: number, dev: number, ev: number, dw2 = 0n): void {
    this.cmd(BigInt(op) | (BigInt(dev) << 32n), BigInt(ev), dw2);
  }
  map(): this {
    this.mapd(1, 4, 0x40100000);
    this.mapc(0, 0);
    this.vm.memory.writeByte(0x40000008, 0xa1);
    this.mapti(1, 2, 8200, 0);
    return this;
  }
  msi(m: Partial<typeof MSI> = {}): number {
    return this.routing.signalMsi({ ...MSI, ...m });
  }
  ctrl(attr: number): number {
    return this.its!.setAttr({ group: GRP_CTRL, attr, addr: null });
  }
  q(a: number): bigint {
    return this.vm.memory.read64(a, "le");
  }
  reconfigure(): void {
    this.itsSet(0x100, 0x8000000040030000n);
    this.itsSet(0x108, 0x8000000040040000n);
    this.itsSet(0x80, 0x8000000040050000n);
    this.cw = 0;
  }
}

describe("ITS device attributes", () => {
  it("[its-1] two ITS devices in one VM; KVM_CAP_MSI_DEVID becomes 1", () => {
    const f = new Fx();
    expect(f.vm.checkExtension(KVM_CAP_MSI_DEVID)).toBe(0);
    f.vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_ITS);
    expect(f.vm.checkExtension(KVM_CAP_MSI_DEVID)).toBe(1);
    f.vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_ITS);
  });

  it("[its-2] ITS_BASE reads UNDEF before set; other ADDR attributes are ENODEV", () => {
    const f = new Fx();
    const h = f.vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_ITS);
    const b = new Uint8Array(8);
    h.getAttr({ group: GRP_ADDR, attr: 4, addr: b });
    expect(new DataView(b.buffer).getBigUint64(0, true)).toBe(0xffffffffffffffffn);
    expect(errnoOf(() => h.setAttr({ group: GRP_ADDR, attr: 2, addr: encodeU64(0x08080000) }))).toBe(Errno.ENODEV);
    expect(errnoOf(() => h.getAttr({ group: GRP_ADDR, attr: 2, addr: b }))).toBe(Errno.ENODEV);
  });

  it("[its-3] ITS_BASE alignment, EEXIST, E2BIG", () => {
    const f = new Fx();
    const h = f.vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_ITS);
    const set = (x: Parameters<typeof h.setAttr>[0]) => errnoOf(() => h.setAttr(x));
    expect(set({ group: GRP_ADDR, attr: 4, addr: encodeU64(0x08081000) })).toBe(Errno.EINVAL);
    expect(set({ group: GRP_ADDR, attr: 4, addr: encodeU64(0x08080000) })).toBe(0);
    expect(set({ group: GRP_ADDR, attr: 4, addr: encodeU64(0x08080000) })).toBe(Errno.EEXIST);
    const h2 = f.vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_ITS);
    expect(errnoOf(() => h2.setAttr({ group: GRP_ADDR, attr: 4, addr: encodeU64(0xffffff0000) }))).toBe(Errno.E2BIG);
  });

  it("[its-4] CTRL attributes", () => {
    const f = new Fx({ its: true });
    const h = f.its!;
    for (const a of [0, 1, 2, 4]) expect(h.hasAttr({ group: GRP_CTRL, attr: a })).toBe(0);
    expect(errnoOf(() => h.hasAttr({ group: GRP_CTRL, attr: 3 }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => h.setAttr({ group: GRP_CTRL, attr: 3 }))).toBe(Errno.ENXIO);
    expect(h.setAttr({ group: GRP_CTRL, attr: 0 })).toBe(0);
  });

  it("[its-5] ITS_REGS before the base is set: GET ENXIO, HAS 0", () => {
    const f = new Fx();
    const h = f.vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_ITS);
    expect(errnoOf(() => h.getAttr({ group: GRP_ITS_REGS, attr: 0, addr: new Uint8Array(8) }))).toBe(Errno.ENXIO);
    expect(h.hasAttr({ group: GRP_ITS_REGS, attr: 0 })).toBe(0);
  });

  it("[its-6] ITS_REGS alignment and decoding", () => {
    const f = new Fx({ its: true });
    expect(f.err(() => f.itsGet(0x84))).toBe(Errno.EINVAL);
    expect(f.err(() => f.itsGet(0x18))).toBe(Errno.ENXIO);
    expect(f.its!.hasAttr({ group: GRP_ITS_REGS, attr: 0xffd4 })).toBe(0);
  });

  it("[its-7] reset reads of CTLR, IIDR, TYPER, CBASER, CREADR, CWRITER", () => {
    const f = new Fx({ its: true });
    expect([0x0, 0x4, 0x8, 0x80, 0x90, 0x88].map((o) => f.itsGet(o))).toEqual([0x80000000n, 0x4b00043bn, 0x1ef71n, 0n, 0n, 0n]);
  });

  it("[its-8] reset reads of BASER0..2", () => {
    const f = new Fx({ its: true });
    expect([0x100, 0x108, 0x110].map((o) => f.itsGet(o))).toEqual([0x1907000000000600n, 0x1c07000000000600n, 0n]);
  });

  it("[its-9] ID registers", () => {
    const f = new Fx({ its: true });
    expect([0xffe0, 0xffe4, 0xffe8, 0xffd0, 0xfff0, 0xfffc].map((o) => f.itsGet(o))).toEqual([0x92n, 0xb4n, 0x3bn, 0x40n, 0x0dn, 0xb1n]);
  });

  it("[its-10] GITS_IIDR: only ABI revision 0", () => {
    const f = new Fx({ its: true });
    expect(f.err(() => f.itsSet(0x4, 0x4b00143bn))).toBe(Errno.EINVAL);
    expect(f.itsSet(0x4, 0x4b00043bn)).toBe(0);
  });

  it("[its-11] BASER sanitising", () => {
    const f = new Fx({ its: true });
    f.itsSet(0x100, 0x8000000000010000n);
    expect(f.itsGet(0x100)).toBe(0x9907000000010200n);
    f.itsSet(0x108, 0xc000000000020000n);
    expect(f.itsGet(0x108)).toBe(0x9c07000000020200n);
  });

  it("[its-12] CBASER sanitising resets CREADR/CWRITER", () => {
    const f = new Fx({ its: true });
    f.itsSet(0x80, 0x8000000040000000n);
    expect(f.itsGet(0x80)).toBe(0x9800000040000000n);
    expect([f.itsGet(0x90), f.itsGet(0x88)]).toEqual([0n, 0n]);
  });

  it("[its-13] GITS_CTLR enable needs valid BASER0/1 and CBASER", () => {
    const f = new Fx({ its: true });
    f.itsSet(0x100, 0x8000000040030000n);
    f.itsSet(0x80, 0x8000000040050000n);
    f.itsSet(0x0, 1n);
    expect(f.itsGet(0)).toBe(0x80000000n);
    f.itsSet(0x108, 0x8000000040040000n);
    f.itsSet(0x0, 1n);
    expect(f.itsGet(0)).toBe(0x80000001n);
  });

  it("[its-14] while enabled CBASER and BASER0 writes are ignored and CREADR is EBUSY", () => {
    const f = new ItsFx();
    f.itsSet(0x80, 0x8000000040060000n);
    f.itsSet(0x100, 0x8000000040070000n);
    expect(f.itsGet(0x80)).toBe(0x9800000040050000n);
    expect(f.itsGet(0x100) & 0xffffffffffffn).toBe(0x40030200n);
    expect(f.err(() => f.itsSet(0x90, 0n))).toBe(Errno.EBUSY);
  });

  it("[its-15] userspace CREADR within the queue", () => {
    const f = new Fx({ its: true });
    f.itsSet(0x80, 0x8000000040050000n);
    expect(f.err(() => f.itsSet(0x90, 0x1000n))).toBe(Errno.EINVAL);
    expect(f.itsSet(0x90, 0x40n)).toBe(0);
    expect(f.itsGet(0)).toBe(0n);
  });

  it("[its-16] guest CWRITER: beyond the queue ignored, low bits dropped", () => {
    const f = new Fx({ its: true });
    f.itsSet(0x80, 0x8000000040050000n);
    f.mmioW(ITS_BASE + 0x88, 0x1000);
    expect(f.itsGet(0x88)).toBe(0n);
    f.mmioW(ITS_BASE + 0x88, 0x23);
    expect(f.itsGet(0x88)).toBe(0x20n);
  });

  it("[its-17] commands queued while disabled run when the ITS is enabled", () => {
    const f = new ItsFx();
    f.mmioW(ITS_BASE, 0);
    f.map();
    expect(f.itsGet(0x90)).toBe(0n);
    f.mmioW(ITS_BASE, 1);
    expect(f.itsGet(0x90)).toBe(0x60n);
    expect(f.itsGet(0) & 0x80000000n).toBe(0x80000000n);
  });
});

describe("ITS translation", () => {
  it("[its-18] an MSI with a device id reaches LPI 8200 on vCPU 0", () => {
    const f = new ItsFx().map();
    expect(f.msi()).toBe(1);
    expect(f.iar()).toBe(8200);
    expect(f.itsGet(0x90)).toBe(0x60n);
    expect(f.itsGet(0)).toBe(0x80000001n);
  });

  it("[its-19] MSI without device id or outside the ITS frame is EINVAL; an unmapped event 0", () => {
    const f = new ItsFx().map();
    expect(f.err(() => f.msi({ flags: 0, devid: 0 }))).toBe(Errno.EINVAL);
    expect(f.err(() => f.msi({ addressLo: 0x08000040 }))).toBe(Errno.EINVAL);
    expect(f.msi({ data: 3 })).toBe(0);
  });

  it("[its-20] a cached translation accepts an MSI without KVM_MSI_VALID_DEVID", () => {
    const f = new ItsFx().map();
    f.msi();
    expect(f.msi({ flags: 0 })).toBe(1);
  });

  it("[its-21] disabled ITS or EnableLPIs = 0 is EBUSY", () => {
    const f = new ItsFx().map();
    f.mmioW(ITS_BASE, 0);
    expect(f.err(() => f.msi())).toBe(Errno.EBUSY);
    const g = new ItsFx().map();
    g.rdW(0, 0, 0);
    expect(g.err(() => g.msi())).toBe(Errno.EBUSY);
  });

  it("[its-22] KVM_SIGNAL_MSI: GICv3 without ITS ENODEV, no vGIC EINVAL", () => {
    const f = new Fx();
    expect(f.err(() => f.routing.signalMsi(MSI))).toBe(Errno.ENODEV);
    const bare = createVm({ arch: "arm64", vcpus: 2, modules: [routingModule, gicModule] });
    expect(errnoOf(() => bare.get(GsiRouting).signalMsi(MSI))).toBe(Errno.EINVAL);
  });

  it("[its-23] PROPBASER.IDbits bounds pINTID", () => {
    const f = new ItsFx({ propbaser: 0x4000000d });
    f.mapd(1, 4, 0x40100000);
    f.mapc(0, 0);
    f.mapti(1, 1, 8191, 0);
    f.mapti(1, 2, 16384, 0);
    f.mapti(1, 3, 16383, 0);
    expect(f.msi({ data: 1 })).toBe(0);
    expect(f.msi({ data: 2 })).toBe(0);
    expect(f.msi({ data: 3 })).toBe(1);
  });

  it("[its-24] MAPI maps EventID = LPI", () => {
    const f = new ItsFx();
    f.mapd(2, 13, 0x40200000);
    f.mapc(0, 0);
    f.vm.memory.writeByte(0x4000006c, 0xa1);
    f.cmd(BigInt(CMD.MAPI) | (2n << 32n), 8300n, 0n);
    expect(f.msi({ devid: 2, data: 8300 })).toBe(1);
    expect(f.iar()).toBe(8300);
  });

  it("[its-25] MAPD with too many EventID bits or outside the table creates nothing", () => {
    const f = new ItsFx();
    f.mapc(0, 0);
    f.mapd(1, 16, 0x40100000);
    f.mapd(8192, 4, 0x40100000);
    f.mapd(0x10000, 4, 0x40100000);
    for (const d of [1, 8192, 0x10000]) f.mapti(d, 2, 8200, 0);
    expect(f.itsBackend.its.devices.size).toBe(0);
    expect(f.msi()).toBe(0);
  });

  it("[its-26] EventID beyond the device's bits creates nothing", () => {
    const f = new ItsFx().map();
    f.mapti(1, 32, 8201, 0);
    expect(f.msi({ data: 32 })).toBe(0);
  });

  it("[its-27] MAPC to a missing vCPU creates nothing; MAPTI then creates an unmapped collection", () => {
    const f = new ItsFx();
    f.mapc(3, 7);
    expect(f.itsBackend.its.collections.size).toBe(0);
    f.mapd(1, 4, 0x40100000);
    f.mapti(1, 2, 8200, 3);
    expect(f.itsBackend.its.collections.get(3)?.target).toBe(-1);
    expect(f.msi()).toBe(0);
  });

  it("[its-28] DISCARD removes the translation and zeroes the ITE in memory", () => {
    const f = new ItsFx().map();
    f.vm.memory.write64(0x40100010, 0x1234n, "le");
    f.devcmd(CMD.DISCARD, 1, 2);
    expect(f.msi()).toBe(0);
    expect(f.q(0x40100010)).toBe(0n);
  });

  it("[its-29] MAPD V = 0 zeroes the DTE and unmaps the device", () => {
    const f = new ItsFx().map();
    f.vm.memory.write64(0x40030008, 0x5678n, "le");
    f.mapd(1, 0, 0, 0);
    expect(f.q(0x40030008)).toBe(0n);
    expect(f.msi()).toBe(0);
  });

  it("[its-30] a new LPI consumes its pending bit from the pending table", () => {
    const f = new ItsFx();
    f.vm.memory.writeByte(0x40010401, 0x01);
    f.map();
    expect(f.iar()).toBe(8200);
    expect(f.vm.memory.readByte(0x40010401)).toBe(0);
  });

  it("[its-31] property changes are seen only after INV", () => {
    const f = new ItsFx().map();
    f.vm.memory.writeByte(0x40000008, 0xf1);
    f.msi();
    expect(f.iar()).toBe(8200);
    f.vm.vcpus[0].sysregWrite(ICC_EOIR1_EL1, 8200);
    f.devcmd(CMD.INV, 1, 2);
    f.msi();
    expect(f.iar()).toBe(1023);
  });

  it("[its-32] INVALL re-reads the enable bit", () => {
    const f = new ItsFx().map();
    f.vm.memory.writeByte(0x40000008, 0xa0);
    f.cmd(BigInt(CMD.INVALL), 0n, 0n);
    expect(f.msi()).toBe(1);
    expect(f.iar()).toBe(1023);
  });

  it("[its-33] CLEAR drops the pending state", () => {
    const f = new ItsFx().map();
    f.msi();
    f.devcmd(CMD.CLEAR, 1, 2);
    expect(f.iar()).toBe(1023);
  });

  it("[its-34] MOVI moves the LPI to collection 1 (vCPU 1)", () => {
    const f = new ItsFx().map();
    f.mapc(1, 1);
    f.devcmd(CMD.MOVI, 1, 2, 1n);
    f.msi();
    expect(f.iar(1)).toBe(8200);
    expect(f.iar(0)).toBe(1023);
  });

  it("[its-35] MOVALL retargets LPIs but not collections", () => {
    const f = new ItsFx().map();
    f.cmd(BigInt(CMD.MOVALL), 0n, 0n, 1n << 16n);
    f.msi();
    expect(f.iar(1)).toBe(8200);
    f.ctrl(CTRL_ITS_SAVE_TABLES);
    expect(f.q(0x40040000)).toBe(0x8000000000000000n);
  });

  it("[its-36] INT makes the LPI pending", () => {
    const f = new ItsFx().map();
    f.devcmd(CMD.INT, 1, 2);
    expect(f.iar()).toBe(8200);
  });

  it("[its-37] unknown opcodes and commands on unmapped devices only advance CREADR", () => {
    const f = new ItsFx().map();
    const before = f.itsBackend.dumpState();
    f.cmd(0x2an);
    expect(f.itsGet(0x90)).toBe(0x80n);
    f.devcmd(CMD.INT, 5, 0);
    expect(f.itsGet(0x90)).toBe(0xa0n);
    expect(f.itsBackend.dumpState().replace(/CREADR 0x\w+ CWRITER 0x\w+/, "")).toBe(before.replace(/CREADR 0x\w+ CWRITER 0x\w+/, ""));
    expect(f.iar()).toBe(1023);
  });
});

describe("ITS save/restore tables", () => {
  it("[its-38] ITS_SAVE_TABLES formats", () => {
    const f = new ItsFx().map();
    expect(f.ctrl(CTRL_ITS_SAVE_TABLES)).toBe(0);
    expect(f.q(0x40030008)).toBe(0x8000000008020004n);
    expect(f.q(0x40100010)).toBe(0x0000000020080000n);
    expect(f.q(0x40040000)).toBe(0x8000000000000000n);
    expect(f.q(0x40040008)).toBe(0n);
  });

  const saveReset = () => {
    const f = new ItsFx().map();
    f.ctrl(CTRL_ITS_SAVE_TABLES);
    f.ctrl(CTRL_ITS_RESET);
    return f;
  };

  it("[its-39] reset, then restore brings the translation back", () => {
    const f = saveReset();
    expect(f.itsGet(0)).toBe(0x80000000n);
    expect(f.itsGet(0x100)).toBe(0x1907000040030200n);
    expect(f.itsGet(0x80)).toBe(0n);
    expect(f.err(() => f.msi())).toBe(Errno.EBUSY);
    f.reconfigure();
    expect(f.ctrl(CTRL_ITS_RESTORE_TABLES)).toBe(0);
    f.itsSet(0, 1n);
    expect(f.msi()).toBe(1);
  });

  it("[its-40] a corrupted ITE fails the restore with EINVAL and leaves nothing", () => {
    const f = saveReset();
    f.vm.memory.write64(0x40100010, 0x0000000000640000n, "le");
    f.reconfigure();
    expect(f.err(() => f.ctrl(CTRL_ITS_RESTORE_TABLES))).toBe(Errno.EINVAL);
    f.itsSet(0, 1n);
    expect(f.msi()).toBe(0);
  });

  it("[its-41] a CTE naming a missing vCPU or a DTE with Size 16 is EINVAL", () => {
    const f = saveReset();
    f.vm.memory.write64(0x40040000, 0x8000000000090000n, "le");
    f.reconfigure();
    expect(f.err(() => f.ctrl(CTRL_ITS_RESTORE_TABLES))).toBe(Errno.EINVAL);
    const g = saveReset();
    g.vm.memory.write64(0x40030008, 0x8000000008020010n, "le");
    g.reconfigure();
    expect(g.err(() => g.ctrl(CTRL_ITS_RESTORE_TABLES))).toBe(Errno.EINVAL);
  });

  it("[its-42] restoring twice is EEXIST and frees every collection", () => {
    const f = saveReset();
    f.reconfigure();
    f.ctrl(CTRL_ITS_RESTORE_TABLES);
    expect(f.err(() => f.ctrl(CTRL_ITS_RESTORE_TABLES))).toBe(Errno.EEXIST);
    f.itsSet(0, 1n);
    expect(f.msi()).toBe(0);
  });

  it("[its-43] a device outside a shrunk device table makes the save EINVAL", () => {
    const f = new ItsFx({ baser0: 0x8000000040060001n });
    f.mapd(9000, 4, 0x40100000);
    f.mmioW(ITS_BASE, 0);
    f.itsW64(0x100, 0x8000000040060000n);
    expect(f.err(() => f.ctrl(CTRL_ITS_SAVE_TABLES))).toBe(Errno.EINVAL);
  });

  it("[its-44] SAVE_PENDING_TABLES writes the LPI's bit only; before CTRL_INIT ENXIO", () => {
    const f = new ItsFx().map();
    f.msi();
    expect(f.gic.setAttr({ group: GRP_CTRL, attr: CTRL_SAVE_PENDING_TABLES })).toBe(0);
    expect(f.vm.memory.readByte(0x40010401)).toBe(1);
    expect(f.vm.memory.readBytes(0x40010000, 0x400).every((b) => b === 0)).toBe(true);
    const g = new Fx({ init: false });
    expect(g.err(() => g.gic.setAttr({ group: GRP_CTRL, attr: CTRL_SAVE_PENDING_TABLES }))).toBe(Errno.ENXIO);
  });

  it("[its-45] a guest write to GITS_TRANSLATER does nothing and reads 0", () => {
    const f = new ItsFx().map();
    f.mmioW(0x08090040, 2);
    expect(f.iar()).toBe(1023);
    expect(f.mmioR(0x08090040)).toBe(0);
  });

  it("[its-46] EnableLPIs 0 → 1 loads pending bits without clearing them", () => {
    const f = new ItsFx().map();
    f.rdW(0, 0, 0);
    f.vm.memory.writeByte(0x40010401, 1);
    f.rdW(0, 0, 1);
    expect(f.iar()).toBe(8200);
    expect(f.vm.memory.readByte(0x40010401)).toBe(1);
  });

  it("[its-47] PROPBASER/PENDBASER are frozen while EnableLPIs = 1", () => {
    const f = new ItsFx();
    const p = f.redist(0x70);
    const q = f.redist(0x78);
    f.rdW(0, 0x70, 0x50000000);
    f.rdW(0, 0x78, 0x50000000);
    expect([f.redist(0x70), f.redist(0x78)]).toEqual([p, q]);
  });
});
