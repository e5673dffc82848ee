/**
 * User pointers. KVM reads its arguments from user memory; irqlab reads them from a byte
 * buffer holding the UAPI struct in its UAPI layout. `null` is an unreadable pointer and a
 * buffer shorter than the struct is a partial mapping: both are EFAULT, as copy_from_user is.
 */
import type { Endian } from "./constants.js";
import { Errno, fail } from "./kvm-error.js";
import { show, userBytes } from "./validate.js";

/**
 * A user pointer: the bytes at that address, or null for an address that is not mapped.
 * Any ArrayBufferView is accepted by its bytes (validate.ts `userBytes`); anything else a
 * caller passes is unreadable (EFAULT when read).
 */
export type UserPtr = Uint8Array | null;

/**
 * A checked view on a user buffer: construct it with the size the kernel copies
 * (copy_from_user of `size` bytes), then read and write fields by offset in host byte order.
 */
export class UapiView {
  readonly dv: DataView;
  readonly le: boolean;

  /** EFAULT when `ptr` is not a readable view (null, undefined, an ArrayBuffer ...) or is short. */
  constructor(ptr: UserPtr | ArrayBufferView | undefined, size: number, endian: Endian, what: string) {
    const bytes = userBytes(ptr);
    if (bytes === null) fail(Errno.EFAULT, `${what}: unreadable address (${show(ptr)})`);
    if (bytes.byteLength < size) {
      fail(Errno.EFAULT, `${what}: buffer of ${bytes.byteLength} bytes, ${size} needed`);
    }
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, size);
    this.le = endian === "le";
  }

  u8(off: number): number {
    return this.dv.getUint8(off);
  }
  u16(off: number): number {
    return this.dv.getUint16(off, this.le);
  }
  u32(off: number): number {
    return this.dv.getUint32(off, this.le);
  }
  s32(off: number): number {
    return this.dv.getInt32(off, this.le);
  }
  u64(off: number): bigint {
    return this.dv.getBigUint64(off, this.le);
  }
  setU8(off: number, v: number): void {
    this.dv.setUint8(off, v);
  }
  setU16(off: number, v: number): void {
    this.dv.setUint16(off, v, this.le);
  }
  setU32(off: number, v: number): void {
    this.dv.setUint32(off, v >>> 0, this.le);
  }
  setS32(off: number, v: number): void {
    this.dv.setInt32(off, v | 0, this.le);
  }
  setU64(off: number, v: bigint | number): void {
    this.dv.setBigUint64(off, BigInt.asUintN(64, typeof v === "bigint" ? v : BigInt(Math.trunc(v) || 0)), this.le);
  }
}

/** A zeroed buffer of `size` bytes with a view on it, for encode helpers. */
export function newStruct(size: number, endian: Endian): { bytes: Uint8Array; view: UapiView } {
  const bytes = new Uint8Array(size);
  return { bytes, view: new UapiView(bytes, size, endian, "struct") };
}

/** A u64 payload (the most common attribute size). */
export function encodeU64(value: bigint | number, endian: Endian = "le"): Uint8Array {
  const { bytes, view } = newStruct(8, endian);
  view.setU64(0, value);
  return bytes;
}
export function decodeU64(bytes: UserPtr, endian: Endian = "le"): bigint {
  return new UapiView(bytes, 8, endian, "u64").u64(0);
}
export function encodeU32(value: number, endian: Endian = "le"): Uint8Array {
  const { bytes, view } = newStruct(4, endian);
  view.setU32(0, value);
  return bytes;
}
export function decodeU32(bytes: UserPtr, endian: Endian = "le"): number {
  return new UapiView(bytes, 4, endian, "u32").u32(0);
}

/** A u64 as a JS number when it is exactly representable, else Infinity (never a valid index). */
export function u64ToIndex(v: bigint): number {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.POSITIVE_INFINITY;
}
