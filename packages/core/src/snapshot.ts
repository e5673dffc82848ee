/**
 * The one shape of every controller's restore: parse the whole snapshot, then apply.
 *
 *   restoreSnapshot({ what, raw, parse, check?, rehearse?, apply })
 *     1. parse(reader, raw)  -> a validated plain plan (KvmError EINVAL on any bad field;
 *                               nothing has been touched yet)
 *     2. check(plan)         -> preconditions on the destination (EBUSY: not fresh ...)
 *     3. rehearse(plan)      -> optional: the apply run on a scratch copy of the destination
 *                               (scratchVm below), for checks only the device itself knows
 *     4. apply(plan)         -> writes the destination; it cannot fail on a plan that passed
 *
 * A refused snapshot therefore leaves the device and the VM exactly as before, and the same
 * device accepts a correct snapshot afterwards.
 *
 * `SnapshotReader` reads plain JSON without trusting it: own data properties only (a getter
 * is refused, never run; inherited fields do not count), null-prototype objects accepted,
 * sparse arrays refused, integers range-checked, and messages that never stringify a value
 * through user code. Anything else that goes wrong while parsing (a Proxy trap throwing) is
 * EINVAL too: a snapshot never makes restore throw anything but a KvmError.
 */
import { Errno, fail, KvmError } from "./kvm-error.js";
import { show } from "./validate.js";

type Json = Record<string, unknown>;

export class SnapshotReader {
  constructor(readonly what: string) {}

  /** EINVAL naming the field path. */
  bad(path: string, why: string): never {
    return fail(Errno.EINVAL, `${this.what} snapshot: ${path} ${why}`);
  }

  /** An object (any prototype, null included), not an array. */
  obj(v: unknown, path: string): Json {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.bad(path, `is ${show(v)}, not an object`);
    return v as Json;
  }

  /** Own data property `key` of `o` (undefined when absent); an accessor is refused unread. */
  get(o: Json, key: string, path: string): unknown {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d === undefined) return undefined;
    if (!("value" in d)) this.bad(`${path}.${key}`, "is an accessor, not plain data");
    return d.value;
  }

  /** A dense array (no holes, no accessors); each element read with `each`. */
  arr<T>(v: unknown, path: string, each: (el: unknown, path: string, i: number) => T, maxLength = 1 << 20): T[] {
    if (!Array.isArray(v)) this.bad(path, `is ${show(v)}, not an array`);
    const n = v.length;
    if (n > maxLength) this.bad(path, `has ${n} elements (at most ${maxLength})`);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) {
      const d = Object.getOwnPropertyDescriptor(v, i);
      if (d === undefined) this.bad(`${path}[${i}]`, "is a hole (sparse array)");
      if (!("value" in d)) this.bad(`${path}[${i}]`, "is an accessor, not plain data");
      out[i] = each(d.value, `${path}[${i}]`, i);
    }
    return out;
  }

  /** An integer number in [min, max]. */
  int(v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) this.bad(path, `is ${show(v)}, not an integer in ${min}..${max}`);
    return v === 0 ? 0 : v;
  }

  u8(v: unknown, path: string): number {
    return this.int(v, path, 0, 0xff);
  }

  u32(v: unknown, path: string): number {
    return this.int(v, path, 0, 0xffffffff);
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v !== "boolean") this.bad(path, `is ${show(v)}, not a boolean`);
    return v;
  }

  str(v: unknown, path: string, maxLength = 1 << 24): string {
    if (typeof v !== "string") this.bad(path, `is ${show(v)}, not a string`);
    if (v.length > maxLength) this.bad(path, `is a string of ${v.length} characters (at most ${maxLength})`);
    return v;
  }

  /** One of `values` (compared with ===). */
  oneOf<T>(v: unknown, path: string, values: readonly T[]): T {
    if (!values.includes(v as T)) this.bad(path, `is ${show(v)}, not one of ${values.map((x) => show(x)).join(", ")}`);
    return v as T;
  }

  /** A hex string of exactly `bytes` bytes (any length when omitted) as bytes. */
  hex(v: unknown, path: string, bytes?: number): Uint8Array {
    const s = this.str(v, path);
    if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) this.bad(path, "is not a hex string");
    if (bytes !== undefined && s.length !== 2 * bytes) this.bad(path, `holds ${s.length / 2} bytes, ${bytes} expected`);
    const out = new Uint8Array(s.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
    return out;
  }

  /** A u64 written as a decimal or 0x-hex string (snapshots carry 64-bit words as strings). */
  u64(v: unknown, path: string): bigint {
    const s = this.str(v, path, 24);
    if (!/^(?:[0-9]{1,20}|0x[0-9a-fA-F]{1,16})$/.test(s)) this.bad(path, `is ${show(v)}, not a u64 string`);
    const b = BigInt(s);
    if (b >> 64n !== 0n) this.bad(path, `${s} does not fit in 64 bits`);
    return b;
  }

  /**
   * Refuses a key that is not above the previous one of its list (`last` holds it across
   * calls): a snapshot lists its records in one canonical order, so restoring and saving it
   * again gives it back unchanged. Also refuses duplicates.
   */
  ascending(last: { key: number }, key: number, path: string): number {
    if (key <= last.key) this.bad(path, `${key} is not above the previous ${last.key} (records are listed in ascending order, once)`);
    last.key = key;
    return key;
  }

  /** Refuses a value listed twice (`seen` collects keys across calls). */
  unique<K>(seen: Set<K>, key: K, path: string): K {
    if (seen.has(key)) this.bad(path, `${show(key)} appears twice`);
    seen.add(key);
    return key;
  }
}

/** Parses `raw` with `parse`; anything but a KvmError thrown while parsing becomes EINVAL. */
export function parseSnapshot<P>(what: string, raw: unknown, parse: (r: SnapshotReader, raw: unknown) => P): P {
  const r = new SnapshotReader(what);
  try {
    return parse(r, raw);
  } catch (e) {
    if (KvmError.is(e)) throw e;
    return fail(Errno.EINVAL, `${what} snapshot: cannot be read (${e instanceof Error ? e.name : "error"})`);
  }
}

export interface RestoreSteps<P> {
  /** Controller name for messages ("XIVE"). */
  readonly what: string;
  readonly raw: unknown;
  /** Step 1: the whole snapshot into a validated plan. Must not touch the destination. */
  parse(r: SnapshotReader, raw: unknown): P;
  /** Step 2: preconditions on the destination (EBUSY when it is not fresh ...). */
  check?(plan: P): void;
  /** Step 3: the apply on a scratch copy (checks only the device itself knows). */
  rehearse?(plan: P): void;
  /** Step 4: writes the destination. */
  apply(plan: P): void;
}

/** parse whole -> check -> rehearse -> apply. Returns the plan (resume steps use it). */
export function restoreSnapshot<P>(steps: RestoreSteps<P>): P {
  const plan = parseSnapshot(steps.what, steps.raw, (r, raw) => steps.parse(r, raw));
  steps.check?.(plan);
  if (steps.rehearse) {
    try {
      steps.rehearse(plan);
    } catch (e) {
      if (KvmError.is(e)) throw new KvmError(e.errno, `${steps.what} snapshot refused: ${e.message}`, { cause: e });
      throw e;
    }
  }
  steps.apply(plan);
  return plan;
}
