/**
 * One Interrupt Translation Service (spec §10): registers, the command queue in guest memory,
 * the DeviceID/EventID → ITE → collection → redistributor translation with its cache, and the
 * ABI-revision-0 save/restore table formats.
 *
 *   MSI (doorbell, DeviceID, EventID=data)
 *      └─> cache[DeviceID<<16 | EventID] ── hit ──> LPI slot pending
 *      └─> devices[DeviceID].ites[EventID] = ITE { LPI INTID, collection }
 *             └─> collection.target (vCPU id; EnableLPIs must be 1) ──> LPI pending
 */
import { Errno, type GuestMemory } from "@irqlab/core";
import { ITS_SIZE, LPI_BASE } from "./constants.js";
import { emit } from "./trace.js";
import type { VgicState } from "./vgic.js";

export interface Collection {
  readonly icid: number;
  /** vCPU id, −1 for a collection created by MAPTI and never mapped. */
  target: number;
}

export interface Ite {
  readonly event: number;
  readonly lpi: number;
  coll: Collection | null;
}

export interface ItsDevice {
  readonly id: number;
  readonly itt: number;
  readonly bits: number;
  readonly ites: Map<number, Ite>;
}

const M64 = 0xffffffffffffffffn;
export const BASER0_RESET = 0x1907000000000600n;
export const BASER1_RESET = 0x1c07000000000600n;
const VALID = 1n << 63n;

/** Command opcodes (§10.4). */
export const CMD = {
  MOVI: 0x01,
  INT: 0x03,
  CLEAR: 0x04,
  SYNC: 0x05,
  MAPD: 0x08,
  MAPC: 0x09,
  MAPTI: 0x0a,
  MAPI: 0x0b,
  INV: 0x0c,
  INVALL: 0x0d,
  MOVALL: 0x0e,
  DISCARD: 0x0f,
} as const;

function sanitiseCache(v: bigint): bigint {
  const sh = (v >> 10n) & 3n;
  if (sh === 2n) v = (v & ~(3n << 10n)) | (1n << 10n);
  const ic = (v >> 59n) & 7n;
  if (ic === 0n || ic === 1n) v = (v & ~(7n << 59n)) | (3n << 59n);
  const oc = (v >> 53n) & 7n;
  if (oc !== 0n && oc !== 1n) v &= ~(7n << 53n);
  return v;
}

function tableAddr(b: bigint): number {
  return Number((b & 0x0000ffffffff0000n) | (((b >> 12n) & 0xfn) << 48n));
}

function tableSize(b: bigint): number {
  return (Number(b & 0xffn) + 1) * 0x10000;
}

export class Its {
  base = -1;
  enabled = false;
  abiRev = 0;
  cbaser = 0n;
  creadr = 0;
  cwriter = 0;
  baser0 = BASER0_RESET;
  baser1 = BASER1_RESET;
  readonly devices = new Map<number, ItsDevice>();
  /** Collections in creation order (the save order). */
  readonly collections = new Map<number, Collection>();
  /** Translation cache: DeviceID << 16 | EventID → LPI slot. */
  readonly cache = new Map<number, number>();
  /** Counters. */
  commands = 0;
  commandErrors = 0;
  translations = 0;

  constructor(
    readonly st: VgicState,
    readonly mem: GuestMemory,
  ) {}

  contains(addr: number): boolean {
    return this.base >= 0 && addr >= this.base && addr < this.base + ITS_SIZE;
  }

  // -------------------------------------------------------------- table checks

  /** Address of DeviceID `id`'s DTE, or −1 (`dev_ok` false). */
  devEntry(id: number): number {
    if (id < 0 || id > 0xffff) return -1;
    const b = this.baser0;
    const base = tableAddr(b);
    const size = tableSize(b);
    if ((b >> 62n) & 1n) {
      const l1 = Math.floor(id / 8192);
      if (l1 >= size / 8) return -1;
      const la = base + 8 * l1;
      if (!this.mem.isMapped(la, 8)) return -1;
      const e = this.mem.read64(la, "le");
      if ((e & VALID) === 0n) return -1;
      const a = Number(e & 0x000fffffffff0000n) + 8 * (id % 8192);
      return this.mem.isMapped(a, 8) ? a : -1;
    }
    if (id >= size / 8) return -1;
    const a = base + 8 * id;
    return this.mem.isMapped(a, 8) ? a : -1;
  }

  collOk(icid: number): boolean {
    const b = this.baser1;
    if (icid >= 65536 || icid >= tableSize(b) / 8) return false;
    return this.mem.isMapped(tableAddr(b) + 8 * icid, 8);
  }

  evOk(d: ItsDevice, ev: number): boolean {
    return ev < 2 ** d.bits && this.mem.isMapped(d.itt + 8 * ev, 8);
  }

  private vcpuExists(id: number): boolean {
    return id >= 0 && id < this.st.nv;
  }

  private mapped(c: Collection | null): c is Collection {
    return c !== null && c.target >= 0 && this.collections.get(c.icid) === c;
  }

  invalidateCache(): void {
    this.cache.clear();
  }

  // -------------------------------------------------------------- translation (§8.4, §10.5)

  /**
   * Delivers (DeviceID, EventID): 1 delivered, 0 no translation, −EBUSY target has LPIs off.
   * The caller has checked that the ITS is enabled.
   */
  translate(devid: number, event: number): number {
    const d = this.devices.get(devid);
    const ite = d?.ites.get(event);
    if (ite === undefined || !this.mapped(ite.coll)) {
      if (this.st.vm.tracer.enabled) emit(this.st.vm.tracer, "gic.its.translate", { devid, event, result: 0 });
      return 0;
    }
    const t = ite.coll.target;
    if (this.st.enableLpis[t] === 0) return -Errno.EBUSY;
    const s = this.st.lpiBase + ite.lpi - LPI_BASE;
    this.st.latch[s] = 1;
    this.st.sync(s);
    this.translations++;
    if (devid <= 0xffff && event <= 0xffff) this.cache.set(devid * 65536 + event, s);
    if (this.st.vm.tracer.enabled) emit(this.st.vm.tracer, "gic.its.translate", { devid, event, result: 1 });
    return 1;
  }

  /** A cached translation: makes the LPI pending and returns true, else false. */
  cached(devid: number, event: number): boolean {
    if (devid > 0xffff || event > 0xffff) return false;
    const s = this.cache.get(devid * 65536 + event);
    if (s === undefined) return false;
    this.st.latch[s] = 1;
    this.st.sync(s);
    this.translations++;
    return true;
  }

  // -------------------------------------------------------------- registers (§10.2)

  static decodes(off: number): boolean {
    switch (off) {
      case 0x0:
      case 0x4:
      case 0x8:
      case 0x80:
      case 0x88:
      case 0x90:
        return true;
    }
    if (off >= 0x100 && off < 0x140) return off % 8 === 0;
    return off >= 0xffd0 && off <= 0xfffc && off % 4 === 0;
  }

  static width(off: number): number {
    return off === 0x0 || off === 0x4 || off >= 0xffd0 ? 4 : 8;
  }

  queueSize(): number {
    return (Number(this.cbaser & 0xffn) + 1) * 0x1000;
  }

  private ctlr(): number {
    return ((this.enabled ? 1 : 0) | (this.creadr === this.cwriter ? 0x80000000 : 0)) >>> 0;
  }

  /** Reads the 64- or 32-bit register at `off` (unknown: 0). */
  read(off: number): bigint {
    switch (off) {
      case 0x0:
        return BigInt(this.ctlr());
      case 0x4:
        return this.st.quirks.iidrArm ? 0x43bn : BigInt(((0x4b << 24) | (this.abiRev << 12) | 0x43b) >>> 0);
      case 0x8:
        return 0x1ef71n;
      case 0x80:
        return this.cbaser;
      case 0x88:
        return BigInt(this.cwriter);
      case 0x90:
        return BigInt(this.creadr);
      case 0x100:
        return this.baser0;
      case 0x108:
        return this.baser1;
      case 0xffd0:
        return 0x40n;
      case 0xffe0:
        return 0x92n;
      case 0xffe4:
        return 0xb4n;
      case 0xffe8:
        return 0x3bn;
      case 0xfff0:
        return 0x0dn;
      case 0xfff4:
        return 0xf0n;
      case 0xfff8:
        return 0x05n;
      case 0xfffc:
        return 0xb1n;
    }
    return 0n;
  }

  /** Writes the register at `off`; returns 0 or, for userspace writes, the errno of a refusal. */
  write(off: number, value: bigint, user: boolean): number {
    value &= M64;
    switch (off) {
      case 0x0: {
        const on = (value & 1n) !== 0n;
        if (!this.enabled && on && ((this.baser0 & VALID) === 0n || (this.baser1 & VALID) === 0n || (this.cbaser & VALID) === 0n)) {
          return 0;
        }
        this.enabled = on;
        if (!on) this.invalidateCache();
        this.process();
        return 0;
      }
      case 0x4:
        if (!user) return 0;
        if (((value >> 12n) & 0xfn) >= 1n) return Errno.EINVAL;
        this.abiRev = 0;
        return 0;
      case 0x80:
        if (this.enabled) return 0;
        this.cbaser = sanitiseCache(value) & ~(0xfn << 12n);
        this.creadr = this.cwriter = 0;
        return 0;
      case 0x88: {
        const o = Number(value & 0xfffe0n);
        if (o >= this.queueSize()) return 0;
        this.cwriter = o;
        this.process();
        return 0;
      }
      case 0x90: {
        if (!user) return 0;
        if (this.enabled) return Errno.EBUSY;
        const o = Number(value & 0xfffe0n);
        if (o >= this.queueSize()) return Errno.EINVAL;
        this.creadr = o;
        return 0;
      }
      case 0x100:
      case 0x108: {
        if (this.enabled) return 0;
        const dev = off === 0x100;
        let v = sanitiseCache(value);
        v &= ~((0x1fn << 48n) | (7n << 56n) | (3n << 8n));
        v |= (7n << 48n) | ((dev ? 1n : 4n) << 56n) | (2n << 8n);
        if (!dev) v &= ~(1n << 62n);
        if (dev) this.baser0 = v;
        else this.baser1 = v;
        if ((v & VALID) === 0n) {
          if (dev) this.freeDevices();
          else this.freeCollections();
        }
        return 0;
      }
    }
    return 0;
  }

  // -------------------------------------------------------------- command queue (§10.3)

  process(): void {
    if (!this.enabled) return;
    const qs = this.queueSize();
    const base = Number(this.cbaser & 0x000ffffffffff000n);
    let guard = qs / 32 + 1;
    while (this.creadr !== this.cwriter && guard-- > 0) {
      const a = base + this.creadr;
      if (this.mem.isMapped(a, 32)) {
        this.exec(this.mem.read64(a, "le"), this.mem.read64(a + 8, "le"), this.mem.read64(a + 16, "le"), this.mem.read64(a + 24, "le"));
      }
      this.creadr += 32;
      if (this.creadr >= qs) this.creadr = 0;
    }
  }

  /** Executes one command; returns 0 or the ITS error code of §10.4 (never reported). */
  exec(dw0: bigint, dw1: bigint, dw2: bigint, dw3: bigint): number {
    this.commands++;
    const r = this.execInner(dw0, dw1, dw2, dw3);
    if (r !== 0) this.commandErrors++;
    const tr = this.st.vm.tracer;
    if (tr.enabled) emit(tr, "gic.its.command", { opcode: Number(dw0 & 0xffn), error: r });
    return r;
  }

  private execInner(dw0: bigint, dw1: bigint, dw2: bigint, dw3: bigint): number {
    const op = Number(dw0 & 0xffn);
    const devid = Number(dw0 >> 32n);
    const event = Number(dw1 & 0xffffffffn);
    const icid = Number(dw2 & 0xffffn);
    const st = this.st;
    switch (op) {
      case CMD.MOVI: {
        const ite = this.devices.get(devid)?.ites.get(event);
        if (ite === undefined) return 0x010107;
        if (!this.mapped(ite.coll)) return 0x010109;
        const nc = this.collections.get(icid);
        if (nc === undefined || nc.target < 0) return 0x010109;
        ite.coll = nc;
        st.setLpiTarget(ite.lpi, nc.target);
        this.invalidateCache();
        return 0;
      }
      case CMD.INT: {
        const ite = this.devices.get(devid)?.ites.get(event);
        if (ite === undefined || !this.mapped(ite.coll)) return 0x010307;
        this.translate(devid, event);
        return 0;
      }
      case CMD.CLEAR: {
        const ite = this.devices.get(devid)?.ites.get(event);
        if (ite === undefined) return 0x010507;
        st.setLatch(st.lpiBase + ite.lpi - LPI_BASE, false);
        return 0;
      }
      case CMD.SYNC:
        return 0;
      case CMD.MAPD: {
        const a = this.devEntry(devid);
        if (a < 0) return 0x010801;
        const valid = (dw2 & VALID) !== 0n;
        const size = Number(dw1 & 0x1fn);
        if (valid && size + 1 > 16) return 0x010802;
        if (this.devices.has(devid)) {
          this.freeDevice(devid);
          this.invalidateCache();
        }
        if (!valid) {
          this.mem.write64(a, 0n, "le");
          return 0;
        }
        const itt = Number(dw2 & 0x000fffffffffff00n);
        this.devices.set(devid, { id: devid, itt, bits: size + 1, ites: new Map() });
        return 0;
      }
      case CMD.MAPC: {
        const valid = (dw2 & VALID) !== 0n;
        const rd = Number((dw2 >> 16n) & 0xffffffffn);
        if (!valid) {
          const c = this.collections.get(icid);
          if (c) {
            for (const d of this.devices.values()) for (const ite of d.ites.values()) if (ite.coll === c) ite.coll = null;
            this.collections.delete(icid);
          }
          this.invalidateCache();
          return 0;
        }
        if (!this.vcpuExists(rd)) return 0x010902;
        const c = this.collections.get(icid);
        if (c) {
          c.target = rd;
          for (const d of this.devices.values()) for (const ite of d.ites.values()) if (ite.coll === c) st.setLpiTarget(ite.lpi, rd);
          this.invalidateCache();
          return 0;
        }
        if (!this.collOk(icid)) return 0x010903;
        this.collections.set(icid, { icid, target: rd });
        return 0;
      }
      case CMD.MAPTI:
      case CMD.MAPI: {
        const d = this.devices.get(devid);
        if (d === undefined) return 0x010a04;
        if (!this.evOk(d, event)) return 0x010a05;
        const lpi = op === CMD.MAPTI ? Number(dw1 >> 32n) : event;
        if (lpi < LPI_BASE || lpi >= st.lpiIdLimit()) return 0x010a06;
        if (d.ites.has(event)) return 0;
        let c = this.collections.get(icid);
        let fresh = false;
        if (c === undefined) {
          if (!this.collOk(icid)) return 0x010903;
          c = { icid, target: -1 };
          this.collections.set(icid, c);
          fresh = true;
        }
        if (!st.addLpiRef(lpi, c.target)) {
          if (fresh) this.collections.delete(icid);
          return 0x010a07;
        }
        d.ites.set(event, { event, lpi, coll: c });
        return 0;
      }
      case CMD.INV: {
        const ite = this.devices.get(devid)?.ites.get(event);
        if (ite === undefined) return 0x010c07;
        st.readProperty(st.lpiBase + ite.lpi - LPI_BASE);
        return 0;
      }
      case CMD.INVALL: {
        const c = this.collections.get(icid);
        if (c === undefined || c.target < 0) return 0x010d09;
        for (const s of st.lpiSlots()) if (st.target[s] === c.target) st.readProperty(s);
        return 0;
      }
      case CMD.MOVALL: {
        const a = Number((dw2 >> 16n) & 0xffffffffn);
        const b = Number((dw3 >> 16n) & 0xffffffffn);
        if (!this.vcpuExists(a) || !this.vcpuExists(b)) return 0x010e01;
        if (a === b) return 0;
        for (const s of [...st.lpiSlots()]) if (st.target[s] === a) st.setLpiTarget(st.intidOf(s), b);
        this.invalidateCache();
        return 0;
      }
      case CMD.DISCARD: {
        const d = this.devices.get(devid);
        const ite = d?.ites.get(event);
        if (d === undefined || ite === undefined || !this.mapped(ite.coll)) return 0x010f07;
        this.invalidateCache();
        d.ites.delete(event);
        st.dropLpiRef(ite.lpi);
        const a = d.itt + 8 * event;
        if (this.mem.isMapped(a, 8)) this.mem.write64(a, 0n, "le");
        return 0;
      }
    }
    return 0;
  }

  // -------------------------------------------------------------- freeing / reset

  private freeDevice(id: number): void {
    const d = this.devices.get(id);
    if (!d) return;
    for (const ite of d.ites.values()) this.st.dropLpiRef(ite.lpi);
    this.devices.delete(id);
  }

  freeDevices(): void {
    for (const id of [...this.devices.keys()]) this.freeDevice(id);
    this.invalidateCache();
  }

  freeCollections(): void {
    for (const d of this.devices.values()) for (const ite of d.ites.values()) ite.coll = null;
    this.collections.clear();
    this.invalidateCache();
  }

  /** ITS_CTRL_RESET (§10.7). */
  reset(): void {
    this.baser0 &= ~VALID;
    this.baser1 &= ~VALID;
    this.cbaser = 0n;
    this.creadr = this.cwriter = 0;
    this.enabled = false;
    this.freeDevices();
    this.freeCollections();
  }

  // -------------------------------------------------------------- save / restore (§10.8, §10.9)

  /** ITS_SAVE_TABLES: 0 or an errno. */
  save(): number {
    const mem = this.mem;
    if (this.baser0 & VALID) {
      const ids = [...this.devices.keys()].sort((a, b) => a - b);
      for (let k = 0; k < ids.length; k++) {
        const d = this.devices.get(ids[k])!;
        const a = this.devEntry(d.id);
        if (a < 0) return Errno.EINVAL;
        const evs = [...d.ites.keys()].sort((x, y) => x - y);
        for (let j = 0; j < evs.length; j++) {
          const ite = d.ites.get(evs[j])!;
          const ea = d.itt + 8 * ite.event;
          if (!mem.isMapped(ea, 8)) return Errno.EFAULT;
          if (ite.coll === null) {
            mem.write64(ea, 0n, "le");
            continue;
          }
          let next = 0;
          for (let n = j + 1; n < evs.length; n++) {
            if (d.ites.get(evs[n])!.coll !== null) {
              next = Math.min(evs[n] - ite.event, 0xffff);
              break;
            }
          }
          mem.write64(ea, (BigInt(next) << 48n) | (BigInt(ite.lpi) << 16n) | BigInt(ite.coll.icid), "le");
        }
        const next = k + 1 < ids.length ? Math.min(ids[k + 1] - d.id, 0x3fff) : 0;
        const dte = VALID | (BigInt(next) << 49n) | (BigInt(Math.floor(d.itt / 256)) << 5n) | BigInt(d.bits - 1);
        mem.write64(a, dte, "le");
      }
    }
    if (this.baser1 & VALID) {
      const base = tableAddr(this.baser1);
      const max = tableSize(this.baser1) / 8;
      let i = 0;
      for (const c of this.collections.values()) {
        if (!this.collOk(c.icid)) return Errno.EINVAL;
        const a = base + 8 * i;
        if (!mem.isMapped(a, 8)) return Errno.EFAULT;
        const rd = c.target < 0 ? 0xffffffffn : BigInt(c.target);
        mem.write64(a, VALID | (rd << 16n) | BigInt(c.icid), "le");
        i++;
      }
      if (i < max) {
        const a = base + 8 * i;
        if (!mem.isMapped(a, 8)) return Errno.EFAULT;
        mem.write64(a, 0n, "le");
      }
    }
    return 0;
  }

  /** ITS_RESTORE_TABLES: 0 or an errno (an error frees what the phase restored, as KVM). */
  restore(): number {
    const mem = this.mem;
    if (this.baser1 & VALID) {
      const base = tableAddr(this.baser1);
      const max = tableSize(this.baser1) / 8;
      for (let i = 0; i < max; i++) {
        const a = base + 8 * i;
        if (!mem.isMapped(a, 8)) {
          this.freeCollections();
          return Errno.EFAULT;
        }
        const e = mem.read64(a, "le");
        if ((e & VALID) === 0n) break;
        const rd = Number((e >> 16n) & 0xffffffffn);
        const icid = Number(e & 0xffffn);
        let err = 0;
        if (rd !== 0xffffffff && !this.vcpuExists(rd)) err = Errno.EINVAL;
        else if (this.collections.has(icid)) err = Errno.EEXIST;
        else if (!this.collOk(icid)) err = Errno.EINVAL;
        if (err !== 0) {
          this.freeCollections();
          return err;
        }
        this.collections.set(icid, { icid, target: rd === 0xffffffff ? -1 : rd });
      }
    }
    if (this.baser0 & VALID) {
      const err = this.restoreDevices();
      if (err !== 0) {
        this.freeDevices();
        this.freeCollections();
        return err;
      }
    }
    return 0;
  }

  private restoreDevices(): number {
    const mem = this.mem;
    const b = this.baser0;
    const base = tableAddr(b);
    const size = tableSize(b);
    const scan = (l2base: number, first: number, count: number): number => {
      let id = 0;
      while (id < count) {
        const a = l2base + 8 * id;
        if (!mem.isMapped(a, 8)) return Errno.EFAULT;
        const e = mem.read64(a, "le");
        if ((e & VALID) === 0n) {
          id++;
          continue;
        }
        const bits = Number(e & 0x1fn) + 1;
        if (bits > 16) return Errno.EINVAL;
        const devid = first + id;
        if (this.devEntry(devid) < 0) return Errno.EINVAL;
        const itt = Number((e >> 5n) & 0xfffffffffffn) * 256;
        const d: ItsDevice = { id: devid, itt, bits, ites: new Map() };
        this.devices.set(devid, d);
        const r = this.restoreItt(d);
        if (r !== 0) return r;
        const next = Number((e >> 49n) & 0x3fffn);
        if (next === 0) return 1;
        id += next;
      }
      return 0;
    };
    if ((b >> 62n) & 1n) {
      for (let l1 = 0; l1 < size / 8; l1++) {
        const la = base + 8 * l1;
        if (!mem.isMapped(la, 8)) return Errno.EFAULT;
        const e = mem.read64(la, "le");
        if ((e & VALID) === 0n) continue;
        const r = scan(Number(e & 0x000fffffffff0000n), l1 * 8192, 8192);
        if (r === 1) return 0;
        if (r !== 0) return r;
      }
      return 0;
    }
    const r = scan(base, 0, size / 8);
    return r === 1 ? 0 : r;
  }

  private restoreItt(d: ItsDevice): number {
    const mem = this.mem;
    const n = 2 ** d.bits;
    let ev = 0;
    while (ev < n) {
      const a = d.itt + 8 * ev;
      if (!mem.isMapped(a, 8)) return Errno.EFAULT;
      const e = mem.read64(a, "le");
      const lpi = Number((e >> 16n) & 0xffffffffn);
      const next = Number(e >> 48n);
      const icid = Number(e & 0xffffn);
      if (lpi === 0) {
        ev++;
        continue;
      }
      if (lpi < LPI_BASE || lpi >= 65536) return Errno.EINVAL;
      if (ev + next >= n) return Errno.EINVAL;
      const c = this.collections.get(icid);
      if (c === undefined) return Errno.EINVAL;
      if (!this.evOk(d, ev)) return Errno.EINVAL;
      if (!this.st.addLpiRef(lpi, c.target)) return Errno.EFAULT;
      d.ites.set(ev, { event: ev, lpi, coll: c });
      if (next === 0) return 0;
      ev += next;
    }
    return 0;
  }

  describe(): string[] {
    const lines = [
      `ITS @ ${this.base < 0 ? "unset" : "0x" + this.base.toString(16)}: ${this.enabled ? "enabled" : "disabled"}, CBASER 0x${this.cbaser.toString(16)} CREADR 0x${this.creadr.toString(16)} CWRITER 0x${this.cwriter.toString(16)}, BASER0 0x${this.baser0.toString(16)} BASER1 0x${this.baser1.toString(16)}`,
    ];
    for (const c of this.collections.values()) lines.push(`  collection ${c.icid} -> ${c.target < 0 ? "unmapped" : "vCPU " + c.target}`);
    for (const d of this.devices.values()) {
      lines.push(`  device ${d.id}: ITT 0x${d.itt.toString(16)}, ${d.bits} EventID bits, ${d.ites.size} ITEs`);
      let k = 0;
      for (const ite of d.ites.values()) {
        if (k++ >= 8) {
          lines.push(`    ...`);
          break;
        }
        lines.push(`    event ${ite.event} -> LPI ${ite.lpi}, collection ${ite.coll ? ite.coll.icid : "none"}`);
      }
    }
    return lines;
  }
}
