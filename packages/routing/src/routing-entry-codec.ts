/**
 * struct kvm_irq_routing (8-byte header + nr entries) and struct kvm_irq_routing_entry
 * (48 bytes) in their UAPI layout (routing-irqfd.md §2), as encode/decode pairs.
 *
 *   entry:  0 gsi | 4 type | 8 flags | 12 pad | 16.. union u (32 bytes)
 *     IRQCHIP       16 irqchip, 20 pin
 *     MSI           16 address_lo, 20 address_hi, 24 data, 28 devid
 *     S390_ADAPTER  16 ind_addr (u64), 24 summary_addr (u64), 32 ind_offset (u64),
 *                   40 summary_offset, 44 adapter_id
 *     HV_SINT       16 vcpu, 20 sint
 *     XEN_EVTCHN    16 port, 20 vcpu, 24 priority
 *
 * `pad` and the unused part of the union are never read (KVM ignores them).
 */
import {
  Errno,
  KVM_IRQ_ROUTING_HV_SINT,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_IRQ_ROUTING_S390_ADAPTER,
  KVM_IRQ_ROUTING_XEN_EVTCHN,
  UapiView,
  fail,
  readStruct,
  show,
  u32Arg,
  u64Arg,
  type Endian,
  type RoutingEntry,
  type UnknownEntry,
  type UserPtr,
} from "@irqlab/core";
import { SIZEOF_KVM_IRQ_ROUTING, SIZEOF_KVM_IRQ_ROUTING_ENTRY } from "./constants.js";

/** A routing entry as userspace may pass it: a known type, or any other type number. */
export type AnyRoutingEntry = RoutingEntry | UnknownEntry;

/**
 * Writes `e` at byte `off` of `view`. Every field goes through core's validation layer:
 * number or bigint, anything else (a missing `msi`, a fraction, a negative) is EINVAL naming
 * the field, before a byte is written.
 */
export function writeRoutingEntry(view: UapiView, off: number, e: AnyRoutingEntry): void {
  const w = readStruct("struct kvm_irq_routing_entry", () => entryWords(e));
  view.setU32(off, w.gsi);
  view.setU32(off + 4, w.type);
  view.setU32(off + 8, w.flags);
  const u = off + 16;
  for (let i = 0; i < w.u32.length; i++) view.setU32(u + 4 * w.u32[i][0], w.u32[i][1]);
  for (let i = 0; i < w.u64.length; i++) view.setU64(u + 4 * w.u64[i][0], w.u64[i][1]);
}

interface EntryWords {
  gsi: number;
  type: number;
  flags: number;
  /** [word index in the union, value] */
  u32: Array<[number, number]>;
  u64: Array<[number, bigint]>;
}

function part(e: unknown, key: string, what: string): Record<string, unknown> {
  const p = (e as Record<string, unknown>)[key];
  if (typeof p !== "object" || p === null) fail(Errno.EINVAL, `routing entry: ${what} entry without ${key}`);
  return p as Record<string, unknown>;
}

function entryWords(e: AnyRoutingEntry): EntryWords {
  if (typeof e !== "object" || e === null) fail(Errno.EINVAL, `routing entry ${show(e)} is not an object`);
  const r = e as unknown as Record<string, unknown>;
  const f = (o: Record<string, unknown>, k: string, name: string, dflt?: number): number =>
    u32Arg(o[k] === undefined && dflt !== undefined ? dflt : o[k], `routing entry ${name}`);
  const g = (o: Record<string, unknown>, k: string, name: string): bigint => u64Arg(o[k], `routing entry ${name}`);
  const type = f(r, "type", "type");
  const out: EntryWords = { gsi: f(r, "gsi", "gsi"), type, flags: f(r, "flags", "flags", 0), u32: [], u64: [] };
  switch (type) {
    case KVM_IRQ_ROUTING_IRQCHIP:
      out.u32.push([0, f(r, "irqchip", "irqchip")], [1, f(r, "pin", "pin")]);
      break;
    case KVM_IRQ_ROUTING_MSI: {
      const m = part(e, "msi", "MSI");
      out.u32.push(
        [0, f(m, "addressLo", "msi.addressLo")],
        [1, f(m, "addressHi", "msi.addressHi", 0)],
        [2, f(m, "data", "msi.data")],
        [3, f(m, "devid", "msi.devid", 0)],
      );
      break;
    }
    case KVM_IRQ_ROUTING_S390_ADAPTER: {
      const a = part(e, "adapter", "S390_ADAPTER");
      out.u64.push([0, g(a, "indAddr", "adapter.indAddr")], [2, g(a, "summaryAddr", "adapter.summaryAddr")], [4, g(a, "indOffset", "adapter.indOffset")]);
      out.u32.push([6, f(a, "summaryOffset", "adapter.summaryOffset")], [7, f(a, "adapterId", "adapter.adapterId")]);
      break;
    }
    case KVM_IRQ_ROUTING_HV_SINT:
      out.u32.push([0, f(r, "vcpu", "vcpu")], [1, f(r, "sint", "sint")]);
      break;
    case KVM_IRQ_ROUTING_XEN_EVTCHN:
      out.u32.push([0, f(r, "port", "port")], [1, f(r, "vcpu", "vcpu")], [2, f(r, "priority", "priority")]);
      break;
    default:
      break;
  }
  return out;
}

/** Reads the entry at byte `off` of `view`. Unknown types decode to `{ gsi, type, flags }`. */
export function readRoutingEntry(view: UapiView, off: number): AnyRoutingEntry {
  const gsi = view.u32(off);
  const type = view.u32(off + 4);
  const flags = view.u32(off + 8);
  const u = off + 16;
  switch (type) {
    case KVM_IRQ_ROUTING_IRQCHIP:
      return { gsi, type, flags, irqchip: view.u32(u), pin: view.u32(u + 4) };
    case KVM_IRQ_ROUTING_MSI:
      return {
        gsi,
        type,
        flags,
        msi: {
          addressLo: view.u32(u),
          addressHi: view.u32(u + 4),
          data: view.u32(u + 8),
          flags,
          devid: view.u32(u + 12),
        },
      };
    case KVM_IRQ_ROUTING_S390_ADAPTER:
      return {
        gsi,
        type,
        flags,
        adapter: {
          indAddr: Number(view.u64(u)),
          summaryAddr: Number(view.u64(u + 8)),
          indOffset: Number(view.u64(u + 16)),
          summaryOffset: view.u32(u + 24),
          adapterId: view.u32(u + 28),
        },
      };
    case KVM_IRQ_ROUTING_HV_SINT:
      return { gsi, type, flags, vcpu: view.u32(u), sint: view.u32(u + 4) };
    case KVM_IRQ_ROUTING_XEN_EVTCHN:
      return { gsi, type, flags, port: view.u32(u), vcpu: view.u32(u + 4), priority: view.u32(u + 8) };
    default:
      return { gsi, type, flags };
  }
}

/** One 48-byte struct kvm_irq_routing_entry. */
export function encodeRoutingEntry(e: AnyRoutingEntry, endian: Endian = "le"): Uint8Array {
  const bytes = new Uint8Array(SIZEOF_KVM_IRQ_ROUTING_ENTRY);
  writeRoutingEntry(new UapiView(bytes, bytes.length, endian, "struct kvm_irq_routing_entry"), 0, e);
  return bytes;
}

export function decodeRoutingEntry(bytes: UserPtr, endian: Endian = "le"): AnyRoutingEntry {
  return readRoutingEntry(
    new UapiView(bytes, SIZEOF_KVM_IRQ_ROUTING_ENTRY, endian, "struct kvm_irq_routing_entry"),
    0,
  );
}

/**
 * struct kvm_irq_routing with its entries: the buffer KVM_SET_GSI_ROUTING reads.
 * `nr` defaults to `entries.length`; a larger `nr` describes entries the buffer does not
 * hold (for EFAULT experiments).
 */
export function encodeIrqRouting(
  entries: readonly AnyRoutingEntry[],
  flags: number | bigint = 0,
  endian: Endian = "le",
  nrArg?: number | bigint,
): Uint8Array {
  if (!Array.isArray(entries)) fail(Errno.EINVAL, `encodeIrqRouting: entries ${show(entries)} is not an array`);
  const nr = nrArg ?? entries.length;
  const size = SIZEOF_KVM_IRQ_ROUTING + SIZEOF_KVM_IRQ_ROUTING_ENTRY * entries.length;
  const bytes = new Uint8Array(size);
  const view = new UapiView(bytes, size, endian, "struct kvm_irq_routing");
  view.setU32(0, u32Arg(nr, "struct kvm_irq_routing nr"));
  view.setU32(4, u32Arg(flags, "struct kvm_irq_routing flags"));
  for (let i = 0; i < entries.length; i++) {
    writeRoutingEntry(view, SIZEOF_KVM_IRQ_ROUTING + i * SIZEOF_KVM_IRQ_ROUTING_ENTRY, entries[i]);
  }
  return bytes;
}

/** The header of struct kvm_irq_routing (EFAULT when fewer than 8 bytes are readable). */
export function decodeIrqRoutingHeader(bytes: UserPtr, endian: Endian = "le"): { nr: number; flags: number } {
  const v = new UapiView(bytes, SIZEOF_KVM_IRQ_ROUTING, endian, "struct kvm_irq_routing");
  return { nr: v.u32(0), flags: v.u32(4) };
}

/** The `nr` entries after the header (EFAULT when the buffer does not hold them all). */
export function decodeIrqRoutingEntries(bytes: UserPtr, nr: number, endian: Endian = "le"): AnyRoutingEntry[] {
  const size = SIZEOF_KVM_IRQ_ROUTING + SIZEOF_KVM_IRQ_ROUTING_ENTRY * nr;
  if (bytes !== null && bytes.byteLength < size) {
    fail(Errno.EFAULT, `struct kvm_irq_routing: ${nr} entries need ${size} bytes, ${bytes.byteLength} readable`);
  }
  const v = new UapiView(bytes, size, endian, "struct kvm_irq_routing entries");
  const out: AnyRoutingEntry[] = new Array(nr);
  for (let i = 0; i < nr; i++) out[i] = readRoutingEntry(v, SIZEOF_KVM_IRQ_ROUTING + i * SIZEOF_KVM_IRQ_ROUTING_ENTRY);
  return out;
}

/** Header and entries together. */
export function decodeIrqRouting(bytes: UserPtr, endian: Endian = "le"): { flags: number; entries: AnyRoutingEntry[] } {
  const { nr, flags } = decodeIrqRoutingHeader(bytes, endian);
  return { flags, entries: decodeIrqRoutingEntries(bytes, nr, endian) };
}
