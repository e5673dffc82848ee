import { describe, expect, it } from "vitest";
import { program, ready } from "./__tests__/helpers.js";
import { cpuReg } from "./constants.js";
import type { MpicDevice } from "./device.js";

describe("tracing, counters and dumpState", () => {
  it("emits the typed events of one cycle only while a sink is subscribed", () => {
    const f = ready({ vcpus: 1 });
    program(f, 3, 0x00050043);
    f.active(3, 1);
    f.iack();
    f.eoi();
    const rec = f.vm.tracer.record((n) => n.startsWith("mpic."));
    f.active(3, 1);
    f.iack();
    f.eoi();
    f.eoi();
    rec.stop();
    expect(rec.events.map((e) => [e.name, e.data])).toEqual([
      ["mpic.irq.set", { source: 3, level: 1 }],
      ["mpic.cpu.raise", { cpu: 0, output: 0 }],
      ["mpic.cpu.lower", { cpu: 0, output: 0 }],
      ["mpic.iack", { cpu: 0, source: 3, vector: 0x43 }],
      ["mpic.eoi", { cpu: 0, source: 3 }],
      ["mpic.eoi", { cpu: 0, source: -1 }],
    ]);
    f.active(3, 1);
    expect(rec.events).toHaveLength(6);
  });

  it("counts raises, IACKs, spurious IACKs, EOIs, MSIs, IPIs and resets", () => {
    const f = ready({ vcpus: 1 });
    program(f, 3, 0x00050043);
    f.active(3, 1);
    f.iack();
    f.iack();
    f.eoi();
    f.eoi();
    f.dev.chip.deliverMsi({ addressLo: 0, addressHi: 0, data: 0, flags: 0, devid: 0 }, 1, 0);
    f.set(cpuReg(0, 0x40), 1);
    const c = f.dev.counters();
    expect(c).toMatchObject({ raises: 1, iacks: 2, spurious: 1, eois: 1, emptyEois: 1, msis: 1, ipis: 1, resets: 2 });
  });

  it("dumpState describes the controller, each busy CPU and each non-idle source in words", () => {
    const f = ready({ type: 1, vcpus: 2, base: 0xe0040000 });
    program(f, 3, 0x00050043);
    f.active(3, 1);
    f.dev.chip.deliverMsi({ addressLo: 0, addressHi: 0, data: 0x05000000, flags: 0, devid: 0 }, 1, 0);
    const d = f.dev.dumpState();
    expect(d).toContain("MPIC v2.0 (kvm-mpic, type 1) base 0xe0040000 mapped, nb_cpus 2");
    expect(d).toContain("CPU 0: vCPU 0, INT asserted, CTPR 0, raised {3:p5}");
    expect(d).toContain("src 3: ivpr 0x40050043 (- A edge, prio 5, vec 0x43) idr 0x00000001 dest 0x1 INT pending 1");
    expect(d).toContain("MSIR0 0x00000020");
    expect(f.h.backend<MpicDevice>().dumpState()).toBe(d);
  });
});
