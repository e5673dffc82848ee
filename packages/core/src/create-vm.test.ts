import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ContainerModule } from "inversify";
import { createVm, errnoOf, Errno, IrqChipRegistry, Tracer, VmExtension, DeviceContribution, traceEvents, type IrqChip } from "./index.js";

describe("createVm", () => {
  it("builds one VM per container with its own services", () => {
    const a = createVm({ arch: "ppc64", vcpus: 3 });
    const b = createVm({ arch: "s390x" });
    expect(a.vcpus).toHaveLength(3);
    expect(b.vcpus).toHaveLength(1);
    expect(a.clock).not.toBe(b.clock);
    expect(a.endian).toBe("le");
    expect(b.endian).toBe("be");
    expect(errnoOf(() => a.vcpu(3))).toBe(Errno.ENOENT);
  });

  it("bad options are EINVAL", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -5, max: -1 }), fc.integer({ min: 1025, max: 1e6 }), fc.double({ noInteger: true })), (vcpus) => {
        expect(errnoOf(() => createVm({ arch: "ppc64", vcpus }))).toBe(Errno.EINVAL);
      }),
    );
    expect(errnoOf(() => createVm({ arch: "x86" as never }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => createVm({ arch: "ppc64", memorySize: 0 }))).toBe(Errno.EINVAL);
  });

  it("two plugins claiming one device type for the same arch is EEXIST (kvm_register_device_ops)", () => {
    const plugin = (name: string) =>
      new ContainerModule(({ bind }) => {
        bind<DeviceContribution>(DeviceContribution).toConstantValue({ name, types: [3], arch: ["ppc64"], create: () => ({}) });
      });
    expect(errnoOf(() => createVm({ arch: "ppc64", modules: [plugin("a"), plugin("b")] }))).toBe(Errno.EEXIST);
    // the same for a vCPU capability claimed twice
    const capPlugin = (name: string, type: number) =>
      new ContainerModule(({ bind }) => {
        bind<DeviceContribution>(DeviceContribution).toConstantValue({ name, types: [type], arch: ["ppc64"], create: () => ({}), vcpuCaps: [{ cap: 92, connect: () => {} }] });
      });
    expect(errnoOf(() => createVm({ arch: "ppc64", modules: [capPlugin("a", 3), capPlugin("b", 9)] }))).toBe(Errno.EEXIST);
    // Different architectures do not clash.
    expect(createVm({ arch: "s390x", modules: [plugin("a"), plugin("b")] }).supportsDevice(3)).toBe(false);
  });

  it("VmExtension services are instantiated at creation and answer KVM_CHECK_EXTENSION", () => {
    let made = 0;
    const ext = new ContainerModule(({ bind }) => {
      bind(VmExtension).toDynamicValue(() => {
        made++;
        return { extensionName: "x", extensions: () => ({ 25: 4096 }) };
      });
    });
    const vm = createVm({ arch: "ppc-booke", modules: [ext] });
    expect(made).toBe(1);
    expect(vm.checkExtension(25)).toBe(4096);
    expect(vm.has(VmExtension)).toBe(true);
  });
});

describe("IrqChipRegistry and AckNotifiers", () => {
  const chip = (index: number): IrqChip => ({ name: `c${index}`, index, pins: 4, routeTypes: [1], setIrq: () => 1 });

  it("one chip per index; listeners see registrations", () => {
    const r = new IrqChipRegistry();
    let changes = 0;
    r.onChange(() => changes++);
    const c0 = chip(0);
    r.register(c0);
    expect(errnoOf(() => r.register(chip(0)))).toBe(Errno.EEXIST);
    expect(r.byIndex(0)).toBe(c0);
    expect(r.accepting(1)).toEqual([c0]);
    expect(r.accepting(2)).toEqual([]);
    r.unregister(c0);
    expect(r.size).toBe(0);
    expect(changes).toBe(2);
  });

  it("notify reaches every subscriber with (chip, pin)", () => {
    const vm = createVm({ arch: "ppc64" });
    const seen: string[] = [];
    const off = vm.ackNotifiers.subscribe((c, pin) => seen.push(`${c.name}:${pin}`));
    vm.ackNotifiers.notify(chip(0), 3);
    off();
    vm.ackNotifiers.notify(chip(0), 4);
    expect(seen).toEqual(["c0:3"]);
    expect(vm.ackNotifiers.notified).toBe(2);
  });
});

describe("Tracer", () => {
  it("costs nothing when disabled, records typed events with simulated time when enabled", () => {
    const vm = createVm({ arch: "ppc64" });
    const t: Tracer = vm.tracer;
    const emit = traceEvents<{ "core.test": { n: number } }>();
    expect(t.enabled).toBe(false);
    emit(t, "core.test", { n: 0 });
    const rec = t.record((n) => n.startsWith("core."));
    vm.clock.advance(42);
    emit(t, "core.test", { n: 1 });
    t.guestError("mpic", "bad IVPR write");
    rec.stop();
    expect(t.enabled).toBe(false);
    expect(rec.events).toEqual([{ name: "core.test", time: 42, data: { n: 1 } }]);
    expect(t.guestErrorCount).toBe(1);
    expect(t.guestErrors[0]).toMatchObject({ source: "mpic", time: 42 });
  });
});
