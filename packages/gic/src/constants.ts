/** UAPI numbers and architectural constants of the GICv3 and ITS (spec gicv3-its.md §1). */
export { KVM_DEV_TYPE_ARM_VGIC_V3, KVM_DEV_TYPE_ARM_VGIC_ITS } from "@irqlab/core";

export const GRP_ADDR = 0;
export const GRP_DIST_REGS = 1;
export const GRP_CPU_REGS = 2;
export const GRP_NR_IRQS = 3;
export const GRP_CTRL = 4;
export const GRP_REDIST_REGS = 5;
export const GRP_CPU_SYSREGS = 6;
export const GRP_LEVEL_INFO = 7;
export const GRP_ITS_REGS = 8;

export const ADDR_V2_DIST = 0;
export const ADDR_V2_CPU = 1;
export const ADDR_V3_DIST = 2;
export const ADDR_V3_REDIST = 3;
export const ADDR_ITS = 4;
export const ADDR_V3_REDIST_REGION = 5;

export const CTRL_INIT = 0;
export const CTRL_ITS_SAVE_TABLES = 1;
export const CTRL_ITS_RESTORE_TABLES = 2;
export const CTRL_SAVE_PENDING_TABLES = 3;
export const CTRL_ITS_RESET = 4;

export const SZ_64K = 0x10000;
export const DIST_SIZE = 0x10000;
export const REDIST_SIZE = 0x20000;
export const ITS_SIZE = 0x20000;
export const MAX_VCPUS = 512;
export const IPA_BITS = 40;
export const VGIC_ADDR_UNDEF = 0xffffffffffffffffn;

export const NR_PRIVATE = 32;
export const MAX_SPIS = 988;
export const LPI_BASE = 8192;
export const LPI_LIMIT = 65536;
export const NR_LPIS = LPI_LIMIT - LPI_BASE;
export const SPURIOUS = 1023;
export const DEFAULT_NR_IRQS = 256;
export const IRQCHIP_PINS = 988;

export const IMPLEMENTER_ARM = 0x43b;
export const PRODUCT_ID_KVM = 0x4b;
export const GITS_TRANSLATER = 0x10040;

/** KVM_CAP numbers arm64 answers beside the generic ones. */
export const KVM_CAP_ARM_IRQ_LINE_LAYOUT_2 = 174;
export const KVM_CAP_MAX_VCPUS = 66;

/** arm64 KVM_IRQ_LINE irq types. */
export const IRQ_TYPE_CPU = 0;
export const IRQ_TYPE_SPI = 1;
export const IRQ_TYPE_PPI = 2;

/** Model parameters taken from ICH_VTR_EL2 (§1 defaults). */
export const PRI_BITS = 5;
export const PRE_BITS = 5;
export const ID_BITS = 0;
export const BPR_MIN = 8 - PRE_BITS;

/**
 * ICC_* system registers by their KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS encoding
 * (Op0 << 14 | Op1 << 11 | CRn << 7 | CRm << 3 | Op2); the same number is the id under which
 * the CPU interface registers them in `vcpu.sysregs`.
 */
export const ICC_PMR_EL1 = 0xc230;
export const ICC_IAR0_EL1 = 0xc640;
export const ICC_EOIR0_EL1 = 0xc641;
export const ICC_HPPIR0_EL1 = 0xc642;
export const ICC_BPR0_EL1 = 0xc643;
export const ICC_AP0R0_EL1 = 0xc644;
export const ICC_AP1R0_EL1 = 0xc648;
export const ICC_DIR_EL1 = 0xc659;
export const ICC_RPR_EL1 = 0xc65b;
export const ICC_SGI1R_EL1 = 0xc65d;
export const ICC_ASGI1R_EL1 = 0xc65e;
export const ICC_SGI0R_EL1 = 0xc65f;
export const ICC_IAR1_EL1 = 0xc660;
export const ICC_EOIR1_EL1 = 0xc661;
export const ICC_HPPIR1_EL1 = 0xc662;
export const ICC_BPR1_EL1 = 0xc663;
export const ICC_CTLR_EL1 = 0xc664;
export const ICC_SRE_EL1 = 0xc665;
export const ICC_IGRPEN0_EL1 = 0xc666;
export const ICC_IGRPEN1_EL1 = 0xc667;

/** Default MPIDR affinity of vCPU n in the packed Aff3.Aff2.Aff1.Aff0 form of attributes. */
export function vcpuAffinity(n: number): number {
  return (((n >> 12) & 0xff) << 16) | (((n >> 4) & 0xff) << 8) | (n & 0xf);
}

/** The vCPU index whose default affinity is `aff` (packed, Aff3 in bits 31:24), or -1. */
export function vcpuOfAffinity(aff: number, nvcpus: number): number {
  aff >>>= 0;
  if (aff >>> 24 !== 0) return -1;
  const a0 = aff & 0xff;
  if (a0 > 0xf) return -1;
  const n = a0 | (((aff >> 8) & 0xff) << 4) | (((aff >> 16) & 0xff) << 12);
  return n < nvcpus ? n : -1;
}
