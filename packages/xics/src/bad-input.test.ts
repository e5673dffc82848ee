/**
 * Bad input gets the status or errno KVM gives, never an exception, and changes nothing
 * (beyond what KVM itself changes on that path, checked explicitly).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno, KvmError } from "@irqlab/core";
import { H_CPPR, H_EOI, H_IPI, H_IPOLL, H_PARAMETER, H_SUCCESS, H_XIRR, H_XIRR_X, KVM_DEV_XICS_GRP_SOURCES, XICS_RTAS_CALLS } from "./index.js";
import { applyOp, fingerprint, opArb, opFixture, type Op, type XicsFixture } from "./test-support.js";

/** Any number a caller could pass as a register or RTAS word. */
const anyNumber = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.nat({ max: 0x200 }),
  fc.integer(),
  fc.constantFrom(-1, -2, -3, 2 ** 32, 2 ** 53, -(2 ** 53), 0.5, 1e300, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);

function stateAfter(prefix: Op[]): XicsFixture {
  const f = opFixture();
  const sink: number[] = [];
  for (const op of prefix) applyOp(f, op, sink);
  return f;
}

const prefixArb = fc.array(opArb, { maxLength: 25, size: "max" });

describe("bad input: guest-visible statuses, no exception, nothing changed", () => {
  it("hypercalls with any register values answer H_SUCCESS or H_PARAMETER; H_IPI/H_IPOLL's H_PARAMETER changes nothing (property)", () => {
    fc.assert(
      fc.property(prefixArb, fc.constantFrom(H_XIRR, H_XIRR_X, H_CPPR, H_IPI, H_IPOLL), fc.nat({ max: 1 }), anyNumber, anyNumber, (prefix, op, vcpu, a0, a1) => {
        const f = stateAfter(prefix);
        const before = fingerprint(f);
        const rc = f.v[vcpu].hcall(op, a0, a1);
        expect([H_SUCCESS, H_PARAMETER]).toContain(rc);
        // issue 16: core's hcall dispatch answers H_PARAMETER for a register holding no integer.
        const integers = Number.isInteger(a0) && Number.isInteger(a1);
        if (rc === H_PARAMETER) {
          if (integers) expect([H_IPI, H_IPOLL]).toContain(op);
          expect(fingerprint(f)).toBe(before);
        }
        for (const v of f.v) for (const x of v.hret) expect(Number.isFinite(x)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("H_EOI of a number without ICS block answers H_PARAMETER and does exactly what its CPPR step does (quirk 3) (property)", () => {
    fc.assert(
      fc.property(prefixArb, fc.nat({ max: 1 }), fc.nat({ max: 0xff }), fc.integer({ min: 0x1800, max: 0xffffff }), (prefix, vcpu, cppr, irq) => {
        const a = stateAfter(prefix);
        const b = stateAfter(prefix);
        expect(a.v[vcpu].hcall(H_EOI, cppr * 0x1000000 + irq)).toBe(H_PARAMETER);
        expect(b.v[vcpu].hcall(H_EOI, cppr * 0x1000000 + 2)).toBe(H_SUCCESS); // the IPI EOI: only the CPPR step
        expect(fingerprint(a)).toBe(fingerprint(b));
      }),
      { numRuns: 200 },
    );
  });

  it("RTAS calls with any argument words and counts answer 0 or -3; -3 changes nothing (property)", () => {
    fc.assert(
      fc.property(prefixArb, fc.constantFrom(...XICS_RTAS_CALLS), fc.array(anyNumber, { maxLength: 5 }), fc.nat({ max: 4 }), (prefix, name, args, nret) => {
        const f = stateAfter(prefix);
        const before = fingerprint(f);
        const rets = f.v[0].rtas(name, args, nret);
        expect(rets).toHaveLength(nret);
        if (nret === 0) {
          // No return word to carry a status: every XICS call wants nret >= 1 and refuses.
          expect(fingerprint(f)).toBe(before);
          return;
        }
        expect([0, -3]).toContain(rets[0]);
        if (rets[0] === -3) expect(fingerprint(f)).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it("attribute calls with any group, attribute and payload answer 0 or KVM's errno; a failure changes nothing but the block KVM allocates first (property)", () => {
    const pristine = (f: XicsFixture) =>
      JSON.stringify(
        f.xics.ics.blocks.map((b) =>
          b === null || (b.flags.every((x) => x === 0) && b.pq.every((x) => x === 0) && b.server.every((x) => x === 0) && b.priority.every((x) => x === 0xff) && b.savedPriority.every((x) => x === 0xff))
            ? null
            : b.icsid,
        ),
      );
    fc.assert(
      fc.property(
        prefixArb,
        fc.constantFrom("setAttr", "getAttr", "hasAttr" as const),
        fc.oneof(fc.constant(KVM_DEV_XICS_GRP_SOURCES), fc.nat({ max: 5 }), fc.constant(0xffffffff)),
        fc.oneof(fc.integer({ min: 0, max: 0x100010 }), fc.constantFrom(0x1000, 0x1001, 0x1002, 0x1400, 0x1401, 0x5000), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
        fc.oneof(fc.constant(null), fc.uint8Array({ maxLength: 7 }), fc.uint8Array({ minLength: 8, maxLength: 8 })),
        (prefix, call, group, attr, addr) => {
          const f = stateAfter(prefix);
          const before = fingerprint(f);
          const pBefore = pristine(f);
          let rc: number | KvmError;
          try {
            rc = f.dev[call]({ group, attr, addr });
          } catch (e) {
            if (!KvmError.is(e)) throw e;
            rc = e;
          }
          if (typeof rc === "number") {
            expect(rc).toBe(0);
            return;
          }
          expect([Errno.ENOENT, Errno.EFAULT, Errno.EINVAL, Errno.ENXIO]).toContain(rc.errno);
          expect(rc.message.length).toBeGreaterThan(10);
          expect(pristine(f)).toBe(pBefore);
          const strip = (s: string) => {
            const o = JSON.parse(s);
            o.blocks = o.blocks.filter((bl: [number]) => JSON.parse(pBefore)[bl[0]] !== null);
            delete o.max;
            return JSON.stringify(o);
          };
          expect(strip(fingerprint(f))).toBe(strip(before));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("the IrqChip answers any pin and level with 0 or -EINVAL and never throws (property)", () => {
    const f = opFixture();
    const chip = f.vm.irqchips.byIndex(0)!;
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(0x1000, 0x1001, 0x1002, 0x1003, 0x1400), anyNumber), anyNumber, (pin, level) => {
        expect([0, -Errno.EINVAL]).toContain(chip.setIrq(pin, level, 0));
      }),
      { numRuns: 500 },
    );
  });
});
