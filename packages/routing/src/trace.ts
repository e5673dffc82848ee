/**
 * The routing package's trace-event catalogue. Emit only behind `if (tracer.enabled)`.
 */
import { traceEvents } from "@irqlab/core";

export type RoutingEvents = {
  /** A table was published (set by userspace, reset by a controller, or chips re-resolved). */
  "routing.table.update": { reason: string; entries: number; nrRtEntries: number };
  /** A KVM_SET_GSI_ROUTING was refused; the old table stays. */
  "routing.table.reject": { errno: number; message: string };
  "routing.irq_line": { gsi: number; level: number; status: number };
  "routing.msi": { addressLo: number; addressHi: number; data: number; result: number };
  "routing.irqfd.assign": { gsi: number; eventfd: number; resample: boolean; pending: number };
  "routing.irqfd.deassign": { gsi: number; eventfd: number; reason: string };
  /** An irqfd injection: `signals` is the count its wakeup consumed (0 for the assign-time one). */
  "routing.irqfd.inject": { gsi: number; sourceId: number; signals: number; status: number };
  /** A resampler saw the guest's ack: the line dropped and `resamplefds` were signalled. */
  "routing.irqfd.resample": { gsi: number; resamplefds: number };
  "routing.ack": { chip: string; irqchip: number; pin: number; gsi: number };
  "routing.ioeventfd.signal": { bus: string; addr: number; len: number; eventfd: number };
};

export const emit = traceEvents<RoutingEvents>();
