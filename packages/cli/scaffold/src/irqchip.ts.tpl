/**
 * toy8 as routing sees it: irqchip 0 with 8 pins, IRQCHIP routes only. Registered in the VM's
 * irqchip registry when the device is created (vm.irqchips.register), unregistered on
 * teardown.
 */
import { Errno, fail, KVM_IRQ_ROUTING_IRQCHIP, type IrqChip, type RoutingEntry } from "@irqlab/core";
import { TOY8_PINS } from "./constants.js";
import type { Toy8Controller } from "./controller.js";

/** The `irqchip` number of toy8's IRQCHIP routes. */
export const TOY8_IRQCHIP_INDEX = 0;

export class Toy8IrqChip implements IrqChip {
  readonly name = "toy8";
  readonly index = TOY8_IRQCHIP_INDEX;
  readonly pins = TOY8_PINS;
  readonly routeTypes: readonly number[] = [KVM_IRQ_ROUTING_IRQCHIP];

  constructor(private readonly c: Toy8Controller) {}

  /** < 0 not delivered (bad pin), 0 coalesced or masked, > 0 delivered. Never throws. */
  setIrq(pin: number, level: number, sourceId: number): number {
    return this.c.setIrq(pin, level, sourceId);
  }

  /** KVM_SET_GSI_ROUTING: refuse what toy8 cannot take (the whole table is then refused). */
  validateRoute(entry: RoutingEntry): void {
    if (entry.type !== KVM_IRQ_ROUTING_IRQCHIP) fail(Errno.EINVAL, `toy8 takes IRQCHIP routes only (got type ${entry.type})`);
    if (!(entry.pin >>> 0 < TOY8_PINS)) fail(Errno.EINVAL, `toy8 route pin ${entry.pin} (must be < ${TOY8_PINS})`);
  }

  /** toy8's EOI reaches the hypervisor (a trapped MMIO write) and runs the ack notifiers. */
  hasCapability(cap: string): boolean {
    return cap === "resample" || cap === "level";
  }
}
