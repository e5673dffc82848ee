/**
 * The plugin registry. The CLI names no controller: the controller packages it loads are
 * listed, by package name, in the `irqlabPlugins` field of packages/cli/package.json (adding
 * a controller is one line there plus the dependency), and `--plugin` adds more (a package
 * name or a path to an ES module). Each plugin default-exports an inversify ContainerModule
 * binding core's DeviceContribution and GuestDriverContribution; the comparison runner
 * multi-injects the latter. `pkg#name` takes the named export instead of the default (a
 * package may ship alternatives, e.g. `@irqlab/xive#xicsOnXiveModule`, which claims the XICS
 * device type as KVM does on a XIVE host: it cannot share a VM with `@irqlab/xics`, so each
 * controller's VM links its own module plus every other module compatible with it). A plugin that is missing or not built is skipped with a note
 * (shown by `--verbose`).
 *
 * Routing (GSI routing table, eventfd, irqfd) is loaded the same way from the package named
 * by `irqlabRouting`; the CLI only relies on the small `RoutingLib` contract below.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
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
  /** The package's other exports (e.g. QEMU_DIVERGENCES, read by `irqlab replay`). */
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
  /** What was skipped and why (for --verbose). */
  readonly notes: readonly string[];
}

interface CliPackageJson {
  irqlabPlugins?: unknown;
  irqlabRouting?: unknown;
}

/** The plugin list and routing package named in packages/cli/package.json. */
export function configuredPlugins(): { plugins: string[]; routing: string } {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as CliPackageJson;
  const plugins = Array.isArray(pkg.irqlabPlugins) ? pkg.irqlabPlugins.filter((p): p is string => typeof p === "string") : [];
  const routing = typeof pkg.irqlabRouting === "string" ? pkg.irqlabRouting : "@irqlab/routing";
  return { plugins, routing };
}

function importTarget(spec: string): string {
  if (spec.startsWith(".") || isAbsolute(spec)) return pathToFileURL(resolve(process.cwd(), spec)).href;
  return spec;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0];
}

function isContainerModule(x: unknown): x is ContainerModule {
  return x instanceof ContainerModule || (typeof x === "object" && x !== null && typeof (x as { load?: unknown }).load === "function");
}

async function importModule(spec: string): Promise<Record<string, unknown>> {
  return (await import(importTarget(spec))) as Record<string, unknown>;
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
  /** Plugin packages/paths; default: package.json `irqlabPlugins`. */
  plugins?: readonly string[];
  /** More plugins (`--plugin`). */
  extra?: readonly string[];
  /** Routing package; default: package.json `irqlabRouting`. */
  routing?: string;
}

/** Loads every configured plugin; missing or broken ones are skipped with a note. */
export async function loadPluginSet(opts: LoadOptions = {}): Promise<PluginSet> {
  const conf = configuredPlugins();
  const notes: string[] = [];
  const routing = await loadRouting(opts.routing ?? conf.routing, notes);
  const specs = [...(opts.plugins ?? conf.plugins), ...(opts.extra ?? [])];
  const loaded: PluginModule[] = [];
  for (const spec of specs) {
    const hash = spec.lastIndexOf("#");
    const pkg = hash > 0 ? spec.slice(0, hash) : spec;
    const exportName = hash > 0 ? spec.slice(hash + 1) : null;
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(pkg);
    } catch (e) {
      const msg = `plugin ${spec} skipped: ${firstLine(e)}`;
      // A plugin named on the command line must load: that is a user error, not a note.
      if (opts.extra?.includes(spec)) throw new CliError(msg);
      notes.push(msg);
      continue;
    }
    const chosen = exportName === null ? mod.default : mod[exportName];
    if (!isContainerModule(chosen)) {
      const which = exportName === null ? "its default export" : `its export "${exportName}"`;
      const msg = `plugin ${spec} skipped: ${which} is not an inversify ContainerModule`;
      if (opts.extra?.includes(spec)) throw new CliError(msg);
      notes.push(msg);
      continue;
    }
    loaded.push({ specifier: spec, module: chosen, exports: mod });
  }
  return pluginSetFrom(loaded, routing, notes);
}

/** A plugin set from modules already in hand (programmatic use and tests). */
export function pluginSetFrom(
  modules: readonly PluginModule[],
  routing: RoutingLib | null,
  notes: string[] = [],
): PluginSet {
  const plugins: LoadedPlugin[] = [];
  const ids = new Set<string>();
  for (const { specifier, module, exports } of modules) {
    let contributions: GuestDriverContribution[];
    try {
      contributions = contributionsOf(module, routing);
    } catch (e) {
      notes.push(`plugin ${specifier} skipped: loading its module failed: ${firstLine(e)}`);
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
  for (const a of arch === null ? (["ppc64", "ppc-booke", "s390x"] as const) : [arch]) {
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
        `unknown controller "${id}" (available: ${known.length ? known.join(", ") : "none - are the controller packages built? try --verbose"})`,
        2,
      );
    }
    if (!out.includes(d)) out.push(d);
  }
  return out;
}
