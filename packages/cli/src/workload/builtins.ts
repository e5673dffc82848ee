/**
 * Built-in workloads (`irqlab compare --list-workloads`). Each is written in the documented
 * JSON format and goes through the same validator as a user's file.
 */
import { validateWorkload } from "./validate.js";
import type { Workload } from "./types.js";

const RAW: Record<string, unknown> = {
  default: {
    name: "default",
    description:
      "A mix: a 4-queue MSI device spread over 2 vCPUs, three INTx devices on two level lines (one shared) with resamplefd, light IPI traffic",
    vcpus: 2,
    duration: "100ms",
    devices: [
      { name: "nvme0", kind: "msi", vectors: 4, rate: 20000 },
      { name: "usb0", kind: "intx", line: "intx-a", rate: 4000, affinity: [0] },
      { name: "snd0", kind: "intx", line: "intx-a", rate: 2000, affinity: [0] },
      { name: "sata0", kind: "intx", line: "intx-b", rate: 5000, affinity: [1] },
    ],
    ipis: { rate: 5000, pattern: "random" },
  },
  "msi-many-queue": {
    name: "msi-many-queue",
    description: "A 32-queue MSI network device on 4 vCPUs (one vector per queue, queues spread round robin)",
    vcpus: 4,
    duration: "20ms",
    devices: [{ name: "nic0", kind: "msi", vectors: 32, rate: 25000 }],
  },
  "level-shared": {
    name: "level-shared",
    description: "Four INTx devices sharing two level lines (wired-OR), resamplefd re-assertion, 2 vCPUs",
    vcpus: 2,
    duration: "100ms",
    devices: [
      { name: "dev-a0", kind: "intx", line: "intx-a", rate: 20000, affinity: [0] },
      { name: "dev-a1", kind: "intx", line: "intx-a", rate: 20000, affinity: [0] },
      { name: "dev-b0", kind: "intx", line: "intx-b", rate: 20000, affinity: [1] },
      { name: "dev-b1", kind: "intx", line: "intx-b", rate: 20000, affinity: [1] },
    ],
  },
  "ipi-storm": {
    name: "ipi-storm",
    description: "IPIs only: 4 vCPUs sending random IPIs at 500k/s in total",
    vcpus: 4,
    duration: "20ms",
    ipis: { rate: 500000, pattern: "random" },
  },
};

export const BUILTIN_WORKLOADS: readonly string[] = Object.keys(RAW);

export function builtinWorkload(name: string): Workload | undefined {
  const raw = RAW[name];
  return raw === undefined ? undefined : validateWorkload(raw);
}

/** The raw JSON of a built-in (an example of the format). */
export function builtinWorkloadJson(name: string): unknown {
  return RAW[name];
}
