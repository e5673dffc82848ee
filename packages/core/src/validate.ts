/**
 * The one validation layer for values that cross the API (see README "Validating input").
 * Every entry point of core, routing and the controller plugins takes its integers, user
 * pointers and structs through these checks, so a new controller is safe by default:
 *
 *   integers    u8/u16/u32 fields take `number | bigint` and return a number; u64 fields
 *               return a bigint. Non-integers (1.5, NaN, ±Infinity, "1", {}), negatives and
 *               out-of-range values are refused with the errno the caller names (EINVAL by
 *               default): nothing is truncated or wrapped.
 *   pointers    a user pointer is any ArrayBufferView (Uint8Array, DataView, Float64Array ...)
 *               taken by its bytes; `null`/`undefined` are an unmapped address; anything else
 *               (an ArrayBuffer, `{ byteLength: 12 }`) is unreadable. Reading an unmapped or
 *               unreadable pointer is EFAULT, as copy_from_user is.
 *   structs     an argument object is read field by field; a missing object, or a getter that
 *               throws while the struct is read, is EFAULT (the copy faulted).
 *   messages    `show(v)` renders any value without running user code, with control
 *               characters escaped, so an error message can never throw or spoof a terminal.
 */
import { Errno, fail, KvmError } from "./kvm-error.js";

/** A user pointer after normalisation: the bytes, or null for an unreadable address. */
export type UserBytes = Uint8Array | null;

/** A value for an error message, safe for anything a caller may pass (no user code runs). */
export function show(v: unknown): string {
  switch (typeof v) {
    case "number":
    case "bigint":
    case "boolean":
    case "undefined":
      return String(v);
    case "string":
      return quote(v.length > 40 ? v.slice(0, 40) + "…" : v);
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    default:
      if (v === null) return "null";
      if (ArrayBuffer.isView(v)) return `a ${viewName(v)} of ${v.byteLength} bytes`;
      try {
        if (Array.isArray(v)) return "an array";
      } catch {
        // a revoked proxy
      }
      return "an object";
  }
}

function viewName(v: ArrayBufferView): string {
  return v instanceof DataView ? "DataView" : v instanceof Uint8Array ? "Uint8Array" : "typed array";
}

/** A string quoted for a message, control characters and quotes escaped (JSON style). */
export function quote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Control characters of `s` escaped (\n, \u001b ...), for text that reaches a terminal. */
export function escapeControl(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const j = JSON.stringify(c);
    return j.length === 4 ? j.slice(1, 3) : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** A flags word in hex when it is an integer. */
export function showFlags(v: unknown): string {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return `0x${v.toString(16)}`;
  if (typeof v === "bigint" && v >= 0n) return `0x${v.toString(16)}`;
  return show(v);
}

const MAX = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

function uintN(v: unknown, bytes: 1 | 2 | 4, what: string, errno: number): number {
  if (typeof v === "number") {
    if (v >= 0 && v <= MAX[bytes] && Number.isInteger(v)) return v === 0 ? 0 : v; // -0 -> 0
  } else if (typeof v === "bigint") {
    if (v >= 0n && v <= BigInt(MAX[bytes])) return Number(v);
  }
  return fail(errno, `${what} ${show(v)} is not a u${bytes * 8}`);
}

/** A u8 field (number or bigint) as a number; `errno` (EINVAL) otherwise. */
export function u8Arg(v: unknown, what: string, errno: number = Errno.EINVAL): number {
  return uintN(v, 1, what, errno);
}
/** A u16 field as a number. */
export function u16Arg(v: unknown, what: string, errno: number = Errno.EINVAL): number {
  return uintN(v, 2, what, errno);
}
/** A u32 field as a number (the common case: one typeof and two compares). */
export function u32Arg(v: unknown, what: string, errno: number = Errno.EINVAL): number {
  if (typeof v === "number" && v >>> 0 === v) return v;
  return uintN(v, 4, what, errno);
}

const U64_MAX = (1n << 64n) - 1n;

/** A u64 field (number or bigint) as a bigint. */
export function u64Arg(v: unknown, what: string, errno: number = Errno.EINVAL): bigint {
  if (typeof v === "bigint") {
    if (v >= 0n && v <= U64_MAX) return v;
  } else if (typeof v === "number" && v >= 0 && Number.isInteger(v) && v < 2 ** 64) {
    return BigInt(v);
  }
  return fail(errno, `${what} ${show(v)} is not a u64`);
}

/**
 * A u64 that C userspace fills from a signed int (KVM_ENABLE_CAP args: a descriptor, a CPU
 * number): an integer in -2^63..2^64-1, negatives sign-extended as C does. Others `errno`.
 */
export function s64OrU64Arg(v: unknown, what: string, errno: number = Errno.EINVAL): bigint {
  if (typeof v === "number" && Number.isInteger(v) && v < 0 && v >= -(2 ** 63)) return BigInt.asUintN(64, BigInt(v));
  if (typeof v === "bigint" && v < 0n && v >= -(1n << 63n)) return BigInt.asUintN(64, v);
  return u64Arg(v, what, errno);
}

/** A u64 field as a number when exactly representable, else Infinity (never a valid index). */
export function u64Index(v: unknown, what: string, errno: number = Errno.EINVAL): number {
  if (typeof v === "number" && v >= 0 && Number.isSafeInteger(v)) return v;
  const b = u64Arg(v, what, errno);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : Number.POSITIVE_INFINITY;
}

/** An integer in [min, max] (number or bigint) as a number: counts, indices, sizes. */
export function intArg(v: unknown, min: number, max: number, what: string, errno: number = Errno.EINVAL): number {
  const n = typeof v === "bigint" && v >= BigInt(min) && v <= BigInt(max) ? Number(v) : v;
  if (typeof n === "number" && Number.isInteger(n) && n >= min && n <= max) return n === 0 ? 0 : n;
  return fail(errno, `${what} ${show(v)} is not an integer in ${min}..${max}`);
}

/**
 * A user pointer as bytes: any ArrayBufferView by its bytes (no copy), null for
 * `null`/`undefined` and for anything that is not a view (it cannot be read: EFAULT when
 * a reader needs it). Non-throwing, so optional pointers can be normalised up front.
 */
export function userBytes(v: unknown): UserBytes {
  // ArrayBuffer.isView reads an internal slot: no user code (proxy trap, getter) runs.
  if (!ArrayBuffer.isView(v)) return null;
  if (v instanceof Uint8Array) return v;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** A user pointer that must be readable: its bytes, or EFAULT naming `what`. */
export function userPtrArg(v: unknown, what: string): Uint8Array {
  const b = userBytes(v);
  if (b === null) fail(Errno.EFAULT, `${what}: ${show(v)} is not readable user memory`);
  return b;
}

/** The argument object of a call (its struct), or EFAULT when there is none to read. */
export function structArg<T extends object>(v: T, what: string): T {
  if (typeof v !== "object" || v === null) fail(Errno.EFAULT, `${what}: ${show(v)} is not readable`);
  return v;
}

/**
 * Reads a struct's fields with `read`; anything but a KvmError thrown while reading (a getter
 * that throws, a revoked proxy) is the copy faulting: EFAULT.
 */
export function readStruct<R>(what: string, read: () => R): R {
  try {
    return read();
  } catch (e) {
    if (KvmError.is(e)) throw e;
    return fail(Errno.EFAULT, `${what}: reading the argument faulted`);
  }
}

/** An array argument (dense, array-like), or `errno` (EFAULT: the array is the user memory). */
export function arrayArg(v: unknown, what: string, errno: number = Errno.EFAULT): readonly unknown[] {
  if (!Array.isArray(v)) fail(errno, `${what}: ${show(v)} is not an array`);
  return v;
}
