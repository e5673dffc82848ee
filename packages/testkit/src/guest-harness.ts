/**
 * Drives a controller the way the comparison runner does, for tests: one VM with routing and
 * the plugin, the plugin's guest driver attached, one GSI + irqfd per configured source, and
 * a recording handler. Small enough to reason about in a test.
 */
import {
  createVm,
  GuestDriverContribution,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_IRQ_ROUTING_S390_ADAPTER,
  type Arch,
  type ContainerModule,
  type GuestDriver,
  type RouteSpec,
  type RoutingEntry,
  type SourceSpec,
  type Vm,
} from "@irqlab/core";
import routingModule, { EventFd, GsiRouting, KVM_IRQFD_FLAG_RESAMPLE } from "@irqlab/routing";

export interface HarnessSource {
  readonly spec: SourceSpec;
  readonly gsi: number;
  readonly route: RouteSpec;
  readonly efd: EventFd;
  readonly resamplefd: EventFd | null;
}

export function routeToEntry(gsi: number, r: RouteSpec): RoutingEntry {
  switch (r.type) {
    case "irqchip":
      return { gsi, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: r.irqchip, pin: r.pin };
    case "msi":
      return { gsi, type: KVM_IRQ_ROUTING_MSI, flags: r.msi.flags, msi: { ...r.msi } };
    case "adapter":
      return { gsi, type: KVM_IRQ_ROUTING_S390_ADAPTER, flags: 0, adapter: { ...r.adapter } };
  }
}

export class GuestHarness {
  readonly vm: Vm;
  readonly driver: GuestDriver;
  readonly routing: GsiRouting;
  readonly sources: HarnessSource[] = [];
  /** Source indexes (or IPI_SOURCE) in the order the handler saw them, per vCPU. */
  readonly handled: number[][];

  constructor(module: ContainerModule, arch: Arch, driverId: string, vcpus = 2) {
    this.vm = createVm({ arch, vcpus, modules: [routingModule, module] });
    const list = this.vm.getAll<GuestDriverContribution>(GuestDriverContribution);
    const contribution = list.find((c) => c.id === driverId);
    if (!contribution) throw new Error(`no guest driver "${driverId}" in the plugin module`);
    this.driver = contribution.attach(this.vm);
    this.routing = this.vm.get(GsiRouting);
    this.handled = this.vm.vcpus.map(() => []);
  }

  /** Configures sources and routes GSI i+1 to source i (one irqfd each). */
  configure(specs: readonly SourceSpec[]): void {
    const entries: RoutingEntry[] = [];
    for (const spec of specs) {
      const gsi = this.sources.length + 1;
      const route = this.driver.configureSource(spec);
      entries.push(routeToEntry(gsi, route));
      const efd = EventFd.create();
      const resamplefd = spec.trigger === "level" ? EventFd.create() : null;
      this.sources.push({ spec, gsi, route, efd, resamplefd });
    }
    this.routing.setGsiRouting(entries);
    for (const s of this.sources) {
      this.routing.irqfd(
        s.resamplefd
          ? { fd: s.efd, gsi: s.gsi, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: s.resamplefd }
          : { fd: s.efd, gsi: s.gsi },
      );
    }
  }

  /** Runs every vCPU whose interrupt line is up until all lines are down (bounded). */
  serviceAll(maxRounds = 64): number {
    let total = 0;
    for (let round = 0; round < maxRounds; round++) {
      let any = false;
      for (const v of this.vm.vcpus) {
        if (v.ext.asserted || v.crit.asserted) {
          any = true;
          total += this.driver.service(v, (src) => this.handled[v.id].push(src));
        }
      }
      if (!any) return total;
    }
    return total;
  }
}
