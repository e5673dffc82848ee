/**
 * Routing entries as the IrqChip contract sees them (struct kvm_irq_routing_entry, decoded).
 * The routing package owns the table, its codec and its validation; these types live in
 * core because a chip declares which of them it accepts and receives them on delivery.
 */
export const KVM_IRQ_ROUTING_IRQCHIP = 1;
export const KVM_IRQ_ROUTING_MSI = 2;
export const KVM_IRQ_ROUTING_S390_ADAPTER = 3;
export const KVM_IRQ_ROUTING_HV_SINT = 4;
export const KVM_IRQ_ROUTING_XEN_EVTCHN = 5;
export const KVM_MSI_VALID_DEVID = 1;

export const KVM_USERSPACE_IRQ_SOURCE_ID = 0;
export const KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID = 1;

/** struct kvm_msi / the msi member of a routing entry. */
export interface MsiMessage {
  addressLo: number;
  addressHi: number;
  data: number;
  flags: number;
  devid: number;
}

/** The s390 adapter member of a routing entry (guest addresses as numbers). */
export interface AdapterRoute {
  indAddr: number;
  summaryAddr: number;
  indOffset: number;
  summaryOffset: number;
  adapterId: number;
}

interface EntryBase {
  gsi: number;
  flags: number;
}
export interface IrqchipEntry extends EntryBase {
  type: typeof KVM_IRQ_ROUTING_IRQCHIP;
  irqchip: number;
  pin: number;
}
export interface MsiEntry extends EntryBase {
  type: typeof KVM_IRQ_ROUTING_MSI;
  msi: MsiMessage;
}
export interface AdapterEntry extends EntryBase {
  type: typeof KVM_IRQ_ROUTING_S390_ADAPTER;
  adapter: AdapterRoute;
}
export interface HvSintEntry extends EntryBase {
  type: typeof KVM_IRQ_ROUTING_HV_SINT;
  vcpu: number;
  sint: number;
}
export interface XenEvtchnEntry extends EntryBase {
  type: typeof KVM_IRQ_ROUTING_XEN_EVTCHN;
  port: number;
  vcpu: number;
  priority: number;
}
/** Any type number, including ones no kernel knows (they must still be refused with EINVAL). */
export interface UnknownEntry extends EntryBase {
  type: number;
}

export type RoutingEntry = IrqchipEntry | MsiEntry | AdapterEntry | HvSintEntry | XenEvtchnEntry;
