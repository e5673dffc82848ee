import { describe, expect, it } from "vitest";
import { Errno } from "@irqlab/core";
import { BYTES_PER_SOURCE, H_CPPR, H_EOI, H_XIRR, KVMPPC_XICS_NR_IRQS } from "./index.js";
import { getSource, icpWord, lsi, msi, setSource, srcState, xicsVm } from "./test-support.js";

const IRQ = 0x1000;

function openLsi() {
  const f = xicsVm(1);
  lsi(f.dev, IRQ, 0, 5);
  f.v[0].hcall(H_CPPR, 0xff);
  return f;
}

describe("XICS sources: input, P/Q, EOI", () => {
  it("[xics-37] kvm_set_irq on a source that was never created is -EINVAL; level 0 on an MSI is a no-op", () => {
    const f = xicsVm(1);
    msi(f.dev, IRQ, 0, 5);
    f.v[0].hcall(H_CPPR, 0xff);
    expect(f.xics.setIrq(IRQ + 1, 1)).toBe(-Errno.EINVAL); // same block, exists = 0
    expect(f.xics.setIrq(0x5000, 1)).toBe(-Errno.EINVAL); // no block
    expect(f.xics.setIrq(KVMPPC_XICS_NR_IRQS, 1)).toBe(-Errno.EINVAL);
    expect(f.xics.setIrq(IRQ, 0)).toBe(0);
    expect(srcState(f, IRQ)!.pq).toBe(0);
    expect(icpWord(f.v[0]).xisr).toBe(0);
    expect(f.xics.setIrq(IRQ, 1)).toBe(0);
    expect(icpWord(f.v[0]).xisr).toBe(IRQ);
  });

  it("[xics-38] levels -1U and -3U assert, -2U deasserts (through the IrqChip)", () => {
    const f = openLsi();
    const chip = f.vm.irqchips.byIndex(0)!;
    expect(chip.setIrq(IRQ, -3, 0)).toBe(0);
    expect(srcState(f, IRQ)!.pq).toBe(1);
    expect(chip.setIrq(IRQ, -2, 0)).toBe(0);
    expect(srcState(f, IRQ)!.pq).toBe(0);
    expect(chip.setIrq(IRQ, 0xffffffff, 0)).toBe(0);
    expect(srcState(f, IRQ)!.pq).toBe(1);
    msi(f.dev, IRQ + 1, 0, 6);
    expect(chip.setIrq(IRQ + 1, -2, 0)).toBe(0);
    expect(srcState(f, IRQ + 1)!.pq).toBe(0);
    expect(chip.setIrq(IRQ + 1, -1, 0)).toBe(0);
    expect(srcState(f, IRQ + 1)!.pq).toBe(1);
  });

  it("[xics-13] H_EOI of an LSI whose level is still asserted presents it again", () => {
    const f = openLsi();
    f.xics.setIrq(IRQ, 1);
    f.v[0].hcall(H_XIRR);
    expect(icpWord(f.v[0]).xisr).toBe(0);
    f.xics.setIrq(IRQ, 1); // already P: nothing
    f.v[0].hcall(H_EOI, 0xff000000 + IRQ);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: IRQ, mfrr: 0xff, pendingPri: 5 });
    expect(f.v[0].ext.asserted).toBe(true);
    expect(getSource(f.dev, IRQ)).toMatchObject({ levelSensitive: true, pending: true, presented: true });
  });

  it("[xics-14] H_EOI of an LSI de-asserted in the meantime does not present it again", () => {
    const f = openLsi();
    f.xics.setIrq(IRQ, 1);
    f.v[0].hcall(H_XIRR);
    f.xics.setIrq(IRQ, 0);
    f.v[0].hcall(H_EOI, 0xff000000 + IRQ);
    expect(icpWord(f.v[0])).toEqual({ cppr: 0xff, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
    expect(f.v[0].ext.asserted).toBe(false);
  });

  it("quirk 7: an LSI de-assert clears P and Q even while presented; the interrupt stays in XISR", () => {
    const f = openLsi();
    f.xics.setIrq(IRQ, 1);
    f.xics.setIrq(IRQ, 0);
    expect(srcState(f, IRQ)!.pq).toBe(0);
    expect(icpWord(f.v[0]).xisr).toBe(IRQ);
    expect(getSource(f.dev, IRQ)).toMatchObject({ pending: false, presented: false });
  });

  it("[xics-42] a delivery to a server with no ICP is dropped and leaves P set: later triggers only set Q", () => {
    const f = xicsVm(1);
    setSource(f.dev, IRQ, { server: 7, priority: 0xff }); // allowed: priority field 0xFF
    f.xics.setIrq(IRQ, 1);
    expect(srcState(f, IRQ)).toMatchObject({ pq: 1, maskedPending: false, resend: false });
    f.xics.setIrq(IRQ, 1);
    expect(srcState(f, IRQ)!.pq).toBe(3);
    expect(icpWord(f.v[0]).xisr).toBe(0);
    expect(getSource(f.dev, IRQ)).toMatchObject({ server: 7, masked: true, pending: false, presented: true, queued: true });
    expect(f.backend.counters().dropped).toBe(1);
  });

  it("quirk 8: unmasking such a source does not deliver it (P stays set until an EOI or a new word)", () => {
    const f = xicsVm(1);
    setSource(f.dev, IRQ, { server: 7, priority: 0xff });
    f.v[0].hcall(H_CPPR, 0xff);
    f.xics.setIrq(IRQ, 1);
    expect(f.v[0].rtas("ibm,set-xive", [IRQ, 0, 5], 1)).toEqual([0]);
    f.xics.setIrq(IRQ, 1);
    expect(icpWord(f.v[0]).xisr).toBe(0);
    f.v[0].hcall(H_EOI, 0xff000000 + IRQ); // P|Q -> P: re-delivered now that the server exists
    expect(icpWord(f.v[0]).xisr).toBe(IRQ);
  });

  it("a presented source displaced by a more favoured one is re-delivered (and refused while the better one waits)", () => {
    const f = xicsVm(1);
    msi(f.dev, IRQ, 0, 5);
    msi(f.dev, IRQ + 1, 0, 3);
    f.v[0].hcall(H_CPPR, 0xff);
    f.xics.setIrq(IRQ, 1);
    f.xics.setIrq(IRQ + 1, 1);
    expect(icpWord(f.v[0])).toMatchObject({ xisr: IRQ + 1, pendingPri: 3 });
    expect(srcState(f, IRQ)!.resend).toBe(true);
    f.v[0].hcall(H_XIRR);
    f.v[0].hcall(H_EOI, 0xff000000 + IRQ + 1);
    expect(icpWord(f.v[0])).toMatchObject({ xisr: IRQ, pendingPri: 5 });
  });

  it("an interrupt that arrives between H_XIRR and H_EOI is not lost (pitfall: EOI race)", () => {
    const f = xicsVm(1);
    msi(f.dev, IRQ, 0, 5);
    f.v[0].hcall(H_CPPR, 0xff);
    f.xics.setIrq(IRQ, 1);
    f.v[0].hcall(H_XIRR);
    f.xics.setIrq(IRQ, 1); // arrives while in service: Q
    f.v[0].hcall(H_EOI, 0xff000000 + IRQ);
    expect(icpWord(f.v[0]).xisr).toBe(IRQ);
  });

  it("sources are stored in typed arrays at 8 bytes each, blocks allocated lazily per 1024", () => {
    const f = xicsVm(1);
    expect(BYTES_PER_SOURCE).toBeLessThanOrEqual(16);
    expect(f.xics.ics.allocated).toBe(0);
    msi(f.dev, 16, 0, 5);
    msi(f.dev, 1023, 0, 5);
    expect(f.xics.ics.allocated).toBe(1);
    msi(f.dev, KVMPPC_XICS_NR_IRQS - 1, 0, 5);
    expect(f.xics.ics.allocated).toBe(2);
    expect(f.xics.ics.maxIcsId).toBe(1023);
    expect([...f.xics.ics.existing()]).toEqual([16, 1023, KVMPPC_XICS_NR_IRQS - 1]);
  });
});
