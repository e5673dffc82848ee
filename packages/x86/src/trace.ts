/** The x86 fabric's typed trace-event catalogue (emit only under `if (tracer.enabled)`). */
import { traceEvents } from "@irqlab/core";

export interface X86Events extends Record<string, Record<string, unknown>> {
  "x86.irqchip.create": { mode: string };
  "x86.lapic.ack": { vcpu: number; vector: number };
  "x86.ioapic.eoi": { vcpu: number; vector: number; level: boolean };
  "x86.exit.ioapic_eoi": { vcpu: number; vector: number };
}

export const emitX86 = traceEvents<X86Events>();
