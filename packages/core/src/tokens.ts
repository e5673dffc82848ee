/** DI tokens of the core container (Symbol.for, so every package copy agrees). */
import type { Arch, Endian } from "./constants.js";
import type { Process } from "./files.js";

export const VmOptions = Symbol.for("irqlab.VmOptions");
export interface VmOptions {
  arch: Arch;
  vcpus: number;
  /** Answer every call exactly as that architecture's kernel would (see DESIGN §1). */
  strict: boolean;
  endian: Endian;
  memorySize: number;
  process: Process;
}

/** Services that attach to a VM when it is created (routing binds its GsiRouting here). */
export const VmExtension = Symbol.for("irqlab.VmExtension");
export interface VmExtension {
  /** Name for messages. */
  readonly extensionName: string;
  /** KVM_CHECK_EXTENSION answers this service contributes. */
  extensions?(): Readonly<Record<number, number>>;
}

export const ContainerToken = Symbol.for("irqlab.Container");
export const ClockToken = Symbol.for("irqlab.Clock");
export const TracerToken = Symbol.for("irqlab.Tracer");
export const GuestMemoryToken = Symbol.for("irqlab.GuestMemory");
export const MmioBusToken = Symbol.for("irqlab.MmioBus");
/** The I/O-port bus (x86 IN/OUT), an MmioBus counting port accesses. */
export const PioBusToken = Symbol.for("irqlab.PioBus");
export const HcallTableToken = Symbol.for("irqlab.HcallTable");
export const RtasTableToken = Symbol.for("irqlab.RtasTable");
export const AckNotifiersToken = Symbol.for("irqlab.AckNotifiers");
export const IrqChipRegistryToken = Symbol.for("irqlab.IrqChipRegistry");
export const ExitStatsToken = Symbol.for("irqlab.ExitStats");
