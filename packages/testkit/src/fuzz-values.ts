/**
 * Values for the fuzzer, as a small JSON-able language so every generated call can be printed
 * as a ready-to-paste regression test and rebuilt bit for bit:
 *
 *   ["num", "1.5"] ["big", "18446744073709551616"] ["str", "a"] ["bool", true] ["null"] ["undef"]
 *   ["bytes", "00ff.."]            a Uint8Array
 *   ["view", "DataView"|"Uint16Array"|"Float64Array", "00ff.."]   another ArrayBufferView
 *   ["ab", 8]                      an ArrayBuffer (not a view: unreadable)
 *   ["fake", 12]                   { byteLength: 12 } (not a view: unreadable)
 *   ["obj", { k: V }]              a plain object; a field ["throw"] is a getter that throws
 *   ["nullobj", { k: V }]          the same with a null prototype
 *   ["arr", [V...], [holes...]]    an array, with the listed indices left as holes
 *   ["throw"]                      (top level) a Proxy whose every trap throws
 *   ["ref", "h" | "efd:0" | "vcpu:1"]   a handle of the run's environment
 */

export type V =
  | readonly ["num", string]
  | readonly ["big", string]
  | readonly ["str", string]
  | readonly ["bool", boolean]
  | readonly ["null"]
  | readonly ["undef"]
  | readonly ["bytes", string]
  | readonly ["view", "DataView" | "Uint16Array" | "Float64Array", string]
  | readonly ["ab", number]
  | readonly ["fake", number]
  | readonly ["obj", { readonly [k: string]: V }]
  | readonly ["nullobj", { readonly [k: string]: V }]
  | readonly ["arr", readonly V[]]
  | readonly ["arr", readonly V[], readonly number[]]
  | readonly ["throw"]
  | readonly ["ref", string];

/** Deterministic PRNG (mulberry32): the whole run follows from the seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  u32(): number {
    return (this.next() * 4294967296) >>> 0;
  }
}

export const num = (n: number): V => ["num", String(n)];
export const big = (n: bigint): V => ["big", n.toString()];
export const ref = (name: string): V => ["ref", name];

const HOSTILE_NUMBERS = [Number.NaN, Infinity, -Infinity, 2 ** 53 + 1, 2 ** 64, 2 ** 32, -1, -0, 0.5, 1.5, -(2 ** 31) - 1, Number.MAX_VALUE];
const HOSTILE_BIGINTS = [-1n, 2n ** 64n, 2n ** 32n, 2n ** 63n, 2n ** 128n];

/** A value that is not a plain integer: wrong type, fraction, NaN, ±∞, out of range, objects. */
export function hostile(rng: Rng): V {
  switch (rng.int(10)) {
    case 0:
    case 1:
    case 2:
      return num(rng.pick(HOSTILE_NUMBERS));
    case 3:
      return big(rng.pick(HOSTILE_BIGINTS));
    case 4:
      return rng.pick<V>([["str", "1"], ["str", "a"], ["str", ""], ["str", "\u001b[31m"]]);
    case 5:
      return rng.pick<V>([["null"], ["undef"], ["bool", true]]);
    case 6:
      return rng.pick<V>([["obj", {}], ["nullobj", {}], ["arr", []]]);
    case 7:
      return ["throw"];
    case 8:
      return ["arr", [num(1), num(2)], [0]];
    default:
      return num(rng.u32() + 0.25);
  }
}

/**
 * An integer argument: usually valid (in [lo, hi], boundaries favoured, as a number or a
 * bigint), sometimes hostile (`pHostile`).
 */
export function intV(rng: Rng, lo: number, hi: number, pHostile = 0.2): V {
  if (rng.chance(pHostile)) return hostile(rng);
  const r = rng.int(8);
  const n = r === 0 ? lo : r === 1 ? hi : r === 2 ? Math.min(hi, lo + 1) : lo + Math.floor(rng.next() * (hi - lo + 1));
  return rng.chance(0.15) ? big(BigInt(n)) : num(n);
}

export function bytesHex(rng: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += ((rng.chance(0.5) ? 0 : rng.int(256)) & 0xff).toString(16).padStart(2, "0");
  return s;
}

export function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * A user pointer: usually `size` bytes (random, or `base` with a few bits flipped), sometimes
 * short, another view type, or something unreadable.
 */
export function ptrV(rng: Rng, size: number, base?: Uint8Array, pHostile = 0.15): V {
  if (rng.chance(pHostile)) {
    switch (rng.int(6)) {
      case 0:
        return ["null"];
      case 1:
        return ["undef"];
      case 2:
        return ["ab", size];
      case 3:
        return ["fake", size];
      case 4:
        return ["bytes", bytesHex(rng, Math.max(0, size - 1 - rng.int(Math.max(1, size))))];
      default:
        return ["throw"];
    }
  }
  let hex: string;
  if (base && rng.chance(0.6)) {
    const b = base.slice(0, size);
    const flips = rng.int(3);
    for (let i = 0; i < flips && b.length > 0; i++) b[rng.int(b.length)] ^= 1 << rng.int(8);
    hex = toHex(b) + "00".repeat(Math.max(0, size - b.length));
  } else hex = bytesHex(rng, size);
  if (size % 8 === 0 && size > 0 && rng.chance(0.1)) return ["view", rng.pick(["DataView", "Uint16Array", "Float64Array"] as const), hex];
  return ["bytes", hex];
}

/** Rebuilds the runtime value of `v`; `refs` resolves ["ref", name]. */
export function build(v: V, refs: (name: string) => unknown): unknown {
  switch (v[0]) {
    case "num":
      return Number(v[1]);
    case "big":
      return BigInt(v[1]);
    case "str":
      return v[1];
    case "bool":
      return v[1];
    case "null":
      return null;
    case "undef":
      return undefined;
    case "bytes":
      return fromHex(v[1]);
    case "view": {
      const b = fromHex(v[2]);
      if (v[1] === "DataView") return new DataView(b.buffer);
      if (v[1] === "Uint16Array") return new Uint16Array(b.buffer, 0, b.length >> 1);
      return new Float64Array(b.buffer, 0, b.length >> 3);
    }
    case "ab":
      return new ArrayBuffer(v[1]);
    case "fake":
      return { byteLength: v[1] };
    case "obj":
    case "nullobj": {
      const o: Record<string, unknown> = v[0] === "obj" ? {} : Object.create(null);
      for (const [k, x] of Object.entries(v[1])) {
        if (x[0] === "throw") {
          Object.defineProperty(o, k, {
            enumerable: true,
            get() {
              throw new Error(`fuzz: getter ${k} throws`);
            },
          });
        } else o[k] = build(x, refs);
      }
      return o;
    }
    case "arr": {
      const a = v[1].map((x) => build(x, refs));
      for (const h of v[2] ?? []) if (h < a.length) delete a[h];
      return a;
    }
    case "throw":
      return new Proxy(
        {},
        {
          get() {
            throw new Error("fuzz: proxy get throws");
          },
          has() {
            throw new Error("fuzz: proxy has throws");
          },
          ownKeys() {
            throw new Error("fuzz: proxy ownKeys throws");
          },
          getOwnPropertyDescriptor() {
            throw new Error("fuzz: proxy descriptor throws");
          },
          getPrototypeOf() {
            throw new Error("fuzz: proxy prototype throws");
          },
        },
      );
    case "ref":
      return refs(v[1]);
  }
}

/** A JSON value (from a snapshot) as V, so a mutated snapshot can be printed and rebuilt. */
export function fromJson(x: unknown): V {
  if (x === null) return ["null"];
  if (x === undefined) return ["undef"];
  if (typeof x === "number") return num(x);
  if (typeof x === "string") return ["str", x];
  if (typeof x === "boolean") return ["bool", x];
  if (typeof x === "bigint") return big(x);
  if (Array.isArray(x)) return ["arr", x.map(fromJson)];
  const o: Record<string, V> = {};
  for (const [k, v] of Object.entries(x as object)) o[k] = fromJson(v);
  return ["obj", o];
}
