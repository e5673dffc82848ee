/**
 * One IMSIC interrupt file (guest index 0) of a vCPU, as KVM's SW-file emulates it
 * (arch/riscv/kvm/aia_imsic.c; shared/spec/riscv-aia.md §6):
 *
 *   MSI (identity id) ──> eip bit id ──┐
 *                         eie bit id ──┤ topei = lowest id with eip & eie, id < limit
 *   eithreshold ───────────────────────┘            (priority = identity)
 *   eidelivery && topei != 0 ──> VSEIP (the vCPU's external-interrupt line)
 *   vstopei write (claim) ──> clears eip of the current topei
 *
 * Per-identity state lives in two Uint32Arrays of 64 words (2048 bits: the image has room
 * for IMSIC_MAX_ID identities whatever nr_ids is). Nothing here allocates per interrupt.
 */
import { Errno } from "@irqlab/core";
import {
  IMSIC_EIDELIVERY,
  IMSIC_EIE0,
  IMSIC_EIP0,
  IMSIC_EITHRESHOLD,
  IMSIC_EITHRESHOLD_MASK,
  IMSIC_MMIO_SETIPNUM_BE,
  IMSIC_MMIO_SETIPNUM_LE,
  TOPEI_ID_SHIFT,
} from "./constants.js";

/** What the file drives: the vCPU's VS-level external interrupt (VSEIP). */
export type LineSink = (asserted: boolean) => void;

export function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

export class ImsicFile {
  /** Pending bits, identity i at word i >> 5, bit i & 31. */
  readonly eip = new Uint32Array(64);
  /** Enable bits, same layout. */
  readonly eie = new Uint32Array(64);
  eidelivery = 0;
  eithreshold = 0;
  /** Number of 64-bit eip/eie registers (RV64): ceil(nr_msis / 64). */
  readonly nrEix: number;
  /** Current VSEIP level. */
  line = false;
  // counters
  injected = 0;
  coalesced = 0;
  claims = 0;

  constructor(
    /** nr_ids + 1: identities 1 .. nrMsis - 1 exist. */
    readonly nrMsis: number,
    private readonly sink: LineSink,
  ) {
    this.nrEix = Math.ceil(nrMsis / 64);
  }

  /** The lowest pending-and-enabled identity below the threshold limit, or 0 (§6.3). */
  topeiId(): number {
    const t = this.eithreshold;
    const limit = t > 0 && t <= this.nrMsis ? t : this.nrMsis;
    const words = (limit + 31) >>> 5;
    const eip = this.eip;
    const eie = this.eie;
    for (let w = 0; w < words; w++) {
      const m = eip[w] & eie[w];
      if (m === 0) continue;
      const id = (w << 5) + (31 - Math.clz32(m & -m));
      return id < limit && id !== 0 ? id : 0;
    }
    return 0;
  }

  /** vstopei as read: (id << 16) | id, or 0. eidelivery is not consulted. */
  topei(): number {
    const id = this.topeiId();
    return id === 0 ? 0 : ((id << TOPEI_ID_SHIFT) | id) >>> 0;
  }

  /** A write to vstopei (any value): clears the eip bit of the current topei. Returns it. */
  claim(): number {
    const v = this.topei();
    if (v !== 0) {
      const id = v & 0xffff;
      this.eip[id >>> 5] &= ~(1 << (id & 31));
      this.claims++;
    }
    this.update();
    return v;
  }

  /** Recomputes VSEIP: eidelivery != 0 and a topei exists (§6.4). */
  update(): void {
    const up = this.eidelivery !== 0 && this.topeiId() !== 0;
    if (up !== this.line) {
      this.line = up;
      this.sink(up);
    }
  }

  /**
   * An MSI for this file (after guest-index and offset checks): offset 4 is the big-endian
   * doorbell. 0 or -errno (ENODEV identity 0 / bad offset, EINVAL identity >= nr_msis).
   */
  inject(offset: number, data: number): number {
    if (data === 0) return -Errno.ENODEV;
    let id: number;
    if (offset === IMSIC_MMIO_SETIPNUM_LE) id = data >>> 0;
    else if (offset === IMSIC_MMIO_SETIPNUM_BE) id = bswap32(data);
    else return -Errno.ENODEV;
    if (id >= this.nrMsis) return -Errno.EINVAL;
    this.setPending(id);
    return 0;
  }

  /** Sets eip bit `id` (1 <= id < nrMsis, checked by the caller) and recomputes VSEIP. */
  setPending(id: number): void {
    const w = id >>> 5;
    const b = 1 << (id & 31);
    if (this.eip[w] & b) this.coalesced++;
    else this.eip[w] |= b;
    this.injected++;
    this.update();
  }

  /**
   * iselect validation of GRP_IMSIC and guest sireg (§3.5): 0 accepted, -ENOENT not an
   * IMSIC register, -EINVAL odd eip/eie (RV64) or beyond nr_eix.
   */
  checkIsel(isel: number): number {
    if (isel === IMSIC_EIDELIVERY || isel === IMSIC_EITHRESHOLD) return 0;
    if (isel >= IMSIC_EIP0 && isel < IMSIC_EIP0 + 128) {
      const k = (isel - IMSIC_EIP0) & 63;
      if (k & 1) return -Errno.EINVAL;
      if (k >>> 1 >= this.nrEix) return -Errno.EINVAL;
      return 0;
    }
    return -Errno.ENOENT;
  }

  /** The register `isel` (validated) as a 64-bit value. */
  read(isel: number): bigint {
    if (isel === IMSIC_EIDELIVERY) return BigInt(this.eidelivery);
    if (isel === IMSIC_EITHRESHOLD) return BigInt(this.eithreshold);
    const arr = isel >= IMSIC_EIE0 ? this.eie : this.eip;
    const w = ((isel - (isel >= IMSIC_EIE0 ? IMSIC_EIE0 : IMSIC_EIP0)) >>> 1) * 2;
    return (BigInt(arr[w + 1]) << 32n) | BigInt(arr[w]);
  }

  /** Stores `value` under KVM's write masks (validated isel), then recomputes VSEIP. */
  write(isel: number, value: bigint): void {
    if (isel === IMSIC_EIDELIVERY) this.eidelivery = Number(value & 1n);
    else if (isel === IMSIC_EITHRESHOLD) this.eithreshold = Number(value & BigInt(IMSIC_EITHRESHOLD_MASK));
    else {
      const arr = isel >= IMSIC_EIE0 ? this.eie : this.eip;
      const w = ((isel - (isel >= IMSIC_EIE0 ? IMSIC_EIE0 : IMSIC_EIP0)) >>> 1) * 2;
      let lo = Number(value & 0xffffffffn);
      if (w === 0) lo &= ~1; // identity 0 does not exist
      arr[w] = lo;
      arr[w + 1] = Number((value >> 32n) & 0xffffffffn);
    }
    this.update();
  }

  /** Identities pending / enabled, for dumpState. */
  list(arr: Uint32Array): number[] {
    const out: number[] = [];
    for (let id = 1; id < this.nrMsis; id++) if (arr[id >>> 5] & (1 << (id & 31))) out.push(id);
    return out;
  }
}
