/**
 * The small UAPI structs of the VM ioctls routing implements, as encode/decode pairs
 * (routing-irqfd.md §2, §10). Byte order is the VM's (`vm.endian`).
 *
 *   kvm_irq_level  (8)   0 irq (u32) | status (s32, written back by KVM_IRQ_LINE_STATUS), 4 level
 *   kvm_msi        (32)  0 address_lo, 4 address_hi, 8 data, 12 flags, 16 devid, 20 pad[12]
 *   kvm_irqfd      (32)  0 fd, 4 gsi, 8 flags, 12 resamplefd, 16 pad[16]
 *   kvm_ioeventfd  (64)  0 datamatch (u64), 8 addr (u64), 16 len, 20 fd (s32), 24 flags, 28 pad[36]
 */
import { UapiView, type Endian, type UserPtr } from "@irqlab/core";
import { SIZEOF_KVM_IOEVENTFD, SIZEOF_KVM_IRQFD, SIZEOF_KVM_IRQ_LEVEL, SIZEOF_KVM_MSI } from "./constants.js";

export interface IrqLevel {
  /** GSI (u32). */
  irq: number;
  /** Any non-zero value asserts. */
  level: number;
}

export function encodeIrqLevel(v: IrqLevel, endian: Endian = "le"): Uint8Array {
  const bytes = new Uint8Array(SIZEOF_KVM_IRQ_LEVEL);
  const view = new UapiView(bytes, SIZEOF_KVM_IRQ_LEVEL, endian, "struct kvm_irq_level");
  view.setU32(0, v.irq);
  view.setU32(4, v.level);
  return bytes;
}

export function decodeIrqLevel(bytes: UserPtr, endian: Endian = "le"): IrqLevel {
  const view = new UapiView(bytes, SIZEOF_KVM_IRQ_LEVEL, endian, "struct kvm_irq_level");
  return { irq: view.u32(0), level: view.u32(4) };
}

/** The `status` KVM_IRQ_LINE_STATUS wrote back into the struct (the union's s32 reading). */
export function decodeIrqLevelStatus(bytes: UserPtr, endian: Endian = "le"): number {
  return new UapiView(bytes, SIZEOF_KVM_IRQ_LEVEL, endian, "struct kvm_irq_level").s32(0);
}

/** struct kvm_msi as the typed API takes it; `flags` and `devid` default to 0. */
export interface MsiArg {
  addressLo: number;
  addressHi: number;
  data: number;
  flags?: number;
  devid?: number;
}

export function encodeMsi(m: MsiArg, endian: Endian = "le"): Uint8Array {
  const bytes = new Uint8Array(SIZEOF_KVM_MSI);
  const view = new UapiView(bytes, SIZEOF_KVM_MSI, endian, "struct kvm_msi");
  view.setU32(0, m.addressLo);
  view.setU32(4, m.addressHi);
  view.setU32(8, m.data);
  view.setU32(12, m.flags ?? 0);
  view.setU32(16, m.devid ?? 0);
  return bytes;
}

export function decodeMsi(bytes: UserPtr, endian: Endian = "le"): Required<MsiArg> {
  const view = new UapiView(bytes, SIZEOF_KVM_MSI, endian, "struct kvm_msi");
  return {
    addressLo: view.u32(0),
    addressHi: view.u32(4),
    data: view.u32(8),
    flags: view.u32(12),
    devid: view.u32(16),
  };
}

/** struct kvm_irqfd with descriptor numbers (the ioctl's view of it). */
export interface IrqfdStruct {
  fd: number;
  gsi: number;
  flags: number;
  resamplefd: number;
}

export function encodeIrqfd(v: Partial<IrqfdStruct> & { fd: number; gsi: number }, endian: Endian = "le"): Uint8Array {
  const bytes = new Uint8Array(SIZEOF_KVM_IRQFD);
  const view = new UapiView(bytes, SIZEOF_KVM_IRQFD, endian, "struct kvm_irqfd");
  view.setS32(0, v.fd);
  view.setU32(4, v.gsi);
  view.setU32(8, v.flags ?? 0);
  view.setS32(12, v.resamplefd ?? 0);
  return bytes;
}

/** Descriptors are read as the s32 the kernel's fdget sees (0xFFFFFFFF is -1). */
export function decodeIrqfd(bytes: UserPtr, endian: Endian = "le"): IrqfdStruct {
  const view = new UapiView(bytes, SIZEOF_KVM_IRQFD, endian, "struct kvm_irqfd");
  return { fd: view.s32(0), gsi: view.u32(4), flags: view.u32(8), resamplefd: view.s32(12) };
}

/** struct kvm_ioeventfd (u64 fields as bigint). */
export interface IoeventfdStruct {
  datamatch: bigint;
  addr: bigint;
  len: number;
  fd: number;
  flags: number;
}

export function encodeIoeventfd(
  v: { datamatch?: bigint | number; addr: bigint | number; len: number; fd: number; flags?: number },
  endian: Endian = "le",
): Uint8Array {
  const bytes = new Uint8Array(SIZEOF_KVM_IOEVENTFD);
  const view = new UapiView(bytes, SIZEOF_KVM_IOEVENTFD, endian, "struct kvm_ioeventfd");
  view.setU64(0, v.datamatch ?? 0n);
  view.setU64(8, v.addr);
  view.setU32(16, v.len);
  view.setS32(20, v.fd);
  view.setU32(24, v.flags ?? 0);
  return bytes;
}

export function decodeIoeventfd(bytes: UserPtr, endian: Endian = "le"): IoeventfdStruct {
  const view = new UapiView(bytes, SIZEOF_KVM_IOEVENTFD, endian, "struct kvm_ioeventfd");
  return {
    datamatch: view.u64(0),
    addr: view.u64(8),
    len: view.u32(16),
    fd: view.s32(20),
    flags: view.u32(24),
  };
}
