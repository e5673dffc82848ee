import { describe, expect, it } from "vitest";
import { errnoOf, Errno } from "@irqlab/core";
import { H_EOI, H_XIRR } from "@irqlab/xics";
import { PassthroughEsb } from "./passthrough-esb.js";
import { openCppr, queued, ready, setSrc, xrig } from "./xox-rig.js";

describe("XICS-on-XIVE pass-through switching (§7)", () => {
  it("[xox-27] kvm_set_irq on an LSI: level 1 asserts and triggers, level 0 only de-asserts; a passed-through source is EINVAL", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5, true);
    expect(r.x.setIrq(16, 1)).toBe(0);
    expect(r.x.sourceState(16)).toMatchObject({ asserted: true, ipiPq: 0b10 });
    expect(queued(r, 0, 5)).toEqual([16]);
    expect(r.x.setIrq(16, 0)).toBe(0);
    expect(r.x.sourceState(16)).toMatchObject({ asserted: false, ipiPq: 0b10 });
    expect(queued(r, 0, 5)).toEqual([16]);
    ready(r, 17, 0, 5);
    r.dev.setMapped(17, new PassthroughEsb(0x2000));
    expect(r.x.setIrq(17, 1)).toBe(-Errno.EINVAL);
    expect(r.x.setIrq(99, 1)).toBe(-Errno.EINVAL); // no block... block 0 exists: 99 is not valid
    expect(r.x.setIrq(0x9000, 1)).toBe(-Errno.EINVAL);
    expect(r.vm.irqchips.list()[0].setIrq(17, 1, 0)).toBe(-Errno.EINVAL);
  });

  it("[xox-28] set_mapped of an unmasked source whose IPI had P=0 turns the IPI off (01) and EOIs the PT interrupt", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    const pt = new PassthroughEsb(0x2000);
    pt.fire(); // handled by the host meanwhile
    expect(pt.hostEvents).toBe(1);
    r.dev.setMapped(16, pt);
    expect(r.x.sourceState(16)).toMatchObject({ ipiPq: 0b01, guestPriority: 5, oldP: false, oldQ: false });
    expect(pt.pq).toBe(0b00);
    expect(pt).toMatchObject({ easServer: 0, easPriority: 5, easEisn: 16, guestIrq: 16 });
    pt.fire();
    expect(queued(r, 0, 5)).toEqual([16]);
    r.vm.vcpus[0].hcall(H_XIRR);
    expect(r.vm.vcpus[0].hret[0]).toBe(0xff000010);
    r.vm.vcpus[0].hcall(H_EOI, 0xff000010);
    expect(pt.pq).toBe(0b00);
    // A PT interrupt pending on the host side (P set) re-fires at the EOI.
    const r2 = xrig();
    openCppr(r2);
    ready(r2, 16, 0, 5);
    const pt2 = new PassthroughEsb(0x2001);
    pt2.pq = 0b10;
    r2.dev.setMapped(16, pt2);
    expect(queued(r2, 0, 5)).toEqual([16]);
    expect(pt2.pq).toBe(0b10);
  });

  it("[xox-28] set_mapped while the IPI had P=1 leaves the PT interrupt un-EOI'd until the guest's H_EOI", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    r.x.setIrq(16, 1); // IPI 10, entry queued
    const pt = new PassthroughEsb(0x2000);
    r.dev.setMapped(16, pt);
    expect(r.x.sourceState(16)).toMatchObject({ ipiPq: 0b01, guestPriority: 5 });
    expect(pt.pq).toBe(0b10);
    pt.fire(); // coalesced: P still set
    expect(pt.pq).toBe(0b11);
    r.vm.vcpus[0].hcall(H_XIRR);
    expect(r.vm.vcpus[0].hret[0]).toBe(0xff000010);
    r.vm.vcpus[0].hcall(H_EOI, 0xff000010); // EOI on the PT: Q -> re-fire
    expect(queued(r, 0, 5)).toEqual([16]);
    expect(pt.pq).toBe(0b10);
  });

  it("[xox-29] clr_mapped of an unmasked source: SET_PQ_10 on PT; P set -> PT 11 and IPI 10; P clear -> IPI 00", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    ready(r, 17, 0, 5);
    const a = new PassthroughEsb(0x2000);
    const b = new PassthroughEsb(0x2001);
    r.dev.setMapped(16, a);
    r.dev.setMapped(17, b);
    b.fire(); // P set on 17's PT
    r.dev.clrMapped(16);
    expect(a.pq).toBe(0b10);
    expect(a.forwardedToGuest).toBe(false);
    expect(r.x.sourceState(16)).toMatchObject({ ipiPq: 0b00, guestPriority: 5, pt: null });
    r.dev.clrMapped(17);
    expect(b.pq).toBe(0b11);
    expect(r.x.sourceState(17)).toMatchObject({ ipiPq: 0b10, guestPriority: 5 });
    // The IPI backs 16 again.
    expect(r.x.setIrq(16, 1)).toBe(0);
    expect(queued(r, 0, 5)).toEqual([17, 16]);
  });

  it("[xox-29] clr_mapped of an already-masked source: PT 11 only if the old_p recorded at masking is set; the IPI ends at 10", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    ready(r, 17, 0, 5);
    const a = new PassthroughEsb(0x2000);
    const b = new PassthroughEsb(0x2001);
    r.dev.setMapped(16, a);
    r.dev.setMapped(17, b);
    b.fire();
    r.vm.vcpus[0].rtas("ibm,int-off", [16], 1); // old_p false
    r.vm.vcpus[0].rtas("ibm,int-off", [17], 1); // old_p true
    expect(a.pq).toBe(0b10);
    r.dev.clrMapped(16);
    expect(a.pq).toBe(0b10);
    expect(r.x.sourceState(16)).toMatchObject({ ipiPq: 0b10, guestPriority: 0xff });
    r.dev.clrMapped(17);
    expect(b.pq).toBe(0b11);
    expect(r.x.sourceState(17)).toMatchObject({ ipiPq: 0b10, guestPriority: 0xff });
  });

  it("set_mapped / clr_mapped refuse bad input and change nothing", () => {
    const r = xrig();
    ready(r, 16, 0, 5);
    const pt = new PassthroughEsb(0x2000);
    expect(errnoOf(() => r.dev.setMapped(0x5000, pt))).toBe(Errno.EINVAL);
    expect(errnoOf(() => r.dev.setMapped(-1, pt))).toBe(Errno.EINVAL);
    expect(errnoOf(() => r.dev.clrMapped(16))).toBe(Errno.ENODEV);
    r.dev.setMapped(16, pt);
    const before = JSON.stringify({ ...r.x.sourceState(16), pt: null });
    expect(errnoOf(() => r.dev.setMapped(16, new PassthroughEsb(0x2001)))).toBe(Errno.EINVAL);
    setSrc(r, 17, { server: 0, priority: 5 });
    expect(errnoOf(() => r.dev.setMapped(17, pt))).toBe(Errno.EBUSY);
    expect(JSON.stringify({ ...r.x.sourceState(16), pt: null })).toBe(before);
    expect(r.x.sourceState(17)!.pt).toBe(null);
    expect(() => new PassthroughEsb(0)).toThrow(RangeError);
    r.h.close();
    expect(pt.pq).toBe(0b01);
    expect(pt.forwardedToGuest).toBe(false);
    expect(errnoOf(() => r.dev.setMapped(16, new PassthroughEsb(3)))).toBe(Errno.ENODEV);
  });

  it("a hardware LSI passed through: source EOI is a load-EOI that re-fires while the line is asserted", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    const pt = new PassthroughEsb(0x2000, true);
    r.dev.setMapped(16, pt);
    pt.setLevel(true);
    const v = r.vm.vcpus[0];
    v.hcall(H_XIRR);
    expect(v.hret[0]).toBe(0xff000010);
    v.hcall(H_EOI, 0xff000010);
    expect(queued(r, 0, 5)).toEqual([16]);
    v.hcall(H_XIRR);
    pt.setLevel(false);
    v.hcall(H_EOI, 0xff000010);
    expect(queued(r, 0, 5)).toEqual([]);
    expect(pt.pq).toBe(0b00);
  });
});
