import { Errno, errnoName, type ErrnoValue } from "./errno.js";

const BRAND = Symbol.for("irqlab.KvmError");

/**
 * The `-errno` of a KVM ioctl, thrown at the API boundary (device control, routing, irqfd,
 * ONE_REG, ENABLE_CAP). Guest-visible results are returned, never thrown.
 * `KvmError.is()` recognises errors from any copy of this package (Symbol.for brand).
 */
export class KvmError extends Error {
  readonly [BRAND] = true;
  /** Linux errno number (EINVAL = 22 ...). */
  readonly errno: number;
  /** Linux errno name ("EINVAL"). */
  readonly code: string;

  constructor(errno: ErrnoValue | number, message: string, options?: { cause?: unknown }) {
    super(`${errnoName(errno)}: ${message}`, options);
    this.name = "KvmError";
    this.errno = errno;
    this.code = errnoName(errno);
  }

  static is(value: unknown, errno?: number): value is KvmError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[BRAND] === true &&
      (errno === undefined || (value as KvmError).errno === errno)
    );
  }
}

/** Throws `KvmError(errno, message)`; typed `never` so it can end an expression. */
export function fail(errno: ErrnoValue | number, message: string): never {
  throw new KvmError(errno, message);
}

/** Runs `fn`; returns the errno it threw as a KvmError, or 0. Other exceptions propagate. */
export function errnoOf(fn: () => unknown): number {
  try {
    fn();
    return 0;
  } catch (e) {
    if (KvmError.is(e)) return e.errno;
    throw e;
  }
}

export { Errno };
