import { describe, expect, it } from "vitest";
import { Errno, createVm, errnoOf } from "@irqlab/core";
import xicsModule, {
  H_CPPR,
  H_XIRR,
  RtasTokens,
  XicsVm,
  XicsVmToken,
  encodeRtasTokenArgs,
  readRtasRets,
  writeRtasArgs,
} from "./index.js";
import { getSource, icpWord, msi, srcState, xicsVm } from "./test-support.js";

const IRQ = 0x1000;

function open() {
  const f = xicsVm(2);
  msi(f.dev, IRQ, 0, 5);
  f.v[0].hcall(H_CPPR, 0xff);
  return f;
}

describe("XICS RTAS calls", () => {
  it("[xics-25] set-xive 0xFF masks (priority = saved = 0xFF); a trigger then sets masked-pending (PENDING); set-xive unmask delivers", () => {
    const f = open();
    const v = f.v[0];
    expect(v.rtas("ibm,set-xive", [IRQ, 0, 0xff], 1)).toEqual([0]);
    expect(srcState(f, IRQ)).toMatchObject({ priority: 0xff, saved: 0xff });
    f.xics.setIrq(IRQ, 1);
    expect(srcState(f, IRQ)!.maskedPending).toBe(true);
    expect(getSource(f.dev, IRQ)).toMatchObject({ masked: true, pending: true });
    expect(icpWord(v).xisr).toBe(0);
    expect(v.rtas("ibm,set-xive", [IRQ, 0, 5], 1)).toEqual([0]);
    expect(icpWord(v)).toMatchObject({ xisr: IRQ, pendingPri: 5 });
    expect(srcState(f, IRQ)!.maskedPending).toBe(false);
  });

  it("[xics-25] masked with int-off, a trigger is kept and int-on delivers it", () => {
    const f = open();
    const v = f.v[0];
    v.rtas("ibm,int-off", [IRQ], 1);
    f.xics.setIrq(IRQ, 1);
    expect(icpWord(v).xisr).toBe(0);
    expect(v.rtas("ibm,int-on", [IRQ], 1)).toEqual([0]);
    expect(icpWord(v)).toMatchObject({ xisr: IRQ, pendingPri: 5 });
  });

  it("[xics-26] int-off then int-on restores the priority; two int-off in a row lose it (int-on leaves the source masked)", () => {
    const f = open();
    const v = f.v[0];
    v.rtas("ibm,int-off", [IRQ], 1);
    v.rtas("ibm,int-on", [IRQ], 1);
    expect(v.rtas("ibm,get-xive", [IRQ], 3)).toEqual([0, 0, 5]);
    v.rtas("ibm,int-off", [IRQ], 1);
    v.rtas("ibm,int-off", [IRQ], 1);
    expect(srcState(f, IRQ)!.saved).toBe(0xff);
    expect(v.rtas("ibm,int-on", [IRQ], 1)).toEqual([0]);
    expect(v.rtas("ibm,get-xive", [IRQ], 3)).toEqual([0, 0, 0xff]);
  });

  it("[xics-27] get-xive on a masked source reports priority 0xFF (not the saved one)", () => {
    const f = open();
    f.v[0].rtas("ibm,int-off", [IRQ], 1);
    expect(f.v[0].rtas("ibm,get-xive", [IRQ], 3)).toEqual([0, 0, 0xff]);
    expect(getSource(f.dev, IRQ)).toMatchObject({ masked: true, priority: 5 });
  });

  it("[xics-28] each call answers -3 for wrong nargs/nret or a missing block; set-xive and int-on also for a server without ICP", () => {
    const f = xicsVm(1);
    msi(f.dev, IRQ, 0, 5);
    const v = f.v[0];
    // wrong nargs / nret
    expect(v.rtas("ibm,set-xive", [IRQ, 0], 1)).toEqual([-3]);
    expect(v.rtas("ibm,set-xive", [IRQ, 0, 5, 1], 1)).toEqual([-3]);
    expect(v.rtas("ibm,set-xive", [IRQ, 0, 5], 2)).toEqual([-3, 0]);
    expect(v.rtas("ibm,get-xive", [IRQ], 1)).toEqual([-3]);
    expect(v.rtas("ibm,get-xive", [IRQ, 1], 3)).toEqual([-3, 0, 0]);
    expect(v.rtas("ibm,int-off", [], 1)).toEqual([-3]);
    expect(v.rtas("ibm,int-on", [IRQ], 3)).toEqual([-3, 0, 0]);
    // missing block
    expect(v.rtas("ibm,set-xive", [0x5000, 0, 5], 1)).toEqual([-3]);
    expect(v.rtas("ibm,get-xive", [0x5000], 3)).toEqual([-3, 0, 0]);
    expect(v.rtas("ibm,int-off", [0x5000], 1)).toEqual([-3]);
    expect(v.rtas("ibm,int-on", [0x5000], 1)).toEqual([-3]);
    // server without ICP: set-xive (even for 0xFF) and int-on; get-xive / int-off do not check
    expect(v.rtas("ibm,set-xive", [IRQ, 4, 0xff], 1)).toEqual([-3]);
    expect(srcState(f, IRQ)).toMatchObject({ server: 0, priority: 5 });
    f.dev.setAttr({ group: 1, attr: IRQ + 1, addr: new Uint8Array([9, 0, 0, 0, 0xff, 0, 0, 0]) }); // server 9, 0xFF
    expect(v.rtas("ibm,get-xive", [IRQ + 1], 3)).toEqual([0, 9, 0xff]);
    expect(v.rtas("ibm,int-off", [IRQ + 1], 1)).toEqual([0]);
    expect(v.rtas("ibm,int-on", [IRQ + 1], 1)).toEqual([-3]);
    expect(f.vm.tracer.guestErrorCount).toBeGreaterThan(0);
  });

  it("RTAS words are u32: priority 0x100 is stored as 0 (KVM does not range-check it; QEMU answers -3)", () => {
    const f = open();
    const v = f.v[0];
    expect(v.rtas("ibm,set-xive", [IRQ, 0, 0x100], 1)).toEqual([0]);
    expect(v.rtas("ibm,get-xive", [IRQ], 3)).toEqual([0, 0, 0]);
    // 0x1FF is stored as 0xFF (masked) but counts as "not masked" for the deliver check
    v.rtas("ibm,int-off", [IRQ], 1);
    f.xics.setIrq(IRQ, 1);
    expect(srcState(f, IRQ)!.maskedPending).toBe(true);
    expect(v.rtas("ibm,set-xive", [IRQ, 0, 0x1ff], 1)).toEqual([0]);
    expect(srcState(f, IRQ)).toMatchObject({ priority: 0xff, maskedPending: true });
    expect(icpWord(v).xisr).toBe(0);
  });

  it("[xics-41] set-xive(irq, S, 0xFF) then int-on: status 0, stays masked, nothing delivered even with masked-pending", () => {
    const f = open();
    const v = f.v[0];
    v.rtas("ibm,set-xive", [IRQ, 0, 0xff], 1);
    f.xics.setIrq(IRQ, 1);
    expect(v.rtas("ibm,int-on", [IRQ], 1)).toEqual([0]);
    expect(v.rtas("ibm,get-xive", [IRQ], 3)).toEqual([0, 0, 0xff]);
    expect(icpWord(v).xisr).toBe(0);
    expect(srcState(f, IRQ)!.maskedPending).toBe(true);
  });
});

describe("H_RTAS and KVM_PPC_RTAS_DEFINE_TOKEN", () => {
  const ARGS = 0x10000;

  function withTokens() {
    const f = open();
    const tokens = f.vm.get<XicsVm>(XicsVmToken).rtasTokens;
    tokens.define("ibm,set-xive", 0x20);
    tokens.define("ibm,get-xive", 0x21);
    tokens.defineIoctl(encodeRtasTokenArgs("ibm,int-off", 0x22), f.vm.endian);
    tokens.define("ibm,int-on", 0x23);
    return { ...f, tokens };
  }

  it("token definitions: EEXIST for a used token, ENOENT for a name KVM does not implement, token 0 undefines", () => {
    const { tokens } = withTokens();
    expect(errnoOf(() => tokens.define("ibm,int-on", 0x20))).toBe(Errno.EEXIST);
    expect(errnoOf(() => tokens.define("ibm,os-term", 0x30))).toBe(Errno.ENOENT);
    tokens.define("ibm,int-on", 0);
    tokens.define("never-defined", 0);
    expect(tokens.list().map((t) => t.name)).toEqual(["ibm,set-xive", "ibm,get-xive", "ibm,int-off"]);
    expect(errnoOf(() => tokens.defineIoctl(new Uint8Array(127), "le"))).toBe(Errno.EFAULT);
  });

  it("an H_RTAS with a defined token runs the call and writes rets back into the args", () => {
    const { vm, v, tokens } = withTokens();
    writeRtasArgs(vm, ARGS, 0x21, [IRQ], 3);
    expect(tokens.hcall(v[0], ARGS)).toBe(0);
    expect(readRtasRets(vm, ARGS, 1, 3)).toEqual([0, 0, 5]);
    writeRtasArgs(vm, ARGS, 0x22, [IRQ], 1);
    expect(tokens.hcall(v[0], 0xf000000000000000n + BigInt(ARGS))).toBe(0); // top 4 bits masked off
    expect(v[0].rtas("ibm,get-xive", [IRQ], 3)).toEqual([0, 0, 0xff]);
    writeRtasArgs(vm, ARGS, 0x99, [IRQ], 1);
    expect(tokens.hcall(v[0], ARGS)).toBe(-Errno.ENOENT); // to userspace
  });

  it("[xics-29] H_RTAS with nargs >= 16 fails (KVM_RUN error) without running a handler or writing guest memory", () => {
    const { vm, v, tokens, xics } = withTokens();
    writeRtasArgs(vm, ARGS, 0x22, [IRQ], 1);
    vm.memory.write(ARGS + 4, 4, 16, "be");
    const before = vm.memory.readBytes(ARGS, 88);
    expect(tokens.hcall(v[0], ARGS)).toBe(-Errno.EINVAL);
    expect(vm.memory.readBytes(ARGS, 88)).toEqual(before);
    expect(xics.getXive(IRQ)).toEqual({ server: 0, priority: 5 });
    vm.memory.write(ARGS + 4, 4, 15, "be");
    expect(tokens.hcall(v[0], ARGS)).toBe(0); // nargs 15: handler runs and answers -3
    expect(readRtasRets(vm, ARGS, 15, 1)).toEqual([-3]);
    expect(tokens.hcall(v[0], vm.memory.size - 8)).toBe(-Errno.EFAULT);
  });

  it("H_RTAS with no token defined goes to userspace before the args are read (no EFAULT / EINVAL: KVM checks list_empty first)", () => {
    const f = open();
    const tokens = f.vm.get<XicsVm>(XicsVmToken).rtasTokens;
    expect(tokens.hcall(f.v[0], f.vm.memory.size - 8)).toBe(-Errno.ENOENT); // unreadable args
    writeRtasArgs(f.vm, ARGS, 0x22, [IRQ], 1);
    f.vm.memory.write(ARGS + 4, 4, 16, "be"); // nargs 16
    const before = f.vm.memory.readBytes(ARGS, 88);
    expect(tokens.hcall(f.v[0], ARGS)).toBe(-Errno.ENOENT);
    expect(f.vm.memory.readBytes(ARGS, 88)).toEqual(before);
    tokens.define("ibm,int-off", 0x22); // once a token exists, the same calls fail as KVM_RUN errors
    expect(tokens.hcall(f.v[0], ARGS)).toBe(-Errno.EINVAL);
    expect(tokens.hcall(f.v[0], f.vm.memory.size - 8)).toBe(-Errno.EFAULT);
  });

  it("H_RTAS and token definitions never throw anything but KvmError on odd numbers (register NaN / Infinity / fractions)", () => {
    const { vm, v, tokens } = withTokens();
    writeRtasArgs(vm, ARGS, 0x21, [IRQ], 3);
    for (const r4 of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 2 ** 70, -(2n ** 70n), 2n ** 64n + BigInt(ARGS)]) {
      expect([0, -Errno.ENOENT, -Errno.EFAULT]).toContain(tokens.hcall(v[0], r4));
    }
    expect(tokens.hcall(v[0], 2n ** 64n + BigInt(ARGS))).toBe(0); // a 64-bit register: wraps
    for (const t of [1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(errnoOf(() => tokens.define("ibm,int-on", t))).toBe(Errno.EINVAL);
    expect(tokens.list().map((d) => d.name)).toEqual(["ibm,set-xive", "ibm,get-xive", "ibm,int-off", "ibm,int-on"]);
    expect(errnoOf(() => encodeRtasTokenArgs("ibm,int-on", 1.5))).toBe(Errno.EINVAL);
  });

  it("tokens outlive the XICS device: without one, the calls answer -3", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsModule] });
    const tokens: RtasTokens = vm.get<XicsVm>(XicsVmToken).rtasTokens;
    tokens.define("ibm,get-xive", 1);
    writeRtasArgs(vm, ARGS, 1, [IRQ], 3);
    expect(tokens.hcall(vm.vcpus[0], ARGS)).toBe(0);
    expect(readRtasRets(vm, ARGS, 1, 3)).toEqual([-3, 0, 0]);
    expect(vm.vcpus[0].rtas("ibm,int-on", [IRQ], 1)).toEqual([-3]);
  });

  it("guest-visible delivery through H_RTAS int-on", () => {
    const { vm, v, tokens, xics } = withTokens();
    v[0].rtas("ibm,int-off", [IRQ], 1);
    xics.setIrq(IRQ, 1);
    writeRtasArgs(vm, ARGS, 0x23, [IRQ], 1);
    expect(tokens.hcall(v[0], ARGS)).toBe(0);
    expect(readRtasRets(vm, ARGS, 1, 1)).toEqual([0]);
    v[0].hcall(H_XIRR);
    expect(v[0].hret[0]).toBe(0xff001000);
  });
});
