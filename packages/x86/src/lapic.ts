/**
 * One vCPU's local APIC as far as interrupt delivery needs it (arch/x86/kvm/lapic.c; spec §6).
 * The register page is the 0x400-byte `struct kvm_lapic_state` held as 256 little-endian u32
 * words (register at offset o is word o >> 2); IRR/ISR/TMR are bit arrays inside it.
 */
import type { Vcpu } from "@irqlab/core";
import {
  APIC_DFR,
  APIC_DFR_FLAT,
  APIC_DM_EXTINT,
  APIC_DM_FIXED,
  APIC_DM_INIT,
  APIC_DM_LOWEST,
  APIC_DM_NMI,
  APIC_DM_REMRD,
  APIC_DM_SMI,
  APIC_DM_STARTUP,
  APIC_EOI,
  APIC_ESR,
  APIC_ICR,
  APIC_ICR2,
  APIC_ID,
  APIC_IRR,
  APIC_ISR,
  APIC_LDR,
  APIC_LVR,
  APIC_LVT0,
  APIC_LVT_MASKED,
  APIC_LVTCMCI,
  APIC_PROCPRI,
  APIC_SPIV,
  APIC_SPIV_APIC_ENABLED,
  APIC_SPIV_DIRECTED_EOI,
  APIC_TASKPRI,
  APIC_TDCR,
  APIC_TMCCT,
  APIC_TMICT,
  APIC_TMR,
  APIC_LVR_DIRECTED_EOI,
  LAPIC_DEFAULT_BASE,
  LAPIC_VERSION,
  LVT_OFFSETS,
  LVT_WRITE_MASK,
  MSR_APIC_BASE_BSP,
  MSR_APIC_BASE_ENABLE,
} from "./constants.js";

/** What a LAPIC needs from the VM's fabric. */
export interface LapicHost {
  /** PIC master output (full mode), for vCPUs accepting ExtINT. */
  readonly picOutput: boolean;
  /** INTA of the PIC (kvm_pic_read_irq). */
  picReadIrq(): number;
  /** Whether this vector's EOI goes to the IOAPIC / userspace; runs it. */
  eoiForward(lapic: Lapic, vector: number, level: boolean): void;
  /** ID / LDR / DFR / enable changes: the optimized map is rebuilt. */
  mapDirty(): void;
  /** ICR write: an IPI from this LAPIC. */
  sendIpi(from: Lapic, icrLo: number, icrHi: number): void;
  /** Whether LVR advertises directed EOI (split mode, suppress-broadcast not disabled). */
  directedEoiAdvertised(): boolean;
}

const W_IRR = APIC_IRR >> 2;
const W_ISR = APIC_ISR >> 2;
const W_TMR = APIC_TMR >> 2;
const W_ID = APIC_ID >> 2;
const W_LVR = APIC_LVR >> 2;
const W_TPR = APIC_TASKPRI >> 2;
const W_PPR = APIC_PROCPRI >> 2;
const W_LDR = APIC_LDR >> 2;
const W_DFR = APIC_DFR >> 2;
const W_SVR = APIC_SPIV >> 2;
const W_LVT0 = APIC_LVT0 >> 2;

/** Highest set bit of a 256-bit register at word `w` (8 words 4 apart), or -1. */
function highest(page: Uint32Array, w: number): number {
  for (let i = 7; i >= 0; i--) {
    const x = page[w + (i << 2)];
    if (x !== 0) return (i << 5) + 31 - Math.clz32(x);
  }
  return -1;
}

export class Lapic {
  readonly page = new Uint32Array(256);
  apicBase = (LAPIC_DEFAULT_BASE | MSR_APIC_BASE_ENABLE) >>> 0;
  nmiPending = 0;
  initPending = false;
  sipiVector = -1;
  smiPending = 0;
  /** Split mode KVM_INTERRUPT: the pending ExtINT vector, or -1. */
  extint = -1;
  /** Lowest-priority arbitration counter. */
  arb = 0;
  /** Number of vectors in service (isr_count). */
  isrCount = 0;
  /** Counters. */
  accepted = 0;
  acks = 0;
  eois = 0;

  constructor(
    readonly vcpu: Vcpu,
    private readonly host: LapicHost,
  ) {}

  get id(): number {
    return this.vcpu.id;
  }

  /** kvm_lapic_reset: `bsp` gets LINT0 = ExtINT while the LINT0_REENABLED quirk is on. */
  reset(bsp: boolean): void {
    const p = this.page;
    p.fill(0);
    p[W_ID] = (this.vcpu.id << 24) >>> 0;
    p[W_LVR] = this.lvr();
    p[W_DFR] = APIC_DFR_FLAT;
    p[W_SVR] = 0xff;
    for (const o of LVT_OFFSETS) p[o >> 2] = APIC_LVT_MASKED;
    if (bsp) p[W_LVT0] = 0x700;
    this.apicBase = (LAPIC_DEFAULT_BASE | MSR_APIC_BASE_ENABLE | (bsp ? MSR_APIC_BASE_BSP : 0)) >>> 0;
    this.nmiPending = 0;
    this.initPending = false;
    this.sipiVector = -1;
    this.extint = -1;
    this.arb = 0;
    this.isrCount = 0;
  }

  lvr(): number {
    return (LAPIC_VERSION | (this.host.directedEoiAdvertised() ? APIC_LVR_DIRECTED_EOI : 0)) >>> 0;
  }

  get hwEnabled(): boolean {
    return (this.apicBase & MSR_APIC_BASE_ENABLE) !== 0;
  }

  get swEnabled(): boolean {
    return (this.page[W_SVR] & APIC_SPIV_APIC_ENABLED) !== 0;
  }

  get xapicId(): number {
    return this.page[W_ID] >>> 24;
  }

  get ldr(): number {
    return this.page[W_LDR];
  }

  get dfr(): number {
    return this.page[W_DFR];
  }

  reg(off: number): number {
    return this.page[off >> 2];
  }

  irrHas(v: number): boolean {
    return (this.page[W_IRR + ((v >> 5) << 2)] & (1 << (v & 31))) !== 0;
  }

  isrHas(v: number): boolean {
    return (this.page[W_ISR + ((v >> 5) << 2)] & (1 << (v & 31))) !== 0;
  }

  tmrHas(v: number): boolean {
    return (this.page[W_TMR + ((v >> 5) << 2)] & (1 << (v & 31))) !== 0;
  }

  /** Accepts PIC ExtINT: hardware-disabled, or LINT0 unmasked ExtINT. */
  acceptsPic(): boolean {
    return !this.hwEnabled || (this.page[W_LVT0] & 0x10700) === 0x700;
  }

  computePpr(): number {
    const isr = highest(this.page, W_ISR);
    const tpr = this.page[W_TPR] & 0xff;
    const isrc = isr < 0 ? 0 : isr & 0xf0;
    return (tpr & 0xf0) >= isrc ? tpr : isrc;
  }

  updatePpr(): void {
    this.page[W_PPR] = this.computePpr();
  }

  /** The LAPIC vector the vCPU would take next, or -1 (kvm_apic_has_interrupt). */
  deliverable(): number {
    if (!this.hwEnabled) return -1;
    const v = highest(this.page, W_IRR);
    if (v < 0) return -1;
    // KVM evaluates with a fresh PPR (__apic_update_ppr); the register itself may be stale
    // after KVM_SET_LAPIC (quirk 13) until the vCPU next takes or EOIs an interrupt.
    return (v & 0xf0) > this.computePpr() ? v : -1;
  }

  /** The vCPU's interrupt line: something it can take now (ExtINT or a LAPIC vector). */
  updateLine(): void {
    const want = (this.extint >= 0) || (this.host.picOutput && this.acceptsPic()) || this.deliverable() >= 0;
    this.vcpu.ext.set(want);
  }

  /** __apic_accept_irq: 1 accepted, 0 refused. */
  accept(dm: number, v: number, level: boolean): number {
    switch (dm) {
      case APIC_DM_LOWEST:
      case APIC_DM_FIXED: {
        if (dm === APIC_DM_LOWEST) this.arb++;
        if (!this.hwEnabled || !this.swEnabled) return 0;
        const w = (v >> 5) << 2;
        const b = 1 << (v & 31);
        if (level) this.page[W_TMR + w] |= b;
        else this.page[W_TMR + w] &= ~b;
        this.page[W_IRR + w] |= b;
        this.accepted++;
        this.updateLine();
        return 1;
      }
      case APIC_DM_NMI:
        this.nmiPending++;
        return 1;
      case APIC_DM_INIT:
        this.initPending = true;
        return 1;
      case APIC_DM_STARTUP:
        this.sipiVector = v;
        return 1;
      case APIC_DM_SMI:
        this.smiPending++;
        return 1;
      case APIC_DM_REMRD:
        return 1;
      case APIC_DM_EXTINT:
      default:
        return 0;
    }
  }

  /**
   * The vCPU takes one interrupt (guest RFLAGS.IF set): the PIC's ExtINT first when this vCPU
   * accepts it, then the split-mode KVM_INTERRUPT vector, then the highest deliverable LAPIC
   * vector (IRR -> ISR). Returns the vector, or -1.
   */
  ack(): number {
    if (this.host.picOutput && this.acceptsPic()) {
      const v = this.host.picReadIrq();
      this.updateLine();
      return v;
    }
    if (this.extint >= 0) {
      const v = this.extint;
      this.extint = -1;
      this.updateLine();
      return v;
    }
    const v = this.deliverable();
    if (v < 0) {
      this.updatePpr();
      return -1;
    }
    const w = (v >> 5) << 2;
    const b = 1 << (v & 31);
    this.page[W_IRR + w] &= ~b;
    this.page[W_ISR + w] |= b;
    this.isrCount++;
    this.updatePpr();
    this.acks++;
    // The new PPR masks v's class: only a higher vector or the PIC can keep the line up.
    this.updateLine();
    return v;
  }

  /** apic_set_eoi: clears the highest ISR vector and forwards it when IOAPIC-handled. */
  eoi(): number {
    const v = highest(this.page, W_ISR);
    if (v < 0) return -1;
    const w = (v >> 5) << 2;
    const b = 1 << (v & 31);
    this.page[W_ISR + w] &= ~b;
    if (this.isrCount > 0) this.isrCount--;
    this.updatePpr();
    this.eois++;
    const level = (this.page[W_TMR + w] & b) !== 0;
    this.host.eoiForward(this, v, level);
    this.updateLine();
    return v;
  }

  /** Guest MMIO read of the xAPIC page: 1/2/4-byte reads inside one 32-bit register. */
  mmioRead(off: number, size: number): number {
    if (size > 4 || (off & 3) + size > 4 || off >= 0x400) return 0;
    const r = off & ~0xf;
    let val: number;
    switch (r) {
      case APIC_PROCPRI:
        val = this.computePpr();
        break;
      case APIC_EOI:
      case APIC_TMCCT:
        val = 0;
        break;
      default:
        val = this.page[r >> 2];
        break;
    }
    const shifted = val >>> (8 * (off & 3));
    return size === 4 ? shifted >>> 0 : shifted & ((1 << (8 * size)) - 1);
  }

  /** Guest MMIO write (kvm_lapic_reg_write): 4-byte, 16-byte-aligned only, else ignored. */
  mmioWrite(off: number, size: number, value: number): void {
    if (size !== 4 || (off & 0xf) !== 0 || off >= 0x400) return;
    const v = value >>> 0;
    const p = this.page;
    switch (off) {
      case APIC_ID:
        p[W_ID] = v & 0xff000000;
        this.host.mapDirty();
        break;
      case APIC_TASKPRI:
        p[W_TPR] = v & 0xff;
        this.updatePpr();
        this.updateLine();
        break;
      case APIC_EOI:
        this.eoi();
        break;
      case APIC_LDR:
        p[W_LDR] = v & 0xff000000;
        this.host.mapDirty();
        break;
      case APIC_DFR:
        p[W_DFR] = (v | 0x0fffffff) >>> 0;
        this.host.mapDirty();
        break;
      case APIC_SPIV: {
        let mask = 0x3ff;
        if (this.page[W_LVR] & APIC_LVR_DIRECTED_EOI) mask |= APIC_SPIV_DIRECTED_EOI;
        const was = this.swEnabled;
        p[W_SVR] = v & mask;
        if (!this.swEnabled) for (const o of LVT_OFFSETS) p[o >> 2] |= APIC_LVT_MASKED;
        if (was !== this.swEnabled) this.host.mapDirty();
        this.updateLine();
        break;
      }
      case APIC_ESR:
        p[APIC_ESR >> 2] = 0;
        break;
      case APIC_ICR2:
        p[APIC_ICR2 >> 2] = v & 0xff000000;
        break;
      case APIC_ICR:
        p[APIC_ICR >> 2] = v & ~(1 << 12);
        this.host.sendIpi(this, v, p[APIC_ICR2 >> 2]);
        break;
      case APIC_TMICT:
        p[APIC_TMICT >> 2] = v;
        break;
      case APIC_TDCR:
        p[APIC_TDCR >> 2] = v & 0xb;
        break;
      case APIC_LVTCMCI:
        // nr_lvt = 6: no CMCI LVT; the write is ignored (as an unknown register).
        break;
      default: {
        const m = LVT_WRITE_MASK[off];
        if (m === undefined) break; // read-only or reserved: ignored
        let x = v & m;
        if (!this.swEnabled) x |= APIC_LVT_MASKED;
        p[off >> 2] = x >>> 0;
        if (off === APIC_LVT0) this.updateLine();
        break;
      }
    }
  }

  /** Number of vectors set in ISR. */
  countIsr(): number {
    let n = 0;
    for (let i = 0; i < 8; i++) {
      let x = this.page[W_ISR + (i << 2)];
      while (x !== 0) {
        x &= x - 1;
        n++;
      }
    }
    return n;
  }

  highestIsr(): number {
    return highest(this.page, W_ISR);
  }

  highestIrr(): number {
    return highest(this.page, W_IRR);
  }
}
