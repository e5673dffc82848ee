/**
 * RISC-V AIA numbers: arch/riscv/include/uapi/asm/kvm.h (device attributes),
 * include/linux/irqchip/riscv-aplic.h and riscv-imsic.h (register layout), as digested in
 * shared/spec/riscv-aia.md §1.3.
 */
export { KVM_DEV_TYPE_RISCV_AIA } from "@irqlab/core";

export const KVM_DEV_RISCV_APLIC_ALIGN = 0x1000;
export const KVM_DEV_RISCV_APLIC_SIZE = 0x4000;
export const KVM_DEV_RISCV_APLIC_MAX_HARTS = 0x4000;
export const KVM_DEV_RISCV_IMSIC_ALIGN = 0x1000;
export const KVM_DEV_RISCV_IMSIC_SIZE = 0x1000;

/** Attribute groups. */
export const KVM_DEV_RISCV_AIA_GRP_CONFIG = 0;
export const KVM_DEV_RISCV_AIA_GRP_ADDR = 1;
export const KVM_DEV_RISCV_AIA_GRP_CTRL = 2;
export const KVM_DEV_RISCV_AIA_GRP_APLIC = 3;
export const KVM_DEV_RISCV_AIA_GRP_IMSIC = 4;

/** GRP_CONFIG attributes. */
export const KVM_DEV_RISCV_AIA_CONFIG_MODE = 0;
export const KVM_DEV_RISCV_AIA_CONFIG_IDS = 1;
export const KVM_DEV_RISCV_AIA_CONFIG_SRCS = 2;
export const KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS = 3;
export const KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT = 4;
export const KVM_DEV_RISCV_AIA_CONFIG_HART_BITS = 5;
export const KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS = 6;

/** KVM_DEV_RISCV_AIA_CONFIG_MODE values. */
export const KVM_DEV_RISCV_AIA_MODE_EMUL = 0;
export const KVM_DEV_RISCV_AIA_MODE_HWACCEL = 1;
export const KVM_DEV_RISCV_AIA_MODE_AUTO = 2;

export const KVM_DEV_RISCV_AIA_IDS_MIN = 63;
export const KVM_DEV_RISCV_AIA_IDS_MAX = 2048;
export const KVM_DEV_RISCV_AIA_SRCS_MAX = 1024;
export const KVM_DEV_RISCV_AIA_GROUP_BITS_MAX = 8;
export const KVM_DEV_RISCV_AIA_GROUP_SHIFT_MIN = 24;
export const KVM_DEV_RISCV_AIA_GROUP_SHIFT_MAX = 56;
export const KVM_DEV_RISCV_AIA_HART_BITS_MAX = 16;
export const KVM_DEV_RISCV_AIA_GUEST_BITS_MAX = 8;

/** GRP_ADDR attributes: APLIC, then one IMSIC per vCPU index. */
export const KVM_DEV_RISCV_AIA_ADDR_APLIC = 0;
export const KVM_DEV_RISCV_AIA_ADDR_IMSIC = (vcpuIndex: number): number => 1 + vcpuIndex;
export const KVM_DEV_RISCV_AIA_ADDR_MAX = 1 + KVM_DEV_RISCV_APLIC_MAX_HARTS;

/** GRP_CTRL attributes. */
export const KVM_DEV_RISCV_AIA_CTRL_INIT = 0;

/** GRP_IMSIC attribute: (vCPU id << 12) | iselect. */
export const KVM_DEV_RISCV_AIA_IMSIC_ISEL_BITS = 12;
export const KVM_DEV_RISCV_AIA_IMSIC_ISEL_MASK = 0xfff;
export function KVM_DEV_RISCV_AIA_IMSIC_MKATTR(vcpuId: number, isel: number): number {
  return vcpuId * 0x1000 + (isel & KVM_DEV_RISCV_AIA_IMSIC_ISEL_MASK);
}

/** riscv KVM_NR_IRQCHIPS / KVM_IRQCHIP_NUM_PINS. */
export const AIA_NR_IRQCHIPS = 1;
export const AIA_IRQCHIP_NUM_PINS = 1024;

/** "No address yet" (KVM_RISCV_AIA_UNDEF_ADDR = -1). */
export const KVM_RISCV_AIA_UNDEF_ADDR = 0xffffffffffffffffn;

/** KVM_EXIT_FAIL_ENTRY reason when HWACCEL finds no free VS-file. */
export const KVM_EXIT_FAIL_ENTRY_NO_VSFILE = 1;

// ---------------------------------------------------------------- IMSIC

/** Indirect register numbers (iselect). */
export const IMSIC_EIDELIVERY = 0x70;
export const IMSIC_EITHRESHOLD = 0x72;
export const IMSIC_EIP0 = 0x80;
export const IMSIC_EIP63 = 0xbf;
export const IMSIC_EIE0 = 0xc0;
export const IMSIC_EIE63 = 0xff;
/** KVM's internal pseudo-iselect for vstopei (ISELECT_MASK + 1): not an attribute. */
export const IMSIC_PSEUDO_TOPEI = 0x200;
/** Identities per emulated file image (IMSIC_MAX_ID). */
export const IMSIC_MAX_ID = 2048;
/** IMSIC page offsets of the doorbells. */
export const IMSIC_MMIO_SETIPNUM_LE = 0x000;
export const IMSIC_MMIO_SETIPNUM_BE = 0x004;
export const TOPEI_ID_SHIFT = 16;
export const IMSIC_EITHRESHOLD_MASK = 0x7ff;

/** Major interrupt numbers and the bit of VSEIP as the `sip` ONE_REG shows it. */
export const IRQ_S_EXT = 9;
export const IRQ_VS_EXT = 10;
export const SIP_SEIP = 1 << IRQ_S_EXT;

// ---------------------------------------------------------------- APLIC

export const APLIC_DOMAINCFG = 0x0000;
export const APLIC_DOMAINCFG_RDONLY = 0x80000000;
export const APLIC_DOMAINCFG_IE = 1 << 8;
export const APLIC_DOMAINCFG_DM = 1 << 2;
export const APLIC_DOMAINCFG_BE = 1 << 0;
export const APLIC_SOURCECFG_BASE = 0x0004;
export const APLIC_SOURCECFG_D = 1 << 10;
export const APLIC_SOURCECFG_SM_MASK = 0x7;
export const APLIC_SM_INACTIVE = 0;
export const APLIC_SM_DETACHED = 1;
export const APLIC_SM_EDGE_RISE = 4;
export const APLIC_SM_EDGE_FALL = 5;
export const APLIC_SM_LEVEL_HIGH = 6;
export const APLIC_SM_LEVEL_LOW = 7;
export const APLIC_MMSICFGADDR = 0x1bc0;
export const APLIC_MMSICFGADDRH = 0x1bc4;
export const APLIC_SMSICFGADDR = 0x1bc8;
export const APLIC_SMSICFGADDRH = 0x1bcc;
export const APLIC_SETIP_BASE = 0x1c00;
export const APLIC_SETIPNUM = 0x1cdc;
export const APLIC_CLRIP_BASE = 0x1d00;
export const APLIC_CLRIPNUM = 0x1ddc;
export const APLIC_SETIE_BASE = 0x1e00;
export const APLIC_SETIENUM = 0x1edc;
export const APLIC_CLRIE_BASE = 0x1f00;
export const APLIC_CLRIENUM = 0x1fdc;
export const APLIC_SETIPNUM_LE = 0x2000;
export const APLIC_SETIPNUM_BE = 0x2004;
export const APLIC_GENMSI = 0x3000;
export const APLIC_TARGET_BASE = 0x3004;
export const APLIC_TARGET_HART_IDX_SHIFT = 18;
export const APLIC_TARGET_HART_IDX_MASK = 0x3fff;
export const APLIC_TARGET_GUEST_IDX_SHIFT = 12;
export const APLIC_TARGET_GUEST_IDX_MASK = 0x3f;
export const APLIC_TARGET_EIID_MASK = 0x7ff;
/** target: bit 11 is never stored. */
export const APLIC_TARGET_WRITE_MASK = 0xfffff7ff;
/** genmsi: bits 17:12 (guest index field, incl. Busy) are cleared on write. */
export const APLIC_GENMSI_WRITE_MASK = ~0x3f000 >>> 0;

// ---------------------------------------------------------------- CSRs (guest side)

/** Supervisor CSR numbers the guest's IMSIC driver uses (VS-mode sees its vs* twins). */
export const CSR_SISELECT = 0x150;
export const CSR_SIREG = 0x151;
export const CSR_STOPEI = 0x15c;
/**
 * `csrrw rd, stopei, rs` — one instruction that reads topei and claims it (Linux's
 * csr_swap(CSR_TOPEI, 0)). The sysreg table has no read-modify-write access, so the swap
 * is registered under its own id: CSR number | AIA_CSR_SWAP.
 */
export const AIA_CSR_SWAP = 0x10000;
/**
 * `csrrs` / `csrrc` (set / clear bits, Linux's csr_set / csr_clear): a write under
 * CSR number | AIA_CSR_SET (| AIA_CSR_CLEAR) ORs (clears) the written bits. The sysreg table
 * carries values as numbers (53 bits), so a 64-bit eip/eie word cannot be read-modified-written
 * through a plain read; these ids do the read-modify-write inside, as the instruction does.
 */
export const AIA_CSR_SET = 0x20000;
export const AIA_CSR_CLEAR = 0x30000;

// ---------------------------------------------------------------- ONE_REG

/** KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CSR (3 << 24). */
export const KVM_REG_RISCV = 0x8000000000000000n;
export const KVM_REG_RISCV_CSR = 0x03000000n;
export const KVM_REG_RISCV_CSR_GENERAL = 0x00000000n;
export const KVM_REG_RISCV_CSR_AIA = 0x00010000n;
export const KVM_REG_SIZE_U64_RV = 0x0030000000000000n;
export function KVM_REG_RISCV_CSR_AIA_REG(index: number): bigint {
  return KVM_REG_RISCV | KVM_REG_SIZE_U64_RV | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_AIA | BigInt(index);
}
export function KVM_REG_RISCV_CSR_GENERAL_REG(index: number): bigint {
  return KVM_REG_RISCV | KVM_REG_SIZE_U64_RV | KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_GENERAL | BigInt(index);
}
/** struct kvm_riscv_aia_csr: siselect, iprio1, iprio2, sieh, siph, iprio1h, iprio2h. */
export const AIA_CSR_NAMES = ["siselect", "iprio1", "iprio2", "sieh", "siph", "iprio1h", "iprio2h"] as const;
/** struct kvm_riscv_csr index of sip. */
export const KVM_RISCV_CSR_SIP_INDEX = 7;

