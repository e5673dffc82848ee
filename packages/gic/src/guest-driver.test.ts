import { describe, expect, it } from "vitest";
import { createVm, IPI_SOURCE, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI, type RouteSpec, type RoutingEntry } from "@irqlab/core";
import routingModule, { EventFd, GsiRouting, KVM_IRQFD_FLAG_RESAMPLE } from "@irqlab/routing";
import gicModule from "./module.js";
import { GicGuestDriver } from "./guest-driver.js";
import type { ItsDeviceBackend } from "./its-device.js";

/** A GSI routed as the driver asked (the MSI's KVM_MSI_VALID_DEVID goes in the entry flags). */
function routeToEntry(gsi: number, r: RouteSpec): RoutingEntry {
  if (r.type === "irqchip") return { gsi, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: r.irqchip, pin: r.pin };
  if (r.type === "msi") return { gsi, type: KVM_IRQ_ROUTING_MSI, flags: r.msi.flags, msi: { ...r.msi } };
  throw new Error("adapter routes are not arm64's");
}

function vmWith(trapped: boolean, vcpus = 2) {
  const vm = createVm({ arch: "arm64", vcpus, modules: [routingModule, gicModule] });
  return { vm, d: new GicGuestDriver(vm, { trapped }), routing: vm.get(GsiRouting) };
}

describe("Linux-like guest driver", () => {
  it("edge sources are ITS-backed MSIs (one device each, through a wrapping command queue)", () => {
    const { vm, d, routing } = vmWith(false);
    const n = 300; // more commands than a 4 KiB queue holds: CWRITER wraps
    const routes = Array.from({ length: n }, (_, i) => d.configureSource({ index: i, trigger: "edge", vcpu: i % 2 }));
    expect(routes.every((r) => r.type === "msi" && r.msi.flags === 1)).toBe(true);
    const its = d.itsHandle.backend<ItsDeviceBackend>().its;
    expect(its.devices.size).toBe(n);
    routing.setGsiRouting(routes.map((r, i) => routeToEntry(i + 1, r)));
    const seen: number[] = [];
    for (let i = 0; i < n; i++) {
      const efd = EventFd.create();
      routing.irqfd({ fd: efd, gsi: i + 1 });
      efd.write(1);
      const v = vm.vcpus[i % 2];
      expect(v.ext.asserted).toBe(true);
      expect(d.service(v, (s) => seen.push(s))).toBe(1);
      expect(v.ext.asserted).toBe(false);
    }
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(its.translations).toBe(n);
  });

  it("level sources are SPIs behind IRQCHIP routes; EOIR signals the resamplefd", () => {
    const { vm, d, routing } = vmWith(false);
    const r = d.configureSource({ index: 7, trigger: "level", vcpu: 1 });
    expect(r).toEqual({ type: "irqchip", irqchip: 0, pin: 0 });
    routing.setGsiRouting([routeToEntry(5, r)]);
    const efd = EventFd.create();
    const rfd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rfd });
    efd.write(1);
    const seen: number[] = [];
    expect(d.service(vm.vcpus[1], (s) => seen.push(s))).toBe(1);
    expect(seen).toEqual([7]);
    expect(rfd.counter).toBe(1);
    expect(d.service(vm.vcpus[1], () => {})).toBe(0);
  });

  it("IPIs are SGIs written through ICC_SGI1R_EL1", () => {
    const { vm, d } = vmWith(false, 20);
    d.sendIpi(vm.vcpus[0], 17);
    expect(vm.vcpus[17].ext.asserted).toBe(true);
    const seen: number[] = [];
    d.service(vm.vcpus[17], (s) => seen.push(s));
    expect(seen).toEqual([IPI_SOURCE]);
  });

  it("the CPU interface costs no exit by default and one trapped access per system register otherwise", () => {
    for (const trapped of [false, true]) {
      const { vm, d } = vmWith(trapped);
      const s = vm.exitStats;
      const before = { traps: s.sysregTraps, direct: s.directAccesses };
      d.sendIpi(vm.vcpus[0], 1);
      d.service(vm.vcpus[1], () => {});
      // SGI1R write + IAR1 read + EOIR1 write
      expect(s.sysregTraps - before.traps).toBe(trapped ? 3 : 0);
      expect(s.directAccesses - before.direct).toBe(trapped ? 0 : 3);
    }
  });
});
