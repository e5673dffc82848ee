import { describe, expect, it } from "vitest";
import { createVm } from "@irqlab/core";
import routingModule, { GsiRouting } from "@irqlab/routing";
import gicModule from "./module.js";
import { GicGuestDriver } from "./guest-driver.js";

describe("trace events, counters and dumpState", () => {
  it("an MSI through the ITS emits translate, ack and deactivate events and shows in dumpState", () => {
    const vm = createVm({ arch: "arm64", vcpus: 2, modules: [routingModule, gicModule] });
    const d = new GicGuestDriver(vm);
    const r = d.configureSource({ index: 0, trigger: "edge", vcpu: 1 });
    if (r.type !== "msi") throw new Error("edge sources are MSIs");
    const rec = vm.tracer.record((n) => n.startsWith("gic."));
    vm.get(GsiRouting).signalMsi(r.msi);
    expect(d.dumpState()).toContain("vCPU 1: redist @ 0x80c0000");
    expect(d.dumpState()).toMatch(/list \[8192P@a0\]/);
    expect(d.dumpState()).toContain("event 0 -> LPI 8192, collection 1");
    d.service(vm.vcpus[1], () => {});
    rec.stop();
    expect(rec.events.map((e) => [e.name, e.data])).toEqual([
      ["gic.its.translate", { devid: 1, event: 0, result: 1 }],
      ["gic.cpu.ack", { vcpu: 1, intid: 8192, group: 1 }],
      ["gic.cpu.deactivate", { vcpu: 1, intid: 8192 }],
    ]);
    expect(d.gic.counters()).toMatchObject({ acks: 1, eois: 1, lpis: 1, itsTranslations: 1 });
  });

  it("ITS commands are traced with their error code", () => {
    const vm = createVm({ arch: "arm64", vcpus: 1, modules: [routingModule, gicModule] });
    const rec = vm.tracer.record((n) => n === "gic.its.command");
    const d = new GicGuestDriver(vm);
    d.configureSource({ index: 0, trigger: "edge", vcpu: 0 });
    rec.stop();
    // MAPC (vCPU 0), MAPD, MAPTI, INV — all accepted.
    expect(rec.events.map((e) => e.data)).toEqual([
      { opcode: 0x09, error: 0 },
      { opcode: 0x08, error: 0 },
      { opcode: 0x0a, error: 0 },
      { opcode: 0x0c, error: 0 },
    ]);
  });
});
