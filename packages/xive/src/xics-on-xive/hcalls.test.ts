import { describe, expect, it } from "vitest";
import { H_FUNCTION_UNHANDLED, KVM_CAP_IRQ_XICS } from "@irqlab/core";
import { H_CPPR, H_EOI, H_IPI, H_IPOLL, H_PARAMETER, H_XIRR, H_XIRR_X } from "@irqlab/xics";
import { xoxHcall } from "./hcalls.js";
import { H_TOO_HARD, H_UNSUPPORTED, XICS_DUMMY } from "./xics-on-xive.js";
import { openCppr, queued, ready, xrig, xv } from "./xox-rig.js";

const OS_IPB = 0x12;

describe("XICS-on-XIVE device input and hypercalls (§5, §6)", () => {
  it("[xox-7] a trigger of an unmasked targeted idle MSI moves its ESB to 10, queues its number in queue prio_from_guest(p) and sets IPB", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 1, 9);
    expect(r.x.setIrq(16, 1)).toBe(0);
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b10);
    expect(queued(r, 1, 6)).toEqual([16]);
    expect(xv(r, 1).regs[OS_IPB]).toBe(0x80 >> 6);
    expect(r.vm.vcpus[1].ext.asserted).toBe(true);
    expect(r.vm.vcpus[0].ext.asserted).toBe(false);
  });

  it("[xox-8] H_XIRR returns (old CPPR << 24) | source, sets CPPR to the XIVE priority and advances the queue by one", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 9);
    r.x.setIrq(16, 1);
    const v = r.vm.vcpus[0];
    expect(v.hcall(H_XIRR)).toBe(0);
    expect(v.hret[0]).toBe(0xff000010);
    expect(xv(r, 0).cppr).toBe(6);
    expect(xv(r, 0).queues.readIdx[6]).toBe(1);
    expect(v.ext.asserted).toBe(false);
    // quirk §9.7: the CPPR reported back is the mapped 6, not 9.
    expect(v.hcall(H_EOI, 0xff000010)).toBe(0);
    expect(xv(r, 0).cppr).toBe(0xff);
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b00);
  });

  it("[xox-9] H_XIRR with an IPI pending (MFRR < CPPR) and a queued source of priority >= MFRR returns 2 and leaves the source queued", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    r.x.setIrq(16, 1);
    const v = r.vm.vcpus[0];
    expect(v.hcall(H_IPI, 0, 3)).toBe(0);
    v.hcall(H_XIRR);
    expect(v.hret[0]).toBe(0xff000002);
    expect(xv(r, 0).cppr).toBe(3);
    expect(queued(r, 0, 5)).toEqual([16]);
    expect(xv(r, 0).queues.readIdx[5]).toBe(0);
  });

  it("[xox-10] the fetch scan consumes every entry 2 of queue 0 and EOIs the vCPU IPI for each (a Q-set IPI re-fires into the same scan)", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 17, 0, 0); // provisions queue 0
    const v = r.vm.vcpus[0];
    v.hcall(H_IPI, 0, 5);
    expect(xv(r, 0).ipiPq).toBe(0b10);
    expect(queued(r, 0, 0)).toEqual([2]);
    v.hcall(H_XIRR);
    expect(v.hret[0]).toBe(0xff000002);
    expect(xv(r, 0).ipiPq).toBe(0b00);
    expect(xv(r, 0).queues.readIdx[0]).toBe(1);
    expect(xv(r, 0).cppr).toBe(5);
    // Q set: two triggers before the scan.
    v.hcall(H_EOI, 0xff000002);
    v.hcall(H_IPI, 0, 5);
    v.hcall(H_IPI, 0, 5);
    expect(xv(r, 0).ipiPq).toBe(0b11);
    v.hcall(H_XIRR);
    expect(v.hret[0]).toBe(0xff000002);
    expect(xv(r, 0).ipiPq).toBe(0b00);
    expect(xv(r, 0).queues.readIdx[0]).toBe(3);
    expect(queued(r, 0, 0)).toEqual([]);
  });

  it("[xox-11] H_IPI with m < target CPPR triggers the target's IPI; with m >= CPPR it only records MFRR", () => {
    const r = xrig();
    openCppr(r);
    const v0 = r.vm.vcpus[0];
    r.vm.vcpus[1].hcall(H_CPPR, 5);
    expect(v0.hcall(H_IPI, 1, 6)).toBe(0);
    expect(xv(r, 1).mfrr).toBe(6);
    expect(xv(r, 1).ipiPq).toBe(0b00);
    expect(r.vm.vcpus[1].ext.asserted).toBe(false);
    expect(v0.hcall(H_IPI, 1, 4)).toBe(0);
    expect(xv(r, 1).ipiPq).toBe(0b10);
    expect(r.vm.vcpus[1].ext.asserted).toBe(true);
    r.vm.vcpus[1].hcall(H_XIRR);
    expect(r.vm.vcpus[1].hret[0]).toBe(0x05000002);
  });

  it("[xox-12] H_IPI to an unknown server is H_PARAMETER", () => {
    const r = xrig();
    expect(r.vm.vcpus[0].hcall(H_IPI, 9, 0)).toBe(H_PARAMETER);
    expect(r.vm.vcpus[0].hcall(H_IPOLL, 9)).toBe(H_PARAMETER);
  });

  it("[xox-13] H_CPPR to a more favoured value replaces queued entries of rerouted sources by XICS_DUMMY and re-fires them at their new target", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    ready(r, 18, 0, 5);
    r.x.setIrq(16, 1);
    r.x.setIrq(18, 1);
    expect(queued(r, 0, 5)).toEqual([16, 18]);
    expect(r.vm.vcpus[0].rtas("ibm,set-xive", [16, 1, 5], 1)[0]).toBe(0);
    expect(xv(r, 0).queues.pendingCount[5]).toBe(1);
    expect(xv(r, 1).queues.count[5]).toBe(1);
    expect(r.vm.vcpus[0].hcall(H_CPPR, 5)).toBe(0);
    expect(queued(r, 0, 5)).toEqual([XICS_DUMMY, 18]);
    expect(r.x.hostMemory.read(xv(r, 0).queues.qaddr[5], 4, "be")).toBe(0x80000001);
    expect(xv(r, 0).queues.readIdx[5]).toBe(0);
    expect(queued(r, 1, 5)).toEqual([16]);
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b10);
    expect(r.vm.vcpus[1].ext.asserted).toBe(true);
    // The dummy is skipped by the fetch; once the queue is seen empty the old queue's count drops.
    expect(xv(r, 0).queues.count[5]).toBe(2);
    r.vm.vcpus[0].hcall(H_CPPR, 0xff);
    r.vm.vcpus[0].hcall(H_XIRR);
    expect(r.vm.vcpus[0].hret[0]).toBe(0xff000012);
    r.vm.vcpus[0].hcall(H_EOI, 0xff000012);
    expect(xv(r, 0).queues.count[5]).toBe(1);
    expect(xv(r, 0).queues.pendingCount[5]).toBe(0);
  });

  it("[xox-14] H_CPPR to a less favoured value with MFRR < 0xFF issues SET_OS_PENDING with the most favoured priority", () => {
    const r = xrig();
    const v = r.vm.vcpus[0];
    v.hcall(H_CPPR, 3);
    v.hcall(H_IPI, 0, 4); // 4 >= CPPR 3: recorded only
    expect(xv(r, 0).ipiPq).toBe(0b00);
    r.x.lastSetOsPending = -1;
    v.hcall(H_CPPR, 0xff);
    expect(r.x.lastSetOsPending).toBe(4);
    expect(xv(r, 0).regs[OS_IPB]).toBe(0x80 >> 4);
    expect(v.ext.asserted).toBe(true);
    v.hcall(H_XIRR);
    expect(v.hret[0]).toBe(0xff000002);
  });

  it("[xox-15] H_EOI of irq 0 or 2 only updates CPPR, rescans and pushes pending", () => {
    const r = xrig();
    const v = r.vm.vcpus[0];
    expect(v.hcall(H_EOI, 0x05000000)).toBe(0);
    expect(xv(r, 0).cppr).toBe(5);
    expect(xv(r, 0).regs[0x11]).toBe(5);
    xv(r, 0).mfrr = 3;
    r.x.lastSetOsPending = -1;
    expect(v.hcall(H_EOI, 0xff000002)).toBe(0);
    expect(xv(r, 0).cppr).toBe(0xff);
    expect(r.x.lastSetOsPending).toBe(3);
  });

  it("[xox-16] H_EOI on a source in a missing block is H_PARAMETER after still updating CPPR", () => {
    const r = xrig();
    expect(r.vm.vcpus[0].hcall(H_EOI, 0x07005000)).toBe(H_PARAMETER);
    expect(xv(r, 0).cppr).toBe(6);
  });

  it("[xox-17] H_EOI of an unmasked emulated LSI re-fires it while asserted; once de-asserted the EOI only returns its ESB to 00", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5, true);
    const v = r.vm.vcpus[0];
    r.x.setIrq(16, 1);
    v.hcall(H_XIRR);
    expect(v.hret[0]).toBe(0xff000010);
    v.hcall(H_EOI, 0xff000010);
    expect(queued(r, 0, 5)).toEqual([16]);
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b10);
    v.hcall(H_XIRR);
    r.x.setIrq(16, 0);
    v.hcall(H_EOI, 0xff000010);
    expect(queued(r, 0, 5)).toEqual([]);
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b00);
    // A repeated assert while in flight sets Q: the EOI re-fires even after de-assertion.
    r.x.setIrq(16, 1);
    v.hcall(H_XIRR);
    r.x.setIrq(16, 1);
    r.x.setIrq(16, 0);
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b11);
    v.hcall(H_EOI, 0xff000010);
    expect(queued(r, 0, 5)).toEqual([16]);
  });

  it("[xox-19] H_IPOLL on the own server reports the first deliverable interrupt without moving queues or CPPR", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    r.x.setIrq(16, 1);
    const v = r.vm.vcpus[0];
    expect(v.hcall(H_IPOLL, 0)).toBe(0);
    expect(v.hret[0]).toBe(0xff000010);
    expect(xv(r, 0).cppr).toBe(0xff);
    expect(xv(r, 0).queues.readIdx[5]).toBe(0);
    expect(xv(r, 0).pending).toBe(0);
    v.hcall(H_XIRR);
    expect(v.hret[0]).toBe(0xff000010);
  });

  it("quirk §9.1: a remote H_IPOLL writes the target vCPU's GPR4, not the caller's; GPR5 is never written", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    r.x.setIrq(16, 1);
    const [v0, v1] = r.vm.vcpus;
    v1.hret[0] = 0x1234;
    v1.hret[1] = 0x5678;
    expect(v1.hcall(H_IPOLL, 0)).toBe(0);
    expect(v1.hret[0]).toBe(0x1234);
    expect(v1.hret[1]).toBe(0x5678);
    expect(v0.hret[0]).toBe(0xff000010);
    expect(xv(r, 0).queues.readIdx[5]).toBe(0);
  });

  it("[xox-20] H_XIRR_X sets GPR5 to the host timebase plus the vCPU's timebase offset", () => {
    const r = xrig();
    xv(r, 0).tbOffset = 1000;
    r.vm.clock.advance(1000); // 1 us = 512 ticks
    expect(r.vm.vcpus[0].hcall(H_XIRR_X)).toBe(0);
    expect(r.vm.vcpus[0].hret[1]).toBe(1512);
  });

  it("[xox-21] unknown hcall numbers are H_UNSUPPORTED (-67); a vCPU not in XICS mode gets H_TOO_HARD", () => {
    const r = xrig(2, {}, false);
    r.vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [r.h, 0]);
    const [v0, v1] = r.vm.vcpus;
    expect(xoxHcall(r.x, v0, 0x1234)).toBe(H_UNSUPPORTED);
    expect(H_UNSUPPORTED).toBe(-67);
    expect(xoxHcall(r.x, v0, H_XIRR)).toBe(0);
    expect(xoxHcall(r.x, v1, H_XIRR)).toBe(H_TOO_HARD);
    expect(xoxHcall(null, v0, H_XIRR)).toBe(H_TOO_HARD);
    // In the VM's hcall table H_TOO_HARD means "not handled in the kernel": nothing is written.
    v1.hret[0] = 7;
    expect(v1.hcall(H_XIRR)).toBe(H_FUNCTION_UNHANDLED);
    expect(v1.hret[0]).toBe(7);
  });

  it("[xox-31] push_pending_to_hw stores the lowest of pending | MFRR (7 for 7..0xFE) to SET_OS_PENDING, nothing when empty", () => {
    const r = xrig();
    const v = r.vm.vcpus[0];
    const x = xv(r, 0);
    const push = (pending: number, mfrr: number) => {
      v.hcall(H_CPPR, 0);
      x.pending = pending;
      x.mfrr = mfrr;
      x.regs[OS_IPB] = 0;
      r.x.lastSetOsPending = -1;
      v.hcall(H_CPPR, 0xff); // numerically larger: push_pending_to_hw
      return r.x.lastSetOsPending;
    };
    expect(push(0, 7)).toBe(7);
    expect(push(0, 0x20)).toBe(7);
    expect(push(0, 0xff)).toBe(-1);
    expect(x.regs[OS_IPB]).toBe(0);
    expect(push(0x24, 0xff)).toBe(2);
    expect(x.regs[OS_IPB]).toBe(0x80 >> 2);
  });

  it("[xox-32] H_IPI with GPR5 = 0x100 records MFRR 0 but does not trigger (the full value is compared)", () => {
    const r = xrig();
    openCppr(r);
    expect(r.vm.vcpus[0].hcall(H_IPI, 1, 0x100)).toBe(0);
    expect(xv(r, 1).mfrr).toBe(0);
    expect(xv(r, 1).ipiPq).toBe(0b00);
    expect(r.vm.vcpus[1].ext.asserted).toBe(false);
  });

  it("quirk §9.7: a guest CPPR of 7..254 is stored as 6 and blocks sources of guest priority 6..254", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 200);
    const v = r.vm.vcpus[0];
    v.hcall(H_CPPR, 100);
    expect(xv(r, 0).cppr).toBe(6);
    r.x.setIrq(16, 1);
    expect(v.ext.asserted).toBe(false);
    v.hcall(H_XIRR);
    expect(v.hret[0]).toBe(0x06000000);
  });
});
