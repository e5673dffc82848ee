/** A value for an error message, safe for anything a caller may pass (no user toString runs). */
export function show(v: unknown): string {
  switch (typeof v) {
    case "number":
    case "bigint":
    case "boolean":
    case "undefined":
      return String(v);
    case "string":
      return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    default:
      return v === null ? "null" : Array.isArray(v) ? "an array" : "an object";
  }
}

/** A flags word in hex when it is a number. */
export function showFlags(v: unknown): string {
  return typeof v === "number" && Number.isFinite(v) ? `0x${(v >>> 0).toString(16)}` : show(v);
}
