/**
 * The MPIC as routing sees it (kvm_set_routing_entry / mpic_set_irq / kvm_set_msi):
 * irqchip 0 with 256 pins (the SRC sources), IRQCHIP and MSI routes. Both callbacks always
 * return 0, as the kernel's do, so KVM_IRQ_LINE_STATUS reports 0 for any routed GSI.
 */
import {
  Errno,
  fail,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  type IrqChip,
  type MsiMessage,
  type RoutingEntry,
} from "@irqlab/core";
import { MAX_IRQ, MAX_SRC } from "./constants.js";
import type { OpenPic } from "./openpic.js";

export const MPIC_IRQCHIP_INDEX = 0;

export class MpicIrqChip implements IrqChip {
  readonly name = "mpic";
  readonly index = MPIC_IRQCHIP_INDEX;
  /** 256 SRC pins; 264 with quirk ipiTimerInputs (QEMU's IPI and timer inputs). */
  readonly pins: number;
  readonly routeTypes: readonly number[] = [KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI];
  /** mpic_create installs an empty routing table (mpic_set_default_irq_routing). */
  readonly resetsRouting = true;

  constructor(private readonly opp: OpenPic) {
    this.pins = opp.quirks.ipiTimerInputs ? MAX_IRQ : MAX_SRC;
  }

  /**
   * mpic_set_irq: the level goes to the source unchanged (any int; the irq source id is
   * ignored: every injector writes the same single input). Returns 0.
   */
  setIrq(pin: number, level: number, _sourceId: number): number {
    this.opp.setIrq(pin, level);
    return 0;
  }

  /** kvm_set_msi: an MSIIR write with the route's data; address and level are ignored. */
  deliverMsi(msg: MsiMessage, _level: number, _sourceId: number): number {
    this.opp.writeMsiir(msg.data >>> 0);
    return 0;
  }

  /** kvm_set_routing_entry on e500: IRQCHIP pin < 256 (irqchip index unchecked), MSI any. */
  validateRoute(entry: RoutingEntry): void {
    if (entry.type === KVM_IRQ_ROUTING_IRQCHIP) {
      const pin = (entry as { pin: number }).pin;
      if (!(pin >>> 0 < this.pins)) fail(Errno.EINVAL, `MPIC route pin ${pin} (must be < ${this.pins})`);
      return;
    }
    if (entry.type === KVM_IRQ_ROUTING_MSI) return;
    fail(Errno.EINVAL, `MPIC does not take routing entries of type ${entry.type}`);
  }

  hasCapability(cap: string): boolean {
    return cap === "msi" || cap === "resample" || cap === "level";
  }
}
