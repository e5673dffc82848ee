import { describe, expect, it } from "vitest";
import { H_FUNCTION_UNHANDLED, createVm } from "@irqlab/core";
import xicsModule, {
  H_CPPR,
  H_EOI,
  H_HARDWARE,
  H_IPI,
  H_IPOLL,
  H_PARAMETER,
  H_SUCCESS,
  H_XIRR,
  H_XIRR_X,
  XICS_HCALLS,
  xicsHcall,
} from "./index.js";
import { fingerprint, getSource, icpOf, icpWord, msi, lsi, setSource, srcState, xicsVm } from "./test-support.js";

const IRQ = 0x1000;

/** vCPU 0 open (CPPR 0xff), one MSI at priority 5 on server 0. */
function open(vcpus = 2) {
  const f = xicsVm(vcpus);
  msi(f.dev, IRQ, 0, 5);
  f.v[0].hcall(H_CPPR, 0xff);
  return f;
}

describe("XICS presentation: hypercalls", () => {
  it("[xics-2] while CPPR is 0 nothing is presented: sources are refused and marked resend, H_IPI only records MFRR", () => {
    const f = xicsVm(2);
    msi(f.dev, IRQ, 0, 0);
    lsi(f.dev, IRQ + 1, 0, 5);
    f.xics.setIrq(IRQ, 1);
    f.xics.setIrq(IRQ + 1, 1);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
    expect(f.v[0].ext.asserted).toBe(false);
    expect(srcState(f, IRQ)!.resend).toBe(true);
    expect(srcState(f, IRQ + 1)!.resend).toBe(true);
    expect(getSource(f.dev, IRQ).pending).toBe(true);
    expect(f.v[1].hcall(H_IPI, 0, 0)).toBe(H_SUCCESS);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0, xisr: 0, mfrr: 0, pendingPri: 0xff });
    expect(f.v[0].ext.asserted).toBe(false);
  });

  it("[xics-6] an MSI at priority 5 to an open ICP is presented (XISR=irq, PPRI=5) and raises EE", () => {
    const f = open();
    expect(f.v[0].ext.asserted).toBe(false);
    expect(f.xics.setIrq(IRQ, 1)).toBe(0);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: IRQ, mfrr: 0xff, pendingPri: 5 });
    expect(f.v[0].ext.asserted).toBe(true);
    expect(f.v[1].ext.asserted).toBe(false);
  });

  it("[xics-7] a second trigger before EOI only sets Q; H_EOI re-presents it exactly once", () => {
    const f = open();
    f.xics.setIrq(IRQ, 1);
    f.v[0].hcall(H_XIRR);
    expect(f.v[0].hret[0]).toBe(0xff000000 + IRQ);
    expect(icpWord(f.v[0])).toEqual({ cppr: 5, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
    f.xics.setIrq(IRQ, 1);
    expect(srcState(f, IRQ)!.pq).toBe(3);
    expect(icpWord(f.v[0]).xisr).toBe(0);
    expect(f.v[0].ext.asserted).toBe(false);
    f.xics.setIrq(IRQ, 1); // still P|Q: coalesced
    expect(f.v[0].hcall(H_EOI, 0xff000000 + IRQ)).toBe(H_SUCCESS);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: IRQ, mfrr: 0xff, pendingPri: 5 });
    expect(srcState(f, IRQ)!.pq).toBe(1);
    expect(f.v[0].ext.asserted).toBe(true);
    f.v[0].hcall(H_XIRR);
    f.v[0].hcall(H_EOI, 0xff000000 + IRQ);
    expect(icpWord(f.v[0]).xisr).toBe(0);
    expect(srcState(f, IRQ)!.pq).toBe(0);
  });

  it("[xics-8] H_XIRR returns (old CPPR << 24) | XISR, then CPPR = PPRI, XISR = 0, PPRI = 0xFF, EE lowered", () => {
    const f = open();
    f.xics.setIrq(IRQ, 1);
    expect(f.v[0].hcall(H_XIRR)).toBe(H_SUCCESS);
    expect(f.v[0].hret[0]).toBe(0xff001000);
    expect(icpWord(f.v[0])).toEqual({ cppr: 5, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
    expect(f.v[0].ext.asserted).toBe(false);
  });

  it("[xics-9] H_XIRR with nothing pending returns CPPR << 24, changes no field, and leaves EE dequeued", () => {
    const f = open();
    f.v[0].hcall(H_IPI, 0, 0x10); // MFRR 0x10 < CPPR: IPI presented ...
    f.v[0].hcall(H_XIRR); // ... accepted (CPPR 0x10)
    f.v[0].hcall(H_CPPR, 0x20); // down: IPI again? MFRR 0x10 < 0x20 -> presented
    f.v[0].hcall(H_XIRR); // accept again: CPPR 0x10, XISR 0
    icpOf(f, f.v[0]).needResend = 1;
    f.v[0].ext.assert(); // a stale queued external interrupt
    const before = { ...icpOf(f, f.v[0]) };
    expect(f.v[0].hcall(H_XIRR)).toBe(H_SUCCESS);
    expect(f.v[0].hret[0]).toBe(0x10000000);
    const after = icpOf(f, f.v[0]);
    for (const k of ["cppr", "mfrr", "pendingPri", "xisr", "needResend"] as const) expect(after[k]).toBe(before[k]);
    expect(f.v[0].ext.asserted).toBe(false);
  });

  it.each([
    { what: "CPPR", setup: (f: ReturnType<typeof open>) => f.v[0].hcall(H_CPPR, 5) },
    { what: "MFRR", setup: (f: ReturnType<typeof open>) => (f.v[0].hcall(H_IPI, 0, 5), f.v[0].hcall(H_XIRR)) },
    {
      what: "PPRI",
      setup: (f: ReturnType<typeof open>) => {
        msi(f.dev, IRQ + 1, 0, 5);
        f.xics.setIrq(IRQ + 1, 1);
      },
    },
  ])("[xics-10] an interrupt whose priority equals the $what is refused: resend=1, need_resend=1, block bit set", ({ setup }) => {
    const f = open();
    setup(f);
    const before = icpWord(f.v[0]);
    f.xics.setIrq(IRQ, 1);
    expect(icpWord(f.v[0])).toEqual(before);
    expect(srcState(f, IRQ)!.resend).toBe(true);
    const icp = icpOf(f, f.v[0]);
    expect(icp.needResend).toBe(1);
    expect(icp.resendMap[0] & (1 << (IRQ >> 10))).not.toBe(0);
  });

  it("[xics-11] H_CPPR more favoured than the pending priority takes it back; relaxing CPPR presents it again", () => {
    const f = open();
    f.xics.setIrq(IRQ, 1);
    expect(f.v[0].hcall(H_CPPR, 5)).toBe(H_SUCCESS);
    expect(icpWord(f.v[0])).toEqual({ cppr: 5, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
    expect(f.v[0].ext.asserted).toBe(false);
    expect(srcState(f, IRQ)!.resend).toBe(true);
    expect(icpOf(f, f.v[0]).needResend).toBe(1);
    f.v[0].hcall(H_CPPR, 6);
    expect(icpWord(f.v[0])).toEqual({ cppr: 6, xisr: IRQ, mfrr: 0xff, pendingPri: 5 });
    expect(f.v[0].ext.asserted).toBe(true);
    expect(srcState(f, IRQ)!.resend).toBe(false);
  });

  it("[xics-12] H_CPPR with the current value returns H_SUCCESS and changes nothing (EE stays raised)", () => {
    const f = open();
    f.xics.setIrq(IRQ, 1);
    const before = fingerprint(f);
    expect(f.v[0].hcall(H_CPPR, 0xff)).toBe(H_SUCCESS);
    expect(fingerprint(f)).toBe(before);
    expect(f.v[0].ext.asserted).toBe(true);
  });

  it("[xics-15] H_EOI of the IPI runs only Down_CPPR: a pending IPI is presented again, no ack notifier runs", () => {
    const f = open();
    const acks: number[] = [];
    f.vm.ackNotifiers.subscribe((_c, pin) => acks.push(pin));
    f.v[0].hcall(H_IPI, 0, 4);
    f.v[0].hcall(H_XIRR);
    expect(f.v[0].hret[0]).toBe(0xff000002);
    expect(f.v[0].hcall(H_EOI, 0xff000002)).toBe(H_SUCCESS);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: 2, mfrr: 4, pendingPri: 4 });
    expect(acks).toEqual([]);
    // ... and a resend scan runs when need_resend was set.
    f.v[0].hcall(H_XIRR); // CPPR 4
    f.xics.setIrq(IRQ, 1); // priority 5 refused
    expect(srcState(f, IRQ)!.resend).toBe(true);
    f.v[0].hcall(H_IPI, 0, 0xff); // MFRR relaxed: resend scan; CPPR 4 still refuses
    f.v[0].hcall(H_EOI, 0xff000002);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: IRQ, mfrr: 0xff, pendingPri: 5 });
    expect(acks).toEqual([]);
  });

  it("[xics-16] H_EOI of any other number in an existing block runs the ack notifier (MSI, LSI, never-created); none without a block", () => {
    const f = open();
    lsi(f.dev, IRQ + 1, 0, 5);
    const acks: Array<[string, number]> = [];
    f.vm.ackNotifiers.subscribe((c, pin) => acks.push([c.name, pin]));
    f.v[0].hcall(H_EOI, 0xff000000 + IRQ);
    f.v[0].hcall(H_EOI, 0xff000000 + IRQ + 1);
    f.v[0].hcall(H_EOI, 0xff000000 + IRQ + 7); // exists = 0, block 4 allocated
    expect(f.v[0].hcall(H_EOI, 0xff000000 + 0x5000)).toBe(H_PARAMETER);
    expect(acks).toEqual([
      ["xics", IRQ],
      ["xics", IRQ + 1],
      ["xics", IRQ + 7],
    ]);
    expect(f.vm.irqchips.byIndex(0)!.name).toBe("xics");
  });

  it("[xics-17] H_EOI whose block does not exist returns H_PARAMETER (-4), but the CPPR change stays", () => {
    const f = open();
    f.v[0].hcall(H_CPPR, 3);
    expect(f.v[0].hcall(H_EOI, 0x80000000 + 0x5000)).toBe(H_PARAMETER);
    expect(icpWord(f.v[0]).cppr).toBe(0x80);
    expect(f.vm.tracer.guestErrorCount).toBe(1);
  });

  it("[xics-18] H_IPI more favoured than CPPR and PPRI presents XISR 2 and re-delivers the displaced source", () => {
    const f = open();
    f.xics.setIrq(IRQ, 1);
    expect(f.v[1].hcall(H_IPI, 0, 3)).toBe(H_SUCCESS);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: 2, mfrr: 3, pendingPri: 3 });
    // the displaced MSI was delivered again, refused (MFRR 3 <= 5): marked resend
    expect(srcState(f, IRQ)!.resend).toBe(true);
    expect(f.v[0].ext.asserted).toBe(true);
    expect(f.backend.counters().rejected).toBe(1);
  });

  it("[xics-19] H_IPI to an unknown server returns H_PARAMETER (-4) and changes nothing", () => {
    const f = open();
    const before = fingerprint(f);
    expect(f.v[0].hcall(H_IPI, 7, 3)).toBe(H_PARAMETER);
    expect(fingerprint(f)).toBe(before);
  });

  it("[xics-20] after accepting an IPI, an EOI with CPPR 0xFF presents it again while MFRR < 0xFF", () => {
    const f = open();
    f.v[0].hcall(H_IPI, 0, 4);
    f.v[0].hcall(H_XIRR);
    expect(icpWord(f.v[0]).xisr).toBe(0);
    f.v[0].hcall(H_EOI, 0xff000002);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: 2, mfrr: 4, pendingPri: 4 });
    expect(f.v[0].ext.asserted).toBe(true);
    // the guest stops it by writing MFRR = 0xFF first (Linux icp_hv_ipi_action)
    f.v[0].hcall(H_XIRR);
    f.v[0].hcall(H_IPI, 0, 0xff);
    f.v[0].hcall(H_EOI, 0xff000002);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
  });

  it("[xics-21] H_IPI raising MFRR runs a resend scan when need_resend is set; lowering it does not", () => {
    const f = open();
    f.v[0].hcall(H_IPI, 0, 5); // IPI presented at 5
    f.xics.setIrq(IRQ, 1); // MSI at 5: refused (MFRR and PPRI are not > 5)
    expect(srcState(f, IRQ)!.resend).toBe(true);
    expect(icpOf(f, f.v[0]).needResend).toBe(1);
    f.v[0].hcall(H_IPI, 0, 4); // lower MFRR: the IPI is re-presented at 4, no scan
    expect(f.backend.counters().resendScans).toBe(0);
    expect(icpOf(f, f.v[0]).needResend).toBe(1);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: 2, mfrr: 4, pendingPri: 4 });
    f.v[0].hcall(H_IPI, 0, 0xff); // raise MFRR: need_resend latched, scan runs (PPRI 4 still refuses 5)
    expect(f.backend.counters().resendScans).toBe(1);
    expect(srcState(f, IRQ)!.resend).toBe(true);
    expect(icpOf(f, f.v[0]).needResend).toBe(1);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: 2, mfrr: 0xff, pendingPri: 4 });
  });

  it("[xics-21] (scan outcome) a source refused under an IPI is presented once MFRR and CPPR are relaxed", () => {
    const f = open();
    f.v[0].hcall(H_IPI, 0, 3); // IPI presented at 3
    f.xics.setIrq(IRQ, 1); // MSI at 5 refused
    f.v[0].hcall(H_XIRR); // IPI accepted: CPPR 3
    f.v[0].hcall(H_IPI, 0, 0xff); // MFRR relaxed: scan, CPPR 3 still refuses
    expect(srcState(f, IRQ)!.resend).toBe(true);
    expect(f.v[0].hcall(H_EOI, 0x03000002)).toBe(H_SUCCESS); // CPPR back to 3 (as Linux pops it): nothing
    expect(icpWord(f.v[0]).xisr).toBe(0);
    f.v[0].hcall(H_EOI, 0xff000002); // CPPR 0xff: scan presents the MSI
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: IRQ, mfrr: 0xff, pendingPri: 5 });
    expect(f.backend.counters().resendScans).toBe(3);
  });

  it("[xics-22] H_IPOLL returns r4 = (CPPR << 24) | XISR, r5 = MFRR, changes nothing; unknown server -> H_PARAMETER", () => {
    const f = open();
    f.xics.setIrq(IRQ, 1);
    f.v[0].hcall(H_IPI, 1, 7);
    const before = fingerprint(f);
    expect(f.v[1].hcall(H_IPOLL, 0)).toBe(H_SUCCESS);
    expect([f.v[1].hret[0], f.v[1].hret[1]]).toEqual([0xff001000, 0xff]);
    expect(f.v[0].hcall(H_IPOLL, 1)).toBe(H_SUCCESS);
    expect([f.v[0].hret[0], f.v[0].hret[1]]).toEqual([0, 7]);
    const fp = JSON.parse(fingerprint(f));
    const b = JSON.parse(before);
    expect(fp.icps).toEqual(b.icps);
    expect(fp.blocks).toEqual(b.blocks);
    f.v[0].hret[0] = 123;
    expect(f.v[0].hcall(H_IPOLL, 9)).toBe(H_PARAMETER);
    expect(f.v[0].hret[0]).toBe(123);
  });

  it("[xics-23] H_XIRR_X also returns the timebase (512 MHz from the simulated clock) in r5", () => {
    const f = open();
    f.xics.setIrq(IRQ, 1);
    f.vm.clock.advance(1_000_000); // 1 ms
    expect(f.v[0].hcall(H_XIRR_X)).toBe(H_SUCCESS);
    expect(f.v[0].hret[0]).toBe(0xff001000);
    expect(f.v[0].hret[1]).toBe(512_000);
    expect(icpWord(f.v[0]).cppr).toBe(5);
  });

  it("[xics-24] the XICS dispatcher answers H_HARDWARE without XICS or ICP; at the hcall-table level a vCPU without ICP exits to userspace", () => {
    const f = xicsVm(2, { servers: [0, null] });
    for (const op of XICS_HCALLS) {
      expect(xicsHcall(null, f.v[0], op, 0, 0)).toBe(H_HARDWARE);
      expect(xicsHcall(f.xics, f.v[1], op, 0, 0)).toBe(H_HARDWARE);
      f.v[1].hret[0] = 42;
      expect(f.v[1].hcall(op, 0, 0xff)).toBe(H_FUNCTION_UNHANDLED);
      expect(f.v[1].hret[0]).toBe(42);
    }
    expect(xicsHcall(f.xics, f.v[0], H_XIRR)).toBe(H_SUCCESS);
    // no XICS device at all: the hypercalls are not registered, also an exit to userspace
    const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsModule] });
    for (const op of XICS_HCALLS) expect(vm.vcpus[0].hcall(op)).toBe(H_FUNCTION_UNHANDLED);
  });

  it("[xics-39] H_CPPR 0x105 with a source presented at 0x10: H_SUCCESS, CPPR 5, nothing rejected, EE dequeued and not re-raised", () => {
    const f = xicsVm(1);
    msi(f.dev, IRQ, 0, 0x10);
    f.v[0].hcall(H_CPPR, 0xff);
    f.xics.setIrq(IRQ, 1);
    expect(f.v[0].ext.asserted).toBe(true);
    expect(f.v[0].hcall(H_CPPR, 0x105)).toBe(H_SUCCESS);
    expect(icpWord(f.v[0])).toEqual({ cppr: 5, xisr: IRQ, mfrr: 0xff, pendingPri: 0x10 });
    expect(f.v[0].ext.asserted).toBe(false);
    expect(icpOf(f, f.v[0]).outEe).toBe(0);
    expect(srcState(f, IRQ)!.resend).toBe(false);
  });

  it("[xics-40] H_EOI with source field 0: H_PARAMETER without block 0; with block 0, H_SUCCESS and an ack for 0", () => {
    const f = open();
    const acks: number[] = [];
    f.vm.ackNotifiers.subscribe((_c, pin) => acks.push(pin));
    expect(f.v[0].hcall(H_EOI, 0xff000000)).toBe(H_PARAMETER);
    expect(acks).toEqual([]);
    setSource(f.dev, 16, { server: 0, priority: 5 });
    expect(f.v[0].hcall(H_EOI, 0xff000000)).toBe(H_SUCCESS);
    expect(acks).toEqual([0]);
  });

  it("H_XIRR/H_EOI arguments are 64-bit registers: only the XIRR's low 32 bits count", () => {
    const f = open();
    f.xics.setIrq(IRQ, 1);
    f.v[0].hcall(H_XIRR);
    expect(f.v[0].hcall(H_EOI, 2 ** 40 + 0xff000000 + IRQ)).toBe(H_SUCCESS);
    expect(icpWord(f.v[0]).cppr).toBe(0xff);
    expect(f.v[0].hcall(H_CPPR, -1)).toBe(H_SUCCESS); // 2^64-1: a Down_CPPR to 0xff
    expect(icpWord(f.v[0]).cppr).toBe(0xff);
  });

  it("an interrupt for a vCPU that was not the caller kicks it (counted), a self-update does not", () => {
    const f = xicsVm(2);
    msi(f.dev, IRQ, 1, 5);
    f.v[1].hcall(H_CPPR, 0xff);
    f.v[0].hcall(H_IPI, 1, 3);
    expect(icpOf(f, f.v[1]).kicks).toBe(1);
    f.v[1].hcall(H_XIRR);
    f.v[1].hcall(H_IPI, 1, 0xff);
    f.v[1].hcall(H_EOI, 0xff000002);
    expect(icpOf(f, f.v[1]).kicks).toBe(1);
  });

  it("nested interrupts (pitfall: EOI order): a more favoured source preempts the one in service; EOIs in reverse order unwind the CPPR", () => {
    const f = open();
    msi(f.dev, IRQ + 1, 0, 3);
    f.xics.setIrq(IRQ, 1);
    f.v[0].hcall(H_XIRR); // A (5) in service, CPPR 5
    const xa = f.v[0].hret[0];
    f.xics.setIrq(IRQ + 1, 1); // B (3) is more favoured: presented at once
    expect(icpWord(f.v[0])).toMatchObject({ cppr: 5, xisr: IRQ + 1, pendingPri: 3 });
    expect(f.v[0].ext.asserted).toBe(true);
    f.v[0].hcall(H_XIRR);
    const xb = f.v[0].hret[0];
    expect([xa, xb]).toEqual([0xff000000 + IRQ, 0x05000000 + IRQ + 1]);
    f.v[0].hcall(H_EOI, xb); // back to CPPR 5
    expect(icpWord(f.v[0]).cppr).toBe(5);
    f.xics.setIrq(IRQ, 1); // A again while A is in service: Q, nothing presented
    expect(icpWord(f.v[0]).xisr).toBe(0);
    f.v[0].hcall(H_EOI, xa); // CPPR 0xff; A's Q re-presents it
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: IRQ, mfrr: 0xff, pendingPri: 5 });
  });

  it("several pending (pitfall: wrong interrupt taken): the most favoured is taken first; equal priorities come back in source-number order (the resend scan's order), not arrival order", () => {
    const f = open();
    msi(f.dev, IRQ + 1, 0, 6);
    msi(f.dev, IRQ + 2, 0, 4);
    msi(f.dev, IRQ + 3, 0, 5);
    for (const irq of [IRQ + 1, IRQ + 3, IRQ + 2, IRQ]) f.xics.setIrq(irq, 1);
    const taken: number[] = [];
    for (;;) {
      f.v[0].hcall(H_XIRR);
      const x = f.v[0].hret[0];
      if ((x & 0xffffff) === 0) break;
      taken.push(x & 0xffffff);
      f.v[0].hcall(H_EOI, x);
    }
    expect(taken).toEqual([IRQ + 2, IRQ, IRQ + 3, IRQ + 1]);
  });
});
