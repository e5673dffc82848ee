import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno } from "@irqlab/core";
import {
  DELIVERY_REFUSED,
  SET_MFRR_RESEND,
  checkIcpStateWord,
  decodeIcpStateWord,
  encodeIcpStateWord,
  icpAccept,
  icpDownCppr,
  icpInstall,
  icpSetMfrr,
  icpTryToDeliver,
  icpUpCppr,
  initialIcpState,
  u64Magnitude,
  type IcpState,
} from "./index.js";

/** [cppr, mfrr, pendingPri, xisr, needResend] -> IcpState with outEe computed. */
function st(cppr: number, mfrr: number, ppri: number, xisr: number, nr = 0): IcpState {
  return { cppr, mfrr, pendingPri: ppri, xisr, needResend: nr, outEe: xisr !== 0 && ppri < cppr ? 1 : 0 };
}

const fresh = (): IcpState => ({ cppr: -1, mfrr: -1, pendingPri: -1, xisr: -1, needResend: -1, outEe: -1 });

const stateArb = fc
  .record({
    cppr: fc.nat({ max: 255 }),
    mfrr: fc.nat({ max: 255 }),
    pendingPri: fc.nat({ max: 255 }),
    xisr: fc.oneof(fc.constant(0), fc.constant(2), fc.integer({ min: 16, max: 0xffffff })),
    needResend: fc.nat({ max: 1 }),
  })
  .map((r) => st(r.cppr, r.mfrr, r.pendingPri, r.xisr, r.needResend));

type Case<A extends unknown[]> = { name: string; s: IcpState; args: A; out: IcpState; ret: number };

describe("ICP state word: pure transitions (table)", () => {
  it("[xics-1] a fresh ICP is CPPR 0, XISR 0, MFRR 0xFF, PPRI 0xFF (ONE_REG word 0x00000000ffff0000)", () => {
    const s = initialIcpState();
    expect(s).toEqual(st(0, 0xff, 0xff, 0));
    expect(encodeIcpStateWord(s)).toBe(0x00000000ffff0000n);
  });

  const deliverCases: Case<[number, number]>[] = [
    { name: "open ICP accepts", s: st(0xff, 0xff, 0xff, 0), args: [0x1000, 5], out: st(0xff, 0xff, 5, 0x1000), ret: 0 },
    { name: "CPPR 0 refuses everything", s: st(0, 0xff, 0xff, 0), args: [0x1000, 0], out: st(0, 0xff, 0xff, 0, 1), ret: DELIVERY_REFUSED },
    { name: "equal to CPPR refused", s: st(5, 0xff, 0xff, 0), args: [0x1000, 5], out: st(5, 0xff, 0xff, 0, 1), ret: DELIVERY_REFUSED },
    { name: "equal to MFRR refused (IPI wins ties)", s: st(0xff, 5, 0xff, 0), args: [0x1000, 5], out: st(0xff, 5, 0xff, 0, 1), ret: DELIVERY_REFUSED },
    { name: "equal to PPRI refused (no displacement)", s: st(0xff, 0xff, 5, 0x1001), args: [0x1000, 5], out: st(0xff, 0xff, 5, 0x1001, 1), ret: DELIVERY_REFUSED },
    { name: "more favoured displaces a source", s: st(0xff, 0xff, 5, 0x1001), args: [0x1000, 3], out: st(0xff, 0xff, 3, 0x1000), ret: 0x1001 },
    { name: "more favoured displaces the IPI", s: st(0xff, 6, 6, 2), args: [0x1000, 3], out: st(0xff, 6, 3, 0x1000), ret: 2 },
    { name: "need_resend is kept on success", s: st(0xff, 0xff, 0xff, 0, 1), args: [0x1000, 5], out: st(0xff, 0xff, 5, 0x1000, 1), ret: 0 },
  ];
  it.each(deliverCases)("icp_try_to_deliver: $name", ({ s, args, out, ret }) => {
    const o = fresh();
    expect(icpTryToDeliver(s, args[0], args[1], o)).toBe(ret);
    expect(o).toEqual(out);
  });

  const downCases: Case<[number]>[] = [
    { name: "relax, nothing else", s: st(5, 0xff, 0xff, 0), args: [0xff], out: st(0xff, 0xff, 0xff, 0), ret: 0 },
    { name: "latches and clears need_resend", s: st(5, 0xff, 0xff, 0, 1), args: [0xff], out: st(0xff, 0xff, 0xff, 0), ret: 1 },
    { name: "presents the IPI when MFRR < new CPPR and <= PPRI", s: st(4, 4, 0xff, 0), args: [0xff], out: st(0xff, 4, 4, 2), ret: 0 },
    { name: "no IPI when MFRR == new CPPR", s: st(4, 6, 0xff, 0), args: [6], out: st(6, 6, 0xff, 0), ret: 0 },
    { name: "no IPI over a more favoured pending source", s: st(2, 6, 5, 0x1000), args: [0xff], out: st(0xff, 6, 5, 0x1000), ret: 0 },
    { name: "IPI overwrites an equal-priority source without reject (kernel WARNs)", s: st(2, 5, 5, 0x1000), args: [0xff], out: st(0xff, 5, 5, 2), ret: 0 },
    { name: "more favoured CPPR is stored as given (H_EOI quirk), out_ee drops", s: st(0xff, 0xff, 5, 0x1000), args: [3], out: st(3, 0xff, 5, 0x1000), ret: 0 },
    { name: "u8 truncation", s: st(0, 0xff, 0xff, 0), args: [0x1ff], out: st(0xff, 0xff, 0xff, 0), ret: 0 },
  ];
  it.each(downCases)("icp_down_cppr: $name", ({ s, args, out, ret }) => {
    const o = fresh();
    expect(icpDownCppr(s, args[0], o)).toBe(ret);
    expect(o).toEqual(out);
  });

  const acceptCases: Case<[]>[] = [
    { name: "[xics-8] returns old CPPR << 24 | XISR, CPPR takes PPRI", s: st(0xff, 0xff, 5, 0x1000), args: [], out: st(5, 0xff, 0xff, 0), ret: 0xff001000 },
    { name: "IPI accept keeps MFRR", s: st(0xff, 4, 4, 2), args: [], out: st(4, 4, 0xff, 0), ret: 0xff000002 },
    { name: "[xics-9] nothing pending: CPPR << 24, no change", s: st(7, 3, 0xff, 0, 1), args: [], out: st(7, 3, 0xff, 0, 1), ret: 0x07000000 },
  ];
  it.each(acceptCases)("accept (H_XIRR): $name", ({ s, out, ret }) => {
    const o = fresh();
    expect(icpAccept(s, o)).toBe(ret);
    expect(o).toEqual(out);
  });

  const upCases: Case<[number]>[] = [
    { name: "takes back an interrupt at or below the new CPPR", s: st(0xff, 0xff, 5, 0x1000), args: [5], out: st(5, 0xff, 0xff, 0), ret: 0x1000 },
    { name: "keeps a more favoured one", s: st(0xff, 0xff, 5, 0x1000), args: [6], out: st(6, 0xff, 5, 0x1000), ret: 0 },
    { name: "takes back the IPI (returned as 2)", s: st(0xff, 4, 4, 2), args: [4], out: st(4, 4, 0xff, 0), ret: 2 },
    { name: "empty XISR 'rejects' 0", s: st(0xff, 0xff, 0xff, 0), args: [0], out: st(0, 0xff, 0xff, 0), ret: 0 },
    { name: "[xics-39] 0x105 compares as 0x105 (no reject), stored as 5", s: st(0xff, 0xff, 0x10, 0x1000), args: [0x105], out: st(5, 0xff, 0x10, 0x1000), ret: 0 },
    { name: "-1 (2^64-1) never rejects, stored as 0xff", s: st(0, 0xff, 0x10, 0x1000), args: [-1], out: st(0xff, 0xff, 0x10, 0x1000), ret: 0 },
  ];
  it.each(upCases)("Up_CPPR: $name", ({ s, args, out, ret }) => {
    const o = fresh();
    expect(icpUpCppr(s, args[0], o)).toBe(ret);
    expect(o).toEqual(out);
  });

  const mfrrCases: Case<[number]>[] = [
    { name: "IPI presented when MFRR < CPPR and <= PPRI", s: st(0xff, 0xff, 0xff, 0), args: [4], out: st(0xff, 4, 4, 2), ret: 0 },
    { name: "displaces a less favoured source", s: st(0xff, 0xff, 5, 0x1000), args: [3], out: st(0xff, 3, 3, 2), ret: 0x1000 },
    { name: "equal priority IPI wins over the pending source", s: st(0xff, 0xff, 5, 0x1000), args: [5], out: st(0xff, 5, 5, 2), ret: 0x1000 },
    { name: "MFRR not below CPPR: only recorded", s: st(0, 0xff, 0xff, 0), args: [3], out: st(0, 3, 0xff, 0), ret: 0 },
    { name: "raising MFRR latches need_resend", s: st(0xff, 3, 0xff, 0, 1), args: [0xff], out: st(0xff, 0xff, 0xff, 0), ret: SET_MFRR_RESEND },
    { name: "raising MFRR does not withdraw a presented IPI", s: st(0xff, 3, 3, 2), args: [0xff], out: st(0xff, 0xff, 3, 2), ret: 0 },
    { name: "lowering MFRR keeps need_resend", s: st(0, 0xff, 0xff, 0, 1), args: [3], out: st(0, 3, 0xff, 0, 1), ret: 0 },
    { name: "0x105 stores 5, presents nothing, counts as a raise", s: st(0xff, 0xff, 0xff, 0, 1), args: [0x105], out: st(0xff, 5, 0xff, 0), ret: SET_MFRR_RESEND },
  ];
  it.each(mfrrCases)("Set_MFRR (H_IPI): $name", ({ s, args, out, ret }) => {
    const o = fresh();
    expect(icpSetMfrr(s, args[0], o)).toBe(ret);
    expect(o).toEqual(out);
  });

  it("install (ONE_REG set): need_resend kept when MFRR does not rise, latched otherwise", () => {
    const o = fresh();
    expect(icpInstall(st(0, 0xff, 0xff, 0, 1), { cppr: 0xff, xisr: 0x1000, mfrr: 0xff, pendingPri: 5 }, o)).toBe(0);
    expect(o).toEqual(st(0xff, 0xff, 5, 0x1000, 1));
    expect(icpInstall(st(0, 3, 0xff, 0, 1), { cppr: 0xff, xisr: 0, mfrr: 0xff, pendingPri: 0xff }, o)).toBe(1);
    expect(o).toEqual(st(0xff, 0xff, 0xff, 0, 0));
  });

  it("every transition keeps out_ee = xisr != 0 && PPRI < CPPR, leaves its input untouched, and works in place (property)", () => {
    const anyReg = fc.oneof(fc.nat({ max: 0x1ff }), fc.integer({ min: -3, max: -1 }), fc.constant(2 ** 40 + 7));
    fc.assert(
      fc.property(stateArb, fc.nat({ max: 5 }), anyReg, fc.integer({ min: 16, max: 0xffffff }), (s, which, reg, irq) => {
        const run = (a: IcpState, o: IcpState) => {
          switch (which) {
            case 0:
              return icpTryToDeliver(a, irq, reg & 0xff, o);
            case 1:
              return icpDownCppr(a, reg, o);
            case 2:
              return icpAccept(a, o);
            case 3:
              return icpUpCppr(a, reg, o);
            case 4:
              return icpSetMfrr(a, reg, o);
            default:
              return icpInstall(a, { cppr: reg & 0xff, xisr: irq, mfrr: 0xff, pendingPri: 0 }, o);
          }
        };
        const before = { ...s };
        const o = fresh();
        const r1 = run(s, o);
        expect(s).toEqual(before);
        expect(o.outEe).toBe(o.xisr !== 0 && o.pendingPri < o.cppr ? 1 : 0);
        for (const k of ["cppr", "mfrr", "pendingPri"] as const) expect(o[k]).toBeGreaterThanOrEqual(0), expect(o[k]).toBeLessThanOrEqual(0xff);
        const inPlace = { ...s };
        expect(run(inPlace, inPlace)).toBe(r1);
        expect(inPlace).toEqual(o);
      }),
      { numRuns: 500 },
    );
  });

  it("u64Magnitude reads negative registers as two's complement and NaN as 0", () => {
    expect(u64Magnitude(5)).toBe(5);
    expect(u64Magnitude(-1)).toBeGreaterThan(2 ** 63);
    expect(u64Magnitude(Number.NaN)).toBe(0);
  });
});

describe("KVM_REG_PPC_ICP_STATE word codec", () => {
  it("golden vectors from the field table", () => {
    expect(encodeIcpStateWord({ cppr: 0xff, xisr: 0x1000, mfrr: 0xff, pendingPri: 5 })).toBe(0xff001000ff050000n);
    expect(encodeIcpStateWord({ cppr: 0x12, xisr: 0x345678, mfrr: 0x9a, pendingPri: 0xbc })).toBe(0x123456789abc0000n);
    expect(decodeIcpStateWord(0x123456789abcffffn)).toEqual({ cppr: 0x12, xisr: 0x345678, mfrr: 0x9a, pendingPri: 0xbc });
  });

  it("round trip is lossless on the four fields; bits 0..15 are ignored (property)", () => {
    fc.assert(
      fc.property(fc.nat({ max: 255 }), fc.nat({ max: 0xffffff }), fc.nat({ max: 255 }), fc.nat({ max: 255 }), (cppr, xisr, mfrr, pendingPri) => {
        const w = { cppr, xisr, mfrr, pendingPri };
        expect(decodeIcpStateWord(encodeIcpStateWord(w))).toEqual(w);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (v) => {
        expect(encodeIcpStateWord(decodeIcpStateWord(v))).toBe(v & ~0xffffn);
      }),
    );
  });

  const noBlocks = () => false;
  const allBlocks = () => true;
  it.each([
    { w: { cppr: 0, xisr: 0, mfrr: 0xff, pendingPri: 0xff }, blocks: noBlocks, errno: 0 },
    { w: { cppr: 0, xisr: 0, mfrr: 0xff, pendingPri: 5 }, blocks: allBlocks, errno: Errno.EINVAL },
    { w: { cppr: 5, xisr: 2, mfrr: 4, pendingPri: 4 }, blocks: noBlocks, errno: 0 },
    { w: { cppr: 4, xisr: 2, mfrr: 4, pendingPri: 4 }, blocks: noBlocks, errno: Errno.EINVAL },
    { w: { cppr: 5, xisr: 2, mfrr: 3, pendingPri: 4 }, blocks: noBlocks, errno: Errno.EINVAL },
    { w: { cppr: 6, xisr: 0x1000, mfrr: 6, pendingPri: 5 }, blocks: allBlocks, errno: 0 },
    { w: { cppr: 6, xisr: 0x1000, mfrr: 6, pendingPri: 5 }, blocks: noBlocks, errno: Errno.EINVAL },
    { w: { cppr: 5, xisr: 0x1000, mfrr: 6, pendingPri: 5 }, blocks: allBlocks, errno: Errno.EINVAL },
    { w: { cppr: 6, xisr: 0x1000, mfrr: 5, pendingPri: 5 }, blocks: allBlocks, errno: Errno.EINVAL },
  ])("[xics-32] consistency rule: $w -> errno $errno", ({ w, blocks, errno }) => {
    expect(checkIcpStateWord(w, blocks).errno).toBe(errno);
  });
});
