/**
 * Typed encode/decode pairs for every FLIC payload, in UAPI layout and host byte order
 * (big-endian on s390x; the `endian` argument defaults to "be"). Users never pack bytes.
 *
 *   struct kvm_s390_irq            72 bytes  type u64 @0, union u @8 (io | ext | mchk | raw)
 *   struct kvm_s390_io_adapter      8 bytes  id u32, isc u8, maskable u8, swap u8, flags u8
 *   struct kvm_s390_io_adapter_req 16 bytes  id u32, type u8, mask u8, pad u16, addr u64
 *   struct kvm_s390_ais_req         4 bytes  isc u8, pad u8, mode u16
 *   struct kvm_s390_ais_all         2 bytes  simm u8, nimm u8
 *   struct kvm_s390_interrupt      16 bytes  type u32, parm u32, parm64 u64
 */
import { Errno, fail, newStruct, UapiView, type Endian, type UserPtr } from "@irqlab/core";
import {
  KVM_S390_INT_IO_MAX,
  KVM_S390_INT_PFAULT_DONE,
  KVM_S390_INT_PFAULT_INIT,
  KVM_S390_INT_SERVICE,
  KVM_S390_INT_VIRTIO,
  KVM_S390_MCHK,
  S390_IRQ_U_OFFSET,
  SIZEOF_KVM_S390_AIS_ALL,
  SIZEOF_KVM_S390_AIS_REQ,
  SIZEOF_KVM_S390_INTERRUPT,
  SIZEOF_KVM_S390_IO_ADAPTER,
  SIZEOF_KVM_S390_IO_ADAPTER_REQ,
  SIZEOF_KVM_S390_IRQ,
} from "./constants.js";

/** struct kvm_s390_io_info (12 bytes). */
export interface S390IoInfo {
  subchannelId: number;
  subchannelNr: number;
  ioIntParm: number;
  ioIntWord: number;
}

/** struct kvm_s390_ext_info (16 bytes). `pad` is copied through as KVM does. */
export interface S390ExtInfo {
  extParams: number;
  pad?: number;
  extParams2: bigint;
}

/** struct kvm_s390_mchk_info (48 bytes). */
export interface S390MchkInfo {
  cr14: bigint;
  mcic: bigint;
  failingStorageAddress?: bigint;
  extDamageCode?: number;
  pad?: number;
  /** 16 bytes. */
  fixedLogout?: Uint8Array;
}

/**
 * struct kvm_s390_irq, decoded by type: I/O types carry `io`; VIRTIO, SERVICE, PFAULT_INIT and
 * PFAULT_DONE carry `ext`; MCHK carries `mchk`; any other type keeps the raw 64-byte union.
 */
export type S390Irq =
  | { readonly kind: "io"; type: number; io: S390IoInfo }
  | { readonly kind: "ext"; type: number; ext: S390ExtInfo }
  | { readonly kind: "mchk"; type: number; mchk: S390MchkInfo }
  | { readonly kind: "raw"; type: bigint; u: Uint8Array };

/** What member of the union a type code selects (copy_irq_from_user's switch). */
export type S390IrqPayload = "io" | "ext" | "mchk" | "invalid";

/** Classifies a u64 type code the way copy_irq_from_user does. */
export function irqPayloadOf(type: number | bigint): S390IrqPayload {
  const t = typeof type === "bigint" ? type : BigInt(type);
  if (t < 0n || t > 0xffffffffn) return "invalid";
  const n = Number(t);
  if (n <= KVM_S390_INT_IO_MAX) return "io";
  switch (n) {
    case KVM_S390_INT_PFAULT_INIT:
    case KVM_S390_INT_PFAULT_DONE:
    case KVM_S390_INT_VIRTIO:
    case KVM_S390_INT_SERVICE:
      return "ext";
    case KVM_S390_MCHK:
      return "mchk";
    default:
      return "invalid";
  }
}

/** Convenience constructors. */
export function ioIrq(type: number, io: S390IoInfo): S390Irq {
  return { kind: "io", type: type >>> 0, io };
}
export function virtioIrq(extParams: number, extParams2: bigint = 0n): S390Irq {
  return { kind: "ext", type: KVM_S390_INT_VIRTIO, ext: { extParams, extParams2 } };
}
export function serviceIrq(extParams: number): S390Irq {
  return { kind: "ext", type: KVM_S390_INT_SERVICE, ext: { extParams, extParams2: 0n } };
}
export function pfaultDoneIrq(token: bigint): S390Irq {
  return { kind: "ext", type: KVM_S390_INT_PFAULT_DONE, ext: { extParams: 0, extParams2: token } };
}
export function mchkIrq(cr14: bigint, mcic: bigint): S390Irq {
  return { kind: "mchk", type: KVM_S390_MCHK, mchk: { cr14, mcic } };
}
/** Any type with a raw 64-byte union (vCPU-only types, invalid codes). */
export function rawIrq(type: bigint | number, u: Uint8Array = new Uint8Array(64)): S390Irq {
  return { kind: "raw", type: BigInt.asUintN(64, BigInt(type)), u };
}

/** Writes one record at byte `off` of `view` (the 72 bytes must be zero beforehand). */
function writeIrq(v: UapiView, off: number, irq: S390Irq): void {
  const u = off + S390_IRQ_U_OFFSET;
  switch (irq.kind) {
    case "io":
      v.setU64(off, irq.type >>> 0);
      v.setU16(u, irq.io.subchannelId & 0xffff);
      v.setU16(u + 2, irq.io.subchannelNr & 0xffff);
      v.setU32(u + 4, irq.io.ioIntParm);
      v.setU32(u + 8, irq.io.ioIntWord);
      break;
    case "ext":
      v.setU64(off, irq.type >>> 0);
      v.setU32(u, irq.ext.extParams);
      v.setU32(u + 4, irq.ext.pad ?? 0);
      v.setU64(u + 8, irq.ext.extParams2);
      break;
    case "mchk": {
      const m = irq.mchk;
      v.setU64(off, irq.type >>> 0);
      v.setU64(u, m.cr14);
      v.setU64(u + 8, m.mcic);
      v.setU64(u + 16, m.failingStorageAddress ?? 0n);
      v.setU32(u + 24, m.extDamageCode ?? 0);
      v.setU32(u + 28, m.pad ?? 0);
      const fl = m.fixedLogout;
      if (fl) for (let i = 0; i < 16 && i < fl.length; i++) v.setU8(u + 32 + i, fl[i]);
      break;
    }
    case "raw":
      v.setU64(off, irq.type);
      for (let i = 0; i < 64 && i < irq.u.length; i++) v.setU8(u + i, irq.u[i]);
      break;
  }
}

function readIrq(v: UapiView, off: number): S390Irq {
  const type = v.u64(off);
  const u = off + S390_IRQ_U_OFFSET;
  switch (irqPayloadOf(type)) {
    case "io":
      return {
        kind: "io",
        type: Number(type),
        io: { subchannelId: v.u16(u), subchannelNr: v.u16(u + 2), ioIntParm: v.u32(u + 4), ioIntWord: v.u32(u + 8) },
      };
    case "ext":
      return { kind: "ext", type: Number(type), ext: { extParams: v.u32(u), pad: v.u32(u + 4), extParams2: v.u64(u + 8) } };
    case "mchk": {
      const fixedLogout = new Uint8Array(16);
      for (let i = 0; i < 16; i++) fixedLogout[i] = v.u8(u + 32 + i);
      return {
        kind: "mchk",
        type: Number(type),
        mchk: {
          cr14: v.u64(u),
          mcic: v.u64(u + 8),
          failingStorageAddress: v.u64(u + 16),
          extDamageCode: v.u32(u + 24),
          pad: v.u32(u + 28),
          fixedLogout,
        },
      };
    }
    default: {
      const raw = new Uint8Array(64);
      for (let i = 0; i < 64; i++) raw[i] = v.u8(u + i);
      return { kind: "raw", type, u: raw };
    }
  }
}

/** An array of struct kvm_s390_irq (ENQUEUE input, GET_ALL_IRQS layout). */
export function encodeS390Irqs(irqs: readonly S390Irq[], endian: Endian = "be"): Uint8Array {
  const { bytes, view } = newStruct(irqs.length * SIZEOF_KVM_S390_IRQ, endian);
  for (let i = 0; i < irqs.length; i++) writeIrq(view, i * SIZEOF_KVM_S390_IRQ, irqs[i]);
  return bytes;
}

export function encodeS390Irq(irq: S390Irq, endian: Endian = "be"): Uint8Array {
  return encodeS390Irqs([irq], endian);
}

/** Decodes `count` records (default: as many whole records as `bytes` holds). EFAULT if short. */
export function decodeS390Irqs(bytes: UserPtr, count?: number, endian: Endian = "be"): S390Irq[] {
  if (count !== undefined && !(Number.isSafeInteger(count) && count >= 0)) {
    fail(Errno.EINVAL, `decodeS390Irqs: record count ${count} is not a non-negative integer`);
  }
  const n = count ?? Math.floor((bytes?.byteLength ?? 0) / SIZEOF_KVM_S390_IRQ);
  const v = new UapiView(bytes, n * SIZEOF_KVM_S390_IRQ, endian, "struct kvm_s390_irq[]");
  const out: S390Irq[] = [];
  for (let i = 0; i < n; i++) out.push(readIrq(v, i * SIZEOF_KVM_S390_IRQ));
  return out;
}

export function decodeS390Irq(bytes: UserPtr, endian: Endian = "be"): S390Irq {
  return decodeS390Irqs(bytes, 1, endian)[0];
}

/** struct kvm_s390_io_adapter. Bytes are stored as given (maskable/swap: any non-zero is true). */
export interface S390IoAdapter {
  id: number;
  isc: number;
  maskable: number;
  swap: number;
  flags: number;
}

export function encodeIoAdapter(a: S390IoAdapter, endian: Endian = "be"): Uint8Array {
  const { bytes, view } = newStruct(SIZEOF_KVM_S390_IO_ADAPTER, endian);
  view.setU32(0, a.id);
  view.setU8(4, a.isc & 0xff);
  view.setU8(5, a.maskable & 0xff);
  view.setU8(6, a.swap & 0xff);
  view.setU8(7, a.flags & 0xff);
  return bytes;
}

export function decodeIoAdapter(bytes: UserPtr, endian: Endian = "be"): S390IoAdapter {
  const v = new UapiView(bytes, SIZEOF_KVM_S390_IO_ADAPTER, endian, "struct kvm_s390_io_adapter");
  return { id: v.u32(0), isc: v.u8(4), maskable: v.u8(5), swap: v.u8(6), flags: v.u8(7) };
}

/** struct kvm_s390_io_adapter_req. */
export interface S390IoAdapterReq {
  id: number;
  type: number;
  mask: number;
  pad?: number;
  addr: bigint;
}

export function encodeIoAdapterReq(r: S390IoAdapterReq, endian: Endian = "be"): Uint8Array {
  const { bytes, view } = newStruct(SIZEOF_KVM_S390_IO_ADAPTER_REQ, endian);
  view.setU32(0, r.id);
  view.setU8(4, r.type & 0xff);
  view.setU8(5, r.mask & 0xff);
  view.setU16(6, (r.pad ?? 0) & 0xffff);
  view.setU64(8, r.addr);
  return bytes;
}

export function decodeIoAdapterReq(bytes: UserPtr, endian: Endian = "be"): S390IoAdapterReq {
  const v = new UapiView(bytes, SIZEOF_KVM_S390_IO_ADAPTER_REQ, endian, "struct kvm_s390_io_adapter_req");
  return { id: v.u32(0), type: v.u8(4), mask: v.u8(5), pad: v.u16(6), addr: v.u64(8) };
}

/** struct kvm_s390_ais_req. */
export interface S390AisReq {
  isc: number;
  pad?: number;
  mode: number;
}

export function encodeAisReq(r: S390AisReq, endian: Endian = "be"): Uint8Array {
  const { bytes, view } = newStruct(SIZEOF_KVM_S390_AIS_REQ, endian);
  view.setU8(0, r.isc & 0xff);
  view.setU8(1, (r.pad ?? 0) & 0xff);
  view.setU16(2, r.mode & 0xffff);
  return bytes;
}

export function decodeAisReq(bytes: UserPtr, endian: Endian = "be"): S390AisReq {
  const v = new UapiView(bytes, SIZEOF_KVM_S390_AIS_REQ, endian, "struct kvm_s390_ais_req");
  return { isc: v.u8(0), pad: v.u8(1), mode: v.u16(2) };
}

/** struct kvm_s390_ais_all: bit (0x80 >> isc) of each mask belongs to ISC `isc`. */
export interface S390AisAll {
  simm: number;
  nimm: number;
}

export function encodeAisAll(a: S390AisAll): Uint8Array {
  return Uint8Array.of(a.simm & 0xff, a.nimm & 0xff);
}

export function decodeAisAll(bytes: UserPtr): S390AisAll {
  const v = new UapiView(bytes, SIZEOF_KVM_S390_AIS_ALL, "be", "struct kvm_s390_ais_all");
  return { simm: v.u8(0), nimm: v.u8(1) };
}

/** struct kvm_s390_interrupt (KVM_S390_INTERRUPT on the VM). */
export interface S390Interrupt {
  type: number;
  parm: number;
  parm64: bigint;
}

export function encodeS390Interrupt(i: S390Interrupt, endian: Endian = "be"): Uint8Array {
  const { bytes, view } = newStruct(SIZEOF_KVM_S390_INTERRUPT, endian);
  view.setU32(0, i.type);
  view.setU32(4, i.parm);
  view.setU64(8, i.parm64);
  return bytes;
}

export function decodeS390Interrupt(bytes: UserPtr, endian: Endian = "be"): S390Interrupt {
  const v = new UapiView(bytes, SIZEOF_KVM_S390_INTERRUPT, endian, "struct kvm_s390_interrupt");
  return { type: v.u32(0), parm: v.u32(4), parm64: v.u64(8) };
}
