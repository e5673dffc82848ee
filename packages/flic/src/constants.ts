/**
 * Numbers of the s390 FLIC UAPI (arch/s390/include/uapi/asm/kvm.h, include/uapi/linux/kvm.h)
 * and of the kernel's floating-interrupt model (arch/s390/include/asm/kvm_host.h).
 */

/** Attribute groups of KVM_DEV_TYPE_FLIC. */
export const KVM_DEV_FLIC_GET_ALL_IRQS = 1;
export const KVM_DEV_FLIC_ENQUEUE = 2;
export const KVM_DEV_FLIC_CLEAR_IRQS = 3;
export const KVM_DEV_FLIC_APF_ENABLE = 4;
export const KVM_DEV_FLIC_APF_DISABLE_WAIT = 5;
export const KVM_DEV_FLIC_ADAPTER_REGISTER = 6;
export const KVM_DEV_FLIC_ADAPTER_MODIFY = 7;
export const KVM_DEV_FLIC_CLEAR_IO_IRQ = 8;
export const KVM_DEV_FLIC_AISM = 9;
export const KVM_DEV_FLIC_AIRQ_INJECT = 10;
export const KVM_DEV_FLIC_AISM_ALL = 11;

/** Interrupt type codes (kvm_s390_irq.type / kvm_s390_interrupt.type). */
export const KVM_S390_SIGP_STOP = 0xfffe0000;
export const KVM_S390_PROGRAM_INT = 0xfffe0001;
export const KVM_S390_SIGP_SET_PREFIX = 0xfffe0002;
export const KVM_S390_RESTART = 0xfffe0003;
export const KVM_S390_INT_PFAULT_INIT = 0xfffe0004;
export const KVM_S390_INT_PFAULT_DONE = 0xfffe0005;
export const KVM_S390_MCHK = 0xfffe1000;
export const KVM_S390_INT_CLOCK_COMP = 0xffff1004;
export const KVM_S390_INT_CPU_TIMER = 0xffff1005;
export const KVM_S390_INT_VIRTIO = 0xffff2603;
export const KVM_S390_INT_SERVICE = 0xffff2401;
export const KVM_S390_INT_EMERGENCY = 0xffff1201;
export const KVM_S390_INT_EXTERNAL_CALL = 0xffff1202;
export const KVM_S390_INT_IO_MIN = 0x00000000;
export const KVM_S390_INT_IO_MAX = 0xfffdffff;
export const KVM_S390_INT_IO_AI_MASK = 0x04000000;

/** KVM_S390_INT_IO(ai, cssid, ssid, schid). */
export function KVM_S390_INT_IO(ai: number, cssid: number, ssid: number, schid: number): number {
  return ((schid & 0xffff) | ((ssid & 3) << 16) | ((cssid & 0xff) << 18) | ((ai & 1) << 26)) >>> 0;
}

/** Program-interrupt flags (kvm_s390_pgm_info.flags). */
export const KVM_S390_PGM_FLAGS_ILC_VALID = 0x01;
export const KVM_S390_PGM_FLAGS_ILC_0 = 0x02;
export const KVM_S390_PGM_FLAGS_ILC_1 = 0x04;
export const KVM_S390_PGM_FLAGS_ILC_MASK = 0x06;
export const KVM_S390_PGM_FLAGS_NO_REWIND = 0x08;
export const KVM_S390_STOP_FLAG_STORE_STATUS = 0x01;

/** Adapters. */
export const KVM_S390_ADAPTER_SUPPRESSIBLE = 0x01;
export const KVM_S390_IO_ADAPTER_MASK = 1;
export const KVM_S390_IO_ADAPTER_MAP = 2;
export const KVM_S390_IO_ADAPTER_UNMAP = 3;

/** AIS modes (kernel-internal header constants). */
export const KVM_S390_AIS_MODE_ALL = 0;
export const KVM_S390_AIS_MODE_SINGLE = 1;

/** Capabilities. */
export const KVM_CAP_S390_AIS = 141;
export const KVM_CAP_S390_AIS_MIGRATION = 150;

/** Struct sizes. */
export const SIZEOF_KVM_S390_IRQ = 72;
export const SIZEOF_KVM_S390_IO_ADAPTER = 8;
export const SIZEOF_KVM_S390_IO_ADAPTER_REQ = 16;
export const SIZEOF_KVM_S390_AIS_REQ = 4;
export const SIZEOF_KVM_S390_AIS_ALL = 2;
export const SIZEOF_KVM_S390_INTERRUPT = 16;
/** Offset of the union `u` inside struct kvm_s390_irq, and the payload sizes copied. */
export const S390_IRQ_U_OFFSET = 8;
export const SIZEOF_KVM_S390_IO_INFO = 12;
export const SIZEOF_KVM_S390_EXT_INFO = 16;
export const SIZEOF_KVM_S390_MCHK_INFO = 48;

/** Limits. */
export const KVM_S390_MAX_FLOAT_IRQS = 266250;
export const KVM_S390_MAX_VIRTIO_IRQS = 87381;
export const ASYNC_PF_PER_VCPU = 64;
export const KVM_MAX_VCPUS_S390 = 255;
export const KVM_S390_MAX_PFAULT_IRQS = ASYNC_PF_PER_VCPU * KVM_MAX_VCPUS_S390;
export const KVM_S390_FLIC_MAX_BUFFER = 0x2000000;
export const MAX_ISC = 7;
export const MAX_S390_IO_ADAPTERS = (MAX_ISC + 1) * 8;
export const MAX_S390_ADAPTER_MAPS = 256;
/** s390 routing dimensions. */
export const KVM_NR_IRQCHIPS_S390 = 1;
export const KVM_IRQCHIP_NUM_PINS_S390 = 1;

/** External-interruption codes and CPU-address field values written at delivery. */
export const EXT_IRQ_EMERGENCY_SIG = 0x1201;
export const EXT_IRQ_SERVICE_SIG = 0x2401;
export const EXT_IRQ_CP_SERVICE = 0x2603;
export const PFAULT_INIT = 0x0600;
export const PFAULT_DONE = 0x0680;
export const VIRTIO_PARAM = 0x0d00;

/** Service-signal parameter parts. */
export const SCCB_MASK = 0xfffffff8;
export const SCCB_EVENT_PENDING = 0x3;

/** Control-register bits (low 32 bits of the 64-bit registers; arch/s390/include/asm/ctlreg.h). */
export const CR0_EMERGENCY_SIGNAL_SUBMASK = 1 << (63 - 49);
export const CR0_EXTERNAL_CALL_SUBMASK = 1 << (63 - 50);
export const CR0_CLOCK_COMPARATOR_SUBMASK = 1 << (63 - 52);
export const CR0_CPU_TIMER_SUBMASK = 1 << (63 - 53);
export const CR0_SERVICE_SIGNAL_SUBMASK = 1 << (63 - 54);
/** CR14 channel-report-pending subclass (the only bit a floating machine check keeps). */
export const CR14_CHANNEL_REPORT_SUBMASK = 1 << (63 - 35);
export const CR_PENDING_SUBCLASS = 28;

/** CR6 bit enabling I/O interruption subclass `isc` ((0x80 >> isc) << 24). */
export function iscToIscBits(isc: number): number {
  return ((0x80 >>> isc) << 24) >>> 0;
}

/** Canonical interruption word of ISC `isc` (isc truncated to u8, the result to u32). */
export function iscToIntWord(isc: number): number {
  return (((isc & 0xff) << 27) | 0x80000000) >>> 0;
}

/** ISC field of an I/O interruption word. */
export function intWordToIsc(word: number): number {
  return (word & 0x38000000) >>> 27;
}

/** AIS mask bit of an ISC in simm/nimm (0 for isc > 7: such an adapter is never suppressed). */
export function aisModeMask(isc: number): number {
  return isc >= 0 && isc <= MAX_ISC ? 0x80 >> isc : 0;
}
