/**
 * @irqlab/xive — KVM's native XIVE exploitation-mode device (KVM_DEV_TYPE_XIVE,
 * arch/powerpc/kvm/book3s_xive_native.c) in user space, with the XIVE hardware behaviour the
 * guest reaches through the pages KVM maps into it (ESB pages and the OS view of the TIMA).
 *
 *   irqfd / KVM_IRQ_LINE / routing          guest: store to trigger page (IPIs, re-trigger)
 *        │ setIrq(LISN, level)                       │
 *        v                                           v
 *   ┌─ Source: ESB per LISN (PQ state machine) — blocks of 1024, typed arrays ────────────┐
 *   │   trigger 00->10 notify | EOI 11->10 notify | SET_PQ loads 0xC00..0xF00, GET 0x800   │
 *   └───────┬─────────────────────────────────────────────────────────^──────────────────┘
 *           │ notify                                                  │ ESB loads (EOI) —
 *           v                                                         │ direct, no exit
 *   ┌─ Router: EAS (SOURCE_CONFIG: server, priority, EISN) ─> END (EQ_CONFIG) ──────────────┐
 *   │   writes (generation << 31 | EISN) into the event queue in guest memory              │
 *   └───────┬───────────────────────────────────────────────────────────────────────────────┘
 *           │ priority p                                 (undispatched VP: NVT IPB + escalation)
 *           v
 *   ┌─ Presenter: TCTX OS ring per vCPU (NSR CPPR IPB PIPR), ONE_REG KVM_REG_PPC_VP_STATE ──┐
 *   │   IPB |= 0x80>>p; PIPR < CPPR -> NSR[EO] -> vcpu.ext                                  │
 *   └───────┬──────────────────────────────────────────────────────^───────────────────────┘
 *           │ vcpu.ext                                              │ TIMA: ACK_OS_REG (0x810),
 *           v                                                       │ CPPR store (0x11) — direct
 *         guest ─── scans its queue, EOIs on the ESB ───────────────┘
 *         H_INT_* hcalls (exits) -> QEMU -> device attributes (SOURCE_CONFIG, EQ_CONFIG ...)
 *
 * Glossary
 *   XIVE   eXternal Interrupt Virtualization Engine (POWER9/POWER10 interrupt controller).
 *   ESB    Event State Buffer: a source's two PQ bits, reached through its trigger and
 *          EOI/management pages.
 *   PQ     P = an event was forwarded and not yet EOI'd; Q = another arrived meanwhile.
 *   EAS    Event Assignment Structure: a source's routing entry (target END, EISN, masked).
 *   END    Event Notification Descriptor: an event queue's descriptor (page, size, index,
 *          generation) — one per (vCPU, priority).
 *   EQ     Event Queue: the ring of 32-bit entries in guest memory an END points at.
 *   NVT/VP Notification Virtual Target / Virtual Processor: the vCPU as the XIVE knows it.
 *   TIMA   Thread Interrupt Management Area: per-thread registers, four views (HW, HV, OS,
 *          user); only the OS view is mapped into the guest.
 *   TCTX   Thread context: the registers of one thread's rings (OS ring = QW1).
 *   NSR    Notification Source Register (bit 0x80 EO: OS exception pending).
 *   CPPR   Current Processor Priority Register (0 most favoured, 0xFF all masked).
 *   IPB    Interrupt Pending Buffer: one bit per priority (0x80 >> p).
 *   PIPR   Pending Interrupt Priority Register: most favoured IPB priority (0xFF none).
 *   LISN   Logical Interrupt Source Number: the guest's source number (KVM "irq").
 *   EISN   Effective Interrupt Source Number: the data the END writes into the queue.
 *   IPI    Inter-Processor Interrupt (an ordinary source per CPU in exploitation mode).
 *   LSI    Level Sensitive Interrupt; MSI: Message Signalled (edge) interrupt.
 *   PAPR   Power Architecture Platform Requirements (the H_INT_* hypercalls).
 *   XICS   eXternal Interrupt Controller Specification (the legacy PAPR interface: ICS + ICP).
 *   XIRR/MFRR/XISR  XICS presentation registers (XIRR = CPPR << 24 | XISR; MFRR = IPI priority).
 *   PT     Pass-through: a host device interrupt backing a guest source (set/clr_mapped).
 *
 * XICS-on-XIVE (`xicsOnXiveModule`, a separate plugin — not the default export: it claims
 * KVM_DEV_TYPE_XICS as @irqlab/xics does; a VM loads one or the other):
 *
 *   kvm_set_irq ─> IPI ESB of the source (or the PassthroughEsb) ─> EAS (VP, prio_from_guest,
 *   EISN = source) ─> queue in host memory ─> OS ring IPB ─> vcpu.ext
 *   H_XIRR ─> ACK_OS_REG + scan of the 8 queues (pending bitmap, CPPR, MFRR IPI on queue 0)
 *   H_EOI ─> source EOI ─> rescan ─> SET_OS_PENDING + CPPR store
 */
import { xiveModule } from "./module.js";

export default xiveModule;
export { xiveModule, createXiveModule, type XiveModuleOptions } from "./module.js";

export * from "./constants.js";
export * from "./codecs.js";
export {
  esbTrigger,
  esbEoi,
  esbManagementLoad,
  esbLoadOp,
  esbStoreOp,
  esbSetPqOf,
  esbHasQ,
  formatPq,
  ESB_NOTIFY,
  ESB_PQ_MASK,
  ESB_VALUE_SHIFT,
  type EsbLoadOp,
  type EsbStoreOp,
} from "./esb.js";
export {
  ipbToPipr,
  priorityToIpb,
  tctxInit,
  tctxNotify,
  tctxIpbUpdate,
  tctxSetCppr,
  tctxAccept,
  timaDecode,
  timaRawRead,
  timaRawWrite,
  allOnes,
  TCTX_SIZE,
  TM_OP_INVALID,
  TM_OP_RAW,
  TM_OP_SET_OS_CPPR,
  TM_OP_ACK_OS_REG,
  TM_OP_SET_OS_PENDING,
} from "./tima.js";
export { EventQueues, EqReader } from "./event-queue.js";
export { SourceBlock, SourceBlocks, BYTES_PER_SOURCE, SRC_VALID, SRC_LSI, SRC_ASSERTED, SRC_PT } from "./source-blocks.js";
export { XiveNative, XiveVcpu, XiveSigbus, packVcpuId, prioFromGuest, XIVE_VP_BASE, type XiveOptions } from "./xive.js";
export { XiveDevice, createXiveDevice, xiveCapHandler, xiveDeviceContribution } from "./device.js";
export { XiveIrqChip, XIVE_IRQCHIP_INDEX } from "./irqchip.js";
export { XiveVm, XiveVmToken, type XiveBackedDevice } from "./xive-vm.js";
export { SpaprXiveHcalls, registerXiveHcalls, SPAPR_XIVE_END_BASE } from "./hcalls.js";
export { XiveGuestDriver, xiveGuestDriverContribution, GUEST_EQ_BASE, XIVE_IPI_VIRQ, XIVE_VIRQ_BASE, XIVE_MAX_PER_ENTRY } from "./guest-driver.js";
export { XiveCounters, type XiveEvents } from "./trace.js";
export { dumpXiveState } from "./dump.js";
export { saveXive, restoreXive, resumeXive, checkXiveSnapshot, parseXiveSnapshot, type XiveRestorePlan, XIVE_SNAPSHOT_FORMAT, XIVE_SNAPSHOT_VERSION, type XiveSnapshot } from "./snapshot.js";

// XICS-on-XIVE: a separate plugin module (it claims device type 3, as @irqlab/xics does;
// a VM loads one or the other — KVM's xive_enabled() host choice). Not the default export.
export { xicsOnXiveModule, createXicsOnXiveModule, type XicsOnXiveModuleOptions } from "./xics-on-xive/module.js";
export { XicsOnXive, XICS_DUMMY, H_TOO_HARD, H_UNSUPPORTED, type XoxOptions } from "./xics-on-xive/xics-on-xive.js";
export { XicsOnXiveDevice, XoxIrqChip, XOX_IRQCHIP_INDEX, xicsOnXiveDeviceContribution } from "./xics-on-xive/device.js";
export { PassthroughEsb, type PassthroughRouter } from "./xics-on-xive/passthrough-esb.js";
export { XoxSourceBlock, XoxVcpu } from "./xics-on-xive/xox-state.js";
export { XoxVm, XoxVmToken, type XoxBackedDevice } from "./xics-on-xive/xox-vm.js";
export { xoxHcall } from "./xics-on-xive/hcalls.js";
export { XOX_RTAS_HANDLERS } from "./xics-on-xive/rtas.js";
export { xicsOnXiveGuestDriverContribution } from "./xics-on-xive/guest-driver.js";
export { XoxCounters, type XoxEvents } from "./xics-on-xive/trace.js";
export { dumpXoxState } from "./xics-on-xive/dump.js";
export { XIVE_QUIRK, XIVE_QUIRKS, XIVE_PROFILES, XiveQuirkSet } from "./quirks.js";
export { xiveFuzzTarget, xicsOnXiveFuzzTarget } from "./fuzz-target.js";
