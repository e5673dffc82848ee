/**
 * Expands a Workload into what the runner works with:
 *  - sources: what the guest configures on the controller (one per MSI vector, one per INTx
 *    line, shared by the devices naming that line), each with trigger, target vCPU, priority;
 *  - streams: independent arrival processes (one per MSI vector, one per INTx device), each
 *    feeding one source, with its own seed derived from the workload seed.
 * IPIs are not sources: they are sent by the guest driver and handled as IPI_SOURCE.
 */
import { splitSeed } from "../sim/prng.js";
import type { ArrivalLaw, DeviceKind, Workload } from "./types.js";

export interface PlannedSource {
  /** Dense index, passed to the guest driver as SourceSpec.index. */
  readonly index: number;
  readonly kind: DeviceKind;
  readonly trigger: "edge" | "level";
  readonly vcpu: number;
  readonly priority: number;
  /** "nvme0.q2", "line intx-a". */
  readonly label: string;
  /** Streams feeding this source (one for MSI, one per device on an INTx line). */
  readonly streams: number[];
}

export interface PlannedStream {
  readonly index: number;
  readonly source: number;
  /** Device index in the workload. */
  readonly device: number;
  readonly vector: number;
  readonly meanGapNs: number;
  readonly arrival: ArrivalLaw;
  readonly burst: number;
  readonly handlerNs: number | null;
  readonly seed: number;
}

export interface WorkloadPlan {
  readonly sources: readonly PlannedSource[];
  readonly streams: readonly PlannedStream[];
  readonly ipiSeed: number;
}

/** Stream number of the IPI generator in seed derivation (far from device streams). */
const IPI_STREAM = 0x10000;

export function planWorkload(w: Workload, seed = w.seed): WorkloadPlan {
  const sources: { index: number; kind: DeviceKind; trigger: "edge" | "level"; vcpu: number; priority: number; label: string; streams: number[] }[] = [];
  const streams: PlannedStream[] = [];
  const lines = new Map<string, number>();

  w.devices.forEach((d, di) => {
    const vectors = d.kind === "msi" ? d.vectors : 1;
    for (let v = 0; v < vectors; v++) {
      let src: number;
      if (d.kind === "intx" && d.line !== null && lines.has(d.line)) {
        src = lines.get(d.line)!;
        const s = sources[src];
        s.priority = Math.min(s.priority, d.priority);
      } else {
        src = sources.length;
        const vcpu = d.affinity ? d.affinity[v % d.affinity.length] : src % w.vcpus;
        const label = d.kind === "msi" ? (vectors > 1 ? `${d.name}.q${v}` : d.name) : `line ${d.line ?? d.name}`;
        sources.push({
          index: src,
          kind: d.kind,
          trigger: d.kind === "msi" ? "edge" : "level",
          vcpu,
          priority: d.priority,
          label,
          streams: [],
        });
        if (d.kind === "intx" && d.line !== null) lines.set(d.line, src);
      }
      const index = streams.length;
      sources[src].streams.push(index);
      streams.push({
        index,
        source: src,
        device: di,
        vector: v,
        meanGapNs: 1e9 / d.rate,
        arrival: d.arrival,
        burst: d.burst,
        handlerNs: d.handlerNs,
        seed: splitSeed(seed, index),
      });
    }
  });
  return { sources, streams, ipiSeed: splitSeed(seed, IPI_STREAM) };
}
