import { describe, it, expect } from "vitest";
import { createVm, GuestDriverContribution, KVM_IRQ_ROUTING_IRQCHIP } from "@irqlab/core";
import routingModule, { EventFd, GsiRouting, KVM_IRQFD_FLAG_RESAMPLE } from "@irqlab/routing";
import { createXiveModule } from "./module.js";

function setup() {
  const vm = createVm({ arch: "ppc64", vcpus: 2, modules: [routingModule, createXiveModule()] });
  const d = vm.getAll<GuestDriverContribution>(GuestDriverContribution).find((c) => c.id === "xive")!.attach(vm);
  return { vm, d, routing: vm.get(GsiRouting) };
}

describe("routing end to end", () => {
  it("the ppc64 identity map: GSI n reaches source n; an irqfd is delivered and handled with no exit", () => {
    const { vm, d, routing } = setup();
    d.configureSource({ index: 5, trigger: "edge", vcpu: 1 });
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 0x1005 });
    vm.exitStats.reset();
    efd.write(1);
    expect(vm.vcpus[1].ext.asserted).toBe(true);
    const got: number[] = [];
    d.service(vm.vcpus[1], (s) => got.push(s));
    expect(got).toEqual([5]);
    expect(vm.exitStats.exits).toBe(0);
    expect(routing.irqLine(0x1005, 1)).toBe(0);
    expect(vm.vcpus[1].ext.asserted).toBe(true);
  });

  it("an explicit IRQCHIP route to a source works; a route to pin >= 2^20 or to irqchip 1 is refused", () => {
    const { vm, d, routing } = setup();
    const r = d.configureSource({ index: 1, trigger: "edge", vcpu: 0 });
    expect(r).toEqual({ type: "irqchip", irqchip: 0, pin: 0x1001 });
    routing.setGsiRouting([{ gsi: 7, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin: 0x1001 }]);
    routing.irqLine(7, 1);
    expect(vm.vcpus[0].ext.asserted).toBe(true);
    expect(() => routing.setGsiRouting([{ gsi: 7, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin: 0x100000 }])).toThrow(/EINVAL/);
    expect(() => routing.setGsiRouting([{ gsi: 7, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 1, pin: 1 }])).toThrow();
  });

  it("a level irqfd with resample: native XIVE never acks it (no ack notifiers, as KVM), so the resamplefd stays 0", () => {
    const { vm, d, routing } = setup();
    d.configureSource({ index: 2, trigger: "level", vcpu: 0 });
    const efd = EventFd.create();
    const rfd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 0x1002, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rfd });
    efd.write(1);
    const got: number[] = [];
    // The line stays asserted (nobody resamples it): each LSI EOI re-presents the source,
    // until the device side deasserts the level itself.
    d.service(vm.vcpus[0], (s) => {
      got.push(s);
      if (got.length === 3) vm.irqchips.list()[0].setIrq(0x1002, 0, 0);
    });
    expect(got).toEqual([2, 2, 2]);
    expect(rfd.counter).toBe(0);
    expect(vm.ackNotifiers.notified).toBe(0);
  });
});
