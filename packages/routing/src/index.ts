/**
 * @irqlab/routing — KVM's generic interrupt plumbing: the GSI routing table, KVM_IRQ_LINE,
 * KVM_SIGNAL_MSI, eventfds, irqfd (with resample) and ioeventfd, modelled after
 * virt/kvm/irqchip.c and virt/kvm/eventfd.c (spec: shared/spec/routing-irqfd.md).
 *
 *   device model / experiment
 *      │ EventFd.write()       irqLine(gsi, level)        signalMsi(msg)
 *      │ (worker: EventFdSignaller.signal + pollEventfds)       │
 *      v                             │                          │
 *    irqfd ───────> RoutingTable: first[gsi].. -> route slots ─────┐
 *      ^                 │ fan-out, results summed              (MSI controller)
 *      │                 v                                          v
 *      │     IrqChip.setIrq(pin, level, src) | deliverMsi(msg) | deliverAdapter(route)
 *      │                 │  (controller plugin: XICS, XIVE, MPIC, FLIC)
 *      │                 v
 *      │           guest EOI ──> vm.ackNotifiers.notify(chip, pin)
 *      │                 │  reverse map (irqchip, pin) -> gsi
 *      └── resamplefd <──┘  Resampler: de-assert (source 1), signal every resamplefd
 *
 *   guest MMIO store ──> ioeventfd ──> EventFd.signal(1)
 *
 * Glossary
 *   GSI       Global System Interrupt: the number the routing table maps to routes.
 *   route     one table entry: an irqchip pin (IRQCHIP), a message (MSI), an s390 adapter.
 *   irqchip   KVM's number for an in-kernel controller in IRQCHIP routes (IrqChip.index).
 *   MSI       Message Signalled Interrupt (address, data [, devid]).
 *   eventfd   a kernel counter behind a file descriptor (eventfd(2)).
 *   irqfd     an eventfd bound to a GSI: signalling it injects the GSI (KVM_IRQFD).
 *   resample  level-triggered irqfd: the line is held until the guest's EOI, then dropped and
 *             the resamplefd signalled (KVM_IRQFD_FLAG_RESAMPLE).
 *   ioeventfd a guest write to an address signals an eventfd instead of exiting (KVM_IOEVENTFD).
 *   EOI/ack   End Of Interrupt: the guest's acknowledgement that drives ack notifiers.
 *   source id the injector's identity on a line (0 = userspace and plain irqfds, 1 = resamplers).
 *   book3s    POWER server KVM (XICS/XIVE): no routing table, GSI n is source n.
 *   e500      PowerPC Book E KVM with the FSL MPIC (ppc-booke).
 *   FLIC      s390 floating interrupt controller; adapter routes set indicator bits.
 *   strict    VM option: answer every call exactly as that architecture's kernel would.
 */
export { routingModule, routingModule as default } from "./module.js";
export { GsiRouting } from "./gsi-routing.js";
export type { AckNotifier, EventFdRef, IrqfdArgs, IrqfdInfo } from "./gsi-routing.js";
export { EventFd, EventFdFile } from "./eventfd.js";
export type { EventFdListener, EventFdWaiter } from "./eventfd.js";
export { EventFdSignaller, isEventFdShareable } from "./eventfd-signaller.js";
export type { EventFdShareable } from "./eventfd-signaller.js";
export { archProfile, genericArchProfile, ArchRoutingContribution, GENERIC_IRQCHIP_PINS } from "./arch-profile.js";
export type { ArchProfile } from "./arch-profile.js";
export { RoutingTable, CompiledRoute } from "./routing-table.js";
export type { ChipResolver } from "./routing-table.js";
export type { IoeventfdArgs, IoeventfdBusName } from "./ioeventfd.js";
export { GsiAllocator, MaskableIrqfd } from "./msi-vectors.js";
export type { RoutingEvents } from "./trace.js";
export * from "./constants.js";
export {
  encodeRoutingEntry,
  decodeRoutingEntry,
  encodeIrqRouting,
  decodeIrqRouting,
  decodeIrqRoutingHeader,
  decodeIrqRoutingEntries,
} from "./routing-entry-codec.js";
export type { AnyRoutingEntry } from "./routing-entry-codec.js";
export {
  encodeIrqLevel,
  decodeIrqLevel,
  decodeIrqLevelStatus,
  encodeMsi,
  decodeMsi,
  encodeIrqfd,
  decodeIrqfd,
  encodeIoeventfd,
  decodeIoeventfd,
} from "./uapi-structs.js";
export type { IrqLevel, MsiArg, IrqfdStruct, IoeventfdStruct } from "./uapi-structs.js";
export { RecordingChip, recordingChipModule, ADAPTER_ROUTE_TYPES } from "./testing/recording-chip.js";
export type { RecordedCall, RecordingChipOptions, RecordingChipBackend, ResultFn } from "./testing/recording-chip.js";
/** Route types, source ids and the MSI flag live in core; re-exported for convenience. */
export {
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_IRQ_ROUTING_S390_ADAPTER,
  KVM_IRQ_ROUTING_HV_SINT,
  KVM_IRQ_ROUTING_XEN_EVTCHN,
  KVM_MSI_VALID_DEVID,
  KVM_USERSPACE_IRQ_SOURCE_ID,
  KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID,
} from "@irqlab/core";
export { createRoutingTestVm, irqchipRoute, msiRoute, adapterRoute } from "./testing/fixtures.js";
export type { RoutingTestVm, RoutingTestVmOptions } from "./testing/fixtures.js";
