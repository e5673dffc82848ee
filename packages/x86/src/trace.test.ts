import { describe, expect, it } from "vitest";
import { createVm, type TraceEvent } from "@irqlab/core";
import { routingModule } from "@irqlab/routing";
import { KVM_CREATE_IRQCHIP } from "./constants.js";
import { x86Module } from "./module.js";
import { x86Of } from "./x86-irqchip.js";
import { x86Vm } from "./test-support/x86-vm.js";

describe("trace events and counters", () => {
  it("creation, LAPIC ack and IOAPIC EOI are traced; counters count", () => {
    const vm = createVm({ arch: "x86_64", vcpus: 0, modules: [routingModule, x86Module()] });
    const events: TraceEvent[] = [];
    vm.tracer.subscribe((e) => events.push(e));
    vm.ioctl(KVM_CREATE_IRQCHIP);
    expect(events.map((e) => e.name)).toContain("x86.irqchip.create");
    const t = x86Vm({ vcpus: 1 });
    const ev: TraceEvent[] = [];
    t.vm.tracer.subscribe((e) => ev.push(e));
    t.setEntry(21, { vector: 0x59, level: true });
    t.line(21, 1);
    t.x.guestAck(0);
    t.x.guestEoi(0);
    expect(ev.filter((e) => e.name.startsWith("x86.")).map((e) => [e.name, e.data])).toEqual([
      ["x86.lapic.ack", { vcpu: 0, vector: 0x59 }],
      ["x86.ioapic.eoi", { vcpu: 0, vector: 0x59, level: true }],
    ]);
    const c = x86Of(t.vm).counters();
    expect(c.lapicAcks).toBe(1);
    expect(c.lapicEois).toBe(1);
    expect(c.ioapicEois).toBe(1);
    expect(c.ioapicDelivered).toBe(2);
  });
});
