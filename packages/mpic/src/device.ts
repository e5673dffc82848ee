/**
 * The kvm-mpic device (kvm_mpic_ops): creation with the one-MPIC-per-VM rule, the three
 * attribute groups, the register window on the MMIO bus, the irqchip registration, vCPU
 * connection and destroy (MPIC has destroy and no release: closing the descriptor keeps it).
 */
import {
  Errno,
  fail,
  quirksOf,
  UapiView,
  type DeviceAttr,
  type DeviceBackend,
  type HasCounters,
  type HasDumpState,
  type KvmDevice,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import {
  BASE_ALIGN_MASK,
  KVM_DEV_MPIC_BASE_ADDR,
  KVM_DEV_MPIC_GRP_IRQ_ACTIVE,
  KVM_DEV_MPIC_GRP_MISC,
  KVM_DEV_MPIC_GRP_REGISTER,
  KVM_REG_PPC_EPR,
  MAX_CPU,
  MAX_SRC,
  OPENPIC_REG_SIZE,
} from "./constants.js";
import { dumpMpic } from "./dump.js";
import { MpicIrqChip } from "./irqchip.js";
import { MpicMmioRegion } from "./mmio.js";
import { modelForType, type MpicModel } from "./model.js";
import { OpenPic, type CriticalOutputMode } from "./openpic.js";
import { MpicQuirkSet } from "./quirks.js";
import { NOT_HANDLED, readRegister, writeRegister } from "./register-map.js";
import { emit } from "./trace.js";

/** What a connected vCPU records (vcpu.irqchipState): its MPIC and MPIC CPU number, and EPR. */
export class MpicVcpuState {
  /** External proxy register: the vector KVM acknowledged on the vCPU's behalf. */
  epr = 0;
  constructor(
    readonly device: MpicDevice,
    readonly cpu: number,
  ) {}
}

/** kvm->arch.mpic: at most one MPIC per VM, until the VM destroys it. */
const mpicOfVm = new WeakMap<Vm, MpicDevice>();

/** The MPIC of a VM, if one exists. */
export function mpicOf(vm: Vm): MpicDevice | undefined {
  return mpicOfVm.get(vm);
}

export class MpicDevice implements DeviceBackend, HasDumpState, HasCounters {
  /** The state machine (exposed for inspection and tests; guests use MMIO). */
  readonly pic: OpenPic;
  readonly chip: MpicIrqChip;
  readonly region: MpicMmioRegion;
  /** KVM_DEV_MPIC_BASE_ADDR as stored (u64). */
  private regBase = 0n;
  /** Whether the window is on the MMIO bus now (a failed mapping is not reported, §7.1). */
  mapped = false;
  /** The accessing CPU for guest MMIO to the global per-CPU aliases (see runOnVcpu). */
  accessCpu = -1;
  private readonly eprRegs: Vcpu[] = [];

  private constructor(
    readonly vm: Vm,
    readonly model: MpicModel,
    readonly kvmDevice: KvmDevice,
  ) {
    this.pic = new OpenPic(model, vm.tracer, MpicQuirkSet.from(quirksOf(vm)));
    this.chip = new MpicIrqChip(this.pic);
    this.region = new MpicMmioRegion(this.pic, this, vm.exitStats, vm.endian);
    const chip = this.chip;
    const acks = vm.ackNotifiers;
    // kvm_notify_acked_irq(kvm, 0, source): sources >= 256 (IPIs, timers) have no GSI.
    this.pic.onEoi = (source: number) => {
      if (source < MAX_SRC) acks.notify(chip, source);
    };
  }

  /** mpic_create: EINVAL if the VM already has an MPIC (either model), ENODEV for other types. */
  static create(vm: Vm, type: number, device: KvmDevice): MpicDevice {
    if (mpicOfVm.has(vm)) fail(Errno.EINVAL, `VM already has an MPIC (one per VM, any model)`);
    const model = modelForType(type);
    if (!model) fail(Errno.ENODEV, `device type ${type} is not an MPIC`);
    const dev = new MpicDevice(vm, model, device);
    // Registering the chip installs the empty routing table (resetsRouting).
    vm.irqchips.register(dev.chip);
    mpicOfVm.set(vm, dev);
    return dev;
  }

  // ---------------------------------------------------------------- attributes

  setAttr(attr: DeviceAttr): number {
    switch (attr.group) {
      case KVM_DEV_MPIC_GRP_MISC:
        if (attr.attr === BigInt(KVM_DEV_MPIC_BASE_ADDR)) return this.setBaseAddr(attr);
        break;
      case KVM_DEV_MPIC_GRP_REGISTER: {
        const value = new UapiView(attr.addr, 4, this.vm.endian, "MPIC register value (u32)").u32(0);
        return this.accessRegister(attr.attr, value, true);
      }
      case KVM_DEV_MPIC_GRP_IRQ_ACTIVE: {
        if (attr.attr > BigInt(MAX_SRC)) fail(Errno.EINVAL, `IRQ_ACTIVE source ${attr.attr} (0..${MAX_SRC})`);
        const value = new UapiView(attr.addr, 4, this.vm.endian, "MPIC IRQ_ACTIVE value (u32)").u32(0);
        if (value !== 0 && value !== 1) fail(Errno.EINVAL, `IRQ_ACTIVE value ${value} (0 or 1)`);
        this.pic.setIrq(Number(attr.attr), value);
        return 0;
      }
    }
    return fail(Errno.ENXIO, `MPIC has no attribute group ${attr.group} / attr ${attr.attr}`);
  }

  getAttr(attr: DeviceAttr): number {
    switch (attr.group) {
      case KVM_DEV_MPIC_GRP_MISC:
        if (attr.attr === BigInt(KVM_DEV_MPIC_BASE_ADDR)) {
          new UapiView(attr.addr, 8, this.vm.endian, "MPIC base address (u64)").setU64(0, this.regBase);
          return 0;
        }
        break;
      case KVM_DEV_MPIC_GRP_REGISTER: {
        // The read (and its side effects) happens before the payload is written (§7.2).
        const value = this.accessRegister(attr.attr, 0, false);
        new UapiView(attr.addr, 4, this.vm.endian, "MPIC register value (u32)").setU32(0, value);
        return 0;
      }
      case KVM_DEV_MPIC_GRP_IRQ_ACTIVE: {
        if (attr.attr > BigInt(MAX_SRC)) fail(Errno.EINVAL, `IRQ_ACTIVE source ${attr.attr} (0..${MAX_SRC})`);
        const pending = this.pic.pending[Number(attr.attr)] >>> 0;
        new UapiView(attr.addr, 4, this.vm.endian, "MPIC IRQ_ACTIVE value (u32)").setU32(0, pending);
        return 0;
      }
    }
    return fail(Errno.ENXIO, `MPIC has no attribute group ${attr.group} / attr ${attr.attr}`);
  }

  hasAttr(attr: DeviceAttr): number {
    switch (attr.group) {
      case KVM_DEV_MPIC_GRP_MISC:
        if (attr.attr === BigInt(KVM_DEV_MPIC_BASE_ADDR)) return 0;
        break;
      case KVM_DEV_MPIC_GRP_REGISTER:
        return 0;
      case KVM_DEV_MPIC_GRP_IRQ_ACTIVE:
        if (attr.attr <= BigInt(MAX_SRC)) return 0;
        break;
    }
    return fail(Errno.ENXIO, `MPIC has no attribute group ${attr.group} / attr ${attr.attr}`);
  }

  /** access_reg: offset not 4-aligned or outside every block -> ENXIO; handler errors pass. */
  private accessRegister(offset: bigint, value: number, write: boolean): number {
    if ((offset & 3n) !== 0n) fail(Errno.ENXIO, `MPIC register offset 0x${offset.toString(16)} is not 4-byte aligned`);
    const off = offset < BigInt(OPENPIC_REG_SIZE) ? Number(offset) : -1;
    const r = write ? writeRegister(this.pic, off, value, -1) : readRegister(this.pic, off, -1);
    if (r === NOT_HANDLED) {
      fail(Errno.ENXIO, `MPIC register 0x${offset.toString(16)}: no such register for ${write ? "write" : "read"}`);
    }
    return r >>> 0;
  }

  /** set_base_addr (§7.1). */
  private setBaseAddr(attr: DeviceAttr): number {
    const base = new UapiView(attr.addr, 8, this.vm.endian, "MPIC base address (u64)").u64(0);
    if ((base & BigInt(BASE_ALIGN_MASK)) !== 0n) {
      fail(Errno.EINVAL, `MPIC base address 0x${base.toString(16)} is not 256 KiB aligned`);
    }
    if (base === this.regBase) return 0;
    this.unmapWindow();
    this.regBase = base;
    if (base !== 0n) this.mapWindow();
    return 0;
  }

  get baseAddress(): bigint {
    return this.regBase;
  }

  private mapWindow(): void {
    const base = this.regBase;
    // kvm_io_bus_register_dev failures are not reported to userspace: the base is stored
    // and the window stays off the bus (a base beyond JS-safe addresses cannot be mapped).
    try {
      if (base <= BigInt(Number.MAX_SAFE_INTEGER)) {
        this.vm.mmio.map(Number(base), OPENPIC_REG_SIZE, this.region, "kvm-mpic");
        this.mapped = true;
      }
    } catch {
      this.mapped = false;
    }
    if (this.vm.tracer.enabled) emit(this.vm.tracer, "mpic.base", { base: `0x${base.toString(16)}`, mapped: this.mapped });
  }

  private unmapWindow(): void {
    if (this.mapped) this.vm.mmio.unmap(this.region);
    this.mapped = false;
  }

  // ---------------------------------------------------------------- vCPUs

  /**
   * kvmppc_mpic_connect_vcpu after the type/VM/CPU-range checks (vcpu-connect.ts): the slot
   * must be free (EEXIST), the vCPU unattached (EBUSY).
   */
  connectVcpu(vcpu: Vcpu, cpu: number): void {
    if (this.pic.vcpus[cpu] !== null) fail(Errno.EEXIST, `MPIC CPU ${cpu} already has vCPU ${this.pic.vcpus[cpu]!.id}`);
    if (vcpu.irqchipKind !== null) fail(Errno.EBUSY, `vCPU ${vcpu.id} is already attached to ${vcpu.irqchipKind}`);
    const state = new MpicVcpuState(this, cpu);
    vcpu.attachIrqchip("mpic", cpu, state);
    this.pic.attach(cpu, vcpu);
    // KVM_REG_PPC_EPR is a BookE vCPU register; register it here when nothing else has.
    try {
      vcpu.oneReg.lookup(KVM_REG_PPC_EPR);
    } catch {
      vcpu.oneReg.register(KVM_REG_PPC_EPR, {
        name: "KVM_REG_PPC_EPR",
        get: () => BigInt((vcpu.irqchipState as MpicVcpuState | null)?.epr ?? 0),
        set: (v: bigint) => {
          const s = vcpu.irqchipState as MpicVcpuState | null;
          if (s instanceof MpicVcpuState) s.epr = Number(v & 0xffffffffn);
        },
      });
      this.eprRegs.push(vcpu);
    }
    if (this.vm.tracer.enabled) emit(this.vm.tracer, "mpic.connect", { vcpu: vcpu.id, cpu });
  }

  /** The MPIC CPU number of `vcpu` as KVM's get_current_cpu() sees it (0 if never attached). */
  cpuOf(vcpu: Vcpu): number {
    const s = vcpu.irqchipState;
    return s instanceof MpicVcpuState && s.device === this ? s.cpu : 0;
  }

  /**
   * Runs `fn` as guest code of `vcpu`: MMIO to the global per-CPU aliases (0x40..0xB0) then
   * acts on that vCPU's MPIC CPU, as in KVM where the vCPU is loaded during KVM_RUN. Accesses
   * made with `vcpu.mmioRead/mmioWrite` carry their vCPU already; bus accesses without a vCPU
   * outside this scope find the aliases inert (CPU -1).
   */
  runOnVcpu<T>(vcpu: Vcpu, fn: () => T): T {
    const saved = this.accessCpu;
    this.accessCpu = this.cpuOf(vcpu);
    try {
      return fn();
    } finally {
      this.accessCpu = saved;
    }
  }

  /**
   * KVM's external-interrupt delivery hook for proxy mode (kvmppc_mpic_set_epr): when the
   * vCPU takes its external interrupt and GCR selects proxy (v4.2 only), KVM acknowledges on
   * its behalf and puts the vector in EPR. Returns the EPR value, or -1 when proxy delivery
   * does not apply (v2.0, GCR not in proxy mode, vCPU not on this MPIC).
   */
  deliverExternal(vcpu: Vcpu): number {
    const s = vcpu.irqchipState;
    if (!(s instanceof MpicVcpuState) || s.device !== this || !this.model.proxyCapable) return -1;
    if (!this.pic.proxyMode) return -1;
    s.epr = this.pic.iack(s.cpu);
    return s.epr;
  }

  /** Critical / machine-check output handling (default "kvm": never signalled). */
  setCriticalOutputs(mode: CriticalOutputMode): void {
    if (mode !== "kvm" && mode !== "vcpu-lines") fail(Errno.EINVAL, `critical output mode ${String(mode)}`);
    this.pic.criticalOutputs = mode;
  }

  // ---------------------------------------------------------------- lifecycle

  /** mpic_destroy (VM destruction): the VM may create an MPIC again only after this. */
  destroy(): void {
    this.unmapWindow();
    this.vm.irqchips.unregister(this.chip);
    for (let c = 0; c < MAX_CPU; c++) {
      const v = this.pic.vcpus[c];
      if (v) {
        this.pic.detach(c);
        if (v.irqchipState instanceof MpicVcpuState && v.irqchipState.device === this) v.detachIrqchip();
      }
    }
    for (const v of this.eprRegs) v.oneReg.unregister(KVM_REG_PPC_EPR);
    this.eprRegs.length = 0;
    if (mpicOfVm.get(this.vm) === this) mpicOfVm.delete(this.vm);
  }

  // ---------------------------------------------------------------- introspection

  dumpState(): string {
    return dumpMpic(this);
  }

  counters(): Record<string, number> {
    return { ...this.pic.counters(), mmioUnhandled: this.region.unhandled };
  }
}
