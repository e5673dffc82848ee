import { describe, expect, it } from "vitest";
import { IPI_SOURCE } from "@irqlab/core";
import { GuestHarness } from "@irqlab/testkit";
import { x86KernelIrqchipModule } from "./module.js";

const specs = [
  { index: 0, trigger: "edge" as const, vcpu: 0 },
  { index: 1, trigger: "edge" as const, vcpu: 1 },
  { index: 2, trigger: "level" as const, vcpu: 0 },
];

describe("x86 guest driver", () => {
  it("edge sources are MSIs, level sources IOAPIC pins; one exit per EOI without APICv", () => {
    const g = new GuestHarness(x86KernelIrqchipModule, "x86_64", "x86");
    g.configure(specs);
    expect(g.sources[0].route).toEqual({ type: "msi", msi: { addressLo: 0xfee00000, addressHi: 0, data: 0x21, flags: 0, devid: 0 } });
    expect(g.sources[2].route).toEqual({ type: "irqchip", irqchip: 2, pin: 16 });
    g.vm.exitStats.reset();
    g.sources[0].efd.write(1);
    g.sources[2].efd.write(1);
    g.serviceAll();
    expect(g.handled[0].sort()).toEqual([0, 2]);
    expect(g.sources[2].resamplefd!.counter).toBe(1);
    expect(g.vm.exitStats.mmioWrites).toBe(2);
    expect(g.vm.exitStats.directAccesses).toBe(0);
  });

  it("APICv: the edge EOI does not exit, the level EOI does", () => {
    const g = new GuestHarness(x86KernelIrqchipModule, "x86_64", "x86-apicv");
    g.configure(specs);
    g.vm.exitStats.reset();
    g.sources[0].efd.write(1);
    g.sources[2].efd.write(1);
    g.serviceAll();
    expect(g.vm.exitStats.mmioWrites).toBe(1);
    expect(g.vm.exitStats.directAccesses).toBe(1);
    g.driver.sendIpi(g.vm.vcpus[0], 1);
    g.serviceAll();
    expect(g.handled[1]).toEqual([IPI_SOURCE]);
  });

  it("dumpState reads like QEMU's info pic / info lapic", () => {
    const g = new GuestHarness(x86KernelIrqchipModule, "x86_64", "x86");
    g.configure(specs);
    g.sources[2].efd.write(1);
    const text = g.driver.dumpState!();
    expect(text).toContain("x86 irqchip: kernel");
    expect(text).toContain("pic0: irr=00 imr=ff");
    expect(text).toMatch(/pin 16 .* level active physical remote-irr/);
    expect(text).toContain("CPU#0 LAPIC id=0x00 base=0xfee00900 svr=0x1ff (enabled)");
    expect(text).toContain("CPU#1 LAPIC id=0x01 base=0xfee00800");
    expect(text).toMatch(/IRR 0x22 .*TMR 0x22/);
  });
});
