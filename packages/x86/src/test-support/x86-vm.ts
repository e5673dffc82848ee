/** Test fixtures: an x86 VM with routing, and short helpers over the state ioctls. */
import { createVm, type Vm } from "@irqlab/core";
import { GsiRouting, routingModule } from "@irqlab/routing";
import {
  APIC_SPIV,
  KVM_GET_IRQCHIP,
  KVM_GET_LAPIC,
  KVM_SET_IRQCHIP,
  KVM_SET_LAPIC,
  type IrqchipMode,
} from "../constants.js";
import { x86Module } from "../module.js";
import { LapicState, decodeIrqchip, encodeIrqchip, type IoapicState, type PicState } from "../structs.js";
import { x86Of, type X86Irqchip } from "../x86-irqchip.js";

export interface X86TestVmOptions {
  vcpus?: number;
  irqchip?: IrqchipMode;
  splitPins?: number;
  /** Software-enable every LAPIC through GET/SET_LAPIC (default true). */
  enable?: boolean;
  strict?: boolean;
}

export interface EntryFields {
  vector: number;
  level?: boolean;
  masked?: boolean;
  dest?: number;
  logical?: boolean;
  dm?: number;
  remoteIrr?: boolean;
}

export function entry(f: EntryFields): bigint {
  const lo =
    (f.vector & 0xff) |
    ((f.dm ?? 0) << 8) |
    (f.logical ? 0x800 : 0) |
    (f.remoteIrr ? 0x4000 : 0) |
    (f.level ? 0x8000 : 0) |
    (f.masked ? 0x10000 : 0);
  return (BigInt(f.dest ?? 0) << 56n) | BigInt(lo >>> 0);
}

export class X86TestVm {
  readonly routing: GsiRouting;
  readonly x: X86Irqchip;

  constructor(readonly vm: Vm) {
    this.routing = vm.get(GsiRouting);
    this.x = x86Of(vm);
  }

  pic(chip: 0 | 1): PicState {
    const b = encodeIrqchip({ chipId: chip });
    this.vm.ioctl(KVM_GET_IRQCHIP, b);
    return (decodeIrqchip(b) as { pic: PicState }).pic;
  }

  setPic(chip: 0 | 1, edit: (s: PicState) => void): void {
    const s = this.pic(chip);
    edit(s);
    this.vm.ioctl(KVM_SET_IRQCHIP, encodeIrqchip({ chipId: chip, pic: s }));
  }

  ioapic(): IoapicState {
    const b = encodeIrqchip({ chipId: 2 });
    this.vm.ioctl(KVM_GET_IRQCHIP, b);
    return (decodeIrqchip(b) as { ioapic: IoapicState }).ioapic;
  }

  setIoapic(edit: (s: IoapicState) => void): void {
    const s = this.ioapic();
    edit(s);
    this.vm.ioctl(KVM_SET_IRQCHIP, encodeIrqchip({ chipId: 2, ioapic: s }));
  }

  setEntry(pin: number, f: EntryFields): void {
    this.setIoapic((s) => (s.redirtbl[pin] = entry(f)));
  }

  remoteIrr(pin: number): boolean {
    return (this.ioapic().redirtbl[pin] & 0x4000n) !== 0n;
  }

  irrBit(pin: number): boolean {
    return ((this.ioapic().irr >>> pin) & 1) === 1;
  }

  lapic(i: number): LapicState {
    const st = new LapicState();
    this.vm.vcpus[i].ioctl(KVM_GET_LAPIC, st.bytes);
    return st;
  }

  setLapic(i: number, edit: (s: LapicState) => void): void {
    const st = this.lapic(i);
    edit(st);
    this.vm.vcpus[i].ioctl(KVM_SET_LAPIC, st.bytes);
  }

  line(gsi: number, level: number): number {
    return this.routing.irqLineStatus(gsi, level);
  }

  msi(addressLo: number, data: number, addressHi = 0, flags = 0): number {
    return this.routing.signalMsi({ addressLo, addressHi, data, flags, devid: 0 });
  }

  irr(i: number, v: number): boolean {
    return this.x.lapics[i].irrHas(v);
  }

  tmr(i: number, v: number): boolean {
    return this.x.lapics[i].tmrHas(v);
  }
}

export function x86Vm(opts: X86TestVmOptions = {}): X86TestVm {
  const irqchip = opts.irqchip ?? "kernel";
  const vm = createVm({
    arch: "x86_64",
    vcpus: opts.vcpus ?? 1,
    strict: opts.strict,
    modules: [routingModule, x86Module({ irqchip, splitPins: opts.splitPins })],
  });
  const t = new X86TestVm(vm);
  if (irqchip !== "none" && opts.enable !== false) {
    for (let i = 0; i < vm.vcpus.length; i++) t.setLapic(i, (s) => s.set(APIC_SPIV, 0x1ff));
  }
  return t;
}
