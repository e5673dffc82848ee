/**
 * The device-control API (KVM_CREATE_DEVICE, KVM_{SET,GET,HAS}_DEVICE_ATTR, device mmap).
 * A controller plugin contributes a `DeviceContribution` (type numbers, architectures,
 * factory); the factory returns a `DeviceBackend` (kvm_device_ops). The generic layer only
 * dispatches and maps missing callbacks to fixed errnos (device-api.md §4):
 * missing accessor -> EPERM (before the argument is read), unreadable argument -> EFAULT,
 * unknown ioctl -> ENOTTY, missing mmap -> ENODEV; backend results pass through unchanged.
 */
import type { Arch } from "./constants.js";
import {
  KVM_GET_DEVICE_ATTR,
  KVM_GET_DEVICE_ATTR_PPC,
  KVM_HAS_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR_PPC,
  KVM_SET_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR_PPC,
  SIZEOF_KVM_DEVICE_ATTR,
} from "./constants.js";
import { FileHandle, OpenFile } from "./files.js";
import { Errno, fail, KvmError } from "./kvm-error.js";
import { UapiView, u64ToIndex, type UserPtr } from "./uapi.js";
import { u32Arg, u64Arg, u64Index, userBytes } from "./validate.js";
import type { Vcpu, VcpuCapHandler } from "./vcpu.js";
import type { Vm } from "./vm.js";
import type { VmContributionParts } from "./vm-contributions.js";

/** The attribute as a backend receives it (struct kvm_device_attr, decoded). */
export interface DeviceAttr {
  readonly flags: number;
  readonly group: number;
  /** The 64-bit attribute. */
  readonly attr: bigint;
  /** `attr` as a number when exactly representable, else Infinity: for index comparisons. */
  readonly attrIndex: number;
  /** The user memory at `addr`: the payload in UAPI layout, or null for an unreadable address. */
  readonly addr: UserPtr;
}

/**
 * What callers pass: `group`/`flags` u32 and `attr` u64, each a number or bigint (anything
 * else, fractional or out of range, is EINVAL: never truncated); `addr` any ArrayBufferView
 * (omitted or not a view = unreadable address, EFAULT when the backend reads it).
 */
export interface DeviceAttrArg {
  group: number | bigint;
  attr: number | bigint;
  addr?: UserPtr | ArrayBufferView;
  flags?: number | bigint;
}

/**
 * Direct-mapped device pages (XIVE ESB/TIMA): loads and stores that cost the guest no exit.
 * `vcpu` is the accessing vCPU (a TIMA access acts on that thread's context), or null.
 */
export interface DeviceMapping {
  readonly size: number;
  read(offset: number, size: number, vcpu?: Vcpu | null): number;
  write(offset: number, size: number, value: number, vcpu?: Vcpu | null): void;
}

/** kvm_device_ops minus name/create. Each callback is optional, as in the kernel. */
export interface DeviceBackend {
  /** Runs after a successful create, like the kernel's optional `init`. */
  init?(): void;
  setAttr?(attr: DeviceAttr): number | void;
  getAttr?(attr: DeviceAttr): number | void;
  hasAttr?(attr: DeviceAttr): number | void;
  ioctl?(cmd: number, arg: UserPtr): number;
  mmap?(offset: number, length: number): DeviceMapping;
  /** At VM destruction (devices without `release`), most recently created first. */
  destroy?(): void;
  /** When the descriptor closes (instead of destroy). */
  release?(): void;
  /**
   * The device's state in words, like QEMU's `info pic` (HasDumpState): `irqlab inspect` and
   * the fuzzer's "nothing changed" check read it. Optional, but every controller should have it.
   */
  dumpState?(): string;
}

export interface DeviceCreateContext {
  readonly vm: Vm;
  /** The requested type (one contribution may serve several, e.g. MPIC 20/42). */
  readonly type: number;
  readonly device: KvmDevice;
}

/** Symbol + interface of one name (inversify multi-injection token). */
export const DeviceContribution = Symbol.for("irqlab.DeviceContribution");
export interface DeviceContribution extends VmContributionParts {
  /** Name of the instance's anonymous inode, e.g. "kvm-xics". */
  readonly name: string;
  readonly types: readonly number[];
  readonly arch: readonly Arch[];
  /** kvm_device_ops.create: throw a KvmError to refuse (nothing is added to the VM). */
  create(ctx: DeviceCreateContext): DeviceBackend;
  /** vCPU capabilities this plugin handles (KVM_CAP_IRQ_XICS ...). */
  readonly vcpuCaps?: readonly VcpuCapHandler[];
}

let nextDeviceId = 1;

/** The kernel's struct kvm_device: type, VM, backend. */
export class KvmDevice {
  readonly id = nextDeviceId++;
  backend: DeviceBackend = {};
  /** False once destroyed or released. */
  alive = true;

  constructor(
    readonly vm: Vm,
    readonly type: number,
    readonly contribution: DeviceContribution,
  ) {}

  get name(): string {
    return this.contribution.name;
  }
}

class DeviceFile extends OpenFile {
  constructor(readonly device: KvmDevice) {
    super();
  }
  get kind(): string {
    return this.device.name;
  }
  protected override onRelease(): void {
    const d = this.device;
    if (d.backend.release && d.alive) {
      d.vm.unlinkDevice(d);
      d.alive = false;
      d.backend.release();
    }
  }
}

export function openDeviceFile(device: KvmDevice): OpenFile {
  return new DeviceFile(device);
}

type Accessor = "setAttr" | "getAttr" | "hasAttr";

/** The DeviceAttr a backend sees; `attr` is made a bigint only when a backend reads it. */
class AttrView implements DeviceAttr {
  flags = 0;
  group = 0;
  attrIndex = 0;
  addr: UserPtr = null;
  busy = false;
  private num = 0;
  private big: bigint | null = null;

  /** Decodes and validates the whole struct before the backend runs (validate.ts). */
  load(arg: DeviceAttrArg): void {
    const flags = arg.flags;
    this.flags = flags === undefined ? 0 : u32Arg(flags, "flags");
    this.group = u32Arg(arg.group, "group");
    this.addr = userBytes(arg.addr);
    const a = arg.attr;
    if (typeof a === "number" && a >= 0 && Number.isSafeInteger(a)) {
      this.num = a;
      this.big = null;
      this.attrIndex = a;
    } else {
      this.big = u64Arg(a, "attr");
      this.attrIndex = u64ToIndex(this.big);
    }
  }

  get attr(): bigint {
    return (this.big ??= BigInt(this.num));
  }
}

/** A device descriptor (the fd KVM_CREATE_DEVICE returns). */
export class DeviceHandle extends FileHandle<OpenFile> {
  private readonly scratch = new AttrView();

  get kvmDevice(): KvmDevice {
    return (this.file as DeviceFile).device;
  }

  get type(): number {
    return this.kvmDevice.type;
  }

  get name(): string {
    return this.kvmDevice.name;
  }

  /** The backend object, for plugin-specific extras (dumpState, counters). */
  backend<T extends DeviceBackend = DeviceBackend>(): T {
    return this.kvmDevice.backend as T;
  }

  /** KVM_SET_DEVICE_ATTR. `arg` null = unreadable argument pointer. */
  setAttr(arg: DeviceAttrArg | null): number {
    return this.access("setAttr", arg);
  }

  /** KVM_GET_DEVICE_ATTR. */
  getAttr(arg: DeviceAttrArg | null): number {
    return this.access("getAttr", arg);
  }

  /** KVM_HAS_DEVICE_ATTR. */
  hasAttr(arg: DeviceAttrArg | null): number {
    return this.access("hasAttr", arg);
  }

  /**
   * Any ioctl on the descriptor. The three attribute ioctls (either encoding) read the
   * 24-byte struct kvm_device_attr from `arg`; `payload` stands for the memory at its addr.
   * Other numbers go to the backend's ioctl, or ENOTTY.
   */
  ioctl(cmd: number | bigint, arg: UserPtr | ArrayBufferView, payload: UserPtr | ArrayBufferView = null): number {
    const c = u32Arg(cmd, `${this.name}: ioctl cmd`);
    const which = attrIoctl(c);
    if (which) {
      this.preamble();
      if (!this.kvmDevice.backend[which]) return this.access(which, null);
      const v = new UapiView(arg, SIZEOF_KVM_DEVICE_ATTR, this.kvmDevice.vm.endian, "struct kvm_device_attr");
      return this.access(which, { flags: v.u32(0), group: v.u32(4), attr: v.u64(8), addr: payload });
    }
    this.preamble();
    const b = this.kvmDevice.backend;
    if (!b.ioctl) fail(Errno.ENOTTY, `${this.name}: ioctl 0x${c.toString(16)} not supported`);
    return b.ioctl(c, userBytes(arg));
  }

  /** mmap of the descriptor at page `offset` (bytes). ENODEV when the backend has none. */
  mmap(offsetArg: number | bigint, lengthArg: number | bigint = 0): DeviceMapping {
    this.preamble();
    const offset = u64Index(offsetArg, `${this.name}: mmap offset`);
    const length = u64Index(lengthArg, `${this.name}: mmap length`);
    const b = this.kvmDevice.backend;
    if (!b.mmap) fail(Errno.ENODEV, `${this.name}: device has no mmap`);
    const m = b.mmap(offset, length);
    const stats = this.kvmDevice.vm.exitStats;
    // Accesses to mapped pages are counted as direct (no exit).
    return {
      size: m.size,
      read: (o, s, vcpu = null) => {
        stats.directAccesses++;
        return m.read(o, s, vcpu);
      },
      write: (o, s, v, vcpu = null) => {
        stats.directAccesses++;
        m.write(o, s, v, vcpu);
      },
    };
  }

  private preamble(): void {
    this.checkOpen();
    this.kvmDevice.vm.checkCaller(this.process);
  }

  private access(which: Accessor, arg: DeviceAttrArg | null): number {
    this.preamble();
    const fn = this.kvmDevice.backend[which];
    if (!fn) fail(Errno.EPERM, `${this.name}: device has no ${which}`);
    if (typeof arg !== "object" || arg === null) {
      fail(Errno.EFAULT, `${this.name}: ${which}: unreadable struct kvm_device_attr`);
    }
    // One reusable view per handle (valid during the call only): no allocation per call,
    // which matters for attributes used per interrupt (FLIC ENQUEUE, MPIC IRQ_ACTIVE).
    const view = this.scratch.busy ? new AttrView() : this.scratch;
    try {
      view.load(arg);
    } catch (e) {
      // A field that is not its C integer (EINVAL), or a getter that throws while the struct
      // is copied in (EFAULT). Messages are built only here: no allocation on success.
      const errno = KvmError.is(e) ? e.errno : Errno.EFAULT;
      const why = KvmError.is(e) ? e.message.replace(/^E[A-Z0-9]+: /, "") : "reading the struct faulted";
      throw new KvmError(errno, `${this.name}: ${which}: ${why}`);
    }
    view.busy = true;
    try {
      const r = fn.call(this.kvmDevice.backend, view);
      return typeof r === "number" ? r : 0;
    } finally {
      view.busy = false;
      view.addr = null;
    }
  }
}

function attrIoctl(cmd: number): Accessor | null {
  switch (cmd) {
    case KVM_SET_DEVICE_ATTR:
    case KVM_SET_DEVICE_ATTR_PPC:
      return "setAttr";
    case KVM_GET_DEVICE_ATTR:
    case KVM_GET_DEVICE_ATTR_PPC:
      return "getAttr";
    case KVM_HAS_DEVICE_ATTR:
    case KVM_HAS_DEVICE_ATTR_PPC:
      return "hasAttr";
    default:
      return null;
  }
}
