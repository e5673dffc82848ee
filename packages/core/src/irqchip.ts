/**
 * The IrqChip contract: what routing calls to inject, and what a controller plugin
 * implements (pattern: one chip contract in core, extras in extension interfaces).
 *
 *   routing --setIrq(pin, level, sourceId)--> chip      (IRQCHIP routes, KVM_IRQ_LINE)
 *   routing --deliverMsi(msg, level, src)---> chip      (MSI routes, KVM_SIGNAL_MSI)
 *   routing --deliverAdapter(route, level)--> chip      (S390_ADAPTER routes)
 *   chip ----ackNotifiers.notify(chip, pin)--> routing  (guest EOI of a level source)
 *
 * Return values keep KVM's meaning: < 0 not delivered (ignored), 0 coalesced or masked,
 * > 0 delivered (number of CPUs reached).
 */
import type { AdapterRoute, MsiMessage, RoutingEntry } from "./routes.js";
import { Errno, fail } from "./kvm-error.js";

export interface IrqChip {
  /** "xics", "mpic", "flic" ... */
  readonly name: string;
  /** The `irqchip` number routing entries use for this chip (KVM's irqchip index). */
  readonly index: number;
  /** Number of pins IRQCHIP routes may name (KVM_IRQCHIP_NUM_PINS for this chip). */
  readonly pins: number;
  /** KVM_IRQ_ROUTING_* types this chip accepts. */
  readonly routeTypes: readonly number[];
  /**
   * `lineStatus` is true only for KVM_IRQ_LINE_STATUS (kvm_set_irq's line_status: x86's RTC
   * coalescing tracks those injections alone); other callers leave it out.
   */
  setIrq(pin: number, level: number, sourceId: number, lineStatus?: boolean): number;
  deliverMsi?(msg: MsiMessage, level: number, sourceId: number): number;
  deliverAdapter?(route: AdapterRoute, level: number): number;
  /**
   * Architecture conversion of one routing entry (kvm_set_routing_entry): throw a KvmError
   * with KVM's errno to refuse it. Runs during validation, before anything is published.
   */
  validateRoute?(entry: RoutingEntry): void;
  /**
   * Registering this chip replaces the VM's routing table with an empty one (KVM's MPIC
   * create calls kvm_set_irq_routing(kvm, NULL, 0, 0)).
   */
  readonly resetsRouting?: boolean;
  /** Optional capabilities (e.g. "resample", "msi", "adapter"). */
  hasCapability?(cap: string): boolean;
}

/** The chips registered in a VM, by route index. Controllers register on create. */
export class IrqChipRegistry {
  private chips: IrqChip[] = [];
  private listeners: Array<() => void> = [];

  register(chip: IrqChip): void {
    if (this.chips.some((c) => c.index === chip.index)) {
      fail(Errno.EEXIST, `irqchip index ${chip.index} is taken (registering ${chip.name})`);
    }
    this.chips.push(chip);
    for (const l of this.listeners) l();
  }

  unregister(chip: IrqChip): void {
    const before = this.chips.length;
    this.chips = this.chips.filter((c) => c !== chip);
    if (this.chips.length !== before) for (const l of this.listeners) l();
  }

  byIndex(index: number): IrqChip | undefined {
    for (const c of this.chips) if (c.index === index) return c;
    return undefined;
  }

  /** The chips accepting a route type, in registration order. */
  accepting(type: number): IrqChip[] {
    return this.chips.filter((c) => c.routeTypes.includes(type));
  }

  list(): readonly IrqChip[] {
    return this.chips;
  }

  get size(): number {
    return this.chips.length;
  }

  onChange(fn: () => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }
}

export type AckListener = (chip: IrqChip, pin: number) => void;

/**
 * Ack notifiers (kvm_notify_acked_irq): a controller calls `notify(chip, pin)` when the guest
 * EOIs a level-triggered source; routing turns (chip, pin) into a GSI and runs that GSI's
 * notifiers (irqfd resample). With no listener it costs one length check.
 */
export class AckNotifiers {
  private listeners: AckListener[] = [];
  notified = 0;

  subscribe(fn: AckListener): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  notify(chip: IrqChip, pin: number): void {
    this.notified++;
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i](chip, pin);
  }
}
