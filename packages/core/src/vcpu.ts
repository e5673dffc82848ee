/**
 * A virtual CPU as interrupt controllers see it: interrupt input lines (external, critical,
 * machine check), a ONE_REG table controllers register their per-vCPU state words into
 * (KVM_REG_PPC_ICP_STATE, KVM_REG_PPC_VP_STATE ...), `enableCap` for attaching the vCPU to a
 * controller device (KVM_ENABLE_CAP on the vCPU fd), and result registers for hypercalls.
 */
import { oneRegSize } from "./constants.js";
import type { KvmDevice } from "./device.js";
import { FileHandle } from "./files.js";
import { Errno, fail } from "./kvm-error.js";
import { UapiView, type UserPtr } from "./uapi.js";
import { readStruct, show, u32Arg, u64Arg } from "./validate.js";
import type { Vm } from "./vm.js";
import { SysregTable } from "./sysregs.js";
import { capWords } from "./vm-contributions.js";

export type LineListener = (asserted: boolean) => void;

/** An interrupt input of a vCPU. Listeners run on every change of level. */
export class InterruptLine {
  asserted = false;
  /** Number of low-to-high transitions. */
  raises = 0;
  private listeners: LineListener[] = [];

  constructor(readonly name: string) {}

  set(level: boolean): void {
    if (level === this.asserted) return;
    this.asserted = level;
    if (level) this.raises++;
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i](level);
  }

  assert(): void {
    this.set(true);
  }

  deassert(): void {
    this.set(false);
  }

  onChange(fn: LineListener): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }
}

export interface OneReg {
  /** Human name for messages ("KVM_REG_PPC_ICP_STATE"). */
  readonly name: string;
  get(): bigint;
  /** Validates and stores; throws KvmError (EINVAL ...) and changes nothing on bad input. */
  set(value: bigint): void;
}

/** KVM_GET_ONE_REG / KVM_SET_ONE_REG of one vCPU. Unknown ids are ENOENT, as in KVM. */
export class OneRegTable {
  private regs = new Map<bigint, OneReg>();

  register(id: bigint, reg: OneReg): void {
    if (this.regs.has(id)) fail(Errno.EEXIST, `ONE_REG 0x${id.toString(16)} is registered`);
    this.regs.set(id, reg);
  }

  unregister(id: bigint): void {
    this.regs.delete(id);
  }

  ids(): bigint[] {
    return [...this.regs.keys()];
  }

  /** The register of `id` (a u64, number or bigint): EINVAL when `id` is not a u64, ENOENT when unknown. */
  lookup(id: bigint | number): OneReg {
    const k = u64Arg(id, "ONE_REG id");
    const r = this.regs.get(k);
    if (!r) fail(Errno.ENOENT, `ONE_REG id 0x${k.toString(16)} is not known to this vCPU`);
    return r;
  }
}

/** What `enableCap` dispatches to; registered by controller plugins (see DeviceContribution). */
export interface VcpuCapHandler {
  readonly cap: number;
  /** Checks that run before the descriptor is resolved to a device (XIVE: host support -> ENXIO). */
  precheck?(vcpu: Vcpu): void;
  /** The backend connect function: its own checks in its own order, then attach. */
  connect(vcpu: Vcpu, device: KvmDevice, args: readonly bigint[]): void;
}

export type CapArg = number | bigint | FileHandle;

export class Vcpu {
  readonly ext = new InterruptLine("ext");
  readonly crit = new InterruptLine("crit");
  readonly mcheck = new InterruptLine("mcheck");
  readonly oneReg = new OneRegTable();
  /** Hypercall results r4.. (written by handlers, read by the guest driver). */
  readonly hret = new Float64Array(8);
  /** System registers / CSRs the attached controller implements (arm64 ICC_*, RISC-V). */
  readonly sysregs: SysregTable;
  /** Controller this vCPU is attached to ("xics", "mpic" ...), or null. */
  irqchipKind: string | null = null;
  /** The attached controller's per-vCPU object (kernel: vcpu->arch.icp / .mpic / .xive_vcpu). */
  irqchipState: unknown = null;
  /** The attached controller's CPU/server number. */
  irqchipCpu = -1;

  constructor(
    readonly vm: Vm,
    readonly id: number,
  ) {
    this.sysregs = new SysregTable(this, vm.exitStats);
  }

  /** Marks this vCPU attached (EBUSY if it already is): call from a connect function. */
  attachIrqchip(kind: string, cpu: number, state: unknown): void {
    if (this.irqchipKind !== null) fail(Errno.EBUSY, `vCPU ${this.id} is already attached to ${this.irqchipKind}`);
    this.irqchipKind = kind;
    this.irqchipCpu = cpu;
    this.irqchipState = state;
  }

  detachIrqchip(): void {
    this.irqchipKind = null;
    this.irqchipCpu = -1;
    this.irqchipState = null;
  }

  /**
   * KVM_ENABLE_CAP on this vCPU. `args[0]` is a device descriptor (number or handle),
   * `args[1]` the controller-side CPU number. Order of checks as in arch/powerpc/kvm/powerpc.c.
   */
  enableCap(cap: number | bigint, args: readonly CapArg[] = [], flags: number | bigint = 0): void {
    this.vm.checkCaller();
    // struct kvm_enable_cap is copied in whole first: an unreadable args array is EFAULT, a
    // field that is not its C integer EINVAL (validate.ts), before any capability check.
    const { c, words, fdArg } = readStruct("KVM_ENABLE_CAP", () => {
      const words = capWords(args);
      return { c: u32Arg(cap, "KVM_ENABLE_CAP cap"), words, fdArg: (args as readonly CapArg[])[0] };
    });
    if (flags !== 0 && flags !== 0n) fail(Errno.EINVAL, `KVM_ENABLE_CAP flags ${show(flags)} (must be 0)`);
    const handler = this.vm.vcpuCap(c);
    if (!handler) fail(Errno.EINVAL, `capability ${c} cannot be enabled on a vCPU of this ${this.vm.arch} VM`);
    // A handle passed directly must still be open; a number is looked up like fdget().
    if (fdArg instanceof FileHandle && fdArg.closed) fail(Errno.EBADF, `descriptor ${fdArg.fd} is closed`);
    // A handle is checked as its descriptor is: one of another process is not open here.
    if (fdArg instanceof FileHandle && fdArg.process !== this.vm.process) {
      fail(Errno.EBADF, `descriptor ${fdArg.fd} belongs to process ${fdArg.process.pid}, not the VM's`);
    }
    const fd = Number(BigInt.asIntN(32, words[0]));
    const file = this.vm.process.get(fd);
    handler.precheck?.(this);
    const device = (file as unknown as { kvmDevice?: KvmDevice }).kvmDevice;
    if (!device) fail(Errno.EPERM, `descriptor ${fd} (${file.file.kind}) is not a KVM device`);
    // Every connect function starts with `if (dev->kvm != vcpu->kvm) return -EPERM` (xics,
    // xive, mpic connect_vcpu): a device of another VM in the same process is refused.
    if (device.vm !== this.vm) fail(Errno.EPERM, `descriptor ${fd} is a device of another VM`);
    handler.connect(this, device, words);
  }

  /** KVM_GET_ONE_REG: writes the register into `addr` (its size from the id). */
  getOneReg(id: bigint | number, addr: UserPtr | ArrayBufferView): void {
    const reg = this.oneReg.lookup(id);
    const size = oneRegSize(BigInt(id));
    // KVM reads the register first, then copies it out: the register's own errors come first.
    const value = reg.get();
    const v = new UapiView(addr, size, this.vm.endian, `ONE_REG ${reg.name}`);
    if (size === 8) v.setU64(0, value);
    else if (size === 4) v.setU32(0, Number(value & 0xffffffffn));
    else if (size === 16) {
      // A 128-bit register is two u64 words in memory order (word 0 first), as KVM's
      // union kvmppc_one_reg stores vsxval[0..1] / the XIVE VP state.
      v.setU64(0, value >> 64n);
      v.setU64(8, value & 0xffffffffffffffffn);
    } else fail(Errno.EINVAL, `ONE_REG ${reg.name}: size ${size} not supported`);
  }

  /** KVM_SET_ONE_REG: reads the register from `addr`. */
  setOneReg(id: bigint | number, addr: UserPtr | ArrayBufferView): void {
    const reg = this.oneReg.lookup(id);
    const size = oneRegSize(BigInt(id));
    const v = new UapiView(addr, size, this.vm.endian, `ONE_REG ${reg.name}`);
    if (size === 8) reg.set(v.u64(0));
    else if (size === 4) reg.set(BigInt(v.u32(0)));
    else if (size === 16) reg.set((v.u64(0) << 64n) | v.u64(8));
    else fail(Errno.EINVAL, `ONE_REG ${reg.name}: size ${size} not supported`);
  }

  /** Typed convenience over get/setOneReg (the value as one bigint: up to 128 bits). */
  getOneRegU64(id: bigint | number): bigint {
    return this.oneReg.lookup(id).get();
  }

  /** `value` a u64 (number or bigint): EINVAL otherwise, never wrapped. */
  setOneRegU64(id: bigint | number, value: bigint | number): void {
    const reg = this.oneReg.lookup(id);
    reg.set(u64Arg(value, `ONE_REG ${reg.name} value`));
  }

  /** 128-bit registers (KVM_REG_PPC_VP_STATE): word 0 in the high 64 bits. */
  setOneRegU128(id: bigint | number, value: bigint | number): void {
    const reg = this.oneReg.lookup(id);
    const v = typeof value === "bigint" ? value : typeof value === "number" && Number.isInteger(value) ? BigInt(value) : -1n;
    if (v < 0n || v >> 128n !== 0n) fail(Errno.EINVAL, `ONE_REG ${reg.name} value ${show(value)} is not a u128`);
    reg.set(v);
  }

  /** A hypercall from this vCPU (a guest exit), arguments in r4..r11. */
  hcall(
    opcode: number | bigint,
    a0: number | bigint = 0,
    a1: number | bigint = 0,
    a2: number | bigint = 0,
    a3: number | bigint = 0,
    a4: number | bigint = 0,
    a5: number | bigint = 0,
    a6: number | bigint = 0,
    a7: number | bigint = 0,
  ): number {
    return this.vm.hcalls.call(this, opcode, a0, a1, a2, a3, a4, a5, a6, a7);
  }

  /** A trapped MMIO load by this vCPU (the region sees which vCPU accessed it). */
  mmioRead(addr: number, size: number): number {
    return this.vm.mmio.read(addr, size, this);
  }

  /** A trapped MMIO store by this vCPU. */
  mmioWrite(addr: number, size: number, value: number): void {
    this.vm.mmio.write(addr, size, value, this);
  }

  /** An I/O-port load by this vCPU (x86 IN: an exit). */
  pioRead(port: number, size: number): number {
    return this.vm.pio.read(port, size, this);
  }

  /** An I/O-port store by this vCPU (x86 OUT). */
  pioWrite(port: number, size: number, value: number): void {
    this.vm.pio.write(port, size, value, this);
  }

  /** A system-register / CSR read by guest code on this vCPU (MRS, csrr). */
  sysregRead(id: number): number {
    return this.sysregs.read(id);
  }

  /** A system-register / CSR write by guest code on this vCPU (MSR, csrw). */
  sysregWrite(id: number, value: number | bigint): void {
    this.sysregs.write(id, value);
  }

  /**
   * A vCPU ioctl a plugin contributed (KVM_GET_LAPIC, KVM_INTERRUPT ...) on its UAPI buffer;
   * ENOTTY when no plugin handles `cmd`.
   */
  ioctl(cmd: number, arg: UserPtr = null): number {
    this.vm.checkCaller();
    const h = typeof cmd === "number" && Number.isInteger(cmd) ? this.vm.vcpuIoctl(cmd) : undefined;
    if (!h) fail(Errno.ENOTTY, `vCPU ioctl ${String(cmd)} is not handled on ${this.vm.arch}`);
    return h.handle(this, arg);
  }

  /** An RTAS call from this vCPU; returns the return words (status first). */
  rtas(name: string, args: readonly (number | bigint)[] | null, nret: number | bigint = 1): number[] {
    return this.vm.rtas.call(this, name, args, nret);
  }
}
