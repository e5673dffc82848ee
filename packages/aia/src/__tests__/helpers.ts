/** Test helpers: an AIA VM and typed attribute accessors (the checklist's vocabulary). */
import { createVm, decodeU32, decodeU64, encodeU32, encodeU64, type ContainerModule, type DeviceHandle, type Vm } from "@irqlab/core";
import routingModule, { GsiRouting } from "@irqlab/routing";
import {
  KVM_DEV_RISCV_AIA_ADDR_APLIC,
  KVM_DEV_RISCV_AIA_ADDR_IMSIC,
  KVM_DEV_RISCV_AIA_CONFIG_HART_BITS,
  KVM_DEV_RISCV_AIA_CONFIG_IDS,
  KVM_DEV_RISCV_AIA_CONFIG_SRCS,
  KVM_DEV_RISCV_AIA_CTRL_INIT,
  KVM_DEV_RISCV_AIA_GRP_ADDR,
  KVM_DEV_RISCV_AIA_GRP_APLIC,
  KVM_DEV_RISCV_AIA_GRP_CONFIG,
  KVM_DEV_RISCV_AIA_GRP_CTRL,
  KVM_DEV_RISCV_AIA_GRP_IMSIC,
  KVM_DEV_RISCV_AIA_IMSIC_MKATTR,
  KVM_DEV_TYPE_RISCV_AIA,
  KVM_REG_RISCV_CSR_GENERAL_REG,
  KVM_RISCV_CSR_SIP_INDEX,
} from "../constants.js";
import { aiaModule } from "../module.js";
import type { AiaDevice } from "../device.js";

export const APLIC = 0x0c000000;
export const IMSIC0 = 0x28000000;
export const IMSIC1 = 0x28001000;
export const SIP = KVM_REG_RISCV_CSR_GENERAL_REG(KVM_RISCV_CSR_SIP_INDEX);

export class Aia {
  constructor(
    readonly vm: Vm,
    readonly h: DeviceHandle,
  ) {}

  get routing(): GsiRouting {
    return this.vm.get(GsiRouting);
  }
  setCfg(attr: number, v: number): number {
    return this.h.setAttr({ group: KVM_DEV_RISCV_AIA_GRP_CONFIG, attr, addr: encodeU32(v) });
  }
  getCfg(attr: number): number {
    const b = new Uint8Array(4);
    this.h.getAttr({ group: KVM_DEV_RISCV_AIA_GRP_CONFIG, attr, addr: b });
    return decodeU32(b);
  }
  setAddr(attr: number, v: number | bigint): number {
    return this.h.setAttr({ group: KVM_DEV_RISCV_AIA_GRP_ADDR, attr, addr: encodeU64(v) });
  }
  getAddr(attr: number): bigint {
    const b = new Uint8Array(8);
    this.h.getAttr({ group: KVM_DEV_RISCV_AIA_GRP_ADDR, attr, addr: b });
    return decodeU64(b);
  }
  init(): number {
    return this.h.setAttr({ group: KVM_DEV_RISCV_AIA_GRP_CTRL, attr: KVM_DEV_RISCV_AIA_CTRL_INIT });
  }
  aplicW(off: number, v: number): number {
    return this.h.setAttr({ group: KVM_DEV_RISCV_AIA_GRP_APLIC, attr: off, addr: encodeU32(v) });
  }
  aplicR(off: number): number {
    const b = new Uint8Array(4);
    this.h.getAttr({ group: KVM_DEV_RISCV_AIA_GRP_APLIC, attr: off, addr: b });
    return decodeU32(b);
  }
  imsicW(vcpu: number, isel: number, v: bigint | number): number {
    return this.h.setAttr({ group: KVM_DEV_RISCV_AIA_GRP_IMSIC, attr: KVM_DEV_RISCV_AIA_IMSIC_MKATTR(vcpu, isel), addr: encodeU64(v) });
  }
  imsicR(vcpu: number, isel: number): bigint {
    const b = new Uint8Array(8);
    this.h.getAttr({ group: KVM_DEV_RISCV_AIA_GRP_IMSIC, attr: KVM_DEV_RISCV_AIA_IMSIC_MKATTR(vcpu, isel), addr: b });
    return decodeU64(b);
  }
  /** eip(v, id): the bit of identity id through GRP_IMSIC. */
  eip(vcpu: number, id: number): boolean {
    return ((this.imsicR(vcpu, 0x80 + 2 * (id >>> 6)) >> BigInt(id & 63)) & 1n) === 1n;
  }
  eie(vcpu: number, id: number, on = true): void {
    const isel = 0xc0 + 2 * (id >>> 6);
    const cur = this.imsicR(vcpu, isel);
    const bit = 1n << BigInt(id & 63);
    this.imsicW(vcpu, isel, on ? cur | bit : cur & ~bit);
  }
  /** eip words of both files, for "no IMSIC bit changes". */
  allEip(): bigint[] {
    const out: bigint[] = [];
    const words = Math.ceil((this.getCfg(1) + 1) / 64);
    for (let v = 0; v < this.vm.vcpus.length; v++) {
      if (this.h.backend<AiaDevice>().imsics[v] === null) continue; // no IMSIC (created after INIT)
      for (let k = 0; k < words; k++) out.push(this.imsicR(v, 0x80 + 2 * k));
    }
    return out;
  }
  sip(vcpu: number): bigint {
    return this.vm.vcpus[vcpu].getOneRegU64(SIP);
  }
  line(irq: number, level: number): number {
    return this.routing.irqLine(irq, level);
  }
  /** The checklist's standard setup, optionally without INIT or with overrides. */
  standard(o: { srcs?: number; ids?: number; hartBits?: number; aplic?: boolean; imsic1?: boolean; init?: boolean } = {}): this {
    this.setCfg(KVM_DEV_RISCV_AIA_CONFIG_SRCS, o.srcs ?? 32);
    this.setCfg(KVM_DEV_RISCV_AIA_CONFIG_IDS, o.ids ?? 255);
    this.setCfg(KVM_DEV_RISCV_AIA_CONFIG_HART_BITS, o.hartBits ?? 1);
    if (o.aplic !== false) this.setAddr(KVM_DEV_RISCV_AIA_ADDR_APLIC, APLIC);
    this.setAddr(KVM_DEV_RISCV_AIA_ADDR_IMSIC(0), IMSIC0);
    if (o.imsic1 !== false && this.vm.vcpus.length > 1) this.setAddr(KVM_DEV_RISCV_AIA_ADDR_IMSIC(1), IMSIC1);
    if (o.init !== false) this.init();
    return this;
  }
}

export function aiaVm(o: { vcpus?: number; module?: ContainerModule; device?: boolean } = {}): Aia {
  const vm = createVm({ arch: "riscv64", vcpus: o.vcpus ?? 2, modules: [routingModule, o.module ?? aiaModule] });
  const h = o.device === false ? (null as unknown as DeviceHandle) : vm.createDevice(KVM_DEV_TYPE_RISCV_AIA);
  return new Aia(vm, h);
}

/** Standard setup + the [aia-43] delivery configuration of source 5 (edge-rise, target, enabled). */
export function deliverySetup(target = (1 << 18) | 33, ie = true, o: { ids?: number } = {}): Aia {
  const a = aiaVm().standard({ ids: o.ids });
  a.aplicW(0x0004 + 4 * 4, 4); // sourcecfg[5] = edge rise
  a.aplicW(0x3004 + 4 * 4, target); // target[5]
  a.aplicW(0x1edc, 5); // setienum 5
  if (ie) a.aplicW(0x0000, 0x100);
  return a;
}
