import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { ipbToPipr, priorityToIpb, tctxAccept, tctxIpbUpdate, tctxSetCppr, timaDecode, TM_OP_INVALID, TM_OP_RAW } from "./tima.js";
import { rig, OS } from "./test-support.js";

const fresh = () => {
  const regs = new Uint8Array(64);
  regs[0x14] = 0xff;
  regs[0x17] = 0xff;
  return regs;
};

describe("TIMA OS ring", () => {
  it("PIPR and IPB helpers", () => {
    expect(ipbToPipr(0)).toBe(0xff);
    expect(ipbToPipr(0x80)).toBe(0);
    expect(ipbToPipr(0x11)).toBe(3);
    expect(ipbToPipr(0x01)).toBe(7);
    expect([0, 3, 7, 8, 0xff].map(priorityToIpb)).toEqual([0x80, 0x10, 0x01, 0, 0]);
  });

  it("[xive-26] ACK with EO set returns NSR<<8|PIPR, CPPR=PIPR, clears its IPB bit, recomputes PIPR, clears EO; with EO clear changes nothing", () => {
    const regs = fresh();
    tctxSetCppr(regs, 0, 7);
    expect(tctxIpbUpdate(regs, 0, 0x10 | 0x02)).toBe(true);
    expect(tctxAccept(regs, 0)).toBe(0x8003);
    expect([regs[0x10], regs[0x11], regs[0x12], regs[0x17]]).toEqual([0, 3, 0x02, 6]);
    const before = [...regs];
    expect(tctxAccept(regs, 0)).toBe(0x0003);
    expect([...regs]).toEqual(before);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 7 }), (ipb, cppr) => {
        const g = fresh();
        tctxSetCppr(g, 0, cppr);
        const raised = tctxIpbUpdate(g, 0, ipb);
        const pipr = ipbToPipr(ipb);
        expect(raised).toBe(pipr < cppr);
        const v = tctxAccept(g, 0);
        if (raised) {
          expect(v).toBe(0x8000 | pipr);
          expect(g[0x11]).toBe(pipr);
          expect(g[0x12]).toBe(ipb & ~(0x80 >> pipr));
          expect(g[0x17]).toBe(ipbToPipr(g[0x12]));
          expect(g[0x10]).toBe(0);
        } else expect(v).toBe(cppr);
      }),
    );
  });

  it("[xive-26] through the mapping the ACK also lowers the vCPU's line (even with EO clear)", () => {
    const r = rig(1);
    const v = r.vm.vcpus[0];
    r.tima.write(OS + 0x11, 1, 7, v);
    r.tima.write(OS + 0x812, 1, 3, v);
    expect(v.ext.asserted).toBe(true);
    expect(r.tima.read(OS + 0x810, 2, v)).toBe(0x8003);
    expect(v.ext.asserted).toBe(false);
    v.ext.assert();
    expect(r.tima.read(OS + 0x810, 2, v)).toBe(0x0003);
    expect(v.ext.asserted).toBe(false);
  });

  it("[xive-27] SET_OS_PENDING p <= 7 sets IPB 0x80>>p, recomputes PIPR and raises EO when PIPR < CPPR; p > 7 sets nothing", () => {
    const r = rig(1);
    const v = r.vm.vcpus[0];
    const xv = r.dev.xive.servers.get(0)!;
    r.tima.write(OS + 0x11, 1, 4, v);
    r.tima.write(OS + 0x812, 1, 5, v);
    expect([xv.regs[0x12], xv.regs[0x17], xv.regs[0x10]]).toEqual([0x04, 5, 0]);
    expect(v.ext.asserted).toBe(false);
    r.tima.write(OS + 0x812, 1, 9, v);
    expect(xv.regs[0x12]).toBe(0x04);
    r.tima.write(OS + 0x812, 1, 2, v);
    expect([xv.regs[0x12], xv.regs[0x17], xv.regs[0x10]]).toEqual([0x24, 2, 0x80]);
    expect(v.ext.asserted).toBe(true);
  });

  it("[xive-28] a CPPR store of 8..0xFE reads back as 0xFF", () => {
    const r = rig(1);
    const v = r.vm.vcpus[0];
    for (const c of [8, 9, 0x7f, 0xfe]) {
      r.tima.write(OS + 0x11, 1, 3, v);
      r.tima.write(OS + 0x11, 1, c, v);
      expect(r.dev.xive.servers.get(0)!.regs[0x11]).toBe(0xff);
      expect(Math.floor(r.tima.read(OS + 0x10, 4, v) / 0x10000) & 0xff).toBe(0xff);
    }
  });

  it("access rules: 1/2-byte raw loads, QW0, QW2/QW3 and word 2 are invalid (all-ones + guest error); raw stores only reach CPPR", () => {
    expect(timaDecode(0x11, 1, false)).toBe(TM_OP_INVALID);
    expect(timaDecode(0x10, 8, false)).toBe(TM_OP_RAW);
    expect(timaDecode(0x18, 4, false)).toBe(TM_OP_INVALID);
    expect(timaDecode(0x30, 8, false)).toBe(TM_OP_INVALID);
    expect(timaDecode(0x00, 8, false)).toBe(TM_OP_INVALID);
    expect(timaDecode(0x818, 4, false)).toBe(TM_OP_INVALID);
    const r = rig(1);
    const v = r.vm.vcpus[0];
    expect(r.tima.read(OS + 0x11, 1, v)).toBe(0xff);
    expect(r.tima.read(OS + 0x18, 4, v)).toBe(0xffffffff);
    r.tima.write(OS + 0x31, 1, 1, v);
    r.tima.write(OS + 0x10, 4, 0x11050000, v);
    expect(r.dev.xive.servers.get(0)!.regs.subarray(0x10, 0x14)).toEqual(new Uint8Array([0, 5, 0, 0]));
    expect(r.vm.tracer.guestErrorCount).toBe(3);
    // A vCPU with no XIVE context: all-ones, nothing changes.
    expect(r.tima.read(OS + 0x810, 2, null)).toBe(0xffff);
  });
});
