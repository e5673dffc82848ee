import { describe, it, expect } from "vitest";
import { ready, rig, trig, OS } from "./test-support.js";

describe("observability", () => {
  it("trace events follow a delivery; a disabled tracer records nothing", () => {
    const r = rig(1);
    ready(r, 3, 0, 5, 9);
    r.tima.write(OS + 0x11, 1, 0xff, r.vm.vcpus[0]);
    const rec = r.vm.tracer.record((n) => n.startsWith("xive."));
    r.esb.write(trig(3), 8, 0);
    r.tima.read(OS + 0x810, 2, r.vm.vcpus[0]);
    rec.stop();
    expect(rec.events.map((e) => e.name)).toEqual(["xive.esb.trigger", "xive.router.enqueue", "xive.tctx.signal", "xive.tctx.ack"]);
    expect(rec.events[1].data).toMatchObject({ irq: 3, server: 0, priority: 5, eisn: 9, index: 0, toggle: 1 });
    expect(r.vm.tracer.enabled).toBe(false);
  });

  it("counters and dumpState describe the device in words", () => {
    const r = rig(1);
    ready(r, 3, 0, 5, 9);
    r.esb.write(trig(3), 8, 0);
    r.esb.write(trig(3), 8, 0);
    const c = r.dev.counters();
    expect(c).toMatchObject({ triggers: 2, forwarded: 1, enqueued: 1, coalesced: 1, blocks: 1, sources: 1 });
    const dump = r.dev.dumpState();
    expect(dump).toContain("XIVE native: 1 vCPU(s), 1 source(s) in 1 block(s)");
    expect(dump).toContain("00000003 MSI  11 server 0 prio 5 eisn 0x9");
    expect(dump).toContain("EQ prio 5: qaddr");
  });
});
