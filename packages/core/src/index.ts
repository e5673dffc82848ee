/**
 * @irqlab/core — the VM model and every contract the other packages share.
 *
 *   createVm({ arch, vcpus, modules })            (inversify container per VM)
 *        |
 *        v
 *   Vm ──┬── vcpus[]: Vcpu ── ext/crit/mcheck lines, ONE_REG table, enableCap
 *        ├── createDevice(type) ──> DeviceContribution.create ──> DeviceBackend
 *        │        DeviceHandle: setAttr / getAttr / hasAttr / mmap / ioctl / close
 *        ├── irqchips: IrqChipRegistry   (what routing injects into)
 *        ├── ackNotifiers                 (controller EOI -> routing -> resamplefd)
 *        ├── memory: GuestMemory, mmio: MmioBus, hcalls: HcallTable, rtas: RtasTable
 *        └── clock: SimClock, tracer: Tracer, exitStats: ExitStats
 *
 * Glossary
 *   KVM    Linux's Kernel-based Virtual Machine; its ioctls are the reference API.
 *   GSI    Global System Interrupt: the number routing maps to controller pins or messages.
 *   MSI    Message Signalled Interrupt: an interrupt raised by a memory write (address, data).
 *   EOI    End Of Interrupt: the guest telling the controller it has handled a source.
 *   ONE_REG  KVM_{GET,SET}_ONE_REG: per-vCPU registers by 64-bit id (controller state words).
 *   MMIO   Memory-mapped I/O: register accesses that trap to the hypervisor.
 *   hcall  PAPR hypercall (POWER guests); RTAS: Run-Time Abstraction Services calls.
 *   errno  Linux error number; thrown here as KvmError at the API boundary.
 */
export * from "./errno.js";
export * from "./kvm-error.js";
export * from "./constants.js";
export * from "./validate.js";
export * from "./uapi.js";
export * from "./clock.js";
export * from "./tracer.js";
export * from "./guest-memory.js";
export * from "./exit-stats.js";
export * from "./mmio-bus.js";
export * from "./guest-calls.js";
export * from "./files.js";
export * from "./teardown.js";
export * from "./routes.js";
export * from "./irqchip.js";
export * from "./vcpu.js";
export * from "./vm-contributions.js";
export * from "./sysregs.js";
export * from "./vcpu-run.js";
export * from "./device.js";
export * from "./guest-driver.js";
export * from "./tokens.js";
export * from "./vm.js";
export * from "./create-vm.js";
export * from "./profile.js";
export * from "./snapshot.js";
/** One copy of inversify for every plugin (pattern 16). */
export { ContainerModule, injectable, inject, multiInject, optional, Container } from "inversify";
export type { ServiceIdentifier } from "inversify";
