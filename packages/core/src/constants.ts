/** Numbers from include/uapi/linux/kvm.h used across irqlab. */

/** enum kvm_device_type */
export const KVM_DEV_TYPE_FSL_MPIC_20 = 1;
export const KVM_DEV_TYPE_FSL_MPIC_42 = 2;
export const KVM_DEV_TYPE_XICS = 3;
export const KVM_DEV_TYPE_VFIO = 4;
export const KVM_DEV_TYPE_ARM_VGIC_V2 = 5;
export const KVM_DEV_TYPE_FLIC = 6;
export const KVM_DEV_TYPE_ARM_VGIC_V3 = 7;
export const KVM_DEV_TYPE_ARM_VGIC_ITS = 8;
export const KVM_DEV_TYPE_XIVE = 9;
export const KVM_DEV_TYPE_ARM_PV_TIME = 10;
export const KVM_DEV_TYPE_RISCV_AIA = 11;
export const KVM_DEV_TYPE_LOONGARCH_IPI = 12;
export const KVM_DEV_TYPE_LOONGARCH_EIOINTC = 13;
export const KVM_DEV_TYPE_LOONGARCH_PCHPIC = 14;
/** One past the last type (kernels with the three LoongArch types). */
export const KVM_DEV_TYPE_MAX = 15;

export const KVM_CREATE_DEVICE_TEST = 1;

/** Capabilities (KVM_CHECK_EXTENSION / KVM_ENABLE_CAP). */
export const KVM_CAP_IRQCHIP = 0;
export const KVM_CAP_IRQ_ROUTING = 25;
export const KVM_CAP_IRQ_INJECT_STATUS = 26;
export const KVM_CAP_IRQFD = 32;
export const KVM_CAP_IOEVENTFD = 36;
export const KVM_CAP_SIGNAL_MSI = 77;
export const KVM_CAP_IRQFD_RESAMPLE = 82;
export const KVM_CAP_DEVICE_CTRL = 89;
export const KVM_CAP_IRQ_MPIC = 90;
export const KVM_CAP_IRQ_XICS = 92;
export const KVM_CAP_VM_ATTRIBUTES = 101;
export const KVM_CAP_VCPU_ATTRIBUTES = 127;
export const KVM_CAP_PPC_IRQ_XIVE = 169;
export const KVM_CAP_SYS_ATTRIBUTES = 209;

/** Generic ioctl numbers on a device fd (asm-generic encoding; PowerPC values differ for _IOW). */
export const KVM_CREATE_DEVICE = 0xc00caee0;
export const KVM_SET_DEVICE_ATTR = 0x4018aee1;
export const KVM_GET_DEVICE_ATTR = 0x4018aee2;
export const KVM_HAS_DEVICE_ATTR = 0x4018aee3;
export const KVM_SET_DEVICE_ATTR_PPC = 0x8018aee1;
export const KVM_GET_DEVICE_ATTR_PPC = 0x8018aee2;
export const KVM_HAS_DEVICE_ATTR_PPC = 0x8018aee3;

/** UAPI struct sizes. */
export const SIZEOF_KVM_CREATE_DEVICE = 12;
export const SIZEOF_KVM_DEVICE_ATTR = 24;
export const SIZEOF_KVM_ENABLE_CAP = 104;
export const SIZEOF_KVM_ONE_REG = 16;

/** ONE_REG id encoding (KVM_REG_*). */
export const KVM_REG_PPC = 0x1000000000000000n;
export const KVM_REG_S390 = 0x5000000000000000n;
export const KVM_REG_SIZE_SHIFT = 52n;
export const KVM_REG_SIZE_MASK = 0x00f0000000000000n;
export const KVM_REG_SIZE_U32 = 0x0020000000000000n;
export const KVM_REG_SIZE_U64 = 0x0030000000000000n;
export const KVM_REG_SIZE_U128 = 0x0040000000000000n;

/** Bytes a ONE_REG id transfers: 1 << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT). */
export function oneRegSize(id: bigint): number {
  return 1 << Number((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

/**
 * Architectures irqlab models. ppc64 = book3s (XICS/XIVE), ppc-booke = e500 (MPIC), s390x
 * (FLIC), x86_64, arm64, riscv64. Core knows no controller of any of them: what a VM of an
 * architecture can do comes from the plugins loaded into it.
 */
export type Arch = "ppc64" | "ppc-booke" | "s390x" | "x86_64" | "arm64" | "riscv64";
export const ARCHES: readonly Arch[] = ["ppc64", "ppc-booke", "s390x", "x86_64", "arm64", "riscv64"];

/** Byte order of UAPI payloads: the host's. s390 is big-endian, the others little-endian here. */
export type Endian = "le" | "be";
export function defaultEndian(arch: Arch): Endian {
  return arch === "s390x" ? "be" : "le";
}
