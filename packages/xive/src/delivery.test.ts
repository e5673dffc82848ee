import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { EqReader } from "./event-queue.js";
import { KVM_INTERRUPT_SET_LEVEL, KVM_INTERRUPT_UNSET } from "@irqlab/xics";
import { createSource, entry, eqConfig, mgmt, qaddrOf, ready, rig, sourceConfig, trig, OS } from "./test-support.js";


const pq = (r: ReturnType<typeof rig>, irq: number) => r.esb.read(mgmt(irq, 0x800), 8);
const ipb = (r: ReturnType<typeof rig>, server: number) => r.dev.xive.servers.get(server)!.regs[0x12];

describe("delivery through the ESB, the END queue and the presenter", () => {
  it("[xive-23] trigger 00->10 writes one entry and sets IPB; 10->11 no entry; EOI 11->10 one new entry; EOI 10->00; trigger on 01 dropped", () => {
    const r = rig(1);
    ready(r, 0x20, 0, 3, 0x1234);
    r.tima.write(OS + 0x11, 1, 0xff, r.vm.vcpus[0]);
    r.esb.write(trig(0x20), 8, 0);
    expect(pq(r, 0x20)).toBe(0b10);
    expect(entry(r, 0, 3, 0)).toBe(0x80000000 + 0x1234);
    expect(ipb(r, 0)).toBe(0x80 >> 3);
    expect(r.vm.vcpus[0].ext.asserted).toBe(true);
    r.esb.write(trig(0x20), 8, 0);
    expect(pq(r, 0x20)).toBe(0b11);
    expect(entry(r, 0, 3, 1)).toBe(0);
    expect(r.esb.read(mgmt(0x20, 0x000), 8)).toBe(1); // load-EOI 11 -> 10, re-forwarded
    expect(pq(r, 0x20)).toBe(0b10);
    expect(entry(r, 0, 3, 1)).toBe(0x80000000 + 0x1234);
    expect(r.esb.read(mgmt(0x20, 0x000), 8)).toBe(0);
    expect(pq(r, 0x20)).toBe(0b00);
    r.esb.read(mgmt(0x20, 0xd00), 8);
    r.esb.write(trig(0x20), 8, 0);
    expect(pq(r, 0x20)).toBe(0b01);
    expect(entry(r, 0, 3, 2)).toBe(0);
    expect(r.dev.xive.counters.off).toBe(1);
  });

  it("[xive-25] the writer starts at toggle 1 index 0 and flips at wrap; a reader with toggle 0 sees exactly the written entries", () => {
    const r = rig(1);
    ready(r, 5, 0, 2, 77);
    const q = r.dev.xive.servers.get(0)!.queues;
    expect([q.toggle[2], q.index[2]]).toEqual([1, 0]);
    const reader = new EqReader(r.vm.memory, qaddrOf(0, 2), 16);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 1, maxLength: 60 }), (bursts) => {
        for (const n of bursts) {
          for (let k = 0; k < n; k++) {
            r.esb.write(trig(5), 8, 0);
            r.esb.read(mgmt(5, 0xc00), 8); // EOI (SET_PQ_00)
          }
          let seen = 0;
          while (reader.read() === 77) seen++;
          expect(seen).toBe(n);
        }
      }),
      { numRuns: 20 },
    );
    expect(q.written[2]).toBeGreaterThan(16384); // wrapped at least once in most runs
    const before = q.toggle[2];
    const left = 16384 - q.index[2];
    for (let k = 0; k < left; k++) {
      r.esb.write(trig(5), 8, 0);
      r.esb.read(mgmt(5, 0xc00), 8);
    }
    expect(q.index[2]).toBe(0);
    expect(q.toggle[2]).toBe(before ^ 1);
  });

  it("a masked EAS drops the event and P stays set until EOI", () => {
    const r = rig(1);
    createSource(r, 4);
    r.esb.read(mgmt(4, 0xc00), 8);
    r.esb.write(trig(4), 8, 0);
    expect(pq(r, 4)).toBe(0b10);
    expect(r.dev.xive.counters.dropped).toBe(1);
  });

  it("kvm_set_irq: MSI level 1 triggers, LSI level 1 asserts and triggers, level 0 / UNSET only deassert; errors -EINVAL", () => {
    const r = rig(1);
    ready(r, 8, 0, 6, 8);
    createSource(r, 9, true);
    sourceConfig(r, 9, 0, 6, 9);
    r.esb.read(mgmt(9, 0xc00), 8);
    const chip = r.vm.irqchips.list()[0];
    expect(chip.setIrq(8, 1, 0)).toBe(0);
    expect(pq(r, 8)).toBe(0b10);
    expect(chip.setIrq(8, 0, 0)).toBe(0);
    expect(pq(r, 8)).toBe(0b10);
    expect(chip.setIrq(9, 1, 0)).toBe(0);
    const b = r.dev.xive.sources.find(9)!;
    expect(b.flags[9] & 4).toBe(4);
    expect(chip.setIrq(9, KVM_INTERRUPT_UNSET, 0)).toBe(0);
    expect(b.flags[9] & 4).toBe(0);
    expect(chip.setIrq(8, KVM_INTERRUPT_SET_LEVEL, 0)).toBe(0);
    expect(r.dev.xive.sources.find(8)!.flags[8] & 4).toBe(4);
    expect(chip.setIrq(10, 1, 0)).toBe(-22);
    expect(chip.setIrq(5000, 1, 0)).toBe(-22);
    expect(chip.setIrq(-1, 1, 0)).toBe(-22);
    expect(r.vm.ackNotifiers.notified).toBe(0);
  });

  it("native XIVE runs no ack notifiers: the guest's ESB EOI never reaches KVM", () => {
    const r = rig(1);
    createSource(r, 9, true);
    eqConfig(r, 0, 6);
    sourceConfig(r, 9, 0, 6, 9);
    r.esb.read(mgmt(9, 0xc00), 8);
    r.vm.irqchips.list()[0].setIrq(9, 1, 0);
    r.esb.read(mgmt(9, 0x000), 8);
    expect(r.vm.ackNotifiers.notified).toBe(0);
  });

  it("escalation: an event for an undispatched vCPU is recorded in its NVT and wakes it on dispatch", () => {
    const r = rig(1);
    ready(r, 3, 0, 4, 3);
    r.tima.write(OS + 0x11, 1, 0xff, r.vm.vcpus[0]);
    const xv = r.dev.xive.servers.get(0)!;
    xv.undispatch();
    r.esb.write(trig(3), 8, 0);
    expect(r.vm.vcpus[0].ext.asserted).toBe(false);
    expect(xv.nvtIpb).toBe(0x80 >> 4);
    expect(xv.escalations).toBe(1);
    expect(entry(r, 0, 4, 0)).toBe(0x80000003);
    xv.dispatch();
    expect(r.vm.vcpus[0].ext.asserted).toBe(true);
    expect(r.tima.read(OS + 0x810, 2, r.vm.vcpus[0])).toBe(0x8004);
  });

  it("[xive-31] set_mapped switches pages 2n/2n+1 to the host interrupt's ESB; clr_mapped back to the IPI", () => {
    const r = rig(1);
    ready(r, 6, 0, 6, 6);
    const x = r.dev.xive;
    x.setMapped(6, 0x5500);
    expect(x.resetMappedCount).toBe(1);
    expect(pq(r, 6)).toBe(0b10); // the PT source as the host left it ([xox-33]: not EOI'd)
    expect(x.sources.find(6)!.pq[6]).toBe(0b01); // the IPI turned off
    expect(r.vm.irqchips.list()[0].setIrq(6, 1, 0)).toBe(-22); // no trigger on a passed-through source
    r.esb.read(mgmt(6, 0xc00), 8); // the guest enables it through the (now PT) ESB page
    expect(x.hostDeviceTrigger(6)).toBe(true);
    expect(pq(r, 6)).toBe(0b10);
    expect(entry(r, 0, 6, 0)).toBe(0x80000006);
    r.esb.read(mgmt(6, 0xf00), 8);
    x.clrMapped(6);
    expect(x.resetMappedCount).toBe(2);
    expect(pq(r, 6)).toBe(0b10); // the IPI again, parked at 10
    r.esb.read(mgmt(6, 0xc00), 8);
    r.esb.write(trig(6), 8, 0);
    expect(entry(r, 0, 6, 1)).toBe(0x80000006);
  });

  it("[xox-30] with the native device mmapped, set_mapped / clr_mapped invalidate exactly ESB pages 4+2n and 5+2n", () => {
    const r = rig(1);
    ready(r, 0x21, 0, 6);
    const x = r.dev.xive;
    x.setMapped(0x21, 0x5500);
    expect(x.resetMappedPages).toEqual([4 + 2 * 0x21, 5 + 2 * 0x21]);
    x.clrMapped(0x21);
    expect(x.resetMappedPages).toEqual([4 + 0x42, 5 + 0x42, 4 + 0x42, 5 + 0x42]);
  });

  it("[xox-33] native mode: set_mapped leaves guest_priority 0xFF, IPI 01, PT not EOI'd, PT EAS EISN = source number; clr_mapped IPI EISN = number, IPI 10", () => {
    const r = rig(1);
    ready(r, 6, 0, 6, 0x77); // SOURCE_CONFIG EISN 0x77
    const x = r.dev.xive;
    r.esb.write(trig(6), 8, 0);
    expect(entry(r, 0, 6, 0)).toBe(0x80000077);
    r.esb.read(mgmt(6, 0xc00), 8);
    x.setMapped(6, 0x5500);
    const b = x.sources.find(6)!;
    expect(b.pq[6]).toBe(0b01);
    expect(b.ptPq[6]).toBe(0b10);
    expect(x.hostDeviceTrigger(6)).toBe(true); // P set: coalesced, nothing queued
    expect(b.ptPq[6]).toBe(0b11);
    r.esb.read(mgmt(6, 0xc00), 8); // guest EOI: SET_PQ_00
    expect(x.hostDeviceTrigger(6)).toBe(true);
    expect(entry(r, 0, 6, 1)).toBe(0x80000006); // EISN = source number, not 0x77
    x.clrMapped(6);
    expect(b.pq[6]).toBe(0b10);
    r.esb.read(mgmt(6, 0xc00), 8);
    r.esb.write(trig(6), 8, 0);
    expect(entry(r, 0, 6, 2)).toBe(0x80000006);
  });
});
