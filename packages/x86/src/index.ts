/**
 * @irqlab/x86 — KVM's x86 in-kernel irqchip as a plugin: the 8259A PIC pair, the IOAPIC and
 * LAPIC delivery (arch/x86/kvm/{i8259,ioapic,lapic,irq}.c; spec: shared/spec/x86-irqchip.md).
 *
 *   GSI routing (irqchip 0/1/2, MSI)            KVM_SIGNAL_MSI, MSI routes, irqfd
 *      │ IRQCHIP 0/1           │ IRQCHIP 2                │
 *      v                       v                          v
 *   i8259 master <- slave   IOAPIC (24 RTEs) ── message ──> APIC bus: map, then scan
 *   (ports 0x20/0xa0,       (0xfec00000)                    │ accept: IRR/TMR, NMI, INIT...
 *    ELCR 0x4d0)               ^  Remote IRR, re-delivery    v
 *      │ output                │                          LAPIC (0xfee00000, per vCPU)
 *      └──> ExtINT (LINT0) ────┼───────────────────────> vCPU: ack IRR->ISR, PPR
 *                              │                            │ EOI (0xb0)
 *   ack notifiers <── OCW2 EOI │<── IOAPIC-handled vector ──┘
 *   (resamplefd)  <────────────┘
 *
 * Glossary
 *   PIC    8259A programmable interrupt controller (two cascaded: master pins 0-7, slave 8-15).
 *   ICW/OCW  initialization / operation command words written to the PIC's ports.
 *   IRR/ISR/IMR  interrupt request / in-service / mask registers; ELCR edge/level control.
 *   AEOI   automatic end of interrupt (ICW4); SFNM special fully nested mode.
 *   IOAPIC I/O APIC: redirection table entries (RTE) turn pins into APIC messages.
 *   LAPIC  local APIC of a vCPU; TPR/PPR task/processor priority; SVR spurious vector register
 *          (bit 8 software enable); TMR trigger mode register; LVT local vector table.
 *   ExtINT delivery mode 7: the vector comes from the PIC's INTA cycle.
 *   MSI    message signalled interrupt (address 0xfee0_0000 + dest << 12, data = vector | mode).
 *   RTC    IOAPIC pin 8, whose KVM_IRQ_LINE_STATUS injections are coalesced until EOI.
 *   APICv  hardware virtual-interrupt delivery (edge EOIs complete without an exit).
 */
export * from "./constants.js";
export { I8259Pair } from "./i8259.js";
export { Ioapic, RTE_MASK, RTE_LEVEL, RTE_REMOTE_IRR, RTE_LOGICAL } from "./ioapic.js";
export { Lapic } from "./lapic.js";
export { X86Irqchip, x86Of, defaultRouting } from "./x86-irqchip.js";
export type { IoapicEoiExit } from "./x86-irqchip.js";
export * from "./structs.js";
export { dumpX86 } from "./dump.js";
export { X86GuestDriver, X86_IPI_VECTOR } from "./guest-driver.js";
export { x86Module, x86KernelIrqchipModule, x86RoutingProfile } from "./module.js";
export type { X86ModuleOptions } from "./module.js";
export type { X86Events } from "./trace.js";
export { x86KernelIrqchipModule as default } from "./module.js";
export { saveX86, restoreX86 } from "./snapshot.js";
export type { X86Snapshot } from "./snapshot.js";
