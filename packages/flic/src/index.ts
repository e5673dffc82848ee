/**
 * @irqlab/flic — the s390 floating interrupt controller (KVM_DEV_TYPE_FLIC) and the interrupt
 * state s390 KVM keeps per VM: per-ISC floating queues, I/O adapters, adapter routes and AIS.
 *
 *   ENQUEUE / KVM_S390_INTERRUPT / AIRQ_INJECT        S390_ADAPTER route (irqfd, routing)
 *          |                                              |  set_adapter_int: indicator bit,
 *          |                                              |  summary bit (guest memory),
 *          |                       adapters[64] ----------+  masked? AIS (simm/nimm per ISC)
 *          v                                              v
 *   floating state: pending classes + FIFOs  ISC0..ISC7 | PFAULT_DONE | VIRTIO
 *                   + merged slots           SERVICE(+event) | repressible MCHK
 *          |   every vCPU re-evaluates (the "kick"): PSW masks, CR0, CR6 ISC mask, CR14
 *          v
 *   vCPU  ext line (EXT or I/O deliverable) / mcheck line  --> deliver(): highest class first,
 *         + local EMERGENCY (SIGP emergency signal = IPI)       oldest entry of that class
 *          |
 *   guest driver: I/O adapter interruption -> summary bit (test+clear) -> indicator bits -> handler
 *
 *   GET_ALL_IRQS (ENOMEM if the buffer is short) <-> ENQUEUE: save/restore of the whole list.
 *
 * Glossary
 *   FLIC   Floating Interrupt Controller: the KVM device fronting the VM's floating interrupts.
 *   ISC    Interruption SubClass (0..7) of an I/O interruption; CR6 enables each, ISC 0 first.
 *   AI     Adapter Interruption: an I/O interruption without a subchannel, raised by an adapter.
 *   AIS    Adapter-Interruption Suppression (facility 72): per-ISC ALL / SINGLE / NO modes.
 *   simm/nimm  single-interruption-mode / no-interruption-mode masks (bit 0x80 >> isc).
 *   GISA   Guest Interruption State Area (hardware AI delivery); not modelled (GISA-less VM).
 *   PSW    Program Status Word: its I/O, external and machine-check masks gate interruptions.
 *   CR0/CR6/CR14  control registers: external subclass masks / I/O ISC mask / machine-check
 *          subclass mask.
 *   SCLP   Service-Call Logical Processor: its service signal (ext code 0x2401) is floating.
 *   SCCB   Service-Call Control Block: the address the service-signal parameter carries.
 *   SIGP   Signal Processor: the s390 IPI instruction (emergency signal, external call).
 *   APF    Asynchronous Page Faults (pfault init/done notifications).
 *   MCHK   Machine check; CRW = channel report word (the repressible, floating kind).
 */
export * from "./constants.js";
export * from "./structs.js";
export {
  IRQ_PEND_COUNT,
  IRQ_PEND_EXT_EMERGENCY,
  IRQ_PEND_EXT_MASK,
  IRQ_PEND_EXT_SERVICE,
  IRQ_PEND_EXT_SERVICE_EV,
  IRQ_PEND_FLOATING_MASK,
  IRQ_PEND_IO_ISC_0,
  IRQ_PEND_IO_ISC_7,
  IRQ_PEND_IO_MASK,
  IRQ_PEND_MCHK_MASK,
  IRQ_PEND_MCHK_REP,
  IRQ_PEND_PFAULT_DONE,
  IRQ_PEND_VIRTIO,
  className,
  classNames,
  deliverableClasses,
  enabledClasses,
  highestClass,
  iscToIrqType,
  irqTypeToIsc,
  type VcpuEnablement,
} from "./priority.js";
export { aisAfterInjection, aisModeName, aisSetMode, aisSuppresses, type AisState } from "./ais.js";
export { indicatorByte, indicatorMsb0Bit, kernelIndicatorBit, PAGE_SIZE, type AdapterInfo } from "./adapters.js";
export { DeliveredIrq, type DeliveredKind, type VcpuControl, type VcpuControlState } from "./vcpu-state.js";
export { S390Interrupts, S390InterruptsToken, ADAPTER_IO_TYPE, type S390InterruptsOptions } from "./s390-interrupts.js";
export { FlicDevice } from "./flic-device.js";
export { FlicIrqChip } from "./flic-irqchip.js";
export { enableS390Cap, kvmS390Interrupt, s390InterruptsOf } from "./s390-vm.js";
export {
  FLIC_SNAPSHOT_VERSION,
  getAllIrqs,
  restoreFlic,
  saveFlic,
  type FlicSnapshot,
  type FlicVcpuSnapshot,
} from "./snapshot.js";
export {
  DRIVER_INDICATOR_BASE,
  DRIVER_ISC,
  DRIVER_SUMMARY_PAGE,
  FlicGuestDriver,
  flicGuestDriverContribution,
  SOURCES_PER_ADAPTER,
} from "./guest-driver.js";
export { type FlicEvents } from "./trace.js";
export { createFlicModule, flicDeviceContribution, type FlicModuleOptions } from "./module.js";
export { default } from "./module.js";
export { flicFuzzTarget } from "./fuzz-target.js";
