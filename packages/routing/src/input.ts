/**
 * Checks for the typed API's arguments, which stand in for the UAPI structs KVM copies from
 * user memory. These are core's one validation layer (core/src/validate.ts): a struct that
 * cannot be read is EFAULT (as a bad pointer is), a field that is not the C integer it stands
 * for (number or bigint; negative, fractional, out of range) is EINVAL.
 */
import { Errno, KvmError, u32Arg as coreU32Arg } from "@irqlab/core";

export { structArg, readStruct, u64Arg, userBytes } from "@irqlab/core";

/** A number that already is a u32 (typeof first: no valueOf of an object runs). */
export function isU32(v: unknown): v is number {
  return typeof v === "number" && v >>> 0 === v;
}

/** `v` (number or bigint) as a u32, or EINVAL naming `what`. */
export function u32Arg(v: unknown, what: string): number {
  return isU32(v) ? v : coreU32Arg(v, what);
}

/** What a struct read that threw becomes: its KvmError, or EFAULT (a getter that throws). */
export function faulted(e: unknown, what: string): KvmError {
  return KvmError.is(e) ? e : new KvmError(Errno.EFAULT, `${what}: reading the struct faulted`);
}
