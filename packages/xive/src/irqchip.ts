/**
 * The IrqChip routing injects into: irqchip 0, one pin per source number (2^20 pins),
 * IRQCHIP routes only (book3s: a GSI is the source number). `setIrq` is kvm_set_irq for the
 * native device (kvmppc_xive_set_irq): -EINVAL for a missing, invalid or passed-through
 * source, else 0. Native XIVE never runs ack notifiers: the guest EOIs on the ESB page, which
 * KVM never sees (KVM_CAP_IRQFD_RESAMPLE is not supported on XIVE hosts).
 */
import { Errno, KVM_IRQ_ROUTING_IRQCHIP, fail, type IrqChip, type RoutingEntry } from "@irqlab/core";
import { KVMPPC_XIVE_NR_IRQS } from "./constants.js";
import type { XiveNative } from "./xive.js";

export const XIVE_IRQCHIP_INDEX = 0;

export class XiveIrqChip implements IrqChip {
  readonly name = "xive";
  readonly index = XIVE_IRQCHIP_INDEX;
  readonly pins = KVMPPC_XIVE_NR_IRQS;
  readonly routeTypes: readonly number[] = [KVM_IRQ_ROUTING_IRQCHIP];

  constructor(private readonly xive: XiveNative) {}

  setIrq(pin: number, level: number, _sourceId: number): number {
    return this.xive.setIrq(pin, level);
  }

  validateRoute(entry: RoutingEntry): void {
    if (entry.type !== KVM_IRQ_ROUTING_IRQCHIP) fail(Errno.EINVAL, `XIVE accepts IRQCHIP routes only (type ${entry.type})`);
    if (entry.irqchip !== XIVE_IRQCHIP_INDEX) fail(Errno.EINVAL, `XIVE is irqchip ${XIVE_IRQCHIP_INDEX}, not ${entry.irqchip}`);
    if (!Number.isInteger(entry.pin) || entry.pin < 0 || entry.pin >= KVMPPC_XIVE_NR_IRQS) {
      fail(Errno.EINVAL, `XIVE pin ${entry.pin} (0..${KVMPPC_XIVE_NR_IRQS - 1})`);
    }
  }

  hasCapability(cap: string): boolean {
    return cap === "level";
  }
}
