/**
 * Numbers of KVM's XICS (arch/powerpc/kvm/book3s_xics.h, asm/xics.h, asm/hvcall.h,
 * uapi asm/kvm.h). Values are the kernel's; names are the kernel's with the `KVMPPC_` /
 * `KVM_` prefixes kept where the kernel has them.
 */
import { KVM_REG_PPC, KVM_REG_SIZE_U64 } from "@irqlab/core";

/** log2 of the sources per ICS block. */
export const KVMPPC_XICS_ICS_SHIFT = 10;
/** Sources per ICS block. */
export const KVMPPC_XICS_IRQ_PER_ICS = 1 << KVMPPC_XICS_ICS_SHIFT;
/** Index of a source within its block. */
export const KVMPPC_XICS_SRC_MASK = KVMPPC_XICS_IRQ_PER_ICS - 1;
/** Highest ICS block id (1024 blocks). */
export const KVMPPC_XICS_MAX_ICS_ID = 1023;
/** Size of the source-number space (2^20). */
export const KVMPPC_XICS_NR_IRQS = (KVMPPC_XICS_MAX_ICS_ID + 1) * KVMPPC_XICS_IRQ_PER_ICS;
/** Source numbers below this are reserved and cannot be created. */
export const KVMPPC_XICS_FIRST_IRQ = 16;

/** XISR value of the inter-processor interrupt. */
export const XICS_IPI = 2;
/** XISR 0: nothing pending. */
export const XICS_IRQ_SPURIOUS = 0;
/** Priority meaning masked / least favoured / nothing pending. */
export const MASKED = 0xff;

/** Kernel-internal P/Q encoding of a source (reverse of XIVE's ESB encoding). */
export const PQ_PRESENTED = 1;
export const PQ_QUEUED = 2;

/** Linux guest priorities (arch/powerpc/include/asm/xics.h). */
export const DEFAULT_PRIORITY = 5;
export const IPI_PRIORITY = 4;
export const LOWEST_PRIORITY = 0xff;

/** KVM_CAP_PPC_RTAS: in-kernel RTAS (KVM_PPC_RTAS_DEFINE_TOKEN). */
export const KVM_CAP_PPC_RTAS = 91;

/** level values of kvm_set_irq / KVM_IRQ_LINE (as u32). */
export const KVM_INTERRUPT_SET = 0xffffffff; // -1U
export const KVM_INTERRUPT_UNSET = 0xfffffffe; // -2U
export const KVM_INTERRUPT_SET_LEVEL = 0xfffffffd; // -3U

/** Device attribute groups (uapi asm/kvm.h). */
export const KVM_DEV_XICS_GRP_SOURCES = 1;
export const KVM_DEV_XICS_GRP_CTRL = 2;
export const KVM_DEV_XICS_NR_SERVERS = 1;

/** The 64-bit source word of KVM_DEV_XICS_GRP_SOURCES. */
export const KVM_XICS_DESTINATION_SHIFT = 0n;
export const KVM_XICS_DESTINATION_MASK = 0xffffffffn;
export const KVM_XICS_PRIORITY_SHIFT = 32n;
export const KVM_XICS_PRIORITY_MASK = 0xffn;
export const KVM_XICS_LEVEL_SENSITIVE = 1n << 40n;
export const KVM_XICS_MASKED = 1n << 41n;
export const KVM_XICS_PENDING = 1n << 42n;
export const KVM_XICS_PRESENTED = 1n << 43n;
export const KVM_XICS_QUEUED = 1n << 44n;

/** ONE_REG KVM_REG_PPC_ICP_STATE and its fields. */
export const KVM_REG_PPC_ICP_STATE = KVM_REG_PPC | KVM_REG_SIZE_U64 | 0x8cn;
export const KVM_REG_PPC_ICP_CPPR_SHIFT = 56n;
export const KVM_REG_PPC_ICP_CPPR_MASK = 0xffn;
export const KVM_REG_PPC_ICP_XISR_SHIFT = 32n;
export const KVM_REG_PPC_ICP_XISR_MASK = 0xffffffn;
export const KVM_REG_PPC_ICP_MFRR_SHIFT = 24n;
export const KVM_REG_PPC_ICP_MFRR_MASK = 0xffn;
export const KVM_REG_PPC_ICP_PPRI_SHIFT = 16n;
export const KVM_REG_PPC_ICP_PPRI_MASK = 0xffn;

/** PAPR hypercall opcodes (asm/hvcall.h). */
export const H_EOI = 0x64;
export const H_CPPR = 0x68;
export const H_IPI = 0x6c;
export const H_IPOLL = 0x70;
export const H_XIRR = 0x74;
export const H_XIRR_X = 0x2fc;
export const H_RTAS = 0xf000;
/** The six XICS hypercalls. */
export const XICS_HCALLS: readonly number[] = [H_EOI, H_CPPR, H_IPI, H_IPOLL, H_XIRR, H_XIRR_X];

/** PAPR hypercall return codes used by XICS. */
export const H_SUCCESS = 0;
export const H_HARDWARE = -1;
export const H_PARAMETER = -4;

/** RTAS status words. KVM produces only these two for the XICS calls. */
export const RTAS_SUCCESS = 0;
export const RTAS_PARAMETER_ERROR = -3;

/** RTAS calls KVM implements in the kernel (book3s_rtas.c rtas_handlers[]). */
export const RTAS_IBM_SET_XIVE = "ibm,set-xive";
export const RTAS_IBM_GET_XIVE = "ibm,get-xive";
export const RTAS_IBM_INT_OFF = "ibm,int-off";
export const RTAS_IBM_INT_ON = "ibm,int-on";
export const XICS_RTAS_CALLS: readonly string[] = [RTAS_IBM_SET_XIVE, RTAS_IBM_GET_XIVE, RTAS_IBM_INT_OFF, RTAS_IBM_INT_ON];

/** POWER timebase frequency (512 MHz): H_XIRR_X reports the timebase from the simulated clock. */
export const TIMEBASE_HZ = 512_000_000;

/** First source number the guest driver uses (QEMU sPAPR's XICS offset). */
export const GUEST_IRQ_BASE = 0x1000;
