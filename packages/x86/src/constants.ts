/** x86 KVM UAPI numbers and hardware constants (spec: shared/spec/x86-irqchip.md §1). */

// VM ioctls (asm-generic encoding).
export const KVM_CREATE_IRQCHIP = 0x0000ae60;
export const KVM_GET_IRQCHIP = 0xc208ae62;
export const KVM_SET_IRQCHIP = 0x8208ae63;
// vCPU ioctls.
export const KVM_GET_LAPIC = 0x8400ae8e;
export const KVM_SET_LAPIC = 0x4400ae8f;
export const KVM_INTERRUPT = 0x4004ae86;

export const SIZEOF_KVM_IRQCHIP = 520;
export const SIZEOF_KVM_PIC_STATE = 16;
export const SIZEOF_KVM_IOAPIC_STATE = 216;
export const KVM_APIC_REG_SIZE = 0x400;
export const SIZEOF_KVM_INTERRUPT = 4;

export const KVM_IRQCHIP_PIC_MASTER = 0;
export const KVM_IRQCHIP_PIC_SLAVE = 1;
export const KVM_IRQCHIP_IOAPIC = 2;
export const KVM_NR_IRQCHIPS = 3;
export const KVM_IOAPIC_NUM_PINS = 24;
/** irqlab's index for the LAPIC message bus (MSI routes); never a valid IRQCHIP route number. */
export const APIC_BUS_IRQCHIP_INDEX = 3;

export const KVM_CAP_IRQCHIP = 0;
export const KVM_CAP_IOAPIC_POLARITY_IGNORED = 97;
export const KVM_CAP_SPLIT_IRQCHIP = 121;
export const KVM_CAP_X2APIC_API = 129;

export const KVM_X2APIC_API_USE_32BIT_IDS = 1;
export const KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK = 2;
export const KVM_X2APIC_ENABLE_SUPPRESS_EOI_BROADCAST = 4;
export const KVM_X2APIC_DISABLE_SUPPRESS_EOI_BROADCAST = 8;
export const KVM_X2APIC_API_VALID_FLAGS = 0xf;

export const KVM_MAX_IRQ_ROUTES = 4096;
export const KVM_EXIT_IOAPIC_EOI = 26;

export const IOAPIC_DEFAULT_BASE = 0xfec00000;
export const IOAPIC_MEM_LENGTH = 0x100;
export const IOAPIC_VERSION = 0x00170011;
export const IOAPIC_RTC_PIN = 8;
export const IOAPIC_SUCCESSIVE_EOI_LIMIT = 10000;
/** Deferred re-service after an EOI storm: 10 ms in SimClock nanoseconds. */
export const IOAPIC_EOI_STORM_DELAY_NS = 10_000_000;

export const LAPIC_DEFAULT_BASE = 0xfee00000;
export const LAPIC_MMIO_LENGTH = 0x1000;
export const MSR_APIC_BASE_ENABLE = 0x800;
export const MSR_APIC_BASE_BSP = 0x100;
export const MSR_APIC_BASE_X2APIC = 0x400;

// APIC message delivery modes (field value, i.e. bits 10:8 >> 8).
export const APIC_DM_FIXED = 0;
export const APIC_DM_LOWEST = 1;
export const APIC_DM_SMI = 2;
export const APIC_DM_REMRD = 3;
export const APIC_DM_NMI = 4;
export const APIC_DM_INIT = 5;
export const APIC_DM_STARTUP = 6;
export const APIC_DM_EXTINT = 7;

// LAPIC register offsets.
export const APIC_ID = 0x20;
export const APIC_LVR = 0x30;
export const APIC_TASKPRI = 0x80;
export const APIC_ARBPRI = 0x90;
export const APIC_PROCPRI = 0xa0;
export const APIC_EOI = 0xb0;
export const APIC_LDR = 0xd0;
export const APIC_DFR = 0xe0;
export const APIC_SPIV = 0xf0;
export const APIC_ISR = 0x100;
export const APIC_TMR = 0x180;
export const APIC_IRR = 0x200;
export const APIC_ESR = 0x280;
export const APIC_LVTCMCI = 0x2f0;
export const APIC_ICR = 0x300;
export const APIC_ICR2 = 0x310;
export const APIC_LVTT = 0x320;
export const APIC_LVTTHMR = 0x330;
export const APIC_LVTPC = 0x340;
export const APIC_LVT0 = 0x350;
export const APIC_LVT1 = 0x360;
export const APIC_LVTERR = 0x370;
export const APIC_TMICT = 0x380;
export const APIC_TMCCT = 0x390;
export const APIC_TDCR = 0x3e0;

export const APIC_SPIV_APIC_ENABLED = 0x100;
export const APIC_SPIV_DIRECTED_EOI = 0x1000;
export const APIC_LVT_MASKED = 0x10000;
export const APIC_LVR_DIRECTED_EOI = 1 << 24;
/** LVR value KVM computes: version 0x14, nr_lvt 6 -> max LVT 5 (bits 23:16). */
export const LAPIC_VERSION = 0x14 | ((6 - 1) << 16);
export const APIC_DFR_FLAT = 0xffffffff;
export const APIC_DFR_CLUSTER = 0x0fffffff;

/** Writable bits of each LVT (apic_lvt_mask[] in lapic.c). */
const LVT_MASK = 0x10000 | 0x1000 | 0xff;
const LINT_MASK = LVT_MASK | 0x700 | 0x2000 | 0x4000 | 0x8000;
export const LVT_WRITE_MASK: Readonly<Record<number, number>> = {
  [APIC_LVTT]: LVT_MASK | 0x60000,
  [APIC_LVTTHMR]: LVT_MASK | 0x700,
  [APIC_LVTPC]: LVT_MASK | 0x700,
  [APIC_LVT0]: LINT_MASK,
  [APIC_LVT1]: LINT_MASK,
  [APIC_LVTERR]: LVT_MASK,
};
export const LVT_OFFSETS: readonly number[] = [APIC_LVTT, APIC_LVTTHMR, APIC_LVTPC, APIC_LVT0, APIC_LVT1, APIC_LVTERR];

/** irq source ids (x86 fixed ids since the 2025 clean-up). */
export const KVM_PIT_IRQ_SOURCE_ID = 2;

/** PIC ports. */
export const PIC_MASTER_PORT = 0x20;
export const PIC_SLAVE_PORT = 0xa0;
export const PIC_ELCR_PORT = 0x4d0;
export const PIC_MASTER_ELCR_MASK = 0xf8;
export const PIC_SLAVE_ELCR_MASK = 0xde;

export type IrqchipMode = "none" | "kernel" | "split";
