import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { KvmError } from "@irqlab/core";
import { dumpXiveState } from "./dump.js";
import { KVM_REG_PPC_VP_STATE } from "./constants.js";
import { createSource, eqConfig, mgmt, ready, rig, sourceConfig, OS } from "./test-support.js";

/** Everything observable: sources, queues, contexts (the dump), plus every PQ and VP image. */
function fingerprint(r: ReturnType<typeof rig>) {
  const pqs = [...r.dev.xive.sources.each()].map(([b, i]) => `${b.number(i)}:${b.pq[i]}`);
  const counts = r.dev.xive.xvcpus().map((x) => [...x.queues.count].join(","));
  // KVM allocates a source block before reading the SOURCE value (a later EFAULT leaves it):
  // the block count is the one thing a failing call may change, so it is left out.
  const dump = dumpXiveState(r.dev.xive).replace(/ in \d+ block\(s\)/, "");
  return { dump, pqs, counts, nr: r.dev.xive.nrServers, vp: r.vm.vcpus.map((v) => v.getOneRegU64(KVM_REG_PPC_VP_STATE)) };
}

describe("bad input answers as KVM and changes nothing", () => {
  it("random failing attribute calls leave the device unchanged", () => {
    const r = rig(2);
    ready(r, 3, 0, 5, 9);
    createSource(r, 1500, true);
    eqConfig(r, 1, 2);
    fc.assert(
      fc.property(
        fc.constantFrom("setAttr", "getAttr", "hasAttr" as const),
        fc.integer({ min: 0, max: 7 }),
        fc.oneof(fc.nat({ max: 0x20 }), fc.constantFrom(3, 1500, 0xfffff, 0x100000), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
        fc.option(fc.uint8Array({ minLength: 0, maxLength: 70 }), { nil: null }),
        (op, group, attr, addr) => {
          const before = fingerprint(r);
          try {
            r.h[op]({ group, attr, addr });
            return;
          } catch (e) {
            expect(KvmError.is(e)).toBe(true);
          }
          const after = fingerprint(r);
          expect(after).toEqual(before);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("SOURCE_CONFIG / EQ_CONFIG failures change nothing (targeting, counts, queues)", () => {
    const r = rig(2);
    ready(r, 3, 0, 5, 9);
    const before = fingerprint(r);
    expect(sourceConfig(r, 3, 0, 7, 1)).not.toBe(0);
    expect(sourceConfig(r, 3, 9, 5, 1)).not.toBe(0);
    expect(sourceConfig(r, 3, 1, 4, 1)).not.toBe(0); // no queue anywhere at priority 4: EBUSY
    expect(eqConfig(r, 0, 5, { qshift: 12 })).not.toBe(0);
    expect(eqConfig(r, 0, 5, { flags: 0 })).not.toBe(0);
    expect(fingerprint(r)).toEqual(before);
  });

  it("random guest accesses to the ESB and TIMA pages never throw except SIGBUS on unmapped pages", () => {
    const r = rig(2);
    ready(r, 3, 0, 5, 9);
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.nat({ max: 4 * 0x10000 - 1 }),
        fc.constantFrom(1, 2, 4, 8),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 2 }),
        (load, off, size, value, who) => {
          const v = who === 2 ? null : r.vm.vcpus[who];
          const onOsPage = off >= OS && off < OS + 0x10000;
          const f = () => (load ? r.tima.read(off, size, v) : r.tima.write(off, size, value, v));
          if (onOsPage) expect(typeof (f() ?? 0)).toBe("number");
          else expect(f).toThrow(/SIGBUS/);
          const e = () => (load ? r.esb.read(mgmt(3, off & 0xfff) - (off & 0x10000 ? 0 : 0x10000), size) : r.esb.write(mgmt(3, off & 0xfff), size, value));
          expect(typeof (e() ?? 0)).toBe("number");
        },
      ),
      { numRuns: 500 },
    );
  });
});
