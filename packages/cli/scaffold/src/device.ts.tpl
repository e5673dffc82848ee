/**
 * kvm-toy8: the device backend (kvm_device_ops). Created by KVM_CREATE_DEVICE (one per VM,
 * EEXIST for a second), it owns the model, registers the IrqChip, attaches every vCPU and
 * registers its ONE_REG, and maps the register block on the MMIO bus once the ADDR attribute
 * is set. Everything it registers goes through one Teardown, so a refused create leaves
 * nothing behind and closing the descriptor (release) undoes it all.
 *
 *   setAttr/getAttr/hasAttr   group 1 ADDR (attr 0), group 2 SOURCE (attr = pin)
 *   MMIO [base, base+4K)      SRC_CFG[p], PENDING, ACK, EOI, IPI   (each access an exit)
 *   ONE_REG per vCPU          KVM_REG_TOY8_CPU_STATE (IPI pending)
 *   dumpState / counters      irqlab inspect, tests
 */
import {
  Errno,
  fail,
  Teardown,
  UapiView,
  type DeviceAttr,
  type DeviceBackend,
  type HasCounters,
  type HasDumpState,
  type KvmDevice,
  type MmioRegion,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import {
  KVM_DEV_TOY8_GRP_ADDR,
  KVM_DEV_TOY8_GRP_SOURCE,
  KVM_REG_TOY8_CPU_STATE,
  TOY8_CFG_MASK,
  TOY8_CPU_IPI_PENDING,
  TOY8_MMIO_SIZE,
  TOY8_PINS,
  TOY8_REG_ACK,
  TOY8_REG_EOI,
  TOY8_REG_IPI,
  TOY8_REG_PENDING,
  TOY8_SPURIOUS,
  TOY8_SRC_ENABLE,
  TOY8_SRC_IN_SERVICE,
  TOY8_SRC_LEVEL,
  TOY8_SRC_PENDING,
  TOY8_SRC_TARGET_SHIFT,
  TOY8_SRC_WORD_MASK,
} from "./constants.js";
import { Toy8Controller } from "./controller.js";
import { Toy8IrqChip } from "./irqchip.js";

/** The toy8 instance of each VM (the one-instance rule). */
const instances = new WeakMap<Vm, Toy8Device>();

export class Toy8Device implements DeviceBackend, HasDumpState, HasCounters {
  readonly controller: Toy8Controller;
  readonly chip: Toy8IrqChip;
  /** Guest-physical base of the register block, or -1 until the ADDR attribute is set. */
  base = -1;
  private readonly teardown = new Teardown();
  private readonly region: MmioRegion;

  private constructor(readonly vm: Vm) {
    this.controller = new Toy8Controller(vm.vcpus, vm.ackNotifiers, vm.tracer);
    this.chip = new Toy8IrqChip(this.controller);
    this.controller.chip = this.chip;
    this.region = {
      read: (offset, size, vcpu) => this.mmioRead(offset, size, vcpu),
      write: (offset, size, value, vcpu) => this.mmioWrite(offset, size, value, vcpu),
    };
  }

  /** kvm_device_ops.create: refuses a second instance with EEXIST; leaves nothing behind on failure. */
  static create(vm: Vm, _device: KvmDevice): Toy8Device {
    if (instances.has(vm)) fail(Errno.EEXIST, "toy8: this VM already has a toy8 device");
    const d = new Toy8Device(vm);
    d.teardown.guard(() => {
      vm.irqchips.register(d.chip);
      d.teardown.add(() => vm.irqchips.unregister(d.chip));
      for (const vcpu of vm.vcpus) {
        // Wired to every vCPU by construction (no KVM_ENABLE_CAP): EBUSY if one is taken.
        vcpu.attachIrqchip("toy8", vcpu.id, d);
        d.teardown.add(() => {
          vcpu.detachIrqchip();
          vcpu.ext.deassert();
        });
        vcpu.oneReg.register(KVM_REG_TOY8_CPU_STATE, {
          name: "KVM_REG_TOY8_CPU_STATE",
          get: () => (d.controller.ipiPending[vcpu.id] ? TOY8_CPU_IPI_PENDING : 0n),
          set: (v) => d.setCpuState(vcpu, v),
        });
        d.teardown.add(() => vcpu.oneReg.unregister(KVM_REG_TOY8_CPU_STATE));
      }
    });
    instances.set(vm, d);
    d.teardown.add(() => instances.delete(vm));
    return d;
  }

  // ---- kvm_device_ops -------------------------------------------------------------------

  setAttr(a: DeviceAttr): number {
    switch (a.group) {
      case KVM_DEV_TOY8_GRP_ADDR: {
        if (a.attrIndex !== 0) fail(Errno.ENXIO, `toy8: ADDR has no attribute ${a.attr}`);
        const value = new UapiView(a.addr, 8, this.vm.endian, "toy8 base address").u64(0);
        if (this.base >= 0) fail(Errno.EEXIST, `toy8: base address already set (0x${this.base.toString(16)})`);
        if (value % 0x1000n !== 0n || value + BigInt(TOY8_MMIO_SIZE) > BigInt(Number.MAX_SAFE_INTEGER)) {
          fail(Errno.EINVAL, `toy8: base address 0x${value.toString(16)} (must be 4 KiB aligned, below 2^53)`);
        }
        const base = Number(value);
        this.vm.mmio.map(base, TOY8_MMIO_SIZE, this.region, "toy8"); // EEXIST on overlap, nothing changed
        this.base = base;
        this.teardown.add(() => {
          this.vm.mmio.unmap(this.region);
          this.base = -1;
        });
        return 0;
      }
      case KVM_DEV_TOY8_GRP_SOURCE: {
        const pin = this.pinOf(a);
        const word = new UapiView(a.addr, 8, this.vm.endian, "toy8 source word").u64(0);
        this.setSourceWord(pin, word);
        return 0;
      }
    }
    fail(Errno.ENXIO, `toy8: no attribute group ${a.group}`);
  }

  getAttr(a: DeviceAttr): number {
    switch (a.group) {
      case KVM_DEV_TOY8_GRP_ADDR: {
        if (a.attrIndex !== 0) fail(Errno.ENXIO, `toy8: ADDR has no attribute ${a.attr}`);
        new UapiView(a.addr, 8, this.vm.endian, "toy8 base address").setU64(0, this.base < 0 ? 0 : this.base);
        return 0;
      }
      case KVM_DEV_TOY8_GRP_SOURCE: {
        const pin = this.pinOf(a);
        new UapiView(a.addr, 8, this.vm.endian, "toy8 source word").setU64(0, this.sourceWord(pin));
        return 0;
      }
    }
    fail(Errno.ENXIO, `toy8: no attribute group ${a.group}`);
  }

  hasAttr(a: DeviceAttr): number {
    if (a.group === KVM_DEV_TOY8_GRP_ADDR && a.attrIndex === 0) return 0;
    if (a.group === KVM_DEV_TOY8_GRP_SOURCE && a.attrIndex < TOY8_PINS) return 0;
    fail(Errno.ENXIO, `toy8: no attribute ${a.group}/${a.attr}`);
  }

  /** Closing the descriptor removes the device (kvm_device_ops.release). */
  release(): void {
    this.teardown.run();
  }

  // ---- state words (save/restore) -------------------------------------------------------

  private pinOf(a: DeviceAttr): number {
    if (!(a.attrIndex < TOY8_PINS)) fail(Errno.ENXIO, `toy8: no source ${a.attr} (pins 0..${TOY8_PINS - 1})`);
    return a.attrIndex;
  }

  sourceWord(pin: number): number {
    const c = this.controller;
    return (
      (c.enabled[pin] ? TOY8_SRC_ENABLE : 0) |
      (c.level[pin] ? TOY8_SRC_LEVEL : 0) |
      (c.pending(pin) ? TOY8_SRC_PENDING : 0) |
      (c.inService[pin] ? TOY8_SRC_IN_SERVICE : 0) |
      (c.target[pin] << TOY8_SRC_TARGET_SHIFT)
    );
  }

  /**
   * Restores one source. Validates the whole word first (reserved bits, target vCPU: EINVAL),
   * then applies it. A pending level source is asserted on source id 0 (the line a VMM
   * re-drives after restore).
   */
  setSourceWord(pin: number, value: bigint): void {
    if (value > 0xffffn || (Number(value) & ~TOY8_SRC_WORD_MASK) !== 0) {
      fail(Errno.EINVAL, `toy8: source word 0x${value.toString(16)} has reserved bits set`);
    }
    const w = Number(value);
    const target = w >>> TOY8_SRC_TARGET_SHIFT;
    if (target >= this.vm.vcpus.length) fail(Errno.EINVAL, `toy8: source ${pin} target vCPU ${target} (VM has ${this.vm.vcpus.length})`);
    const c = this.controller;
    const oldTarget = c.target[pin];
    c.enabled[pin] = w & TOY8_SRC_ENABLE ? 1 : 0;
    c.level[pin] = w & TOY8_SRC_LEVEL ? 1 : 0;
    c.inService[pin] = w & TOY8_SRC_IN_SERVICE ? 1 : 0;
    c.target[pin] = target;
    const pending = (w & TOY8_SRC_PENDING) !== 0;
    c.latched[pin] = !c.level[pin] && pending ? 1 : 0;
    c.lineBits[pin] = c.level[pin] && pending ? 1 : 0;
    c.updateLine(oldTarget);
    c.updateLine(target);
  }

  private setCpuState(vcpu: Vcpu, v: bigint): void {
    if ((v & ~TOY8_CPU_IPI_PENDING) !== 0n) fail(Errno.EINVAL, `KVM_REG_TOY8_CPU_STATE 0x${v.toString(16)}: reserved bits set`);
    this.controller.ipiPending[vcpu.id] = v & TOY8_CPU_IPI_PENDING ? 1 : 0;
    this.controller.updateLine(vcpu.id);
  }

  // ---- the guest's register block (trapped MMIO) ----------------------------------------

  private mmioRead(offset: number, size: number, vcpu: Vcpu | null): number {
    if (size !== 4 || offset % 4 !== 0) {
      this.vm.tracer.guestError("toy8", `MMIO read of ${size} bytes at 0x${offset.toString(16)} (32-bit aligned only)`);
      return 0xffffffff;
    }
    const c = this.controller;
    if (offset < TOY8_PINS * 4) return (this.sourceWord(offset >>> 2) & TOY8_CFG_MASK) >>> 0;
    if (offset === TOY8_REG_PENDING) {
      let bits = 0;
      for (let p = 0; p < TOY8_PINS; p++) if (c.pending(p)) bits |= 1 << p;
      return bits;
    }
    if (offset === TOY8_REG_ACK) return vcpu === null ? TOY8_SPURIOUS : c.ack(vcpu.id);
    return 0;
  }

  private mmioWrite(offset: number, size: number, value: number, vcpu: Vcpu | null): void {
    if (size !== 4 || offset % 4 !== 0) {
      this.vm.tracer.guestError("toy8", `MMIO write of ${size} bytes at 0x${offset.toString(16)} (32-bit aligned only)`);
      return;
    }
    const c = this.controller;
    if (offset < TOY8_PINS * 4) {
      const target = (value >>> TOY8_SRC_TARGET_SHIFT) & 0xff;
      if (target >= this.vm.vcpus.length) {
        this.vm.tracer.guestError("toy8", `SRC_CFG[${offset >>> 2}]: target vCPU ${target} does not exist`);
        return;
      }
      c.configure(offset >>> 2, (value & TOY8_SRC_ENABLE) !== 0, (value & TOY8_SRC_LEVEL) !== 0, target);
      return;
    }
    const from = vcpu === null ? -1 : vcpu.id;
    if (offset === TOY8_REG_EOI) {
      if (vcpu !== null) c.eoi(vcpu.id, value >>> 0);
      return;
    }
    if (offset === TOY8_REG_IPI) {
      c.ipi(from, value >>> 0);
      return;
    }
    this.vm.tracer.guestError("toy8", `MMIO write to read-only or unknown register 0x${offset.toString(16)}`);
  }

  // ---- observability --------------------------------------------------------------------

  counters(): Record<string, number> {
    return this.controller.counters();
  }

  /** The state in words, like QEMU's `info pic` (printed by `irqlab inspect`). */
  dumpState(): string {
    const c = this.controller;
    const lines = [`toy8: base ${this.base < 0 ? "unset" : `0x${this.base.toString(16)}`}, ${TOY8_PINS} pins, ${c.vcpus.length} vCPU(s)`];
    for (let p = 0; p < TOY8_PINS; p++) {
      const flags = [c.pending(p) ? "pending" : "", c.inService[p] ? "in-service" : ""].filter(Boolean).join(" ");
      lines.push(`  pin ${p}: ${c.level[p] ? "level" : "edge "} ${c.enabled[p] ? "enabled " : "disabled"} -> vCPU ${c.target[p]}${flags ? ` [${flags}]` : ""}`);
    }
    for (const v of c.vcpus) {
      lines.push(`  vCPU ${v.id}: line ${v.ext.asserted ? "up" : "down"}${c.ipiPending[v.id] ? ", IPI pending" : ""}`);
    }
    return lines.join("\n");
  }
}
