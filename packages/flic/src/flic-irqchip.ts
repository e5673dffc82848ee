/**
 * The IrqChip routing sees on s390 (KVM_NR_IRQCHIPS = 1, KVM_IRQCHIP_NUM_PINS = 1): it accepts
 * only KVM_IRQ_ROUTING_S390_ADAPTER entries (kvm_set_routing_entry: any other type EINVAL;
 * summary_addr then ind_addr translated now, EFAULT when not backed; the adapter id is not
 * checked until injection) and delivers them with set_adapter_int. There are no pins to
 * raise: setIrq answers -1 (not delivered). There is no MSI.
 */
import {
  Errno,
  fail,
  KVM_IRQ_ROUTING_S390_ADAPTER,
  type AdapterRoute,
  type IrqChip,
  type RoutingEntry,
} from "@irqlab/core";
import { KVM_IRQCHIP_NUM_PINS_S390 } from "./constants.js";
import type { S390Interrupts } from "./s390-interrupts.js";

export class FlicIrqChip implements IrqChip {
  readonly name = "flic";
  readonly index = 0;
  readonly pins = KVM_IRQCHIP_NUM_PINS_S390;
  readonly routeTypes: readonly number[] = [KVM_IRQ_ROUTING_S390_ADAPTER];

  constructor(private readonly state: S390Interrupts) {}

  setIrq(): number {
    return -1;
  }

  deliverAdapter(route: AdapterRoute, level: number): number {
    return this.state.setAdapterInt(route, level);
  }

  validateRoute(entry: RoutingEntry): void {
    if (entry.type !== KVM_IRQ_ROUTING_S390_ADAPTER) {
      fail(Errno.EINVAL, `s390 routing accepts only S390_ADAPTER entries (GSI ${entry.gsi} has type ${entry.type})`);
    }
    const a = entry.adapter;
    const mem = this.state.vm.memory;
    if (!mem.isMapped(a.summaryAddr)) {
      fail(Errno.EFAULT, `adapter route GSI ${entry.gsi}: summary_addr 0x${a.summaryAddr.toString(16)} is not guest memory`);
    }
    if (!mem.isMapped(a.indAddr)) {
      fail(Errno.EFAULT, `adapter route GSI ${entry.gsi}: ind_addr 0x${a.indAddr.toString(16)} is not guest memory`);
    }
  }

  hasCapability(cap: string): boolean {
    return cap === "adapter";
  }
}
