/**
 * The guest driver `irqlab compare` and the testkit run: what a Linux driver for toy8 would
 * do, through trapped MMIO only (every access is a counted exit).
 *
 *   attach      KVM_CREATE_DEVICE, ADDR attribute = TOY8_GUEST_BASE (maps the registers)
 *   configure   one pin per source, in order: SRC_CFG[pin] = enable | level | target
 *               -> IRQCHIP route (irqchip 0, pin)
 *   service     one external-interrupt entry: ACK read -> handler -> EOI write
 *   sendIpi     IPI register write (value = target vCPU)
 */
import {
  Errno,
  encodeU64,
  fail,
  IPI_SOURCE,
  type DeviceHandle,
  type GuestDriver,
  type GuestDriverContribution,
  type RouteSpec,
  type SourceSpec,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import {
  KVM_DEV_TOY8_GRP_ADDR,
  KVM_DEV_TYPE_TOY8,
  TOY8_IPI,
  TOY8_PINS,
  TOY8_REG_ACK,
  TOY8_REG_EOI,
  TOY8_REG_IPI,
  TOY8_SPURIOUS,
  TOY8_SRC_ENABLE,
  TOY8_SRC_LEVEL,
  TOY8_SRC_TARGET_SHIFT,
  toy8SrcCfg,
} from "./constants.js";
import { TOY8_IRQCHIP_INDEX } from "./irqchip.js";

/** Where the guest driver maps the register block. */
export const TOY8_GUEST_BASE = 0xd0000000;

export class Toy8GuestDriver implements GuestDriver {
  /** pin -> workload source index. */
  private readonly sourceOfPin = new Int32Array(TOY8_PINS).fill(-1);
  private nextPin = 0;
  private readonly ackAddr: number;
  private readonly eoiAddr: number;

  private constructor(
    private readonly vm: Vm,
    readonly controller: DeviceHandle,
    private readonly base: number,
  ) {
    this.ackAddr = base + TOY8_REG_ACK;
    this.eoiAddr = base + TOY8_REG_EOI;
  }

  static attach(vm: Vm, base = TOY8_GUEST_BASE): Toy8GuestDriver {
    const dev = vm.createDevice(KVM_DEV_TYPE_TOY8);
    dev.setAttr({ group: KVM_DEV_TOY8_GRP_ADDR, attr: 0, addr: encodeU64(base, vm.endian) });
    return new Toy8GuestDriver(vm, dev, base);
  }

  configureSource(spec: SourceSpec): RouteSpec {
    if (this.nextPin >= TOY8_PINS) fail(Errno.ENOSPC, `toy8 has ${TOY8_PINS} pins: none left for source ${spec.index}`);
    if (!(spec.vcpu >= 0 && spec.vcpu < this.vm.vcpus.length && spec.vcpu <= 0xff)) {
      fail(Errno.EINVAL, `toy8: source ${spec.index} targets vCPU ${spec.vcpu}, which it cannot reach`);
    }
    const pin = this.nextPin++;
    this.sourceOfPin[pin] = spec.index;
    const cfg = TOY8_SRC_ENABLE | (spec.trigger === "level" ? TOY8_SRC_LEVEL : 0) | (spec.vcpu << TOY8_SRC_TARGET_SHIFT);
    // toy8 has no priorities: spec.priority is ignored (say so in the README).
    this.vm.vcpus[0].mmioWrite(this.base + toy8SrcCfg(pin), 4, cfg);
    return { type: "irqchip", irqchip: TOY8_IRQCHIP_INDEX, pin };
  }

  service(vcpu: Vcpu, handler: (source: number) => void): number {
    const v = vcpu.mmioRead(this.ackAddr, 4);
    if (v === TOY8_SPURIOUS) return 0;
    handler(v === TOY8_IPI ? IPI_SOURCE : this.sourceOfPin[v]);
    vcpu.mmioWrite(this.eoiAddr, 4, v);
    return 1;
  }

  sendIpi(from: Vcpu, to: number): void {
    from.mmioWrite(this.base + TOY8_REG_IPI, 4, to);
  }
}

export const toy8GuestDriverContribution: GuestDriverContribution = {
  id: "toy8",
  label: "toy8",
  arch: "__ARCH__",
  deviceType: KVM_DEV_TYPE_TOY8,
  attach: (vm) => Toy8GuestDriver.attach(vm),
};
