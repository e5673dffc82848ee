/** The FLIC's typed trace-event catalogue (emit only under `if (tracer.enabled)`). */
import { traceEvents } from "@irqlab/core";

export interface FlicEvents extends Record<string, Record<string, unknown>> {
  "flic.inject": { type: number };
  "flic.inject.busy": { type: number };
  "flic.deliver": { vcpu: number; kind: string; type: number };
  /** set_adapter_int result: < 0 error, 0 coalesced (summary already set), 1 injected or masked. */
  "flic.adapter.set": { adapter: number; result: number };
  "flic.ais.suppressed": { adapter: number; isc: number };
  /** AISM, or SINGLE -> NO after an injection (trace_kvm_s390_modify_ais_mode). */
  "flic.ais.mode": { isc: number; simm: number; nimm: number };
  "flic.clear": Record<string, never>;
}

export const emitFlic = traceEvents<FlicEvents>();
