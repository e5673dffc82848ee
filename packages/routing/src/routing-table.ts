/**
 * The GSI routing table (kvm_irq_routing_table) as an immutable, precompiled value, laid out
 * flat (typed arrays; no object per route or per GSI):
 *
 *   first[gsi] .. first[gsi + 1] - 1   the route slots of `gsi`, in userspace array order
 *   slot columns (typed arrays)        type, gsi, flags, irqchip, pin,
 *                                      target (index into `targets`), item (index into `items`)
 *   targets                            [MSI controller, adapter controller, one per irqchip named]
 *   items                              the MSI messages and adapter routes (the only objects kept)
 *   order[i]                           the slot of the i-th entry of the userspace array
 *   reverse                            irqchip -> pin -> gsi (the last entry naming a pin wins)
 *
 * A table is built completely, then published by swapping one reference (routing-irqfd.md §5):
 * an injection that already holds the old table finishes with the old routes, and every later
 * lookup sees the new table. Nothing in a published table is ever written again; what leaves
 * it (`entries`, `routes`) is a copy.
 *
 * Controllers are resolved when the table is built and again whenever one registers or goes
 * away (a new table sharing every column, with a new `targets` of a few elements): a route
 * naming a chip that does not exist is kept, as KVM keeps it, and injects nothing (-1).
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

/** One route of a GSI as `routes()` reports it (a copy; the table itself keeps columns). */
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
  private readonly dense: Int32Array | null;
  private readonly sparse: Map<number, number> | null;

  /** For `count` routes whose largest pin is `maxPin`. */
  constructor(count: number, maxPin: number) {
    this.dense = maxPin < 4 * count + 1024 ? new Int32Array(maxPin + 1).fill(-1) : null;
    this.sparse = this.dense === null ? new Map() : null;
  }

  /** Build-time only (the table is not published yet): the later call wins. */
  set(pin: number, gsi: number): void {
    if (this.dense !== null) this.dense[pin] = gsi;
    else this.sparse!.set(pin, gsi);
  }

  get(pin: number): number {
    const d = this.dense;
    if (d !== null) return pin >= 0 && pin < d.length ? d[pin] : -1;
    return this.sparse!.get(pin) ?? -1;
  }
}

const NO_ROUTES: readonly CompiledRoute[] = [];
const EMPTY_REVERSE: ReadonlyMap<number, PinMap> = new Map();
/** Target indexes: 0 the MSI controller, 1 the adapter controller, 2.. the irqchips named. */
const TARGET_MSI = 0;
const TARGET_ADAPTER = 1;
const TARGET_IRQCHIP0 = 2;
let nextVersion = 1;

export class RoutingTable {
  /** Increases with every table built (publication order). */
  readonly version = nextVersion++;

  private constructor(
    /** Largest GSI present + 1 (at least 1), KVM's nr_rt_entries (0 for the identity). */
    readonly nrRtEntries: number,
    /** CSR offsets, length nrRtEntries + 1: the slots of `gsi` are first[gsi] .. first[gsi+1]-1. */
    readonly first: Int32Array,
    /** Per slot: route type, GSI, entry flags, irqchip number and pin (IRQCHIP routes). */
    readonly type: Uint8Array,
    readonly gsi: Uint32Array,
    readonly flags: Uint32Array,
    readonly irqchip: Uint32Array,
    readonly pin: Uint32Array,
    /** Per slot: the index of its controller in `targets`. */
    readonly target: Int32Array,
    /** Per slot: the index of its MSI message / adapter route in `items` (-1 for IRQCHIP). */
    readonly item: Int32Array,
    /** The irqchip number of each target from TARGET_IRQCHIP0 on. */
    private readonly targetIrqchips: readonly number[],
    /** The controllers, resolved: [MSI, adapter, irqchip targets...] (null: none registered). */
    readonly targets: readonly (IrqChip | null)[],
    /** The MSI messages and adapter routes, in userspace array order. */
    readonly items: readonly (MsiMessage | AdapterRoute)[],
    /** order[i] = the slot of the i-th entry of the userspace array. */
    readonly order: Int32Array,
    /** irqchip -> pin -> gsi. */
    private readonly reverse: ReadonlyMap<number, PinMap>,
    /** book3s identity: the controller every GSI goes to, when `identity`. */
    readonly identity: boolean,
    readonly identityChip: IrqChip | null,
  ) {}

  /** The empty table every VM has at least (nr_rt_entries = 1, nothing routed). */
  static empty(): RoutingTable {
    return RoutingTable.build([], null);
  }

  /** book3s: GSI n -> chip index 0, pin n. */
  static identity(chips: ChipResolver): RoutingTable {
    const u = new Uint32Array(0);
    const i = new Int32Array(0);
    return new RoutingTable(0, new Int32Array(1), new Uint8Array(0), u, u, u, u, i, i, [], [], [], i, EMPTY_REVERSE, true, chips.chipByIndex(0));
  }

  /**
   * Compiles validated entries (IRQCHIP, MSI and S390_ADAPTER only), in one pass plus a
   * counting sort. The MSI messages and adapter routes are kept as given: the caller hands
   * over copies it owns.
   */
  static build(entries: readonly RoutingEntry[], chips: ChipResolver | null): RoutingTable {
    const n = entries.length;
    let maxGsi = 0;
    for (let i = 0; i < n; i++) if (entries[i].gsi > maxGsi) maxGsi = entries[i].gsi;
    const nr = maxGsi + 1;
    // Counting sort by GSI, stable: a GSI's slots keep the userspace array order.
    const first = new Int32Array(nr + 1);
    for (let i = 0; i < n; i++) first[entries[i].gsi + 1]++;
    for (let g = 0; g < nr; g++) first[g + 1] += first[g];
    const fill = first.slice(0, nr);
    const type = new Uint8Array(n);
    const gsi = new Uint32Array(n);
    const flags = new Uint32Array(n);
    const irqchip = new Uint32Array(n);
    const pin = new Uint32Array(n);
    const target = new Int32Array(n);
    const item = new Int32Array(n).fill(-1);
    const order = new Int32Array(n);
    const items: (MsiMessage | AdapterRoute)[] = [];
    // Irqchip targets (tables name few: the last one is remembered), with the reverse map's
    // sizes: route count and largest pin per irqchip.
    const targetIrqchips: number[] = [];
    const counts: number[] = [];
    const maxPins: number[] = [];
    let lastIrqchip = -1;
    let lastTarget = -1;
    for (let i = 0; i < n; i++) {
      const e = entries[i];
      const s = fill[e.gsi]++;
      order[i] = s;
      type[s] = e.type;
      gsi[s] = e.gsi;
      flags[s] = e.flags;
      switch (e.type) {
        case KVM_IRQ_ROUTING_IRQCHIP: {
          irqchip[s] = e.irqchip;
          pin[s] = e.pin;
          if (e.irqchip !== lastIrqchip) {
            lastIrqchip = e.irqchip;
            let k = targetIrqchips.indexOf(lastIrqchip);
            if (k < 0) {
              k = targetIrqchips.push(lastIrqchip) - 1;
              counts.push(0);
              maxPins.push(0);
            }
            lastTarget = k;
          }
          target[s] = TARGET_IRQCHIP0 + lastTarget;
          counts[lastTarget]++;
          if (e.pin > maxPins[lastTarget]) maxPins[lastTarget] = e.pin;
          break;
        }
        case KVM_IRQ_ROUTING_MSI:
          target[s] = TARGET_MSI;
          item[s] = items.push(e.msi) - 1;
          break;
        case KVM_IRQ_ROUTING_S390_ADAPTER:
          target[s] = TARGET_ADAPTER;
          item[s] = items.push(e.adapter) - 1;
          break;
      }
    }
    // kvm_irq_map_chip_pin's table: the entry processed last wins.
    let reverse = EMPTY_REVERSE;
    if (targetIrqchips.length > 0) {
      const maps: PinMap[] = [];
      const byIrqchip = new Map<number, PinMap>();
      for (let k = 0; k < targetIrqchips.length; k++) {
        const m = new PinMap(counts[k], maxPins[k]);
        maps.push(m);
        byIrqchip.set(targetIrqchips[k], m);
      }
      for (let i = 0; i < n; i++) {
        const s = order[i];
        if (type[s] === KVM_IRQ_ROUTING_IRQCHIP) maps[target[s] - TARGET_IRQCHIP0].set(pin[s], gsi[s]);
      }
      reverse = byIrqchip;
    }
    const targets = resolveTargets(targetIrqchips, chips);
    return new RoutingTable(nr, first, type, gsi, flags, irqchip, pin, target, item, targetIrqchips, targets, items, order, reverse, false, null);
  }

  /** The same routes with their controllers resolved again (a controller came or went). */
  recompile(chips: ChipResolver): RoutingTable {
    if (this.identity) return RoutingTable.identity(chips);
    if (this.order.length === 0) return this;
    return new RoutingTable(
      this.nrRtEntries,
      this.first,
      this.type,
      this.gsi,
      this.flags,
      this.irqchip,
      this.pin,
      this.target,
      this.item,
      this.targetIrqchips,
      resolveTargets(this.targetIrqchips, chips),
      this.items,
      this.order,
      this.reverse,
      false,
      null,
    );
  }

  /** Number of entries (routes). */
  get size(): number {
    return this.order.length;
  }

  /** The entries in the order they were set, as fresh copies. */
  get entries(): RoutingEntry[] {
    const out: RoutingEntry[] = new Array(this.order.length);
    for (let i = 0; i < out.length; i++) out[i] = this.entryAt(this.order[i]);
    return out;
  }

  private entryAt(s: number): RoutingEntry {
    const gsi = this.gsi[s];
    const flags = this.flags[s];
    switch (this.type[s]) {
      case KVM_IRQ_ROUTING_IRQCHIP:
        return { gsi, type: KVM_IRQ_ROUTING_IRQCHIP, flags, irqchip: this.irqchip[s], pin: this.pin[s] };
      case KVM_IRQ_ROUTING_MSI:
        return { gsi, type: KVM_IRQ_ROUTING_MSI, flags, msi: { ...(this.items[this.item[s]] as MsiMessage) } };
      default:
        return { gsi, type: KVM_IRQ_ROUTING_S390_ADAPTER, flags, adapter: { ...(this.items[this.item[s]] as AdapterRoute) } };
    }
  }

  /** kvm_irq_map_gsi: the routes of `gsi` (empty when unrouted or out of range), as copies. */
  routes(gsi: number): readonly CompiledRoute[] {
    if (this.identity) {
      const c = this.identityChip;
      if (c === null || !(gsi >= 0 && gsi < c.pins)) return NO_ROUTES;
      return [new CompiledRoute(KVM_IRQ_ROUTING_IRQCHIP, gsi, c, 0, gsi, null, null)];
    }
    if (!(gsi >= 0 && gsi < this.nrRtEntries)) return NO_ROUTES;
    const out: CompiledRoute[] = [];
    for (let s = this.first[gsi]; s < this.first[gsi + 1]; s++) {
      const t = this.type[s];
      const p = this.item[s] < 0 ? null : this.items[this.item[s]];
      out.push(
        new CompiledRoute(
          t,
          gsi,
          this.targets[this.target[s]],
          this.irqchip[s],
          this.pin[s],
          t === KVM_IRQ_ROUTING_MSI ? { ...(p as MsiMessage) } : null,
          t === KVM_IRQ_ROUTING_S390_ADAPTER ? { ...(p as AdapterRoute) } : null,
        ),
      );
    }
    return out;
  }

  /** kvm_irq_map_chip_pin: the GSI an ack of (irqchip, pin) notifies, or -1. */
  ackGsi(irqchip: number, pin: number): number {
    if (this.identity) return pin;
    const m = this.reverse.get(irqchip);
    return m === undefined ? -1 : m.get(pin);
  }
}

/** [MSI controller, adapter controller, the controller of each irqchip named]. */
function resolveTargets(irqchips: readonly number[], chips: ChipResolver | null): (IrqChip | null)[] {
  const out: (IrqChip | null)[] = [chips?.msiChip ?? null, chips?.adapterChip ?? null];
  for (const c of irqchips) out.push(chips === null ? null : chips.chipByIndex(c));
  return out;
}
