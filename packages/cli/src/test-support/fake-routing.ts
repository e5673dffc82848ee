/**
 * Test double of the routing package (the RoutingLib contract): a GSI table, eventfds and
 * irqfds with resample, enough for the runner's tests to run without @irqlab/routing.
 * Semantics follow routing-irqfd.md: an edge irqfd pulses its GSI; a resample irqfd holds
 * the line (source id 1) until the controller's ack notifier, then lowers it and signals
 * the resamplefd.
 */
import {
  AckNotifiersToken,
  ContainerModule,
  IrqChipRegistryToken,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  type AckNotifiers,
  type IrqChip,
  type IrqChipRegistry,
  type RoutingEntry,
} from "@irqlab/core";
import type { EventFdLike, GsiRoutingLike, RoutingLib } from "../plugins.js";

export class FakeEventFd implements EventFdLike {
  counter = 0n;
  closed = false;
  onSignal: (() => void) | null = null;
  write(value: number | bigint): void {
    this.counter += BigInt(value);
    this.onSignal?.();
  }
  read(): bigint {
    const c = this.counter;
    this.counter = 0n;
    return c;
  }
  close(): void {
    this.closed = true;
  }
}

interface Irqfd {
  gsi: number;
  fd: FakeEventFd;
  resample: FakeEventFd | null;
  asserted: boolean;
}

export class FakeGsiRouting implements GsiRoutingLike {
  entries: RoutingEntry[] = [];
  private irqfds: Irqfd[] = [];

  constructor(
    private readonly chips: IrqChipRegistry,
    acks: AckNotifiers,
  ) {
    acks.subscribe((chip, pin) => this.acked(chip, pin));
  }

  setGsiRouting(entries: RoutingEntry[]): void {
    for (const e of entries) {
      if (e.type !== KVM_IRQ_ROUTING_IRQCHIP && e.type !== KVM_IRQ_ROUTING_MSI) throw new Error(`fake routing: type ${e.type}`);
    }
    this.entries = entries.map((e) => ({ ...e }));
  }

  irqLine(gsi: number, level: number): number {
    return this.set(gsi, level, 0);
  }

  irqfd(args: { fd: EventFdLike; gsi: number; flags?: number; resamplefd?: EventFdLike }): void {
    const fd = args.fd as FakeEventFd;
    const resample = (args.flags ?? 0) & 2 ? (args.resamplefd as FakeEventFd) : null;
    const irqfd: Irqfd = { gsi: args.gsi, fd, resample, asserted: false };
    this.irqfds.push(irqfd);
    fd.onSignal = () => {
      fd.read();
      if (irqfd.resample) {
        if (!irqfd.asserted) {
          irqfd.asserted = true;
          this.set(irqfd.gsi, 1, 1);
        }
      } else {
        this.set(irqfd.gsi, 1, 0);
        this.set(irqfd.gsi, 0, 0);
      }
    };
  }

  private set(gsi: number, level: number, sourceId: number): number {
    let ret = -1;
    for (const e of this.entries) {
      if (e.gsi !== gsi) continue;
      if (e.type === KVM_IRQ_ROUTING_IRQCHIP && "pin" in e) {
        const chip = this.chips.byIndex(e.irqchip);
        if (chip) ret = Math.max(ret, chip.setIrq(e.pin, level, sourceId));
      } else if (e.type === KVM_IRQ_ROUTING_MSI && "msi" in e) {
        for (const chip of this.chips.list()) if (chip.deliverMsi) ret = Math.max(ret, chip.deliverMsi(e.msi, level, sourceId));
      }
    }
    return ret;
  }

  private acked(chip: IrqChip, pin: number): void {
    for (const f of this.irqfds) {
      if (!f.resample || !f.asserted) continue;
      const routed = this.entries.some(
        (e) => e.gsi === f.gsi && e.type === KVM_IRQ_ROUTING_IRQCHIP && "pin" in e && e.irqchip === chip.index && e.pin === pin,
      );
      if (!routed) continue;
      f.asserted = false;
      this.set(f.gsi, 0, 1);
      f.resample.write(1);
    }
  }
}

export const FakeGsiRoutingToken = Symbol.for("irqlab.test.FakeGsiRouting");

export const fakeRoutingModule = new ContainerModule(({ bind }) => {
  bind(FakeGsiRoutingToken)
    .toDynamicValue(
      (ctx) => new FakeGsiRouting(ctx.get<IrqChipRegistry>(IrqChipRegistryToken), ctx.get<AckNotifiers>(AckNotifiersToken)),
    )
    .inSingletonScope();
});

export const fakeRoutingLib: RoutingLib = {
  specifier: "fake-routing",
  module: fakeRoutingModule,
  GsiRouting: FakeGsiRoutingToken,
  EventFd: { create: () => new FakeEventFd() },
  KVM_IRQFD_FLAG_RESAMPLE: 2,
};
