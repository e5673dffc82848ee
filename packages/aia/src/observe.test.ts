import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { AiaDevice } from "./device.js";
import { deliverySetup } from "./__tests__/helpers.js";

describe("observability: dumpState, counters, trace events", () => {
  it("dumpState describes the configuration, APLIC sources and every IMSIC file in words", () => {
    const a = deliverySetup();
    a.imsicW(1, 0x70, 1);
    a.eie(1, 33);
    a.line(5, 1);
    const d = a.h.backend<AiaDevice>().dumpState();
    expect(d).toContain("riscv AIA initialized: mode EMUL (SW-files), IDS 255, SRCS 32");
    expect(d).toContain("source 5: edge-rise enabled input 1 -> hart 1 guest 0 eiid 33");
    expect(d).toContain("vCPU 1: IMSIC at 0x28001000, hart index 1, eidelivery 1 eithreshold 0 topei 33 VSEIP 1 pending [33] enabled [33]");
  });

  it("counters and trace events follow a delivery and a claim", () => {
    const a = deliverySetup();
    a.eie(1, 33);
    const rec = a.vm.tracer.record((n) => n.startsWith("aia."));
    a.line(5, 1);
    a.vm.vcpus[1].sysregRead(0x15c | 0x10000);
    a.line(5, 0);
    a.line(5, 1); // second edge: eip 33 set again
    a.line(5, 0);
    a.line(5, 1); // third while eip still set: coalesced in the file
    rec.stop();
    const names = rec.events.map((e) => e.name);
    expect(names.filter((n) => n === "aia.aplic.msi")).toHaveLength(3);
    expect(names).toContain("aia.imsic.claim");
    expect(rec.events.find((e) => e.name === "aia.imsic.inject")!.data).toEqual({ vcpu: 1, id: 33, result: 0 });
    expect(a.h.backend<AiaDevice>().counters()).toMatchObject({ aplicMsis: 3, imsicInjected: 3, imsicCoalesced: 1, claims: 1, msisDropped: 0 });
  });

  it("random guest MMIO on the APLIC and IMSIC windows never throws; bad accesses are guest errors", () => {
    const a = deliverySetup();
    const v = a.vm.vcpus[0];
    fc.assert(
      fc.property(
        fc.constantFrom(0x0c000000, 0x28000000, 0x28001000),
        fc.nat(0x3fff),
        fc.constantFrom(1, 2, 4, 8),
        fc.nat(),
        fc.boolean(),
        (base, off, size, value, write) => {
          const addr = base + (base === 0x0c000000 ? off : off & 0xfff);
          if (addr + size > base + (base === 0x0c000000 ? 0x4000 : 0x1000)) return;
          if (write) v.mmioWrite(addr, size, value);
          else expect(typeof v.mmioRead(addr, size)).toBe("number");
        },
      ),
      { numRuns: 500 },
    );
  });
});
