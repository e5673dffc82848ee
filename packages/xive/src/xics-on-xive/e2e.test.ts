import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createVm, errnoOf, Errno, GuestDriverContribution, IPI_SOURCE, KvmError } from "@irqlab/core";
import routingModule, { EventFd, GsiRouting, KVM_IRQFD_FLAG_RESAMPLE } from "@irqlab/routing";
import { H_CPPR, H_EOI, H_IPI, H_IPOLL, H_XIRR, H_XIRR_X, KVM_DEV_XICS_GRP_SOURCES, KVM_REG_PPC_ICP_STATE } from "@irqlab/xics";
import xiveDefault from "../index.js";
import { xicsOnXiveModule } from "./module.js";
import { openCppr, ready, xrig, xv } from "./xox-rig.js";

function guest() {
  const vm = createVm({ arch: "ppc64", vcpus: 2, modules: [routingModule, xicsOnXiveModule] });
  const d = vm.getAll<GuestDriverContribution>(GuestDriverContribution).find((c) => c.id === "xics-on-xive")!.attach(vm);
  return { vm, d, routing: vm.get(GsiRouting) };
}

describe("XICS-on-XIVE end to end", () => {
  it("the plugin is not the package default: the default module is native XIVE only", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [xiveDefault] });
    expect(vm.getAll<GuestDriverContribution>(GuestDriverContribution).map((c) => c.id)).toEqual(["xive"]);
    const v2 = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsOnXiveModule] });
    expect(v2.getAll<GuestDriverContribution>(GuestDriverContribution).map((c) => [c.id, c.label])).toEqual([["xics-on-xive", "XICS on XIVE"]]);
  });

  it("irqfd -> H_XIRR -> handler -> H_EOI with the Linux pseries XICS driver; IPIs by H_IPI", () => {
    const { vm, d, routing } = guest();
    d.configureSource({ index: 5, trigger: "edge", vcpu: 1 });
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 0x1005 });
    efd.write(1);
    expect(vm.vcpus[1].ext.asserted).toBe(true);
    const got: number[] = [];
    expect(d.service(vm.vcpus[1], (s) => got.push(s))).toBe(1);
    expect(got).toEqual([5]);
    expect(vm.vcpus[1].ext.asserted).toBe(false);
    d.sendIpi(vm.vcpus[1], 0);
    expect(d.service(vm.vcpus[0], (s) => got.push(s))).toBe(1);
    expect(got).toEqual([5, IPI_SOURCE]);
    expect(vm.vcpus.every((v) => !v.ext.asserted)).toBe(true);
  });

  it("quirk §9.8: no ack notifiers — a resample irqfd's resamplefd is never signalled; the LSI re-fires while asserted", () => {
    const { vm, d, routing } = guest();
    d.configureSource({ index: 2, trigger: "level", vcpu: 0 });
    const efd = EventFd.create();
    const rfd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 0x1002, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rfd });
    efd.write(1);
    const got: number[] = [];
    for (let n = 0; n < 3; n++) d.service(vm.vcpus[0], (s) => got.push(s));
    expect(got).toEqual([2, 2, 2]);
    expect(rfd.counter).toBe(0);
    expect(vm.ackNotifiers.notified).toBe(0);
  });

  it("dumpState, counters and trace events describe the device", () => {
    const r = xrig();
    const events: string[] = [];
    r.vm.tracer.enabled = true;
    const orig = r.vm.tracer.emit.bind(r.vm.tracer);
    r.vm.tracer.emit = (name: string, data: Record<string, unknown>) => {
      events.push(name);
      orig(name, data);
    };
    openCppr(r);
    ready(r, 16, 0, 5);
    r.x.setIrq(16, 1);
    r.vm.vcpus[0].hcall(H_XIRR);
    const dump = r.dev.dumpState();
    expect(dump).toMatch(/server 0 vp 0x400: CPPR 0x5/);
    expect(dump).toMatch(/0x10 MSI guest prio 0x5 saved 0x5 server 0 prio 5 IPI 10/);
    r.vm.vcpus[0].hcall(H_EOI, 0xff000010);
    expect(r.dev.counters()).toMatchObject({ triggers: 1, forwarded: 1, enqueued: 1, xirr: 1, eois: 1, sources: 1 });
    expect(events).toEqual(expect.arrayContaining(["xox.esb.trigger", "xox.router.enqueue", "xox.icp.xirr", "xox.icp.eoi", "xox.icp.cppr", "xox.source.target", "xox.source.unmask"]));
  });

  it("bad input: random attribute calls answer as KVM (ENOENT/ENXIO/EFAULT/EINVAL/EBUSY) and failed calls change nothing", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    r.x.setIrq(16, 1);
    const snapshot = () => r.dev.dumpState();
    fc.assert(
      fc.property(
        fc.constantFrom("setAttr", "hasAttr" as const),
        fc.nat({ max: 4 }),
        fc.oneof(fc.constantFrom(0n, 1n, 15n, 2n ** 20n, 2n ** 63n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
        fc.option(fc.uint8Array({ maxLength: 7 }), { nil: null }),
        (op, group, attr, addr) => {
          const before = snapshot();
          try {
            r.h[op]({ group, attr, addr });
          } catch (e) {
            expect(KvmError.is(e)).toBe(true);
            // set_source allocates the block before it reads the word (KVM order): only that may differ.
            if (!(op === "setAttr" && group === KVM_DEV_XICS_GRP_SOURCES)) expect(snapshot()).toBe(before);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(errnoOf(() => r.h.setAttr({ group: 2, attr: 2, addr: new Uint8Array(4) }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => r.h.setAttr({ group: 7, attr: 16, addr: new Uint8Array(8) }))).toBe(Errno.ENXIO);
  });

  it("bad input: random hypercall registers and ONE_REG words never crash; hcalls return H_* codes", () => {
    const r = xrig();
    openCppr(r);
    ready(r, 16, 0, 5);
    const codes = new Set([0, -4]);
    fc.assert(
      fc.property(
        fc.constantFrom(H_XIRR, H_XIRR_X, H_EOI, H_CPPR, H_IPI, H_IPOLL),
        fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, 2, 16, 0xff000010, 2 ** 64, -1)),
        fc.oneof(fc.integer(), fc.constantFrom(0, 0xff, 0x100)),
        fc.nat({ max: 1 }),
        (op, a0, a1, cpu) => {
          expect(codes.has(r.vm.vcpus[cpu].hcall(op, a0, a1))).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (w) => {
        r.vm.vcpus[1].setOneRegU64(KVM_REG_PPC_ICP_STATE, w);
        expect(r.vm.vcpus[1].getOneRegU64(KVM_REG_PPC_ICP_STATE) & 0xffffffffffn).toBe((w & 0xff000000n) | 0xff0000n);
      }),
      { numRuns: 100 },
    );
    expect(xv(r, 1).cppr).toBeLessThanOrEqual(0xff);
  });
});

describe("XICS-on-XIVE RTAS transport and native VP_STATE", () => {
  it("H_RTAS through the token table reaches the XICS-on-XIVE RTAS functions", async () => {
    const { XoxVmToken } = await import("./xox-vm.js");
    const { writeRtasArgs, readRtasRets } = await import("@irqlab/xics");
    const r = xrig();
    const ctx = r.vm.get<import("./xox-vm.js").XoxVm>(XoxVmToken);
    ctx.rtasTokens.define("ibm,set-xive", 0x100);
    ctx.rtasTokens.define("ibm,get-xive", 0x101);
    setSrcMasked(r);
    writeRtasArgs(r.vm, 0x8000, 0x100, [16, 1, 5], 1);
    expect(ctx.rtasTokens.hcall(r.vm.vcpus[0], 0x8000)).toBe(0);
    expect(readRtasRets(r.vm, 0x8000, 3, 1)).toEqual([0]);
    writeRtasArgs(r.vm, 0x8000, 0x101, [16], 3);
    ctx.rtasTokens.hcall(r.vm.vcpus[0], 0x8000);
    expect(readRtasRets(r.vm, 0x8000, 1, 3)).toEqual([0, 1, 5]);
    writeRtasArgs(r.vm, 0x8000, 0x101, [0x7000], 3);
    ctx.rtasTokens.hcall(r.vm.vcpus[0], 0x8000);
    expect(readRtasRets(r.vm, 0x8000, 1, 3)[0]).toBe(-3);
    r.h.close();
    writeRtasArgs(r.vm, 0x8000, 0x100, [16, 1, 5], 1);
    ctx.rtasTokens.hcall(r.vm.vcpus[0], 0x8000);
    expect(readRtasRets(r.vm, 0x8000, 3, 1)).toEqual([-3]);
  });

  it("KVM_REG_PPC_VP_STATE on a XICS-on-XIVE vCPU is EPERM (not in XIVE native mode) when the native module is loaded", async () => {
    const { KVM_REG_PPC_VP_STATE } = await import("../constants.js");
    const r = xrig(1, {}, true, [xiveDefault]);
    expect(errnoOf(() => r.vm.vcpus[0].getOneReg(KVM_REG_PPC_VP_STATE, new Uint8Array(16)))).toBe(Errno.EPERM);
  });
});

function setSrcMasked(r: ReturnType<typeof xrig>): void {
  r.h.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: 16, addr: new Uint8Array([0, 0, 0, 0, 0xff, 2, 0, 0]) });
}
