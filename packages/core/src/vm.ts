/**
 * The VM: the composition of vCPUs, guest memory, the MMIO bus, hypercall and RTAS tables,
 * the clock, the tracer, the irqchip registry and ack notifiers, plus the device list of
 * KVM_CREATE_DEVICE. Built by `createVm` (the one composition root); plugins reach it
 * through DeviceCreateContext and never resolve anything from the container on a hot path.
 */
import "reflect-metadata";
import { inject, injectable, multiInject, optional, type Container, type ServiceIdentifier } from "inversify";
import type { SimClock } from "./clock.js";
import {
  KVM_CAP_DEVICE_CTRL,
  KVM_CREATE_DEVICE_TEST,
  KVM_DEV_TYPE_MAX,
  SIZEOF_KVM_CREATE_DEVICE,
  type Arch,
  type Endian,
} from "./constants.js";
import {
  DeviceContribution,
  DeviceHandle,
  KvmDevice,
  openDeviceFile,
} from "./device.js";
import type { ExitStats } from "./exit-stats.js";
import type { Process } from "./files.js";
import type { GuestMemory } from "./guest-memory.js";
import type { HcallTable, RtasTable } from "./guest-calls.js";
import type { AckNotifiers, IrqChipRegistry } from "./irqchip.js";
import { Errno, fail } from "./kvm-error.js";
import type { MmioBus } from "./mmio-bus.js";
import {
  AckNotifiersToken,
  ClockToken,
  ContainerToken,
  ExitStatsToken,
  GuestMemoryToken,
  HcallTableToken,
  IrqChipRegistryToken,
  MmioBusToken,
  PioBusToken,
  RtasTableToken,
  TracerToken,
  VmOptions,
} from "./tokens.js";
import type { Tracer } from "./tracer.js";
import { UapiView, type UserPtr } from "./uapi.js";
import { readStruct, show, u32Arg } from "./validate.js";
import { Vcpu, type CapArg, type VcpuCapHandler } from "./vcpu.js";
import {
  VmContribution,
  capWords,
  type VcpuIoctlHandler,
  type VmCapHandler,
  type VmContributionParts,
  type VmIoctlHandler,
} from "./vm-contributions.js";

export interface CreateDeviceOptions {
  /** KVM_CREATE_DEVICE_TEST: only ask whether the type is supported. */
  test?: boolean;
  /** Raw flags word (a u32, number or bigint); bits other than TEST are ignored, as in KVM. */
  flags?: number | bigint;
}

/** createVm's vCPU limit (MAX_VCPUS), also the bound of createVcpu. */
const VCPU_LIMIT = 1024;

@injectable()
export class Vm {
  readonly arch: Arch;
  readonly endian: Endian;
  readonly strict: boolean;
  readonly process: Process;
  readonly vcpus: readonly Vcpu[];
  /** Devices, most recently created first (the kernel's list order). */
  private devices: KvmDevice[] = [];
  private dead = false;
  private destroyHooks: Array<() => void> = [];
  /** The process a call comes from; `asProcess` makes views with another one. */
  protected caller: Process;
  private readonly byType = new Map<number, DeviceContribution>();
  private readonly caps = new Map<number, VcpuCapHandler>();
  private readonly extensionValues = new Map<number, number>([[KVM_CAP_DEVICE_CTRL, 1]]);
  private readonly vmIoctls = new Map<number, VmIoctlHandler>();
  private readonly vcpuIoctls = new Map<number, VcpuIoctlHandler>();
  private readonly vmCaps = new Map<number, VmCapHandler>();
  private readonly vmContributions: VmContribution[] = [];
  private vcpuListeners: Array<(vcpu: Vcpu) => void> = [];

  constructor(
    @inject(VmOptions) readonly options: VmOptions,
    @inject(ContainerToken) private readonly container: Container,
    @multiInject(DeviceContribution) @optional() contributions: DeviceContribution[] | undefined,
    @inject(ClockToken) readonly clock: SimClock,
    @inject(TracerToken) readonly tracer: Tracer,
    @inject(GuestMemoryToken) readonly memory: GuestMemory,
    @inject(MmioBusToken) readonly mmio: MmioBus,
    @inject(PioBusToken) readonly pio: MmioBus,
    @inject(HcallTableToken) readonly hcalls: HcallTable,
    @inject(RtasTableToken) readonly rtas: RtasTable,
    @inject(AckNotifiersToken) readonly ackNotifiers: AckNotifiers,
    @inject(IrqChipRegistryToken) readonly irqchips: IrqChipRegistry,
    @inject(ExitStatsToken) readonly exitStats: ExitStats,
    @multiInject(VmContribution) @optional() vmContributions: VmContribution[] | undefined,
  ) {
    this.arch = options.arch;
    this.endian = options.endian;
    this.strict = options.strict;
    this.process = options.process;
    this.caller = options.process;
    tracer.attachClock(clock);
    for (const c of contributions ?? []) {
      if (!c.arch.includes(this.arch)) continue;
      for (const t of c.types) {
        // kvm_register_device_ops: a type registered twice is EEXIST, out of table ENOSPC.
        if (t >= KVM_DEV_TYPE_MAX || t < 0) fail(Errno.ENOSPC, `${c.name}: device type ${t} out of range`);
        const prev = this.byType.get(t);
        if (prev && prev !== c) fail(Errno.EEXIST, `device type ${t} registered by ${prev.name} and ${c.name}`);
        this.byType.set(t, c);
      }
      for (const h of c.vcpuCaps ?? []) {
        // Two plugins answering one ENABLE_CAP (e.g. XICS and XICS-on-XIVE, which KVM picks by
        // host): loading both is a configuration error, not a silent override.
        const prev = this.caps.get(h.cap);
        if (prev && prev !== h) fail(Errno.EEXIST, `vCPU capability ${h.cap} is handled by two plugins (${c.name} and another)`);
        this.caps.set(h.cap, h);
      }
      this.addParts(c.name, c);
    }
    for (const c of vmContributions ?? []) {
      if (!c.arch.includes(this.arch)) continue;
      this.addParts(c.name, c);
      this.vmContributions.push(c);
    }
    const vcpus: Vcpu[] = [];
    for (let i = 0; i < options.vcpus; i++) vcpus.push(new Vcpu(this, i));
    this.vcpus = vcpus;
  }

  /** Collects one plugin's VM-level parts; a command claimed by two plugins is EEXIST. */
  private addParts(name: string, p: VmContributionParts): void {
    const claim = <H extends { name: string }>(map: Map<number, H>, key: number, h: H, what: string): void => {
      const prev = map.get(key);
      if (prev && prev !== h) fail(Errno.EEXIST, `${what} ${key} (${h.name}) is handled by two plugins (${name} and another)`);
      map.set(key, h);
    };
    for (const h of p.vmIoctls ?? []) claim(this.vmIoctls, h.cmd >>> 0, h, "VM ioctl");
    for (const h of p.vcpuIoctls ?? []) claim(this.vcpuIoctls, h.cmd >>> 0, h, "vCPU ioctl");
    for (const h of p.vmCaps ?? []) claim(this.vmCaps, h.cap, h, "VM capability");
    for (const [k, v] of Object.entries(p.extensions ?? {})) this.extensionValues.set(Number(k), v);
  }

  /** @internal createVm: runs each VM contribution's `attach` once every service is bound. */
  attachContributions(): void {
    for (const c of this.vmContributions) c.attach?.(this);
  }

  /**
   * A VM ioctl a plugin contributed (KVM_CREATE_IRQCHIP, KVM_GET_IRQCHIP ...), on its UAPI
   * buffer. ENOTTY when no plugin of this architecture handles `cmd` (the kernel's default).
   */
  ioctl(cmd: number, arg: UserPtr = null): number {
    this.checkCaller();
    const h = typeof cmd === "number" ? this.vmIoctls.get(cmd >>> 0) : undefined;
    if (!h || !Number.isInteger(cmd)) fail(Errno.ENOTTY, `VM ioctl ${showCmd(cmd)} is not handled on ${this.arch}`);
    return h.handle(this, arg);
  }

  /** Whether a VM ioctl has a handler (for KVM_CHECK_EXTENSION-style probing in tests). */
  hasIoctl(cmd: number): boolean {
    return this.vmIoctls.has(cmd >>> 0);
  }

  /** @internal the vCPU ioctl handler for `cmd` (Vcpu.ioctl dispatches through it). */
  vcpuIoctl(cmd: number): VcpuIoctlHandler | undefined {
    return this.vcpuIoctls.get(cmd >>> 0);
  }

  /**
   * KVM_ENABLE_CAP on the VM fd (kvm_vm_ioctl_enable_cap): flags are the handler's to check;
   * a capability no plugin handles is EINVAL, as the kernel's default case.
   */
  enableCap(cap: number, args: readonly CapArg[] = [], flags: number | bigint = 0): void {
    this.checkCaller();
    // struct kvm_enable_cap is copied in whole first (EFAULT), then its fields are checked.
    const { c, words, f } = readStruct("KVM_ENABLE_CAP", () => ({
      c: u32Arg(cap, "KVM_ENABLE_CAP cap"),
      words: capWords(args),
      f: u32Arg(flags, "KVM_ENABLE_CAP flags"),
    }));
    const h = this.vmCaps.get(c);
    if (!h) fail(Errno.EINVAL, `capability ${c} cannot be enabled on this ${this.arch} VM`);
    h.enable(this, words, f);
  }

  /**
   * KVM_CREATE_VCPU after the VM was created: appends vCPU number `vcpus.length` (EINVAL past
   * the 1024-vCPU limit of createVm) and tells every `onVcpuCreated` listener, so plugins that
   * keep per-vCPU state (registers every vCPU of the architecture has) can extend it. A device
   * created earlier decides itself what a late vCPU gets (some give it nothing).
   */
  createVcpu(): Vcpu {
    this.checkCaller();
    const list = this.vcpus as Vcpu[];
    if (list.length >= VCPU_LIMIT) fail(Errno.EINVAL, `KVM_CREATE_VCPU: the VM already has ${list.length} vCPUs (limit ${VCPU_LIMIT})`);
    const v = new Vcpu(this, list.length);
    list.push(v);
    for (const l of [...this.vcpuListeners]) l(v);
    return v;
  }

  /** Runs `fn` for every vCPU created later with `createVcpu` (not for the initial ones). */
  onVcpuCreated(fn: (vcpu: Vcpu) => void): () => void {
    this.vcpuListeners.push(fn);
    return () => {
      this.vcpuListeners = this.vcpuListeners.filter((l) => l !== fn);
    };
  }

  /** Resolves a service bound in this VM's container (setup time only, never per interrupt). */
  get<T>(id: ServiceIdentifier<T>): T {
    return this.container.get<T>(id);
  }

  /** Every service bound to `id` (multi-bindings: contributions); [] when none. */
  getAll<T>(id: ServiceIdentifier<T>): T[] {
    return this.container.isBound(id) ? this.container.getAll<T>(id) : [];
  }

  /** Whether a service is bound (e.g. whether the routing module was loaded). */
  has(id: ServiceIdentifier): boolean {
    return this.container.isBound(id);
  }

  vcpu(id: number): Vcpu {
    const v = this.vcpus[id];
    if (!v) fail(Errno.ENOENT, `no vCPU ${id} (VM has ${this.vcpus.length})`);
    return v;
  }

  /** A view of this VM whose calls come from `process` (they fail with EIO, as in KVM). */
  asProcess(process: Process): Vm {
    const view = Object.create(this) as Vm;
    view.caller = process;
    return view;
  }

  /** EIO when the VM is dead or the call comes from another process than the VM's. */
  checkCaller(process: Process = this.caller): void {
    if (this.dead) fail(Errno.EIO, "the VM has been destroyed");
    if (process !== this.process) {
      fail(Errno.EIO, `caller process ${process.pid} is not the VM's process ${this.process.pid}`);
    }
  }

  get destroyed(): boolean {
    return this.dead;
  }

  /** KVM_CHECK_EXTENSION on the VM. Unknown capabilities answer 0. */
  checkExtension(cap: number): number {
    this.checkCaller();
    return this.extensionValues.get(cap) ?? 0;
  }

  /** Lets services (routing) answer KVM_CHECK_EXTENSION for their capabilities. */
  provideExtension(cap: number, value: number): void {
    this.extensionValues.set(cap, value);
  }

  /** @internal the ENABLE_CAP handler for `cap`, if a plugin of this arch contributed one. */
  vcpuCap(cap: number): VcpuCapHandler | undefined {
    return this.caps.get(cap);
  }

  /** Whether KVM_CREATE_DEVICE of `type` has a backend in this VM. */
  supportsDevice(type: number): boolean {
    return this.byType.has(type);
  }

  /** Live devices, most recently created first. */
  deviceList(): readonly KvmDevice[] {
    return this.devices;
  }

  /**
   * KVM_CREATE_DEVICE. With `test` nothing is created and `undefined` is returned.
   * Errors: ENODEV (type 0, >= KVM_DEV_TYPE_MAX, or no backend for this architecture),
   * and whatever the backend's create refuses with (EEXIST, EINVAL ...).
   */
  createDevice(type: number | bigint, opts: CreateDeviceOptions & { test: true }): undefined;
  createDevice(type: number | bigint, opts?: CreateDeviceOptions | null): DeviceHandle;
  createDevice(typeArg: number | bigint, opts: CreateDeviceOptions | null = {}): DeviceHandle | undefined {
    this.checkCaller();
    // The typed struct kvm_create_device: `null` options are the defaults; flags a u32 (EINVAL
    // otherwise, never truncated); a type that is not a u32 names no device (ENODEV).
    const type = u32Arg(typeArg, "device type", Errno.ENODEV);
    const flags = readStruct("KVM_CREATE_DEVICE", () => {
      if (opts === null || opts === undefined) return 0;
      if (typeof opts !== "object") fail(Errno.EFAULT, `KVM_CREATE_DEVICE options ${show(opts)} are not readable`);
      const f = opts.flags === undefined ? 0 : u32Arg(opts.flags, "KVM_CREATE_DEVICE flags");
      return (f | (opts.test ? KVM_CREATE_DEVICE_TEST : 0)) >>> 0;
    });
    if (type >= KVM_DEV_TYPE_MAX) fail(Errno.ENODEV, `device type ${type} >= KVM_DEV_TYPE_MAX (${KVM_DEV_TYPE_MAX})`);
    const contribution = this.byType.get(type);
    if (!contribution) fail(Errno.ENODEV, `no backend for device type ${type} on ${this.arch}`);
    if (flags & KVM_CREATE_DEVICE_TEST) return undefined;

    const device = new KvmDevice(this, type, contribution);
    device.backend = contribution.create({ vm: this, type, device });
    this.devices.unshift(device);
    device.backend.init?.();
    return this.process.install(openDeviceFile(device), (p, fd, f) => new DeviceHandle(p, fd, f));
  }

  /**
   * KVM_CREATE_DEVICE on the 12-byte struct kvm_create_device in `arg`: reads type and
   * flags, writes the new descriptor into `fd` (left untouched for TEST). Returns 0 or the
   * new handle.
   */
  createDeviceIoctl(arg: UserPtr): DeviceHandle | 0 {
    this.checkCaller();
    const v = new UapiView(arg, SIZEOF_KVM_CREATE_DEVICE, this.endian, "struct kvm_create_device");
    const handle = this.createDevice(v.u32(0), { flags: v.u32(8) });
    if (!handle) return 0;
    v.setU32(4, handle.fd);
    return handle;
  }

  /** @internal the device's descriptor was closed and its backend has `release`. */
  unlinkDevice(device: KvmDevice): void {
    this.devices = this.devices.filter((d) => d !== device);
  }

  /** Runs `fn` when the VM is destroyed, before its devices are (services release irqfds here). */
  onDestroy(fn: () => void): void {
    this.destroyHooks.push(fn);
  }

  /**
   * Destroys the VM: every device still on the list is destroyed in list order (most
   * recent first); afterwards every call on the VM or its devices is EIO.
   */
  destroy(): void {
    if (this.dead) return;
    // kvm_vm_release: services (irqfds) shut down first, then the devices go.
    const hooks = this.destroyHooks;
    this.destroyHooks = [];
    for (const h of hooks) h();
    const list = this.devices;
    this.devices = [];
    for (const d of list) {
      d.alive = false;
      d.backend.destroy?.();
    }
    this.dead = true;
  }
}

function showCmd(cmd: unknown): string {
  return typeof cmd === "number" && Number.isInteger(cmd) ? `0x${(cmd >>> 0).toString(16)}` : String(cmd);
}
