import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUILTIN_WORKLOADS, builtinWorkload, builtinWorkloadJson } from "./builtins.js";
import { FieldError } from "./fields.js";
import { planWorkload } from "./plan.js";
import { parseWorkloadText, validateWorkload, workloadToJson } from "./validate.js";

const ok = { name: "w", devices: [{ name: "d", kind: "msi", rate: 1000 }] };

function errorOf(data: unknown): string {
  try {
    validateWorkload(data);
  } catch (e) {
    expect(e).toBeInstanceOf(FieldError);
    return (e as Error).message;
  }
  throw new Error("expected a FieldError");
}

describe("workload format: bad input gets a clear error naming the field", () => {
  const cases: [string, unknown, RegExp][] = [
    ["not an object", [1, 2], /^workload: must be an object \(got an array\)/],
    ["unknown top-level field (typo)", { ...ok, vcpu: 2 }, /^workload\.vcpu: unknown field \(expected one of: .*vcpus/],
    ["missing name", { devices: ok.devices }, /^workload\.name: must be a string/],
    ["vcpus zero", { ...ok, vcpus: 0 }, /^workload\.vcpus: must be between 1 and 256 \(got 0\)/],
    ["vcpus fractional", { ...ok, vcpus: 1.5 }, /^workload\.vcpus: must be an integer \(got 1\.5\)/],
    ["bad duration string", { ...ok, duration: "10 parsecs" }, /^workload\.duration: must be a duration with a unit \(ns, us, ms or s\), like "500us"/],
    ["[duration-unit] a string without a unit is not taken for ns", { ...ok, duration: "5" }, /^workload\.duration: must be a duration with a unit .*\(got "5"\)/],
    ["[duration-sub-ns] a positive duration below 1 ns says so", { ...ok, duration: 0.4 }, /^workload\.duration: must be at least 1 ns \(got 0\.4\)/],
    [
      "[gsi-limit] more sources than GSIs below KVM_MAX_IRQ_ROUTES",
      { name: "w", devices: Array.from({ length: 17 }, (_, i) => ({ name: `d${i}`, kind: "msi", vectors: 256, rate: 1 })) },
      /^workload\.devices: 4,352 interrupt sources \(MSI vectors \+ INTx lines\); at most 4064 \(each takes one GSI, below KVM_MAX_IRQ_ROUTES = 4096\)/,
    ],
    ["negative duration", { ...ok, duration: -5 }, /^workload\.duration: must be a positive duration/],
    ["devices not an array", { name: "w", devices: {} }, /^workload\.devices: must be an array/],
    ["no devices and no ipis", { name: "w" }, /^workload\.devices: a workload needs at least one device or an ipis section/],
    [
      "negative rate in the third device",
      { name: "w", devices: [ok.devices[0], { name: "b", kind: "msi", rate: 5 }, { name: "c", kind: "intx", rate: -5 }] },
      /^workload\.devices\[2\]\.rate: must be a positive number \(got -5\)/,
    ],
    ["missing rate", { name: "w", devices: [{ name: "d", kind: "msi" }] }, /^workload\.devices\[0\]\.rate: is required/],
    ["missing kind", { name: "w", devices: [{ name: "d", rate: 1 }] }, /^workload\.devices\[0\]\.kind: is required \("msi" or "intx"\)/],
    ["bad kind", { name: "w", devices: [{ name: "d", kind: "pci", rate: 1 }] }, /^workload\.devices\[0\]\.kind: must be one of "msi", "intx" \(got "pci"\)/],
    ["intx with vectors", { name: "w", devices: [{ name: "d", kind: "intx", vectors: 2, rate: 1 }] }, /^workload\.devices\[0\]\.vectors: an intx device has exactly one line/],
    ["msi with a line", { name: "w", devices: [{ name: "d", kind: "msi", line: "a", rate: 1 }] }, /^workload\.devices\[0\]\.line: only intx devices have a line/],
    ["affinity out of range", { name: "w", vcpus: 2, devices: [{ name: "d", kind: "msi", rate: 1, affinity: [0, 2] }] }, /^workload\.devices\[0\]\.affinity\[1\]: must be between 0 and 1 \(got 2\)/],
    ["empty affinity", { name: "w", devices: [{ name: "d", kind: "msi", rate: 1, affinity: [] }] }, /^workload\.devices\[0\]\.affinity: must list at least one vCPU/],
    ["duplicate vCPU in affinity", { name: "w", devices: [{ name: "d", kind: "msi", rate: 1, affinity: [1, 1] }] }, /^workload\.devices\[0\]\.affinity: lists vCPU 1 twice/],
    ["duplicate device name", { name: "w", devices: [ok.devices[0], ok.devices[0]] }, /^workload\.devices\[1\]\.name: duplicate device name "d"/],
    ["priority too high", { name: "w", devices: [{ name: "d", kind: "msi", rate: 1, priority: 8 }] }, /^workload\.devices\[0\]\.priority: must be between 0 and 7 \(got 8\)/],
    ["burst zero", { name: "w", devices: [{ name: "d", kind: "msi", rate: 1, burst: 0 }] }, /^workload\.devices\[0\]\.burst: must be between 1 and 1024/],
    ["unknown device field", { name: "w", devices: [{ name: "d", kind: "msi", rat: 1 }] }, /^workload\.devices\[0\]\.rat: unknown field/],
    ["ipis with one vCPU", { name: "w", vcpus: 1, ipis: { rate: 10 } }, /^workload\.ipis: IPIs need at least 2 vCPUs/],
    ["ipis without rate", { name: "w", ipis: {} }, /^workload\.ipis\.rate: is required/],
    ["ipis bad pattern", { name: "w", ipis: { rate: 1, pattern: "mesh" } }, /^workload\.ipis\.pattern: must be one of "random", "ring", "broadcast"/],
    ["ipis only to the sender", { name: "w", ipis: { rate: 1, from: [0], to: [0] } }, /^workload\.ipis\.to: no receiver differs from a sender/],
    ["too many events", { name: "w", duration: "10s", devices: [{ name: "d", kind: "msi", rate: 1e8, vectors: 64 }] }, /^workload\.duration: the workload would raise about .* interrupts; the limit is 20,000,000/],
  ];
  for (const [what, data, msg] of cases) {
    it(`${what}`, () => {
      expect(errorOf(data)).toMatch(msg);
    });
  }

  it("invalid JSON names the file and the parser's position", () => {
    expect(() => parseWorkloadText("{ \"name\": ", "my.json")).toThrow(/^my\.json: invalid JSON/);
  });

  it("[json-position] a syntax error says the line and column, once (not the file name twice)", () => {
    const text = '{\n  "devices": [\n    {"name": "a", "kind": "msi" "rate": 5}\n  ]\n}\n';
    expect(() => parseWorkloadText(text, "nic.json")).toThrow(/^nic\.json: invalid JSON at line 3, column 33: expected ',' or '\}' in the object, found "\\""$/);
    expect(() => parseWorkloadText("", "e.json")).toThrow(/^e\.json: invalid JSON at line 1, column 1: the file is empty/);
  });

  it("a shared INTx line is one source toward the GSI limit", () => {
    const devices = [
      ...Array.from({ length: 15 }, (_, i) => ({ name: `m${i}`, kind: "msi", vectors: 256, rate: 1 })),
      { name: "m15", kind: "msi", vectors: 222, rate: 1 },
      ...Array.from({ length: 50 }, (_, i) => ({ name: `l${i}`, kind: "intx", line: "shared", rate: 1 })),
    ];
    expect(validateWorkload({ name: "w", devices }).devices).toHaveLength(66); // 3840 + 222 + 1 = 4063 sources
  });

  it("a file without a name takes the file name", () => {
    const w = parseWorkloadText(JSON.stringify({ devices: ok.devices }), "nic");
    expect(w.name).toBe("nic");
  });

  it("random JSON never crashes the validator: a Workload or a FieldError", () => {
    const value = fc.oneof(fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant(null));
    const device = fc.record(
      { name: fc.oneof(fc.string(), value), kind: fc.oneof(fc.constantFrom("msi", "intx"), value), rate: fc.oneof(fc.double({ min: -10, max: 1e6 }), value), vectors: value, line: value, burst: value, affinity: fc.oneof(fc.array(fc.integer({ min: -1, max: 4 })), value), priority: value },
      { requiredKeys: [] },
    );
    const workload = fc.record(
      { name: fc.oneof(fc.string(), value), vcpus: fc.oneof(fc.integer({ min: -1, max: 8 }), value), duration: fc.oneof(fc.constantFrom("1ms", "5us", "x"), value), devices: fc.oneof(fc.array(device, { maxLength: 4 }), value), ipis: fc.oneof(fc.record({ rate: value, pattern: value }, { requiredKeys: [] }), value) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(workload, fc.anything()), (data) => {
        try {
          const w = validateWorkload(data);
          expect(w.vcpus).toBeGreaterThanOrEqual(1);
          expect(w.devices.length + (w.ipis ? 1 : 0)).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(FieldError);
          expect((e as FieldError).path).toMatch(/^workload/);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("workload format: valid input", () => {
  it("fills the documented defaults", () => {
    const w = validateWorkload(ok);
    expect(w).toMatchObject({ vcpus: 2, durationNs: 10e6, seed: 1, ipis: null });
    expect(w.devices[0]).toEqual({ name: "d", kind: "msi", vectors: 1, line: null, rate: 1000, arrival: "poisson", burst: 1, affinity: null, priority: 0, handlerNs: null });
  });

  it("durations take units", () => {
    expect(validateWorkload({ ...ok, duration: "500us" }).durationNs).toBe(500_000);
    expect(validateWorkload({ ...ok, duration: "1.5ms" }).durationNs).toBe(1_500_000);
    expect(validateWorkload({ ...ok, duration: 1234 }).durationNs).toBe(1234);
  });

  it("every built-in workload validates and round-trips through its JSON form", () => {
    for (const name of BUILTIN_WORKLOADS) {
      const w = builtinWorkload(name)!;
      expect(builtinWorkloadJson(name)).toBeDefined();
      expect(validateWorkload(workloadToJson(w))).toEqual(w);
    }
  });

  it("the default workload: 4-queue MSI device, two INTx lines (one shared), IPIs, 2 vCPUs", () => {
    const w = builtinWorkload("default")!;
    const plan = planWorkload(w);
    expect(w.vcpus).toBe(2);
    expect(plan.sources.filter((s) => s.kind === "msi")).toHaveLength(4);
    const lines = plan.sources.filter((s) => s.kind === "intx");
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => l.streams.length).sort()).toEqual([1, 2]);
    expect(w.ipis).not.toBeNull();
  });
});

describe("workload plan", () => {
  it("one source per MSI vector, one per INTx line; spread over vCPUs unless affinity says otherwise", () => {
    const w = validateWorkload({
      name: "p",
      vcpus: 3,
      devices: [
        { name: "m", kind: "msi", vectors: 4, rate: 1 },
        { name: "a", kind: "intx", line: "L", rate: 1, priority: 3 },
        { name: "b", kind: "intx", line: "L", rate: 1, priority: 1 },
        { name: "c", kind: "intx", rate: 1, affinity: [2] },
      ],
    });
    const p = planWorkload(w);
    expect(p.sources.map((s) => [s.label, s.trigger, s.vcpu, s.priority])).toEqual([
      ["m.q0", "edge", 0, 0],
      ["m.q1", "edge", 1, 0],
      ["m.q2", "edge", 2, 0],
      ["m.q3", "edge", 0, 0],
      ["line L", "level", 1, 1],
      ["line c", "level", 2, 0],
    ]);
    expect(p.streams).toHaveLength(7);
    expect(p.sources[4].streams).toEqual([4, 5]);
    expect(new Set(p.streams.map((s) => s.seed)).size).toBe(7);
  });

  it("stream seeds depend on the seed and the stream, not on later devices", () => {
    const one = planWorkload(validateWorkload(ok));
    const two = planWorkload(validateWorkload({ name: "w", devices: [...ok.devices, { name: "e", kind: "msi", rate: 5 }] }));
    expect(two.streams[0].seed).toBe(one.streams[0].seed);
    expect(planWorkload(validateWorkload(ok), 2).streams[0].seed).not.toBe(one.streams[0].seed);
  });
});
