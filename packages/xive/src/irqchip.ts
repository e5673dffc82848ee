/**
 * The IrqChip routing injects into: irqchip 0, one pin per source number (2^20 pins),
 * IRQCHIP routes only (book3s: a GSI is the source number). `setIrq` is kvm_set_irq for the
 * native device (kvmppc_xive_set_irq): -EINVAL for a missing, invalid or passed-through
 * source, else 0. Native XIVE never runs ack notifiers: the guest EOIs on the ESB page, which
 * KVM never sees (KVM_CAP_IRQFD_RESAMPLE is not supported on XIVE hosts).
 */
import { SourceNumberIrqChip } from "@irqlab/xics";
import { KVMPPC_XIVE_NR_IRQS } from "./constants.js";
import type { XiveNative } from "./xive.js";

export const XIVE_IRQCHIP_INDEX = 0;

/** Native XIVE: no "resample" (the guest's ESB EOI never reaches KVM's ack notifiers). */
export class XiveIrqChip extends SourceNumberIrqChip {
  constructor(xive: XiveNative) {
    super("xive", KVMPPC_XIVE_NR_IRQS, xive, "XIVE", ["level"]);
  }
}
