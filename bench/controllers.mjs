// One real controller, one configured edge source, routed and bound to an irqfd the way the
// comparison runner does it (its guest driver's RouteSpec -> routing entry), with no runner
// around it: what the model costs on its own. Used by routing.bench (routing.msi.<id>,
// routing.irqfd.<id>) and cli.bench (cli.runner vs the model's own cycle).
import { createVm, IPI_SOURCE } from "@irqlab/core";
import { loadPluginSet } from "@irqlab/cli";
import { GSI_BASE, routeEntry } from "../packages/cli/dist/sim/gsi-routes.js";

export const plugins = await loadPluginSet();

/** { id, routing, efd, driver, vcpu, route, cycle(n), msiCycle(n) | null } for each controller. */
export function controllerRigs() {
  const rigs = [];
  for (const c of plugins.drivers) {
    const vm = createVm({ arch: c.arch, vcpus: 1, modules: [plugins.routing.module, ...plugins.modulesFor(c)] });
    const driver = c.attach(vm);
    const route = driver.configureSource({ index: 0, trigger: "edge", vcpu: 0, priority: 0 });
    const routing = vm.get(plugins.routing.GsiRouting);
    const entry = routeEntry(GSI_BASE, route);
    try {
      routing.setGsiRouting([entry]);
    } catch {
      // No routing table (strict book3s): GSI = pin.
      if (route.type !== "irqchip") continue;
      entry.gsi = route.pin;
    }
    const efd = plugins.routing.EventFd.create();
    routing.irqfd({ fd: efd, gsi: entry.gsi });
    const vcpu = vm.vcpus[0];
    let handled = 0;
    const handler = (s) => {
      if (s !== IPI_SOURCE) handled++;
    };
    const drain = () => {
      while (vcpu.ext.asserted || vcpu.crit.asserted) if (driver.service(vcpu, handler) === 0) break;
    };
    rigs.push({
      id: c.id,
      vm,
      routing,
      route,
      handled: () => handled,
      /** eventfd write -> irqfd -> routing -> controller -> guest driver service (ack, handler, EOI). */
      cycle(n) {
        for (let i = 0; i < n; i++) {
          efd.write(1);
          drain();
        }
      },
      /** KVM_SIGNAL_MSI with the source's message -> controller -> guest service; null without an MSI route. */
      msiCycle:
        route.type === "msi"
          ? (n) => {
              const msg = route.msi;
              for (let i = 0; i < n; i++) {
                routing.signalMsi(msg);
                drain();
              }
            }
          : null,
    });
  }
  return rigs;
}
