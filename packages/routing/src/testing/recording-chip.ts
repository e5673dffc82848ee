/**
 * A controller for tests and benchmarks: implements core's IrqChip, records what routing
 * calls, returns results the test chooses, keeps the input level per (pin, source id) the way
 * x86's PIC/IOAPIC do, and reports guest acks on demand (`ack(pin)`).
 *
 * Register it directly (`new RecordingChip(opts).attach(vm)`) or as a device through
 * `recordingChipModule(opts)` (KVM_CREATE_DEVICE registers it, release/destroy unregisters),
 * which is how real controllers arrive.
 */
import {
  ContainerModule,
  DeviceContribution,
  KVM_DEV_TYPE_LOONGARCH_PCHPIC,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_IRQ_ROUTING_S390_ADAPTER,
  type AdapterRoute,
  type Arch,
  type DeviceBackend,
  type IrqChip,
  type MsiMessage,
  type RoutingEntry,
  type Vm,
} from "@irqlab/core";

export interface RecordedCall {
  readonly kind: "irq" | "msi" | "adapter";
  /** Pin for "irq" (-1 otherwise). */
  readonly pin: number;
  readonly level: number;
  readonly sourceId: number;
  readonly msg?: MsiMessage;
  readonly route?: AdapterRoute;
}

export interface RecordingChipOptions {
  name?: string;
  /** Irqchip number routes use (default 0). */
  index?: number;
  /** Pins (default 256). */
  pins?: number;
  /** Accepted route types (default IRQCHIP and MSI). */
  routeTypes?: readonly number[];
  /** Registering it installs an empty routing table (like the FSL MPIC). */
  resetsRouting?: boolean;
  /** Extra route checks (throw a KvmError to refuse). */
  validateRoute?: (entry: RoutingEntry) => void;
  /** Record each call in `calls` (default true; benchmarks turn it off). */
  record?: boolean;
}

export type ResultFn = (call: RecordedCall) => number;

export class RecordingChip implements IrqChip {
  readonly name: string;
  readonly index: number;
  readonly pins: number;
  readonly routeTypes: readonly number[];
  readonly resetsRouting: boolean;
  readonly calls: RecordedCall[] = [];
  record: boolean;
  /** What setIrq / deliverMsi / deliverAdapter return: a number, or computed per call. */
  result: number | ResultFn = 1;
  irqCalls = 0;
  msiCalls = 0;
  adapterCalls = 0;
  vm: Vm | null = null;
  private readonly levels = new Map<number, Map<number, number>>();
  private readonly extraValidate?: (entry: RoutingEntry) => void;

  constructor(opts: RecordingChipOptions = {}) {
    this.name = opts.name ?? "recording-chip";
    this.index = opts.index ?? 0;
    this.pins = opts.pins ?? 256;
    this.routeTypes = opts.routeTypes ?? [KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI];
    this.resetsRouting = opts.resetsRouting ?? false;
    this.record = opts.record ?? true;
    this.extraValidate = opts.validateRoute;
  }

  setIrq(pin: number, level: number, sourceId: number): number {
    this.irqCalls++;
    if (!this.record && typeof this.result === "number") return this.result;
    let bySource = this.levels.get(pin);
    if (!bySource) this.levels.set(pin, (bySource = new Map()));
    bySource.set(sourceId, level);
    return this.finish({ kind: "irq", pin, level, sourceId });
  }

  deliverMsi(msg: MsiMessage, level: number, sourceId: number): number {
    this.msiCalls++;
    if (!this.record && typeof this.result === "number") return this.result;
    return this.finish({ kind: "msi", pin: -1, level, sourceId, msg: { ...msg } });
  }

  deliverAdapter(route: AdapterRoute, level: number): number {
    this.adapterCalls++;
    if (!this.record && typeof this.result === "number") return this.result;
    return this.finish({ kind: "adapter", pin: -1, level, sourceId: 0, route: { ...route } });
  }

  validateRoute(entry: RoutingEntry): void {
    this.extraValidate?.(entry);
  }

  private finish(call: RecordedCall): number {
    if (this.record) this.calls.push(call);
    return typeof this.result === "number" ? this.result : this.result(call);
  }

  /** The level last set on (pin, source id), 0 if never. */
  sourceLevel(pin: number, sourceId: number): number {
    return this.levels.get(pin)?.get(sourceId) ?? 0;
  }

  /** The pin's input: asserted when any source holds it non-zero (x86 PIC/IOAPIC rule). */
  line(pin: number): boolean {
    const m = this.levels.get(pin);
    if (!m) return false;
    for (const v of m.values()) if (v !== 0) return true;
    return false;
  }

  /** Calls recorded for `pin`, as [level, sourceId] pairs. */
  pinCalls(pin: number): Array<[number, number]> {
    return this.calls.filter((c) => c.kind === "irq" && c.pin === pin).map((c) => [c.level, c.sourceId]);
  }

  /** The guest EOIs `pin`: ack notifiers run (irqfd resample). */
  ack(pin: number): void {
    if (!this.vm) throw new Error(`${this.name} is not attached to a VM`);
    this.vm.ackNotifiers.notify(this, pin);
  }

  clear(): void {
    this.calls.length = 0;
    this.irqCalls = this.msiCalls = this.adapterCalls = 0;
  }

  /** Registers the chip in `vm` (as a controller's create does). */
  attach(vm: Vm): this {
    vm.irqchips.register(this);
    this.vm = vm;
    return this;
  }

  detach(): void {
    if (this.vm) this.vm.irqchips.unregister(this);
  }
}

/** The backend a recording-chip device has (`handle.backend<RecordingChipBackend>().chip`). */
export interface RecordingChipBackend extends DeviceBackend {
  readonly chip: RecordingChip;
}

/**
 * A plugin module whose device (type `type`, default 14, a LoongArch number no modelled
 * architecture uses) creates and registers a RecordingChip.
 */
export function recordingChipModule(
  opts: RecordingChipOptions & { arch?: readonly Arch[]; type?: number } = {},
): ContainerModule {
  const type = opts.type ?? KVM_DEV_TYPE_LOONGARCH_PCHPIC;
  return new ContainerModule(({ bind }) => {
    bind<DeviceContribution>(DeviceContribution).toConstantValue({
      name: "kvm-recording-chip",
      types: [type],
      arch: opts.arch ?? ["ppc64", "ppc-booke", "s390x"],
      create: ({ vm }): RecordingChipBackend => {
        const chip = new RecordingChip(opts).attach(vm);
        return {
          chip,
          release: () => chip.detach(),
          destroy: () => chip.detach(),
        };
      },
    });
  });
}

/** Route types of a FLIC-like chip (adapter routes only). */
export const ADAPTER_ROUTE_TYPES: readonly number[] = [KVM_IRQ_ROUTING_S390_ADAPTER];
