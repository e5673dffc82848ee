/**
 * ioeventfd (KVM_IOEVENTFD, routing-irqfd.md §10): a guest write to a registered address
 * signals an eventfd (+1) instead of exiting to userspace.
 *
 *   guest store ──MmioBus──> slot at addr ──match (exact addr; len 0, or same len and
 *                                            wildcard or datamatch)──> eventfd.signal(1)
 *                                        └─ no match: unhandled (KVM exits to userspace)
 *
 * MMIO registrations are placed on core's MmioBus, one region per registered address, as
 * wide as the longest registration there (8 bytes for a length-0 one). The PIO and
 * virtio-ccw notify buses have no core model: `write(bus, ...)` drives them.
 *
 * Deviation: core's MmioBus refuses overlapping regions, so an MMIO ioeventfd whose bytes
 * overlap a device region or an ioeventfd at another address fails with the bus's EEXIST
 * (KVM's bus would accept it and try each device in turn).
 */
import { show, showFlags } from "./show.js";
import { Errno, fail, type MmioRegion, type Vm } from "@irqlab/core";
import {
  KVM_IOEVENTFD_FLAG_DATAMATCH,
  KVM_IOEVENTFD_FLAG_PIO,
  KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY,
  KVM_IOEVENTFD_VALID_FLAG_MASK,
} from "./constants.js";
import type { EventFdFile } from "./eventfd.js";
import { emit } from "./trace.js";

export type IoeventfdBusName = "mmio" | "pio" | "ccw";

/** struct kvm_ioeventfd as the typed API takes it. */
export interface IoeventfdArgs {
  datamatch?: bigint | number;
  addr: bigint | number;
  len: number;
  flags?: number;
}

interface Registration {
  readonly bus: IoeventfdBusName;
  readonly addr: bigint;
  readonly len: number;
  readonly eventfd: EventFdFile;
  readonly wildcard: boolean;
  readonly datamatch: bigint;
  /** datamatch as a number when exactly representable, else -1 (never equals a value). */
  readonly datamatchNum: number;
}

interface MmioSlot {
  readonly addr: number;
  size: number;
  regs: Registration[];
  region: MmioRegion;
}

function busOf(flags: number): IoeventfdBusName {
  if (flags & KVM_IOEVENTFD_FLAG_PIO) return "pio";
  if (flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY) return "ccw";
  return "mmio";
}

function u64(v: bigint | number, what: string): bigint {
  const b = typeof v === "bigint" ? v : Number.isInteger(v) ? BigInt(v) : -1n;
  if (b < 0n || b > 0xffffffffffffffffn) fail(Errno.EINVAL, `ioeventfd ${what} ${show(v)} is not a u64`);
  return b;
}

/** A number or bigint as a bigint (anything else: -1n, which matches no registration). */
function toBig(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  return typeof v === "number" && Number.isInteger(v) ? BigInt(v) : -1n;
}

export class IoeventfdBus {
  private regs: Registration[] = [];
  private readonly slots = new Map<number, MmioSlot>();
  /** Writes that signalled an eventfd. */
  hits = 0;
  /** Writes to a registered address that matched nothing. */
  misses = 0;

  constructor(private readonly vm: Vm) {}

  /** KVM_IOEVENTFD assign (flags without DEASSIGN), after the eventfd is resolved lazily. */
  assign(args: IoeventfdArgs, resolve: () => EventFdFile): void {
    const flags = args.flags ?? 0;
    if (typeof flags !== "number" || !Number.isInteger(flags)) fail(Errno.EINVAL, `ioeventfd flags ${show(flags)}`);
    const len = args.len;
    if (len !== 0 && len !== 1 && len !== 2 && len !== 4 && len !== 8) {
      fail(Errno.EINVAL, `ioeventfd len ${show(len)} (0, 1, 2, 4 or 8)`);
    }
    const addr = u64(args.addr, "addr");
    if (addr + BigInt(len) > 0xffffffffffffffffn) {
      fail(Errno.EINVAL, `ioeventfd addr 0x${addr.toString(16)} + len ${len} wraps`);
    }
    if (flags & ~KVM_IOEVENTFD_VALID_FLAG_MASK) fail(Errno.EINVAL, `ioeventfd flags ${showFlags(flags)}`);
    if (len === 0 && flags & KVM_IOEVENTFD_FLAG_DATAMATCH) {
      fail(Errno.EINVAL, "ioeventfd with len 0 cannot use DATAMATCH");
    }
    const eventfd = resolve();
    const wildcard = (flags & KVM_IOEVENTFD_FLAG_DATAMATCH) === 0;
    const datamatch = wildcard ? 0n : u64(args.datamatch ?? 0n, "datamatch");
    const reg: Registration = {
      bus: busOf(flags),
      addr,
      len,
      eventfd,
      wildcard,
      datamatch,
      datamatchNum: datamatch <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(datamatch) : -1,
    };
    for (const p of this.regs) {
      if (
        p.bus === reg.bus &&
        p.addr === reg.addr &&
        (!p.len || !reg.len || (p.len === reg.len && (p.wildcard || reg.wildcard || p.datamatch === reg.datamatch)))
      ) {
        fail(Errno.EEXIST, `ioeventfd on ${reg.bus} 0x${addr.toString(16)} len ${len} collides with an existing one`);
      }
    }
    if (reg.bus === "mmio") this.placeMmio(reg);
    this.regs = [...this.regs, reg];
  }

  /** KVM_IOEVENTFD with DEASSIGN: exact match of bus, eventfd, addr, len, wildcard, datamatch. */
  deassign(args: IoeventfdArgs, resolve: () => EventFdFile): void {
    const flags = typeof args.flags === "number" ? args.flags >>> 0 : 0;
    const eventfd = resolve();
    const bus = busOf(flags);
    const wildcard = (flags & KVM_IOEVENTFD_FLAG_DATAMATCH) === 0;
    const addr = toBig(args.addr);
    const datamatch = wildcard ? 0n : toBig(args.datamatch ?? 0);
    const p = this.regs.find(
      (r) =>
        r.bus === bus &&
        r.eventfd === eventfd &&
        r.addr === addr &&
        r.len === args.len &&
        r.wildcard === wildcard &&
        (r.wildcard || r.datamatch === datamatch),
    );
    if (!p) fail(Errno.ENOENT, `no ioeventfd on ${bus} at ${show(args.addr)} len ${show(args.len)} for eventfd ${eventfd.id}`);
    this.regs = this.regs.filter((r) => r !== p);
    if (p.bus === "mmio") this.removeMmio(p);
  }

  /**
   * A guest write on `bus` (MMIO writes normally arrive through vm.mmio). Returns whether an
   * ioeventfd took it.
   */
  write(bus: IoeventfdBusName, addr: number | bigint, len: number, value: number): boolean {
    const a = toBig(addr);
    for (const r of this.regs) {
      if (r.bus === bus && r.addr === a && this.matches(r, len, value)) {
        this.fire(r);
        return true;
      }
    }
    this.misses++;
    return false;
  }

  list(): ReadonlyArray<{ bus: IoeventfdBusName; addr: bigint; len: number; datamatch: bigint | null; eventfd: number }> {
    return this.regs.map((r) => ({
      bus: r.bus,
      addr: r.addr,
      len: r.len,
      datamatch: r.wildcard ? null : r.datamatch,
      eventfd: r.eventfd.id,
    }));
  }

  /** Unmaps every MMIO region (VM teardown). */
  clear(): void {
    for (const s of this.slots.values()) this.vm.mmio.unmap(s.region);
    this.slots.clear();
    this.regs = [];
  }

  private matches(r: Registration, len: number, value: number): boolean {
    if (r.len === 0) return true;
    if (len !== r.len) return false;
    return r.wildcard || value === r.datamatchNum;
  }

  private fire(r: Registration): void {
    this.hits++;
    const t = this.vm.tracer;
    if (t.enabled) emit(t, "routing.ioeventfd.signal", { bus: r.bus, addr: Number(r.addr), len: r.len, eventfd: r.eventfd.id });
    r.eventfd.signal(1);
  }

  private placeMmio(reg: Registration): void {
    if (reg.addr > BigInt(Number.MAX_SAFE_INTEGER)) {
      fail(Errno.EINVAL, `ioeventfd MMIO address 0x${reg.addr.toString(16)} is beyond the modelled bus`);
    }
    const addr = Number(reg.addr);
    const width = reg.len === 0 ? 8 : reg.len;
    const slot = this.slots.get(addr);
    if (!slot) {
      const s: MmioSlot = { addr, size: width, regs: [reg], region: this.regionFor(addr) };
      this.vm.mmio.map(addr, width, s.region, "ioeventfd");
      this.slots.set(addr, s);
      return;
    }
    if (width > slot.size) {
      // Widen: map the wider region first (may fail, changing nothing), then drop the old one.
      const region = this.regionFor(addr);
      this.vm.mmio.unmap(slot.region);
      try {
        this.vm.mmio.map(addr, width, region, "ioeventfd");
      } catch (e) {
        this.vm.mmio.map(addr, slot.size, slot.region, "ioeventfd");
        throw e;
      }
      slot.region = region;
      slot.size = width;
    }
    slot.regs = [...slot.regs, reg];
  }

  private removeMmio(reg: Registration): void {
    const addr = Number(reg.addr);
    const slot = this.slots.get(addr);
    if (!slot) return;
    slot.regs = slot.regs.filter((r) => r !== reg);
    if (slot.regs.length === 0) {
      this.vm.mmio.unmap(slot.region);
      this.slots.delete(addr);
    }
  }

  private regionFor(addr: number): MmioRegion {
    return {
      read: (_off, size) => {
        // KVM's ioeventfd has no read: the load exits to userspace.
        this.vm.exitStats.mmioUnhandled++;
        return size >= 4 ? 0xffffffff : (1 << (8 * size)) - 1;
      },
      write: (off, size, value) => {
        const slot = this.slots.get(addr);
        if (off === 0 && slot) {
          const regs = slot.regs;
          for (let i = 0; i < regs.length; i++) {
            if (this.matches(regs[i], size, value)) {
              this.fire(regs[i]);
              return;
            }
          }
        }
        this.misses++;
        this.vm.exitStats.mmioUnhandled++;
      },
    };
  }
}
