/**
 * `irqlab new-controller NAME`: writes a complete, working controller plugin package (module,
 * device contribution, IrqChip, guest driver, conformance test on @irqlab/testkit, README
 * with the tables to fill) from the templates in packages/cli/scaffold/, so that it builds,
 * passes the testkit and appears in `irqlab compare` with no other edit anywhere.
 *
 *   inside an irqlab workspace   -> packages/NAME, "workspace:*" dependencies; discovered by
 *                                   its package.json "irqlabPlugin", built by scripts/build.mjs
 *   anywhere else (standalone)   -> ./NAME, "link:" dependencies on this irqlab checkout and
 *                                   node_modules links to it (no install needed); loaded with
 *                                   `irqlab compare --plugin ./NAME`
 *
 * The templates are the toy8 controller (docs/writing-a-controller.md §4); `toy8` / `Toy8` /
 * `TOY8` / `toy8X` become the id, class prefix, constant infix and camelCase prefix of NAME.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ARCHES, KVM_DEV_TYPE_MAX, type Arch } from "@irqlab/core";
import { CliError, EXIT_USAGE } from "../errors.js";
import { workspaceRoot } from "../plugins.js";
import { controllerNames, type ControllerNames } from "./names.js";

export interface ScaffoldOptions {
  /** The controller name: lower case, digits, "-" (e.g. "toy8"). */
  readonly name: string;
  /** Target directory (default: packages/NAME inside an irqlab workspace, else ./NAME). */
  readonly dir?: string;
  /** Architecture (one of core's ARCHES); default "ppc-booke". */
  readonly arch?: string;
  /** KVM_CREATE_DEVICE type number (1 .. KVM_DEV_TYPE_MAX-1); default KVM_DEV_TYPE_MAX - 1. */
  readonly deviceType?: number;
  /** package.json name; default "@irqlab/NAME". */
  readonly packageName?: string;
  /** Directory relative paths are resolved from (default process.cwd()). */
  readonly cwd?: string;
}

export interface ScaffoldResult {
  readonly dir: string;
  readonly packageName: string;
  readonly mode: "workspace" | "standalone";
  readonly arch: Arch;
  readonly deviceType: number;
  /** Files written, relative to `dir`. */
  readonly files: readonly string[];
  /** What to run next, one command per line. */
  readonly next: readonly string[];
}

export const DEFAULT_SCAFFOLD_ARCH: Arch = "ppc-booke";
export const DEFAULT_SCAFFOLD_DEVICE_TYPE = KVM_DEV_TYPE_MAX - 1;

/** packages/cli/scaffold (templates), from src/scaffold or dist/scaffold alike. */
function templateDir(): string {
  return fileURLToPath(new URL("../../scaffold/", import.meta.url));
}

/** The irqlab checkout this CLI runs from (its packages are what a standalone plugin links to). */
export function irqlabCheckout(): string {
  const root = workspaceRoot();
  if (!root || !existsSync(join(root, "packages", "core", "package.json"))) {
    throw new CliError("cannot find the irqlab checkout this CLI runs from (packages/core is missing)");
  }
  return root;
}

/** Whether `dir` is an irqlab workspace root (pnpm-workspace.yaml + packages/core = @irqlab/core). */
function isIrqlabWorkspace(dir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "packages", "core", "package.json"), "utf8")) as { name?: string };
    return existsSync(join(dir, "pnpm-workspace.yaml")) && pkg.name === "@irqlab/core";
  } catch {
    return false;
  }
}

function listTemplates(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...listTemplates(p, base));
    else if (n.endsWith(".tpl")) out.push(relative(base, p));
  }
  return out;
}

/** Applies the names and values to one template's text. */
export function renderTemplate(text: string, n: ControllerNames, vars: Readonly<Record<string, string>>): string {
  let s = text;
  for (const [k, v] of Object.entries(vars)) s = s.split(`__${k}__`).join(v);
  return s
    .replace(/toy8(?=[A-Z])/g, n.camel)
    .replace(/Toy8/g, n.pascal)
    .replace(/TOY8/g, n.upper)
    .replace(/toy8/g, n.id);
}

function validate(opts: ScaffoldOptions): { names: ControllerNames; arch: Arch; deviceType: number; packageName: string } {
  const names = controllerNames(opts.name);
  const arch = (opts.arch ?? DEFAULT_SCAFFOLD_ARCH) as Arch;
  if (!ARCHES.includes(arch)) throw new CliError(`--arch ${opts.arch}: one of ${ARCHES.join(", ")}`, EXIT_USAGE);
  const deviceType = opts.deviceType ?? DEFAULT_SCAFFOLD_DEVICE_TYPE;
  if (!Number.isInteger(deviceType) || deviceType < 1 || deviceType >= KVM_DEV_TYPE_MAX) {
    throw new CliError(`--device-type ${deviceType}: must be 1 .. ${KVM_DEV_TYPE_MAX - 1} (below KVM_DEV_TYPE_MAX)`, EXIT_USAGE);
  }
  const packageName = opts.packageName ?? `@irqlab/${names.id}`;
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/.test(packageName)) {
    throw new CliError(`--package ${packageName}: not a valid npm package name`, EXIT_USAGE);
  }
  return { names, arch, deviceType, packageName };
}

/** Writes the package. Throws a CliError (nothing written) for bad names or a non-empty target. */
export function scaffoldController(opts: ScaffoldOptions): ScaffoldResult {
  const { names, arch, deviceType, packageName } = validate(opts);
  const cwd = resolve(opts.cwd ?? process.cwd());
  const cwdWorkspace = workspaceRoot(cwd);
  const inIrqlab = cwdWorkspace !== null && isIrqlabWorkspace(cwdWorkspace) ? cwdWorkspace : null;
  const dir = opts.dir !== undefined ? resolve(cwd, opts.dir) : inIrqlab ? join(inIrqlab, "packages", names.id) : join(cwd, names.id);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new CliError(`${dir} already exists and is not an empty directory: choose another NAME or --dir`);
  }
  // Workspace mode: the package sits directly in an irqlab workspace's packages/ folder.
  const parent = dirname(dir);
  const wsRoot = dirname(parent);
  const mode: ScaffoldResult["mode"] = basename(parent) === "packages" && isIrqlabWorkspace(wsRoot) ? "workspace" : "standalone";
  const checkout = mode === "workspace" ? wsRoot : irqlabCheckout();
  const link = (p: string) => `link:${join(checkout, p)}`;
  const devTools = ["typescript", "vitest", "fast-check"];
  const vars: Record<string, string> = {
    PACKAGE: packageName,
    ARCH: arch,
    DEVICE_TYPE: String(deviceType),
    DEP_CORE: mode === "workspace" ? "workspace:*" : link("packages/core"),
    DEP_ROUTING: mode === "workspace" ? "workspace:*" : link("packages/routing"),
    DEP_TESTKIT: mode === "workspace" ? "workspace:*" : link("packages/testkit"),
    DEV_TOOLS: mode === "workspace" ? "" : devTools.map((t) => `,\n    "${t}": "${link(`node_modules/${t}`)}"`).join(""),
  };
  const tdir = templateDir();
  const files: string[] = [];
  const write = (rel: string, text: string) => {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    files.push(rel);
  };
  for (const t of listTemplates(tdir)) {
    if (t.startsWith("tsconfig.")) continue;
    write(t.replace(/\.tpl$/, ""), renderTemplate(readFileSync(join(tdir, t), "utf8"), names, vars));
  }
  write("tsconfig.json", readFileSync(join(tdir, mode === "workspace" ? "tsconfig.workspace.json.tpl" : "tsconfig.standalone.json.tpl"), "utf8"));
  if (mode === "standalone") write(".gitignore", "node_modules/\ndist/\n");
  linkDependencies(dir, checkout, mode, devTools);
  const rel = relative(cwd, dir) || ".";
  const shown = rel.startsWith("..") || isAbsolute(rel) ? dir : rel;
  const next =
    mode === "workspace"
      ? ["pnpm build", `pnpm exec vitest run ${relative(checkout, dir)}`, `irqlab compare -c ${names.id}`]
      : [`cd ${shown}`, "npm run build", "npm test", `irqlab compare --plugin ${shown} -c ${names.id}`];
  return { dir, packageName, mode, arch, deviceType, files, next };
}

/**
 * node_modules links, as `pnpm install` would make them, so the package builds and tests
 * right away: @irqlab/core, routing and testkit (and, standalone, typescript, vitest and
 * fast-check from the checkout, with .bin/tsc and .bin/vitest).
 */
function linkDependencies(dir: string, checkout: string, mode: ScaffoldResult["mode"], devTools: readonly string[]): void {
  const scope = join(dir, "node_modules", "@irqlab");
  mkdirSync(scope, { recursive: true });
  for (const p of ["core", "routing", "testkit"]) {
    const target = join(checkout, "packages", p);
    symlinkSync(mode === "workspace" ? relative(scope, target) : target, join(scope, p), "dir");
  }
  if (mode === "workspace") return;
  const bin = join(dir, "node_modules", ".bin");
  mkdirSync(bin, { recursive: true });
  for (const t of devTools) {
    const src = join(checkout, "node_modules", t);
    if (existsSync(src)) symlinkSync(realpathSync(src), join(dir, "node_modules", t), "dir");
  }
  const shim = (name: string, script: string) => {
    const p = join(bin, name);
    writeFileSync(p, `#!/bin/sh\nexec node "${script}" "$@"\n`);
    chmodSync(p, 0o755);
  };
  shim("tsc", join(realpathSync(join(checkout, "node_modules", "typescript")), "bin", "tsc"));
  shim("vitest", join(realpathSync(join(checkout, "node_modules", "vitest")), "vitest.mjs"));
}
