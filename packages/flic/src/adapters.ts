/**
 * I/O adapters (kvm->arch.adapters[64]) and the indicator-bit arithmetic of adapter routes.
 *
 * Indicator bits: the kernel sets bit B = offset + 8 * (addr mod 4096) of the 4 KiB page that
 * holds `addr` with its bit operations (64-bit big-endian words, bit 0 = least significant),
 * after B ^= 63 when the adapter has `swap`. Expressed in s390's MSB-0 bit-string numbering
 * from the page start that is bit B ^ 63 without swap and bit B with swap; with swap that is
 * simply MSB-0 bit `offset` from `addr`.
 */
import { MAX_S390_IO_ADAPTERS } from "./constants.js";

export const PAGE_SIZE = 4096;

/** The registered adapters, in typed arrays indexed by adapter id. */
export class AdapterTable {
  readonly registered = new Uint8Array(MAX_S390_IO_ADAPTERS);
  /** Stored as given: a u8, not range-checked (KVM keeps it in an int). */
  readonly isc = new Uint8Array(MAX_S390_IO_ADAPTERS);
  readonly maskable = new Uint8Array(MAX_S390_IO_ADAPTERS);
  readonly masked = new Uint8Array(MAX_S390_IO_ADAPTERS);
  readonly swap = new Uint8Array(MAX_S390_IO_ADAPTERS);
  readonly suppressible = new Uint8Array(MAX_S390_IO_ADAPTERS);

  /** get_io_adapter: whether `id` (any number) names a registered adapter. */
  has(id: number): boolean {
    return id >= 0 && id < MAX_S390_IO_ADAPTERS && Number.isInteger(id) && this.registered[id] === 1;
  }

  register(id: number, isc: number, maskable: boolean, swap: boolean, suppressible: boolean): void {
    this.registered[id] = 1;
    this.isc[id] = isc & 0xff;
    this.maskable[id] = maskable ? 1 : 0;
    this.masked[id] = 0;
    this.swap[id] = swap ? 1 : 0;
    this.suppressible[id] = suppressible ? 1 : 0;
  }

  /** Registered adapters as plain records (snapshots, dumpState). */
  list(): AdapterInfo[] {
    const out: AdapterInfo[] = [];
    for (let id = 0; id < MAX_S390_IO_ADAPTERS; id++) {
      if (!this.registered[id]) continue;
      out.push({
        id,
        isc: this.isc[id],
        maskable: this.maskable[id] === 1,
        masked: this.masked[id] === 1,
        swap: this.swap[id] === 1,
        suppressible: this.suppressible[id] === 1,
      });
    }
    return out;
  }
}

/** One registered adapter (struct s390_io_adapter). */
export interface AdapterInfo {
  id: number;
  isc: number;
  maskable: boolean;
  masked: boolean;
  swap: boolean;
  suppressible: boolean;
}

/** get_ind_bit(): the kernel bit number within the page of `addr`. */
export function kernelIndicatorBit(addr: number, offset: number, swap: boolean): number {
  const b = offset + 8 * (addr % PAGE_SIZE);
  return swap ? xor63(b) : b;
}

/** b ^ 63 for any non-negative integer (JS `^` would truncate to 32 bits). */
function xor63(b: number): number {
  const low = b % 64;
  return b - low + (63 - low);
}

/**
 * The guest byte and mask an adapter-route indicator lands in: byte address into `out[0]`,
 * mask into `out[1]` (no allocation). Kernel set_bit convention on s390: byte =
 * page + 8 * floor(B / 64) + 7 - floor((B mod 64) / 8), mask = 1 << (B mod 8).
 */
export function indicatorByte(addr: number, offset: number, swap: boolean, out: Float64Array): void {
  const page = addr - (addr % PAGE_SIZE);
  const b = kernelIndicatorBit(addr, offset, swap);
  const low = b % 64;
  out[0] = page + 8 * ((b - low) / 64) + 7 - Math.floor(low / 8);
  out[1] = 1 << (low % 8);
}

/** The same position as an MSB-0 bit number counted from the start of the page of `addr`. */
export function indicatorMsb0Bit(addr: number, offset: number, swap: boolean): number {
  return xor63(kernelIndicatorBit(addr, offset, swap));
}
