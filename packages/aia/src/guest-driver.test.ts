import { describe, expect, it } from "vitest";
import { IPI_SOURCE } from "@irqlab/core";
import { GuestHarness } from "@irqlab/testkit";
import { aiaHwaccelModule, aiaModule } from "./module.js";

function run(hw: boolean) {
  const g = new GuestHarness(hw ? aiaHwaccelModule : aiaModule, "riscv64", hw ? "aia-hwaccel" : "aia-emul");
  g.configure([
    { index: 0, trigger: "edge", vcpu: 0 },
    { index: 1, trigger: "level", vcpu: 0 },
  ]);
  const s = g.vm.exitStats;
  s.reset();
  g.sources[0].efd.write(1);
  g.serviceAll();
  const msi = s.snapshot();
  s.reset();
  g.sources[1].efd.write(1);
  g.serviceAll();
  const wired = s.snapshot();
  s.reset();
  g.driver.sendIpi(g.vm.vcpus[0], 1);
  g.serviceAll();
  const ipi = s.snapshot();
  return { g, msi, wired, ipi };
}

describe("the Linux-like guest driver and what each access costs", () => {
  it("AIA EMUL: claims are trapped CSR accesses (csrrw stopei until 0), IPIs trapped IMSIC page writes", () => {
    const { g, msi, wired, ipi } = run(false);
    expect(g.handled).toEqual([[0, 1], [IPI_SOURCE]]);
    expect(msi).toMatchObject({ sysregTraps: 2, mmioWrites: 0, directAccesses: 0 });
    // A wired level source adds Linux's EOI: one trapped setipnum_le write to the APLIC.
    expect(wired).toMatchObject({ sysregTraps: 2, mmioWrites: 1, directAccesses: 0 });
    expect(ipi).toMatchObject({ mmioWrites: 1, sysregTraps: 2 });
  });

  it("AIA HWACCEL: the same accesses go direct to the VS-file; APLIC MMIO still traps", () => {
    const { g, msi, wired, ipi } = run(true);
    expect(g.handled).toEqual([[0, 1], [IPI_SOURCE]]);
    expect(msi).toMatchObject({ sysregTraps: 0, directAccesses: 2, mmioWrites: 0 });
    expect(wired).toMatchObject({ sysregTraps: 0, directAccesses: 2, mmioWrites: 1 });
    expect(ipi).toMatchObject({ mmioWrites: 0, directAccesses: 3, sysregTraps: 0 });
  });

  it("configureSource refuses what the guest cannot do (no such vCPU, identities exhausted)", () => {
    const g = new GuestHarness(aiaModule, "riscv64", "aia-emul");
    expect(() => g.driver.configureSource({ index: 0, trigger: "edge", vcpu: 5 })).toThrow(/no vCPU 5/);
    for (let i = 0; i < 254; i++) g.driver.configureSource({ index: i, trigger: "edge", vcpu: 0 });
    expect(() => g.driver.configureSource({ index: 254, trigger: "edge", vcpu: 0 })).toThrow(/no free IMSIC identity/);
  });
});
