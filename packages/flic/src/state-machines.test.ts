import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { aisAfterInjection, aisModeName, aisSetMode, aisSuppresses } from "./ais.js";
import {
  CR0_EMERGENCY_SIGNAL_SUBMASK,
  CR0_SERVICE_SIGNAL_SUBMASK,
  KVM_S390_AIS_MODE_ALL,
  KVM_S390_AIS_MODE_SINGLE,
  iscToIscBits,
} from "./constants.js";
import {
  classNames,
  deliverableClasses,
  enabledClasses,
  highestClass,
  IRQ_PEND_EXT_EMERGENCY,
  IRQ_PEND_EXT_SERVICE,
  IRQ_PEND_EXT_SERVICE_EV,
  IRQ_PEND_FLOATING_MASK,
  IRQ_PEND_IO_ISC_0,
  IRQ_PEND_IO_ISC_3,
  IRQ_PEND_IO_ISC_7,
  IRQ_PEND_MCHK_REP,
  IRQ_PEND_PFAULT_DONE,
  IRQ_PEND_VIRTIO,
  iscToIrqType,
} from "./priority.js";
import { WordFifo } from "./word-fifo.js";

describe("AIS state machine (pure)", () => {
  const S = (simm: number, nimm: number) => ({ simm, nimm });
  it.each([
    // simm, nimm, isc, suppressed, after successful injection
    [0x00, 0x00, 3, false, S(0x00, 0x00)],
    [0x10, 0x00, 3, false, S(0x10, 0x10)],
    [0x10, 0x10, 3, true, S(0x10, 0x10)],
    [0x00, 0x10, 3, true, S(0x00, 0x10)],
    [0xef, 0x00, 3, false, S(0xef, 0x00)],
    [0xff, 0xff, 9, false, S(0xff, 0xff)],
  ])("simm %i nimm %i isc %i: suppressed %s", (simm, nimm, isc, suppressed, after) => {
    expect(aisSuppresses(S(simm, nimm), isc)).toBe(suppressed);
    if (!suppressed) expect(aisAfterInjection(S(simm, nimm), isc)).toEqual(after);
  });

  it.each([
    [S(0x00, 0x00), 3, KVM_S390_AIS_MODE_SINGLE, S(0x10, 0x00)],
    [S(0x10, 0x10), 3, KVM_S390_AIS_MODE_SINGLE, S(0x10, 0x00)],
    [S(0x10, 0x10), 3, KVM_S390_AIS_MODE_ALL, S(0x00, 0x00)],
    [S(0xff, 0xff), 0, KVM_S390_AIS_MODE_ALL, S(0x7f, 0x7f)],
    [S(0x00, 0xff), 7, KVM_S390_AIS_MODE_SINGLE, S(0x01, 0xfe)],
  ])("AISM %o isc %i mode %i -> %o", (s, isc, mode, next) => {
    expect(aisSetMode(s, isc, mode)).toEqual(next);
  });

  it("unknown modes are refused (null), other ISCs are untouched", () => {
    expect(aisSetMode(S(0, 0), 3, 2)).toBeNull();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 1 }), (simm, nimm, isc, mode) => {
        const n = aisSetMode(S(simm, nimm), isc, mode)!;
        const others = ~(0x80 >> isc) & 0xff;
        expect(n.simm & others).toBe(simm & others);
        expect(n.nimm & others).toBe(nimm & others);
        expect(aisSuppresses(n, isc)).toBe(false);
      }),
    );
  });

  it("names the modes", () => {
    expect([aisModeName(S(0, 0), 0), aisModeName(S(0x80, 0), 0), aisModeName(S(0x80, 0x80), 0), aisModeName(S(0, 0x80), 0)]).toEqual([
      "ALL",
      "SINGLE",
      "NO",
      "NO*",
    ]);
  });
});

describe("priority classes and enablement (pure)", () => {
  it("the floating classes rank MCHK_REP > SERVICE_EV > SERVICE > PFAULT_DONE > VIRTIO > ISC0 > ... > ISC7", () => {
    const order = [IRQ_PEND_MCHK_REP, IRQ_PEND_EXT_SERVICE_EV, IRQ_PEND_EXT_SERVICE, IRQ_PEND_PFAULT_DONE, IRQ_PEND_VIRTIO];
    for (let isc = 0; isc <= 7; isc++) order.push(iscToIrqType(isc));
    for (let i = 1; i < order.length; i++) expect(order[i - 1]).toBeGreaterThan(order[i]);
    expect(highestClass(IRQ_PEND_FLOATING_MASK)).toBe(IRQ_PEND_MCHK_REP);
    expect(highestClass(0)).toBe(-1);
    expect(classNames(IRQ_PEND_FLOATING_MASK)).toEqual([
      "MCHK_REP",
      "SERVICE_EV",
      "SERVICE",
      "PFAULT_DONE",
      "VIRTIO",
      "ISC0",
      "ISC1",
      "ISC2",
      "ISC3",
      "ISC4",
      "ISC5",
      "ISC6",
      "ISC7",
    ]);
  });

  const base = { extEnabled: true, ioEnabled: true, mcheckEnabled: true, cr0: CR0_SERVICE_SIGNAL_SUBMASK | CR0_EMERGENCY_SIGNAL_SUBMASK, cr6: 0xff000000 };
  const has = (m: number, c: number) => (m & (1 << c)) !== 0;
  it.each([
    ["all enabled", base, [IRQ_PEND_VIRTIO, IRQ_PEND_EXT_SERVICE, IRQ_PEND_IO_ISC_0, IRQ_PEND_IO_ISC_7, IRQ_PEND_MCHK_REP, IRQ_PEND_EXT_EMERGENCY], []],
    ["PSW ext off", { ...base, extEnabled: false }, [IRQ_PEND_IO_ISC_0, IRQ_PEND_MCHK_REP], [IRQ_PEND_VIRTIO, IRQ_PEND_PFAULT_DONE, IRQ_PEND_EXT_SERVICE, IRQ_PEND_EXT_EMERGENCY]],
    ["PSW io off", { ...base, ioEnabled: false }, [IRQ_PEND_VIRTIO], [IRQ_PEND_IO_ISC_0, IRQ_PEND_IO_ISC_7]],
    ["CR6 ISC 3 only", { ...base, cr6: iscToIscBits(3) }, [IRQ_PEND_IO_ISC_3], [IRQ_PEND_IO_ISC_0, IRQ_PEND_IO_ISC_7]],
    ["CR0 no service subclass", { ...base, cr0: CR0_EMERGENCY_SIGNAL_SUBMASK }, [IRQ_PEND_VIRTIO, IRQ_PEND_EXT_EMERGENCY], [IRQ_PEND_EXT_SERVICE, IRQ_PEND_EXT_SERVICE_EV]],
    ["CR0 no emergency subclass", { ...base, cr0: CR0_SERVICE_SIGNAL_SUBMASK }, [IRQ_PEND_EXT_SERVICE], [IRQ_PEND_EXT_EMERGENCY]],
    ["PSW mchk off", { ...base, mcheckEnabled: false }, [IRQ_PEND_VIRTIO], [IRQ_PEND_MCHK_REP]],
  ])("%s", (_name, e, on, off) => {
    const m = enabledClasses(e);
    for (const c of on) expect(has(m, c)).toBe(true);
    for (const c of off) expect(has(m, c)).toBe(false);
  });

  it("the repressible machine check also needs CR14 & the pending cr14", () => {
    const enabled = enabledClasses(base);
    const pending = 1 << IRQ_PEND_MCHK_REP;
    expect(deliverableClasses(pending, enabled, 0x10000000, 0x10000000)).toBe(pending);
    expect(deliverableClasses(pending, enabled, 0x0f000000, 0x10000000)).toBe(0);
    expect(deliverableClasses(pending, enabled, 0x10000000, 0)).toBe(0);
  });
});

describe("WordFifo", () => {
  it("keeps FIFO order across growth and wrap-around; removeAt keeps the others' order", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.constant(-2), fc.integer({ min: 0, max: 1000 })), { maxLength: 200 }), (ops) => {
        const q = new WordFifo(4, 2);
        const model: number[] = [];
        const out = new Uint32Array(4);
        for (const op of ops) {
          if (op === -1) {
            const got = q.shift(out);
            expect(got).toBe(model.length > 0);
            if (got) expect([...out]).toEqual([model[0], model[0] + 1, model[0] + 2, model[0] + 3].map((x) => x >>> 0));
            model.shift();
          } else if (op === -2) {
            if (model.length > 1) {
              q.removeAt(1);
              model.splice(1, 1);
            }
          } else {
            q.push(op, op + 1, op + 2, op + 3);
            model.push(op);
          }
          expect(q.length).toBe(model.length);
          for (let i = 0; i < model.length; i++) expect(q.word(i, 0)).toBe(model[i]);
        }
      }),
    );
  });
});
