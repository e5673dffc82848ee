/** The CLI's version (packages/cli/package.json) and the ids of the JSON Schemas it ships. */
import { readFileSync } from "node:fs";

export function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string }).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/** `$schema` of `irqlab compare` results: packages/cli/schemas/results.schema.json. */
export const RESULTS_SCHEMA_ID = "urn:irqlab:schema:compare-results:1";
/** `$id` of packages/cli/schemas/workload.schema.json (a workload's optional `$schema`). */
export const WORKLOAD_SCHEMA_ID = "urn:irqlab:schema:workload:1";

/** Path of a shipped schema file ("results" or "workload"). */
export function schemaPath(name: "results" | "workload"): string {
  return new URL(`../schemas/${name}.schema.json`, import.meta.url).pathname;
}
