/**
 * Numbers from include/uapi/linux/kvm.h, include/linux/kvm_host.h and include/uapi/linux/eventfd.h
 * that routing, irqfd and ioeventfd use (routing-irqfd.md §1, §1.1, §2, §10).
 */

/** KVM_MAX_IRQ_ROUTES: most entries per KVM_SET_GSI_ROUTING and bound on every GSI in it. */
export const KVM_MAX_IRQ_ROUTES = 4096;

export const KVM_IRQFD_FLAG_DEASSIGN = 1;
export const KVM_IRQFD_FLAG_RESAMPLE = 2;
/** Every flag KVM_IRQFD knows; other bits are EINVAL. */
export const KVM_IRQFD_VALID_FLAGS = KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE;

export const KVM_IOEVENTFD_FLAG_DATAMATCH = 1;
export const KVM_IOEVENTFD_FLAG_PIO = 2;
export const KVM_IOEVENTFD_FLAG_DEASSIGN = 4;
export const KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY = 8;
/** KVM_IOEVENTFD_VALID_FLAG_MASK (bit 4 is the kernel-internal fast-MMIO index). */
export const KVM_IOEVENTFD_VALID_FLAG_MASK = 0x1f;

/** Capabilities routing answers (KVM_CHECK_EXTENSION); the others are in @irqlab/core. */
export const KVM_CAP_IOEVENTFD_ANY_LENGTH = 122;
export const KVM_CAP_MSI_DEVID = 131;

/** UAPI struct sizes (bytes). */
export const SIZEOF_KVM_IRQ_ROUTING = 8;
export const SIZEOF_KVM_IRQ_ROUTING_ENTRY = 48;
export const SIZEOF_KVM_IRQ_LEVEL = 8;
export const SIZEOF_KVM_MSI = 32;
export const SIZEOF_KVM_IRQFD = 32;
export const SIZEOF_KVM_IOEVENTFD = 64;

/** VM ioctl numbers, asm-generic encoding (x86, arm64, s390 ...). */
export const KVM_IRQ_LINE = 0x4008ae61;
export const KVM_IRQ_LINE_STATUS = 0xc008ae67;
export const KVM_SET_GSI_ROUTING = 0x4008ae6a;
export const KVM_IRQFD = 0x4020ae76;
export const KVM_IOEVENTFD = 0x4040ae79;
export const KVM_SIGNAL_MSI = 0x4020aea5;
/** The same ioctls in PowerPC's encoding (_IOW has the write bit at 31). _IOWR is unchanged. */
export const KVM_IRQ_LINE_PPC = 0x8008ae61;
export const KVM_IRQ_LINE_STATUS_PPC = 0xc008ae67;
export const KVM_SET_GSI_ROUTING_PPC = 0x8008ae6a;
export const KVM_IRQFD_PPC = 0x8020ae76;
export const KVM_IOEVENTFD_PPC = 0x8040ae79;
export const KVM_SIGNAL_MSI_PPC = 0x8020aea5;

/** eventfd2(2) flags. */
export const EFD_SEMAPHORE = 1;
export const EFD_NONBLOCK = 0o4000;
export const EFD_CLOEXEC = 0o2000000;
/** The largest value an eventfd counter holds (ULLONG_MAX - 1). */
export const EVENTFD_MAX = 0xfffffffffffffffen;

/** XICS/XIVE source numbers are 20 bits (KVMPPC_XICS_MAX_IRQ ... 1 << 20): book3s pin bound. */
export const PPC64_MAX_PINS = 1 << 20;
/** KVM_IRQCHIP_NUM_PINS of the FSL MPIC (ppc-booke). */
export const MPIC_NUM_PINS = 256;
