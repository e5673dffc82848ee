/**
 * @irqlab/aia — RISC-V AIA as Linux KVM keeps it in the kernel (KVM_DEV_TYPE_RISCV_AIA):
 * an APLIC domain in MSI delivery mode turns wired lines into MSIs, and every vCPU owns one
 * IMSIC interrupt file that raises its VS-level external interrupt.
 *
 *   KVM_IRQ_LINE(src) ─────────────┐ (no routing table)
 *   irqfd / irqchip route ─────────┤
 *                                  v
 *            APLIC  sourcecfg[src] (edge/level) ─> PENDING ─┐ domaincfg.IE && ENABLED
 *                   target[src] = hart | guest | EIID  <────┘ ─> MSI
 *                                                               │ (hart index -> vCPU)
 *   KVM_SIGNAL_MSI / MSI route / guest write to an IMSIC page ──┤ (address -> vCPU page)
 *                                                               v
 *            IMSIC file (vCPU n): eip[id] & eie[id], id < eithreshold ─> topei
 *                   eidelivery && topei ─> VSEIP ─> vcpu.ext ─> guest: csrrw stopei (claim)
 *   No EOI path: nothing ever runs ack notifiers (resamplefds never fire).
 *
 * Glossary
 *   AIA     Advanced Interrupt Architecture (RISC-V): APLIC + IMSIC + the Ssaia/Smaia CSRs.
 *   APLIC   Advanced Platform-Level Interrupt Controller: wired sources, here in MSI mode.
 *   IMSIC   Incoming MSI Controller: per-hart interrupt files written by MSIs.
 *   MSI     Message Signalled Interrupt: a 32-bit write of an identity to an IMSIC page.
 *   EIID    External Interrupt IDentity: the identity an APLIC target sends.
 *   eip/eie external interrupt pending / enable bit arrays of an interrupt file.
 *   topei   top external interrupt: the lowest pending-and-enabled identity (the claim).
 *   VSEIP   VS-level external interrupt pending (major interrupt 10; `sip` bit 9 to the guest).
 *   SW-file the kernel's memory image of an interrupt file (mode EMUL: guest accesses trap).
 *   VS-file a hardware guest interrupt file (modes HWACCEL/AUTO: guest accesses go direct).
 *   hgei    hardware guest external interrupt files per host hart (nr_hgei).
 *   iselect indirect register number reached through siselect/sireg (0x70 eidelivery ...).
 *   GSI     Global System Interrupt: the routing table's input number.
 */
export * from "./constants.js";
export { Aplic, APLIC_PENDING, APLIC_ENABLED, APLIC_INPUT, APLIC_NO_REG } from "./aplic.js";
export type { AplicMsiSink } from "./aplic.js";
export { ImsicFile, bswap32 } from "./imsic.js";
export { AiaConfig, EMULATION_ONLY_HOST, checkHost } from "./config.js";
export type { AiaHost } from "./config.js";
export { AiaDevice, AiaIrqChip, aiaDeviceOf } from "./device.js";
export { aiaArchProfile, aiaIrqLine, aiaRoutingContribution } from "./routing-profile.js";
export { AiaGuestDriver, aiaEmulGuestDriver, aiaHwaccelGuestDriver, GUEST_APLIC_BASE, GUEST_IMSIC_BASE, IMSIC_IPI_ID } from "./guest-driver.js";
export { aiaVmState } from "./vm-state.js";
export type { AiaEvents } from "./trace.js";
export { saveAia, restoreAia, validateAiaSnapshot } from "./snapshot.js";
export type { AiaSnapshot, AiaImsicSnapshot } from "./snapshot.js";
export { createAiaModule, aiaModule, aiaHwaccelModule } from "./module.js";
export type { AiaModuleOptions } from "./module.js";
export { aiaModule as default } from "./module.js";
export { aiaFuzzTarget } from "./fuzz-target.js";
