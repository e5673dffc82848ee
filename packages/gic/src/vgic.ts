/**
 * The vGIC interrupt state (spec §2, §7): every SGI/PPI (per vCPU), SPI and LPI in one set of
 * typed arrays indexed by a slot number, each vCPU's "ap list" (the interrupts pending or
 * active for it, KVM's vgic_cpu.ap_list_head) as an intrusive doubly linked list over the
 * slots, and the CPU interface state (PMR, BPR, active priorities). Work per interrupt is
 * O(length of the vCPU's list), independent of how many interrupts exist or are mapped.
 *
 *   slot layout   [0, 32·nv)          SGI/PPI of vCPU v at v·32 + INTID
 *                 [32·nv, +988)        SPI INTID at 32·nv + INTID − 32
 *                 [lpiBase, +57344)    LPI INTID at lpiBase + INTID − 8192
 */
import type { IrqChip, Vcpu, Vm } from "@irqlab/core";
import {
  BPR_MIN,
  LPI_BASE,
  LPI_LIMIT,
  MAX_SPIS,
  NR_LPIS,
  NR_PRIVATE,
  SPURIOUS,
  vcpuAffinity,
  vcpuOfAffinity,
} from "./constants.js";
import { KVM_QUIRKS, type GicQuirks } from "./quirks.js";
import { emit } from "./trace.js";

export class VgicState {
  readonly nv: number;
  readonly spiBase: number;
  readonly lpiBase: number;
  readonly nslots: number;
  /** nr_spis (0 until NR_IRQS or CTRL_INIT). */
  nrSpis = 0;
  initialized = false;
  /** GICD_CTLR.EnableGrp1A: one enable for every group and LPIs. */
  distEnabled = false;
  /** GICD_CTLR.EnableGrp0 (quirk enableGrp0 only). */
  distEnabledG0 = false;
  /** KVM-vs-QEMU switches (default: KVM). */
  quirks: GicQuirks = KVM_QUIRKS;
  /** GICD_IIDR revision (3 after init unless userspace chose 2). */
  revision = 0;
  /** An ITS device exists in the VM (GICD_TYPER.LPIS, GICR_TYPER.PLPIS, GICR_CTLR writes). */
  hasIts = false;
  /** VM-wide GICR_PROPBASER. */
  propbaser = 0n;

  readonly enabled: Uint8Array;
  readonly latch: Uint8Array;
  readonly line: Uint8Array;
  readonly active: Uint8Array;
  readonly prio: Uint8Array;
  readonly group: Uint8Array;
  readonly edge: Uint8Array;
  /** Target vCPU index, −1 none. */
  readonly target: Int16Array;
  /** vCPU that acknowledged the interrupt while active, −1 none. */
  readonly activeOn: Int16Array;
  /** The vCPU list the slot is on, −1 none. */
  readonly onList: Int16Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** SPI IROUTER affinity (24 bits). */
  readonly spiMpidr: Uint32Array;
  /** IROUTER as written (quirk fullIrouter): low and high words. */
  readonly spiRouteLo: Uint32Array;
  readonly spiRouteHi: Uint32Array;
  /** LPI: number of ITEs (in any ITS) mapping it; 0 = no LPI object. */
  readonly lpiRefs: Uint16Array;
  /** Number of LPI objects (for dumpState). */
  lpiCount = 0;

  // Per vCPU: list head/tail and CPU interface.
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly pmr: Uint8Array;
  readonly bpr0: Uint8Array;
  readonly bpr1: Uint8Array;
  readonly cbpr: Uint8Array;
  readonly eoimode: Uint8Array;
  readonly igrpen0: Uint8Array;
  readonly igrpen1: Uint8Array;
  /** AP0R0..3 / AP1R0..3, 4 words per vCPU. */
  readonly ap0: Uint32Array;
  readonly ap1: Uint32Array;
  /** Redistributor: EnableLPIs and PENDBASER. */
  readonly enableLpis: Uint8Array;
  readonly pendbaser: bigint[];
  /** GICR_WAKER (quirk waker only). */
  readonly waker: Uint8Array;

  /** The IrqChip routing sees (for ack notifiers); set by the device. */
  chip: IrqChip | null = null;
  readonly vcpus: readonly Vcpu[];
  /** Counters. */
  acks = 0;
  eois = 0;
  spurious = 0;
  injected = 0;

  constructor(readonly vm: Vm) {
    this.vcpus = vm.vcpus;
    const nv = vm.vcpus.length;
    this.nv = nv;
    this.spiBase = nv * NR_PRIVATE;
    this.lpiBase = this.spiBase + MAX_SPIS;
    const n = this.lpiBase + NR_LPIS;
    this.nslots = n;
    this.enabled = new Uint8Array(n);
    this.latch = new Uint8Array(n);
    this.line = new Uint8Array(n);
    this.active = new Uint8Array(n);
    this.prio = new Uint8Array(n);
    this.group = new Uint8Array(n);
    this.edge = new Uint8Array(n);
    this.target = new Int16Array(n).fill(-1);
    this.activeOn = new Int16Array(n).fill(-1);
    this.onList = new Int16Array(n).fill(-1);
    this.next = new Int32Array(n).fill(-1);
    this.prev = new Int32Array(n).fill(-1);
    this.spiMpidr = new Uint32Array(MAX_SPIS);
    this.spiRouteLo = new Uint32Array(MAX_SPIS);
    this.spiRouteHi = new Uint32Array(MAX_SPIS);
    this.lpiRefs = new Uint16Array(NR_LPIS);
    this.head = new Int32Array(nv).fill(-1);
    this.tail = new Int32Array(nv).fill(-1);
    this.pmr = new Uint8Array(nv);
    this.bpr0 = new Uint8Array(nv);
    this.bpr1 = new Uint8Array(nv);
    this.cbpr = new Uint8Array(nv);
    this.eoimode = new Uint8Array(nv);
    this.igrpen0 = new Uint8Array(nv);
    this.igrpen1 = new Uint8Array(nv);
    this.ap0 = new Uint32Array(nv * 4);
    this.ap1 = new Uint32Array(nv * 4);
    this.enableLpis = new Uint8Array(nv);
    this.pendbaser = new Array<bigint>(nv).fill(0n);
    this.waker = new Uint8Array(nv);
  }

  /** Priority bits kept for SGI/PPI/SPI (5 in KVM; quirk fullPriority: 8). */
  get prioMask(): number {
    return this.quirks.fullPriority ? 0xff : 0xf8;
  }

  get nrIrqs(): number {
    return this.nrSpis + NR_PRIVATE;
  }

  // ------------------------------------------------------------------ slots

  /** Slot of `intid` as seen from vCPU `v` (private interrupts), or −1 when it names nothing. */
  slotOf(intid: number, v: number): number {
    if (intid < NR_PRIVATE) return intid >= 0 && v >= 0 && v < this.nv ? v * NR_PRIVATE + intid : -1;
    if (intid < NR_PRIVATE + this.nrSpis) return this.spiBase + intid - NR_PRIVATE;
    if (intid >= LPI_BASE && intid < LPI_LIMIT && this.lpiRefs[intid - LPI_BASE] !== 0) return this.lpiBase + intid - LPI_BASE;
    return -1;
  }

  intidOf(slot: number): number {
    if (slot < this.spiBase) return slot % NR_PRIVATE;
    if (slot < this.lpiBase) return slot - this.spiBase + NR_PRIVATE;
    return slot - this.lpiBase + LPI_BASE;
  }

  isPending(s: number): boolean {
    return this.latch[s] !== 0 || (this.edge[s] === 0 && this.line[s] !== 0);
  }

  // ------------------------------------------------------------------ lists

  private unlink(s: number): void {
    const v = this.onList[s];
    if (v < 0) return;
    const p = this.prev[s];
    const n = this.next[s];
    if (p >= 0) this.next[p] = n;
    else this.head[v] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail[v] = p;
    this.prev[s] = this.next[s] = -1;
    this.onList[s] = -1;
  }

  private link(s: number, v: number): void {
    const t = this.tail[v];
    this.prev[s] = t;
    this.next[s] = -1;
    if (t >= 0) this.next[t] = s;
    else this.head[v] = s;
    this.tail[v] = s;
    this.onList[s] = v;
  }

  /** vgic_queue_irq_unlock: put the slot on the list its state calls for, update the lines. */
  sync(s: number): void {
    const want = this.active[s] !== 0 ? this.activeOn[s] : this.enabled[s] !== 0 && this.isPending(s) ? this.target[s] : -1;
    const cur = this.onList[s];
    if (want !== cur) {
      this.unlink(s);
      if (want >= 0) this.link(s, want);
      if (cur >= 0) this.updateLine(cur);
    }
    if (want >= 0) this.updateLine(want);
  }

  /** Whether the slot may be signalled on vCPU v (distributor enable, LPIs: EnableLPIs). */
  private gated(s: number, v: number): boolean {
    if (this.quirks.enableGrp0 && this.group[s] === 0) return !this.distEnabledG0;
    if (!this.distEnabled) return true;
    return s >= this.lpiBase && this.enableLpis[v] === 0;
  }

  /** HPPI of vCPU v: pending, enabled, not active, group enabled, lowest priority; −1 none. */
  hppi(v: number): number {
    let best = -1;
    let bp = 0x100;
    const next = this.next;
    for (let s = this.head[v]; s >= 0; s = next[s]) {
      if (this.active[s] !== 0 || this.enabled[s] === 0 || !this.isPending(s)) continue;
      if (this.gated(s, v)) continue;
      if ((this.group[s] !== 0 ? this.igrpen1[v] : this.igrpen0[v]) === 0) continue;
      const p = this.prio[s];
      if (p < bp) {
        bp = p;
        best = s;
      }
    }
    return best;
  }

  effBpr(v: number, grp: number): number {
    if (grp === 0) return this.bpr0[v] + 1;
    return this.cbpr[v] !== 0 ? Math.min(this.bpr0[v] + 1, 7) : this.bpr1[v];
  }

  pre(prio: number, grp: number, v: number): number {
    return prio & (0xff << this.effBpr(v, grp)) & 0xff;
  }

  rpr(v: number): number {
    const a = (this.ap0[v * 4] | this.ap1[v * 4]) >>> 0;
    if (a === 0) return 0xff;
    return (31 - Math.clz32(a & -a)) << BPR_MIN;
  }

  /** The vCPU's IRQ (group 1) / FIQ (group 0, `crit`) line from its HPPI, PMR and RPR. */
  updateLine(v: number): void {
    const s = this.hppi(v);
    let irq = false;
    let fiq = false;
    if (s >= 0) {
      const p = this.prio[s];
      const g = this.group[s];
      if (p < this.pmr[v] && this.pre(p, g, v) < this.rpr(v)) {
        if (g !== 0) irq = true;
        else fiq = true;
      }
    }
    const cpu = this.vcpus[v];
    cpu.ext.set(irq);
    cpu.crit.set(fiq);
  }

  updateAllLines(): void {
    for (let v = 0; v < this.nv; v++) this.updateLine(v);
  }

  // ------------------------------------------------------------------ injection (§7.1)

  /** Line / edge input on a slot (level: any non-zero is 1). */
  inputSlot(s: number, level: number): void {
    if (this.edge[s] === 0) {
      const l = level !== 0 ? 1 : 0;
      if (this.line[s] === l) return;
      this.line[s] = l;
    } else {
      if (level === 0) return;
      this.latch[s] = 1;
    }
    this.injected++;
    this.sync(s);
  }

  setLatch(s: number, on: boolean): void {
    this.latch[s] = on ? 1 : 0;
    this.sync(s);
  }

  // ------------------------------------------------------------------ CPU interface (§7.4)

  /** Read of ICC_IAR<grp>_EL1 on vCPU v. */
  iar(v: number, grp: number): number {
    const s = this.hppi(v);
    if (s < 0 || this.group[s] !== grp) return this.spur();
    const p = this.prio[s];
    if (p >= this.pmr[v]) return this.spur();
    const pr = this.pre(p, grp, v);
    if (this.rpr(v) <= pr) return this.spur();
    this.active[s] = 1;
    this.activeOn[s] = v;
    if (this.edge[s] !== 0) this.latch[s] = 0;
    const bit = 1 << (pr >> BPR_MIN);
    if (grp !== 0) this.ap1[v * 4] |= bit;
    else this.ap0[v * 4] |= bit;
    this.acks++;
    this.sync(s);
    const intid = this.intidOf(s);
    if (this.vm.tracer.enabled) emit(this.vm.tracer, "gic.cpu.ack", { vcpu: v, intid, group: grp });
    return intid;
  }

  private spur(): number {
    this.spurious++;
    return SPURIOUS;
  }

  /** Write of ICC_EOIR<grp>_EL1 on vCPU v. */
  eoir(v: number, grp: number, intid: number): void {
    this.eois++;
    const i = v * 4;
    const a = (this.ap0[i] | this.ap1[i]) >>> 0;
    let act = 0xff;
    if (a !== 0) {
      const b = a & -a;
      if (this.ap0[i] & b) this.ap0[i] &= ~b;
      else this.ap1[i] &= ~b;
      act = (31 - Math.clz32(b)) << BPR_MIN;
    }
    intid &= 0xffffff;
    const s = this.slotOf(intid, v);
    if (s >= 0 && this.active[s] !== 0 && this.activeOn[s] === v) {
      if (!(this.eoimode[v] !== 0 && intid < LPI_BASE) && this.group[s] === grp && this.pre(this.prio[s], grp, v) === act) {
        // sync() inside updates this vCPU's line (the slot was on its list as active).
        this.deactivate(s);
        return;
      }
    }
    this.updateLine(v);
  }

  /** Write of ICC_DIR_EL1 on vCPU v. */
  dir(v: number, intid: number): void {
    intid &= 0xffffff;
    if (this.eoimode[v] === 0 || intid >= LPI_BASE) return;
    const s = this.slotOf(intid, v);
    if (s < 0 || this.active[s] === 0) return;
    this.deactivate(s);
    this.updateLine(v);
  }

  /** §7.5: clear active (level: and the latch), then the ack notifier of a level SPI. */
  deactivate(s: number): void {
    if (this.vm.tracer.enabled) emit(this.vm.tracer, "gic.cpu.deactivate", { vcpu: this.activeOn[s], intid: this.intidOf(s) });
    this.active[s] = 0;
    this.activeOn[s] = -1;
    const level = this.edge[s] === 0;
    if (level) {
      this.latch[s] = 0;
      // The notifier (a resampler lowering the line) runs before re-evaluation, so a line it
      // lowers never re-presents the interrupt; the final state is the kernel's either way.
      if (s >= this.spiBase && s < this.lpiBase && this.chip !== null) this.vm.ackNotifiers.notify(this.chip, s - this.spiBase);
    }
    this.sync(s);
  }

  /** §7.6: ICC_SGI1R_EL1 / SGI0R / ASGI1R written by vCPU v (`g1` = the SGI1R register). */
  sgi(v: number, value: bigint, g1: boolean): void {
    const lo = Number(value & 0xffffffffn);
    const hi = Number((value >> 32n) & 0xffffffffn);
    const intid = (lo >>> 24) & 0xf;
    const irm = (hi >>> 8) & 1;
    const make = (t: number): void => {
      const s = t * NR_PRIVATE + intid;
      if (this.group[s] === 0 || g1) {
        this.latch[s] = 1;
        this.sync(s);
      }
    };
    if (irm !== 0) {
      for (let t = 0; t < this.nv; t++) if (t !== v) make(t);
      return;
    }
    const list = lo & 0xffff;
    const aff1 = (lo >>> 16) & 0xff;
    const aff2 = hi & 0xff;
    const aff3 = (hi >>> 16) & 0xff;
    if (aff3 !== 0) return;
    for (let b = 0; b < 16; b++) {
      if ((list & (1 << b)) === 0) continue;
      const t = vcpuOfAffinity((aff2 << 16) | (aff1 << 8) | b, this.nv);
      if (t >= 0) make(t);
    }
  }

  // ------------------------------------------------------------------ SPI routing

  setSpiRoute(s: number, mpidr: number): void {
    const i = s - this.spiBase;
    this.spiMpidr[i] = mpidr & 0xffffff;
    this.target[s] = vcpuOfAffinity(mpidr & 0xffffff, this.nv);
    this.sync(s);
  }

  // ------------------------------------------------------------------ init (§3.2)

  /** Allocates SPIs with their reset values and resets every vCPU's private state. */
  init(): void {
    if (this.nrSpis === 0) this.nrSpis = 224;
    for (let i = 0; i < this.nrSpis; i++) {
      const s = this.spiBase + i;
      this.resetSlot(s);
      const q = this.quirks;
      this.edge[s] = q.resetSpisLevel ? 0 : 1;
      this.group[s] = q.resetGroup0 ? 0 : 1;
      this.spiMpidr[i] = this.spiRouteLo[i] = this.spiRouteHi[i] = 0;
      this.target[s] = this.nv > 0 ? 0 : -1;
    }
    for (let v = 0; v < this.nv; v++) {
      for (let i = 0; i < NR_PRIVATE; i++) {
        const s = v * NR_PRIVATE + i;
        this.resetSlot(s);
        this.group[s] = this.quirks.resetGroup0 ? 0 : 1;
        this.enabled[s] = i < 16 && !this.quirks.resetSgisDisabled ? 1 : 0;
        this.edge[s] = i < 16 ? 1 : 0;
        this.target[s] = v;
      }
      this.pmr[v] = this.bpr0[v] = this.bpr1[v] = this.cbpr[v] = this.eoimode[v] = 0;
      this.igrpen0[v] = this.igrpen1[v] = 0;
      this.ap0.fill(0, v * 4, v * 4 + 4);
      this.ap1.fill(0, v * 4, v * 4 + 4);
      this.pendbaser[v] = this.quirks.pendbaserResetZero ? 0n : 0x580n;
      this.waker[v] = this.quirks.waker ? 6 : 0;
    }
    if (this.revision === 0) this.revision = 3;
    this.initialized = true;
  }

  private resetSlot(s: number): void {
    this.unlink(s);
    this.enabled[s] = this.latch[s] = this.line[s] = this.active[s] = this.prio[s] = 0;
    this.activeOn[s] = -1;
  }

  /** Affinity of vCPU v (packed form). */
  affinity(v: number): number {
    return vcpuAffinity(v);
  }

  // ------------------------------------------------------------------ LPIs (§9)

  /** PROPBASER.IDbits limit: LPI INTIDs must be below this. */
  lpiIdLimit(): number {
    const bits = Math.min(Number(this.propbaser & 0x1fn) + 1, 16);
    return 2 ** bits;
  }

  propAddr(intid: number): number {
    return Number(this.propbaser & 0x000ffffffffff000n) + (intid - LPI_BASE);
  }

  pendAddr(v: number): number {
    return Number(this.pendbaser[v] & 0x000fffffffff0000n);
  }

  /** Re-reads the property byte of a mapped LPI (INV); false when memory cannot be read. */
  readProperty(s: number): boolean {
    const intid = this.intidOf(s);
    const a = this.propAddr(intid);
    const mem = this.vm.memory;
    if (!mem.isMapped(a, 1)) return false;
    const b = mem.readByte(a);
    this.enabled[s] = b & 1;
    this.prio[s] = b & 0xfc;
    this.sync(s);
    return true;
  }

  /**
   * vgic_add_lpi (§9.2): a new reference to LPI `intid` with target vCPU `t` (−1 none). A new
   * LPI reads its property byte and consumes its pending bit. Returns false (nothing created)
   * when the property byte cannot be read.
   */
  addLpiRef(intid: number, t: number): boolean {
    const i = intid - LPI_BASE;
    const s = this.lpiBase + i;
    if (this.lpiRefs[i] !== 0) {
      this.lpiRefs[i]++;
      return true;
    }
    const mem = this.vm.memory;
    const a = this.propAddr(intid);
    if (!mem.isMapped(a, 1)) return false;
    const b = mem.readByte(a);
    this.lpiRefs[i] = 1;
    this.lpiCount++;
    this.resetSlot(s);
    this.group[s] = 1;
    this.edge[s] = 1;
    this.enabled[s] = b & 1;
    this.prio[s] = b & 0xfc;
    this.target[s] = t;
    if (t >= 0) {
      const pa = this.pendAddr(t) + (intid >> 3);
      if (mem.isMapped(pa, 1)) {
        const byte = mem.readByte(pa);
        const bit = 1 << (intid & 7);
        if (byte & bit) {
          this.latch[s] = 1;
          mem.writeByte(pa, byte & ~bit);
        }
      }
    }
    this.sync(s);
    return true;
  }

  /** Drops one reference; the LPI (and its pending state) goes with the last. */
  dropLpiRef(intid: number): void {
    const i = intid - LPI_BASE;
    if (this.lpiRefs[i] === 0) return;
    if (--this.lpiRefs[i] !== 0) return;
    this.lpiCount--;
    const s = this.lpiBase + i;
    const v = this.activeOn[s] >= 0 ? this.activeOn[s] : this.onList[s];
    this.resetSlot(s);
    this.target[s] = -1;
    if (v >= 0) this.updateLine(v);
  }

  setLpiTarget(intid: number, t: number): void {
    const s = this.lpiBase + intid - LPI_BASE;
    this.target[s] = t;
    this.sync(s);
  }

  /** Every mapped LPI slot (setup-time scans: INVALL, MOVALL, save pending tables). */
  *lpiSlots(): Generator<number> {
    if (this.lpiCount === 0) return;
    for (let i = 0; i < NR_LPIS; i++) if (this.lpiRefs[i] !== 0) yield this.lpiBase + i;
  }

  /** GICR_CTLR EnableLPIs 0 → 1: read the pending table into mapped LPIs targeting v. */
  loadPendingTable(v: number): void {
    if ((this.pendbaser[v] >> 62n) & 1n) return;
    const mem = this.vm.memory;
    const base = this.pendAddr(v);
    for (const s of this.lpiSlots()) {
      if (this.target[s] !== v) continue;
      const intid = this.intidOf(s);
      const a = base + (intid >> 3);
      if (!mem.isMapped(a, 1)) continue;
      this.latch[s] = (mem.readByte(a) >> (intid & 7)) & 1;
      this.sync(s);
    }
  }
}
