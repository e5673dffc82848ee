/** The FLIC's typed trace-event catalogue (emit only under `if (tracer.enabled)`). */
import { traceEvents } from "@irqlab/core";

export interface FlicEvents extends Record<string, Record<string, unknown>> {
  "flic.inject": { type: number };
  "flic.inject.busy": { type: number };
  "flic.deliver": { vcpu: number; kind: string; type: number };
  "flic.adapter.set": { adapter: number; result: number };
  "flic.adapter.coalesced": { adapter: number };
  "flic.adapter.masked": { adapter: number };
  "flic.ais.suppressed": { adapter: number; isc: number };
  "flic.ais.mode": { isc: number; simm: number; nimm: number };
  "flic.clear": Record<string, never>;
}

export const emitFlic = traceEvents<FlicEvents>();
