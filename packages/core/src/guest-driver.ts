/**
 * Guest drivers for the comparison runner. Each controller plugin contributes one, through
 * its ContainerModule, that drives the controller the way Linux's guest driver for it does
 * (XICS: H_XIRR / handler / H_EOI, IPIs by H_IPI; MPIC: IACK read / EOI write, IPIs by IPIDR;
 * FLIC: take the floating interrupt, scan adapter indicators). The CLI names no controller:
 * it multi-injects these.
 */
import type { Arch } from "./constants.js";
import type { DeviceHandle } from "./device.js";
import type { AdapterRoute, MsiMessage } from "./routes.js";
import type { Vcpu } from "./vcpu.js";
import type { Vm } from "./vm.js";

export const GuestDriverContribution = Symbol.for("irqlab.GuestDriverContribution");
export interface GuestDriverContribution {
  /** Stable id used on the command line ("xics", "mpic-4.2", "flic"). */
  readonly id: string;
  /** Column title in the comparison table. */
  readonly label: string;
  readonly arch: Arch;
  /**
   * The KVM_CREATE_DEVICE type the driver creates, or 0 when the controller comes from a VM
   * ioctl instead (x86's KVM_CREATE_IRQCHIP).
   */
  readonly deviceType: number;
  /** Creates the controller in `vm`, connects every vCPU, maps registers; returns the driver. */
  attach(vm: Vm): GuestDriver;
}

/** One interrupt source of a workload, as the guest configures it. */
export interface SourceSpec {
  /** Workload-level source number, 0-based and dense; passed back to the handler. */
  readonly index: number;
  readonly trigger: "edge" | "level";
  /** vCPU the guest targets this source at. */
  readonly vcpu: number;
  /** Guest priority hint, 0 = most favoured the driver uses; drivers map it to their scale. */
  readonly priority?: number;
}

/** How a GSI must be routed to reach a configured source. */
export type RouteSpec =
  | { readonly type: "irqchip"; readonly irqchip: number; readonly pin: number }
  | { readonly type: "msi"; readonly msi: MsiMessage }
  | { readonly type: "adapter"; readonly adapter: AdapterRoute };

/** The source number handlers receive for an inter-processor interrupt. */
export const IPI_SOURCE = -1;

export interface GuestDriver {
  /** The controller's device, or null when it has none (created by a VM ioctl). */
  readonly controller: DeviceHandle | null;
  /**
   * The controller's state in words (QEMU's `info pic`), for drivers whose controller is not
   * a device; otherwise the device backend's `dumpState()` is used.
   */
  dumpState?(): string;
  /** Configures a source as the guest would (target, priority, trigger, unmask). */
  configureSource(spec: SourceSpec): RouteSpec;
  /**
   * One external-interrupt entry of the vCPU, called while its interrupt line is asserted,
   * as Linux's do_IRQ runs it: acknowledge ONCE (one H_XIRR, one IACK read, one EPR read,
   * one floating-interrupt delivery), call `handler(source index or IPI_SOURCE)` for what
   * that acknowledgement delivered (a cascaded MSI bank or an adapter's indicators may cover
   * several sources), EOI. The caller enters again while the line stays asserted, as the
   * hardware re-raises the exception. Returns the number of handler calls (0: spurious).
   */
  service(vcpu: Vcpu, handler: (source: number) => void): number;
  /** Sends an IPI from `from` to vCPU `to` as the guest does. */
  sendIpi(from: Vcpu, to: number): void;
}
