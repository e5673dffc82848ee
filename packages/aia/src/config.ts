/**
 * The per-VM AIA configuration (kvm->arch.aia before CTRL_INIT) and the host parameters the
 * kernel derives at module load (spec §1.1, §2, §3.1, §4).
 */
import { Errno } from "@irqlab/core";
import {
  IMSIC_MAX_ID,
  KVM_DEV_RISCV_AIA_GROUP_BITS_MAX,
  KVM_DEV_RISCV_AIA_GROUP_SHIFT_MAX,
  KVM_DEV_RISCV_AIA_GROUP_SHIFT_MIN,
  KVM_DEV_RISCV_AIA_GUEST_BITS_MAX,
  KVM_DEV_RISCV_AIA_HART_BITS_MAX,
  KVM_DEV_RISCV_AIA_IDS_MAX,
  KVM_DEV_RISCV_AIA_IDS_MIN,
  KVM_DEV_RISCV_AIA_MODE_AUTO,
  KVM_DEV_RISCV_AIA_MODE_EMUL,
  KVM_DEV_RISCV_AIA_MODE_HWACCEL,
  KVM_DEV_RISCV_AIA_SRCS_MAX,
} from "./constants.js";

/** What the host offers (fixed at "module load"): the model's host capability option. */
export interface AiaHost {
  /**
   * Hardware guest interrupt files per host hart (0: emulation only, the checklist's host).
   * With nr_hgei > 0, MODE HWACCEL and AUTO are selectable and every vCPU holds a VS-file
   * (irqlab runs each vCPU on its own host hart, so a file is always free).
   */
  readonly nrHgei: number;
  /** Upper bound (exclusive) of IDS: host IMSIC nr_guest_ids + 1, or 2048 without files. */
  readonly maxIds: number;
}

export const EMULATION_ONLY_HOST: AiaHost = { nrHgei: 0, maxIds: IMSIC_MAX_ID };

/** Validates a host description (createAiaModule's argument). */
export function checkHost(h: Partial<AiaHost>): AiaHost {
  const nrHgei = h.nrHgei ?? 0;
  const maxIds = h.maxIds ?? IMSIC_MAX_ID;
  if (!Number.isInteger(nrHgei) || nrHgei < 0 || nrHgei > 63) throw new RangeError(`AIA host nrHgei ${nrHgei} (0..63)`);
  if (!Number.isInteger(maxIds) || maxIds < 64 || maxIds > IMSIC_MAX_ID) throw new RangeError(`AIA host maxIds ${maxIds} (64..2048)`);
  return { nrHgei, maxIds };
}

export class AiaConfig {
  mode: number;
  nrIds: number;
  nrSources = 0;
  groupBits = 0;
  groupShift = KVM_DEV_RISCV_AIA_GROUP_SHIFT_MIN;
  hartBits = 0;
  guestBits = 0;

  constructor(readonly host: AiaHost) {
    this.mode = host.nrHgei > 0 ? KVM_DEV_RISCV_AIA_MODE_AUTO : KVM_DEV_RISCV_AIA_MODE_EMUL;
    this.nrIds = host.maxIds - 1;
  }

  /** The stored value of CONFIG attr `attr` (0..6), or undefined. */
  get(attr: number): number | undefined {
    switch (attr) {
      case 0:
        return this.mode;
      case 1:
        return this.nrIds;
      case 2:
        return this.nrSources;
      case 3:
        return this.groupBits;
      case 4:
        return this.groupShift;
      case 5:
        return this.hartBits;
      case 6:
        return this.guestBits;
      default:
        return undefined;
    }
  }

  /** Checks a CONFIG set of `attr` to `v` (u32): 0, -EINVAL or -ENXIO; stores on 0. */
  set(attr: number, v: number): number {
    const max = this.host.maxIds;
    switch (attr) {
      case 0:
        if (v === KVM_DEV_RISCV_AIA_MODE_EMUL) break;
        if ((v === KVM_DEV_RISCV_AIA_MODE_HWACCEL || v === KVM_DEV_RISCV_AIA_MODE_AUTO) && this.host.nrHgei > 0) break;
        return -Errno.EINVAL;
      case 1:
        if (v < KVM_DEV_RISCV_AIA_IDS_MIN || v >= KVM_DEV_RISCV_AIA_IDS_MAX || (v & KVM_DEV_RISCV_AIA_IDS_MIN) !== KVM_DEV_RISCV_AIA_IDS_MIN || v >= max) {
          return -Errno.EINVAL;
        }
        break;
      case 2:
        if (v >= KVM_DEV_RISCV_AIA_SRCS_MAX || v >= max) return -Errno.EINVAL;
        break;
      case 3:
        if (v >= KVM_DEV_RISCV_AIA_GROUP_BITS_MAX) return -Errno.EINVAL;
        break;
      case 4:
        if (v < KVM_DEV_RISCV_AIA_GROUP_SHIFT_MIN || v >= KVM_DEV_RISCV_AIA_GROUP_SHIFT_MAX) return -Errno.EINVAL;
        break;
      case 5:
        if (v >= KVM_DEV_RISCV_AIA_HART_BITS_MAX) return -Errno.EINVAL;
        break;
      case 6:
        if (v >= KVM_DEV_RISCV_AIA_GUEST_BITS_MAX) return -Errno.EINVAL;
        break;
      default:
        return -Errno.ENXIO;
    }
    switch (attr) {
      case 0:
        this.mode = v;
        break;
      case 1:
        this.nrIds = v;
        break;
      case 2:
        this.nrSources = v;
        break;
      case 3:
        this.groupBits = v;
        break;
      case 4:
        this.groupShift = v;
        break;
      case 5:
        this.hartBits = v;
        break;
      default:
        this.guestBits = v;
        break;
    }
    return 0;
  }

  /** Whether IMSIC files are hardware VS-files (HWACCEL, or AUTO on a host with files). */
  get vsFiles(): boolean {
    return this.mode !== KVM_DEV_RISCV_AIA_MODE_EMUL && this.host.nrHgei > 0;
  }

  /** mask = bits [H+U+11 : 0] plus [S+G-1 : S] when G > 0 (§4). */
  addrMask(): bigint {
    let mask = (1n << BigInt(this.hartBits + this.guestBits + 12)) - 1n;
    if (this.groupBits > 0) mask |= ((1n << BigInt(this.groupBits)) - 1n) << BigInt(this.groupShift);
    return mask;
  }

  /** Base PPN of an IMSIC address: (addr & ~mask) >> 12. */
  basePpn(addr: bigint): bigint {
    return (addr & ~this.addrMask() & 0xffffffffffffffffn) >> 12n;
  }

  /** hart_index = (group << H) | hart decoded from an IMSIC address. */
  hartIndex(addr: bigint): number {
    const H = BigInt(this.hartBits);
    const hart = this.hartBits === 0 ? 0n : (addr >> BigInt(this.guestBits + 12)) & ((1n << H) - 1n);
    const group = this.groupBits === 0 ? 0n : (addr >> BigInt(this.groupShift)) & ((1n << BigInt(this.groupBits)) - 1n);
    return Number((group << H) | hart);
  }
}
