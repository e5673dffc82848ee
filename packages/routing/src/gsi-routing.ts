/**
 * GsiRouting: one per VM. KVM's generic interrupt plumbing between userspace, irqfds and the
 * in-kernel controllers (virt/kvm/irqchip.c, virt/kvm/eventfd.c, the VM ioctls):
 *
 *   setGsiRouting / setGsiRoutingIoctl   KVM_SET_GSI_ROUTING   validate, build, swap the table
 *   irqLine / irqLineStatus (+Ioctl)     KVM_IRQ_LINE(_STATUS) kvm_set_irq(source 0)
 *   signalMsi (+Ioctl)                   KVM_SIGNAL_MSI        the MSI controller, level 1
 *   irqfd (+Ioctl)                       KVM_IRQFD             eventfd -> GSI, resample
 *   ioeventfd (+Ioctl)                   KVM_IOEVENTFD         guest write -> eventfd
 *   registerAckNotifier                  kvm_register_irq_ack_notifier
 *
 * Each typed call and its buffer form share one implementation; the buffer form only adds
 * the user-memory copies (EFAULT) where KVM makes them. The injection path (setIrq) touches
 * the current table's per-GSI route array and the chips it holds: no Map, no allocation.
 */
import {
  Errno,
  FileHandle,
  KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_IRQ_ROUTING_S390_ADAPTER,
  KVM_MSI_VALID_DEVID,
  KVM_USERSPACE_IRQ_SOURCE_ID,
  KvmError,
  UapiView,
  Vm,
  errnoName,
  fail,
  inject,
  injectable,
  multiInject,
  optional,
  type HasCounters,
  type HasDumpState,
  type AdapterRoute,
  type IrqChip,
  type MsiMessage,
  type Tracer,
  type UserPtr,
  type VmExtension,
} from "@irqlab/core";
import { show, showFlags } from "./show.js";
import { ArchRoutingContribution, archProfile, type ArchProfile } from "./arch-profile.js";
import {
  KVM_IOEVENTFD,
  KVM_IOEVENTFD_FLAG_DEASSIGN,
  KVM_IOEVENTFD_PPC,
  KVM_IRQFD,
  KVM_IRQFD_FLAG_DEASSIGN,
  KVM_IRQFD_FLAG_RESAMPLE,
  KVM_IRQFD_PPC,
  KVM_IRQFD_VALID_FLAGS,
  KVM_IRQ_LINE,
  KVM_IRQ_LINE_PPC,
  KVM_IRQ_LINE_STATUS,
  KVM_MAX_IRQ_ROUTES,
  KVM_SET_GSI_ROUTING,
  KVM_SET_GSI_ROUTING_PPC,
  KVM_SIGNAL_MSI,
  KVM_SIGNAL_MSI_PPC,
  SIZEOF_KVM_IRQ_LEVEL,
} from "./constants.js";
import { EventFd, EventFdFile } from "./eventfd.js";
import { IoeventfdBus, type IoeventfdArgs, type IoeventfdBusName } from "./ioeventfd.js";
import { Irqfd, Resampler, type IrqfdHost } from "./irqfd.js";
import { copyEntries, routeTypeName, validateEntries } from "./route-validation.js";
import { decodeIrqRoutingEntries, decodeIrqRoutingHeader, type AnyRoutingEntry } from "./routing-entry-codec.js";
import { RoutingTable, type ChipResolver, type CompiledRoute } from "./routing-table.js";
import { emit } from "./trace.js";
import { isU32, structArg, u32Arg } from "./input.js";
import { decodeIoeventfd, decodeIrqfd, decodeMsi, type MsiArg } from "./uapi-structs.js";

/** An eventfd as irqfd/ioeventfd take it: a descriptor number in the VM's process, or a handle. */
export type EventFdRef = EventFd | FileHandle | number;

/** struct kvm_irqfd as the typed API takes it. */
export interface IrqfdArgs {
  fd: EventFdRef;
  gsi: number;
  /** 0, KVM_IRQFD_FLAG_RESAMPLE, KVM_IRQFD_FLAG_DEASSIGN (others are EINVAL). */
  flags?: number;
  /** The eventfd signalled on each ack (RESAMPLE only). */
  resamplefd?: EventFdRef;
}

/** A listener run when the guest acknowledges a pin mapped to its GSI. */
export type AckNotifier = (gsi: number) => void;

/** What `irqfds()` reports per irqfd. */
export interface IrqfdInfo {
  readonly gsi: number;
  readonly eventfd: EventFdFile;
  readonly resample: boolean;
  readonly resamplefd: EventFdFile | null;
  readonly counters: Readonly<Record<string, number>>;
}

const ENODEV_STATUS = -Errno.ENODEV;
const EINVAL_STATUS = -Errno.EINVAL;

@injectable()
export class GsiRouting implements VmExtension, IrqfdHost, ChipResolver, HasCounters, HasDumpState {
  readonly extensionName = "routing";
  readonly profile: ArchProfile;
  private readonly tracer: Tracer;
  private table: RoutingTable;

  // Controllers, re-read whenever the registry changes.
  private chipList: readonly IrqChip[] = [];
  private msiChip_: IrqChip | null = null;
  private adapterChip_: IrqChip | null = null;

  // irqfds (copy-on-write lists, so a callback may add or remove while one is walked).
  private irqfdList: readonly Irqfd[] = [];
  private readonly resamplers = new Map<number, Resampler>();
  private readonly ackNotifiers = new Map<number, readonly AckNotifier[]>();
  private ackNotifierCount = 0;

  /** KVM_IOEVENTFD registrations. */
  readonly ioeventfds: IoeventfdBus;

  // Counters (HasCounters).
  private tableUpdates = 0;
  private tableRejects = 0;
  private irqLines = 0;
  private msis = 0;
  private irqfdWakeups = 0;
  private irqfdSignals = 0;
  private irqfdCoalesced = 0;
  private irqfdInjections = 0;
  private resamples = 0;
  private acks = 0;
  private ackedGsis = 0;

  constructor(
    @inject(Vm) readonly vm: Vm,
    @multiInject(ArchRoutingContribution) @optional() archContributions: ArchRoutingContribution[] | undefined,
  ) {
    const contributed = archContributions?.filter((c) => c.arch === vm.arch) ?? [];
    if (contributed.length > 1) fail(Errno.EEXIST, `two plugins contribute the ${vm.arch} routing profile`);
    this.profile = contributed.length === 1 ? contributed[0].profile(vm.strict) : archProfile(vm.arch, vm.strict);
    this.tracer = vm.tracer;
    this.ioeventfds = new IoeventfdBus(vm);
    this.table = this.profile.defaultTable === "identity" ? RoutingTable.identity(this) : RoutingTable.empty();
    vm.irqchips.onChange(() => this.chipsChanged());
    vm.ackNotifiers.subscribe((chip, pin) => this.acked(chip, pin));
    // kvm_vm_release(): every irqfd is deactivated (its eventfds are free again) and the
    // I/O buses go with their ioeventfds.
    vm.onDestroy(() => {
      for (const irqfd of this.irqfdList) this.shutdownIrqfd(irqfd, "VM destroyed");
      this.ioeventfds.clear();
    });
    this.chipsChanged();
  }

  /** KVM_CHECK_EXTENSION answers (read by createVm). */
  extensions(): Readonly<Record<number, number>> {
    return this.profile.extensions;
  }

  // ---------------------------------------------------------------- controllers

  chipByIndex(index: number): IrqChip | null {
    const l = this.chipList;
    for (let i = 0; i < l.length; i++) if (l[i].index === index) return l[i];
    return null;
  }

  /** The controller MSI routes and KVM_SIGNAL_MSI go to (first registered chip accepting MSI). */
  get msiChip(): IrqChip | null {
    return this.msiChip_;
  }

  /** The controller s390 adapter routes go to. */
  get adapterChip(): IrqChip | null {
    return this.adapterChip_;
  }

  /** Whether an in-kernel controller exists (PowerPC's irqchip_in_kernel / intc initialised). */
  get hasIrqchip(): boolean {
    return this.chipList.length > 0;
  }

  private chipsChanged(): void {
    const before = this.chipList;
    const now = [...this.vm.irqchips.list()];
    this.chipList = now;
    this.msiChip_ = now.find((c) => c.routeTypes.includes(KVM_IRQ_ROUTING_MSI) && c.deliverMsi) ?? null;
    this.adapterChip_ = now.find((c) => c.routeTypes.includes(KVM_IRQ_ROUTING_S390_ADAPTER) && c.deliverAdapter) ?? null;
    const added = now.filter((c) => !before.includes(c));
    if (added.some((c) => c.resetsRouting)) {
      // kvm_set_irq_routing(kvm, NULL, 0, 0) from the controller's create (FSL MPIC).
      this.publish(RoutingTable.empty(), `reset by ${added.find((c) => c.resetsRouting)!.name}`);
    } else if (before.length !== 0 || now.length !== 0) {
      this.publish(this.table.recompile(this), "controllers changed");
    }
  }

  // ---------------------------------------------------------------- KVM_SET_GSI_ROUTING

  /** The current table. */
  get routingTable(): RoutingTable {
    return this.table;
  }

  /** The entries of the current table, in the order they were set. */
  getGsiRouting(): AnyRoutingEntry[] {
    return this.table.entries;
  }

  /**
   * KVM_SET_GSI_ROUTING: replaces the whole table, or throws (EINVAL, EFAULT, ENOTTY ...) and
   * changes nothing. When it returns, every later injection uses the new table.
   */
  setGsiRouting(entries: readonly AnyRoutingEntry[], flags = 0): number {
    this.vm.checkCaller();
    this.checkRoutingIoctl();
    if (!Array.isArray(entries)) fail(Errno.EFAULT, `KVM_SET_GSI_ROUTING entries: ${show(entries)} is not an array`);
    return this.setRouting(entries.length, flags, () => entries);
  }

  /** KVM_SET_GSI_ROUTING on a struct kvm_irq_routing buffer (`encodeIrqRouting`). */
  setGsiRoutingIoctl(arg: UserPtr): number {
    this.vm.checkCaller();
    this.checkRoutingIoctl();
    const { nr, flags } = decodeIrqRoutingHeader(arg, this.vm.endian);
    return this.setRouting(nr, flags, () => decodeIrqRoutingEntries(arg, nr, this.vm.endian));
  }

  private checkRoutingIoctl(): void {
    if (!this.profile.routingIoctl) {
      fail(Errno.ENOTTY, `KVM_SET_GSI_ROUTING is not built into the ${this.profile.arch} kernel (book3s has no routing table)`);
    }
  }

  /** The shared body: nr, flags, then the entries are read, validated, published. */
  private setRouting(nr: number, flags: number, read: () => readonly AnyRoutingEntry[]): number {
    try {
      if (this.profile.routingNeedsIrqchip && this.chipList.length === 0) {
        fail(Errno.EINVAL, `KVM_SET_GSI_ROUTING: no in-kernel interrupt controller in this ${this.profile.arch} VM yet`);
      }
      if (!Number.isInteger(nr) || nr < 0 || nr > KVM_MAX_IRQ_ROUTES) {
        fail(Errno.EINVAL, `${show(nr)} routing entries > KVM_MAX_IRQ_ROUTES (${KVM_MAX_IRQ_ROUTES})`);
      }
      if (flags !== 0) fail(Errno.EINVAL, `struct kvm_irq_routing flags ${showFlags(flags)} (must be 0)`);
      const copied = nr === 0 ? [] : copyEntries(read());
      const entries = validateEntries(copied, { profile: this.profile, chips: this, memory: this.vm.memory });
      this.publish(RoutingTable.build(entries, this), "KVM_SET_GSI_ROUTING");
      return 0;
    } catch (e) {
      if (KvmError.is(e)) {
        this.tableRejects++;
        if (this.tracer.enabled) emit(this.tracer, "routing.table.reject", { errno: e.errno, message: e.message });
      }
      throw e;
    }
  }

  private publish(table: RoutingTable, reason: string): void {
    this.table = table;
    this.tableUpdates++;
    // irqfds read the live table on every injection: nothing cached to refresh (§9.4).
    if (this.tracer.enabled) {
      emit(this.tracer, "routing.table.update", { reason, entries: table.size, nrRtEntries: table.nrRtEntries });
    }
  }

  // ---------------------------------------------------------------- injection

  /**
   * kvm_set_irq(): fans `level` out to every route of `gsi` and folds the results (negative
   * ignored, others summed; -1 when nothing took it). Strict book3s returns the chip's raw
   * result instead. The hot path: no allocation, no Map.
   */
  setIrq(sourceId: number, gsi: number, level: number): number {
    const t = this.table;
    if (t.identity) return this.setIrqIdentity(t, sourceId, gsi, level);
    if (!(gsi >= 0 && gsi < t.nrRtEntries)) return -1;
    const end = t.first[gsi + 1];
    let result = -1;
    for (let s = t.first[gsi]; s < end; s++) {
      const chip = t.targets[t.target[s]];
      if (chip === null) continue;
      let r: number;
      switch (t.type[s]) {
        case KVM_IRQ_ROUTING_IRQCHIP:
          r = chip.setIrq(t.pin[s], level, sourceId);
          break;
        case KVM_IRQ_ROUTING_MSI:
          r = chip.deliverMsi!(t.items[t.item[s]] as MsiMessage, level, sourceId);
          break;
        default:
          r = chip.deliverAdapter!(t.items[t.item[s]] as AdapterRoute, level);
          break;
      }
      if (r < 0) continue;
      result = r + (result < 0 ? 0 : result);
    }
    return result;
  }

  private setIrqIdentity(t: RoutingTable, sourceId: number, gsi: number, level: number): number {
    const chip = t.identityChip;
    const raw = this.profile.rawStatus;
    if (chip === null) return raw ? ENODEV_STATUS : -1;
    if (!(gsi >= 0 && gsi < chip.pins)) return raw ? EINVAL_STATUS : -1;
    const r = chip.setIrq(gsi, level, sourceId);
    return raw || r >= 0 ? r : -1;
  }

  /** KVM_IRQ_LINE: asserts (any non-zero level) or de-asserts `gsi` on source 0. Returns 0. */
  irqLine(gsi: number, level: number): number {
    this.vm.checkCaller();
    this.checkIrqLineIoctl();
    this.line(u32Arg(gsi, "KVM_IRQ_LINE irq"), u32Arg(level, "KVM_IRQ_LINE level") | 0);
    return 0;
  }

  /** KVM_IRQ_LINE_STATUS: as irqLine, returning the injection status (-1: unrouted/ignored). */
  irqLineStatus(gsi: number, level: number): number {
    this.vm.checkCaller();
    this.checkIrqLineIoctl();
    return this.line(u32Arg(gsi, "KVM_IRQ_LINE_STATUS irq"), u32Arg(level, "KVM_IRQ_LINE_STATUS level") | 0);
  }

  /** KVM_IRQ_LINE on a struct kvm_irq_level buffer (nothing is written back). */
  irqLineIoctl(arg: UserPtr): number {
    this.vm.checkCaller();
    this.checkIrqLineIoctl();
    const v = new UapiView(arg, SIZEOF_KVM_IRQ_LEVEL, this.vm.endian, "struct kvm_irq_level");
    this.line(v.u32(0), v.u32(4) | 0);
    return 0;
  }

  /** KVM_IRQ_LINE_STATUS on a struct kvm_irq_level buffer: the status is written back at 0. */
  irqLineStatusIoctl(arg: UserPtr): number {
    this.vm.checkCaller();
    this.checkIrqLineIoctl();
    const v = new UapiView(arg, SIZEOF_KVM_IRQ_LEVEL, this.vm.endian, "struct kvm_irq_level");
    v.setS32(0, this.line(v.u32(0), v.u32(4) | 0));
    return 0;
  }

  private checkIrqLineIoctl(): void {
    if (!this.profile.irqLine) fail(Errno.ENOTTY, `KVM_IRQ_LINE is not built into the ${this.profile.arch} kernel`);
  }

  /** kvm_vm_ioctl_irq_line(): ENXIO without a controller, then kvm_set_irq(source 0). */
  private line(gsi: number, level: number): number {
    if (this.profile.needsIrqchip && this.chipList.length === 0) {
      fail(Errno.ENXIO, `KVM_IRQ_LINE: no in-kernel interrupt controller in this ${this.profile.arch} VM`);
    }
    const own = this.profile.decodeIrqLine;
    const direct = own === undefined ? undefined : own(this.vm, gsi, level);
    const status = direct !== undefined ? direct : this.setIrq(KVM_USERSPACE_IRQ_SOURCE_ID, gsi, level);
    this.irqLines++;
    if (this.tracer.enabled) emit(this.tracer, "routing.irq_line", { gsi, level, status });
    return status;
  }

  /**
   * KVM_SIGNAL_MSI: delivers the message (level 1, source 0) to the MSI controller and returns
   * its result. As the ioctl, a negative result is the call's errno (thrown).
   */
  signalMsi(msg: MsiArg): number {
    this.vm.checkCaller();
    this.checkSignalMsiIoctl();
    structArg(msg, "KVM_SIGNAL_MSI argument");
    // A message already in normal form goes to the controller as it is (no copy per call).
    const m: MsiMessage =
      isU32(msg.addressLo) && isU32(msg.addressHi) && isU32(msg.data) && isU32(msg.flags) && isU32(msg.devid)
        ? (msg as MsiMessage)
        : {
            addressLo: u32Arg(msg.addressLo, "KVM_SIGNAL_MSI address_lo"),
            addressHi: u32Arg(msg.addressHi, "KVM_SIGNAL_MSI address_hi"),
            data: u32Arg(msg.data, "KVM_SIGNAL_MSI data"),
            flags: u32Arg(msg.flags === undefined ? 0 : msg.flags, "KVM_SIGNAL_MSI flags"),
            devid: u32Arg(msg.devid === undefined ? 0 : msg.devid, "KVM_SIGNAL_MSI devid"),
          };
    const flags = m.flags;
    return this.sendMsi(m, flags);
  }

  /** KVM_SIGNAL_MSI on a struct kvm_msi buffer. */
  signalMsiIoctl(arg: UserPtr): number {
    this.vm.checkCaller();
    this.checkSignalMsiIoctl();
    const m = decodeMsi(arg, this.vm.endian);
    return this.sendMsi(m, m.flags);
  }

  private checkSignalMsiIoctl(): void {
    if (!this.profile.signalMsi) {
      fail(Errno.ENOTTY, `KVM_SIGNAL_MSI is not built into the ${this.profile.arch} kernel (no CONFIG_HAVE_KVM_MSI)`);
    }
  }

  /** kvm_send_userspace_msi(). */
  private sendMsi(m: MsiMessage, flags: number): number {
    if (this.chipList.length === 0) fail(Errno.EINVAL, "KVM_SIGNAL_MSI: no in-kernel interrupt controller");
    if (flags & ~KVM_MSI_VALID_DEVID) {
      fail(Errno.EINVAL, `KVM_SIGNAL_MSI flags ${showFlags(flags)} (only KVM_MSI_VALID_DEVID)`);
    }
    const chip = this.msiChip_;
    if (chip === null) fail(Errno.EINVAL, "KVM_SIGNAL_MSI: no registered controller accepts MSI");
    const r = chip.deliverMsi!(m, 1, KVM_USERSPACE_IRQ_SOURCE_ID);
    this.msis++;
    if (this.tracer.enabled) {
      emit(this.tracer, "routing.msi", { addressLo: m.addressLo, addressHi: m.addressHi, data: m.data, result: r });
    }
    if (r < 0) fail(-r, `KVM_SIGNAL_MSI: ${chip.name} returned ${r} (${errnoName(-r)})`);
    return r;
  }

  // ---------------------------------------------------------------- irqfd

  /** KVM_IRQFD: assigns (or with DEASSIGN removes) an irqfd. Returns 0. */
  irqfd(args: IrqfdArgs): number {
    this.vm.checkCaller();
    const gsi = structArg(args, "KVM_IRQFD argument").gsi;
    if (!Number.isInteger(gsi) || gsi < -0x80000000 || gsi > 0xffffffff) {
      fail(Errno.EINVAL, `KVM_IRQFD gsi ${show(gsi)} is not a u32`);
    }
    return this.irqfdCommon(args.fd, gsi >>> 0, args.flags ?? 0, args.resamplefd);
  }

  /** KVM_IRQFD on a struct kvm_irqfd buffer (descriptor numbers in the VM's process). */
  irqfdIoctl(arg: UserPtr): number {
    this.vm.checkCaller();
    const a = decodeIrqfd(arg, this.vm.endian);
    return this.irqfdCommon(a.fd, a.gsi, a.flags, a.resamplefd);
  }

  /** kvm_irqfd(). */
  private irqfdCommon(fd: EventFdRef, gsi: number, flags: number, resamplefd: EventFdRef | undefined): number {
    if (!Number.isInteger(flags) || flags < 0 || flags & ~KVM_IRQFD_VALID_FLAGS) {
      fail(Errno.EINVAL, `KVM_IRQFD flags ${showFlags(flags)} (DEASSIGN | RESAMPLE)`);
    }
    if (flags & KVM_IRQFD_FLAG_DEASSIGN) return this.irqfdDeassign(fd, gsi);
    return this.irqfdAssign(fd, gsi, (flags & KVM_IRQFD_FLAG_RESAMPLE) !== 0, resamplefd);
  }

  /** eventfd_ctx_fdget(): EBADF when not open, EINVAL when not an eventfd. */
  resolveEventFd(ref: EventFdRef | undefined, what: string): EventFdFile {
    let h: FileHandle | undefined;
    if (typeof ref === "number") {
      h = Number.isInteger(ref) ? this.vm.process.lookup(ref) : undefined;
      if (!h) fail(Errno.EBADF, `${what}: descriptor ${ref} is not open`);
    } else if (ref instanceof FileHandle) {
      if (ref.closed) fail(Errno.EBADF, `${what}: descriptor ${ref.fd} is closed`);
      h = ref;
    } else {
      fail(Errno.EBADF, `${what}: ${show(ref)} is not a descriptor`);
    }
    if (!(h.file instanceof EventFdFile)) fail(Errno.EINVAL, `${what}: descriptor ${h.fd} (${h.file.kind}) is not an eventfd`);
    return h.file;
  }

  /** kvm_irqfd_assign(), checks in KVM's order. */
  private irqfdAssign(fd: EventFdRef, gsi: number, resample: boolean, resamplefdRef: EventFdRef | undefined): number {
    if (this.profile.needsIrqchip && this.chipList.length === 0) {
      fail(Errno.EAGAIN, `KVM_IRQFD: no interrupt controller exists yet in this ${this.profile.arch} VM`);
    }
    const eventfd = this.resolveEventFd(fd, "KVM_IRQFD fd");
    let resamplefd: EventFdFile | null = null;
    let resampler: Resampler | null = null;
    let newResampler = false;
    if (resample) {
      resamplefd = this.resolveEventFd(resamplefdRef, "KVM_IRQFD resamplefd");
      resampler = this.resamplers.get(gsi) ?? null;
      if (resampler === null) {
        resampler = new Resampler(gsi);
        newResampler = true;
      }
    }
    if (eventfd.priorityWaiter !== null) {
      if (newResampler && this.profile.failedAssignDeasserts) {
        // The kernel's failure path shuts the just-created resampler down: one de-assert.
        this.setIrq(KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, gsi, 0);
      }
      fail(Errno.EBUSY, `KVM_IRQFD: eventfd ${eventfd.id} already backs an irqfd`);
    }
    // What workers signalled before the call is in the eventfd when it is bound (as a write
    // that completed before KVM_IRQFD would be): the assign-time injection below sees it.
    eventfd.poll();
    const irqfd = new Irqfd(this, eventfd, gsi, resampler, resamplefd);
    if (resampler !== null) {
      if (newResampler) {
        this.resamplers.set(gsi, resampler);
        const r = resampler;
        r.unregister = this.registerAckNotifier(gsi, () => this.resamplerAck(r));
      }
      resampler.irqfds = [...resampler.irqfds, irqfd];
    }
    this.irqfdList = [...this.irqfdList, irqfd];
    eventfd.priorityWaiter = irqfd;
    const pending = eventfd.counter;
    if (this.tracer.enabled) emit(this.tracer, "routing.irqfd.assign", { gsi, eventfd: eventfd.id, resample, pending });
    // A count already there is injected once by the work item; it stays in the eventfd.
    if (pending > 0) this.irqfdInject(irqfd, 0);
    return 0;
  }

  /** kvm_irqfd_deassign(): removes every irqfd of this VM on (eventfd, gsi). Returns 0. */
  private irqfdDeassign(fd: EventFdRef, gsi: number): number {
    const eventfd = this.resolveEventFd(fd, "KVM_IRQFD fd");
    for (const irqfd of this.irqfdList) {
      if (irqfd.eventfd === eventfd && irqfd.gsi === gsi) {
        // Signals workers wrote before the call are delivered before the irqfd goes.
        eventfd.poll();
        this.shutdownIrqfd(irqfd, "KVM_IRQFD_FLAG_DEASSIGN");
      }
    }
    return 0;
  }

  /** @internal irqfd_shutdown(): unhook (the pending count is consumed), leave the resampler. */
  shutdownIrqfd(irqfd: Irqfd, reason: string): void {
    if (!irqfd.active) return;
    irqfd.active = false;
    this.irqfdList = this.irqfdList.filter((x) => x !== irqfd);
    const ev = irqfd.eventfd;
    if (ev.priorityWaiter === irqfd) {
      ev.priorityWaiter = null;
      ev.take();
    }
    const rs = irqfd.resampler;
    if (rs !== null) {
      rs.irqfds = rs.irqfds.filter((x) => x !== irqfd);
      if (rs.irqfds.length === 0 && this.resamplers.get(rs.gsi) === rs) {
        this.resamplers.delete(rs.gsi);
        rs.unregister();
        // The last resampler leaving de-asserts; no resamplefd is signalled.
        this.setIrq(KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, rs.gsi, 0);
      }
    }
    if (this.tracer.enabled) emit(this.tracer, "routing.irqfd.deassign", { gsi: irqfd.gsi, eventfd: ev.id, reason });
  }

  /** EventFd wakeup of a bound irqfd (IrqfdHost). */
  irqfdSignalled(irqfd: Irqfd, signals: number): void {
    this.irqfdWakeups++;
    this.irqfdSignals += signals;
    if (signals > 1) this.irqfdCoalesced += signals - 1;
    if (this.profile.atomicAssert) {
      // book3s kvm_arch_set_irq_inatomic(): level 1 on source 0, never "would block".
      irqfd.injections++;
      this.irqfdInjections++;
      const status = this.setIrq(KVM_USERSPACE_IRQ_SOURCE_ID, irqfd.gsi, 1);
      if (this.tracer.enabled) {
        emit(this.tracer, "routing.irqfd.inject", { gsi: irqfd.gsi, sourceId: 0, signals, status });
      }
      return;
    }
    this.irqfdInject(irqfd, signals);
  }

  /** irqfd_inject(), the work item: a pulse on source 0, or an assert on source 1. */
  private irqfdInject(irqfd: Irqfd, signals: number): void {
    irqfd.injections++;
    this.irqfdInjections++;
    let status: number;
    let source: number;
    if (irqfd.resampler === null) {
      source = KVM_USERSPACE_IRQ_SOURCE_ID;
      status = this.setIrq(source, irqfd.gsi, 1);
      this.setIrq(source, irqfd.gsi, 0);
    } else {
      source = KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID;
      status = this.setIrq(source, irqfd.gsi, 1);
    }
    if (this.tracer.enabled) emit(this.tracer, "routing.irqfd.inject", { gsi: irqfd.gsi, sourceId: source, signals, status });
  }

  /** EPOLLHUP from the eventfd (IrqfdHost). */
  irqfdHangup(irqfd: Irqfd): void {
    this.shutdownIrqfd(irqfd, "eventfd closed");
  }

  /** irqfd_resampler_ack(): de-assert once, then +1 on every resamplefd of the GSI. */
  private resamplerAck(r: Resampler): void {
    r.acks++;
    this.resamples++;
    this.setIrq(KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, r.gsi, 0);
    const list = r.irqfds;
    for (let i = 0; i < list.length; i++) list[i].resamplefd!.signal(1);
    if (this.tracer.enabled) emit(this.tracer, "routing.irqfd.resample", { gsi: r.gsi, resamplefds: list.length });
  }

  /** The irqfds of this VM. */
  irqfds(): IrqfdInfo[] {
    return this.irqfdList.map((i) => ({
      gsi: i.gsi,
      eventfd: i.eventfd,
      resample: i.resample,
      resamplefd: i.resamplefd,
      counters: i.counters(),
    }));
  }

  /** The irqfd bound to `efd` in this VM, with its counters, or undefined. */
  irqfdOf(efd: EventFd | EventFdFile): IrqfdInfo | undefined {
    const file = efd instanceof EventFd ? efd.file : efd;
    return this.irqfds().find((i) => i.eventfd === file);
  }

  /**
   * Folds worker-thread signals of every eventfd bound to an irqfd of this VM (deterministic
   * delivery point). Returns the count taken.
   */
  pollEventfds(): number {
    let n = 0;
    const list = this.irqfdList;
    for (let i = 0; i < list.length; i++) {
      const f = list[i].eventfd;
      if (f.isShared) n += f.poll();
    }
    return n;
  }

  // ---------------------------------------------------------------- ack notifiers

  /**
   * kvm_register_irq_ack_notifier(): `fn` runs when the guest acknowledges a pin that the
   * routing table maps to `gsi`. Returns the unregister function.
   */
  registerAckNotifier(gsi: number, fn: AckNotifier): () => void {
    if (typeof fn !== "function") fail(Errno.EINVAL, `ack notifier ${show(fn)} is not a function`);
    const g = u32Arg(gsi, "ack notifier gsi");
    this.ackNotifiers.set(g, [...(this.ackNotifiers.get(g) ?? []), fn]);
    this.ackNotifierCount++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const l = (this.ackNotifiers.get(g) ?? []).filter((x) => x !== fn);
      if (l.length) this.ackNotifiers.set(g, l);
      else this.ackNotifiers.delete(g);
      this.ackNotifierCount--;
    };
  }

  /** kvm_notify_acked_irq(): (irqchip, pin) -> gsi through the reverse map, then its notifiers. */
  private acked(chip: IrqChip, pin: number): void {
    this.acks++;
    if (this.ackNotifierCount === 0) return;
    const gsi = this.table.ackGsi(chip.index, pin);
    if (gsi < 0) return;
    const list = this.ackNotifiers.get(gsi);
    if (list === undefined) return;
    this.ackedGsis++;
    if (this.tracer.enabled) emit(this.tracer, "routing.ack", { chip: chip.name, irqchip: chip.index, pin, gsi });
    for (let i = 0; i < list.length; i++) list[i](gsi);
  }

  // ---------------------------------------------------------------- ioeventfd

  /** KVM_IOEVENTFD (assign, or remove with KVM_IOEVENTFD_FLAG_DEASSIGN). Returns 0. */
  ioeventfd(args: IoeventfdArgs & { fd: EventFdRef }): number {
    this.vm.checkCaller();
    structArg(args, "KVM_IOEVENTFD argument");
    const resolve = () => this.resolveEventFd(args.fd, "KVM_IOEVENTFD fd");
    const flags = args.flags ?? 0;
    if (typeof flags !== "number") fail(Errno.EINVAL, `KVM_IOEVENTFD flags ${show(flags)}`);
    if (flags & KVM_IOEVENTFD_FLAG_DEASSIGN) this.ioeventfds.deassign(args, resolve);
    else this.ioeventfds.assign(args, resolve);
    return 0;
  }

  /** KVM_IOEVENTFD on a struct kvm_ioeventfd buffer. */
  ioeventfdIoctl(arg: UserPtr): number {
    this.vm.checkCaller();
    const a = decodeIoeventfd(arg, this.vm.endian);
    return this.ioeventfd(a);
  }

  /** A guest write on the PIO or virtio-ccw notify bus (MMIO goes through vm.mmio). */
  ioWrite(bus: IoeventfdBusName, addr: number | bigint, len: number, value: number): boolean {
    return this.ioeventfds.write(bus, addr, len, value);
  }

  // ---------------------------------------------------------------- VM ioctl dispatch

  /**
   * The VM ioctls routing serves, by number (either encoding). Unknown numbers, and ioctls
   * the architecture's kernel does not build, are ENOTTY.
   */
  ioctl(cmd: number, arg: UserPtr): number {
    switch (cmd >>> 0) {
      case KVM_SET_GSI_ROUTING:
      case KVM_SET_GSI_ROUTING_PPC:
        return this.setGsiRoutingIoctl(arg);
      case KVM_IRQ_LINE:
      case KVM_IRQ_LINE_PPC:
        return this.irqLineIoctl(arg);
      case KVM_IRQ_LINE_STATUS:
        return this.irqLineStatusIoctl(arg);
      case KVM_SIGNAL_MSI:
      case KVM_SIGNAL_MSI_PPC:
        return this.signalMsiIoctl(arg);
      case KVM_IRQFD:
      case KVM_IRQFD_PPC:
        return this.irqfdIoctl(arg);
      case KVM_IOEVENTFD:
      case KVM_IOEVENTFD_PPC:
        return this.ioeventfdIoctl(arg);
      default:
        this.vm.checkCaller();
        fail(Errno.ENOTTY, `VM ioctl 0x${(cmd >>> 0).toString(16)} is not a routing ioctl`);
    }
  }

  // ---------------------------------------------------------------- observability

  counters(): Record<string, number> {
    return {
      tableUpdates: this.tableUpdates,
      tableRejects: this.tableRejects,
      irqLine: this.irqLines,
      msi: this.msis,
      irqfds: this.irqfdList.length,
      irqfdWakeups: this.irqfdWakeups,
      irqfdSignals: this.irqfdSignals,
      irqfdCoalesced: this.irqfdCoalesced,
      irqfdInjections: this.irqfdInjections,
      resamplers: this.resamplers.size,
      resamples: this.resamples,
      acks: this.acks,
      ackedGsis: this.ackedGsis,
      ioeventfdHits: this.ioeventfds.hits,
      ioeventfdMisses: this.ioeventfds.misses,
    };
  }

  dumpState(): string {
    const t = this.table;
    const lines: string[] = [];
    const mode = this.profile.strict ? "strict" : "generalised";
    if (t.identity) {
      const c = t.identityChip;
      lines.push(`routing (${this.profile.arch}, ${mode}): identity, GSI n -> ${c ? `${c.name} (irqchip 0) pin n, n < ${c.pins}` : "irqchip 0 (none registered)"}`);
    } else {
      lines.push(`routing (${this.profile.arch}, ${mode}): ${t.size} entries, nr_rt_entries ${t.nrRtEntries}`);
      for (let g = 0; g < t.nrRtEntries; g++) {
        if (t.first[g] !== t.first[g + 1]) lines.push(`  GSI ${g}: ${t.routes(g).map(describeRoute).join(", ")}`);
      }
    }
    for (const i of this.irqfdList) {
      lines.push(
        `  irqfd eventfd ${i.eventfd.id} -> GSI ${i.gsi}${i.resample ? ` resample -> eventfd ${i.resamplefd!.id}` : ""}` +
          ` (${i.injections} injections, ${i.coalesced} coalesced)`,
      );
    }
    for (const r of this.resamplers.values()) lines.push(`  resampler GSI ${r.gsi}: ${r.irqfds.length} irqfds, ${r.acks} acks`);
    for (const r of this.ioeventfds.list()) {
      lines.push(`  ioeventfd ${r.bus} 0x${r.addr.toString(16)} len ${r.len}${r.datamatch === null ? "" : ` = 0x${r.datamatch.toString(16)}`} -> eventfd ${r.eventfd}`);
    }
    return lines.join("\n");
  }
}

function describeRoute(r: CompiledRoute): string {
  const to = r.chip ? r.chip.name : "no controller";
  switch (r.type) {
    case KVM_IRQ_ROUTING_IRQCHIP:
      return `irqchip ${r.irqchip} pin ${r.pin} (${to})`;
    case KVM_IRQ_ROUTING_MSI:
      return `MSI 0x${r.msi!.addressHi.toString(16)}:${r.msi!.addressLo.toString(16)} data 0x${r.msi!.data.toString(16)} (${to})`;
    case KVM_IRQ_ROUTING_S390_ADAPTER:
      return `adapter ${r.adapter!.adapterId} ind 0x${r.adapter!.indAddr.toString(16)}+${r.adapter!.indOffset} (${to})`;
    default:
      return routeTypeName(r.type);
  }
}
