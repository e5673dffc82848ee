/**
 * The comparison runner: one workload on one controller, event-driven on the VM's simulated
 * clock, deterministic for a given workload and seed.
 *
 *   streams (seeded arrivals) --eventfd.write--> irqfd --> GSI routing --> controller
 *                                                                             |
 *   vCPU ext/crit line asserted, vCPU idle --> driver.service(vcpu, handler) <-+
 *        handler(source): covers the source's outstanding events (latency samples)
 *        EOI of a level source --> ack notifier --> resamplefd --> device re-signals
 *
 * Time: a service call runs atomically at the clock's `now`; inside it the handler's time is
 * `now + entry + cost(exits made so far in this call) + earlier handler bodies`, exits being
 * read from the VM's ExitStats. The vCPU is then busy until the end of the call; events that
 * arrive meanwhile are injected at their own time and found at the next entry. IPIs are sent
 * by `driver.sendIpi` at their scheduled time and charge their exits to the sender's time.
 */
import { createVm, type ContainerModule, type GuestDriver, type GuestDriverContribution, type Vm } from "@irqlab/core";
import type { RoutingLib } from "../plugins.js";
import type { WorkloadPlan } from "../workload/plan.js";
import type { Workload } from "../workload/types.js";
import type { CostModel } from "./cost-model.js";
import { failedResult, reason, type ControllerResult } from "./results.js";
import { RunStopped, Simulation } from "./simulation.js";

export { GSI_BASE, routeEntry } from "./gsi-routes.js";
export type { ClassResult, ControllerResult, ExitTotals, FeatureStatus, PerInterrupt } from "./results.js";

export interface RunOptions {
  readonly workload: Workload;
  readonly plan: WorkloadPlan;
  readonly cost: CostModel;
  readonly strict?: boolean;
  /** Called now and then with the fraction of the arrival period simulated so far. */
  readonly onProgress?: (fraction: number) => void;
  /** Called after the run, before the VM is destroyed (e.g. to dump the controller state). */
  readonly onFinish?: (driver: GuestDriver, vm: Vm) => void;
  /**
   * Wall-clock deadline (performance.now() milliseconds): a run still going then stops, and
   * its controller is reported as failed with the reason (the run-time budget).
   */
  readonly deadlineMs?: number;
}

export interface RunEnv {
  readonly routing: RoutingLib;
  /** The plugin modules the controller's VM links (its own and every compatible other). */
  readonly modules: readonly ContainerModule[];
  /** Behaviour profile of the VM (core profile.ts; default "kvm"). */
  readonly profile?: string;
}

/** Runs the workload on one controller. Never throws for controller trouble: reports it. */
export function runController(contribution: GuestDriverContribution, env: RunEnv, opts: RunOptions): ControllerResult {
  const { workload: w, plan } = opts;
  let vm: Vm;
  let driver: GuestDriver;
  try {
    vm = createVm({
      arch: contribution.arch,
      vcpus: w.vcpus,
      strict: opts.strict ?? false,
      modules: [env.routing.module, ...env.modules],
      ...(env.profile !== undefined ? { profile: env.profile } : {}),
    });
  } catch (e) {
    return failedResult(contribution, `creating a ${contribution.arch} VM failed: ${reason(e)}`, plan, w);
  }
  try {
    driver = contribution.attach(vm);
  } catch (e) {
    vm.destroy();
    return failedResult(contribution, `attaching the guest driver failed: ${reason(e)}`, plan, w);
  }
  // Anything the plugin throws during the run (service(), a timer, an ack notifier) or in
  // onFinish fails this controller only, with the reason; the others are still reported.
  let result: ControllerResult;
  try {
    result = new Simulation(contribution, vm, driver, env, opts).run();
    opts.onFinish?.(driver, vm);
  } catch (e) {
    result = failedResult(contribution, e instanceof RunStopped ? e.message : `the run failed: ${reason(e)}`, plan, w);
  }
  try {
    vm.destroy();
  } catch (e) {
    if (result.status === "ok") result = failedResult(contribution, `destroying the VM failed: ${reason(e)}`, plan, w);
  }
  return result;
}

