import { describe, expect, it } from "vitest";
import mpicModule from "./module.js";
import { findQemuDivergence, QEMU_DIVERGENCES, setUpMpicForQemuReplay } from "./divergences.js";

describe("QEMU 7.2 divergence table", () => {
  it("has unique ids, a spec reference, records for each entry and known fields", () => {
    const ids = QEMU_DIVERGENCES.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const d of QEMU_DIVERGENCES) {
      expect(d.spec).toMatch(/^mpic\.md §/);
      expect(d.description.length).toBeGreaterThan(40);
      expect(Object.keys(d.match.records).length).toBeGreaterThan(0);
      for (const [scenario, seqs] of Object.entries(d.match.records)) {
        expect(scenario).toMatch(/^mpic(20|42)_[a-z_0-9]+$/);
        expect(seqs.length).toBeGreaterThan(0);
      }
      for (const f of d.match.fields) expect(["value", "irq", "handled"]).toContain(f);
      expect(d.match.setups.length).toBeGreaterThan(0);
    }
    expect(ids).toEqual(
      expect.arrayContaining([
        "timer-read-decoding",
        "timer-counting",
        "critical-outputs-not-delivered",
        "ilr-unsupported-inttgt",
        "msi-misaligned-read",
        "percpu-block-without-cpu",
        "ipi-destination-after-reset",
        "idr-after-creation",
        "pir-write-to-userspace",
      ]),
    );
  });

  it("findQemuDivergence matches by scenario, seq, field and set-up", () => {
    expect(findQemuDivergence("mpic42_regs", 39, "value")?.id).toBe("timer-read-decoding");
    expect(findQemuDivergence("mpic42_regs", 40, "value")).toBeUndefined();
    expect(findQemuDivergence("mpic20_critical", 5, "irq")?.id).toBe("critical-outputs-not-delivered");
    expect(findQemuDivergence("mpic20_critical", 5, "value")).toBeUndefined();
    expect(findQemuDivergence("mpic42_regs", 13, "value", "reset")).toBeUndefined();
    expect(findQemuDivergence("mpic42_regs", 13, "value", "creation")?.id).toBe("idr-after-creation");
    expect(findQemuDivergence("mpic20_smp_cpu0", 26, "value", "creation")).toBeUndefined();
    expect(findQemuDivergence("mpic20_smp_cpu0", 26, "value")?.id).toBe("ipi-destination-after-reset");
  });

  it("setUpMpicForQemuReplay builds the boards' configuration", () => {
    const r = setUpMpicForQemuReplay("ppce500", 2, [mpicModule]);
    expect([r.type, r.base, r.device.pic.nbCpus]).toEqual([2, 0xfe0040000, 2]);
    expect(r.vm.mmio.read(0xfe0041000, 4)).toBe(0x00c30102);
    expect(r.vm.mmio.read(0xfe0050010, 4)).toBe(1); // IDR after the reset
    const c = setUpMpicForQemuReplay("mpc8544ds", 1, [mpicModule], "creation");
    expect(c.vm.mmio.read(0xe0050010, 4)).toBe(0);
  });
});
