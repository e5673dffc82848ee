/**
 * GSIs of the comparison runner: one per configured source, from GSI_BASE up, each routed
 * the way the guest driver asked (RouteSpec -> routing entry).
 */
import {
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_IRQ_ROUTING_S390_ADAPTER,
  type RouteSpec,
  type RoutingEntry,
} from "@irqlab/core";

/** First GSI the runner routes (one GSI per source, below KVM_MAX_IRQ_ROUTES). */
export const GSI_BASE = 32;

export function routeTypeName(type: number): string {
  return type === KVM_IRQ_ROUTING_MSI ? "MSI" : type === KVM_IRQ_ROUTING_S390_ADAPTER ? "s390 adapter" : `type ${type}`;
}

export function routeEntry(gsi: number, r: RouteSpec): RoutingEntry {
  switch (r.type) {
    case "irqchip":
      return { gsi, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: r.irqchip, pin: r.pin };
    case "msi":
      // The message's flags (KVM_MSI_VALID_DEVID) are the entry's flags, as KVM_SET_GSI_ROUTING takes them.
      return { gsi, type: KVM_IRQ_ROUTING_MSI, flags: r.msi.flags ?? 0, msi: { ...r.msi } };
    case "adapter":
      return { gsi, type: KVM_IRQ_ROUTING_S390_ADAPTER, flags: 0, adapter: { ...r.adapter } };
  }
}

