/**
 * @irqlab/xics — KVM's in-kernel XICS (arch/powerpc/kvm/book3s_xics.c) in user space:
 * the interrupt controller of POWER7/POWER8-style pseries guests.
 *
 *   irqfd / KVM_IRQ_LINE / routing
 *        │ setIrq(source, level)                        KVM_SET_DEVICE_ATTR(GRP_SOURCES)
 *        v                                                        │ 64-bit source word
 *   ┌──────────────── ICS: 1024 blocks x 1024 sources (typed arrays, lazily allocated) ─┐
 *   │  server | priority | saved priority | P/Q | resend | masked-pending | LSI        │
 *   └──────────┬────────────────────────────────────────────────────────^──────────────┘
 *              │ deliver (reject / resend)        ibm,set-xive / get-xive / int-off / int-on
 *              v                                                        │ (RTAS)
 *   ┌─ ICP per vCPU (server n) ── state word: CPPR MFRR PPRI XISR need_resend out_ee ─┐
 *   │  KVM_REG_PPC_ICP_STATE (ONE_REG)                                                 │
 *   └──────┬───────────────────────────────────────────────────────────^───────────────┘
 *          │ EE line (vcpu.ext)                      H_XIRR H_XIRR_X H_CPPR H_EOI H_IPI H_IPOLL
 *          v                                                           │
 *        guest ──────────────────────────────────────────────────────────┘
 *          H_EOI of a non-IPI source ──> ack notifiers ──> irqfd resamplefd
 *
 * Glossary
 *   XICS   eXternal Interrupt Controller Specification (PAPR's interrupt architecture).
 *   ICS    Interrupt Source Controller: per-source server, priority, state.
 *   ICP    Interrupt Presentation Controller: one per vCPU (server).
 *   XIRR   eXternal Interrupt Request Register: CPPR (bits 24..31) | XISR (bits 0..23).
 *   XISR   eXternal Interrupt Source Register: the presented source (0 none, 2 IPI).
 *   CPPR   Current Processor Priority Register (0 most favoured, 0xFF least).
 *   MFRR   Most Favoured Request Register: the IPI priority (0xFF = no IPI).
 *   PPRI   pending priority: the priority of the interrupt in XISR.
 *   IPI    Inter-Processor Interrupt (XISR 2).
 *   MSI    Message Signalled (edge) source; LSI: Level Sensitive source.
 *   P / Q  Presented / Queued: the source's in-flight and re-triggered bits.
 *   EE     External Exception: the vCPU's external-interrupt line.
 *   EOI    End Of Interrupt (H_EOI).
 *   RTAS   Run-Time Abstraction Services (ibm,set-xive ...), reached by H_RTAS.
 *   PAPR   Power Architecture Platform Requirements (hcalls, RTAS).
 *   ONE_REG  KVM_{GET,SET}_ONE_REG: the per-vCPU state word.
 */
import { xicsModule } from "./module.js";

export default xicsModule;
export { xicsModule };

export * from "./constants.js";
export {
  encodeSourceWord,
  decodeSourceWord,
  sourceWordBytes,
  sourceWordFromBytes,
  formatSourceWord,
  SOURCE_WORD_DEFINED_BITS,
  type SourceWord,
} from "./source-word.js";
export {
  u64Magnitude,
  initialIcpState,
  icpTryToDeliver,
  icpDownCppr,
  icpAccept,
  icpUpCppr,
  icpSetMfrr,
  icpInstall,
  encodeIcpStateWord,
  decodeIcpStateWord,
  checkIcpStateWord,
  DELIVERY_REFUSED,
  SET_MFRR_RESEND,
  type IcpState,
  type IcpStateWord,
} from "./icp-state.js";
export { normaliseLevel, pqTrigger, pqEoi, PQ_UNCHANGED } from "./source-pq.js";
export { BYTES_PER_SOURCE } from "./ics.js";
export { Icp } from "./icp.js";
export { Xics, type Xive } from "./xics.js";
export { XicsDevice, xicsDeviceContribution, xicsCapHandler } from "./device.js";
export { XicsIrqChip, SourceNumberIrqChip, XICS_IRQCHIP_INDEX, type SourceInput } from "./irqchip.js";
export { xicsHcall } from "./hcalls.js";
export {
  RtasTokens,
  XICS_RTAS_HANDLERS,
  SIZEOF_RTAS_ARGS,
  SIZEOF_KVM_RTAS_TOKEN_ARGS,
  encodeRtasTokenArgs,
  readRtasRets,
  writeRtasArgs,
  type XicsRtasCall,
} from "./rtas.js";
export { XicsVm, XicsVmToken } from "./xics-vm.js";
export { XicsGuestDriver, xicsGuestDriverContribution } from "./guest-driver.js";
export { saveXics, restoreXics, checkXicsSnapshot, parseXicsSnapshot, type XicsRestorePlan, XICS_SNAPSHOT_FORMAT, XICS_SNAPSHOT_VERSION, type XicsSnapshot } from "./snapshot.js";
export { XicsCounters, type XicsEvents } from "./trace.js";
export { dumpXicsState } from "./dump.js";
export { XICS_QUIRK, XICS_QUIRKS, XICS_PROFILES, XicsQuirkSet } from "./quirks.js";
export { xicsFuzzTarget } from "./fuzz-target.js";
