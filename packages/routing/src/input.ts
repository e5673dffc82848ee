/**
 * Checks for the typed API's arguments, which stand in for the UAPI structs KVM copies from
 * user memory: a struct that cannot be read is EFAULT (as a bad pointer is), a field that is
 * not the C integer it stands for is EINVAL. Negative integers wrap as they do in C.
 */
import { Errno, fail } from "@irqlab/core";
import { show } from "./show.js";

/** A number that is a u32 or an s32 (which wraps to a u32). */
export function isU32Like(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= -0x80000000 && v <= 0xffffffff;
}

/** A number that already is a u32 (typeof first: no valueOf of an object runs). */
export function isU32(v: unknown): v is number {
  return typeof v === "number" && v >>> 0 === v;
}

/** `v` as a u32, or EINVAL naming `what`. */
export function u32Arg(v: unknown, what: string): number {
  return isU32(v) ? v : u32Wrapped(v, what);
}

function u32Wrapped(v: unknown, what: string): number {
  if (!isU32Like(v)) fail(Errno.EINVAL, `${what} ${show(v)} is not a u32`);
  return v >>> 0;
}

/** The argument object of a call (its struct), or EFAULT when there is none to read. */
export function structArg<T extends object>(v: T, what: string): T {
  if (typeof v !== "object" || v === null) fail(Errno.EFAULT, `${what}: ${show(v)} is not readable`);
  return v;
}
