// Issue 13 (compare at scale): the resend scan (icp_check_resend -> ics_check_resend) visits
// only the sources marked resend, through each block's resend set, instead of all 1024 sources
// of every flagged block, with KVM's order and outcome unchanged.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { H_CPPR, H_XIRR, KVMPPC_XICS_IRQ_PER_ICS } from "./constants.js";
import { SRC_RESEND, type IcsBlock } from "./ics.js";
import type { Icp } from "./icp.js";
import type { Xics } from "./xics.js";
import { applyOp, fingerprint, msi, opArb, opFixture, srcState, xicsVm, type XicsFixture } from "./test-support.js";

/** Every source of block 1 (0x400..0x7ff) created on server 0, priority `prio(i)`. */
function fullBlock(vcpus = 1, prio: (i: number) => number = () => 5): XicsFixture {
  const f = xicsVm(vcpus);
  for (let i = 0; i < KVMPPC_XICS_IRQ_PER_ICS; i++) msi(f.dev, 0x400 + i, 0, prio(i));
  return f;
}

/** The resend set of `b` as a list, and the RESEND flags as a list: always equal. */
function resendSetOf(b: IcsBlock): number[] {
  const out: number[] = [];
  for (let i = b.nextResend(0); i >= 0; i = b.nextResend(i + 1)) out.push(i);
  return out;
}
function resendFlagsOf(b: IcsBlock): number[] {
  const out: number[] = [];
  for (let i = 0; i < KVMPPC_XICS_IRQ_PER_ICS; i++) if (b.flags[i] & SRC_RESEND) out.push(i);
  return out;
}

/** KVM's ics_check_resend verbatim: every source of the block, in index order (the reference). */
function kvmCheckResend(this: Xics, icp: Icp): void {
  this.counters.resendScans++;
  for (let icsid = 0; icsid <= this.ics.maxIcsId; icsid++) {
    if (!icp.takeResend(icsid)) continue;
    const b = this.ics.blocks[icsid];
    if (b === null) continue;
    for (let i = 0; i < KVMPPC_XICS_IRQ_PER_ICS; i++) {
      this.counters.resendVisits++;
      if (b.flags[i] & SRC_RESEND) {
        this.counters.resent++;
        this.deliver(icp, b.number(i), true);
      }
    }
  }
}

describe("issue 13: the XICS resend scan costs the sources marked, not the block size", () => {
  it("issue-13: a resend scan of a full 1024-source block with 3 refused sources visits 3 sources", () => {
    const f = fullBlock();
    // CPPR 0 (the reset value) refuses everything: each trigger marks resend + need_resend.
    for (const i of [900, 7, 3]) f.xics.setIrq(0x400 + i, 1);
    const b = f.xics.ics.find(0x400)!;
    expect(b.resendCount).toBe(3);
    expect(resendSetOf(b)).toEqual([3, 7, 900]);
    const c = f.xics.counters;
    expect(f.v[0].hcall(H_CPPR, 0xff)).toBe(0);
    expect(c.resendScans).toBe(1);
    expect(c.resendVisits).toBe(3);
    expect(c.resent).toBe(3);
    // Equal priorities: the first (lowest index) is presented, the other two refused again.
    expect(f.v[0].hcall(H_XIRR)).toBe(0);
    expect(f.v[0].hret[0] % 0x1000000).toBe(0x400 + 3);
    expect(resendSetOf(b)).toEqual([7, 900]);
  });

  it("issue-13: the work per scan does not grow with the number of sources in the block", () => {
    const visits = (sources: number): number => {
      const f = xicsVm(1);
      for (let i = 0; i < sources; i++) msi(f.dev, 0x400 + i, 0, 5);
      f.xics.setIrq(0x400 + sources - 1, 1);
      f.v[0].hcall(H_CPPR, 0xff);
      return f.xics.counters.resendVisits;
    };
    expect(visits(2)).toBe(1);
    expect(visits(1024)).toBe(1);
  });

  it("issue-13: sources marked during the scan are visited when KVM's index walk reaches them, not before", () => {
    // 3 at prio 6, 7 at prio 5, 900 at prio 4: 3 is presented, 7 displaces it (3 is re-delivered
    // at once and refused: index 3 is behind the scan, so it waits), 900 displaces 7 likewise.
    const prio = (i: number): number => (i === 3 ? 6 : i === 7 ? 5 : i === 900 ? 4 : 5);
    const a = fullBlock(1, prio);
    const ref = fullBlock(1, prio);
    ref.xics.checkResend = kvmCheckResend;
    for (const f of [a, ref]) {
      for (const i of [3, 7, 900]) f.xics.setIrq(0x400 + i, 1);
      expect(f.v[0].hcall(H_CPPR, 0xff)).toBe(0);
    }
    expect(a.xics.counters.rejected).toBe(2);
    expect(a.xics.counters.resent).toBe(3);
    expect(srcState(a, 0x400 + 3)!.resend).toBe(true);
    expect(srcState(a, 0x400 + 7)!.resend).toBe(true);
    expect(srcState(a, 0x400 + 900)!.resend).toBe(false);
    expect(fingerprint(a)).toBe(fingerprint(ref));
    expect({ ...a.xics.counters, resendVisits: 0 }).toEqual({ ...ref.xics.counters, resendVisits: 0 });
    expect(a.xics.counters.resendVisits).toBe(3);
    expect(ref.xics.counters.resendVisits).toBe(KVMPPC_XICS_IRQ_PER_ICS);
  });

  it("issue-13: under random guest and device operations the resend set equals the RESEND flags and behaviour equals KVM's full walk", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
        const a = opFixture();
        const ref = opFixture();
        ref.xics.checkResend = kvmCheckResend;
        const acksA: number[] = [];
        const acksR: number[] = [];
        for (const op of ops) {
          expect(applyOp(a, op, acksA)).toBe(applyOp(ref, op, acksR));
          for (const b of a.xics.ics.blocks) {
            if (b === null) continue;
            expect(resendSetOf(b)).toEqual(resendFlagsOf(b));
            expect(b.resendCount).toBe(resendFlagsOf(b).length);
          }
        }
        expect(fingerprint(a)).toBe(fingerprint(ref));
      }),
      { numRuns: 150 },
    );
  });
});
