/**
 * Distributor (GICD, §5) and redistributor (GICR, §6) register maps as 32-bit words (64-bit
 * registers are two words; IPRIORITYR also takes bytes). One decoder serves guest MMIO and the
 * DIST_REGS / REDIST_REGS attribute groups (`user` selects the userspace-specific behaviour of
 * §4.4). Undecoded offsets read 0 and ignore writes; `*Decodes` answers HAS.
 */
import { Errno } from "@irqlab/core";
import { IMPLEMENTER_ARM, LPI_BASE, NR_PRIVATE, PRODUCT_ID_KVM } from "./constants.js";
import type { VgicState } from "./vgic.js";

export interface RegHost {
  readonly st: VgicState;
  /** The ITS translation caches are invalidated (EnableLPIs 1 → 0). */
  invalidateItsCaches(): void;
  /** GICR_TYPER of vCPU v. */
  redistTyper(v: number): bigint;
}

/** Bit-per-interrupt register kinds. */
const enum Bits {
  IGROUPR,
  ISENABLER,
  ICENABLER,
  ISPENDR,
  ICPENDR,
  ISACTIVER,
  ICACTIVER,
}

function bitsKind(off: number): Bits | -1 {
  if (off < 0x80 || off >= 0x400) return -1;
  const k = (off - 0x80) >> 7;
  return k <= 6 ? (k as Bits) : -1;
}

function readBits(st: VgicState, kind: Bits, first: number, v: number, user: boolean): number {
  let w = 0;
  for (let i = 0; i < 32; i++) {
    const s = st.slotOf(first + i, v);
    if (s < 0) continue;
    let b = 0;
    switch (kind) {
      case Bits.IGROUPR:
        b = st.group[s];
        break;
      case Bits.ISENABLER:
      case Bits.ICENABLER:
        b = st.enabled[s];
        break;
      case Bits.ISPENDR:
        b = user ? st.latch[s] : st.isPending(s) ? 1 : 0;
        break;
      case Bits.ICPENDR:
        b = user ? 0 : st.isPending(s) ? 1 : 0;
        break;
      default:
        b = st.active[s];
    }
    if (b) w |= 1 << i;
  }
  return w >>> 0;
}

function writeBits(st: VgicState, kind: Bits, first: number, v: number, val: number, user: boolean): void {
  for (let i = 0; i < 32; i++) {
    const s = st.slotOf(first + i, v);
    if (s < 0) continue;
    const one = ((val >>> i) & 1) !== 0;
    switch (kind) {
      case Bits.IGROUPR:
        if (st.revision === 1) break;
        st.group[s] = one ? 1 : 0;
        st.sync(s);
        break;
      case Bits.ISENABLER:
        if (one) {
          st.enabled[s] = 1;
          st.sync(s);
        }
        break;
      case Bits.ICENABLER:
        if (one) {
          st.enabled[s] = 0;
          st.sync(s);
        }
        break;
      case Bits.ISPENDR:
        if (user) st.setLatch(s, one);
        else if (one) st.setLatch(s, true);
        break;
      case Bits.ICPENDR:
        if (!user && one) st.setLatch(s, false);
        break;
      case Bits.ISACTIVER:
        if (one && st.active[s] === 0) {
          st.active[s] = 1;
          st.activeOn[s] = st.target[s];
          st.sync(s);
        }
        break;
      case Bits.ICACTIVER:
        if (one && st.active[s] !== 0) {
          st.active[s] = 0;
          st.activeOn[s] = -1;
          st.sync(s);
        }
        break;
    }
  }
}

// ------------------------------------------------------------------------ distributor

/** Whether a 4-byte access at `off` decodes to a distributor register (HAS). */
export function distDecodes(st: VgicState, off: number): boolean {
  if (off % 4 !== 0 || off < 0 || off >= 0x10000) return false;
  if (off <= 0x10) return true;
  const nr = st.initialized || st.nrSpis !== 0 ? st.nrIrqs : NR_PRIVATE;
  if (bitsKind(off) !== -1) return ((off & 0x7f) >> 2) * 32 < nr;
  if (off >= 0x400 && off < 0x800) return off - 0x400 < nr;
  if (off >= 0x800 && off < 0xc00) return off - 0x800 < nr;
  if (off >= 0xc00 && off < 0xd00) return ((off - 0xc00) >> 2) * 16 < nr;
  if (off >= 0xd00 && off < 0xd80) return ((off - 0xd00) >> 2) * 32 < nr;
  if (off >= 0x6100 && off < 0x8000) return (off - 0x6000) >> 3 < nr;
  if (off >= 0x6000 && off < 0x6100) return true;
  return off >= 0xffd0 && off <= 0xfffc;
}

export function distTyper(st: VgicState): number {
  const lines = ((st.nrIrqs >> 5) - 1) & 0x1f;
  return (lines | ((st.hasIts ? 15 : 9) << 19) | (st.hasIts ? 1 << 17 : 0) | (st.quirks.typerA3vNo1n ? 0x03000000 : 0)) >>> 0;
}

function iidr(st: VgicState): number {
  if (st.quirks.iidrArm) return IMPLEMENTER_ARM;
  return ((PRODUCT_ID_KVM << 24) | ((st.revision & 0xf) << 12) | IMPLEMENTER_ARM) >>> 0;
}

/** A distributor read; `size` 1 only for IPRIORITYR bytes (other byte reads are 0). */
export function distRead(st: VgicState, off: number, size: number, user: boolean): number {
  if (size === 1) {
    if (off >= 0x400 + NR_PRIVATE && off < 0x400 + st.nrIrqs) {
      const s = st.slotOf(off - 0x400, 0);
      return s < 0 ? 0 : st.prio[s];
    }
    return 0;
  }
  if (off % 4 !== 0) return 0;
  switch (off) {
    case 0x0:
      return (st.distEnabled ? 0x2 : 0) | (st.distEnabledG0 ? 0x1 : 0) | 0x10 | 0x40;
    case 0x4:
      return distTyper(st);
    case 0x8:
      return iidr(st);
    case 0xc:
      return 0;
    case 0x10:
      return st.quirks.statusrZero ? 0 : 0xffffffff;
    case 0xffe8:
      return 0x3b;
  }
  const k = bitsKind(off);
  if (k !== -1) {
    const first = ((off & 0x7f) >> 2) * 32;
    return first < NR_PRIVATE ? 0 : readBits(st, k, first, 0, user);
  }
  if (off >= 0x400 && off < 0x800) {
    let w = 0;
    for (let i = 0; i < 4; i++) {
      const intid = off - 0x400 + i;
      if (intid < NR_PRIVATE) continue;
      const s = st.slotOf(intid, 0);
      if (s >= 0 && intid < LPI_BASE) w |= st.prio[s] << (8 * i);
    }
    return w >>> 0;
  }
  if (off >= 0xc00 && off < 0xd00) {
    const first = ((off - 0xc00) >> 2) * 16;
    if (first < NR_PRIVATE) return 0;
    let w = 0;
    for (let i = 0; i < 16; i++) {
      const s = st.slotOf(first + i, 0);
      if (s >= 0 && first + i < LPI_BASE && st.edge[s]) w |= 2 << (2 * i);
    }
    return w >>> 0;
  }
  if (off >= 0x6100 && off < 0x8000) {
    const intid = (off - 0x6000) >> 3;
    const s = st.slotOf(intid, 0);
    if (s < 0 || intid >= LPI_BASE) return 0;
    if (st.quirks.fullIrouter) return (off & 4) !== 0 ? st.spiRouteHi[s - st.spiBase] : st.spiRouteLo[s - st.spiBase];
    if ((off & 4) !== 0) return 0;
    return st.spiMpidr[s - st.spiBase];
  }
  return 0;
}

/** A distributor write; returns 0 or (userspace writes only) the errno of a refused value. */
export function distWrite(st: VgicState, off: number, size: number, val: number, user: boolean): number {
  val >>>= 0;
  if (size === 1) {
    if (off >= 0x400 + NR_PRIVATE && off < 0x400 + st.nrIrqs) {
      const s = st.slotOf(off - 0x400, 0);
      if (s >= 0) {
        st.prio[s] = val & st.prioMask;
        st.sync(s);
      }
    }
    return 0;
  }
  if (off % 4 !== 0) return 0;
  switch (off) {
    case 0x0: {
      st.distEnabledG0 = st.quirks.enableGrp0 && (val & 1) !== 0;
      const was = st.distEnabled;
      st.distEnabled = (val & 2) !== 0;
      if (was !== st.distEnabled) st.updateAllLines();
      return 0;
    }
    case 0x8:
      if (!user) return 0;
      if ((val & ~0xf000) >>> 0 !== (iidr(st) & ~0xf000) >>> 0) return Errno.EINVAL;
      {
        const rev = (val >>> 12) & 0xf;
        if (rev !== 2 && rev !== 3) return Errno.EINVAL;
        st.revision = rev;
      }
      return 0;
    case 0xc:
      return user && val !== 0 ? Errno.EINVAL : 0;
  }
  const k = bitsKind(off);
  if (k !== -1) {
    const first = ((off & 0x7f) >> 2) * 32;
    if (first >= NR_PRIVATE) writeBits(st, k, first, 0, val, user);
    return 0;
  }
  if (off >= 0x400 && off < 0x800) {
    for (let i = 0; i < 4; i++) {
      const intid = off - 0x400 + i;
      if (intid < NR_PRIVATE) continue;
      const s = st.slotOf(intid, 0);
      if (s < 0 || intid >= LPI_BASE) continue;
      st.prio[s] = (val >>> (8 * i)) & st.prioMask;
      st.sync(s);
    }
    return 0;
  }
  if (off >= 0xc00 && off < 0xd00) {
    const first = ((off - 0xc00) >> 2) * 16;
    if (first < NR_PRIVATE) return 0;
    for (let i = 0; i < 16; i++) {
      const s = st.slotOf(first + i, 0);
      if (s < 0 || first + i >= LPI_BASE) continue;
      st.edge[s] = (val >>> (2 * i + 1)) & 1;
      st.sync(s);
    }
    return 0;
  }
  if (off >= 0x6100 && off < 0x8000) {
    const intid = (off - 0x6000) >> 3;
    const s = st.slotOf(intid, 0);
    if (s < 0 || intid >= LPI_BASE) return 0;
    if (st.quirks.fullIrouter) {
      if ((off & 4) !== 0) st.spiRouteHi[s - st.spiBase] = val;
      else st.spiRouteLo[s - st.spiBase] = val;
    }
    if ((off & 4) === 0) st.setSpiRoute(s, val & 0xffffff);
    return 0;
  }
  return 0;
}

// ------------------------------------------------------------------------ redistributor

const SGI = 0x10000;

export function redistDecodes(off: number): boolean {
  if (off % 4 !== 0 || off < 0 || off >= 0x20000) return false;
  switch (off) {
    case 0x0:
    case 0x4:
    case 0x8:
    case 0xc:
    case 0x10:
    case 0x14:
    case 0x70:
    case 0x74:
    case 0x78:
    case 0x7c:
    case 0xa0:
    case 0xa4:
    case 0xb0:
    case 0xb4:
    case 0xc0:
    case SGI + 0x80:
    case SGI + 0x100:
    case SGI + 0x180:
    case SGI + 0x200:
    case SGI + 0x280:
    case SGI + 0x300:
    case SGI + 0x380:
    case SGI + 0xc00:
    case SGI + 0xc04:
    case SGI + 0xd00:
    case SGI + 0xe00:
      return true;
  }
  if (off >= SGI + 0x400 && off < SGI + 0x420) return true;
  return off >= 0xffd0 && off <= 0xfffc;
}

function sanitiseShareCache(v: bigint, innerShift: bigint, outerShift: bigint): bigint {
  const sh = (v >> 10n) & 3n;
  if (sh === 2n) v = (v & ~(3n << 10n)) | (1n << 10n);
  const ic = (v >> innerShift) & 7n;
  if (ic === 0n || ic === 1n) v = (v & ~(7n << innerShift)) | (3n << innerShift);
  const oc = (v >> outerShift) & 7n;
  if (oc !== 0n && oc !== 1n) v &= ~(7n << outerShift);
  return v;
}

function sanitisePropbaser(v: bigint): bigint {
  v = sanitiseShareCache(v, 7n, 56n);
  return v & ~((0x1fn << 59n) | (0xfn << 52n) | (3n << 5n));
}

function sanitisePendbaser(v: bigint): bigint {
  v = sanitiseShareCache(v, 7n, 56n);
  return v & ~((1n << 63n) | (7n << 59n) | (0xfn << 52n) | (0xfn << 12n) | 0x7fn);
}

function half(v: bigint, hi: boolean): number {
  return Number(hi ? (v >> 32n) & 0xffffffffn : v & 0xffffffffn);
}

function merge(old: bigint, hi: boolean, val: number): bigint {
  const w = BigInt(val >>> 0);
  return hi ? (old & 0xffffffffn) | (w << 32n) : (old & 0xffffffff00000000n) | w;
}

export function redistRead(h: RegHost, v: number, off: number, size: number, user: boolean): number {
  const st = h.st;
  if (size === 1) {
    if (off >= SGI + 0x400 && off < SGI + 0x420) return st.prio[v * NR_PRIVATE + off - SGI - 0x400];
    return 0;
  }
  if (off % 4 !== 0) return 0;
  switch (off) {
    case 0x0:
      return st.enableLpis[v] | (st.quirks.gicrCtlrCesOnly ? 0x2 : st.revision >= 3 ? 0x6 : 0);
    case 0x4:
      return st.quirks.iidrArm ? IMPLEMENTER_ARM : ((PRODUCT_ID_KVM << 24) | IMPLEMENTER_ARM) >>> 0;
    case 0x14:
      return st.waker[v];
    case 0x8:
    case 0xc:
      return half(h.redistTyper(v), off === 0xc);
    case 0x70:
    case 0x74:
      return half(st.propbaser, off === 0x74);
    case 0x78:
    case 0x7c:
      return half(st.quirks.noBaserSanitise ? st.pendbaser[v] : st.pendbaser[v] & ~(1n << 62n), off === 0x7c);
    case 0xffe8:
      return 0x3b;
    case SGI + 0xc00:
      return 0xaaaaaaaa;
    case SGI + 0xc04: {
      if (!st.quirks.ppiConfigWritable) return 0;
      let w = 0;
      for (let i = 0; i < 16; i++) if (st.edge[v * NR_PRIVATE + 16 + i]) w |= 2 << (2 * i);
      return w >>> 0;
    }
  }
  if (off >= SGI + 0x80 && off < SGI + 0x400 && (off & 0x7f) === 0) {
    return readBits(st, bitsKind(off - SGI) as Bits, 0, v, user);
  }
  if (off >= SGI + 0x400 && off < SGI + 0x420) {
    let w = 0;
    for (let i = 0; i < 4; i++) w |= st.prio[v * NR_PRIVATE + off - SGI - 0x400 + i] << (8 * i);
    return w >>> 0;
  }
  return 0;
}

export function redistWrite(h: RegHost, v: number, off: number, size: number, val: number, user: boolean): number {
  const st = h.st;
  val >>>= 0;
  if (size === 1) {
    if (off >= SGI + 0x400 && off < SGI + 0x420) {
      const s = v * NR_PRIVATE + off - SGI - 0x400;
      st.prio[s] = val & st.prioMask;
      st.sync(s);
    }
    return 0;
  }
  if (off % 4 !== 0) return 0;
  switch (off) {
    case 0x14:
      if (st.quirks.waker) st.waker[v] = val & 2 ? 6 : 0;
      return 0;
    case SGI + 0xc04:
      if (st.quirks.ppiConfigWritable) {
        for (let i = 0; i < 16; i++) {
          const s = v * NR_PRIVATE + 16 + i;
          st.edge[s] = (val >>> (2 * i + 1)) & 1;
          st.sync(s);
        }
      }
      return 0;
    case 0x0: {
      if (!st.hasIts) return 0;
      const want = val & 1;
      const cur = st.enableLpis[v];
      if (want === cur) return 0;
      if (cur === 1) {
        st.enableLpis[v] = 0;
        h.invalidateItsCaches();
        st.updateLine(v);
      } else {
        st.enableLpis[v] = 1;
        st.loadPendingTable(v);
        st.updateLine(v);
      }
      return 0;
    }
    case 0x70:
    case 0x74:
      if (st.enableLpis[v]) return 0;
      st.propbaser = merge(st.propbaser, off === 0x74, val);
      if (!st.quirks.noBaserSanitise) st.propbaser = sanitisePropbaser(st.propbaser);
      return 0;
    case 0x78:
    case 0x7c:
      if (st.enableLpis[v]) return 0;
      st.pendbaser[v] = merge(st.pendbaser[v], off === 0x7c, val);
      if (!st.quirks.noBaserSanitise) st.pendbaser[v] = sanitisePendbaser(st.pendbaser[v]);
      return 0;
    case 0xa0:
    case 0xb0: {
      if (st.enableLpis[v] === 0 || val < LPI_BASE) return 0;
      if (off === 0xa0) {
        const s = st.slotOf(val, v);
        if (s >= 0 && s >= st.lpiBase) st.readProperty(s);
      } else {
        for (const s of st.lpiSlots()) if (st.target[s] === v) st.readProperty(s);
      }
      return 0;
    }
  }
  if (off >= SGI + 0x80 && off < SGI + 0x400 && (off & 0x7f) === 0) {
    writeBits(st, bitsKind(off - SGI) as Bits, 0, v, val, user);
    return 0;
  }
  if (off >= SGI + 0x400 && off < SGI + 0x420) {
    for (let i = 0; i < 4; i++) {
      const s = v * NR_PRIVATE + off - SGI - 0x400 + i;
      st.prio[s] = (val >>> (8 * i)) & st.prioMask;
      st.sync(s);
    }
    return 0;
  }
  return 0;
}
