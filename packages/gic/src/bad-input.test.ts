// Bad input never throws anything but a KvmError and a refused call changes nothing.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { KvmError } from "@irqlab/core";
import { CMD } from "./its.js";
import { saveGic } from "./snapshot.js";
import { Fx, ITS_BASE } from "./__tests__/fixture.js";

/** Everything observable through the attribute API plus the model's own description. */
function observe(f: Fx): string {
  const s = saveGic(f.gic, f.its ? [f.its] : []);
  return JSON.stringify(s, (_k, v) => (typeof v === "bigint" ? v.toString(16) : v)) + f.g.dumpState();
}

const attrArb = fc.oneof(
  fc.nat({ max: 0x20000 }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 0x10fff })).map(([m, o]) => (BigInt(m) << 32n) | BigInt(o)),
);
const payloadArb = fc.option(fc.uint8Array({ maxLength: 12 }), { nil: null });

describe("bad input: attribute buffers, addresses, ids", () => {
  for (const target of ["gic", "its"] as const) {
    it(`random ${target} attribute calls answer a number or a KvmError; refused ones change nothing`, () => {
      const f = new Fx({ its: true });
      const h = target === "gic" ? f.gic : f.its!;
      fc.assert(
        fc.property(fc.constantFrom("setAttr", "getAttr", "hasAttr" as const), fc.nat({ max: 10 }), attrArb, payloadArb, (op, group, attr, addr) => {
          const before = observe(f);
          const copy = addr ? new Uint8Array(addr) : null;
          try {
            expect(typeof h[op]({ group, attr, addr: copy })).toBe("number");
          } catch (e) {
            expect(KvmError.is(e)).toBe(true);
            expect(observe(f)).toBe(before);
          }
        }),
        { numRuns: 300 },
      );
    });
  }

  it("misaligned and overlapping redistributor regions are refused without a trace", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 3 }), fc.bigInt({ min: 0n, max: 2n ** 42n }), fc.nat({ max: 4 })), { maxLength: 6 }), (regs) => {
        const f = new Fx({ init: false, addrs: false });
        for (const [index, base, count] of regs) {
          const before = f.g.regions.map((r) => `${r.index}/${r.base}/${r.count}`).join();
          const payload = new Uint8Array(8);
          new DataView(payload.buffer).setBigUint64(0, (BigInt(count) << 52n) | ((base << 12n) & 0x000fffffffff0000n) | BigInt(index), true);
          try {
            f.gic.setAttr({ group: 0, attr: 5, addr: payload });
          } catch (e) {
            expect(KvmError.is(e)).toBe(true);
            expect(f.g.regions.map((r) => `${r.index}/${r.base}/${r.count}`).join()).toBe(before);
          }
        }
        // Regions never overlap each other.
        const rs = f.g.regions;
        for (let i = 0; i < rs.length; i++) {
          for (let j = i + 1; j < rs.length; j++) {
            const a = rs[i];
            const b = rs[j];
            expect(a.base + f.g.regionSize(a) <= b.base || b.base + f.g.regionSize(b) <= a.base).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("bad input: malformed ITS commands and tables", () => {
  const configured = (): Fx => {
    const f = new Fx({ its: true });
    f.guestSetup([0, 1]);
    f.vm.vcpus[0].mmioWrite(0x080a0070, 4, 0x4000000f);
    f.vm.vcpus[0].mmioWrite(0x080a0078, 4, 0x40010000);
    f.vm.vcpus[0].mmioWrite(0x080a0000, 4, 1);
    f.itsSet(0x100, 0x8000000040030000n);
    f.itsSet(0x108, 0x8000000040040000n);
    f.itsSet(0x80, 0x8000000040050000n);
    f.itsSet(0, 1n);
    return f;
  };
  const word = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
  const cmdArb = fc.tuple(
    fc.oneof(fc.constantFrom(...Object.values(CMD)).map(BigInt), word),
    word,
    word,
    word,
    fc.nat({ max: 20 }),
  ).map(([op, a, b, c, dev]) => [(op & 0xffn) | (BigInt(dev) << 32n), a & 0xffffffffffffn, b, c] as const);

  it("random command queues never throw and keep the queue pointers consistent", () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { maxLength: 40 }), fc.array(fc.nat({ max: 8 }), { maxLength: 10 }), (cmds, msis) => {
        const f = configured();
        let cw = 0;
        for (const [a, b, c, d] of cmds) {
          const m = f.vm.memory;
          m.write64(0x40050000 + cw, a, "le");
          m.write64(0x40050008 + cw, b, "le");
          m.write64(0x40050010 + cw, c, "le");
          m.write64(0x40050018 + cw, d, "le");
          cw = (cw + 32) % 0x1000;
          f.vm.vcpus[0].mmioWrite(ITS_BASE + 0x88, 4, cw);
          expect(f.itsGet(0x90)).toBe(BigInt(cw));
        }
        for (const ev of msis) {
          try {
            const r = f.routing.signalMsi({ addressLo: 0x08090040, addressHi: 0, flags: 1, devid: ev % 3, data: ev });
            expect(r === 0 || r === 1).toBe(true);
          } catch (e) {
            expect(KvmError.is(e)).toBe(true);
          }
        }
        for (let i = 0; i < 20 && f.iar() !== 1023; i++) void 0;
      }),
      { numRuns: 150 },
    );
  });

  it("random table contents make ITS_RESTORE_TABLES answer 0 or an errno, never throw", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 0x3f }), word), { maxLength: 24 }), fc.array(fc.tuple(fc.nat({ max: 0x3f }), word), { maxLength: 24 }), (dtes, ctes) => {
        const f = configured();
        f.itsSet(0, 0n);
        for (const [i, w] of dtes) f.vm.memory.write64(0x40030000 + 8 * i, w, "le");
        for (const [i, w] of ctes) f.vm.memory.write64(0x40040000 + 8 * i, w, "le");
        for (const [i, w] of dtes) f.vm.memory.write64(0x40100000 + 8 * i, w, "le");
        try {
          expect(f.its!.setAttr({ group: 4, attr: 2, addr: null })).toBe(0);
        } catch (e) {
          expect(KvmError.is(e)).toBe(true);
          // A refused restore leaves no device and no collection (KVM frees what it restored).
          expect(f.itsBackend.its.devices.size).toBe(0);
        }
      }),
      { numRuns: 150 },
    );
  });
});
