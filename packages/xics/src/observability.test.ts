import { describe, expect, it } from "vitest";
import { H_CPPR, H_EOI, H_IPI, H_XIRR } from "./index.js";
import { lsi, msi, xicsVm } from "./test-support.js";

function scenario() {
  const f = xicsVm(2);
  msi(f.dev, 0x1000, 0, 5);
  lsi(f.dev, 0x1001, 0, 6);
  f.v[0].rtas("ibm,int-off", [0x1001], 1);
  return f;
}

function drive(f: ReturnType<typeof scenario>) {
  f.xics.setIrq(0x1000, 1); // refused at CPPR 0
  f.v[0].hcall(H_CPPR, 0xff); // resend scan -> present
  f.v[0].hcall(H_IPI, 0, 3); // IPI rejects the MSI (re-delivered, refused)
  f.v[0].hcall(H_XIRR); // accept the IPI
  f.v[0].hcall(H_IPI, 0, 0xff);
  f.v[0].hcall(H_EOI, 0xff000002); // resend -> MSI presented
  f.v[0].hcall(H_XIRR);
  f.v[0].hcall(H_EOI, 0xff001000);
  f.xics.setIrq(0x1001, 1); // masked pending
  f.v[0].hcall(H_IPI, 9, 1); // unknown server: guest error
}

describe("tracing, counters, dumpState", () => {
  it("emits typed events for present, refuse, reject, resend, accept, EOI, IPI and masked-pending when tracing is on", () => {
    const f = scenario();
    const rec = f.vm.tracer.record((n) => n.startsWith("xics."));
    drive(f);
    rec.stop();
    const names = rec.events.map((e) => e.name);
    for (const n of ["xics.ics.trigger", "xics.icp.refuse", "xics.icp.resend", "xics.icp.present", "xics.icp.reject", "xics.icp.accept", "xics.icp.eoi", "xics.icp.ipi", "xics.ics.masked-pending"]) {
      expect(names).toContain(n);
    }
    expect(rec.events.find((e) => e.name === "xics.icp.reject")!.data).toEqual({ server: 0, irq: 0x1000 });
    expect(rec.events.filter((e) => e.name === "xics.icp.accept").map((e) => e.data.xirr)).toEqual([0xff000002, 0xff001000]);
  });

  it("emits nothing when tracing is off (one boolean check)", () => {
    const f = scenario();
    let n = 0;
    const stop = f.vm.tracer.subscribe(() => n++);
    stop();
    drive(f);
    expect(f.vm.tracer.enabled).toBe(false);
    expect(n).toBe(0);
  });

  it("counts what it does", () => {
    const f = scenario();
    drive(f);
    expect(f.backend.counters()).toMatchObject({
      triggers: 2,
      presented: 2,
      rejected: 1,
      refused: 3,
      resendScans: 3,
      maskedPending: 1,
      accepts: 2,
      eois: 2,
      acks: 1,
      ipis: 2,
      guestErrors: 1,
      blocks: 1,
    });
    expect(f.vm.tracer.guestErrors.map((e) => e.source)).toEqual(["xics"]);
  });

  it("dumpState describes ICPs and sources in words, like QEMU's info pic", () => {
    const f = scenario();
    drive(f);
    f.xics.setIrq(0x1000, 1);
    const text = f.backend.dumpState();
    expect(text).toContain("XICS: 2 ICP(s), 1 ICS block(s)");
    expect(text).toContain("ICP server 0 (vCPU 0): XIRR 0xff001000 CPPR 0xff XISR 0x001000 PPRI 0x05 MFRR 0xff out_ee 1 need_resend 0 EE raised");
    expect(text).toContain("ICP server 1 (vCPU 1): XIRR 0x00000000 CPPR 0x00");
    expect(text).toContain("ICS block 4 (0x001000..0x0013ff)");
    expect(text).toContain("0x001000 MSI server 0 priority 0x05 [P]");
    expect(text).toContain("0x001001 LSI server 0 priority masked (saved 0x06) [P masked-pending]");
    f.dev.close();
    expect(f.backend.dumpState()).toContain("(released)");
  });
});
