/**
 * Interruption classes and their priority (the kernel's enum irq_types: a higher value is a
 * higher priority, so the class a vCPU takes next is the highest set bit of its deliverable
 * mask), and the pure enablement function deliverable_irqs() applies per vCPU.
 */
import {
  CR0_CLOCK_COMPARATOR_SUBMASK,
  CR0_CPU_TIMER_SUBMASK,
  CR0_EMERGENCY_SIGNAL_SUBMASK,
  CR0_EXTERNAL_CALL_SUBMASK,
  CR0_SERVICE_SIGNAL_SUBMASK,
  iscToIscBits,
  MAX_ISC,
} from "./constants.js";

export const IRQ_PEND_SET_PREFIX = 0;
export const IRQ_PEND_RESTART = 1;
export const IRQ_PEND_SIGP_STOP = 2;
export const IRQ_PEND_IO_ISC_7 = 3;
export const IRQ_PEND_IO_ISC_6 = 4;
export const IRQ_PEND_IO_ISC_5 = 5;
export const IRQ_PEND_IO_ISC_4 = 6;
export const IRQ_PEND_IO_ISC_3 = 7;
export const IRQ_PEND_IO_ISC_2 = 8;
export const IRQ_PEND_IO_ISC_1 = 9;
export const IRQ_PEND_IO_ISC_0 = 10;
export const IRQ_PEND_VIRTIO = 11;
export const IRQ_PEND_PFAULT_DONE = 12;
export const IRQ_PEND_PFAULT_INIT = 13;
export const IRQ_PEND_EXT_HOST = 14;
export const IRQ_PEND_EXT_SERVICE = 15;
export const IRQ_PEND_EXT_SERVICE_EV = 16;
export const IRQ_PEND_EXT_TIMING = 17;
export const IRQ_PEND_EXT_CPU_TIMER = 18;
export const IRQ_PEND_EXT_CLOCK_COMP = 19;
export const IRQ_PEND_EXT_EXTERNAL = 20;
export const IRQ_PEND_EXT_EMERGENCY = 21;
export const IRQ_PEND_EXT_MALFUNC = 22;
export const IRQ_PEND_EXT_IRQ_KEY = 23;
export const IRQ_PEND_MCHK_REP = 24;
export const IRQ_PEND_PROG = 25;
export const IRQ_PEND_SVC = 26;
export const IRQ_PEND_MCHK_EX = 27;
export const IRQ_PEND_COUNT = 28;

const bit = (n: number): number => 1 << n;

export const IRQ_PEND_EXT_MASK =
  bit(IRQ_PEND_EXT_IRQ_KEY) |
  bit(IRQ_PEND_EXT_CLOCK_COMP) |
  bit(IRQ_PEND_EXT_CPU_TIMER) |
  bit(IRQ_PEND_EXT_MALFUNC) |
  bit(IRQ_PEND_EXT_EMERGENCY) |
  bit(IRQ_PEND_EXT_EXTERNAL) |
  bit(IRQ_PEND_EXT_TIMING) |
  bit(IRQ_PEND_EXT_HOST) |
  bit(IRQ_PEND_EXT_SERVICE) |
  bit(IRQ_PEND_EXT_SERVICE_EV) |
  bit(IRQ_PEND_VIRTIO) |
  bit(IRQ_PEND_PFAULT_INIT) |
  bit(IRQ_PEND_PFAULT_DONE);

export const IRQ_PEND_IO_MASK =
  bit(IRQ_PEND_IO_ISC_0) |
  bit(IRQ_PEND_IO_ISC_1) |
  bit(IRQ_PEND_IO_ISC_2) |
  bit(IRQ_PEND_IO_ISC_3) |
  bit(IRQ_PEND_IO_ISC_4) |
  bit(IRQ_PEND_IO_ISC_5) |
  bit(IRQ_PEND_IO_ISC_6) |
  bit(IRQ_PEND_IO_ISC_7);

export const IRQ_PEND_MCHK_MASK = bit(IRQ_PEND_MCHK_REP) | bit(IRQ_PEND_MCHK_EX);

/** The floating classes (kvm->arch.float_int.pending_irqs). */
export const IRQ_PEND_FLOATING_MASK =
  IRQ_PEND_IO_MASK |
  bit(IRQ_PEND_VIRTIO) |
  bit(IRQ_PEND_PFAULT_DONE) |
  bit(IRQ_PEND_EXT_SERVICE) |
  bit(IRQ_PEND_EXT_SERVICE_EV) |
  bit(IRQ_PEND_MCHK_REP);

/** Priority class of I/O interruption subclass `isc`. */
export function iscToIrqType(isc: number): number {
  return IRQ_PEND_IO_ISC_0 - isc;
}

export function irqTypeToIsc(irqType: number): number {
  return IRQ_PEND_IO_ISC_0 - irqType;
}

/** Highest-priority class set in `mask`, or -1. */
export function highestClass(mask: number): number {
  return mask === 0 ? -1 : 31 - Math.clz32(mask);
}

const NAMES: Record<number, string> = {
  [IRQ_PEND_SET_PREFIX]: "SET_PREFIX",
  [IRQ_PEND_RESTART]: "RESTART",
  [IRQ_PEND_SIGP_STOP]: "SIGP_STOP",
  [IRQ_PEND_VIRTIO]: "VIRTIO",
  [IRQ_PEND_PFAULT_DONE]: "PFAULT_DONE",
  [IRQ_PEND_PFAULT_INIT]: "PFAULT_INIT",
  [IRQ_PEND_EXT_HOST]: "EXT_HOST",
  [IRQ_PEND_EXT_SERVICE]: "SERVICE",
  [IRQ_PEND_EXT_SERVICE_EV]: "SERVICE_EV",
  [IRQ_PEND_EXT_TIMING]: "EXT_TIMING",
  [IRQ_PEND_EXT_CPU_TIMER]: "CPU_TIMER",
  [IRQ_PEND_EXT_CLOCK_COMP]: "CLOCK_COMP",
  [IRQ_PEND_EXT_EXTERNAL]: "EXTERNAL_CALL",
  [IRQ_PEND_EXT_EMERGENCY]: "EMERGENCY",
  [IRQ_PEND_EXT_MALFUNC]: "MALFUNC",
  [IRQ_PEND_EXT_IRQ_KEY]: "IRQ_KEY",
  [IRQ_PEND_MCHK_REP]: "MCHK_REP",
  [IRQ_PEND_PROG]: "PROG",
  [IRQ_PEND_SVC]: "SVC",
  [IRQ_PEND_MCHK_EX]: "MCHK_EX",
};

/** "ISC3", "VIRTIO", ... */
export function className(cls: number): string {
  if (cls >= IRQ_PEND_IO_ISC_7 && cls <= IRQ_PEND_IO_ISC_0) return `ISC${irqTypeToIsc(cls)}`;
  return NAMES[cls] ?? `CLASS${cls}`;
}

/** Names of the classes in `mask`, highest priority first. */
export function classNames(mask: number): string[] {
  const out: string[] = [];
  for (let c = IRQ_PEND_COUNT - 1; c >= 0; c--) if (mask & (1 << c)) out.push(className(c));
  return out;
}

/** The parts of a vCPU's PSW and control registers that gate interruptions. */
export interface VcpuEnablement {
  /** PSW external-interruption mask. */
  readonly extEnabled: boolean;
  /** PSW I/O-interruption mask. */
  readonly ioEnabled: boolean;
  /** PSW machine-check mask. */
  readonly mcheckEnabled: boolean;
  /** Low 32 bits of CR0 (subclass masks). */
  readonly cr0: number;
  /** Low 32 bits of CR6 (I/O ISC mask in bits 24..31). */
  readonly cr6: number;
}

/**
 * The classes a vCPU accepts (deliverable_irqs() without the dynamic CR14 test of the
 * repressible machine check, which depends on the pending machine check itself).
 */
export function enabledClasses(e: VcpuEnablement): number {
  let m = (1 << IRQ_PEND_COUNT) - 1;
  if (!e.extEnabled) m &= ~IRQ_PEND_EXT_MASK;
  if (!e.ioEnabled) m &= ~IRQ_PEND_IO_MASK;
  else {
    for (let isc = 0; isc <= MAX_ISC; isc++) {
      if (((e.cr6 >>> 0) & iscToIscBits(isc)) === 0) m &= ~(1 << iscToIrqType(isc));
    }
  }
  if (!(e.cr0 & CR0_EXTERNAL_CALL_SUBMASK)) m &= ~(1 << IRQ_PEND_EXT_EXTERNAL);
  if (!(e.cr0 & CR0_EMERGENCY_SIGNAL_SUBMASK)) m &= ~(1 << IRQ_PEND_EXT_EMERGENCY);
  if (!(e.cr0 & CR0_CLOCK_COMPARATOR_SUBMASK)) m &= ~(1 << IRQ_PEND_EXT_CLOCK_COMP);
  if (!(e.cr0 & CR0_CPU_TIMER_SUBMASK)) m &= ~(1 << IRQ_PEND_EXT_CPU_TIMER);
  if (!(e.cr0 & CR0_SERVICE_SIGNAL_SUBMASK)) {
    m &= ~(1 << IRQ_PEND_EXT_SERVICE);
    m &= ~(1 << IRQ_PEND_EXT_SERVICE_EV);
  }
  if (!e.mcheckEnabled) m &= ~IRQ_PEND_MCHK_MASK;
  // SIGP stop is never delivered actively.
  m &= ~(1 << IRQ_PEND_SIGP_STOP);
  return m;
}

/**
 * deliverable_irqs(): pending (floating | local) classes the vCPU accepts. The repressible
 * machine check additionally needs CR14 to share a bit with the floating (or local) cr14.
 */
export function deliverableClasses(pending: number, enabled: number, cr14: number, mchkCr14: number): number {
  let m = pending & enabled;
  if ((m & (1 << IRQ_PEND_MCHK_REP)) !== 0 && ((cr14 & mchkCr14) >>> 0) === 0) m &= ~(1 << IRQ_PEND_MCHK_REP);
  return m;
}
