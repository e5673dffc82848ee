// The JSON Schemas shipped in packages/cli/schemas describe what irqlab reads and writes.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { runCompare, type CompareReport } from "./compare.js";
import { loadPluginSet, type PluginSet } from "./plugins.js";
import { main } from "./program.js";
import { schemaErrors } from "./test-support/json-schema.js";
import { BUILTIN_WORKLOADS, builtinWorkloadJson } from "./workload/builtins.js";
import { validateWorkload } from "./workload/validate.js";
import { RESULTS_SCHEMA_ID, WORKLOAD_SCHEMA_ID, schemaPath, toolVersion } from "./version.js";

const load = (name: "results" | "workload") => JSON.parse(readFileSync(schemaPath(name), "utf8")) as Record<string, unknown>;
const workloadSchema = load("workload");
const resultsSchema = load("results");

let plugins: PluginSet;
let report: CompareReport;
beforeAll(async () => {
  plugins = await loadPluginSet();
  report = runCompare(plugins, { duration: "2ms" });
});

describe("workload.schema.json", () => {
  it("has the id workloads may name in $schema, and the validator accepts that field", () => {
    expect(workloadSchema.$id).toBe(WORKLOAD_SCHEMA_ID);
    expect(() => validateWorkload({ $schema: WORKLOAD_SCHEMA_ID, devices: [{ name: "d", kind: "msi", rate: 10 }] }, "from-file")).not.toThrow();
  });

  it("every built-in workload and the README's example are valid", () => {
    for (const name of BUILTIN_WORKLOADS) expect(schemaErrors(workloadSchema, builtinWorkloadJson(name)), name).toEqual([]);
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const nic = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]).find((t) => t.includes('"name": "nic"'))!;
    expect(schemaErrors(workloadSchema, JSON.parse(nic))).toEqual([]);
  });

  it("what the schema refuses, irqlab refuses too", () => {
    const bad: unknown[] = [
      { devices: [{ name: "d", kind: "msi", rate: 10, typo: 1 }] },
      { devices: [{ name: "d", kind: "msi", rate: -1 }] },
      { devices: [{ name: "d", kind: "pci", rate: 1 }] },
      { devices: [{ name: "d", kind: "msi" }] },
      { devices: [] },
      { vcpus: 0, ipis: { rate: 1 } },
      { duration: "20 minutes", ipis: { rate: 1 } },
      { ipis: { rate: 1, pattern: "star" } },
      { devices: [{ name: "d", kind: "msi", rate: 1, affinity: [0, 0] }] },
    ];
    for (const w of bad) {
      expect(schemaErrors(workloadSchema, w), JSON.stringify(w)).not.toEqual([]);
      expect(() => validateWorkload(w, "w"), JSON.stringify(w)).toThrow();
    }
  });
});

describe("results.schema.json", () => {
  it("describes what compare prints: $schema, the tool version, every controller", () => {
    expect(resultsSchema.$id).toBe(RESULTS_SCHEMA_ID);
    expect(report.$schema).toBe(RESULTS_SCHEMA_ID);
    expect(report.version).toBe(toolVersion());
    expect(report.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(schemaErrors(resultsSchema, JSON.parse(JSON.stringify(report)))).toEqual([]);
    const det = runCompare(plugins, { duration: "1ms", deterministic: true, workload: "ipi-storm" });
    expect(schemaErrors(resultsSchema, JSON.parse(JSON.stringify(det)))).toEqual([]);
  });

  it("a failed controller is valid too", () => {
    const failed = { ...report, controllers: [{ ...report.controllers[0], status: "failed", error: "no" }] };
    expect(schemaErrors(resultsSchema, JSON.parse(JSON.stringify(failed)))).toEqual([]);
    const noVersion = JSON.parse(JSON.stringify(report));
    delete noVersion.version;
    expect(schemaErrors(resultsSchema, noVersion)).toContain("$: missing version");
  });

  it("loader messages stay out of the results' notes (they are for --verbose)", async () => {
    expect(plugins.notes.length).toBeGreaterThan(0);
    expect(report.notes).toEqual([]);
    let out = "";
    let err = "";
    await main(["compare", "--json", "--duration", "1ms", "--deterministic", "-c", "xics-on-xive"], { out: (t) => void (out += t), err: (t) => void (err += t) });
    expect(JSON.parse(out).notes).toEqual([]);
    expect(err).toBe("");
  });
});
