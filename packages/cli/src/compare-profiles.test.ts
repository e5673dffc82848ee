import { describe, expect, it } from "vitest";
import { runCompare } from "./compare.js";
import { runInspect } from "./inspect.js";
import { loadPluginSet } from "./plugins.js";

const real = await loadPluginSet();

describe("compare and inspect in behaviour profiles (--profile, -c id:profile)", () => {
  it("-c xics:kvm,xics:qemu-7.2: the same controller twice, one column per profile, labelled", () => {
    const r = runCompare(real, { workload: "ipi-storm", duration: "2ms", controllers: ["xics:kvm", "xics:qemu-7.2"], deterministic: true });
    expect(r.controllers.map((c) => [c.id, c.label])).toEqual([
      ["xics:kvm", "XICS [kvm]"],
      ["xics:qemu-7.2", "XICS [qemu-7.2]"],
    ]);
    for (const c of r.controllers) expect(c.status).toBe("ok");
  });

  it("--profile applies to every column without its own; the default is kvm (unlabelled)", () => {
    const r = runCompare(real, { workload: "ipi-storm", duration: "2ms", controllers: ["xics", "mpic-4.2:kvm"], profile: "qemu-7.2", deterministic: true });
    expect(r.controllers.map((c) => c.label)).toEqual(["XICS [qemu-7.2]", "MPIC 4.2 [kvm]"]);
    const plain = runCompare(real, { workload: "ipi-storm", duration: "2ms", controllers: ["xics"], deterministic: true });
    expect(plain.controllers[0].label).toBe("XICS");
  });

  it("an unknown profile is a usage error naming the known ones", () => {
    expect(() => runCompare(real, { controllers: ["xics:nope"] })).toThrow(/unknown profile "nope" \(known: kvm, qemu-7\.2\)/);
    expect(() => runCompare(real, { profile: "nope" })).toThrow(/unknown profile "nope"/);
  });

  it("inspect --profile builds the VMs in that profile (an unknown one is refused)", () => {
    const desc = { vcpus: 1, sources: [{ trigger: "edge" as const, vcpu: 0 }], raise: [], controllers: ["xics"] };
    expect(runInspect(real, { description: desc as never, profile: "qemu-7.2" }).controllers[0].state).toMatch(/\S/);
    expect(() => runInspect(real, { description: desc as never, profile: "nope" })).toThrow(/unknown profile "nope"/);
  });
});
