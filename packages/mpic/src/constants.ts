/**
 * Numbers of the FSL MPIC as KVM defines them: UAPI (arch/powerpc/include/uapi/asm/kvm.h),
 * the register window and its blocks, and the bit layouts (mpic.md §1–§4).
 */

/** KVM_DEV_MPIC_GRP_* and their attributes. */
export const KVM_DEV_MPIC_GRP_MISC = 1;
/** u64 guest-physical base of the register window (0 = unmapped). */
export const KVM_DEV_MPIC_BASE_ADDR = 0;
/** Register access by byte offset into the window (u32 payload). */
export const KVM_DEV_MPIC_GRP_REGISTER = 2;
/** Source input level by source number (u32 payload, 0 or 1). */
export const KVM_DEV_MPIC_GRP_IRQ_ACTIVE = 3;

/** KVM_REG_PPC_EPR (ONE_REG): the external proxy register a v4.2 proxy delivery fills. */
export const KVM_REG_PPC_EPR = 0x1020000000000086n;

/** Model limits (mpic.c MAX_*). */
export const MAX_CPU = 32;
export const MAX_SRC = 256;
export const MAX_IPI = 4;
export const MAX_TMR = 4;
export const MAX_MSI = 8;
/** Every source: 256 SRC + 4 IPI + 4 timers. */
export const MAX_IRQ = MAX_SRC + MAX_IPI + MAX_TMR;
/** First IPI source, first timer source, first MSI bank source. */
export const IRQ_IPI0 = 256;
export const IRQ_TIM0 = 260;
export const IRQ_MSI0 = 224;
/** Sources 0..15 are "normal" external inputs (sense programmable). */
export const NUM_EXTERNAL = 16;
/** Words of a 264-bit queue bitmap (32-bit words). */
export const QUEUE_WORDS = 9;

/** Register window: 256 KiB, base 256 KiB aligned. */
export const OPENPIC_REG_SIZE = 0x40000;
export const BASE_ALIGN_MASK = 0x3ffff;

/** Register blocks (offset, size), in decode order. */
export const GLB_START = 0x0;
export const GLB_SIZE = 0x10f0;
export const TMR_START = 0x10f0;
export const TMR_SIZE = 0x220;
export const SRC_START = 0x10000;
export const SRC_SIZE = MAX_SRC * 0x20;
export const CPU_START = 0x20000;
export const CPU_SIZE = 0x100 + (MAX_CPU - 1) * 0x1000;
export const MSI_START = 0x1600;
export const MSI_SIZE = 0x200;
export const SUMMARY_START = 0x3800;
export const SUMMARY_SIZE = 0x800;

/** Global registers (absolute offsets). */
export const REG_BRR1 = 0x0000;
export const REG_IPIDR_ALIAS = 0x0040;
export const REG_CTPR_ALIAS = 0x0080;
export const REG_WHOAMI_ALIAS = 0x0090;
export const REG_IACK_ALIAS = 0x00a0;
export const REG_EOI_ALIAS = 0x00b0;
export const REG_FRR = 0x1000;
export const REG_GCR = 0x1020;
export const REG_VIR = 0x1080;
export const REG_PIR = 0x1090;
export const REG_IPIVPR0 = 0x10a0;
export const REG_SPVR = 0x10e0;
export const REG_TFRR = 0x10f0;
/** Timer n at 0x1100 + 0x40·n (architected layout, the write decoding). */
export const REG_GT0 = 0x1100;
export const GT_STRIDE = 0x40;
export const GT_GTCCR = 0x00;
export const GT_GTBCR = 0x10;
export const GT_GTVPR = 0x20;
export const GT_GTDR = 0x30;
/** MSI registers. */
export const REG_MSIR0 = 0x1600;
export const REG_MSISR = 0x1720;
export const REG_MSIIR = 0x1740;
/** Source n registers: 0x10000 + 0x20·n + (IVPR 0x00 | IDR 0x10 | ILR 0x18). */
export const SRC_STRIDE = 0x20;
export const SRC_IVPR = 0x00;
export const SRC_IDR = 0x10;
export const SRC_ILR = 0x18;
/** Per-CPU block c at 0x20000 + 0x1000·c. */
export const CPU_STRIDE = 0x1000;
export const CPU_IPIDR0 = 0x40;
export const CPU_CTPR = 0x80;
export const CPU_WHOAMI = 0x90;
export const CPU_IACK = 0xa0;
export const CPU_EOI = 0xb0;

/** Offset helpers for drivers and tests. */
export const srcIvpr = (n: number): number => SRC_START + SRC_STRIDE * n + SRC_IVPR;
export const srcIdr = (n: number): number => SRC_START + SRC_STRIDE * n + SRC_IDR;
export const srcIlr = (n: number): number => SRC_START + SRC_STRIDE * n + SRC_ILR;
export const cpuReg = (cpu: number, reg: number): number => CPU_START + CPU_STRIDE * cpu + reg;
export const msir = (bank: number): number => REG_MSIR0 + 0x10 * bank;
export const ipiVpr = (n: number): number => REG_IPIVPR0 + 0x10 * n;

/** IVPR bits. */
export const IVPR_MASK = 0x80000000;
export const IVPR_ACTIVITY = 0x40000000;
export const IVPR_MODE = 0x20000000;
export const IVPR_POLARITY = 0x00800000;
export const IVPR_SENSE = 0x00400000;
export const IVPR_PRIORITY_MASK = 0x000f0000;
export const IVPR_PRIORITY_SHIFT = 16;
export const IVPR_VECTOR_MASK = 0x0000ffff;
/** Bits an IVPR write keeps: MASK | PRIORITY | SENSE | POLARITY | VECTOR (MODE dropped). */
export const IVPR_WRITE_MASK = 0x80cfffff;
/** IVPR after reset. */
export const IVPR_RESET = 0x80000000;

/** IDR bits (v2.0 only: EP and CI). */
export const IDR_EP = 0x80000000;
export const IDR_EP_SHIFT = 31;
export const IDR_CI0_SHIFT = 30;

/** ILR / source outputs. */
export const OUTPUT_INT = 0;
export const OUTPUT_CINT = 1;
export const OUTPUT_MCP = 2;
export const ILR_INTTGT_MASK = 0xff;

/** GCR. */
export const GCR_RESET = 0x80000000;
export const GCR_MODE_MIXED = 0x20000000;
export const GCR_MODE_PROXY = 0x60000000;

/** Timers. */
export const TBCR_CI = 0x80000000;
export const TCCR_TOG = 0x80000000;

/** FRR fields. */
export const FRR_NIRQ_SHIFT = 16;
export const FRR_NCPU_SHIFT = 8;
export const VID_REVISION_1_2 = 2;

/** MSIIR fields. */
export const MSIIR_SRS_SHIFT = 29;
export const MSIIR_IBS_SHIFT = 24;
export const MSIIR_IBS_MASK = 0x1f000000;

/** Vector mask (16-bit vectors) and the spurious vector after reset. */
export const VECTOR_MASK = 0xffff;

/** What a read of an undecoded (but handled) register returns. */
export const ALL_ONES = 0xffffffff;
