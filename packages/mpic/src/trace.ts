/** The MPIC's typed trace-event catalogue (emit only under `if (tracer.enabled)`). */
import { traceEvents } from "@irqlab/core";

export interface MpicEvents extends Record<string, Record<string, unknown>> {
  /** An input changed: routing, IRQ_ACTIVE, MSIIR, IPI dispatch. */
  "mpic.irq.set": { source: number; level: number };
  /** A CPU output was raised (output 0 = INT drives vcpu.ext). */
  "mpic.cpu.raise": { cpu: number; output: number };
  "mpic.cpu.lower": { cpu: number; output: number };
  /** IACK: source -1 and the spurious vector when nothing (valid) was raised. */
  "mpic.iack": { cpu: number; source: number; vector: number };
  /** EOI retired `source` (-1: nothing in service, no effect). */
  "mpic.eoi": { cpu: number; source: number };
  "mpic.ctpr": { cpu: number; ctpr: number };
  "mpic.ipi": { ipi: number; mask: number };
  "mpic.msi": { bank: number; bit: number };
  "mpic.reset": { nbCpus: number };
  "mpic.base": { base: string; mapped: boolean };
  "mpic.connect": { vcpu: number; cpu: number };
}

export const emit = traceEvents<MpicEvents>();
