// toy8 through @irqlab/testkit (the contracts every plugin must keep), plus toy8's own
// behaviour: bad input, save/restore, observability.
import { describe, expect, it } from "vitest";
import { createVm, encodeU64, errnoOf, Errno, decodeU64 } from "@irqlab/core";
import { describeControllerConformance, GuestHarness } from "@irqlab/testkit";
import toy8Module, {
  KVM_DEV_TOY8_GRP_ADDR,
  KVM_DEV_TOY8_GRP_SOURCE,
  KVM_DEV_TYPE_TOY8,
  KVM_REG_TOY8_CPU_STATE,
  Toy8Device,
  decodeToy8SourceWord,
  encodeToy8SourceWord,
} from "./index.js";

describeControllerConformance({
  name: "toy8",
  module: toy8Module,
  arch: "__ARCH__",
  deviceType: KVM_DEV_TYPE_TOY8,
  secondInstanceErrno: Errno.EEXIST,
  survivesClose: false,
  driverId: "toy8",
  ipis: true,
  levelResample: true,
  targeted: true,
});

describe("toy8: attributes", () => {
  const vmWithDevice = () => {
    const vm = createVm({ arch: "__ARCH__", vcpus: 2, modules: [toy8Module] });
    return { vm, dev: vm.createDevice(KVM_DEV_TYPE_TOY8) };
  };

  it("bad input gets KVM's errno and changes nothing", () => {
    const { vm, dev } = vmWithDevice();
    const word = encodeU64(encodeToy8SourceWord({ enabled: true, target: 1 }), vm.endian);
    dev.setAttr({ group: KVM_DEV_TOY8_GRP_SOURCE, attr: 3, addr: word });
    const before = dev.backend<Toy8Device>().sourceWord(3);
    expect(errnoOf(() => dev.setAttr({ group: KVM_DEV_TOY8_GRP_SOURCE, attr: 3, addr: encodeU64(1n << 20n) }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => dev.setAttr({ group: KVM_DEV_TOY8_GRP_SOURCE, attr: 3, addr: encodeU64(encodeToy8SourceWord({ target: 7 })) }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => dev.setAttr({ group: KVM_DEV_TOY8_GRP_SOURCE, attr: 3, addr: new Uint8Array(4) }))).toBe(Errno.EFAULT);
    expect(errnoOf(() => dev.setAttr({ group: KVM_DEV_TOY8_GRP_SOURCE, attr: 8, addr: word }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => dev.setAttr({ group: KVM_DEV_TOY8_GRP_ADDR, attr: 0, addr: encodeU64(0x1234) }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => dev.hasAttr({ group: 9, attr: 0 }))).toBe(Errno.ENXIO);
    expect(dev.backend<Toy8Device>().sourceWord(3)).toBe(before);
    expect(decodeToy8SourceWord(before)).toMatchObject({ enabled: true, target: 1 });
  });

  it("the base address is set once (EEXIST after) and maps the register block", () => {
    const { vm, dev } = vmWithDevice();
    dev.setAttr({ group: KVM_DEV_TOY8_GRP_ADDR, attr: 0, addr: encodeU64(0xd0000000) });
    expect(errnoOf(() => dev.setAttr({ group: KVM_DEV_TOY8_GRP_ADDR, attr: 0, addr: encodeU64(0xe0000000) }))).toBe(Errno.EEXIST);
    const out = new Uint8Array(8);
    dev.getAttr({ group: KVM_DEV_TOY8_GRP_ADDR, attr: 0, addr: out });
    expect(decodeU64(out)).toBe(0xd0000000n);
    expect(vm.mmio.regions().map((r) => r.owner)).toContain("toy8");
  });
});

describe("toy8: save and restore", () => {
  it("every source word and vCPU state goes out and comes back; both VMs then deliver the same", () => {
    const a = new GuestHarness(toy8Module, "__ARCH__", "toy8");
    a.configure([
      { index: 0, trigger: "edge", vcpu: 0 },
      { index: 1, trigger: "edge", vcpu: 1 },
      { index: 2, trigger: "edge", vcpu: 0 },
    ]);
    a.sources[0].efd.write(1);
    a.sources[2].efd.write(1);
    a.driver.sendIpi(a.vm.vcpus[0], 1);
    // Save: the attribute words and ONE_REG words, through KVM's interfaces only.
    const words = [0, 1, 2, 3, 4, 5, 6, 7].map((pin) => {
      const buf = new Uint8Array(8);
      a.driver.controller.getAttr({ group: KVM_DEV_TOY8_GRP_SOURCE, attr: pin, addr: buf });
      return buf;
    });
    const cpu = a.vm.vcpus.map((v) => v.getOneRegU64(KVM_REG_TOY8_CPU_STATE));

    const b = new GuestHarness(toy8Module, "__ARCH__", "toy8");
    b.configure(a.sources.map((s) => s.spec));
    words.forEach((buf, pin) => b.driver.controller.setAttr({ group: KVM_DEV_TOY8_GRP_SOURCE, attr: pin, addr: buf }));
    b.vm.vcpus.forEach((v, i) => v.setOneRegU64(KVM_REG_TOY8_CPU_STATE, cpu[i]));
    expect(b.vm.vcpus.map((v) => v.ext.asserted)).toEqual(a.vm.vcpus.map((v) => v.ext.asserted));

    for (const g of [a, b]) g.sources[1].efd.write(1);
    a.serviceAll();
    b.serviceAll();
    expect(b.handled).toEqual(a.handled);
    expect(a.handled).toEqual([[0, 2], [-1, 1]]);
  });
});

describe("toy8: observability", () => {
  it("dumpState describes the pins and lines; counters count; trace events are typed", () => {
    const g = new GuestHarness(toy8Module, "__ARCH__", "toy8");
    const rec = g.vm.tracer.record((n) => n.startsWith("toy8."));
    g.configure([{ index: 0, trigger: "level", vcpu: 1 }]);
    g.sources[0].efd.write(1);
    const dev = g.driver.controller.backend<Toy8Device>();
    expect(dev.dumpState()).toContain("pin 0: level enabled  -> vCPU 1 [pending]");
    expect(dev.dumpState()).toContain("vCPU 1: line up");
    g.serviceAll();
    rec.stop();
    expect(dev.counters()).toMatchObject({ delivered: 1, acks: 1, eois: 1, resampled: 1 });
    expect(rec.events.map((e) => e.name)).toEqual(["toy8.irq.set", "toy8.ack", "toy8.eoi", "toy8.irq.set"]);
  });
});
