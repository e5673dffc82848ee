/**
 * @irqlab/gic — arm64 vGICv3 and ITS as kvm_device backends (spec: shared/spec/gicv3-its.md).
 *
 *   KVM_SIGNAL_MSI / MSI route (doorbell, DeviceID, data = EventID)
 *        │
 *        v
 *   ITS (type 8) ── cache ──> device table ─> ITT ─> ITE { LPI, collection }
 *        │                                               │ collection → vCPU (RDbase)
 *        v                                               v
 *   KVM_IRQ_LINE / IRQCHIP route ──> SPI ──┐     LPI (property table in guest memory)
 *   ICC_SGI1R_EL1 ──> SGI, PPIs ───────────┼──────────┘
 *                                          v
 *            distributor (GICD) + redistributor (GICR) state: per-vCPU ap list
 *                                          │ HPPI, PMR, RPR
 *                                          v
 *            CPU interface (ICC_* system registers): IAR1 → handler → EOIR1 (→ DIR)
 *                                          │ level SPI deactivated
 *                                          v
 *                              ack notifiers → resamplefd
 *
 * Glossary
 *   GIC     Generic Interrupt Controller (Arm); v3 adds affinity routing and system registers.
 *   GICD    distributor: SPI configuration (enable, priority, group, trigger, IROUTER).
 *   GICR    redistributor (one per vCPU): SGI/PPI configuration, LPI tables (PROPBASER/PENDBASER).
 *   ICC     CPU interface system registers (IAR, EOIR, DIR, PMR, BPR, RPR, IGRPEN, SGI1R).
 *   SGI/PPI/SPI/LPI  software-generated (0–15), private peripheral (16–31), shared peripheral
 *           (32–1019) and locality-specific peripheral (≥ 8192, message-based) interrupts.
 *   ITS     Interrupt Translation Service: (DeviceID, EventID) → LPI through guest-memory tables.
 *   ITE/DTE/CTE  ITS translation table entry / device table entry / collection table entry.
 *   ITT     Interrupt Translation Table of one device.
 *   HPPI    highest-priority pending interrupt; PMR priority mask; RPR running priority.
 *   EOImode ICC_CTLR_EL1 bit 1: EOIR only drops priority, DIR deactivates.
 */
export * from "./constants.js";
export { VgicState } from "./vgic.js";
export { GicV3Device, gicOf, iorange } from "./gic-device.js";
export type { GicV3Options, RedistRegion } from "./gic-device.js";
export { Its, CMD, BASER0_RESET, BASER1_RESET } from "./its.js";
export type { Collection, Ite, ItsDevice } from "./its.js";
export { ItsDeviceBackend } from "./its-device.js";
export { arm64Profile, arm64RoutingContribution } from "./arch.js";
export { GicGuestDriver, gicGuestDriver, gicTrappedGuestDriver, GUEST_DIST_BASE, GUEST_REDIST_BASE, GUEST_ITS_BASE } from "./guest-driver.js";
export type { GicGuestDriverOptions } from "./guest-driver.js";
export { gicModule, gicModuleFor, gicV3Contribution, gicV3ContributionWith, itsContribution } from "./module.js";
export { GIC_PROFILES, KVM_QUIRKS, QEMU_72_QUIRKS } from "./quirks.js";
export type { GicQuirks } from "./quirks.js";
export { default } from "./module.js";
export { emit as emitGicEvent } from "./trace.js";
export type { GicEvents } from "./trace.js";
export { saveGic, restoreGic } from "./snapshot.js";
export type { GicSnapshot, ItsSnapshot } from "./snapshot.js";
export { gicFuzzTarget } from "./fuzz-target.js";
