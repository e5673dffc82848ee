/**
 * KVM_DEV_TYPE_XICS (3) served by book3s_xive.c (kvm_xive_ops, name "kvm-xive") on a XIVE
 * host: create (one XIVE-backed device per VM: EEXIST, shared with the native device),
 * attributes, release (closing the descriptor removes it; a new one can then be created),
 * and KVM_CAP_IRQ_XICS connecting a vCPU. No mmap: the guest sees only hcalls and RTAS.
 *
 * | group                        | attr               | set                               | get              | has          |
 * |------------------------------|--------------------|-----------------------------------|------------------|--------------|
 * | 1 KVM_DEV_XICS_GRP_SOURCES   | source 16..2^20-1  | ENOENT (range), EFAULT            | ENOENT, EFAULT   | 0 / ENXIO    |
 * | 2 KVM_DEV_XICS_GRP_CTRL      | 1 NR_SERVERS (u32) | EFAULT, EINVAL (0, > 16384), EBUSY | ENXIO           | 0            |
 * | any other                    |                    | ENXIO                             | ENXIO            | ENXIO        |
 */
import {
  Errno,
  KVM_CAP_IRQ_XICS,
  KVM_DEV_TYPE_XICS,
  fail,
  type DeviceAttr,
  type DeviceBackend,
  type DeviceContribution,
  type DeviceCreateContext,
  type HasCounters,
  type HasDumpState,
  type KvmDevice,
  type Vcpu,
  type VcpuCapHandler,
  Teardown,
} from "@irqlab/core";
import {
  KVM_DEV_XICS_GRP_CTRL,
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_DEV_XICS_NR_SERVERS,
  KVMPPC_XICS_FIRST_IRQ,
  KVMPPC_XICS_NR_IRQS,
  SourceNumberIrqChip,
} from "@irqlab/xics";
import { dumpXoxState } from "./dump.js";
import { registerXoxHcalls } from "./hcalls.js";
import { registerXoxRtas } from "./rtas.js";
import type { PassthroughEsb } from "./passthrough-esb.js";
import { XicsOnXive, type XoxOptions } from "./xics-on-xive.js";
import { XoxVmToken, type XoxBackedDevice, type XoxVm } from "./xox-vm.js";

/** irqchip index of the XICS-on-XIVE chip (book3s: a GSI is the source number). */
export const XOX_IRQCHIP_INDEX = 0;

/**
 * The IrqChip routing injects into: kvm_set_irq -> kvmppc_xive_set_irq. No ack notifiers are
 * ever run (H_EOI does not call kvm_notify_acked_irq), so irqfd resamplers never fire.
 */
export class XoxIrqChip extends SourceNumberIrqChip {
  constructor(xox: XicsOnXive) {
    super("xics-on-xive", KVMPPC_XICS_NR_IRQS, xox, "XICS", ["level"]);
  }
}

/** The backend behind the descriptor (`handle.backend<XicsOnXiveDevice>()`). */
export class XicsOnXiveDevice implements DeviceBackend, HasCounters, HasDumpState, XoxBackedDevice {
  readonly kind = "xics-on-xive" as const;
  readonly xox: XicsOnXive;
  readonly chip: XoxIrqChip;
  private readonly teardown = new Teardown();

  constructor(
    readonly ctx: XoxVm,
    readonly device: KvmDevice,
    options: XoxOptions,
  ) {
    const vm = ctx.vm;
    this.xox = new XicsOnXive(vm, options);
    this.chip = new XoxIrqChip(this.xox);
    this.teardown.guard(() => {
      this.teardown.add(registerXoxHcalls(vm.hcalls, this.xox));
      this.teardown.add(registerXoxRtas(vm.rtas, this.xox));
      vm.irqchips.register(this.chip);
      this.teardown.add(() => vm.irqchips.unregister(this.chip));
    });
    ctx.device = this;
  }

  setAttr(attr: DeviceAttr): number {
    if (attr.group === KVM_DEV_XICS_GRP_SOURCES) {
      this.xox.setSource(attr.attr, attr.addr);
      return 0;
    }
    if (attr.group === KVM_DEV_XICS_GRP_CTRL && attr.attr === BigInt(KVM_DEV_XICS_NR_SERVERS)) {
      this.xox.setNrServers(attr.addr);
      return 0;
    }
    return fail(Errno.ENXIO, `XICS-on-XIVE has no settable attribute ${attr.group}/${attr.attr}`);
  }

  getAttr(attr: DeviceAttr): number {
    if (attr.group === KVM_DEV_XICS_GRP_SOURCES) {
      this.xox.getSource(attr.attr, attr.addr);
      return 0;
    }
    return fail(Errno.ENXIO, `XICS-on-XIVE has no readable attribute ${attr.group}/${attr.attr}`);
  }

  hasAttr(attr: DeviceAttr): number {
    if (attr.group === KVM_DEV_XICS_GRP_SOURCES && attr.attr >= BigInt(KVMPPC_XICS_FIRST_IRQ) && attr.attr < BigInt(KVMPPC_XICS_NR_IRQS)) return 0;
    if (attr.group === KVM_DEV_XICS_GRP_CTRL && attr.attr === BigInt(KVM_DEV_XICS_NR_SERVERS)) return 0;
    return fail(Errno.ENXIO, `XICS-on-XIVE has no attribute ${attr.group}/${attr.attr}`);
  }

  /** kvmppc_xive_set_mapped: the passthrough device's interrupt `hw` now backs `guestIrq`. */
  setMapped(guestIrq: number, hw: PassthroughEsb): void {
    this.xox.setMapped(guestIrq, hw);
  }

  /** kvmppc_xive_clr_mapped: `guestIrq` is backed by its IPI again. */
  clrMapped(guestIrq: number): void {
    this.xox.clrMapped(guestIrq);
  }

  /** kvmppc_xive_release: the descriptor's last close. */
  release(): void {
    this.teardown.run();
    this.xox.release();
    if (this.ctx.device === this) this.ctx.device = null;
  }

  counters(): Record<string, number> {
    return { ...this.xox.counters.snapshot(), sources: this.xox.sources.count, blocks: this.xox.sources.allocated, qmap: this.xox.qmap };
  }

  dumpState(): string {
    return dumpXoxState(this.xox);
  }
}

/** The contribution for given model options. */
export function xicsOnXiveDeviceContribution(options: XoxOptions): DeviceContribution {
  const capHandler: VcpuCapHandler = {
    cap: KVM_CAP_IRQ_XICS,
    connect(vcpu: Vcpu, device: KvmDevice, args: readonly bigint[]): void {
      const backend = device.backend;
      if (!(backend instanceof XicsOnXiveDevice)) fail(Errno.EPERM, `descriptor is a ${device.name}, not the XICS-on-XIVE device`);
      if (device.vm !== vcpu.vm) fail(Errno.EPERM, "the XICS-on-XIVE device belongs to another VM");
      if (vcpu.irqchipKind !== null) fail(Errno.EBUSY, `vCPU ${vcpu.id} is already connected to ${vcpu.irqchipKind}`);
      backend.xox.connect(vcpu, Number(BigInt.asUintN(32, args[1] ?? 0n)));
    },
  };
  return {
    name: "kvm-xive",
    types: [KVM_DEV_TYPE_XICS],
    arch: ["ppc64"],
    create({ vm, device }: DeviceCreateContext): XicsOnXiveDevice {
      const ctx = vm.get<XoxVm>(XoxVmToken);
      if (ctx.device !== null) fail(Errno.EEXIST, `this VM already has a XIVE-backed device (${ctx.device.kind})`);
      return new XicsOnXiveDevice(ctx, device, options);
    },
    vcpuCaps: [capHandler],
    extensions: { [KVM_CAP_IRQ_XICS]: 1 },
  };
}
