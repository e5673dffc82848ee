/**
 * Numbers of KVM's native XIVE device (arch/powerpc/include/uapi/asm/kvm.h,
 * arch/powerpc/kvm/book3s_xive.h, asm/xive-regs.h) and of the sPAPR PAPR interface QEMU
 * exposes (hw/intc/spapr_xive.c, include/hw/ppc/spapr.h). Values are the kernel's / QEMU's.
 */
import { KVM_CAP_PPC_IRQ_XIVE, KVM_DEV_TYPE_XIVE, KVM_REG_PPC, KVM_REG_SIZE_U128 } from "@irqlab/core";

export { KVM_CAP_PPC_IRQ_XIVE, KVM_DEV_TYPE_XIVE };

/** First source number (native mode may use 0, unlike XICS' 16). */
export const KVMPPC_XIVE_FIRST_IRQ = 0;
/** Source-number space (= KVMPPC_XICS_NR_IRQS). */
export const KVMPPC_XIVE_NR_IRQS = 0x100000;
/** log2 of the sources per block (KVMPPC_XICS_ICS_SHIFT). */
export const XIVE_BLOCK_SHIFT = 10;
export const XIVE_BLOCK_SIZE = 1 << XIVE_BLOCK_SHIFT;
export const XIVE_BLOCK_MASK = XIVE_BLOCK_SIZE - 1;
/** Highest block id (KVMPPC_XICS_MAX_ICS_ID). */
export const XIVE_MAX_BLOCK_ID = 1023;
/** Queues (priorities 0..7) per vCPU. */
export const KVMPPC_XIVE_Q_COUNT = 8;
/** "No priority / masked". */
export const MASKED = 0xff;
/** Slots kept free in every queue by the targeting accounting (XIVE_Q_GAP). */
export const XIVE_Q_GAP = 2;

/** mmap page offsets (pages of PAGE_SIZE). */
export const KVM_XIVE_TIMA_PAGE_OFFSET = 0;
export const KVM_XIVE_ESB_PAGE_OFFSET = 4;
/** Host page size of the model (POWER hosts and QEMU's XIVE layout use 64 KiB pages). */
export const XIVE_PAGE_SHIFT = 16;
export const XIVE_PAGE_SIZE = 1 << XIVE_PAGE_SHIFT;
/** Largest TIMA mapping (pages). */
export const XIVE_TIMA_MAX_PAGES = 4;
/** TIMA view pages: 0 HW, 1 HV, 2 OS, 3 user. Only the OS view is mappable in KVM. */
export const XIVE_TM_OS_PAGE = 2;

export const KVM_XIVE_EQ_ALWAYS_NOTIFY = 0x00000001;
export const XIVE_INVALID_VP = 0xffffffff;

/** ONE_REG KVM_REG_PPC_VP_STATE (128 bits). */
export const KVM_REG_PPC_VP_STATE = KVM_REG_PPC | KVM_REG_SIZE_U128 | 0x8dn;

/** Attribute groups and CTRL attributes. */
export const KVM_DEV_XIVE_GRP_CTRL = 1;
export const KVM_DEV_XIVE_RESET = 1;
export const KVM_DEV_XIVE_EQ_SYNC = 2;
export const KVM_DEV_XIVE_NR_SERVERS = 3;
export const KVM_DEV_XIVE_GRP_SOURCE = 2;
export const KVM_DEV_XIVE_GRP_SOURCE_CONFIG = 3;
export const KVM_DEV_XIVE_GRP_EQ_CONFIG = 4;
export const KVM_DEV_XIVE_GRP_SOURCE_SYNC = 5;

/** KVM_DEV_XIVE_GRP_SOURCE value bits. */
export const KVM_XIVE_LEVEL_SENSITIVE = 1n << 0n;
export const KVM_XIVE_LEVEL_ASSERTED = 1n << 1n;

/** KVM_DEV_XIVE_GRP_SOURCE_CONFIG value layout. */
export const KVM_XIVE_SOURCE_PRIORITY_SHIFT = 0n;
export const KVM_XIVE_SOURCE_PRIORITY_MASK = 0x7n;
export const KVM_XIVE_SOURCE_SERVER_SHIFT = 3n;
export const KVM_XIVE_SOURCE_SERVER_MASK = 0xfffffff8n;
export const KVM_XIVE_SOURCE_MASKED_SHIFT = 32n;
export const KVM_XIVE_SOURCE_MASKED_MASK = 0x100000000n;
export const KVM_XIVE_SOURCE_EISN_SHIFT = 33n;
export const KVM_XIVE_SOURCE_EISN_MASK = 0xfffffffe00000000n;

/** KVM_DEV_XIVE_GRP_EQ_CONFIG attribute (EQ identifier) layout. */
export const KVM_XIVE_EQ_PRIORITY_SHIFT = 0n;
export const KVM_XIVE_EQ_PRIORITY_MASK = 0x7n;
export const KVM_XIVE_EQ_SERVER_SHIFT = 3n;
export const KVM_XIVE_EQ_SERVER_MASK = 0xfffffff8n;

/** sizeof(struct kvm_ppc_xive_eq). */
export const SIZEOF_KVM_PPC_XIVE_EQ = 64;
/** The only queue size KVM accepts (64 KiB = 16384 entries). */
export const XIVE_EQ_QSHIFT = 16;

/** NR_CPUS of a ppc64 pseries host build, and 8 threads per vcore (KVM_MAX_VCPU_IDS). */
export const KVM_MAX_VCPUS = 2048;
export const KVM_MAX_VCPU_IDS = 8 * KVM_MAX_VCPUS;

/** ESB management-page offsets (asm/xive-regs.h). */
export const XIVE_ESB_LOAD_EOI = 0x000;
export const XIVE_ESB_STORE_EOI = 0x400;
export const XIVE_ESB_GET = 0x800;
export const XIVE_ESB_INJECT = 0x800;
export const XIVE_ESB_SET_PQ_00 = 0xc00;
export const XIVE_ESB_SET_PQ_01 = 0xd00;
export const XIVE_ESB_SET_PQ_10 = 0xe00;
export const XIVE_ESB_SET_PQ_11 = 0xf00;
/** Load-after-store ordering bit that may be OR'ed into a load offset. */
export const XIVE_ESB_LD_ST_MO = 0x40;
/** PQ value bits as returned by ESB loads. */
export const XIVE_ESB_VAL_P = 0x2;
export const XIVE_ESB_VAL_Q = 0x1;
/** PQ states. */
export const PQ_RESET = 0b00;
export const PQ_OFF = 0b01;
export const PQ_PENDING = 0b10;
export const PQ_QUEUED = 0b11;

/** TIMA rings and registers (asm/xive-regs.h). */
export const TM_QW0_USER = 0x00;
export const TM_QW1_OS = 0x10;
export const TM_QW2_HV_POOL = 0x20;
export const TM_QW3_HV_PHYS = 0x30;
export const TM_NSR = 0x0;
export const TM_CPPR = 0x1;
export const TM_IPB = 0x2;
export const TM_LSMFB = 0x3;
export const TM_ACK_CNT = 0x4;
export const TM_INC = 0x5;
export const TM_AGE = 0x6;
export const TM_PIPR = 0x7;
export const TM_WORD0 = 0x0;
export const TM_WORD1 = 0x4;
export const TM_WORD2 = 0x8;
export const TM_QW1_NSR_EO = 0x80;
export const TM_QW1W2_VO = 0x80000000;
/** Special operations (offsets within a view page). */
export const TM_SPECIAL_OP = 0x800;
export const TM_SPC_ACK_EBB = 0x800;
export const TM_SPC_ACK_OS_REG = 0x810;
export const TM_SPC_SET_OS_PENDING = 0x812;
export const TM_SPC_PULL_OS_CTX = 0x818;
export const TM_SPC_PULL_POOL_CTX = 0x828;
export const TM_SPC_ACK_HV_REG = 0x830;
export const TM_SPC_ACK_OS_EL = 0xc10;
/** Highest real priority. */
export const XIVE_PRIORITY_MAX = 7;

/** PAPR hcalls of the sPAPR XIVE exploitation interface (QEMU include/hw/ppc/spapr.h). */
export const H_INT_GET_SOURCE_INFO = 0x3a8;
export const H_INT_SET_SOURCE_CONFIG = 0x3ac;
export const H_INT_GET_SOURCE_CONFIG = 0x3b0;
export const H_INT_GET_QUEUE_INFO = 0x3b4;
export const H_INT_SET_QUEUE_CONFIG = 0x3b8;
export const H_INT_GET_QUEUE_CONFIG = 0x3bc;
export const H_INT_SET_OS_REPORTING_LINE = 0x3c0;
export const H_INT_GET_OS_REPORTING_LINE = 0x3c4;
export const H_INT_ESB = 0x3c8;
export const H_INT_SYNC = 0x3cc;
export const H_INT_RESET = 0x3d0;
export const XIVE_HCALLS: readonly number[] = [
  H_INT_GET_SOURCE_INFO,
  H_INT_SET_SOURCE_CONFIG,
  H_INT_GET_SOURCE_CONFIG,
  H_INT_GET_QUEUE_INFO,
  H_INT_SET_QUEUE_CONFIG,
  H_INT_GET_QUEUE_CONFIG,
  H_INT_ESB,
  H_INT_SYNC,
  H_INT_RESET,
];

/** PAPR return codes (the ones XICS also uses come from @irqlab/xics). */
export { H_SUCCESS, H_HARDWARE, H_PARAMETER, KVM_INTERRUPT_SET, KVM_INTERRUPT_UNSET, KVM_INTERRUPT_SET_LEVEL } from "@irqlab/xics";
export const H_FUNCTION = -2;
export const H_P2 = -55;
export const H_P3 = -56;
export const H_P4 = -57;
export const H_P5 = -58;

/** H_INT_GET_SOURCE_INFO flags (PPC_BIT(60..63)). */
export const SPAPR_XIVE_SRC_H_INT_ESB = 8;
export const SPAPR_XIVE_SRC_LSI = 4;
export const SPAPR_XIVE_SRC_TRIGGER = 2;
export const SPAPR_XIVE_SRC_STORE_EOI = 1;
/** H_INT_SET_SOURCE_CONFIG flags. */
export const SPAPR_XIVE_SRC_SET_EISN = 2;
export const SPAPR_XIVE_SRC_MASK = 1;
/** H_INT_SET_QUEUE_CONFIG / GET_QUEUE_CONFIG flags. */
export const SPAPR_XIVE_END_ALWAYS_NOTIFY = 1;
export const SPAPR_XIVE_END_DEBUG = 1;
/** H_INT_ESB flag: store instead of load. */
export const SPAPR_XIVE_ESB_STORE = 1;

/** Guest-physical bases QEMU's pseries machine maps the ESB and TIMA pages at. */
export const SPAPR_XIVE_VC_BASE = 0x0006010000000000;
export const SPAPR_XIVE_TM_BASE = 0x0006030203180000;
/** QEMU reserves LISNs 0..0xFFF for per-CPU IPIs; device interrupts start at 0x1000. */
export const SPAPR_XIVE_IPI_LISNS = 0x1000;
/** Priority QEMU reserves for the hypervisor (spapr_xive_priority_is_reserved). */
export const SPAPR_XIVE_RESERVED_PRIORITY = 7;
/** Priority Linux's guest XIVE driver uses for every interrupt (max allowed = 6). */
export const LINUX_XIVE_PRIORITY = 6;
