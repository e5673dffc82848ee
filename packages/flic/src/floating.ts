/**
 * The floating-interrupt state of a VM (the kernel's struct kvm_s390_float_interrupt,
 * GISA-less): a pending bitset over the floating classes, ten FIFO lists (ISC 0..7 I/O,
 * PFAULT_DONE, VIRTIO) with their counters and limits, the merged service-signal slot and the
 * merged repressible machine check. Injection returns 0 or an errno; nothing here throws or
 * allocates per interrupt (the FIFOs are typed-array rings).
 */
import { Errno } from "@irqlab/core";
import {
  CR14_CHANNEL_REPORT_SUBMASK,
  intWordToIsc,
  KVM_S390_MAX_FLOAT_IRQS,
  KVM_S390_MAX_PFAULT_IRQS,
  KVM_S390_MAX_VIRTIO_IRQS,
  MAX_ISC,
  SCCB_EVENT_PENDING,
  SCCB_MASK,
} from "./constants.js";
import {
  IRQ_PEND_EXT_SERVICE,
  IRQ_PEND_EXT_SERVICE_EV,
  IRQ_PEND_MCHK_REP,
  IRQ_PEND_PFAULT_DONE,
  IRQ_PEND_VIRTIO,
  iscToIrqType,
} from "./priority.js";
import { WordFifo } from "./word-fifo.js";

/** Words of an I/O record: type, subchannel id << 16 | nr, interruption parameter, word. */
export const IO_TYPE = 0;
export const IO_SCHID = 1;
export const IO_PARM = 2;
export const IO_WORD = 3;
/** Words of an ext record (virtio, pfault done): ext_params, pad, ext_params2 high, low. */
export const EXT_PARAMS = 0;
export const EXT_PAD = 1;
export const EXT_P2_HI = 2;
export const EXT_P2_LO = 3;

export class FloatingInterrupts {
  /** Bitset of pending floating classes (priority.ts numbering). */
  pending = 0;
  /** Classes withheld from delivery: protected guests only, always 0 here. */
  masked = 0;
  readonly io: WordFifo[] = [];
  readonly pfault = new WordFifo(4);
  readonly virtio = new WordFifo(4);
  ioCount = 0;
  /** Merged service-signal parameter (struct kvm_s390_ext_info.ext_params). */
  srvParams = 0;
  /** Merged floating machine check: cr14 (only bit 28 is ever kept) and mcic. */
  mchkCr14 = 0;
  mchkMcic = 0n;

  constructor() {
    for (let i = 0; i <= MAX_ISC; i++) this.io.push(new WordFifo(4));
  }

  get virtioCount(): number {
    return this.virtio.length;
  }

  get pfaultCount(): number {
    return this.pfault.length;
  }

  /** __inject_io: the ISC comes from the interruption word. EBUSY at the limit. */
  injectIo(type: number, schid: number, parm: number, word: number): number {
    if (this.ioCount >= KVM_S390_MAX_FLOAT_IRQS) return Errno.EBUSY;
    const isc = intWordToIsc(word);
    this.ioCount++;
    this.io[isc].push(type >>> 0, schid >>> 0, parm >>> 0, word >>> 0);
    this.pending |= 1 << iscToIrqType(isc);
    return 0;
  }

  /** __inject_virtio. */
  injectVirtio(params: number, pad: number, p2hi: number, p2lo: number): number {
    if (this.virtio.length >= KVM_S390_MAX_VIRTIO_IRQS) return Errno.EBUSY;
    this.virtio.push(params >>> 0, pad >>> 0, p2hi >>> 0, p2lo >>> 0);
    this.pending |= 1 << IRQ_PEND_VIRTIO;
    return 0;
  }

  /** __inject_pfault_done (payload kept as given). */
  injectPfaultDone(params: number, pad: number, p2hi: number, p2lo: number): number {
    if (this.pfault.length >= KVM_S390_MAX_PFAULT_IRQS) return Errno.EBUSY;
    this.pfault.push(params >>> 0, pad >>> 0, p2hi >>> 0, p2lo >>> 0);
    this.pending |= 1 << IRQ_PEND_PFAULT_DONE;
    return 0;
  }

  /**
   * __inject_service: event bits merge and mark SERVICE_EV; the first SCCB address wins (later
   * ones are silently dropped); SERVICE is marked even for a zero address; bit 2 is dropped.
   */
  injectService(params: number): number {
    const p = params >>> 0;
    this.srvParams = (this.srvParams | (p & SCCB_EVENT_PENDING)) >>> 0;
    if (this.srvParams & SCCB_EVENT_PENDING) this.pending |= 1 << IRQ_PEND_EXT_SERVICE_EV;
    if (((this.srvParams & SCCB_MASK) >>> 0) !== 0) return 0;
    this.srvParams = (this.srvParams | (p & SCCB_MASK)) >>> 0;
    this.pending |= 1 << IRQ_PEND_EXT_SERVICE;
    return 0;
  }

  /** __inject_float_mchk: only the channel-report-pending bit of cr14 is kept. */
  injectMchk(cr14: bigint, mcic: bigint): number {
    if (cr14 & BigInt(CR14_CHANNEL_REPORT_SUBMASK)) this.mchkCr14 = (this.mchkCr14 | CR14_CHANNEL_REPORT_SUBMASK) >>> 0;
    this.mchkMcic = BigInt.asUintN(64, this.mchkMcic | mcic);
    this.pending |= 1 << IRQ_PEND_MCHK_REP;
    return 0;
  }

  /** Removes the oldest I/O entry of `isc` into `out`; clears the class when the list empties. */
  takeIo(isc: number, out: Uint32Array): boolean {
    const list = this.io[isc];
    const got = list.shift(out);
    if (got) this.ioCount--;
    if (list.length === 0) this.pending &= ~(1 << iscToIrqType(isc));
    return got;
  }

  takeVirtio(out: Uint32Array): boolean {
    const got = this.virtio.shift(out);
    if (this.virtio.length === 0) this.pending &= ~(1 << IRQ_PEND_VIRTIO);
    return got;
  }

  takePfaultDone(out: Uint32Array): boolean {
    const got = this.pfault.shift(out);
    if (this.pfault.length === 0) this.pending &= ~(1 << IRQ_PEND_PFAULT_DONE);
    return got;
  }

  /** __deliver_service: the whole slot, both service classes cleared. -1 if not pending. */
  takeService(): number {
    if (!(this.pending & (1 << IRQ_PEND_EXT_SERVICE))) return -1;
    const p = this.srvParams;
    this.srvParams = 0;
    this.pending &= ~((1 << IRQ_PEND_EXT_SERVICE) | (1 << IRQ_PEND_EXT_SERVICE_EV));
    return p;
  }

  /** __deliver_service_ev: clears only the event bits; false if not pending. */
  takeServiceEv(): boolean {
    if (!(this.pending & (1 << IRQ_PEND_EXT_SERVICE_EV))) return false;
    this.srvParams = (this.srvParams & ~SCCB_EVENT_PENDING) >>> 0;
    this.pending &= ~(1 << IRQ_PEND_EXT_SERVICE_EV);
    return true;
  }

  /** The floating part of __deliver_machine_check: returns whether it was pending, clears it. */
  takeMchk(): boolean {
    if (!(this.pending & (1 << IRQ_PEND_MCHK_REP))) return false;
    this.pending &= ~(1 << IRQ_PEND_MCHK_REP);
    return true;
  }

  /**
   * CLEAR_IO_IRQ (kvm_s390_get_io_int with all ISCs): removes the first entry, searching ISC
   * 0..7 in order and each list from its oldest entry, of subchannel `schid` (id << 16 | nr).
   */
  clearIo(schid: number): boolean {
    for (let isc = 0; isc <= MAX_ISC; isc++) {
      const list = this.io[isc];
      for (let i = 0; i < list.length; i++) {
        if (list.word(i, IO_SCHID) !== schid >>> 0) continue;
        list.removeAt(i);
        this.ioCount--;
        if (list.length === 0) this.pending &= ~(1 << iscToIrqType(isc));
        return true;
      }
    }
    return false;
  }

  /** kvm_s390_clear_float_irqs. */
  clear(): void {
    this.masked = 0;
    this.pending = 0;
    this.srvParams = 0;
    this.mchkCr14 = 0;
    this.mchkMcic = 0n;
    for (const l of this.io) l.clear();
    this.pfault.clear();
    this.virtio.clear();
    this.ioCount = 0;
  }

  /** Number of items GET_ALL_IRQS produces. */
  itemCount(): number {
    let n = this.ioCount + this.pfault.length + this.virtio.length;
    if (this.pending & ((1 << IRQ_PEND_EXT_SERVICE) | (1 << IRQ_PEND_EXT_SERVICE_EV))) n++;
    if (this.pending & (1 << IRQ_PEND_MCHK_REP)) n++;
    return n;
  }
}
