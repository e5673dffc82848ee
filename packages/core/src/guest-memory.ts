/**
 * Guest physical memory: sparse 4 KiB pages allocated on first write, 1/2/4/8-byte accesses
 * in either byte order, and bit operations for indicator bits (s390 numbers bits from the
 * most significant bit of a byte: bit 0 is 0x80). Addresses at or beyond `size`, or in a
 * range marked unmapped, are EFAULT.
 */
import { Errno, fail } from "./kvm-error.js";

const PAGE_SHIFT = 12;
const PAGE_SIZE = 1 << PAGE_SHIFT;

export class GuestMemory {
  private pages = new Map<number, Uint8Array>();
  private holes: Array<[number, number]> = [];

  /** @param size bytes of guest physical address space (default 4 GiB). */
  constructor(readonly size: number = 2 ** 32) {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`bad memory size ${size}`);
  }

  /** Marks [addr, addr+len) as not backed (accesses there are EFAULT). */
  unmap(addr: number, len: number): void {
    this.holes.push([addr, addr + len]);
    for (let p = addr >>> PAGE_SHIFT; p * PAGE_SIZE < addr + len; p++) this.pages.delete(p);
  }

  /** Whether every byte of [addr, addr+len) is backed. */
  isMapped(addr: number, len = 1): boolean {
    if (!Number.isSafeInteger(addr) || !Number.isSafeInteger(len) || addr < 0 || len < 0) return false;
    if (addr + len > this.size) return false;
    for (const [a, b] of this.holes) if (addr < b && addr + len > a) return false;
    return true;
  }

  private check(addr: number, len: number): void {
    if (!this.isMapped(addr, len)) fail(Errno.EFAULT, `guest address 0x${addr.toString(16)}+${len} is not mapped`);
  }

  private page(pfn: number, create: boolean): Uint8Array | undefined {
    let p = this.pages.get(pfn);
    if (!p && create) {
      p = new Uint8Array(PAGE_SIZE);
      this.pages.set(pfn, p);
    }
    return p;
  }

  readByte(addr: number): number {
    this.check(addr, 1);
    const p = this.page(Math.floor(addr / PAGE_SIZE), false);
    return p ? p[addr % PAGE_SIZE] : 0;
  }

  writeByte(addr: number, v: number): void {
    this.check(addr, 1);
    this.page(Math.floor(addr / PAGE_SIZE), true)![addr % PAGE_SIZE] = v & 0xff;
  }

  /** Reads `size` (1, 2, 4) bytes as an unsigned number. */
  read(addr: number, size: 1 | 2 | 4, endian: "le" | "be" = "be"): number {
    this.check(addr, size);
    let v = 0;
    for (let i = 0; i < size; i++) {
      const b = this.readByteUnchecked(addr + (endian === "be" ? i : size - 1 - i));
      v = v * 256 + b;
    }
    return v;
  }

  write(addr: number, size: 1 | 2 | 4, value: number, endian: "le" | "be" = "be"): void {
    this.check(addr, size);
    for (let i = 0; i < size; i++) {
      const shift = endian === "be" ? size - 1 - i : i;
      this.writeByteUnchecked(addr + i, Math.floor(value / 2 ** (8 * shift)) & 0xff);
    }
  }

  read64(addr: number, endian: "le" | "be" = "be"): bigint {
    this.check(addr, 8);
    let v = 0n;
    for (let i = 0; i < 8; i++) {
      v = (v << 8n) | BigInt(this.readByteUnchecked(addr + (endian === "be" ? i : 7 - i)));
    }
    return v;
  }

  write64(addr: number, value: bigint, endian: "le" | "be" = "be"): void {
    this.check(addr, 8);
    let v = BigInt.asUintN(64, value);
    for (let i = 0; i < 8; i++) {
      const at = endian === "be" ? 7 - i : i;
      this.writeByteUnchecked(addr + at, Number(v & 0xffn));
      v >>= 8n;
    }
  }

  readBytes(addr: number, len: number): Uint8Array {
    this.check(addr, len);
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.readByteUnchecked(addr + i);
    return out;
  }

  writeBytes(addr: number, bytes: Uint8Array): void {
    this.check(addr, bytes.length);
    for (let i = 0; i < bytes.length; i++) this.writeByteUnchecked(addr + i, bytes[i]);
  }

  /**
   * Sets bit `bit` counted from `addr` in s390 (MSB-first) numbering; returns the old value.
   * Bit n lives in byte addr + (n >> 3) under mask 0x80 >> (n & 7).
   */
  setBitMsb0(addr: number, bit: number): boolean {
    const a = addr + Math.floor(bit / 8);
    const mask = 0x80 >> (bit & 7);
    const old = this.readByte(a);
    this.writeByteUnchecked(a, old | mask);
    return (old & mask) !== 0;
  }

  clearBitMsb0(addr: number, bit: number): boolean {
    const a = addr + Math.floor(bit / 8);
    const mask = 0x80 >> (bit & 7);
    const old = this.readByte(a);
    this.writeByteUnchecked(a, old & ~mask);
    return (old & mask) !== 0;
  }

  testBitMsb0(addr: number, bit: number): boolean {
    return (this.readByte(addr + Math.floor(bit / 8)) & (0x80 >> (bit & 7))) !== 0;
  }

  /** Bytes of host memory backing the guest (allocated pages only). */
  allocatedBytes(): number {
    return this.pages.size * PAGE_SIZE;
  }

  private readByteUnchecked(addr: number): number {
    const p = this.pages.get(Math.floor(addr / PAGE_SIZE));
    return p ? p[addr % PAGE_SIZE] : 0;
  }

  private writeByteUnchecked(addr: number, v: number): void {
    this.page(Math.floor(addr / PAGE_SIZE), true)![addr % PAGE_SIZE] = v & 0xff;
  }
}
