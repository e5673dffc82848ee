import { describe, expect, it } from "vitest";
import { cpuReg, srcIdr, srcIlr, srcIvpr } from "./constants.js";
import { program, ready } from "./__tests__/helpers.js";

const CTPR = 0x80;

describe("delivery algorithm (mpic.md §6) and the quirks of §12", () => {
  it("nested EOI unwinds three levels, highest in-service priority first", () => {
    const f = ready({ vcpus: 1 });
    program(f, 1, 0x00030031);
    program(f, 2, 0x00060032);
    program(f, 3, 0x00090033);
    f.active(1, 1);
    expect(f.iack()).toBe(0x31);
    f.active(2, 1);
    expect(f.iack()).toBe(0x32);
    f.active(3, 1);
    expect(f.iack()).toBe(0x33);
    expect(f.dev.pic.servicing.members(0)).toEqual([1, 2, 3]);
    f.eoi();
    expect(f.dev.pic.servicing.members(0)).toEqual([1, 2]);
    f.eoi();
    expect(f.dev.pic.servicing.members(0)).toEqual([1]);
    f.eoi();
    expect(f.dev.pic.servicing.members(0)).toEqual([]);
  });

  it("pitfall: a non-specific EOI ends the highest-priority in-service interrupt, not the last acknowledged one", () => {
    const f = ready({ vcpus: 1 });
    const acks: number[] = [];
    f.vm.ackNotifiers.subscribe((_c, pin) => acks.push(pin));
    program(f, 1, 0x000c0031);
    program(f, 2, 0x00030032);
    f.active(1, 1);
    expect(f.iack()).toBe(0x31);
    f.active(2, 1);
    expect(f.iack()).toBe(0x32); // acknowledged last, while priority 12 is in service
    f.eoi();
    expect(acks).toEqual([1]);
    expect(f.dev.pic.servicing.members(0)).toEqual([2]);
    f.eoi();
    expect(acks).toEqual([1, 2]);
    expect(f.dev.pic.servicing.members(0)).toEqual([]);
  });

  it("a lower priority does not preempt an in-service one but IACK still returns it (quirk: IACK ignores servicing)", () => {
    const f = ready({ vcpus: 1 });
    program(f, 1, 0x000c0031);
    program(f, 2, 0x00030032);
    f.active(1, 1);
    expect(f.iack()).toBe(0x31);
    f.active(2, 1);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    expect(f.iack()).toBe(0x32);
  });

  it("[quirk 7] EOI re-raises for a raised source at or below CTPR; the IACK then is spurious (stale entry)", () => {
    const f = ready({ vcpus: 1 });
    program(f, 1, 0x00080031);
    program(f, 2, 0x00030032);
    f.active(1, 1);
    expect(f.iack()).toBe(0x31);
    f.set(cpuReg(0, CTPR), 5);
    f.active(2, 1); // priority 3 <= CTPR 5: stays in raised, no line
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    f.eoi();
    expect(f.vm.vcpus[0].ext.asserted).toBe(true); // CTPR not consulted
    expect(f.iack()).toBe(0xffff); // stale: priority <= CTPR
    expect(f.dev.counters().staleIacks).toBe(1);
    expect(f.vm.tracer.guestErrorCount).toBe(1);
    expect(f.active(2)).toBe(0); // quirk 8: the stale IACK still clears the edge
  });

  it("[quirk 7] a CTPR write uses the cached queue priorities: after an IACK it raises the line spuriously", () => {
    const f = ready({ vcpus: 1 });
    program(f, 3, 0x00050043);
    f.active(3, 1);
    expect(f.iack()).toBe(0x43);
    // IACK removed source 3 from the raised set without a rescan: the cache still says 5
    expect(f.dev.pic.raised.members(0)).toEqual([]);
    expect(f.dev.pic.raised.priority[0]).toBe(5);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    f.set(cpuReg(0, CTPR), 0);
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    expect(f.iack()).toBe(0xffff);
  });

  it("[quirk 6] an IDR write does not re-route an already active source until its next update", () => {
    const f = ready({ vcpus: 2 });
    program(f, 4, 0x00054444 | 0x00400000, 1);
    f.active(4, 1);
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    f.set(srcIdr(4), 2);
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    expect(f.vm.vcpus[1].ext.asserted).toBe(false);
    f.set(srcIvpr(4), 0x00054444 | 0x00400000); // update(): delivered to CPU 1 now
    expect(f.vm.vcpus[1].ext.asserted).toBe(true);
  });

  it("masking withdraws a pending level interrupt and unmasking re-presents it; masked edges are latched", () => {
    const f = ready({ vcpus: 1 });
    program(f, 20, 0x00050050);
    f.active(20, 1);
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    f.set(srcIvpr(20), 0x80050050);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    expect(f.get(srcIvpr(20)) & 0x40000000).toBe(0);
    f.set(srcIvpr(20), 0x00050050);
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    f.active(20, 0);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    program(f, 3, 0x80050043);
    f.active(3, 1);
    f.active(3, 0);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    f.set(srcIvpr(3), 0x00050043);
    expect(f.iack()).toBe(0x43);
  });

  it("edge inputs coalesce: two edges before IACK give one interrupt; a falling input does nothing", () => {
    const f = ready({ vcpus: 1 });
    program(f, 3, 0x00050043);
    f.dev.chip.setIrq(3, 1, 0);
    f.dev.chip.setIrq(3, 0, 0);
    f.dev.chip.setIrq(3, 1, 0);
    expect(f.iack()).toBe(0x43);
    f.eoi();
    expect(f.iack()).toBe(0xffff);
  });

  it("priority 0 is never delivered", () => {
    const f = ready({ vcpus: 1 });
    program(f, 3, 0x00000043);
    f.active(3, 1);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    expect(f.iack()).toBe(0xffff);
  });

  it("an edge source aimed at two CPUs: the first IACK consumes it, the other CPU's IACK is spurious", () => {
    const f = ready({ vcpus: 2 });
    program(f, 1, 0x00050041, 3);
    f.active(1, 1);
    expect(f.vm.vcpus.map((v) => v.ext.asserted)).toEqual([true, true]);
    expect(f.iack(0)).toBe(0x41);
    expect(f.iack(1)).toBe(0xffff);
  });

  it("a level source aimed at two CPUs is taken by both", () => {
    const f = ready({ vcpus: 2 });
    program(f, 2, 0x00460042, 3);
    f.active(2, 1);
    expect(f.iack(0)).toBe(0x42);
    expect(f.iack(1)).toBe(0x42);
  });

  it("IPI multicast: each target takes it once, then the activity bit is set again until all did", () => {
    const f = ready({ vcpus: 2 });
    f.set(0x10a0, 0x00070070);
    f.set(cpuReg(0, 0x40), 0x3);
    expect(f.iack(0)).toBe(0x70);
    expect(f.get(0x10a0) & 0x40000000).toBe(0x40000000);
    expect(f.iack(1)).toBe(0x70);
    f.eoi(0);
    f.eoi(1);
    expect(f.iack(0)).toBe(0xffff);
    expect(f.iack(1)).toBe(0xffff);
  });

  it("an IPI dispatched while masked is delivered on unmask; bits of absent CPUs are ignored", () => {
    const f = ready({ vcpus: 1, reset: false });
    f.set(0x10b0, 0x80080071);
    f.set(cpuReg(0, 0x50), 0x5);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    f.set(0x10b0, 0x00080071);
    expect(f.iack(0)).toBe(0x71);
  });

  it("MSIIR through MMIO asserts the bank source; MSISR and MSIR track the bits", () => {
    const f = ready({ vcpus: 1, base: 0xe0040000 });
    program(f, 226, 0x000500e2);
    f.vm.mmio.write(0xe0041740, 4, (2 << 29) | (7 << 24));
    f.vm.mmio.write(0xe0041740, 4, (2 << 29) | (31 << 24));
    expect(f.get(0x1720)).toBe(0x4);
    expect(f.iack()).toBe(0xe2);
    expect(f.vm.mmio.read(0xe0041620, 4)).toBe(0x80000080);
    f.eoi();
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    expect(f.get(0x1720)).toBe(0);
  });

  it("MSIs to a masked bank stay in MSIR and are delivered when the bank is unmasked", () => {
    const f = ready({ vcpus: 1 });
    f.set(srcIdr(225), 1);
    f.dev.chip.deliverMsi({ addressLo: 0, addressHi: 0, data: (1 << 29) | (4 << 24), flags: 0, devid: 0 }, 0, 0);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    f.set(srcIvpr(225), 0x000500e1);
    expect(f.iack()).toBe(0xe1);
    expect(f.get(0x1610)).toBe(0x10);
  });

  it("v2.0: an IDR CI bit makes the source critical and ignores IVPR[MASK]; nothing reaches the vCPU", () => {
    const f = ready({ type: 1, vcpus: 1 });
    f.set(srcIdr(5), 0x40000000);
    expect(f.get(srcIdr(5))).toBe(0x40000000);
    f.set(srcIvpr(5), 0x80460055); // masked, but CI sources ignore the mask
    f.active(5, 1);
    expect(f.get(srcIvpr(5)) & 0x40000000).toBe(0x40000000);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
    expect(f.vm.vcpus[0].crit.asserted).toBe(false);
    expect(f.dev.pic.outputsActive[1]).toBe(1);
    f.active(5, 0);
    expect(f.dev.pic.outputsActive[1]).toBe(0);
  });

  it("an edge on a critical output pulses: A is set and cleared within the call, pending stays 0", () => {
    const f = ready({ type: 2, vcpus: 1 });
    f.set(srcIdr(6), 1);
    f.set(srcIlr(6), 1);
    f.set(srcIvpr(6), 0x00060066);
    f.dev.setCriticalOutputs("vcpu-lines");
    const changes: boolean[] = [];
    f.vm.vcpus[0].crit.onChange((l) => changes.push(l));
    f.active(6, 1);
    expect(f.active(6)).toBe(0);
    expect(f.get(srcIvpr(6)) & 0x40000000).toBe(0);
    expect(changes).toEqual([true, false]);
  });

  it("critical-output mode 'vcpu-lines' drives vcpu.crit / vcpu.mcheck (experiment knob; KVM never does)", () => {
    const f = ready({ type: 2, vcpus: 1 });
    f.dev.setCriticalOutputs("vcpu-lines");
    program(f, 20, 0x00050050);
    f.set(srcIlr(20), 2);
    program(f, 21, 0x00050051);
    f.set(srcIlr(21), 1);
    const v = f.vm.vcpus[0];
    f.active(20, 1);
    f.active(21, 1);
    expect([v.ext.asserted, v.crit.asserted, v.mcheck.asserted]).toEqual([false, true, true]);
    f.active(21, 0);
    f.active(20, 0);
    expect([v.crit.asserted, v.mcheck.asserted]).toEqual([false, false]);
    expect(() => f.dev.setCriticalOutputs("bogus" as never)).toThrow(/critical output mode/);
  });

  it("v4.2 proxy mode: KVM acknowledges on delivery and fills EPR; v2.0 and mixed mode do not", () => {
    const f = ready({ type: 2, vcpus: 1 });
    program(f, 3, 0x00050043);
    f.active(3, 1);
    const v = f.vm.vcpus[0];
    expect(f.dev.deliverExternal(v)).toBe(-1); // mixed mode: the guest reads IACK itself
    f.set(0x1020, 0x60000000);
    expect(f.dev.deliverExternal(v)).toBe(0x43);
    expect(v.getOneRegU64(0x1020000000000086n)).toBe(0x43n);
    expect(v.ext.asserted).toBe(false);
    expect(f.dev.deliverExternal(v)).toBe(0xffff);
    f.eoi();
    const g = ready({ type: 1, vcpus: 1 });
    g.set(0x1020, 0x60000000);
    expect(g.dev.deliverExternal(g.vm.vcpus[0])).toBe(-1);
  });

  it("a reset with a raised line issues no lower: the next IACK is spurious (quirk 5)", () => {
    const f = ready({ vcpus: 1 });
    program(f, 3, 0x00050043);
    f.active(3, 1);
    f.set(0x1020, 0x80000000);
    expect(f.vm.vcpus[0].ext.asserted).toBe(true);
    expect(f.active(3)).toBe(1);
    expect(f.iack()).toBe(0xffff);
    expect(f.vm.vcpus[0].ext.asserted).toBe(false);
  });

  it("[quirk 3] IRQ_ACTIVE accepts 256 = IPI 0 (edge: pending until taken)", () => {
    const f = ready({ vcpus: 1, reset: true });
    f.set(0x10a0, 0x00040070);
    f.active(256, 1);
    expect(f.iack()).toBe(0x70);
  });

  it("routed levels pass through unchanged: a level of 2 reads back 2 via IRQ_ACTIVE", () => {
    const f = ready({ vcpus: 1 });
    f.dev.chip.setIrq(20, 2, 0);
    expect(f.active(20)).toBe(2);
  });
});
