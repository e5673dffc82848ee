/**
 * @irqlab/mpic — KVM's in-kernel Freescale MPIC (OpenPIC) v2.0 / v4.2, register by register
 * (arch/powerpc/kvm/mpic.c; spec: shared/spec/mpic.md).
 *
 *   routing ── IRQCHIP pin 0..255 ─┐        MSI route / KVM_SIGNAL_MSI ── MSIIR write
 *   IRQ_ACTIVE attr ───────────────┤                                        │ bank b, bit i
 *                                  v                                        v
 *   sources 0..263: IVPR (mask, prio, vector, sense)   IDR (CPU set)   ILR (v4.2 output)
 *     0..15 external │ 16..255 internal (224..231 = MSI banks) │ 256..259 IPI │ 260..263 timers
 *                                  │ update(): active = pending && !masked
 *                                  v
 *   CPU 0..31: CTPR ── raised queue ── servicing queue ──> vcpu.ext  (INT output)
 *                        │ IACK read: raised.next -> servicing, vector (or SPVR)
 *                        └ EOI write: retire servicing.next -> ack notifiers (resamplefd)
 *
 * Glossary
 *   MPIC   Multiprocessor Programmable Interrupt Controller (Freescale's OpenPIC).
 *   IVPR   Interrupt Vector/Priority Register: mask, activity, sense, polarity, priority, vector.
 *   IDR    Interrupt Destination Register: CPU bit mask (v2.0 also EP and critical CI bits).
 *   ILR    Interrupt Level Register (v4.2): output 0 INT, 1 critical, 2 machine check.
 *   CTPR   Current Task Priority Register: a CPU takes only priorities above it.
 *   IACK   Interrupt Acknowledge register: reading it takes the interrupt into service.
 *   EOI    End Of Interrupt register: writing it retires the highest in-service interrupt.
 *   SPVR   Spurious Vector Register: what IACK returns when nothing is deliverable.
 *   IPIDR  IPI Dispatch Register; IPIVPR: IPI vector/priority.
 *   GCR    Global Configuration Register (reset bit, mixed/proxy mode); FRR: Feature Reporting.
 *   BRR1   Block Revision Register 1; VIR / PIR: vendor id / processor init.
 *   WHOAMI the accessing CPU's number.
 *   MSIR / MSISR / MSIIR  shared MSI registers, MSI status, MSI index (the MSI doorbell).
 *   GTCCR / GTBCR / GTVPR / GTDR / TFRR  global timer count / base count / vector / destination,
 *          timer frequency (KVM stores them but never counts).
 *   EPR    External Proxy Register: v4.2 proxy mode delivers the vector with the interrupt.
 *   CoreInt  Linux's name for external proxy (MPIC_ENABLE_COREINT, GCR mode 0x60000000).
 *   EP / CI  v2.0 IDR bits: external pin (31) and per-CPU critical-interrupt bits (30 - cpu).
 *   INT / CINT / MCP  the CPU outputs: external, critical, machine check.
 */
export {
  KVM_DEV_MPIC_GRP_MISC,
  KVM_DEV_MPIC_BASE_ADDR,
  KVM_DEV_MPIC_GRP_REGISTER,
  KVM_DEV_MPIC_GRP_IRQ_ACTIVE,
  KVM_REG_PPC_EPR,
  MAX_CPU,
  MAX_SRC,
  MAX_IPI,
  MAX_TMR,
  MAX_MSI,
  MAX_IRQ,
  IRQ_IPI0,
  IRQ_TIM0,
  IRQ_MSI0,
  OPENPIC_REG_SIZE,
  REG_BRR1,
  REG_FRR,
  REG_GCR,
  REG_VIR,
  REG_PIR,
  REG_IPIVPR0,
  REG_SPVR,
  REG_TFRR,
  REG_GT0,
  GT_STRIDE,
  GT_GTCCR,
  GT_GTBCR,
  GT_GTVPR,
  GT_GTDR,
  REG_MSIR0,
  REG_MSISR,
  REG_MSIIR,
  REG_IPIDR_ALIAS,
  REG_CTPR_ALIAS,
  REG_WHOAMI_ALIAS,
  REG_IACK_ALIAS,
  REG_EOI_ALIAS,
  SRC_START,
  SRC_STRIDE,
  SRC_IVPR,
  SRC_IDR,
  SRC_ILR,
  CPU_START,
  CPU_STRIDE,
  CPU_IPIDR0,
  CPU_CTPR,
  CPU_WHOAMI,
  CPU_IACK,
  CPU_EOI,
  srcIvpr,
  srcIdr,
  srcIlr,
  cpuReg,
  msir,
  ipiVpr,
  IVPR_MASK,
  IVPR_ACTIVITY,
  IVPR_MODE,
  IVPR_POLARITY,
  IVPR_SENSE,
  IVPR_PRIORITY_MASK,
  IVPR_VECTOR_MASK,
  IDR_EP,
  OUTPUT_INT,
  OUTPUT_CINT,
  OUTPUT_MCP,
  GCR_RESET,
  GCR_MODE_MIXED,
  GCR_MODE_PROXY,
} from "./constants.js";
export { MPIC_20, MPIC_42, modelForType, type MpicModel } from "./model.js";
export { SourceKind, sourceKind, ivprWrite, idrWrite, ilrWrite, type IvprWrite, type IdrWrite } from "./source.js";
export { BLOCKS, Block, blockOf } from "./register-map.js";
export type { CriticalOutputMode } from "./openpic.js";
export { MpicDevice, MpicVcpuState, mpicOf } from "./device.js";
export { MpicIrqChip, MPIC_IRQCHIP_INDEX } from "./irqchip.js";
export { mpicVcpuCap } from "./vcpu-connect.js";
export type { MpicEvents } from "./trace.js";
export {
  encodeBaseAddr,
  decodeBaseAddr,
  encodeRegisterValue,
  decodeRegisterValue,
  encodeIrqActive,
  decodeIrqActive,
  setMpicBaseAddr,
  getMpicBaseAddr,
  readMpicRegister,
  writeMpicRegister,
  getMpicIrqActive,
  setMpicIrqActive,
} from "./attributes.js";
export {
  MpicGuestDriver,
  mpic20GuestDriver,
  mpic42GuestDriver,
  MPC8544DS_MPIC_BASE,
  PPCE500_MPIC_BASE,
  GUEST_SPURIOUS_VECTOR,
  GUEST_IPI_VECTOR0,
  GUEST_TIMER_VECTOR0,
  type MpicGuestDriverOptions,
  type SourceMapping,
} from "./guest-driver.js";
export { mpicDeviceContribution, mpicModule } from "./module.js";
export { mpicModule as default } from "./module.js";
export {
  saveMpicState,
  restoreMpicState,
  validateMpicSnapshot,
  parseMpicSnapshot,
  MPIC_SNAPSHOT_FORMAT,
  type MpicSnapshot,
  type SaveOptions,
} from "./snapshot.js";
export { MPIC_QUIRK, MPIC_QUIRKS, MPIC_PROFILES, MpicQuirkSet } from "./quirks.js";
export type { OpenPic } from "./openpic.js";
export type { IrqQueues } from "./irq-queue.js";
export type { MpicMmioRegion } from "./mmio.js";
export { mpic20FuzzTarget, mpic42FuzzTarget } from "./fuzz-target.js";
