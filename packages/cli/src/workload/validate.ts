/**
 * Workload JSON -> Workload, with every error naming the field path
 * (`workload.devices[2].rate: must be a positive number (got -5)`). Validation is complete
 * before anything is returned; unknown fields are errors (they are usually typos).
 */
import {
  FieldError,
  array,
  duration,
  integer,
  object,
  parseJson,
  oneOf,
  positive,
  string,
} from "./fields.js";
import {
  WORKLOAD_LIMITS as L,
  type DeviceSpec,
  type IpiSpec,
  type Workload,
} from "./types.js";

const TOP = ["$schema", "name", "description", "vcpus", "duration", "seed", "devices", "ipis"] as const;
const DEVICE = ["name", "kind", "vectors", "line", "rate", "arrival", "burst", "affinity", "priority", "handlerNs"] as const;
const IPIS = ["rate", "arrival", "pattern", "from", "to"] as const;

export const DEFAULT_VCPUS = 2;
export const DEFAULT_DURATION_NS = 10e6;
export const DEFAULT_SEED = 1;

/** Parses JSON text; syntax errors name the file and position. */
export function parseWorkloadText(text: string, origin = "workload"): Workload {
  const data = parseJson(text, origin);
  return validateWorkload(data, origin === "workload" ? undefined : origin.replace(/\.json$/i, ""));
}

/**
 * Validates a parsed workload. `fallbackName` names a workload that has no `name` field
 * (the file name, usually).
 */
export function validateWorkload(data: unknown, fallbackName?: string): Workload {
  const w = object(data, "workload", TOP);
  const name = w.name === undefined && fallbackName ? fallbackName : string(w.name, "workload.name");
  const description = w.description === undefined ? "" : string(w.description, "workload.description", { nonEmpty: false });
  const vcpus = w.vcpus === undefined ? DEFAULT_VCPUS : integer(w.vcpus, "workload.vcpus", 1, L.maxVcpus);
  const durationNs =
    w.duration === undefined ? DEFAULT_DURATION_NS : duration(w.duration, "workload.duration", L.maxDurationNs);
  const seed = w.seed === undefined ? DEFAULT_SEED : integer(w.seed, "workload.seed", 0, 0xffffffff);

  const devices: DeviceSpec[] = [];
  const rawDevices = w.devices === undefined ? [] : array(w.devices, "workload.devices");
  if (rawDevices.length > L.maxDevices) {
    throw new FieldError("workload.devices", `at most ${L.maxDevices} devices (got ${rawDevices.length})`);
  }
  const names = new Set<string>();
  rawDevices.forEach((raw, i) => {
    const path = `workload.devices[${i}]`;
    const d = validateDevice(raw, path, vcpus);
    if (names.has(d.name)) throw new FieldError(`${path}.name`, `duplicate device name ${JSON.stringify(d.name)}`);
    names.add(d.name);
    devices.push(d);
  });

  // One GSI per source (MSI vector or INTx line), below KVM_MAX_IRQ_ROUTES.
  const lines = new Set<string>();
  let sources = 0;
  for (const d of devices) {
    if (d.kind === "msi") sources += d.vectors;
    else if (d.line === null) sources++;
    else if (!lines.has(d.line)) {
      lines.add(d.line);
      sources++;
    }
  }
  if (sources > L.maxSources) {
    throw new FieldError(
      "workload.devices",
      `${sources.toLocaleString("en-US")} interrupt sources (MSI vectors + INTx lines); at most ${L.maxSources} (each takes one GSI, below KVM_MAX_IRQ_ROUTES = 4096)`,
    );
  }

  const ipis = w.ipis === undefined || w.ipis === null ? null : validateIpis(w.ipis, "workload.ipis", vcpus);
  if (devices.length === 0 && ipis === null) {
    throw new FieldError("workload.devices", "a workload needs at least one device or an ipis section");
  }

  // Expected event count: keeps a typo ("rate": 1e9 for 10 s) from running for hours.
  const seconds = durationNs / 1e9;
  let events = ipis ? ipis.rate * seconds * (ipis.pattern === "broadcast" ? Math.max(1, vcpus - 1) : 1) : 0;
  for (const d of devices) events += d.rate * d.vectors * d.burst * seconds;
  if (events > L.maxEvents) {
    throw new FieldError(
      "workload.duration",
      `the workload would raise about ${Math.round(events).toLocaleString("en-US")} interrupts; the limit is ${L.maxEvents.toLocaleString("en-US")} (shorten the duration or lower the rates)`,
    );
  }
  return { name, description, vcpus, durationNs, seed, devices, ipis };
}

function validateDevice(raw: unknown, path: string, vcpus: number): DeviceSpec {
  const d = object(raw, path, DEVICE);
  const name = string(d.name, `${path}.name`);
  if (d.kind === undefined) throw new FieldError(`${path}.kind`, 'is required ("msi" or "intx")');
  const kind = oneOf(d.kind, `${path}.kind`, ["msi", "intx"] as const);
  let vectors = 1;
  if (d.vectors !== undefined) {
    vectors = integer(d.vectors, `${path}.vectors`, 1, L.maxVectors);
    if (kind === "intx" && vectors !== 1) {
      throw new FieldError(`${path}.vectors`, "an intx device has exactly one line (use several devices or msi)");
    }
  }
  let line: string | null = null;
  if (d.line !== undefined) {
    if (kind !== "intx") throw new FieldError(`${path}.line`, 'only intx devices have a line (kind is "msi")');
    line = string(d.line, `${path}.line`);
  }
  if (d.rate === undefined) throw new FieldError(`${path}.rate`, "is required (arrivals per simulated second)");
  const rate = positive(d.rate, `${path}.rate`, L.maxRate);
  const arrival = d.arrival === undefined ? "poisson" : oneOf(d.arrival, `${path}.arrival`, ["poisson", "periodic"] as const);
  const burst = d.burst === undefined ? 1 : integer(d.burst, `${path}.burst`, 1, L.maxBurst);
  const affinity = d.affinity === undefined ? null : vcpuList(d.affinity, `${path}.affinity`, vcpus);
  const priority = d.priority === undefined ? 0 : integer(d.priority, `${path}.priority`, 0, L.maxPriority);
  const handlerNs = d.handlerNs === undefined ? null : integer(d.handlerNs, `${path}.handlerNs`, 0, 1e9);
  return { name, kind, vectors, line, rate, arrival, burst, affinity, priority, handlerNs };
}

function validateIpis(raw: unknown, path: string, vcpus: number): IpiSpec {
  const p = object(raw, path, IPIS);
  if (p.rate === undefined) throw new FieldError(`${path}.rate`, "is required (IPI sends per simulated second)");
  const rate = positive(p.rate, `${path}.rate`, L.maxRate);
  const arrival = p.arrival === undefined ? "poisson" : oneOf(p.arrival, `${path}.arrival`, ["poisson", "periodic"] as const);
  const pattern = p.pattern === undefined ? "random" : oneOf(p.pattern, `${path}.pattern`, ["random", "ring", "broadcast"] as const);
  const from = p.from === undefined ? null : vcpuList(p.from, `${path}.from`, vcpus);
  const to = p.to === undefined ? null : vcpuList(p.to, `${path}.to`, vcpus);
  if (vcpus < 2) throw new FieldError(path, "IPIs need at least 2 vCPUs (workload.vcpus is 1)");
  const senders = from ?? range(vcpus);
  const receivers = to ?? range(vcpus);
  if (!senders.some((s) => receivers.some((r) => r !== s))) {
    throw new FieldError(`${path}.to`, "no receiver differs from a sender (a vCPU never IPIs itself here)");
  }
  return { rate, arrival, pattern, from, to };
}

function vcpuList(v: unknown, path: string, vcpus: number): number[] {
  const list = array(v, path);
  if (list.length === 0) throw new FieldError(path, "must list at least one vCPU");
  const out = list.map((x, i) => integer(x, `${path}[${i}]`, 0, vcpus - 1));
  const dup = out.find((x, i) => out.indexOf(x) !== i);
  if (dup !== undefined) throw new FieldError(path, `lists vCPU ${dup} twice`);
  return out;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The workload as JSON (the documented format, all defaults written out). */
export function workloadToJson(w: Workload): Record<string, unknown> {
  return {
    name: w.name,
    description: w.description,
    vcpus: w.vcpus,
    duration: w.durationNs,
    seed: w.seed,
    devices: w.devices.map((d) => ({
      name: d.name,
      kind: d.kind,
      ...(d.kind === "msi" ? { vectors: d.vectors } : {}),
      ...(d.line !== null ? { line: d.line } : {}),
      rate: d.rate,
      arrival: d.arrival,
      burst: d.burst,
      ...(d.affinity ? { affinity: [...d.affinity] } : {}),
      priority: d.priority,
      ...(d.handlerNs !== null ? { handlerNs: d.handlerNs } : {}),
    })),
    ...(w.ipis
      ? {
          ipis: {
            rate: w.ipis.rate,
            arrival: w.ipis.arrival,
            pattern: w.ipis.pattern,
            ...(w.ipis.from ? { from: [...w.ipis.from] } : {}),
            ...(w.ipis.to ? { to: [...w.ipis.to] } : {}),
          },
        }
      : {}),
  };
}
