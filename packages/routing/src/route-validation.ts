/**
 * KVM_SET_GSI_ROUTING validation, in KVM's order (routing-irqfd.md §4.1, kvm_set_irq_routing +
 * setup_routing_entry + the architecture's kvm_set_routing_entry):
 *
 *   copy      every entry is read first (typed input: fields must be u32 / u64 numbers)
 *   pre-pass  any gsi >= 4096 -> EINVAL (nothing else looked at)
 *   per entry, in array order:
 *     1 flags      MSI: only KVM_MSI_VALID_DEVID; every other type (unknown ones too): 0
 *     2 conflict   against entries already accepted for the same GSI in this request:
 *                  EINVAL unless both are IRQCHIP on different irqchips
 *     3 arch       per-architecture conversion (ArchProfile), then the owning chip's
 *                  validateRoute() (its KvmError passes through unchanged)
 *
 * Returns normalised copies; throws before anything is published.
 */
import {
  Errno,
  KVM_IRQ_ROUTING_HV_SINT,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_IRQ_ROUTING_S390_ADAPTER,
  KVM_IRQ_ROUTING_XEN_EVTCHN,
  KVM_MSI_VALID_DEVID,
  fail,
  type AdapterEntry,
  type GuestMemory,
  type IrqchipEntry,
  type MsiEntry,
  type RoutingEntry,
  type Vm,
} from "@irqlab/core";
import { readStruct, u32Arg, u64Arg } from "@irqlab/core";
import type { ArchProfile } from "./arch-profile.js";
import { KVM_MAX_IRQ_ROUTES } from "./constants.js";
import type { AnyRoutingEntry } from "./routing-entry-codec.js";
import type { ChipResolver } from "./routing-table.js";

export interface ValidationContext {
  readonly profile: ArchProfile;
  readonly chips: ChipResolver;
  readonly memory: GuestMemory;
  /** The VM, for the profile's `checkRoute` hook. */
  readonly vm?: Vm;
}

const TYPE_NAMES: Record<number, string> = {
  [KVM_IRQ_ROUTING_IRQCHIP]: "IRQCHIP",
  [KVM_IRQ_ROUTING_MSI]: "MSI",
  [KVM_IRQ_ROUTING_S390_ADAPTER]: "S390_ADAPTER",
  [KVM_IRQ_ROUTING_HV_SINT]: "HV_SINT",
  [KVM_IRQ_ROUTING_XEN_EVTCHN]: "XEN_EVTCHN",
};

export function routeTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/** A u32 field of a typed entry (number or bigint; anything else EINVAL: core validate.ts). */
function u32(v: unknown, what: string, i: number): number {
  if (typeof v === "number" && v >>> 0 === v) return v;
  return u32Arg(v, `routing entry ${i}: ${what}`);
}

/** A u64 field held as a number (a guest address or bit offset; beyond 2^53 not exact). */
function u64n(v: unknown, what: string, i: number): number {
  if (typeof v === "number" && v >= 0 && Number.isSafeInteger(v)) return v;
  return Number(u64Arg(v, `routing entry ${i}: ${what}`));
}

/**
 * copy_from_user of the entries: normalised copies of what the caller passed (only the fields
 * of the entry's type are read, like the kernel's union).
 */
export function copyEntries(entries: readonly AnyRoutingEntry[]): RoutingEntry[] {
  // A getter that throws while the entries are copied is the copy faulting (EFAULT).
  return readStruct("KVM_SET_GSI_ROUTING entries", () => copyEntriesUnchecked(entries));
}

function copyEntriesUnchecked(entries: readonly AnyRoutingEntry[]): RoutingEntry[] {
  const out: RoutingEntry[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as unknown as Record<string, unknown>;
    if (typeof e !== "object" || e === null) fail(Errno.EINVAL, `routing entry ${i} is not an object`);
    const gsi = u32(e.gsi, "gsi", i);
    const type = u32(e.type, "type", i);
    const flags = u32(e.flags ?? 0, "flags", i);
    switch (type) {
      case KVM_IRQ_ROUTING_IRQCHIP:
        out[i] = { gsi, type, flags, irqchip: u32(e.irqchip, "irqchip", i), pin: u32(e.pin, "pin", i) };
        break;
      case KVM_IRQ_ROUTING_MSI: {
        const m = e.msi as Record<string, unknown> | undefined;
        if (typeof m !== "object" || m === null) fail(Errno.EINVAL, `routing entry ${i}: MSI entry without msi`);
        out[i] = {
          gsi,
          type,
          flags,
          msi: {
            addressLo: u32(m.addressLo, "msi.addressLo", i),
            addressHi: u32(m.addressHi, "msi.addressHi", i),
            data: u32(m.data, "msi.data", i),
            flags,
            devid: u32(m.devid ?? 0, "msi.devid", i),
          },
        };
        break;
      }
      case KVM_IRQ_ROUTING_S390_ADAPTER: {
        const a = e.adapter as Record<string, unknown> | undefined;
        if (typeof a !== "object" || a === null) fail(Errno.EINVAL, `routing entry ${i}: adapter entry without adapter`);
        out[i] = {
          gsi,
          type,
          flags,
          adapter: {
            indAddr: u64n(a.indAddr, "adapter.indAddr", i),
            summaryAddr: u64n(a.summaryAddr, "adapter.summaryAddr", i),
            indOffset: u64n(a.indOffset, "adapter.indOffset", i),
            summaryOffset: u32(a.summaryOffset, "adapter.summaryOffset", i),
            adapterId: u32(a.adapterId, "adapter.adapterId", i),
          },
        };
        break;
      }
      default:
        // HV_SINT, XEN_EVTCHN and unknown types: only the header matters (they are refused).
        out[i] = { gsi, type, flags } as RoutingEntry;
        break;
    }
  }
  return out;
}

/** Validates a copied request in KVM's order. Returns the entries to publish. */
export function validateEntries(entries: readonly RoutingEntry[], ctx: ValidationContext): RoutingEntry[] {
  for (let i = 0; i < entries.length; i++) {
    if (entries[i].gsi >= KVM_MAX_IRQ_ROUTES) {
      fail(Errno.EINVAL, `routing entry ${i}: gsi ${entries[i].gsi} >= KVM_MAX_IRQ_ROUTES (${KVM_MAX_IRQ_ROUTES})`);
    }
  }
  // Entries accepted so far, per GSI, as linked lists of indexes (no per-GSI arrays).
  const head = new Int32Array(KVM_MAX_IRQ_ROUTES).fill(-1);
  const next = new Int32Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    // 1. flags
    if (e.type === KVM_IRQ_ROUTING_MSI) {
      if (e.flags & ~KVM_MSI_VALID_DEVID) {
        fail(Errno.EINVAL, `routing entry ${i}: MSI flags 0x${e.flags.toString(16)} (only KVM_MSI_VALID_DEVID)`);
      }
    } else if (e.flags !== 0) {
      fail(Errno.EINVAL, `routing entry ${i}: ${routeTypeName(e.type)} flags 0x${e.flags.toString(16)} (must be 0)`);
    }
    // 2. conflict with entries accepted for the same GSI
    for (let j = head[e.gsi]; j >= 0; j = next[j]) {
      const o = entries[j];
      if (
        o.type !== KVM_IRQ_ROUTING_IRQCHIP ||
        e.type !== KVM_IRQ_ROUTING_IRQCHIP ||
        (o as IrqchipEntry).irqchip === (e as IrqchipEntry).irqchip
      ) {
        fail(
          Errno.EINVAL,
          `routing entry ${i}: gsi ${e.gsi} already has a ${routeTypeName(o.type)} entry` +
            (o.type === KVM_IRQ_ROUTING_IRQCHIP && e.type === KVM_IRQ_ROUTING_IRQCHIP
              ? ` on irqchip ${(o as IrqchipEntry).irqchip}`
              : ` (only IRQCHIP entries on different irqchips may share a GSI)`),
        );
      }
    }
    // 3. architecture conversion, then the owning chip's rules
    convert(e, i, ctx);
    next[i] = head[e.gsi];
    head[e.gsi] = i;
  }
  return entries as RoutingEntry[];
}

function convert(e: RoutingEntry, i: number, ctx: ValidationContext): void {
  const { profile, chips } = ctx;
  if (profile.checkRoute !== undefined && ctx.vm !== undefined) profile.checkRoute(ctx.vm, e);
  switch (e.type) {
    case KVM_IRQ_ROUTING_IRQCHIP: {
      const chip = chips.chipByIndex(e.irqchip);
      if (profile.chipsWiden && chip !== null) {
        if (!chip.routeTypes.includes(KVM_IRQ_ROUTING_IRQCHIP)) {
          fail(Errno.EINVAL, `routing entry ${i}: irqchip ${e.irqchip} (${chip.name}) takes no IRQCHIP routes`);
        }
        if (e.pin >= chip.pins) {
          fail(Errno.EINVAL, `routing entry ${i}: pin ${e.pin} >= ${chip.pins} pins of irqchip ${e.irqchip} (${chip.name})`);
        }
      } else {
        if (!profile.routeTypes.includes(KVM_IRQ_ROUTING_IRQCHIP)) {
          fail(Errno.EINVAL, `routing entry ${i}: IRQCHIP routes are not supported on ${profile.arch}`);
        }
        if (e.irqchip >= profile.nrIrqchips) {
          // ppc-booke: the kernel does not check the irqchip number (it indexes past its reverse
          // map); irqlab refuses it, a documented conservative deviation.
          fail(Errno.EINVAL, `routing entry ${i}: irqchip ${e.irqchip} >= ${profile.nrIrqchips} irqchips on ${profile.arch}`);
        }
        if (e.pin >= profile.irqchipPins) {
          fail(Errno.EINVAL, `routing entry ${i}: pin ${e.pin} >= KVM_IRQCHIP_NUM_PINS (${profile.irqchipPins})`);
        }
      }
      chip?.validateRoute?.(e as IrqchipEntry);
      return;
    }
    case KVM_IRQ_ROUTING_MSI: {
      const chip = chips.msiChip;
      if (!profile.routeTypes.includes(KVM_IRQ_ROUTING_MSI) && !(profile.chipsWiden && chip !== null)) {
        fail(
          Errno.EINVAL,
          `routing entry ${i}: MSI routes are not supported on ${profile.arch}` +
            (profile.chipsWiden ? " (no registered controller accepts MSI)" : ""),
        );
      }
      chip?.validateRoute?.(e as MsiEntry);
      return;
    }
    case KVM_IRQ_ROUTING_S390_ADAPTER: {
      const chip = chips.adapterChip;
      if (!profile.routeTypes.includes(KVM_IRQ_ROUTING_S390_ADAPTER) && !(profile.chipsWiden && chip !== null)) {
        fail(Errno.EINVAL, `routing entry ${i}: S390_ADAPTER routes are not supported on ${profile.arch}`);
      }
      checkAdapterAddresses(e as AdapterEntry, i, ctx.memory);
      chip?.validateRoute?.(e as AdapterEntry);
      return;
    }
    default:
      fail(
        Errno.EINVAL,
        `routing entry ${i}: ${routeTypeName(e.type)} routes are not supported` +
          (e.type === KVM_IRQ_ROUTING_HV_SINT || e.type === KVM_IRQ_ROUTING_XEN_EVTCHN
            ? " (kernel built without CONFIG_KVM_HYPERV / CONFIG_KVM_XEN)"
            : ""),
      );
  }
}

/** s390 kvm_set_routing_entry: summary then indicator page translated now, EFAULT if not backed. */
function checkAdapterAddresses(e: AdapterEntry, i: number, memory: GuestMemory): void {
  const a = e.adapter;
  if (!memory.isMapped(a.summaryAddr, 1)) {
    fail(Errno.EFAULT, `routing entry ${i}: adapter summary_addr 0x${a.summaryAddr.toString(16)} is not guest memory`);
  }
  if (!memory.isMapped(a.indAddr, 1)) {
    fail(Errno.EFAULT, `routing entry ${i}: adapter ind_addr 0x${a.indAddr.toString(16)} is not guest memory`);
  }
}
