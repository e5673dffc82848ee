/**
 * The plugin registry. The CLI names no controller: it discovers them.
 *
 *   workspace (pnpm-workspace.yaml globs, default packages/*)
 *     every package.json with "irqlabPlugin": { "exports": ["default", "otherModule"] }
 *        -> one plugin per export: specifier `pkg` (default) or `pkg#name`
 *   --plugin PATH|PACKAGE[#name]   (repeatable)
 *        PATH     a package directory (its irqlabPlugin field, else its default export) or an
 *                 ES module file; "./" is optional and a path may contain "#"
 *        PACKAGE  resolved from the current directory's node_modules, then from the CLI's
 *
 * Each plugin export is an inversify ContainerModule binding core's DeviceContribution and
 * GuestDriverContribution; the comparison runner multi-injects the latter. A package may
 * ship alternatives, e.g. `@irqlab/xive#xicsOnXiveModule`, which claims the XICS device type
 * as KVM does on a XIVE host: it cannot share a VM with `@irqlab/xics`, so each controller's
 * VM links its own module plus every other module compatible with it.
 *
 * Failures are never silent: a discovered plugin that cannot load lands in `errors` (printed
 * on stderr by every command; `--list-controllers` exits 1), a `--plugin` that cannot load is
 * fatal. `notes` are informational (--verbose) and never part of a result.
 *
 * Routing (GSI routing table, eventfd, irqfd) is loaded from the package named by
 * `irqlabRouting` in packages/cli/package.json; the CLI only relies on the small `RoutingLib`
 * contract below.
 */
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  ARCHES,
  ContainerModule,
  ContainerToken,
  GuestDriverContribution,
  createVm,
  type Container,
  type RoutingEntry,
  type ServiceIdentifier,
} from "@irqlab/core";
import { CliError } from "./errors.js";

/** An eventfd as the runner uses it (the routing package's EventFd). */
export interface EventFdLike {
  write(value: number | bigint): unknown;
  read(): number | bigint;
  readonly counter: number | bigint;
  close(): void;
}

/** The VM's GSI routing service (the routing package's GsiRouting). */
export interface GsiRoutingLike {
  setGsiRouting(entries: RoutingEntry[], flags?: number): unknown;
  irqLine(gsi: number, level: number): unknown;
  irqfd(args: { fd: EventFdLike; gsi: number; flags?: number; resamplefd?: EventFdLike }): unknown;
}

/** What the CLI needs from the routing package. */
export interface RoutingLib {
  readonly specifier: string;
  readonly module: ContainerModule;
  readonly GsiRouting: ServiceIdentifier<GsiRoutingLike>;
  readonly EventFd: { create(): EventFdLike };
  readonly KVM_IRQFD_FLAG_RESAMPLE: number;
}

export interface LoadedPlugin {
  readonly specifier: string;
  readonly module: ContainerModule;
  /** The package's other exports (available to commands that read plugin data). */
  readonly exports?: Readonly<Record<string, unknown>>;
  readonly contributions: readonly GuestDriverContribution[];
}

export interface PluginModule {
  readonly specifier: string;
  readonly module: ContainerModule;
  readonly exports?: Readonly<Record<string, unknown>>;
}

export interface PluginSet {
  readonly routing: RoutingLib | null;
  readonly plugins: readonly LoadedPlugin[];
  /** Every guest driver, in plugin order. */
  readonly drivers: readonly GuestDriverContribution[];
  /**
   * The plugin modules that can share one VM, in plugin order (a module that conflicts with
   * an earlier one, e.g. two claiming one device type, is left out with a note).
   */
  readonly modules: readonly ContainerModule[];
  /** The modules a VM for `driver` links: its own plugin's module and every compatible other. */
  modulesFor(driver: GuestDriverContribution): readonly ContainerModule[];
  /** Plugins that were found but failed to load, each with its cause (never silent). */
  readonly errors: readonly string[];
  /** Informational loader messages (for --verbose; never part of a result). */
  readonly notes: readonly string[];
}

interface CliPackageJson {
  irqlabRouting?: unknown;
}

/** What a package.json may say about plugins and entry points. */
interface PluginPackageJson {
  name?: unknown;
  main?: unknown;
  exports?: unknown;
  irqlabPlugin?: unknown;
}

/** One plugin to load: a module file (or bare package) and the export to take. */
export interface PluginRef {
  /** How it is named in listings and messages: `pkg`, `pkg#name`, or the path given. */
  readonly specifier: string;
  /** Absolute path of the ES module to import, or a bare package name. */
  readonly entry: string;
  /** The export to take; "default" for the default export. */
  readonly exportName: string;
  /** Where it came from. */
  readonly origin: "workspace" | "command line" | "list";
}

/** The routing package named in packages/cli/package.json. */
export function configuredRouting(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as CliPackageJson;
  return typeof pkg.irqlabRouting === "string" ? pkg.irqlabRouting : "@irqlab/routing";
}

/** The workspace root this CLI belongs to (the directory holding pnpm-workspace.yaml), or null. */
export function workspaceRoot(from: string = fileURLToPath(new URL(".", import.meta.url))): string | null {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * The package directories of a pnpm workspace: the `packages:` globs of pnpm-workspace.yaml
 * (`dir/*` and plain `dir` forms; `!` exclusions honoured), default `packages/*`.
 */
export function workspacePackageDirs(root: string): string[] {
  let globs = ["packages/*"];
  try {
    const yaml = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8");
    const m = /^packages:\s*\n((?:[ \t]+-[^\n]*\n?)+)/m.exec(yaml);
    if (m) globs = [...m[1].matchAll(/-\s*["']?([^"'\n#]+?)["']?\s*(?:#.*)?$/gm)].map((x) => x[1].trim());
  } catch {
    // no yaml: the default
  }
  const excluded = globs.filter((g) => g.startsWith("!")).map((g) => resolve(root, g.slice(1)));
  const dirs: string[] = [];
  for (const g of globs.filter((x) => !x.startsWith("!"))) {
    if (g.endsWith("/*") || g.endsWith("/**")) {
      const base = resolve(root, g.replace(/\/\*\*?$/, ""));
      let names: string[] = [];
      try {
        names = readdirSync(base).sort();
      } catch {
        continue;
      }
      for (const n of names) {
        const d = join(base, n);
        if (existsSync(join(d, "package.json"))) dirs.push(d);
      }
    } else if (!g.includes("*")) {
      const d = resolve(root, g);
      if (existsSync(join(d, "package.json"))) dirs.push(d);
    }
  }
  return dirs.filter((d) => !excluded.includes(d));
}

function readPackageJson(dir: string): PluginPackageJson {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PluginPackageJson;
}

/** The file a package's main entry resolves to (exports ".", then main, then index.js). */
export function packageEntry(dir: string, pkg: PluginPackageJson = readPackageJson(dir)): string {
  const pick = (x: unknown): string | null => {
    if (typeof x === "string") return x;
    if (x && typeof x === "object") {
      const o = x as Record<string, unknown>;
      if ("." in o) return pick(o["."]);
      for (const k of ["import", "node", "default"]) if (k in o) return pick(o[k]);
    }
    return null;
  };
  const rel = pick(pkg.exports) ?? (typeof pkg.main === "string" ? pkg.main : "index.js");
  return resolve(dir, rel);
}

/** The export names a package's `irqlabPlugin` field lists; null when it has none; throws when malformed. */
export function pluginExportsOf(pkg: PluginPackageJson): string[] | null {
  const f = pkg.irqlabPlugin;
  if (f === undefined) return null;
  const ex = f && typeof f === "object" ? (f as { exports?: unknown }).exports : undefined;
  if (!Array.isArray(ex) || ex.length === 0 || !ex.every((x) => typeof x === "string" && x.length > 0)) {
    throw new Error(`its package.json "irqlabPlugin" must be { "exports": ["default", ...] } (a non-empty list of export names)`);
  }
  return ex as string[];
}

function refsOfPackageDir(dir: string, label: string, only: string | null, origin: PluginRef["origin"]): PluginRef[] {
  const pkg = readPackageJson(dir);
  const entry = packageEntry(dir, pkg);
  const names = only !== null ? [only] : (pluginExportsOf(pkg) ?? ["default"]);
  return names.map((n) => ({ specifier: n === "default" ? label : `${label}#${n}`, entry, exportName: n, origin }));
}

/** Every plugin the workspace's package.json files declare; broken declarations go to `errors`. */
export function discoverWorkspacePlugins(root: string | null = workspaceRoot()): { refs: PluginRef[]; errors: string[] } {
  const refs: PluginRef[] = [];
  const errors: string[] = [];
  if (root === null) return { refs, errors };
  for (const dir of workspacePackageDirs(root)) {
    let pkg: PluginPackageJson;
    try {
      pkg = readPackageJson(dir);
    } catch (e) {
      errors.push(`package ${dir}: package.json is not readable JSON: ${firstLine(e)}`);
      continue;
    }
    if (pkg.irqlabPlugin === undefined) continue;
    const name = typeof pkg.name === "string" ? pkg.name : dir;
    try {
      refs.push(...refsOfPackageDir(dir, name, null, "workspace"));
    } catch (e) {
      errors.push(`plugin ${name} failed to load: ${firstLine(e)}`);
    }
  }
  return { refs, errors };
}

/** Splits `x#name` at the last "#" (null name when there is none or it would be empty). */
function splitHash(spec: string): [string, string | null] {
  const h = spec.lastIndexOf("#");
  return h > 0 && h < spec.length - 1 ? [spec.slice(0, h), spec.slice(h + 1)] : [spec, null];
}

/** Finds `pkg`'s directory in node_modules from `from` upwards. */
function findPackageDir(pkg: string, from: string): string | null {
  let dir = resolve(from);
  for (;;) {
    const d = join(dir, "node_modules", pkg);
    if (existsSync(join(d, "package.json"))) return d;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

const looksLikePackage = (s: string): boolean => /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(s) && !/\.(m?js|cjs|ts)$/.test(s);

/**
 * What one `--plugin` argument names. Order: the whole argument as an existing path; the
 * part before the last "#" as an existing path (then the part after is the export); a
 * package name (with an optional #export) found from `cwd`, then from the CLI. Throws a
 * CliError naming the cause when none of those exists.
 */
export function resolvePluginArg(arg: string, cwd: string = process.cwd()): PluginRef[] {
  const asPath = (p: string, only: string | null): PluginRef[] | null => {
    const abs = isAbsolute(p) ? p : resolve(cwd, p);
    if (!existsSync(abs)) return null;
    if (statSync(abs).isDirectory()) {
      if (!existsSync(join(abs, "package.json"))) {
        throw new CliError(`plugin ${arg} failed to load: directory ${abs} has no package.json`);
      }
      try {
        return refsOfPackageDir(abs, only === null ? arg : arg.slice(0, arg.length - only.length - 1), only, "command line");
      } catch (e) {
        throw new CliError(`plugin ${arg} failed to load: ${firstLine(e)}`);
      }
    }
    return [{ specifier: arg, entry: abs, exportName: only ?? "default", origin: "command line" }];
  };
  const whole = asPath(arg, null);
  if (whole) return whole;
  const [base, name] = splitHash(arg);
  if (name !== null) {
    const part = asPath(base, name);
    if (part) return part;
  }
  if (looksLikePackage(base)) {
    const dir = findPackageDir(base, cwd) ?? findPackageDir(base, fileURLToPath(new URL(".", import.meta.url)));
    if (dir) {
      try {
        return refsOfPackageDir(dir, base, name, "command line");
      } catch (e) {
        throw new CliError(`plugin ${arg} failed to load: ${firstLine(e)}`);
      }
    }
    throw new CliError(`plugin ${arg} failed to load: no file or directory ${resolve(cwd, arg)}, and no package "${base}" in node_modules (from ${cwd} or from the irqlab CLI)`);
  }
  throw new CliError(`plugin ${arg} failed to load: no such file or directory: ${resolve(cwd, arg)}`);
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0];
}

function isContainerModule(x: unknown): x is ContainerModule {
  return x instanceof ContainerModule || (typeof x === "object" && x !== null && typeof (x as { load?: unknown }).load === "function");
}

async function importModule(spec: string): Promise<Record<string, unknown>> {
  const target = isAbsolute(spec) ? pathToFileURL(existsSync(spec) ? realpathSync(spec) : spec).href : spec;
  return (await import(target)) as Record<string, unknown>;
}

/** Why importing `ref` failed, in one line a newcomer can act on. */
function loadFailure(ref: PluginRef, e: unknown): string {
  if (isAbsolute(ref.entry) && !existsSync(ref.entry)) {
    return `plugin ${ref.specifier} failed to load: its entry ${ref.entry} does not exist (not built? run: pnpm build)`;
  }
  return `plugin ${ref.specifier} failed to load: ${firstLine(e)}`;
}

/** Loads the routing package; null (with a note) when it is missing or lacks the contract. */
export async function loadRouting(spec: string, notes: string[]): Promise<RoutingLib | null> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(spec);
  } catch (e) {
    notes.push(`routing ${spec} not loaded: ${firstLine(e)}`);
    return null;
  }
  const module = mod.default ?? mod.routingModule;
  const missing: string[] = [];
  if (!isContainerModule(module)) missing.push("default export (ContainerModule)");
  if (mod.GsiRouting === undefined) missing.push("GsiRouting");
  const efd = mod.EventFd as { create?: unknown } | undefined;
  if (!efd || typeof efd.create !== "function") missing.push("EventFd.create");
  if (typeof mod.KVM_IRQFD_FLAG_RESAMPLE !== "number") missing.push("KVM_IRQFD_FLAG_RESAMPLE");
  if (missing.length) {
    notes.push(`routing ${spec} lacks ${missing.join(", ")}`);
    return null;
  }
  return {
    specifier: spec,
    module: module as ContainerModule,
    GsiRouting: mod.GsiRouting as ServiceIdentifier<GsiRoutingLike>,
    EventFd: mod.EventFd as RoutingLib["EventFd"],
    KVM_IRQFD_FLAG_RESAMPLE: mod.KVM_IRQFD_FLAG_RESAMPLE as number,
  };
}

/** The guest-driver contributions one module binds (probed in a throw-away VM). */
export function contributionsOf(module: ContainerModule, routing: RoutingLib | null): GuestDriverContribution[] {
  const vm = createVm({ arch: "ppc64", vcpus: 0, modules: routing ? [routing.module, module] : [module] });
  try {
    const c = vm.get<Container>(ContainerToken);
    return c.isBound(GuestDriverContribution) ? c.getAll<GuestDriverContribution>(GuestDriverContribution) : [];
  } finally {
    vm.destroy();
  }
}

export interface LoadOptions {
  /**
   * Plugins to load instead of the discovered workspace ones (package names, paths, `x#name`;
   * resolved like --plugin, but a failure is an entry in `errors`, not fatal).
   */
  plugins?: readonly string[];
  /** More plugins (`--plugin`): each must load, or loading throws a CliError with the cause. */
  extra?: readonly string[];
  /** Routing package; default: packages/cli/package.json `irqlabRouting`. */
  routing?: string;
  /** Workspace root to discover plugins in (default: the CLI's own workspace). */
  workspace?: string | null;
  /** Directory --plugin paths and packages are resolved from (default: process.cwd()). */
  cwd?: string;
}

/** Loads every discovered (or listed) plugin plus the --plugin ones. */
export async function loadPluginSet(opts: LoadOptions = {}): Promise<PluginSet> {
  const notes: string[] = [];
  const errors: string[] = [];
  const routing = await loadRouting(opts.routing ?? configuredRouting(), notes);
  if (!routing) errors.push(...notes.filter((n) => n.startsWith("routing ")));
  const refs: PluginRef[] = [];
  if (opts.plugins) {
    for (const spec of opts.plugins) {
      try {
        refs.push(...resolvePluginArg(spec, opts.cwd).map((r) => ({ ...r, origin: "list" as const })));
      } catch (e) {
        errors.push(firstLine(e));
      }
    }
  } else {
    const found = discoverWorkspacePlugins(opts.workspace === undefined ? workspaceRoot() : opts.workspace);
    refs.push(...found.refs);
    errors.push(...found.errors);
  }
  // --plugin arguments resolve now: one that names nothing is fatal before anything loads.
  for (const spec of opts.extra ?? []) refs.push(...resolvePluginArg(spec, opts.cwd));
  const loaded: PluginModule[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const key = `${isAbsolute(ref.entry) && existsSync(ref.entry) ? realpathSync(ref.entry) : ref.entry}#${ref.exportName}`;
    if (seen.has(key)) {
      notes.push(`plugin ${ref.specifier} is already loaded (same module and export), ignored`);
      continue;
    }
    seen.add(key);
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(ref.entry);
    } catch (e) {
      const msg = loadFailure(ref, e);
      if (ref.origin === "command line") throw new CliError(msg);
      errors.push(msg);
      continue;
    }
    const chosen = mod[ref.exportName];
    if (!isContainerModule(chosen)) {
      const which = ref.exportName === "default" ? "its default export" : `its export "${ref.exportName}"`;
      const msg = `plugin ${ref.specifier} failed to load: ${which} is ${chosen === undefined ? "missing" : "not an inversify ContainerModule"}`;
      if (ref.origin === "command line") throw new CliError(msg);
      errors.push(msg);
      continue;
    }
    loaded.push({ specifier: ref.specifier, module: chosen, exports: mod });
  }
  const set = pluginSetFrom(loaded, routing, notes, errors);
  const failed = set.errors.find((e) => (opts.extra ?? []).some((x) => e.startsWith(`plugin ${x} `)));
  if (failed) throw new CliError(failed);
  return set;
}

/** A plugin set from modules already in hand (programmatic use and tests). */
export function pluginSetFrom(
  modules: readonly PluginModule[],
  routing: RoutingLib | null,
  notes: string[] = [],
  errors: string[] = [],
): PluginSet {
  const plugins: LoadedPlugin[] = [];
  const ids = new Set<string>();
  for (const { specifier, module, exports } of modules) {
    let contributions: GuestDriverContribution[];
    try {
      contributions = contributionsOf(module, routing);
    } catch (e) {
      errors.push(`plugin ${specifier} failed to load: loading its module into a VM failed: ${firstLine(e)}`);
      continue;
    }
    const fresh = contributions.filter((c) => {
      if (ids.has(c.id)) {
        notes.push(`plugin ${specifier}: guest driver id "${c.id}" already registered, ignored`);
        return false;
      }
      ids.add(c.id);
      return true;
    });
    if (fresh.length === 0) notes.push(`plugin ${specifier} contributes no guest driver (device only)`);
    plugins.push({ specifier, module, exports, contributions: fresh });
  }
  const compatible = (base: readonly ContainerModule[], arch: GuestDriverContribution["arch"] | null): ContainerModule[] => {
    const set = [...base];
    for (const p of plugins) {
      if (set.includes(p.module)) continue;
      if (coexist([...set, p.module], routing, arch)) set.push(p.module);
      else if (arch === null) notes.push(`plugin ${p.specifier} cannot share a VM with the plugins before it (it claims a device type or capability they claim): its controllers run in VMs of their own`);
    }
    return set;
  };
  const shared = compatible([], null);
  const ownerOf = new Map<GuestDriverContribution, ContainerModule>();
  for (const p of plugins) for (const c of p.contributions) ownerOf.set(c, p.module);
  const perDriver = new Map<GuestDriverContribution, readonly ContainerModule[]>();
  return {
    routing,
    plugins,
    drivers: plugins.flatMap((p) => p.contributions),
    modules: shared,
    errors,
    modulesFor(driver) {
      let m = perDriver.get(driver);
      if (!m) {
        const own = ownerOf.get(driver);
        m = own ? compatible([own], driver.arch) : shared;
        perDriver.set(driver, m);
      }
      return m;
    },
    notes,
  };
}

/** Whether these modules load into one VM (no two claim a device type or vCPU capability). */
function coexist(modules: readonly ContainerModule[], routing: RoutingLib | null, arch: GuestDriverContribution["arch"] | null): boolean {
  for (const a of arch === null ? ARCHES : [arch]) {
    try {
      createVm({ arch: a, vcpus: 0, modules: routing ? [routing.module, ...modules] : modules }).destroy();
    } catch {
      return false;
    }
  }
  return true;
}

/** The drivers named in `ids` (comma list), in the order given; unknown ids are a usage error. */
export function selectDrivers(set: PluginSet, ids: readonly string[] | undefined): GuestDriverContribution[] {
  if (!ids || ids.length === 0) return [...set.drivers];
  const out: GuestDriverContribution[] = [];
  for (const id of ids) {
    // Ids are matched ignoring case ("XICS" as printed in the table header finds "xics").
    const d = set.drivers.find((c) => c.id === id) ?? set.drivers.find((c) => c.id.toLowerCase() === id.toLowerCase());
    if (!d) {
      const known = set.drivers.map((c) => c.id);
      throw new CliError(
        `unknown controller "${id}" (available: ${known.length ? known.join(", ") : "none - are the controller packages built? run: pnpm build"})`,
        2,
      );
    }
    if (!out.includes(d)) out.push(d);
  }
  return out;
}
