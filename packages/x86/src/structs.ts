/**
 * UAPI layouts and typed codecs: struct kvm_irqchip (520 bytes) with struct kvm_pic_state
 * (16) or struct kvm_ioapic_state (216) in its union, struct kvm_lapic_state (0x400),
 * struct kvm_interrupt (4). All little-endian (x86).
 */
import { Errno, UapiView, fail, type UserPtr } from "@irqlab/core";
import { KVM_APIC_REG_SIZE, SIZEOF_KVM_INTERRUPT, SIZEOF_KVM_IRQCHIP, SIZEOF_KVM_IOAPIC_STATE } from "./constants.js";
import type { Ioapic } from "./ioapic.js";
import { IOAPIC_PINS } from "./ioapic.js";

export interface PicState {
  lastIrr: number;
  irr: number;
  imr: number;
  isr: number;
  priorityAdd: number;
  irqBase: number;
  readRegSelect: number;
  poll: number;
  specialMask: number;
  initState: number;
  autoEoi: number;
  rotateOnAutoEoi: number;
  specialFullyNestedMode: number;
  init4: number;
  elcr: number;
  elcrMask: number;
}

const PIC_FIELDS: ReadonlyArray<keyof PicState> = [
  "lastIrr", "irr", "imr", "isr", "priorityAdd", "irqBase", "readRegSelect", "poll",
  "specialMask", "initState", "autoEoi", "rotateOnAutoEoi", "specialFullyNestedMode", "init4", "elcr", "elcrMask",
];

export interface IoapicState {
  baseAddress: bigint;
  ioregsel: number;
  id: number;
  irr: number;
  pad: number;
  /** 24 redirection entries. */
  redirtbl: bigint[];
}

export type IrqchipState = { chipId: 0 | 1; pic: PicState } | { chipId: 2; ioapic: IoapicState } | { chipId: number; raw?: Uint8Array };

export function decodePicState(bytes: Uint8Array): PicState {
  if (bytes.byteLength < 16) fail(Errno.EFAULT, "struct kvm_pic_state: 16 bytes needed");
  const s = {} as PicState;
  PIC_FIELDS.forEach((f, i) => (s[f] = bytes[i]));
  return s;
}

export function encodePicState(s: PicState, out = new Uint8Array(16)): Uint8Array {
  PIC_FIELDS.forEach((f, i) => (out[i] = s[f] & 0xff));
  return out;
}

export function decodeIoapicState(bytes: Uint8Array): IoapicState {
  const v = new UapiView(bytes, SIZEOF_KVM_IOAPIC_STATE, "le", "struct kvm_ioapic_state");
  const redirtbl: bigint[] = [];
  for (let n = 0; n < IOAPIC_PINS; n++) redirtbl.push(v.u64(24 + 8 * n));
  return { baseAddress: v.u64(0), ioregsel: v.u32(8), id: v.u32(12), irr: v.u32(16), pad: v.u32(20), redirtbl };
}

export function encodeIoapicState(s: IoapicState, out = new Uint8Array(SIZEOF_KVM_IOAPIC_STATE)): Uint8Array {
  const v = new UapiView(out, SIZEOF_KVM_IOAPIC_STATE, "le", "struct kvm_ioapic_state");
  v.setU64(0, s.baseAddress);
  v.setU32(8, s.ioregsel);
  v.setU32(12, s.id);
  v.setU32(16, s.irr);
  v.setU32(20, s.pad);
  for (let n = 0; n < IOAPIC_PINS; n++) v.setU64(24 + 8 * n, s.redirtbl[n] ?? 0n);
  return out;
}

/** A 520-byte struct kvm_irqchip asking for `chipId` (GET) or carrying a state (SET). */
export function encodeIrqchip(s: IrqchipState): Uint8Array {
  const out = new Uint8Array(SIZEOF_KVM_IRQCHIP);
  const v = new UapiView(out, SIZEOF_KVM_IRQCHIP, "le", "struct kvm_irqchip");
  v.setU32(0, s.chipId);
  if ("pic" in s) encodePicState(s.pic, out.subarray(8, 24));
  else if ("ioapic" in s) encodeIoapicState(s.ioapic, out.subarray(8, 8 + SIZEOF_KVM_IOAPIC_STATE));
  else if ("raw" in s && s.raw) out.set(s.raw.subarray(0, 512), 8);
  return out;
}

export function decodeIrqchip(bytes: UserPtr): IrqchipState {
  const v = new UapiView(bytes, SIZEOF_KVM_IRQCHIP, "le", "struct kvm_irqchip");
  const id = v.u32(0);
  const u = bytes!.subarray(8, SIZEOF_KVM_IRQCHIP);
  if (id === 0 || id === 1) return { chipId: id, pic: decodePicState(u) };
  if (id === 2) return { chipId: 2, ioapic: decodeIoapicState(u) };
  return { chipId: id, raw: u.slice() };
}

/** @internal GET_IRQCHIP of the IOAPIC into the union bytes. */
export function encodeIoapicFrom(io: Ioapic, u: Uint8Array): void {
  const v = new UapiView(u, SIZEOF_KVM_IOAPIC_STATE, "le", "struct kvm_ioapic_state");
  v.setU64(0, io.baseAddress);
  v.setU32(8, io.ioregsel);
  v.setU32(12, io.id);
  v.setU32(16, io.reportedIrr);
  v.setU32(20, io.pad);
  for (let n = 0; n < IOAPIC_PINS; n++) {
    v.setU32(24 + 8 * n, io.lo[n]);
    v.setU32(28 + 8 * n, io.hi[n]);
  }
}

/** @internal SET_IRQCHIP of the IOAPIC: everything verbatim; returns the supplied irr. */
export function decodeIoapicInto(io: Ioapic, u: Uint8Array): number {
  const v = new UapiView(u, SIZEOF_KVM_IOAPIC_STATE, "le", "struct kvm_ioapic_state");
  io.baseAddress = v.u64(0);
  io.ioregsel = v.u32(8);
  io.id = v.u32(12);
  io.pad = v.u32(20);
  for (let n = 0; n < IOAPIC_PINS; n++) {
    io.lo[n] = v.u32(24 + 8 * n);
    io.hi[n] = v.u32(28 + 8 * n);
  }
  return v.u32(16);
}

/** struct kvm_lapic_state: a 0x400-byte page with register accessors. */
export class LapicState {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;

  constructor(bytes: Uint8Array = new Uint8Array(KVM_APIC_REG_SIZE)) {
    if (bytes.byteLength < KVM_APIC_REG_SIZE) fail(Errno.EFAULT, "struct kvm_lapic_state: 0x400 bytes needed");
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, KVM_APIC_REG_SIZE);
  }

  get(off: number): number {
    return this.dv.getUint32(off, true);
  }

  set(off: number, value: number): this {
    this.dv.setUint32(off, value >>> 0, true);
    return this;
  }

  /** Bit `v` of a 256-bit register (ISR 0x100, TMR 0x180, IRR 0x200). */
  bit(base: number, v: number): boolean {
    return ((this.get(base + 0x10 * (v >> 5)) >>> (v & 31)) & 1) === 1;
  }

  setBit(base: number, v: number, on: boolean): this {
    const off = base + 0x10 * (v >> 5);
    const m = 1 << (v & 31);
    return this.set(off, on ? this.get(off) | m : this.get(off) & ~m);
  }
}

export function encodeInterrupt(irq: number): Uint8Array {
  const out = new Uint8Array(SIZEOF_KVM_INTERRUPT);
  new DataView(out.buffer).setUint32(0, irq >>> 0, true);
  return out;
}
