import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { ESB_NOTIFY, ESB_PQ_MASK, ESB_VALUE_SHIFT, esbEoi, esbLoadOp, esbManagementLoad, esbSetPqOf, esbStoreOp, esbTrigger } from "./esb.js";
import { createSource, mgmt, rig } from "./test-support.js";

const tr = (pq: number) => [esbTrigger(pq) & ESB_PQ_MASK, (esbTrigger(pq) & ESB_NOTIFY) !== 0];
const eo = (pq: number) => [esbEoi(pq) & ESB_PQ_MASK, (esbEoi(pq) & ESB_NOTIFY) !== 0];

describe("ESB PQ state machine (pure)", () => {
  it("trigger and EOI follow the spec table", () => {
    expect([0b00, 0b10, 0b11, 0b01].map(tr)).toEqual([[0b10, true], [0b11, false], [0b11, false], [0b01, false]]);
    expect([0b00, 0b10, 0b11, 0b01].map(eo)).toEqual([[0b00, false], [0b00, false], [0b10, true], [0b01, false]]);
  });

  it("invariants: OFF is absorbing and never entered; notifies never exceed triggers (+1 from a queued start)", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 50 }), fc.integer({ min: 0, max: 3 }), (ops, start) => {
        let pq = start;
        let notifies = 0;
        let triggers = 0;
        for (const t of ops) {
          const r = t ? esbTrigger(pq) : esbEoi(pq);
          if (start === 0b01) expect(r).toBe(0b01);
          if (r & ESB_NOTIFY) notifies++;
          if (t) triggers++;
          pq = r & ESB_PQ_MASK;
          if (start !== 0b01) expect(pq === 0b01).toBe(false);
        }
        expect(notifies).toBeLessThanOrEqual(triggers + (start === 0b11 ? 1 : 0));
      }),
    );
  });

  it("offset decoding: 0x000-0x7FF EOI, 0x800-0xBFF GET, 0xC00-0xFFF SET_PQ; stores trigger/store-EOI/inject/set", () => {
    expect([0x000, 0x7f8, 0x800, 0xbf8, 0xc00, 0xe40, 0xff8].map(esbLoadOp)).toEqual(["eoi", "eoi", "get", "get", "set-pq", "set-pq", "set-pq"]);
    expect([0x000, 0x3f8, 0x400, 0x800, 0xc00].map(esbStoreOp)).toEqual(["trigger", "trigger", "store-eoi", "inject", "set-pq"]);
    expect([0xc00, 0xd00, 0xe40, 0xf00].map(esbSetPqOf)).toEqual([0, 1, 2, 3]);
    expect(esbManagementLoad(0x000, 0b11) >> ESB_VALUE_SHIFT).toBe(1);
    expect(esbManagementLoad(0x000, 0b10) >> ESB_VALUE_SHIFT).toBe(0);
  });

  it("[xive-24] loads at 0xC00/0xD00/0xE00/0xF00 return the old PQ and set 00/01/10/11; 0x800 reads unchanged; 0xE40 is 0xE00", () => {
    const r = rig(1);
    createSource(r, 9);
    const ld = (o: number) => r.esb.read(mgmt(9, o), 8);
    expect(ld(0xf00)).toBe(0b01);
    expect(ld(0x800)).toBe(0b11);
    expect(ld(0x800)).toBe(0b11);
    expect(ld(0xe00)).toBe(0b11);
    expect(ld(0xc00)).toBe(0b10);
    expect(ld(0xd00)).toBe(0b00);
    expect(ld(0xe40)).toBe(0b01);
    expect(ld(0x800)).toBe(0b10);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xff }), (a, b, low) => {
        ld(0xc00 + (a << 8));
        expect(ld(0xc00 + (b << 8) + (low & 0xf8))).toBe(a);
        expect(ld(0x800)).toBe(b);
      }),
      { numRuns: 100 },
    );
  });
});
