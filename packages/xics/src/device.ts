/**
 * KVM_DEV_TYPE_XICS (3) as a device backend (kvm_xics_ops): create (one per VM, EEXIST),
 * the attribute groups, release (closing the descriptor removes the device; a new one can
 * then be created), and the vCPU capability KVM_CAP_IRQ_XICS that connects a vCPU.
 *
 * On create the device registers its IrqChip (index 0), the six hypercalls and the four
 * RTAS calls; release unregisters them, frees every ICP and every ICS block.
 *
 * | group                        | attr               | set                         | get              | has          |
 * |------------------------------|--------------------|-----------------------------|------------------|--------------|
 * | 1 KVM_DEV_XICS_GRP_SOURCES   | source 16..2^20-1  | ENOENT, EFAULT, EINVAL      | ENOENT, EFAULT   | 0 / ENXIO    |
 * | 2 KVM_DEV_XICS_GRP_CTRL      | 1 NR_SERVERS       | ENXIO (XICS-on-XIVE only)   | ENXIO            | ENXIO        |
 * | any other                    |                    | ENXIO                       | ENXIO            | ENXIO        |
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
import { KVM_DEV_XICS_GRP_SOURCES, KVMPPC_XICS_FIRST_IRQ, KVMPPC_XICS_NR_IRQS } from "./constants.js";
import { dumpXicsState } from "./dump.js";
import { registerXicsHcalls } from "./hcalls.js";
import { XicsIrqChip } from "./irqchip.js";
import { XICS_RTAS_HANDLERS } from "./rtas.js";
import { Xics } from "./xics.js";
import { XicsVmToken, type XicsVm } from "./xics-vm.js";

/** The backend object behind an XICS descriptor (`handle.backend<XicsDevice>()`). */
export class XicsDevice implements DeviceBackend, HasCounters, HasDumpState {
  readonly xics: Xics;
  readonly chip: XicsIrqChip;
  private readonly teardown = new Teardown();

  constructor(
    readonly ctx: XicsVm,
    readonly device: KvmDevice,
  ) {
    const vm = ctx.vm;
    this.xics = new Xics(vm);
    this.chip = new XicsIrqChip(this.xics);
    this.xics.chip = this.chip;
    this.teardown.guard(() => {
      this.teardown.add(registerXicsHcalls(vm.hcalls, this.xics));
      for (const [name, call] of XICS_RTAS_HANDLERS) {
        vm.rtas.register(name, (_vcpu, args, rets) => call(this.xics, args.length, rets.length, args, rets));
        this.teardown.add(() => vm.rtas.unregister(name));
      }
      vm.irqchips.register(this.chip);
      this.teardown.add(() => vm.irqchips.unregister(this.chip));
    });
    ctx.xics = this.xics;
  }

  setAttr(attr: DeviceAttr): number {
    if (attr.group === KVM_DEV_XICS_GRP_SOURCES) {
      this.xics.setSource(attr.attr, attr.addr);
      return 0;
    }
    return fail(Errno.ENXIO, `XICS has no attribute group ${attr.group} (only KVM_DEV_XICS_GRP_SOURCES)`);
  }

  getAttr(attr: DeviceAttr): number {
    if (attr.group === KVM_DEV_XICS_GRP_SOURCES) {
      this.xics.getSource(attr.attr, attr.addr);
      return 0;
    }
    return fail(Errno.ENXIO, `XICS has no attribute group ${attr.group} (only KVM_DEV_XICS_GRP_SOURCES)`);
  }

  hasAttr(attr: DeviceAttr): number {
    if (attr.group === KVM_DEV_XICS_GRP_SOURCES && attr.attr >= BigInt(KVMPPC_XICS_FIRST_IRQ) && attr.attr < BigInt(KVMPPC_XICS_NR_IRQS)) {
      return 0;
    }
    return fail(Errno.ENXIO, `XICS has no attribute ${attr.group}/${attr.attr}`);
  }

  /** kvmppc_xics_release: the descriptor's last close. */
  release(): void {
    this.teardown.run();
    this.xics.release();
    if (this.ctx.xics === this.xics) this.ctx.xics = null;
  }

  counters(): Record<string, number> {
    let kicks = 0;
    for (const icp of this.xics.icps()) kicks += icp.kicks;
    return { ...this.xics.counters.snapshot(), kicks, blocks: this.xics.ics.allocated };
  }

  dumpState(): string {
    return dumpXicsState(this.xics);
  }
}

/** kvmppc_xics_create: EEXIST when the VM already has an XICS. */
export function createXicsDevice({ vm, device }: DeviceCreateContext): XicsDevice {
  const ctx = vm.get<XicsVm>(XicsVmToken);
  if (ctx.xics !== null) fail(Errno.EEXIST, "this VM already has an XICS device");
  return new XicsDevice(ctx, device);
}

/**
 * KVM_CAP_IRQ_XICS (kvmppc_xics_connect_vcpu): args[1] is the server number (u32).
 * EPERM when the descriptor is not this VM's XICS, EBUSY when the vCPU already has an
 * interrupt controller, EEXIST when the server number is taken.
 */
export const xicsCapHandler: VcpuCapHandler = {
  cap: KVM_CAP_IRQ_XICS,
  connect(vcpu: Vcpu, device: KvmDevice, args: readonly bigint[]): void {
    const backend = device.backend;
    if (!(backend instanceof XicsDevice)) fail(Errno.EPERM, `descriptor is a ${device.name}, not an XICS device`);
    if (device.vm !== vcpu.vm) fail(Errno.EPERM, "the XICS device belongs to another VM");
    if (vcpu.irqchipKind !== null) fail(Errno.EBUSY, `vCPU ${vcpu.id} is already connected to ${vcpu.irqchipKind}`);
    backend.xics.connect(vcpu, Number(BigInt.asUintN(32, args[1] ?? 0n)));
  },
};

/** The DeviceContribution of the plugin. */
export const xicsDeviceContribution: DeviceContribution = {
  name: "kvm-xics",
  types: [KVM_DEV_TYPE_XICS],
  arch: ["ppc64"],
  create: createXicsDevice,
  vcpuCaps: [xicsCapHandler],
  extensions: { [KVM_CAP_IRQ_XICS]: 1 },
};
