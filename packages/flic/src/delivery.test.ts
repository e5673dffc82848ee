import { describe, expect, it } from "vitest";
import { Errno } from "@irqlab/core";
import {
  CR0_EMERGENCY_SIGNAL_SUBMASK,
  CR0_SERVICE_SIGNAL_SUBMASK,
  CR14_CHANNEL_REPORT_SUBMASK,
  iscToIntWord,
  iscToIscBits,
  KVM_DEV_FLIC_AIRQ_INJECT,
  KVM_DEV_FLIC_CLEAR_IO_IRQ,
  KVM_DEV_FLIC_CLEAR_IRQS,
  KVM_S390_AIS_MODE_ALL,
  KVM_S390_AIS_MODE_SINGLE,
  KVM_S390_INT_IO,
} from "./constants.js";
import { ioIrq, mchkIrq, pfaultDoneIrq, serviceIrq, virtioIrq, type S390Irq } from "./structs.js";
import { aism, enableAll, enqueue, errnoOf, fixture, getAll, register } from "./test-support/vm.js";

const io = (isc: number, nr: number): S390Irq =>
  ioIrq(KVM_S390_INT_IO(0, 0, 0, nr), { subchannelId: 1, subchannelNr: nr, ioIntParm: nr * 16, ioIntWord: iscToIntWord(isc) });

function drain(f: ReturnType<typeof fixture>, vcpu = 0): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (;;) {
    const d = f.dev.deliver(vcpu);
    if (!d) return out;
    out.push(d.toJSON());
  }
}

describe("delivery priority", () => {
  it("[flic-31] with service, virtio and ISC 0 I/O pending and all enabled, delivery is service, virtio, I/O", () => {
    const f = fixture();
    enableAll(f.dev, f.vm);
    enqueue(f.flic, [io(0, 1), virtioIrq(7, 8n), serviceIrq(0x1000)]);
    expect(drain(f).map((d) => d.kind)).toEqual(["service", "virtio", "io"]);
  });

  it("full floating order: MCHK, SERVICE_EV, SERVICE, PFAULT_DONE, VIRTIO, ISC 0..7, FIFO within a class", () => {
    const f = fixture();
    enableAll(f.dev, f.vm);
    enqueue(f.flic, [
      io(7, 70),
      io(3, 30),
      io(0, 1),
      io(3, 31),
      virtioIrq(1),
      pfaultDoneIrq(0x99n),
      virtioIrq(2),
      serviceIrq(0x2003),
      mchkIrq(BigInt(CR14_CHANNEL_REPORT_SUBMASK), 0x40n),
    ]);
    const got = drain(f);
    expect(got.map((d) => [d.kind, d.kind === "io" ? d.subchannelNr : d.extParams ?? d.mcic])).toEqual([
      ["mchk", 0x40n],
      ["service", 3],
      ["service", 0x2000],
      ["pfault-done", 0],
      ["virtio", 1],
      ["virtio", 2],
      ["io", 1],
      ["io", 30],
      ["io", 31],
      ["io", 70],
    ]);
    expect(getAll(f.flic)).toEqual([]);
  });

  it("delivery writes KVM's lowcore values: codes, CPU-address fields and parameters", () => {
    const f = fixture();
    enableAll(f.dev, f.vm);
    enqueue(f.flic, [virtioIrq(0x1234, 0xdead_beef_0000_0001n), pfaultDoneIrq(0x77n), io(2, 9)]);
    expect(drain(f)).toEqual([
      { kind: "pfault-done", type: 0xfffe0005, extCode: 0x2603, cpuAddr: 0x0680, extParams: 0, extParams2: 0x77n },
      { kind: "virtio", type: 0xffff2603, extCode: 0x2603, cpuAddr: 0x0d00, extParams: 0x1234, extParams2: 0xdead_beef_0000_0001n },
      {
        kind: "io",
        type: KVM_S390_INT_IO(0, 0, 0, 9),
        subchannelId: 1,
        subchannelNr: 9,
        ioIntParm: 0x90,
        ioIntWord: 0x90000000,
        isc: 2,
        adapter: false,
      },
    ]);
  });

  it("a service signal with event bits and an address is delivered twice: parameter 3, then the address", () => {
    const f = fixture();
    enableAll(f.dev, f.vm);
    enqueue(f.flic, [serviceIrq(0x8001)]);
    const got = drain(f);
    expect(got.map((d) => [d.kind, d.extCode, d.extParams])).toEqual([
      ["service", 0x2401, 3],
      ["service", 0x2401, 0x8000],
    ]);
  });

  it("an event-only service signal delivers parameter 3, then the zero address (SERVICE is marked even for address 0)", () => {
    const f = fixture();
    enableAll(f.dev, f.vm);
    enqueue(f.flic, [serviceIrq(0x2)]);
    // Baseline kernel: the service delivery writes parameter 0 (a 2025-26 patch skips it).
    const got = drain(f);
    expect(got.map((d) => d.extParams)).toEqual([3, 0]);
  });
});

describe("masking by PSW and control registers", () => {
  it("I/O needs the PSW I/O mask and the ISC bit of CR6; others stay queued for enabled vCPUs", () => {
    const f = fixture({ vcpus: 2 });
    const [v0, v1] = f.vm.vcpus;
    enqueue(f.flic, [io(3, 1), io(5, 2)]);
    f.dev.setVcpuControl(v0, { ioEnabled: false, cr6: 0xff000000 });
    f.dev.setVcpuControl(v1, { ioEnabled: true, cr6: iscToIscBits(5) });
    expect(v0.ext.asserted).toBe(false);
    expect(v1.ext.asserted).toBe(true);
    expect(f.dev.deliver(v0)).toBeNull();
    expect(f.dev.deliver(v1)?.isc).toBe(5);
    expect(f.dev.deliver(v1)).toBeNull();
    expect(v1.ext.asserted).toBe(false);
    f.dev.setVcpuControl(v0, { ioEnabled: true });
    expect(v0.ext.asserted).toBe(true);
    expect(f.dev.deliver(v0)?.isc).toBe(3);
    expect(v0.ext.asserted).toBe(false);
  });

  it("service signals need the PSW external mask and the CR0 service-signal subclass", () => {
    const f = fixture();
    const v = f.vm.vcpu(0);
    enqueue(f.flic, [serviceIrq(0x1000), virtioIrq(1)]);
    f.dev.setVcpuControl(v, { extEnabled: false, cr0: CR0_SERVICE_SIGNAL_SUBMASK });
    expect(f.dev.hasDeliverable(v)).toBe(false);
    f.dev.setVcpuControl(v, { extEnabled: true, cr0: 0 });
    // virtio needs only the PSW mask
    expect(f.dev.deliver(v)?.kind).toBe("virtio");
    expect(f.dev.deliver(v)).toBeNull();
    f.dev.setVcpuControl(v, { cr0: CR0_SERVICE_SIGNAL_SUBMASK });
    expect(f.dev.deliver(v)?.kind).toBe("service");
  });

  it("the repressible machine check needs the PSW mask and CR14 & floating cr14", () => {
    const f = fixture();
    const v = f.vm.vcpu(0);
    enqueue(f.flic, [mchkIrq(0x0f000000n, 1n)]);
    // Floating cr14 keeps only bit 28: with cr14 0 the machine check is never deliverable.
    f.dev.setVcpuControl(v, { mcheckEnabled: true, cr14: 0xffffffff });
    expect(v.mcheck.asserted).toBe(false);
    enqueue(f.flic, [mchkIrq(BigInt(CR14_CHANNEL_REPORT_SUBMASK), 2n)]);
    expect(v.mcheck.asserted).toBe(true);
    f.dev.setVcpuControl(v, { cr14: 0 });
    expect(v.mcheck.asserted).toBe(false);
    f.dev.setVcpuControl(v, { cr14: CR14_CHANNEL_REPORT_SUBMASK, mcheckEnabled: false });
    expect(f.dev.deliver(v)).toBeNull();
    f.dev.setVcpuControl(v, { mcheckEnabled: true });
    const d = f.dev.deliver(v);
    expect(d?.toJSON()).toEqual({ kind: "mchk", type: 0xfffe1000, cr14: 0x10000000n, mcic: 3n });
    expect(v.mcheck.asserted).toBe(false);
    expect(getAll(f.flic)).toEqual([]);
  });

  it("vCPU lines follow CLEAR_IRQS and CLEAR_IO_IRQ", () => {
    const f = fixture({ vcpus: 2 });
    enableAll(f.dev, f.vm);
    enqueue(f.flic, [io(1, 0x22)]);
    expect(f.vm.vcpus.map((v) => v.ext.asserted)).toEqual([true, true]);
    f.flic.setAttr({ group: KVM_DEV_FLIC_CLEAR_IO_IRQ, attr: 4, addr: Uint8Array.of(0, 1, 0, 0x22) });
    expect(f.vm.vcpus.map((v) => v.ext.asserted)).toEqual([false, false]);
    enqueue(f.flic, [io(1, 0x22)]);
    f.flic.setAttr({ group: KVM_DEV_FLIC_CLEAR_IRQS, attr: 0 });
    expect(f.vm.vcpus.map((v) => v.ext.asserted)).toEqual([false, false]);
  });

  it("any enabled vCPU may take a floating interrupt; once taken it is gone for all", () => {
    const f = fixture({ vcpus: 3 });
    enableAll(f.dev, f.vm);
    enqueue(f.flic, [io(4, 1)]);
    expect(f.vm.vcpus.every((v) => v.ext.asserted)).toBe(true);
    expect(f.dev.deliver(2)?.subchannelNr).toBe(1);
    expect(f.vm.vcpus.some((v) => v.ext.asserted)).toBe(false);
    expect(f.dev.deliver(0)).toBeNull();
  });

  it("the delivery record is owned by the vCPU and reused (no allocation per interrupt)", () => {
    const f = fixture();
    enableAll(f.dev, f.vm);
    enqueue(f.flic, [io(0, 1), io(0, 2)]);
    const a = f.dev.deliver(0);
    const first = a?.subchannelNr;
    const b = f.dev.deliver(0);
    expect(b).toBe(a);
    expect([first, b?.subchannelNr]).toEqual([1, 2]);
  });
});

describe("vCPU control input", () => {
  it("bad control-register values are EINVAL (no RangeError/TypeError) and change nothing", () => {
    const f = fixture();
    enableAll(f.dev, f.vm);
    const before = f.dev.vcpuControl(0);
    for (const bad of [{ cr0: 1.5 }, { cr6: Number.NaN }, { cr0: 0x200, cr14: "1" }, { ioEnabled: 1 }, { cr6: 1n << 64n }, { cr0: -1n }]) {
      expect(errnoOf(() => f.dev.setVcpuControl(0, bad as never))).toBe(Errno.EINVAL);
      expect(f.dev.vcpuControl(0)).toEqual(before);
    }
    // Numbers are the low bits of the 64-bit register.
    f.dev.setVcpuControl(0, { cr0: 0x200 });
    expect(f.dev.vcpuControl(0).cr0).toBe(0x200n);
  });
});

describe("emergency signals (SIGP, the s390 IPI)", () => {
  it("an emergency signal is a local EXT interrupt of the target, above service signals, with the sender's address", () => {
    const f = fixture({ vcpus: 3 });
    enableAll(f.dev, f.vm);
    enqueue(f.flic, [serviceIrq(0x1000)]);
    f.dev.emergencySignal(2, 1);
    f.dev.emergencySignal(0, 1);
    const got = drain(f, 1);
    expect(got.map((d) => [d.kind, d.cpuAddr])).toEqual([
      ["emergency", 0],
      ["emergency", 2],
      ["service", 0],
    ]);
    expect(got[0].extCode).toBe(0x1201);
  });

  it("needs the CR0 emergency subclass and the PSW external mask; unknown CPUs are EINVAL", () => {
    const f = fixture({ vcpus: 2 });
    const v1 = f.vm.vcpu(1);
    f.dev.setVcpuControl(v1, { extEnabled: true, cr0: 0 });
    f.dev.emergencySignal(0, 1);
    expect(v1.ext.asserted).toBe(false);
    f.dev.setVcpuControl(v1, { cr0: CR0_EMERGENCY_SIGNAL_SUBMASK });
    expect(v1.ext.asserted).toBe(true);
    expect(f.dev.deliver(v1)?.kind).toBe("emergency");
    expect(errnoOf(() => f.dev.emergencySignal(5, 1))).toBe(Errno.EINVAL);
    expect(errnoOf(() => f.dev.emergencySignal(0, 7))).toBe(Errno.EINVAL);
    expect(errnoOf(() => f.dev.setVcpuControl(9, {}))).toBe(Errno.ENOENT);
    const other = fixture({ vcpus: 1 });
    expect(errnoOf(() => f.dev.setVcpuControl(other.vm.vcpu(0), {}))).toBe(Errno.ENOENT);
    expect(f.dev.deliver(other.vm.vcpu(0))).toBeNull();
  });
});

describe("dumpState, counters and tracing", () => {
  it("emits typed trace events only while the tracer is enabled", () => {
    const f = fixture();
    enableAll(f.dev, f.vm);
    enqueue(f.flic, [io(1, 1)]);
    const rec = f.vm.tracer.record((n) => n.startsWith("flic."));
    enqueue(f.flic, [io(2, 2)]);
    f.dev.deliver(0);
    rec.stop();
    f.dev.deliver(0);
    expect(rec.events.map((e) => [e.name, e.data])).toEqual([
      ["flic.inject", { type: 2 }],
      ["flic.deliver", { vcpu: 0, kind: "io", type: 1 }],
    ]);
  });

  it("describes queues, adapters and vCPUs in words", () => {
    const f = fixture({ ais: true });
    enableAll(f.dev, f.vm);
    enqueue(f.flic, [io(3, 1), serviceIrq(0x1000)]);
    const text = f.dev.dumpState();
    expect(text).toContain("2 floating interrupt(s)");
    expect(text).toContain("pending: SERVICE ISC3");
    expect(text).toContain("ISC 3: 1 queued");
    expect(text).toContain("service signal: ext_params 0x00001000");
    expect(text).toMatch(/vcpu 0: psw io,ext,mchk .* deliverable SERVICE ISC3/);
    expect(f.dev.counters()).toMatchObject({ injected: 2, delivered: 0 });
  });
});

describe("AIS tracing", () => {
  it("AISM and the automatic SINGLE -> NO transition emit flic.ais.mode (every catalogue event is emitted somewhere)", () => {
    const f = fixture({ ais: true });
    register(f.flic, { id: 1, isc: 3, flags: 1 });
    const rec = f.vm.tracer.record((n) => n === "flic.ais.mode");
    aism(f.flic, 3, KVM_S390_AIS_MODE_SINGLE);
    f.flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 1 });
    f.flic.setAttr({ group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 1 }); // suppressed: no mode change
    aism(f.flic, 3, KVM_S390_AIS_MODE_ALL);
    rec.stop();
    expect(rec.events.map((e) => e.data)).toEqual([
      { isc: 3, simm: 0x10, nimm: 0x00 },
      { isc: 3, simm: 0x10, nimm: 0x10 },
      { isc: 3, simm: 0x00, nimm: 0x00 },
    ]);
  });
});
