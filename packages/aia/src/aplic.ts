/**
 * The APLIC as KVM emulates it (arch/riscv/kvm/aia_aplic.c; shared/spec/riscv-aia.md §5): one
 * supervisor-level leaf domain, permanently in MSI delivery mode, little-endian.
 *
 *   inject(i, level) ── sourcecfg[i].SM ──> PENDING        (edge / level rules, §5.2)
 *   register writes ──> PENDING / ENABLED / sourcecfg / target / domaincfg.IE
 *   domaincfg.IE && PENDING && ENABLED ──> clear PENDING, MSI(target[i]) ──> IMSIC
 *   (after every register write: rescan sources 1..N ascending, ignoring SM)
 *
 * Per-source state in typed arrays; a bitmap of pending-and-enabled sources keeps the
 * rescan after each write O(1) when nothing is ready.
 */
import { Errno } from "@irqlab/core";
import {
  APLIC_CLRIE_BASE,
  APLIC_CLRIENUM,
  APLIC_CLRIPNUM,
  APLIC_CLRIP_BASE,
  APLIC_DOMAINCFG,
  APLIC_DOMAINCFG_DM,
  APLIC_DOMAINCFG_IE,
  APLIC_DOMAINCFG_RDONLY,
  APLIC_GENMSI,
  APLIC_GENMSI_WRITE_MASK,
  APLIC_SETIE_BASE,
  APLIC_SETIENUM,
  APLIC_SETIPNUM,
  APLIC_SETIPNUM_BE,
  APLIC_SETIPNUM_LE,
  APLIC_SETIP_BASE,
  APLIC_SM_DETACHED,
  APLIC_SM_EDGE_FALL,
  APLIC_SM_EDGE_RISE,
  APLIC_SM_INACTIVE,
  APLIC_SM_LEVEL_HIGH,
  APLIC_SM_LEVEL_LOW,
  APLIC_SOURCECFG_BASE,
  APLIC_SOURCECFG_D,
  APLIC_SOURCECFG_SM_MASK,
  APLIC_TARGET_BASE,
  APLIC_TARGET_EIID_MASK,
  APLIC_TARGET_GUEST_IDX_MASK,
  APLIC_TARGET_GUEST_IDX_SHIFT,
  APLIC_TARGET_HART_IDX_MASK,
  APLIC_TARGET_HART_IDX_SHIFT,
  APLIC_TARGET_WRITE_MASK,
} from "./constants.js";
import { bswap32 } from "./imsic.js";

/** State bits per source. */
export const APLIC_PENDING = 1;
export const APLIC_ENABLED = 2;
export const APLIC_INPUT = 4;

/** Where the APLIC's MSIs go: (hart index, guest index, EIID); the result is ignored. */
export type AplicMsiSink = (hart: number, guest: number, eiid: number) => void;

/** A register offset the kernel does not emulate (ENODEV as an attribute, an exit as MMIO). */
export const APLIC_NO_REG = -1;

const BIT_SETIP = 0;
const BIT_CLRIP = 1;
const BIT_SETIE = 2;
const BIT_CLRIE = 3;

const SM_NAMES = ["inactive", "detached", "reserved2", "reserved3", "edge-rise", "edge-fall", "level-high", "level-low"];

export class Aplic {
  /** nr_irqs = N + 1 (entry 0 unused). */
  readonly nrIrqs: number;
  /** 32-bit words of the bitmap registers: ceil(nr_irqs / 32). */
  readonly nrWords: number;
  readonly sourcecfg: Uint32Array;
  readonly target: Uint32Array;
  readonly state: Uint8Array;
  /** Pending-and-enabled sources (what the rescan would deliver). */
  private readonly ready: Uint32Array;
  private nReady = 0;
  ie = false;
  genmsi = 0;
  // counters
  msis = 0;
  injections = 0;

  constructor(
    /** nr_sources (N). */
    readonly nrSources: number,
    private readonly sendMsi: AplicMsiSink,
  ) {
    this.nrIrqs = nrSources + 1;
    this.nrWords = Math.ceil(this.nrIrqs / 32);
    this.sourcecfg = new Uint32Array(this.nrIrqs);
    this.target = new Uint32Array(this.nrIrqs);
    this.state = new Uint8Array(this.nrIrqs);
    this.ready = new Uint32Array(this.nrWords);
  }

  // ---------------------------------------------------------------- state bits

  private setBits(i: number, bits: number): void {
    const before = this.state[i];
    const after = before | bits;
    if (after === before) return;
    this.state[i] = after;
    this.track(i, before, after);
  }

  private clearBits(i: number, bits: number): void {
    const before = this.state[i];
    const after = before & ~bits;
    if (after === before) return;
    this.state[i] = after;
    this.track(i, before, after);
  }

  private track(i: number, before: number, after: number): void {
    const PE = APLIC_PENDING | APLIC_ENABLED;
    const was = (before & PE) === PE;
    const is = (after & PE) === PE;
    if (was === is) return;
    if (is) {
      this.ready[i >>> 5] |= 1 << (i & 31);
      this.nReady++;
    } else {
      this.ready[i >>> 5] &= ~(1 << (i & 31));
      this.nReady--;
    }
  }

  /** Source mode of i. */
  sm(i: number): number {
    return this.sourcecfg[i] & APLIC_SOURCECFG_SM_MASK;
  }

  /** The rectified input in_clrip shows (§5.2; detached/reserved show the raw line). */
  rectified(i: number): number {
    const input = (this.state[i] & APLIC_INPUT) !== 0 ? 1 : 0;
    switch (this.sm(i)) {
      case APLIC_SM_INACTIVE:
        return 0;
      case APLIC_SM_EDGE_FALL:
      case APLIC_SM_LEVEL_LOW:
        return input ^ 1;
      default:
        return input;
    }
  }

  /** Set-pending rule (setip, setipnum, setipnum_le/be), §5.3. */
  setPendingRule(i: number): void {
    if (!(i >= 1 && i <= this.nrSources)) return;
    const sm = this.sm(i);
    if (sm === APLIC_SM_INACTIVE) return;
    const input = (this.state[i] & APLIC_INPUT) !== 0;
    if (sm === APLIC_SM_LEVEL_HIGH && !input) return;
    if (sm === APLIC_SM_LEVEL_LOW && input) return;
    this.setBits(i, APLIC_PENDING);
  }

  /** Clear-pending rule (in_clrip, clripnum). */
  clearPendingRule(i: number): void {
    if (!(i >= 1 && i <= this.nrSources)) return;
    if (this.sm(i) === APLIC_SM_INACTIVE) return;
    this.clearBits(i, APLIC_PENDING);
  }

  /** Enable rules: any source 1..N, whatever its mode (quirk). */
  setEnabled(i: number, on: boolean): void {
    if (!(i >= 1 && i <= this.nrSources)) return;
    if (on) this.setBits(i, APLIC_ENABLED);
    else this.clearBits(i, APLIC_ENABLED);
  }

  // ---------------------------------------------------------------- line input

  /**
   * A line change from KVM_IRQ_LINE, an irqchip route or an irqfd (any non-zero level is
   * high). 0, or -ENODEV for source 0 / > N. Never throws, never allocates.
   */
  inject(i: number, level: number): number {
    if (!(i >= 1 && i <= this.nrSources)) return -Errno.ENODEV;
    const high = level !== 0;
    const s = this.state[i];
    const input = (s & APLIC_INPUT) !== 0;
    let pend = false;
    switch (this.sourcecfg[i] & APLIC_SOURCECFG_SM_MASK) {
      case APLIC_SM_EDGE_RISE:
        pend = high && !input;
        break;
      case APLIC_SM_EDGE_FALL:
        pend = !high && input;
        break;
      case APLIC_SM_LEVEL_HIGH:
        pend = high;
        break;
      case APLIC_SM_LEVEL_LOW:
        pend = !high;
        break;
      default:
        break;
    }
    if (pend) this.setBits(i, APLIC_PENDING);
    if (high) this.state[i] |= APLIC_INPUT;
    else this.state[i] &= ~APLIC_INPUT;
    this.injections++;
    const st = this.state[i];
    if (this.ie && st & APLIC_PENDING && st & APLIC_ENABLED) {
      this.clearBits(i, APLIC_PENDING);
      this.deliver(this.target[i]);
    }
    return 0;
  }

  /** MSI with a target word: hart 31:18, guest 17:12, EIID 10:0. */
  private deliver(target: number): void {
    this.msis++;
    this.sendMsi(
      (target >>> APLIC_TARGET_HART_IDX_SHIFT) & APLIC_TARGET_HART_IDX_MASK,
      (target >>> APLIC_TARGET_GUEST_IDX_SHIFT) & APLIC_TARGET_GUEST_IDX_MASK,
      target & APLIC_TARGET_EIID_MASK,
    );
  }

  /** §5.4: with IE, every pending-and-enabled source 1..N ascending is delivered (SM ignored). */
  rescan(): void {
    if (!this.ie || this.nReady === 0) return;
    const ready = this.ready;
    for (let w = 0; w < this.nrWords && this.nReady > 0; w++) {
      while (ready[w] !== 0) {
        const m = ready[w];
        const i = (w << 5) + (31 - Math.clz32(m & -m));
        this.clearBits(i, APLIC_PENDING);
        this.deliver(this.target[i]);
      }
    }
  }

  // ---------------------------------------------------------------- registers

  /** Whether `off` (4-byte aligned) is an emulated register. */
  isRegister(off: number): boolean {
    return this.read(off) !== APLIC_NO_REG;
  }

  /** The guest-visible read of the register at `off` (aligned), or APLIC_NO_REG. */
  read(off: number): number {
    const N = this.nrSources;
    const W = this.nrWords;
    if (off === APLIC_DOMAINCFG) {
      return (APLIC_DOMAINCFG_RDONLY | (this.ie ? APLIC_DOMAINCFG_IE : 0) | APLIC_DOMAINCFG_DM) >>> 0;
    }
    if (off >= APLIC_SOURCECFG_BASE && off < APLIC_SOURCECFG_BASE + 4 * N) {
      return this.sourcecfg[1 + ((off - APLIC_SOURCECFG_BASE) >>> 2)];
    }
    if (off >= APLIC_SETIP_BASE && off < APLIC_SETIP_BASE + 4 * W) return this.bitmap((off - APLIC_SETIP_BASE) >>> 2, 0);
    if (off === APLIC_SETIPNUM) return 0;
    if (off >= APLIC_CLRIP_BASE && off < APLIC_CLRIP_BASE + 4 * W) return this.bitmap((off - APLIC_CLRIP_BASE) >>> 2, 1);
    if (off === APLIC_CLRIPNUM) return 0;
    if (off >= APLIC_SETIE_BASE && off < APLIC_SETIE_BASE + 4 * W) return this.bitmap((off - APLIC_SETIE_BASE) >>> 2, 2);
    if (off === APLIC_SETIENUM) return 0;
    if (off >= APLIC_CLRIE_BASE && off < APLIC_CLRIE_BASE + 4 * W) return 0;
    if (off === APLIC_CLRIENUM || off === APLIC_SETIPNUM_LE || off === APLIC_SETIPNUM_BE) return 0;
    if (off === APLIC_GENMSI) return this.genmsi;
    if (off >= APLIC_TARGET_BASE && off < APLIC_TARGET_BASE + 4 * N) {
      return this.target[1 + ((off - APLIC_TARGET_BASE) >>> 2)];
    }
    return APLIC_NO_REG;
  }

  /** Word k of a bitmap: 0 pending, 1 rectified input, 2 enabled. */
  private bitmap(k: number, which: number): number {
    let v = 0;
    const first = k * 32;
    for (let b = 0; b < 32; b++) {
      const i = first + b;
      if (i === 0 || i > this.nrSources) continue;
      const on =
        which === 0 ? this.state[i] & APLIC_PENDING : which === 1 ? this.rectified(i) : this.state[i] & APLIC_ENABLED;
      if (on) v |= 1 << b;
    }
    return v >>> 0;
  }

  /**
   * The guest write of `value` to the register at `off` (aligned), then the rescan.
   * Returns false (nothing changed) when `off` is not an emulated register.
   */
  write(off: number, value: number): boolean {
    const N = this.nrSources;
    const W = this.nrWords;
    const v = value >>> 0;
    if (off === APLIC_DOMAINCFG) this.ie = (v & APLIC_DOMAINCFG_IE) !== 0;
    else if (off >= APLIC_SOURCECFG_BASE && off < APLIC_SOURCECFG_BASE + 4 * N) {
      const i = 1 + ((off - APLIC_SOURCECFG_BASE) >>> 2);
      // A leaf domain cannot delegate: D = 1 stores 0 (inactive).
      this.sourcecfg[i] = v & APLIC_SOURCECFG_D ? 0 : v & APLIC_SOURCECFG_SM_MASK;
    } else if (off >= APLIC_SETIP_BASE && off < APLIC_SETIP_BASE + 4 * W) {
      this.eachBit((off - APLIC_SETIP_BASE) >>> 2, v, BIT_SETIP);
    } else if (off === APLIC_SETIPNUM || off === APLIC_SETIPNUM_LE) this.setPendingRule(v);
    else if (off === APLIC_SETIPNUM_BE) this.setPendingRule(bswap32(v));
    else if (off >= APLIC_CLRIP_BASE && off < APLIC_CLRIP_BASE + 4 * W) {
      this.eachBit((off - APLIC_CLRIP_BASE) >>> 2, v, BIT_CLRIP);
    } else if (off === APLIC_CLRIPNUM) this.clearPendingRule(v);
    else if (off >= APLIC_SETIE_BASE && off < APLIC_SETIE_BASE + 4 * W) {
      this.eachBit((off - APLIC_SETIE_BASE) >>> 2, v, BIT_SETIE);
    } else if (off === APLIC_SETIENUM) this.setEnabled(v, true);
    else if (off >= APLIC_CLRIE_BASE && off < APLIC_CLRIE_BASE + 4 * W) {
      this.eachBit((off - APLIC_CLRIE_BASE) >>> 2, v, BIT_CLRIE);
    } else if (off === APLIC_CLRIENUM) this.setEnabled(v, false);
    else if (off === APLIC_GENMSI) {
      this.genmsi = (v & APLIC_GENMSI_WRITE_MASK) >>> 0;
      // Extempore MSI, synchronous, independent of IE; guest index forced to 0.
      this.msis++;
      this.sendMsi((this.genmsi >>> APLIC_TARGET_HART_IDX_SHIFT) & APLIC_TARGET_HART_IDX_MASK, 0, this.genmsi & APLIC_TARGET_EIID_MASK);
    } else if (off >= APLIC_TARGET_BASE && off < APLIC_TARGET_BASE + 4 * N) {
      this.target[1 + ((off - APLIC_TARGET_BASE) >>> 2)] = (v & APLIC_TARGET_WRITE_MASK) >>> 0;
    } else return false;
    this.rescan();
    return true;
  }

  /** Applies one bitmap-register rule to every 1-bit of word k (no closure per write). */
  private eachBit(k: number, v: number, op: number): void {
    let m = v >>> 0;
    while (m !== 0) {
      const b = 31 - Math.clz32(m & -m);
      m = (m & ~(1 << b)) >>> 0;
      const i = k * 32 + b;
      if (op === BIT_SETIP) this.setPendingRule(i);
      else if (op === BIT_CLRIP) this.clearPendingRule(i);
      else this.setEnabled(i, op === BIT_SETIE);
    }
  }

  /** Words for dumpState. */
  describe(): string[] {
    const lines = [`APLIC domaincfg 0x${this.read(APLIC_DOMAINCFG).toString(16)} (IE ${this.ie ? 1 : 0}), ${this.nrSources} sources, genmsi 0x${this.genmsi.toString(16)}`];
    for (let i = 1; i <= this.nrSources; i++) {
      const s = this.state[i];
      if (this.sourcecfg[i] === 0 && s === 0 && this.target[i] === 0) continue;
      const t = this.target[i];
      lines.push(
        `  source ${i}: ${SM_NAMES[this.sm(i)] ?? "?"}${s & APLIC_PENDING ? " pending" : ""}${s & APLIC_ENABLED ? " enabled" : ""}` +
          ` input ${s & APLIC_INPUT ? 1 : 0} -> hart ${t >>> 18} guest ${(t >>> 12) & 0x3f} eiid ${t & 0x7ff}`,
      );
    }
    return lines;
  }
}

export { APLIC_SM_DETACHED, APLIC_SM_EDGE_FALL, APLIC_SM_EDGE_RISE, APLIC_SM_LEVEL_HIGH, APLIC_SM_LEVEL_LOW };
