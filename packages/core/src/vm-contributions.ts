/**
 * Extension points beyond KVM_CREATE_DEVICE: what a plugin adds to a VM when its controller
 * lives behind VM or vCPU ioctls (x86's KVM_CREATE_IRQCHIP, KVM_GET/SET_LAPIC), a VM
 * capability (KVM_ENABLE_CAP on the VM fd), an I/O port or a CPU system register.
 *
 *   plugin module ──bind(VmContribution)──> { vmIoctls, vcpuIoctls, vmCaps, extensions, attach }
 *        |                                          |
 *        |  (a DeviceContribution may carry the same fields)
 *        v                                          v
 *   vm.ioctl(cmd, arg) ──> VmIoctlHandler     vcpu.ioctl(cmd, arg) ──> VcpuIoctlHandler
 *   vm.enableCap(cap, args) ──> VmCapHandler  KVM_CHECK_EXTENSION ──> extensions
 *   vcpu.pioRead/pioWrite ──> vm.pio (an I/O-port bus: each access an exit)
 *   vcpu.sysregRead/Write ──> vcpu.sysregs (trapped: an exit; direct: no exit)
 *
 * Core dispatches by number and knows no controller: a command nobody contributed answers as
 * the kernel's ioctl switch does (ENOTTY for an ioctl, EINVAL for a capability).
 */
import type { Arch } from "./constants.js";
import { FileHandle } from "./files.js";
import { arrayArg, s64OrU64Arg } from "./validate.js";
import type { UserPtr } from "./uapi.js";
import type { Vcpu, CapArg } from "./vcpu.js";
import type { Vm } from "./vm.js";

/** One VM ioctl (the `cmd` number as the kernel's switch compares it). */
export interface VmIoctlHandler {
  readonly cmd: number;
  /** "KVM_CREATE_IRQCHIP", for messages and `dumpState`. */
  readonly name: string;
  /** The ioctl: returns its non-negative result or throws a KvmError (the -errno). */
  handle(vm: Vm, arg: UserPtr): number;
}

/** One vCPU ioctl (KVM_GET_LAPIC ...). */
export interface VcpuIoctlHandler {
  readonly cmd: number;
  readonly name: string;
  handle(vcpu: Vcpu, arg: UserPtr): number;
}

/** KVM_ENABLE_CAP on the VM fd (kvm_vm_ioctl_enable_cap): `args` are the four u64 words. */
export interface VmCapHandler {
  readonly cap: number;
  readonly name: string;
  /** Enables the capability or throws a KvmError (EINVAL, EEXIST ...) and changes nothing. */
  enable(vm: Vm, args: readonly bigint[], flags: number): void;
}

/** What a plugin contributes to a VM; a DeviceContribution may carry the same parts. */
export interface VmContributionParts {
  readonly vmIoctls?: readonly VmIoctlHandler[];
  readonly vcpuIoctls?: readonly VcpuIoctlHandler[];
  readonly vmCaps?: readonly VmCapHandler[];
  /** KVM_CHECK_EXTENSION answers this plugin contributes. */
  readonly extensions?: Readonly<Record<number, number>>;
}

/** Symbol + interface of one name: VM-level parts with no device behind them. */
export const VmContribution = Symbol.for("irqlab.VmContribution");
export interface VmContribution extends VmContributionParts {
  readonly name: string;
  readonly arch: readonly Arch[];
  /** Runs once when a VM of a matching arch is created, after every service is bound. */
  attach?(vm: Vm): void;
}

/**
 * A CPU system register or CSR as the guest reaches it (arm64 ICC_* registers, RISC-V
 * IMSIC CSRs). `trapped` says what an access costs: an exit (software CPU interface) or
 * nothing (hardware-virtualised interface); the plugin chooses, e.g. from an option.
 * Values are numbers up to 2^53; `write` also takes a bigint for 64-bit registers whose high
 * bits matter (ICC_SGI1R_EL1's affinity 3).
 */
export interface Sysreg {
  readonly name: string;
  readonly trapped: boolean;
  read(vcpu: Vcpu): number;
  write(vcpu: Vcpu, value: number | bigint): void;
}

/** What a read of an unimplemented system register returns (the access is also counted). */
export const SYSREG_UNIMPLEMENTED = 0;

/**
 * The four u64 argument words of a KVM_ENABLE_CAP (struct kvm_enable_cap.args): numbers or
 * bigints (negative ones sign-extend, as C's int fds do) or handles (their descriptor number).
 * An args value that is not an array is EFAULT, a word that is not an integer EINVAL
 * (validate.ts). Run it inside `readStruct` so a throwing getter is EFAULT too.
 */
export function capWords(args: readonly CapArg[]): bigint[] {
  const list = arrayArg(args, "KVM_ENABLE_CAP args");
  const words: bigint[] = [0n, 0n, 0n, 0n];
  for (let i = 0; i < 4 && i < list.length; i++) {
    const a = list[i];
    words[i] = a instanceof FileHandle ? BigInt(a.fd) : s64OrU64Arg(a, `KVM_ENABLE_CAP args[${i}]`);
  }
  return words;
}
