/** The AIA trace catalogue (`aia.<unit>.<what>`); every call site is guarded by tracer.enabled. */
import { traceEvents } from "@irqlab/core";

export type AiaEvents = {
  "aia.init": { sources: number; ids: number; vcpus: number; mode: number };
  "aia.aplic.msi": { source: number; hart: number; guest: number; eiid: number };
  "aia.aplic.write": { offset: number; value: number; via: "mmio" | "attr" };
  "aia.imsic.inject": { vcpu: number; id: number; result: number };
  "aia.imsic.claim": { vcpu: number; id: number };
  "aia.msi.drop": { addressHi: number; addressLo: number; data: number; errno: number };
};

export const emit = traceEvents<AiaEvents>();
