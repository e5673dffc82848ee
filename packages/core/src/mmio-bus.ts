/**
 * The guest's MMIO bus: regions claimed by base and size, reached with 1/2/4/8-byte loads
 * and stores. Each access is a trapped exit (counted in ExitStats). A region decides for
 * itself what an unaligned or odd-sized access means (the MPIC ignores it, as KVM does).
 */
import { Errno, fail } from "./kvm-error.js";
import type { ExitStats } from "./exit-stats.js";
import type { Vcpu } from "./vcpu.js";

export interface MmioRegion {
  /**
   * Loads `size` bytes at `offset` from the region base; an unsigned value. `vcpu` is the
   * accessing vCPU when the access comes from guest code (KVM's io bus passes it), else null.
   */
  read(offset: number, size: number, vcpu: Vcpu | null): number;
  write(offset: number, size: number, value: number, vcpu: Vcpu | null): void;
}

interface Mapping {
  base: number;
  size: number;
  region: MmioRegion;
  owner: string;
}

/** What an unclaimed load returns (the bus floats high). */
export const MMIO_UNCLAIMED = 0xffffffff;

export class MmioBus {
  private maps: Mapping[] = [];
  private last: Mapping | null = null;

  private readonly pio: boolean;

  /**
   * `kind` "pio" makes this an I/O-port bus (x86 IN/OUT: `vm.pio`): the same claims and
   * dispatch, counted as pioReads/pioWrites.
   */
  constructor(
    private readonly stats: ExitStats,
    kind: "mmio" | "pio" = "mmio",
  ) {
    this.pio = kind === "pio";
  }

  /** Claims [base, base+size). Overlap with another region is EEXIST; bad range EINVAL. */
  map(base: number, size: number, region: MmioRegion, owner = "device"): void {
    if (!Number.isSafeInteger(base) || !Number.isSafeInteger(size) || base < 0 || size <= 0) {
      fail(Errno.EINVAL, `MMIO region ${owner}: bad base 0x${base.toString(16)} / size ${size}`);
    }
    for (const m of this.maps) {
      if (base < m.base + m.size && base + size > m.base) {
        fail(
          Errno.EEXIST,
          `MMIO region ${owner} [0x${base.toString(16)}, +0x${size.toString(16)}) overlaps ${m.owner} at 0x${m.base.toString(16)}`,
        );
      }
    }
    this.maps.push({ base, size, region, owner });
  }

  /** Removes the region; returns whether it was mapped. */
  unmap(region: MmioRegion): boolean {
    const before = this.maps.length;
    this.maps = this.maps.filter((m) => m.region !== region);
    this.last = null;
    return this.maps.length !== before;
  }

  /** Base address of a mapped region, or undefined. */
  baseOf(region: MmioRegion): number | undefined {
    return this.maps.find((m) => m.region === region)?.base;
  }

  regions(): ReadonlyArray<{ base: number; size: number; owner: string }> {
    return this.maps.map(({ base, size, owner }) => ({ base, size, owner }));
  }

  /** A load by `vcpu` (null: no vCPU context, e.g. a test poking registers). */
  read(addr: number, size: number, vcpu: Vcpu | null = null): number {
    checkSize(size);
    if (this.pio) this.stats.pioReads++;
    else this.stats.mmioReads++;
    const m = this.find(addr, size);
    if (!m) {
      this.stats.mmioUnhandled++;
      return size >= 4 ? MMIO_UNCLAIMED : (1 << (8 * size)) - 1;
    }
    return m.region.read(addr - m.base, size, vcpu);
  }

  write(addr: number, size: number, value: number, vcpu: Vcpu | null = null): void {
    checkSize(size);
    if (this.pio) this.stats.pioWrites++;
    else this.stats.mmioWrites++;
    const m = this.find(addr, size);
    if (!m) {
      this.stats.mmioUnhandled++;
      return;
    }
    m.region.write(addr - m.base, size, value, vcpu);
  }

  private find(addr: number, size: number): Mapping | null {
    const l = this.last;
    if (l && addr >= l.base && addr + size <= l.base + l.size) return l;
    for (const m of this.maps) {
      if (addr >= m.base && addr + size <= m.base + m.size) {
        this.last = m;
        return m;
      }
    }
    return null;
  }
}

function checkSize(size: number): void {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
    fail(Errno.EINVAL, `MMIO access size ${size} (1, 2, 4 or 8)`);
  }
}
