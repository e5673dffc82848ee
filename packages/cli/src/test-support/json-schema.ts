/**
 * A small JSON Schema (2020-12) checker for the schemas irqlab ships, for tests only. It
 * knows the keywords those schemas use and throws on any other, so a schema can never rely
 * on a keyword this checker would silently skip.
 */
type Schema = Record<string, unknown> | boolean;

const ANNOTATIONS = new Set(["$schema", "$id", "title", "description", "default", "$defs"]);
const KNOWN = new Set([
  ...ANNOTATIONS, "type", "const", "enum", "properties", "required", "additionalProperties", "items", "prefixItems",
  "minItems", "maxItems", "uniqueItems", "minimum", "maximum", "exclusiveMinimum", "pattern", "oneOf", "anyOf", "$ref",
]);

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Errors of `value` against `schema` (empty: valid), each "path: problem". */
export function schemaErrors(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    const m = /^#\/\$defs\/([\w-]+)$/.exec(ref);
    if (!m || typeof root !== "object") throw new Error(`unsupported $ref ${ref}`);
    return (root.$defs as Record<string, Schema>)[m[1]];
  };
  const check = (s: Schema, v: unknown, path: string, out: string[]): void => {
    if (s === true) return;
    if (s === false) return void out.push(`${path}: not allowed`);
    for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`schema keyword ${k} (at ${path}) is not supported by this checker`);
    if (s.$ref) check(resolve(s.$ref as string), v, path, out);
    const t = typeOf(v);
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((x) => x === t || (x === "number" && t === "integer"))) return void out.push(`${path}: must be ${types.join(" or ")} (is ${t})`);
    }
    if ("const" in s && JSON.stringify(s.const) !== JSON.stringify(v)) out.push(`${path}: must be ${JSON.stringify(s.const)}`);
    if (s.enum && !(s.enum as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(v))) out.push(`${path}: must be one of ${JSON.stringify(s.enum)}`);
    if (typeof v === "number") {
      if (typeof s.minimum === "number" && v < s.minimum) out.push(`${path}: below ${s.minimum}`);
      if (typeof s.maximum === "number" && v > s.maximum) out.push(`${path}: above ${s.maximum}`);
      if (typeof s.exclusiveMinimum === "number" && v <= s.exclusiveMinimum) out.push(`${path}: must exceed ${s.exclusiveMinimum}`);
    }
    if (typeof v === "string" && typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(v)) out.push(`${path}: does not match ${s.pattern}`);
    if (Array.isArray(v)) {
      if (typeof s.minItems === "number" && v.length < s.minItems) out.push(`${path}: fewer than ${s.minItems} items`);
      if (typeof s.maxItems === "number" && v.length > s.maxItems) out.push(`${path}: more than ${s.maxItems} items`);
      if (s.uniqueItems && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) out.push(`${path}: items not unique`);
      const prefix = (s.prefixItems as Schema[] | undefined) ?? [];
      v.forEach((x, i) => {
        if (i < prefix.length) check(prefix[i], x, `${path}[${i}]`, out);
        else if (s.items !== undefined) check(s.items as Schema, x, `${path}[${i}]`, out);
      });
    }
    if (t === "object") {
      const o = v as Record<string, unknown>;
      for (const r of (s.required as string[] | undefined) ?? []) if (!(r in o)) out.push(`${path}: missing ${r}`);
      const props = (s.properties as Record<string, Schema> | undefined) ?? {};
      for (const [k, x] of Object.entries(o)) {
        if (k in props) check(props[k], x, `${path}.${k}`, out);
        else if (s.additionalProperties !== undefined) check(s.additionalProperties as Schema, x, `${path}.${k}`, out);
      }
    }
    if (s.oneOf) {
      const ok = (s.oneOf as Schema[]).filter((x) => {
        const e: string[] = [];
        check(x, v, path, e);
        return e.length === 0;
      }).length;
      if (ok !== 1) out.push(`${path}: must match exactly one of ${(s.oneOf as unknown[]).length} alternatives (matches ${ok})`);
    }
    if (s.anyOf) {
      const ok = (s.anyOf as Schema[]).some((x) => {
        const e: string[] = [];
        check(x, v, path, e);
        return e.length === 0;
      });
      if (!ok) out.push(`${path}: matches none of the alternatives`);
    }
  };
  check(root, value, "$", errors);
  return errors;
}
