/**
 * KVM's in-kernel IOAPIC, version 0x11 (arch/x86/kvm/ioapic.c; spec §5): 24 redirection
 * entries (two u32 halves each), IRR and per-source line state in typed arrays, Remote IRR,
 * level re-injection at EOI, RTC (pin 8) coalescing, the EOI-storm limit.
 */
import {
  IOAPIC_DEFAULT_BASE,
  IOAPIC_EOI_STORM_DELAY_NS,
  IOAPIC_MEM_LENGTH,
  IOAPIC_RTC_PIN,
  IOAPIC_SUCCESSIVE_EOI_LIMIT,
  IOAPIC_VERSION,
  KVM_IOAPIC_NUM_PINS,
} from "./constants.js";

export const IOAPIC_PINS = KVM_IOAPIC_NUM_PINS;
// Redirection entry bits (low half).
export const RTE_MASK = 1 << 16;
export const RTE_LEVEL = 1 << 15;
export const RTE_REMOTE_IRR = 1 << 14;
export const RTE_DELIVERY_STATUS = 1 << 12;
export const RTE_LOGICAL = 1 << 11;

export interface IoapicHost {
  /** APIC delivery of an IOAPIC message; `rtc` records per-vCPU acceptances (pin 8). */
  deliver(dest: number, logical: boolean, dm: number, vector: number, level: boolean, rtc: boolean): number;
  /** kvm_notify_acked_irq(kvm, KVM_IRQCHIP_IOAPIC, pin). */
  ack(pin: number): void;
  /** kvm_notify_irqfd_resampler: signals the resamplefds of the pin's GSI, if any. */
  notifyResampler(pin: number): boolean;
  /** Deferred work (EOI storm), `ns` from now. */
  schedule(ns: number, fn: () => void): void;
  /** The EOI-ing vCPU has SVR bit 12 (directed EOI) set. */
  directedEoi(vcpu: number): boolean;
}

export class Ioapic {
  baseAddress = BigInt(IOAPIC_DEFAULT_BASE);
  ioregsel = 0;
  id = 0;
  irr = 0;
  pad = 0;
  irrDelivered = 0;
  readonly lo = new Uint32Array(IOAPIC_PINS).fill(RTE_MASK);
  readonly hi = new Uint32Array(IOAPIC_PINS);
  readonly irqStates = new Uint32Array(IOAPIC_PINS);
  readonly irqEoi = new Uint32Array(IOAPIC_PINS);
  /** Bit mask of pins per vector (entry vector field), for EOI lookups. */
  readonly pinsByVector = new Uint32Array(256);
  /** RTC tracking: vector recorded per vCPU (-1 none) and pending_eoi. */
  rtcVector: Int16Array;
  rtcPendingEoi = 0;
  /** Set while a tracked pin-8 delivery runs (host records acceptances). */
  rtcTracking = false;
  /** Counters. */
  delivered = 0;
  coalesced = 0;
  eois = 0;
  stormDeferrals = 0;

  constructor(
    private readonly host: IoapicHost,
    maxVcpus: number,
  ) {
    this.rtcVector = new Int16Array(Math.max(1, maxVcpus)).fill(-1);
    this.reindex();
  }

  reindex(): void {
    this.pinsByVector.fill(0);
    for (let p = 0; p < IOAPIC_PINS; p++) this.pinsByVector[this.lo[p] & 0xff] |= 1 << p;
  }

  /** kvm_ioapic_set_irq: source bitmap, effective level, then ioapic_set_irq. */
  setIrq(pin: number, level: number, sourceId: number, lineStatus: boolean): number {
    if (!(pin >= 0 && pin < IOAPIC_PINS) || !(sourceId >= 0 && sourceId < 32)) return -1;
    const bit = 1 << sourceId;
    const st = level !== 0 ? this.irqStates[pin] | bit : this.irqStates[pin] & ~bit;
    this.irqStates[pin] = st;
    return this.pinLevel(pin, st !== 0, lineStatus);
  }

  /** ioapic_set_irq. */
  pinLevel(p: number, level: boolean, lineStatus: boolean): number {
    const m = 1 << p;
    if (!level) {
      this.irr &= ~m;
      return 1;
    }
    if (p === IOAPIC_RTC_PIN && lineStatus && this.rtcPendingEoi > 0) {
      this.coalesced++;
      return 0;
    }
    const old = this.irr;
    this.irr |= m;
    if ((this.lo[p] & RTE_LEVEL) === 0) {
      this.irrDelivered &= ~m;
      if (old & m) {
        this.coalesced++;
        return 0;
      }
    }
    return this.service(p, lineStatus);
  }

  /** ioapic_service. */
  service(p: number, lineStatus: boolean): number {
    const lo = this.lo[p];
    const level = (lo & RTE_LEVEL) !== 0;
    if (lo & RTE_MASK || (level && lo & RTE_REMOTE_IRR)) return -1;
    if (!level) this.irrDelivered |= 1 << p;
    const track = p === IOAPIC_RTC_PIN && lineStatus;
    if (track) this.rtcClear();
    this.rtcTracking = track;
    const r = this.host.deliver(this.hi[p] >>> 24, (lo & RTE_LOGICAL) !== 0, (lo >> 8) & 7, lo & 0xff, level, track);
    this.rtcTracking = false;
    if (track) this.rtcPendingEoi = r < 0 ? 0 : r;
    if (level && r !== 0) this.lo[p] = lo | RTE_REMOTE_IRR;
    if (r > 0) this.delivered++;
    return r;
  }

  rtcClear(): void {
    this.rtcVector.fill(-1);
    this.rtcPendingEoi = 0;
  }

  /** A tracked FIXED/LOWEST acceptance of pin 8's delivery. */
  rtcRecord(vcpu: number, vector: number): void {
    if (vcpu < this.rtcVector.length) this.rtcVector[vcpu] = vector;
  }

  /** kvm_ioapic_update_eoi_one for one vCPU and vector. */
  eoi(vcpu: number, v: number, level: boolean): void {
    this.eois++;
    if (vcpu < this.rtcVector.length && this.rtcVector[vcpu] === v) {
      this.rtcVector[vcpu] = -1;
      if (this.rtcPendingEoi > 0) this.rtcPendingEoi--;
    }
    const pins = this.pinsByVector[v];
    if (pins === 0) return;
    for (let rest = pins; rest !== 0; rest &= rest - 1) {
      const p = 31 - Math.clz32(rest & -rest);
      if ((this.lo[p] & 0xff) !== v) continue;
      this.host.ack(p);
      if (!level || this.host.directedEoi(vcpu)) continue;
      this.lo[p] &= ~RTE_REMOTE_IRR;
      if ((this.lo[p] & RTE_MASK) === 0 && this.irr & (1 << p)) {
        if (++this.irqEoi[p] === IOAPIC_SUCCESSIVE_EOI_LIMIT) {
          this.irqEoi[p] = 0;
          this.stormDeferrals++;
          this.host.schedule(IOAPIC_EOI_STORM_DELAY_NS, () => this.deferredService());
        } else {
          this.service(p, false);
        }
      } else {
        this.irqEoi[p] = 0;
      }
    }
  }

  /** kvm_ioapic_eoi_inject_work: every level pin with IRR set and Remote IRR clear. */
  private deferredService(): void {
    for (let p = 0; p < IOAPIC_PINS; p++) {
      const lo = this.lo[p];
      if (lo & RTE_LEVEL && this.irr & (1 << p) && !(lo & RTE_REMOTE_IRR)) this.service(p, false);
    }
  }

  /** Whether a guest access at `addr` (inside the registered window) is decoded. */
  inWindow(addr: number): boolean {
    const base = Number(this.baseAddress);
    return addr >= base && addr < base + IOAPIC_MEM_LENGTH;
  }

  /** ioapic_mmio_read: offset = addr & 0xff. */
  mmioRead(off: number, size: number): number {
    let v: number;
    switch (off) {
      case 0x00:
        v = this.ioregsel;
        break;
      case 0x10:
        v = this.readIndirect();
        break;
      default:
        v = 0;
        break;
    }
    if (size === 8) return v >>> 0;
    if (size === 4) return v >>> 0;
    return v & ((1 << (8 * size)) - 1);
  }

  mmioWrite(off: number, size: number, value: number): void {
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return;
    const data = value >>> 0;
    switch (off) {
      case 0x00:
        this.ioregsel = data & 0xff;
        break;
      case 0x10:
        this.writeIndirect(data);
        break;
      default:
        break;
    }
  }

  private readIndirect(): number {
    const r = this.ioregsel;
    switch (r) {
      case 0x00:
      case 0x02:
        return ((this.id & 0xf) << 24) >>> 0;
      case 0x01:
        return IOAPIC_VERSION;
      default: {
        const n = (r - 0x10) >> 1;
        if (r >= 0x10 && n < IOAPIC_PINS) return r & 1 ? this.hi[n] : this.lo[n];
        return 0xffffffff;
      }
    }
  }

  /** ioapic_write_indirect. */
  private writeIndirect(v: number): void {
    const r = this.ioregsel;
    if (r === 0x00) {
      this.id = (v >>> 24) & 0xf;
      return;
    }
    if (r === 0x01 || r === 0x02) return;
    const n = (r - 0x10) >> 1;
    if (r < 0x10 || n >= IOAPIC_PINS) return;
    const old = this.lo[n];
    const keep = old & (RTE_REMOTE_IRR | RTE_DELIVERY_STATUS);
    if (r & 1) this.hi[n] = v;
    else this.lo[n] = ((v & ~(RTE_REMOTE_IRR | RTE_DELIVERY_STATUS)) | keep) >>> 0;
    let lo = this.lo[n];
    if ((lo & RTE_LEVEL) === 0) {
      lo &= ~RTE_REMOTE_IRR;
      this.lo[n] = lo;
    }
    this.reindex();
    if (lo & RTE_LEVEL && !(lo & RTE_MASK) && !(lo & RTE_REMOTE_IRR) && this.irr & (1 << n)) {
      if (this.host.notifyResampler(n)) this.irr &= ~(1 << n);
      else this.service(n, false);
    }
    // KVM now rescans the vCPUs' EOI-exit bitmaps; irqlab computes them at EOI time (§6.7).
  }

  /** GET_IRQCHIP's irr: edge pins already delivered while still high are hidden. */
  get reportedIrr(): number {
    return (this.irr & ~this.irrDelivered) >>> 0;
  }
}
