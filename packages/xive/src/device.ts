/**
 * KVM_DEV_TYPE_XIVE (9) as a device backend (kvm_xive_native_ops): create (one XIVE-backed
 * device per VM, EEXIST), attributes, mmap of the TIMA and ESB pages, release, and the
 * vCPU capability KVM_CAP_PPC_IRQ_XIVE (169).
 *
 * | group                              | attr                        | set                                   | get                  | has       |
 * |------------------------------------|-----------------------------|---------------------------------------|----------------------|-----------|
 * | 1 KVM_DEV_XIVE_GRP_CTRL            | 1 RESET, 2 EQ_SYNC          | 0                                     | ENXIO                | 0         |
 * |                                    | 3 NR_SERVERS (u32)          | EFAULT, EINVAL, EBUSY                 | ENXIO                | 0         |
 * |                                    | other                       | ENXIO                                 | ENXIO                | ENXIO     |
 * | 2 KVM_DEV_XIVE_GRP_SOURCE          | source (u64 value)          | E2BIG, EFAULT                         | ENXIO                | 0 / ENXIO |
 * | 3 KVM_DEV_XIVE_GRP_SOURCE_CONFIG   | source (u64 word)           | ENOENT, EINVAL, EFAULT, EBUSY         | ENXIO                | 0 / ENXIO |
 * | 4 KVM_DEV_XIVE_GRP_EQ_CONFIG       | server << 3 | prio          | EFAULT, ENOENT, EINVAL                | ENOENT, EINVAL, EFAULT | 0       |
 * | 5 KVM_DEV_XIVE_GRP_SOURCE_SYNC     | source                      | ENOENT, EINVAL                        | ENXIO                | 0 / ENXIO |
 * | other                              |                             | ENXIO                                 | ENXIO                | ENXIO     |
 */
import {
  Errno,
  fail,
  type DeviceAttr,
  type DeviceBackend,
  type DeviceContribution,
  type DeviceCreateContext,
  type DeviceMapping,
  type HasCounters,
  type HasDumpState,
  type KvmDevice,
  type Vcpu,
  type VcpuCapHandler,
  Teardown,
} from "@irqlab/core";
import {
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_DEV_TYPE_XIVE,
  KVM_DEV_XIVE_EQ_SYNC,
  KVM_DEV_XIVE_GRP_CTRL,
  KVM_DEV_XIVE_GRP_EQ_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE,
  KVM_DEV_XIVE_GRP_SOURCE_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE_SYNC,
  KVM_DEV_XIVE_NR_SERVERS,
  KVM_DEV_XIVE_RESET,
  KVM_XIVE_ESB_PAGE_OFFSET,
  KVM_XIVE_TIMA_PAGE_OFFSET,
  KVMPPC_XIVE_FIRST_IRQ,
  KVMPPC_XIVE_NR_IRQS,
  XIVE_PAGE_SIZE,
  XIVE_TIMA_MAX_PAGES,
} from "./constants.js";
import { dumpXiveState } from "./dump.js";
import { registerXiveHcalls } from "./hcalls.js";
import { XiveIrqChip } from "./irqchip.js";
import { XiveNative, XiveSigbus, type XiveOptions } from "./xive.js";
import { XiveVmToken, type XiveBackedDevice, type XiveVm } from "./xive-vm.js";

/** The backend behind a XIVE descriptor (`handle.backend<XiveDevice>()`). */
export class XiveDevice implements DeviceBackend, HasCounters, HasDumpState, XiveBackedDevice {
  readonly kind = "native" as const;
  readonly xive: XiveNative;
  readonly chip: XiveIrqChip;
  private readonly teardown = new Teardown();

  constructor(
    readonly ctx: XiveVm,
    readonly device: KvmDevice,
  ) {
    const vm = ctx.vm;
    this.xive = new XiveNative(vm, ctx.options);
    this.chip = new XiveIrqChip(this.xive);
    this.teardown.guard(() => {
      this.teardown.add(registerXiveHcalls(vm, this.xive));
      vm.irqchips.register(this.chip);
      this.teardown.add(() => vm.irqchips.unregister(this.chip));
    });
    ctx.device = this;
  }

  setAttr(attr: DeviceAttr): number {
    const x = this.xive;
    switch (attr.group) {
      case KVM_DEV_XIVE_GRP_CTRL:
        switch (attr.attr) {
          case BigInt(KVM_DEV_XIVE_RESET):
            x.reset();
            return 0;
          case BigInt(KVM_DEV_XIVE_EQ_SYNC):
            x.eqSync();
            return 0;
          case BigInt(KVM_DEV_XIVE_NR_SERVERS):
            x.setNrServers(attr.addr);
            return 0;
        }
        break;
      case KVM_DEV_XIVE_GRP_SOURCE:
        x.setSource(attr.attr, attr.addr);
        return 0;
      case KVM_DEV_XIVE_GRP_SOURCE_CONFIG:
        x.setSourceConfig(attr.attr, attr.addr);
        return 0;
      case KVM_DEV_XIVE_GRP_EQ_CONFIG:
        x.setQueueConfig(attr.attr, attr.addr);
        return 0;
      case KVM_DEV_XIVE_GRP_SOURCE_SYNC:
        x.sourceSync(attr.attr);
        return 0;
    }
    return fail(Errno.ENXIO, `XIVE has no attribute ${attr.group}/${attr.attr}`);
  }

  getAttr(attr: DeviceAttr): number {
    if (attr.group === KVM_DEV_XIVE_GRP_EQ_CONFIG) {
      this.xive.getQueueConfig(attr.attr, attr.addr);
      return 0;
    }
    return fail(Errno.ENXIO, `XIVE attribute group ${attr.group} cannot be read (only EQ_CONFIG)`);
  }

  hasAttr(attr: DeviceAttr): number {
    switch (attr.group) {
      case KVM_DEV_XIVE_GRP_CTRL:
        if (attr.attr === BigInt(KVM_DEV_XIVE_RESET) || attr.attr === BigInt(KVM_DEV_XIVE_EQ_SYNC) || attr.attr === BigInt(KVM_DEV_XIVE_NR_SERVERS)) return 0;
        break;
      case KVM_DEV_XIVE_GRP_SOURCE:
      case KVM_DEV_XIVE_GRP_SOURCE_CONFIG:
      case KVM_DEV_XIVE_GRP_SOURCE_SYNC:
        if (attr.attr >= BigInt(KVMPPC_XIVE_FIRST_IRQ) && attr.attr < BigInt(KVMPPC_XIVE_NR_IRQS)) return 0;
        break;
      case KVM_DEV_XIVE_GRP_EQ_CONFIG:
        return 0;
    }
    return fail(Errno.ENXIO, `XIVE has no attribute ${attr.group}/${attr.attr}`);
  }

  /**
   * mmap of the descriptor at byte `offset` (page offset x 64 KiB): page 0 = TIMA (at most 4
   * pages), page 4 = ESB array (at most 2 x 2^20 pages, two per source), else EINVAL.
   * `length` 0 maps the largest allowed size.
   */
  mmap(offset: number, length: number): DeviceMapping {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset % XIVE_PAGE_SIZE !== 0) {
      fail(Errno.EINVAL, `XIVE mmap: offset ${offset} is not a page offset`);
    }
    if (!Number.isSafeInteger(length) || length < 0) fail(Errno.EINVAL, `XIVE mmap: length ${length}`);
    const pgoff = offset / XIVE_PAGE_SIZE;
    const pages = Math.ceil(length / XIVE_PAGE_SIZE);
    const x = this.xive;
    if (pgoff === KVM_XIVE_TIMA_PAGE_OFFSET) {
      if (pages > XIVE_TIMA_MAX_PAGES) fail(Errno.EINVAL, `XIVE mmap: TIMA mapping of ${pages} pages (at most ${XIVE_TIMA_MAX_PAGES})`);
      const size = (pages || XIVE_TIMA_MAX_PAGES) * XIVE_PAGE_SIZE;
      x.mapped = true;
      return {
        size,
        read: (o: number, s: number, vcpu?: Vcpu | null) => (o >= 0 && o < size ? x.timaRead(o, s, vcpu) : outside(o)),
        write: (o: number, s: number, v: number, vcpu?: Vcpu | null) => (o >= 0 && o < size ? x.timaWrite(o, s, v, vcpu) : outside(o)),
      };
    }
    if (pgoff === KVM_XIVE_ESB_PAGE_OFFSET) {
      if (pages > 2 * KVMPPC_XIVE_NR_IRQS) fail(Errno.EINVAL, `XIVE mmap: ESB mapping of ${pages} pages (at most ${2 * KVMPPC_XIVE_NR_IRQS})`);
      const size = (pages || 2 * KVMPPC_XIVE_NR_IRQS) * XIVE_PAGE_SIZE;
      x.mapped = true;
      return {
        size,
        read: (o: number, s: number) => (o >= 0 && o < size ? x.esbRead(o, s) : outside(o)),
        write: (o: number, s: number) => (o >= 0 && o < size ? x.esbWrite(o, s) : outside(o)),
      };
    }
    return fail(Errno.EINVAL, `XIVE mmap: page offset ${pgoff} (only ${KVM_XIVE_TIMA_PAGE_OFFSET} TIMA and ${KVM_XIVE_ESB_PAGE_OFFSET} ESB)`);
  }

  /** kvmppc_xive_native_release. */
  release(): void {
    this.teardown.run();
    this.xive.release();
    if (this.ctx.device === this) this.ctx.device = null;
  }

  /** At VM destruction (the descriptor still open). */
  destroy(): void {
    this.release();
  }

  counters(): Record<string, number> {
    let escalations = 0;
    for (const xv of this.xive.xvcpus()) escalations += xv.escalations;
    return { ...this.xive.counters.snapshot(), blocks: this.xive.sources.allocated, sources: this.xive.sources.count, vcpuEscalations: escalations };
  }

  dumpState(): string {
    return dumpXiveState(this.xive);
  }
}

function outside(o: number): never {
  throw new XiveSigbus(`access at 0x${o.toString(16)} beyond the mapping`);
}

/** kvmppc_xive_native_create: EEXIST when the VM already has a XIVE-backed device. */
export function createXiveDevice({ vm, device }: DeviceCreateContext): XiveDevice {
  const ctx = vm.get<XiveVm>(XiveVmToken);
  if (ctx.device !== null) fail(Errno.EEXIST, `this VM already has a XIVE device (${ctx.device.kind})`);
  return new XiveDevice(ctx, device);
}

/**
 * KVM_CAP_PPC_IRQ_XIVE: precheck ENXIO when the host has no XIVE (after the descriptor was
 * resolved, before it is known to be a device); then kvmppc_xive_native_connect_vcpu:
 * EPERM (not this VM's native XIVE), EBUSY (vCPU already connected), EINVAL / EEXIST (VP id).
 */
export function xiveCapHandler(ctxOf: (vcpu: Vcpu) => XiveVm): VcpuCapHandler {
  return {
    cap: KVM_CAP_PPC_IRQ_XIVE,
    precheck(vcpu: Vcpu): void {
      if (!ctxOf(vcpu).options.hostXive) fail(Errno.ENXIO, "KVM_CAP_PPC_IRQ_XIVE: the host has no XIVE");
    },
    connect(vcpu: Vcpu, device: KvmDevice, args: readonly bigint[]): void {
      const backend = device.backend;
      if (!(backend instanceof XiveDevice)) fail(Errno.EPERM, `descriptor is a ${device.name}, not the native XIVE device`);
      if (device.vm !== vcpu.vm || !backend.xive.alive) fail(Errno.EPERM, "the XIVE device belongs to another VM");
      backend.xive.connect(vcpu, Number(BigInt.asUintN(32, args[1] ?? 0n)));
    },
  };
}

/**
 * The DeviceContribution of the plugin. Without host XIVE the type is not registered
 * (kvmppc_xive_native_init_module is not called) and KVM_CHECK_EXTENSION answers 0.
 */
export function xiveDeviceContribution(options: XiveOptions): DeviceContribution {
  return {
    name: "kvm-xive-native",
    types: options.hostXive ? [KVM_DEV_TYPE_XIVE] : [],
    arch: ["ppc64"],
    create: createXiveDevice,
    vcpuCaps: [xiveCapHandler((vcpu) => vcpu.vm.get<XiveVm>(XiveVmToken))],
    extensions: { [KVM_CAP_PPC_IRQ_XIVE]: options.hostXive ? 1 : 0 },
  };
}
