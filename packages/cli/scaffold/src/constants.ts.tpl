/**
 * toy8's numbers: the device type, the attribute groups and their word layouts, the register
 * map the guest sees, and the per-vCPU ONE_REG id. One place, used by the model, the device,
 * the guest driver and the tests.
 */
import { KVM_REG_SIZE_U64, type Endian, encodeU64, decodeU64 } from "@irqlab/core";

/**
 * The KVM_CREATE_DEVICE type. Any number below KVM_DEV_TYPE_MAX that no other plugin of this
 * architecture claims (a real controller uses its enum kvm_device_type value).
 */
export const KVM_DEV_TYPE_TOY8 = __DEVICE_TYPE__;

/** Number of input pins (IrqChip.pins). */
export const TOY8_PINS = 8;
/** What ACK reads for an inter-processor interrupt, and what EOI takes back for it. */
export const TOY8_IPI = 8;
/** What ACK reads when nothing is presentable (a spurious entry). */
export const TOY8_SPURIOUS = 0xff;

/** Attribute group 1: the guest-physical base address of the register block (attr 0, u64). */
export const KVM_DEV_TOY8_GRP_ADDR = 1;
/** Attribute group 2: one source word per pin (attr = pin), for configuration and save/restore. */
export const KVM_DEV_TOY8_GRP_SOURCE = 2;

/** Source word (group 2) and SRC_CFG register bits. */
export const TOY8_SRC_ENABLE = 1 << 0;
export const TOY8_SRC_LEVEL = 1 << 1;
/** Word only: latched (edge) or asserted (level). */
export const TOY8_SRC_PENDING = 1 << 2;
/** Word only: acknowledged, not yet EOIed. */
export const TOY8_SRC_IN_SERVICE = 1 << 3;
export const TOY8_SRC_TARGET_SHIFT = 8;
export const TOY8_SRC_TARGET_MASK = 0xff << TOY8_SRC_TARGET_SHIFT;
/** Bits a source word may have set. */
export const TOY8_SRC_WORD_MASK = TOY8_SRC_ENABLE | TOY8_SRC_LEVEL | TOY8_SRC_PENDING | TOY8_SRC_IN_SERVICE | TOY8_SRC_TARGET_MASK;
/** Bits the guest's SRC_CFG register keeps. */
export const TOY8_CFG_MASK = TOY8_SRC_ENABLE | TOY8_SRC_LEVEL | TOY8_SRC_TARGET_MASK;

/** The register block (offsets from the base address). */
export const TOY8_MMIO_SIZE = 0x1000;
/** SRC_CFG[p] at 4 * p: enable, level, target vCPU (read/write). */
export const toy8SrcCfg = (pin: number): number => pin * 4;
/** PENDING: bit p = pin p latched or asserted (read only). */
export const TOY8_REG_PENDING = 0x40;
/** ACK: claims the next interrupt for the accessing vCPU (read). */
export const TOY8_REG_ACK = 0x100;
/** EOI: ends pin p, or the IPI (write). */
export const TOY8_REG_EOI = 0x104;
/** IPI: raises an IPI on the vCPU written (write). */
export const TOY8_REG_IPI = 0x108;

/** ONE_REG id of the per-vCPU state (a made-up id, no architecture bits): bit 0 = IPI pending. */
export const KVM_REG_TOY8_CPU_STATE = KVM_REG_SIZE_U64 | 0x7f00n;
export const TOY8_CPU_IPI_PENDING = 1n;

/** A source word, decoded. */
export interface Toy8SourceWord {
  enabled: boolean;
  level: boolean;
  pending: boolean;
  inService: boolean;
  target: number;
}

export function encodeToy8SourceWord(w: Partial<Toy8SourceWord>): number {
  return (
    (w.enabled ? TOY8_SRC_ENABLE : 0) |
    (w.level ? TOY8_SRC_LEVEL : 0) |
    (w.pending ? TOY8_SRC_PENDING : 0) |
    (w.inService ? TOY8_SRC_IN_SERVICE : 0) |
    (((w.target ?? 0) & 0xff) << TOY8_SRC_TARGET_SHIFT)
  );
}

export function decodeToy8SourceWord(word: number): Toy8SourceWord {
  return {
    enabled: (word & TOY8_SRC_ENABLE) !== 0,
    level: (word & TOY8_SRC_LEVEL) !== 0,
    pending: (word & TOY8_SRC_PENDING) !== 0,
    inService: (word & TOY8_SRC_IN_SERVICE) !== 0,
    target: (word & TOY8_SRC_TARGET_MASK) >>> TOY8_SRC_TARGET_SHIFT,
  };
}

/** The attribute payload (a u64 in the VM's byte order) of a source word or an address. */
export const encodeToy8Payload = (value: number | bigint, endian: Endian = "le"): Uint8Array => encodeU64(value, endian);
export const decodeToy8Payload = (bytes: Uint8Array, endian: Endian = "le"): bigint => decodeU64(bytes, endian);
