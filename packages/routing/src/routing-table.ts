/**
 * The GSI routing table (kvm_irq_routing_table) as an immutable, precompiled value.
 *
 *   map[gsi]  -> routes in userspace array order, each holding its chip reference
 *   reverse   -> irqchip -> pin -> gsi (the last entry naming a pin wins)   [acks, resample]
 *
 * A table is built completely, then published by swapping one reference (routing-irqfd.md §5):
 * an injection that already holds the old `map[gsi]` array finishes with the old routes, and
 * every later lookup sees the new table. Chips are resolved when the table is built and again
 * (same entries, new table) whenever a controller registers or goes away: a route naming a
 * chip that does not exist is kept, as KVM keeps it, and injects nothing (its result is -1).
 *
 * The identity table is book3s's: there is no table at all, GSI n is source n of the
 * controller (chip index 0), for every n below its pin count, and an ack of pin n is GSI n.
 */
import {
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_IRQ_ROUTING_S390_ADAPTER,
  type AdapterRoute,
  type IrqChip,
  type MsiMessage,
  type RoutingEntry,
} from "@irqlab/core";

/** Where a table's routes find their controllers (GsiRouting implements it). */
export interface ChipResolver {
  chipByIndex(index: number): IrqChip | null;
  /** The controller that takes MSI routes (first registered chip accepting them). */
  readonly msiChip: IrqChip | null;
  /** The controller that takes s390 adapter routes. */
  readonly adapterChip: IrqChip | null;
}

/** One route of a GSI, ready to call (kvm_kernel_irq_routing_entry with its `set`). */
export class CompiledRoute {
  constructor(
    /** KVM_IRQ_ROUTING_IRQCHIP / _MSI / _S390_ADAPTER */
    readonly type: number,
    readonly gsi: number,
    /** The controller that receives it, or null (none registered: result -1). */
    readonly chip: IrqChip | null,
    readonly irqchip: number,
    readonly pin: number,
    readonly msi: MsiMessage | null,
    readonly adapter: AdapterRoute | null,
  ) {}
}

/** pin -> gsi for one irqchip: a typed array when dense, a Map when sparse. */
export class PinMap {
  private constructor(
    private readonly dense: Int32Array | null,
    private readonly sparse: Map<number, number> | null,
  ) {}

  static build(pins: readonly number[], gsis: readonly number[]): PinMap {
    let max = 0;
    for (const p of pins) if (p > max) max = p;
    if (max < 4 * pins.length + 1024) {
      const a = new Int32Array(max + 1).fill(-1);
      for (let i = 0; i < pins.length; i++) a[pins[i]] = gsis[i];
      return new PinMap(a, null);
    }
    const m = new Map<number, number>();
    for (let i = 0; i < pins.length; i++) m.set(pins[i], gsis[i]);
    return new PinMap(null, m);
  }

  get(pin: number): number {
    const d = this.dense;
    if (d !== null) return pin >= 0 && pin < d.length ? d[pin] : -1;
    return this.sparse!.get(pin) ?? -1;
  }
}

const NO_ROUTES: readonly CompiledRoute[] = [];
let nextVersion = 1;

export class RoutingTable {
  /** Increases with every table built (publication order). */
  readonly version = nextVersion++;

  private constructor(
    /** The accepted entries, normalised, in userspace array order. */
    readonly entries: readonly RoutingEntry[],
    /** Largest GSI present + 1 (at least 1), KVM's nr_rt_entries. */
    readonly nrRtEntries: number,
    /** Routes per GSI (null: unrouted). Length nrRtEntries. */
    readonly map: ReadonlyArray<readonly CompiledRoute[] | null>,
    private readonly reverse: ReadonlyMap<number, PinMap>,
    /** book3s identity: the controller every GSI goes to, when `identity`. */
    readonly identity: boolean,
    readonly identityChip: IrqChip | null,
  ) {}

  /** The empty table every VM has at least (nr_rt_entries = 1, nothing routed). */
  static empty(): RoutingTable {
    return new RoutingTable([], 1, [null], new Map(), false, null);
  }

  /** book3s: GSI n -> chip index 0, pin n. */
  static identity(chips: ChipResolver): RoutingTable {
    return new RoutingTable([], 0, [], new Map(), true, chips.chipByIndex(0));
  }

  /** Compiles validated entries (array order kept; reverse map: last entry wins). */
  static build(entries: readonly RoutingEntry[], chips: ChipResolver): RoutingTable {
    let maxGsi = 0;
    for (const e of entries) if (e.gsi > maxGsi) maxGsi = e.gsi;
    const nr = maxGsi + 1;
    const lists: (CompiledRoute[] | null)[] = new Array(nr).fill(null);
    const revPins = new Map<number, { pins: number[]; gsis: number[] }>();
    const msiChip = chips.msiChip;
    const adapterChip = chips.adapterChip;
    for (const e of entries) {
      let route: CompiledRoute;
      switch (e.type) {
        case KVM_IRQ_ROUTING_IRQCHIP: {
          route = new CompiledRoute(e.type, e.gsi, chips.chipByIndex(e.irqchip), e.irqchip, e.pin, null, null);
          let r = revPins.get(e.irqchip);
          if (!r) revPins.set(e.irqchip, (r = { pins: [], gsis: [] }));
          r.pins.push(e.pin);
          r.gsis.push(e.gsi);
          break;
        }
        case KVM_IRQ_ROUTING_MSI:
          route = new CompiledRoute(e.type, e.gsi, msiChip, 0, 0, e.msi, null);
          break;
        case KVM_IRQ_ROUTING_S390_ADAPTER:
          route = new CompiledRoute(e.type, e.gsi, adapterChip, 0, 0, null, e.adapter);
          break;
        default:
          // Validation accepts no other type; a table never holds one.
          continue;
      }
      const l = lists[e.gsi];
      if (l === null) lists[e.gsi] = [route];
      else l.push(route);
    }
    const reverse = new Map<number, PinMap>();
    for (const [irqchip, r] of revPins) reverse.set(irqchip, PinMap.build(r.pins, r.gsis));
    return new RoutingTable(entries, nr, lists, reverse, false, null);
  }

  /** The same entries with chips resolved again (a controller came or went). */
  recompile(chips: ChipResolver): RoutingTable {
    if (this.identity) return RoutingTable.identity(chips);
    if (this.entries.length === 0) return this;
    return RoutingTable.build(this.entries, chips);
  }

  /** kvm_irq_map_gsi: the routes of `gsi` (empty when unrouted or out of range). */
  routes(gsi: number): readonly CompiledRoute[] {
    if (this.identity) {
      const c = this.identityChip;
      if (c === null || gsi >= c.pins) return NO_ROUTES;
      return [new CompiledRoute(KVM_IRQ_ROUTING_IRQCHIP, gsi, c, 0, gsi, null, null)];
    }
    return (gsi < this.nrRtEntries ? this.map[gsi] : null) ?? NO_ROUTES;
  }

  /** kvm_irq_map_chip_pin: the GSI an ack of (irqchip, pin) notifies, or -1. */
  ackGsi(irqchip: number, pin: number): number {
    if (this.identity) return pin;
    const m = this.reverse.get(irqchip);
    return m === undefined ? -1 : m.get(pin);
  }
}
