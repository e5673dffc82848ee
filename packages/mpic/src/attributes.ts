/**
 * Attribute payload codecs and typed helpers for the MPIC's device attributes (mpic.md §7).
 * Payloads are in the UAPI layout in the VM's byte order: BASE_ADDR is a u64, REGISTER and
 * IRQ_ACTIVE values are u32. The helpers pack the bytes so callers never do.
 */
import { decodeU32, decodeU64, encodeU32, encodeU64, type DeviceHandle, type Endian, type UserPtr } from "@irqlab/core";
import { KVM_DEV_MPIC_BASE_ADDR, KVM_DEV_MPIC_GRP_IRQ_ACTIVE, KVM_DEV_MPIC_GRP_MISC, KVM_DEV_MPIC_GRP_REGISTER } from "./constants.js";

/** KVM_DEV_MPIC_BASE_ADDR payload (u64). */
export function encodeBaseAddr(base: bigint | number, endian: Endian = "le"): Uint8Array {
  return encodeU64(base, endian);
}
export function decodeBaseAddr(bytes: UserPtr, endian: Endian = "le"): bigint {
  return decodeU64(bytes, endian);
}

/** KVM_DEV_MPIC_GRP_REGISTER payload (u32 register value, host order). */
export function encodeRegisterValue(value: number, endian: Endian = "le"): Uint8Array {
  return encodeU32(value >>> 0, endian);
}
export function decodeRegisterValue(bytes: UserPtr, endian: Endian = "le"): number {
  return decodeU32(bytes, endian);
}

/** KVM_DEV_MPIC_GRP_IRQ_ACTIVE payload (u32: 0 or 1 to set; the stored level on get). */
export function encodeIrqActive(value: number, endian: Endian = "le"): Uint8Array {
  return encodeU32(value >>> 0, endian);
}
export function decodeIrqActive(bytes: UserPtr, endian: Endian = "le"): number {
  return decodeU32(bytes, endian);
}

function endianOf(h: DeviceHandle): Endian {
  return h.kvmDevice.vm.endian;
}

/** SET KVM_DEV_MPIC_BASE_ADDR. */
export function setMpicBaseAddr(h: DeviceHandle, base: bigint | number): void {
  h.setAttr({ group: KVM_DEV_MPIC_GRP_MISC, attr: KVM_DEV_MPIC_BASE_ADDR, addr: encodeBaseAddr(base, endianOf(h)) });
}

/** GET KVM_DEV_MPIC_BASE_ADDR. */
export function getMpicBaseAddr(h: DeviceHandle): bigint {
  const buf = new Uint8Array(8);
  h.getAttr({ group: KVM_DEV_MPIC_GRP_MISC, attr: KVM_DEV_MPIC_BASE_ADDR, addr: buf });
  return decodeBaseAddr(buf, endianOf(h));
}

/** GET KVM_DEV_MPIC_GRP_REGISTER: a register read as userspace (CPU -1); side effects apply. */
export function readMpicRegister(h: DeviceHandle, offset: number | bigint): number {
  const buf = new Uint8Array(4);
  h.getAttr({ group: KVM_DEV_MPIC_GRP_REGISTER, attr: offset, addr: buf });
  return decodeRegisterValue(buf, endianOf(h));
}

/** SET KVM_DEV_MPIC_GRP_REGISTER. */
export function writeMpicRegister(h: DeviceHandle, offset: number | bigint, value: number): void {
  h.setAttr({ group: KVM_DEV_MPIC_GRP_REGISTER, attr: offset, addr: encodeRegisterValue(value, endianOf(h)) });
}

/** GET KVM_DEV_MPIC_GRP_IRQ_ACTIVE: the stored input of source `n` (0..256). */
export function getMpicIrqActive(h: DeviceHandle, n: number | bigint): number {
  const buf = new Uint8Array(4);
  h.getAttr({ group: KVM_DEV_MPIC_GRP_IRQ_ACTIVE, attr: n, addr: buf });
  return decodeIrqActive(buf, endianOf(h));
}

/** SET KVM_DEV_MPIC_GRP_IRQ_ACTIVE (value 0 or 1, else EINVAL). */
export function setMpicIrqActive(h: DeviceHandle, n: number | bigint, value: number): void {
  h.setAttr({ group: KVM_DEV_MPIC_GRP_IRQ_ACTIVE, attr: n, addr: encodeIrqActive(value, endianOf(h)) });
}
