/**
 * The register window on the guest's MMIO bus (kvm_mpic_read / kvm_mpic_write, mpic.md §10).
 *
 * Reads: an address not aligned to the access size is not handled; otherwise the decoder
 * runs at the access's own offset with all its side effects, then a 4-byte read returns the
 * register, a 1-byte read returns byte (offset & 3) of it in host byte order (the VM's
 * `endian`), and any other size is not handled (after the side effects). Writes: only 4-byte,
 * 4-aligned writes are handled. Decoder errors (ENXIO) make the access unhandled too.
 *
 * "Not handled" means KVM exits to userspace with KVM_EXIT_MMIO. irqlab has no userspace
 * device model behind the window, so such an access is counted in `exitStats.mmioUnhandled`,
 * a load returns all ones (the floating bus, as for an unclaimed address) and a store has no
 * effect.
 */
import type { Endian, ExitStats, MmioRegion, Vcpu } from "@irqlab/core";
import { MMIO_UNCLAIMED } from "@irqlab/core";
import type { OpenPic } from "./openpic.js";
import { readRegister, writeRegister } from "./register-map.js";

/** Who is accessing: the MPIC CPU number of the vCPU performing guest MMIO (-1: none). */
export interface AccessContext {
  accessCpu: number;
  /** The MPIC CPU number of an accessing vCPU (the bus passes it for guest MMIO). */
  cpuOf(vcpu: Vcpu): number;
}

export class MpicMmioRegion implements MmioRegion {
  /** Accesses the region did not handle (also counted in ExitStats.mmioUnhandled). */
  unhandled = 0;
  private readonly bigEndian: boolean;

  constructor(
    private readonly opp: OpenPic,
    private readonly ctx: AccessContext,
    private readonly stats: ExitStats,
    endian: Endian,
  ) {
    this.bigEndian = endian === "be";
  }

  read(offset: number, size: number, vcpu: Vcpu | null = null): number {
    if ((offset & (size - 1)) !== 0) return this.notHandled(size);
    const v = readRegister(this.opp, offset, vcpu ? this.ctx.cpuOf(vcpu) : this.ctx.accessCpu);
    if (v < 0) return this.notHandled(size);
    if (size === 4) return v;
    if (size === 1) {
      const lane = offset & 3;
      return (this.bigEndian ? v >>> (24 - 8 * lane) : v >>> (8 * lane)) & 0xff;
    }
    return this.notHandled(size);
  }

  write(offset: number, size: number, value: number, vcpu: Vcpu | null = null): void {
    if (size !== 4 || (offset & 3) !== 0) {
      this.notHandled(size);
      return;
    }
    const cpu = vcpu ? this.ctx.cpuOf(vcpu) : this.ctx.accessCpu;
    if (writeRegister(this.opp, offset, value >>> 0, cpu) < 0) this.notHandled(size);
  }

  private notHandled(size: number): number {
    this.unhandled++;
    this.stats.mmioUnhandled++;
    return size >= 4 ? MMIO_UNCLAIMED : (1 << (8 * size)) - 1;
  }
}
