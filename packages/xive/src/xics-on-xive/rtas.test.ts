import { describe, expect, it } from "vitest";
import { H_XIRR, H_EOI } from "@irqlab/xics";
import { getSrc, openCppr, queued, ready, setSrc, xrig } from "./xox-rig.js";

const rtas = (r: ReturnType<typeof xrig>, name: string, args: number[], nret = 1) => r.vm.vcpus[0].rtas(name, args, nret);

describe("XICS-on-XIVE masking protocol and RTAS (§4)", () => {
  it("[xox-4] set-xive maps XICS priorities onto XIVE queues (5 -> 5, 9 -> 6); get-xive returns the guest priority", () => {
    const r = xrig();
    setSrc(r, 16, { server: 0, priority: 0xff, masked: true });
    expect(rtas(r, "ibm,set-xive", [16, 1, 5])[0]).toBe(0);
    expect(r.x.sourceState(16)).toMatchObject({ actServer: 1, actPriority: 5, guestPriority: 5 });
    expect(rtas(r, "ibm,get-xive", [16], 3)).toEqual([0, 1, 5]);
    expect(rtas(r, "ibm,set-xive", [16, 1, 9])[0]).toBe(0);
    expect(r.x.sourceState(16)).toMatchObject({ actServer: 1, actPriority: 6, guestPriority: 9 });
    expect(rtas(r, "ibm,get-xive", [16], 3)).toEqual([0, 1, 9]);
    expect(r.x.qmap).toBe((1 << 5) | (1 << 6));
  });

  it("[xox-5] masking an idle source parks it at 10; a trigger then only sets Q; unmasking re-fires exactly one event", () => {
    const r = xrig();
    ready(r, 16, 0, 5);
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b00);
    expect(rtas(r, "ibm,set-xive", [16, 0, 0xff])[0]).toBe(0);
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b10);
    r.x.setIrq(16, 1);
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b11);
    expect(queued(r, 0, 5)).toEqual([]);
    expect(rtas(r, "ibm,set-xive", [16, 0, 5])[0]).toBe(0);
    expect(queued(r, 0, 5)).toEqual([16]);
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b10);
  });

  it("[xox-6] int-on on a source that was never targeted answers -3", () => {
    const r = xrig();
    setSrc(r, 16, { server: 0, priority: 0xff, masked: true });
    expect(rtas(r, "ibm,int-on", [16])[0]).toBe(-3);
    expect(rtas(r, "ibm,int-on", [0x5000])[0]).toBe(-3); // no block
  });

  it("[xox-18] H_EOI of a masked source leaves its ESB alone but clears old_p; the unmask performs the EOI", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    r.x.setIrq(16, 1);
    const v = r.vm.vcpus[0];
    v.hcall(H_XIRR);
    expect(v.hret[0]).toBe(0xff000010);
    expect(rtas(r, "ibm,int-off", [16])[0]).toBe(0);
    expect(r.x.sourceState(16)).toMatchObject({ oldP: true, oldQ: false, ipiPq: 0b10 });
    r.x.setIrq(16, 1); // while masked: Q
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b11);
    expect(v.hcall(H_EOI, 0xff000010)).toBe(0);
    expect(r.x.sourceState(16)).toMatchObject({ oldP: false, ipiPq: 0b11 });
    expect(queued(r, 0, 5)).toEqual([]);
    expect(rtas(r, "ibm,int-on", [16])[0]).toBe(0);
    expect(queued(r, 0, 5)).toEqual([16]);
    expect(r.x.sourceState(16)!.ipiPq).toBe(0b10);
  });

  it("quirk §9.2: set-xive unmasks even when retargeting failed (RTAS -3)", () => {
    const r = xrig();
    setSrc(r, 16, { server: 0, priority: 0xff, masked: true });
    expect(rtas(r, "ibm,set-xive", [16, 77, 5])[0]).toBe(-3);
    expect(r.x.sourceState(16)).toMatchObject({ guestPriority: 5, savedPriority: 5, actPriority: 0xff });
    expect(rtas(r, "ibm,get-xive", [16], 3)).toEqual([0, 0, 5]);
  });

  it("quirk §9.3: a double int-off loses the saved priority (int-on is then a no-op)", () => {
    const r = xrig();
    ready(r, 16, 0, 5);
    expect(rtas(r, "ibm,int-off", [16])[0]).toBe(0);
    expect(r.x.sourceState(16)!.savedPriority).toBe(5);
    expect(rtas(r, "ibm,int-off", [16])[0]).toBe(0);
    expect(r.x.sourceState(16)!.savedPriority).toBe(0xff);
    expect(rtas(r, "ibm,int-on", [16])[0]).toBe(0);
    expect(r.x.sourceState(16)!.guestPriority).toBe(0xff);
    expect(getSrc(r, 16)).toMatchObject({ masked: true, priority: 0xff });
  });

  it("RTAS argument counts and missing blocks answer -3 and change nothing", () => {
    const r = xrig();
    ready(r, 16, 0, 5);
    const before = JSON.stringify(r.x.sourceState(16));
    expect(rtas(r, "ibm,set-xive", [16, 0])[0]).toBe(-3);
    expect(rtas(r, "ibm,get-xive", [16], 1)[0]).toBe(-3);
    expect(rtas(r, "ibm,int-off", [16, 1])[0]).toBe(-3);
    expect(rtas(r, "ibm,get-xive", [0x7000], 3)[0]).toBe(-3);
    expect(JSON.stringify(r.x.sourceState(16))).toBe(before);
    expect(r.x.counters.guestErrors).toBe(4);
  });
});
