/**
 * Canonical JSON (keys sorted, no whitespace) and content hashes: a cell's id and a plan's
 * hash depend only on what they contain, never on the order keys were written in.
 */
import { createHash } from "node:crypto";

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** sha256 of the canonical JSON, hex; `length` hex digits (default all 64). */
export function contentHash(value: unknown, length = 64): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, length);
}
