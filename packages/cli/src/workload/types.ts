/**
 * The workload model: what devices raise interrupts, how often (on the simulated clock), on
 * which vCPUs, plus inter-processor interrupt traffic. A workload is plain data; `plan.ts`
 * expands it into the interrupt sources a guest driver configures and the arrival streams
 * the runner schedules. The JSON format is documented in packages/cli/README.md and
 * validated by `validate.ts` (every error names the field path).
 */

/** `msi`: edge, message-signalled, one source per vector. `intx`: a level line with resamplefd. */
export type DeviceKind = "msi" | "intx";

/** Inter-arrival law: exponential gaps (Poisson process) or a fixed period. */
export type ArrivalLaw = "poisson" | "periodic";

export interface DeviceSpec {
  readonly name: string;
  readonly kind: DeviceKind;
  /** MSI vectors (queues); always 1 for INTx. */
  readonly vectors: number;
  /** INTx devices naming the same line share it (wired-OR); null = a line of its own. */
  readonly line: string | null;
  /** Arrivals per simulated second, per vector. */
  readonly rate: number;
  readonly arrival: ArrivalLaw;
  /** Events per arrival (a burst of back-to-back events). */
  readonly burst: number;
  /** vCPUs the vectors target, round robin; null = spread over all vCPUs. */
  readonly affinity: readonly number[] | null;
  /** Guest priority hint, 0 = most favoured (drivers map it to their scale). */
  readonly priority: number;
  /** Handler body cost for this device in simulated ns; null = the cost model's. */
  readonly handlerNs: number | null;
}

export type IpiPattern = "random" | "ring" | "broadcast";

export interface IpiSpec {
  /** IPI sends per simulated second (a broadcast counts as one send to every target). */
  readonly rate: number;
  readonly arrival: ArrivalLaw;
  /** random: random sender and receiver; ring: vCPU i -> i+1; broadcast: one sender -> all others. */
  readonly pattern: IpiPattern;
  /** Sending vCPUs; null = all. */
  readonly from: readonly number[] | null;
  /** Receiving vCPUs; null = all (never the sender itself). */
  readonly to: readonly number[] | null;
}

export interface Workload {
  readonly name: string;
  readonly description: string;
  readonly vcpus: number;
  /** Simulated time during which interrupts arrive (ns); the run then drains. */
  readonly durationNs: number;
  readonly seed: number;
  readonly devices: readonly DeviceSpec[];
  readonly ipis: IpiSpec | null;
}

/** The limits the validator enforces (also printed in the format documentation). */
export const WORKLOAD_LIMITS = {
  maxVcpus: 256,
  maxDurationNs: 10e9,
  maxRate: 1e8,
  maxVectors: 256,
  maxBurst: 1024,
  maxPriority: 7,
  maxDevices: 1024,
  /** MSI vectors + INTx lines: one GSI each, from GSI 32 up, below KVM_MAX_IRQ_ROUTES (4096). */
  maxSources: 4064,
  /** Expected number of events (all streams, whole duration). */
  maxEvents: 20_000_000,
} as const;
