/**
 * __PACKAGE__ — toy8, an 8-pin interrupt controller plugin for irqlab (scaffolded by
 * `irqlab new-controller toy8`; replace the model with your hardware's, keep the contracts).
 *
 *   routing ──IrqChip.setIrq(pin, level)──> Toy8Controller: pins 0..7 (typed arrays)
 *                                              │ presentable: pending & enabled & !in-service
 *                                              v
 *   vcpu.ext line <── updateLine ──────────────┘
 *        │
 *   guest driver: ACK read (MMIO exit) -> handler -> EOI write (MMIO exit)
 *        └─ EOI of a level pin -> vm.ackNotifiers.notify(chip, pin) -> resamplefd
 *
 *   KVM_CREATE_DEVICE(KVM_DEV_TYPE_TOY8) -> Toy8Device: attributes ADDR / SOURCE,
 *   ONE_REG KVM_REG_TOY8_CPU_STATE, dumpState(), counters()
 *
 * Glossary
 *   IRQ    interrupt request; a pin is one input line of the controller.
 *   GSI    Global System Interrupt: the routing table's input number (routed to a pin).
 *   ACK    acknowledge: the guest claims the interrupt it will handle.
 *   EOI    End Of Interrupt: the guest is done with it (level pins: resample).
 *   IPI    Inter-Processor Interrupt.
 *   MMIO   memory-mapped I/O: a register access that traps (a guest exit).
 *   ONE_REG  KVM_{GET,SET}_ONE_REG: per-vCPU state words by 64-bit id.
 */
export * from "./constants.js";
export { Toy8Controller, type Toy8Events } from "./controller.js";
export { Toy8IrqChip, TOY8_IRQCHIP_INDEX } from "./irqchip.js";
export { Toy8Device } from "./device.js";
export { Toy8GuestDriver, toy8GuestDriverContribution, TOY8_GUEST_BASE } from "./guest-driver.js";
export { toy8DeviceContribution, toy8Module } from "./module.js";
export { toy8Module as default } from "./module.js";
