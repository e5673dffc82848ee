/**
 * `irqlab inspect`: builds a VM per controller from a small JSON description (vCPUs,
 * sources to configure, sources to raise) or from a workload (optionally running it), and
 * returns each controller's dumpState() (QEMU `info pic`-like words).
 *
 *   { "vcpus": 2, "controllers": ["xics"],
 *     "sources": [ { "trigger": "edge", "vcpu": 0, "priority": 0 }, { "trigger": "level", "vcpu": 1 } ],
 *     "raise": [0, 1] }
 */
import { KVM_IRQ_ROUTING_IRQCHIP, createVm, escapeControl, profileCatalogue, type GuestDriver, type GuestDriverContribution } from "@irqlab/core";
import { effectiveWorkload, resolveCosts, type CompareOptions } from "./compare.js";
import { CliError } from "./errors.js";
import { selectDrivers, type PluginSet } from "./plugins.js";
import { GSI_BASE, routeEntry, runController } from "./sim/runner.js";
import { FieldError, JsonSyntaxError, array, integer, object, oneOf, parseJson, string } from "./workload/fields.js";
import { readInputText } from "./workload/input-file.js";
import { planWorkload } from "./workload/plan.js";
import { WORKLOAD_LIMITS } from "./workload/types.js";

export interface VmDescription {
  readonly vcpus: number;
  readonly controllers: readonly string[] | null;
  readonly sources: readonly { trigger: "edge" | "level"; vcpu: number; priority: number }[];
  readonly raise: readonly number[];
}

export function validateVmDescription(data: unknown): VmDescription {
  const d = object(data, "vm", ["$schema", "vcpus", "controllers", "sources", "raise"]);
  const vcpus = d.vcpus === undefined ? 1 : integer(d.vcpus, "vm.vcpus", 1, WORKLOAD_LIMITS.maxVcpus);
  const controllers = d.controllers === undefined ? null : array(d.controllers, "vm.controllers").map((c, i) => string(c, `vm.controllers[${i}]`));
  const sources = (d.sources === undefined ? [] : array(d.sources, "vm.sources")).map((raw, i) => {
    const p = `vm.sources[${i}]`;
    const s = object(raw, p, ["trigger", "vcpu", "priority"]);
    return {
      trigger: s.trigger === undefined ? ("edge" as const) : oneOf(s.trigger, `${p}.trigger`, ["edge", "level"] as const),
      vcpu: s.vcpu === undefined ? 0 : integer(s.vcpu, `${p}.vcpu`, 0, vcpus - 1),
      priority: s.priority === undefined ? 0 : integer(s.priority, `${p}.priority`, 0, WORKLOAD_LIMITS.maxPriority),
    };
  });
  const raise = (d.raise === undefined ? [] : array(d.raise, "vm.raise")).map((x, i) => integer(x, `vm.raise[${i}]`, 0, Math.max(0, sources.length - 1)));
  if (raise.length && sources.length === 0) throw new FieldError("vm.raise", "there are no sources to raise");
  return { vcpus, controllers, sources, raise };
}

export function readVmDescription(path: string): VmDescription {
  let text: string;
  try {
    text = readInputText(path);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read ${escapeControl(path)}: ${(e as Error).message}`);
  }
  try {
    return validateVmDescription(parseJson(text, "vm"));
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new CliError(e.located(path));
    if (e instanceof FieldError) throw new CliError(`${escapeControl(path)}: ${e.message}`);
    throw e;
  }
}

export interface InspectedController {
  readonly id: string;
  readonly label: string;
  readonly arch: string;
  readonly state: string | null;
  readonly error?: string;
}

export interface InspectReport {
  readonly tool: "irqlab inspect";
  readonly format: 1;
  readonly controllers: readonly InspectedController[];
  readonly notes: readonly string[];
}

function dumpOf(driver: GuestDriver): string | null {
  if (driver.dumpState) return driver.dumpState();
  if (!driver.controller) return null;
  const b = driver.controller.backend();
  return typeof b.dumpState === "function" ? b.dumpState() : null;
}

function inspectOne(c: GuestDriverContribution, plugins: PluginSet, desc: VmDescription, profile?: string): InspectedController {
  const base = { id: c.id, label: c.label, arch: c.arch };
  const routing = plugins.routing;
  const vm = createVm({ arch: c.arch, vcpus: desc.vcpus, profile, modules: [...(routing ? [routing.module] : []), ...plugins.modulesFor(c)] });
  try {
    const driver = c.attach(vm);
    const routes = desc.sources.map((s, index) => driver.configureSource({ index, ...s }));
    if (desc.raise.length) {
      if (!routing) throw new CliError("raising sources needs the routing package (not loaded; try --verbose)");
      // Raised the way the compare runner raises them: routes, then one irqfd per source
      // (a resample irqfd for a level source on an irqchip pin, which then stays asserted).
      const r = vm.get(routing.GsiRouting);
      const entries = routes.map((rt, i) => routeEntry(GSI_BASE + i, rt));
      r.setGsiRouting(entries);
      for (const i of desc.raise) {
        const efd = routing.EventFd.create();
        if (desc.sources[i].trigger === "level" && entries[i].type === KVM_IRQ_ROUTING_IRQCHIP) {
          r.irqfd({ fd: efd, gsi: GSI_BASE + i, flags: routing.KVM_IRQFD_FLAG_RESAMPLE, resamplefd: routing.EventFd.create() });
        } else {
          r.irqfd({ fd: efd, gsi: GSI_BASE + i });
        }
        efd.write(1);
      }
    }
    return { ...base, state: dumpOf(driver) };
  } catch (e) {
    if (e instanceof CliError) throw e;
    return { ...base, state: null, error: e instanceof Error ? e.message.split("\n")[0] : String(e) };
  } finally {
    vm.destroy();
  }
}

export interface InspectOptions {
  /** A VM description (from readVmDescription). */
  description?: VmDescription;
  /** Or a workload (built-in name, file or object) whose sources are configured. */
  workload?: CompareOptions["workload"];
  /** With a workload: run it first (the state is dumped at the end of the run). */
  run?: boolean;
  controllers?: readonly string[];
  /** Behaviour profile of every VM (core profile.ts; default "kvm"). */
  profile?: string;
}

export function runInspect(plugins: PluginSet, opts: InspectOptions): InspectReport {
  if (opts.profile !== undefined) {
    const catalogue = profileCatalogue([...(plugins.routing ? [plugins.routing.module] : []), ...plugins.modules]);
    if (!catalogue.profile(opts.profile)) throw new CliError(`unknown profile "${opts.profile}" (known: ${catalogue.profiles.map((p) => p.name).join(", ")})`, 2);
  }
  let desc = opts.description;
  if (!desc && opts.workload === undefined) throw new CliError("inspect needs a VM description file or --workload", 2);
  if (opts.workload !== undefined && opts.run) {
    return inspectRun(plugins, opts);
  }
  if (!desc) {
    const w = effectiveWorkload({ workload: opts.workload });
    const plan = planWorkload(w);
    desc = { vcpus: w.vcpus, controllers: null, sources: plan.sources.map((s) => ({ trigger: s.trigger, vcpu: s.vcpu, priority: s.priority })), raise: [] };
  }
  const drivers = selectDrivers(plugins, opts.controllers ?? desc.controllers ?? undefined);
  const d = desc;
  return { tool: "irqlab inspect", format: 1, controllers: drivers.map((c) => inspectOne(c, plugins, d, opts.profile)), notes: [] };
}

/** Runs the workload on each controller and dumps the state the run ends in. */
function inspectRun(plugins: PluginSet, opts: InspectOptions): InspectReport {
  if (!plugins.routing) throw new CliError("running a workload needs the routing package (not loaded; try --verbose)");
  const w = effectiveWorkload({ workload: opts.workload });
  const plan = planWorkload(w);
  const cost = resolveCosts();
  const drivers = selectDrivers(plugins, opts.controllers);
  const controllers = drivers.map((c): InspectedController => {
    let state: string | null = null;
    const r = runController(c, { routing: plugins.routing!, modules: plugins.modulesFor(c), profile: opts.profile }, {
      workload: w,
      plan,
      cost,
      onFinish: (driver) => {
        state = dumpOf(driver);
      },
    });
    return { id: c.id, label: c.label, arch: c.arch, state, ...(r.status === "failed" ? { error: r.error } : {}) };
  });
  return { tool: "irqlab inspect", format: 1, controllers, notes: [] };
}

export function formatInspect(r: InspectReport): string {
  if (r.controllers.length === 0) return "no controller to inspect (are the controller packages built? try --verbose)";
  return r.controllers
    .map((c) => {
      const head = `== ${c.label} (${c.id}, ${c.arch})`;
      if (c.error) return `${head}\nerror: ${c.error}`;
      return `${head}\n${c.state ?? "(this controller has no dumpState())"}`;
    })
    .join("\n\n");
}
