import { describe, expect, it } from "vitest";
import {
  createVm,
  DeviceContribution,
  Errno,
  errnoOf,
  GuestDriverContribution,
  IPI_SOURCE,
  KVM_DEV_TYPE_FLIC,
  type AdapterRoute,
  type RouteSpec,
} from "@irqlab/core";
import flicModule from "./index.js";
import { DRIVER_SUMMARY_PAGE, FlicGuestDriver, flicGuestDriverContribution, SOURCES_PER_ADAPTER } from "./guest-driver.js";
import { iscToIscBits, MAX_S390_IO_ADAPTERS } from "./constants.js";

function setup(vcpus = 2) {
  const vm = createVm({ arch: "s390x", vcpus, modules: [flicModule] });
  const driver = flicGuestDriverContribution.attach(vm) as FlicGuestDriver;
  const chip = vm.irqchips.byIndex(0)!;
  const fire = (r: RouteSpec) => chip.deliverAdapter!((r as { adapter: AdapterRoute }).adapter, 1);
  return { vm, driver, chip, fire };
}

describe("FLIC guest driver", () => {
  it("attach creates the FLIC, registers adapter 0 on ISC 3 and enables the vCPUs", () => {
    const { vm, driver } = setup();
    expect(driver.controller.type).toBe(KVM_DEV_TYPE_FLIC);
    expect(driver.flic.adapters()).toEqual([{ id: 0, isc: 3, maskable: true, masked: false, swap: true, suppressible: false }]);
    for (const v of vm.vcpus) {
      const c = driver.flic.vcpuControl(v);
      expect(c.cr6 & BigInt(iscToIscBits(3))).not.toBe(0n);
      expect([c.ioEnabled, c.extEnabled, c.mcheckEnabled]).toEqual([true, true, true]);
    }
  });

  it("each source gets an indicator bit and an adapter route; edge and level are configured alike", () => {
    const { driver } = setup();
    const r0 = driver.configureSource({ index: 0, trigger: "edge", vcpu: 0 });
    const r9 = driver.configureSource({ index: 9, trigger: "level", vcpu: 1, priority: 3 });
    expect(r0.type).toBe("adapter");
    expect(r9).toMatchObject({ type: "adapter", adapter: { indOffset: 9, summaryOffset: 0, adapterId: 0, summaryAddr: DRIVER_SUMMARY_PAGE } });
  });

  it("inject -> I/O adapter interruption -> summary + indicator scan -> handler, then the vCPU is idle", () => {
    const { vm, driver, fire } = setup();
    const routes = [0, 1, 9, 17].map((index) => driver.configureSource({ index, trigger: "edge", vcpu: 0 }));
    expect(fire(routes[2])).toBe(1);
    expect(fire(routes[0])).toBe(0); // summary already set: coalesced into the same I/O interruption
    expect(fire(routes[3])).toBe(0);
    expect(vm.vcpus.every((v) => v.ext.asserted)).toBe(true);
    const seen: number[] = [];
    expect(driver.service(vm.vcpu(1), (s) => seen.push(s))).toBe(3);
    expect(seen).toEqual([0, 9, 17]);
    expect(vm.vcpus.some((v) => v.ext.asserted)).toBe(false);
    expect(vm.memory.readByte(DRIVER_SUMMARY_PAGE)).toBe(0);
    expect(vm.memory.readBytes(FlicGuestDriver.indicatorPage(0), 4)).toEqual(new Uint8Array(4));
    // A spurious entry handles nothing.
    expect(driver.service(vm.vcpu(0), () => seen.push(-2))).toBe(0);
    // The next injection raises a new interruption (summary was cleared).
    expect(fire(routes[1])).toBe(1);
    expect(driver.service(vm.vcpu(0), (s) => seen.push(s))).toBe(1);
    expect(seen.at(-1)).toBe(1);
  });

  it("[pitfall: eventfd-style coalescing must be defined] a source raised twice before service is handled once (indicator and summary bits coalesce)", () => {
    const { vm, driver, fire } = setup(1);
    const r = driver.configureSource({ index: 5, trigger: "level", vcpu: 0 });
    fire(r);
    fire(r);
    const seen: number[] = [];
    expect(driver.service(vm.vcpu(0), (s) => seen.push(s))).toBe(1);
    expect(seen).toEqual([5]);
  });

  it("sources beyond one indicator page use further adapters on the same ISC", () => {
    const { vm, driver, fire } = setup(1);
    const far = driver.configureSource({ index: SOURCES_PER_ADAPTER + 3, trigger: "edge", vcpu: 0 });
    expect(far).toMatchObject({ adapter: { adapterId: 1, summaryOffset: 1, indOffset: 3 } });
    expect(driver.flic.adapters().map((a) => a.id)).toEqual([0, 1]);
    const near = driver.configureSource({ index: 2, trigger: "edge", vcpu: 0 });
    expect(fire(far)).toBe(1);
    expect(fire(near)).toBe(1);
    const seen: number[] = [];
    expect(driver.service(vm.vcpu(0), (s) => seen.push(s))).toBe(2);
    expect(seen).toEqual([2, SOURCES_PER_ADAPTER + 3]);
  });

  it("[pitfall: interrupt arriving between EOI issue and completion is lost] a source raised while its handler runs is handled again", () => {
    // The driver clears the summary bit before scanning, and each indicator byte before calling
    // its handlers: a source that fires meanwhile (same byte, an already-scanned byte or a later
    // one) sets the summary bit 0 -> 1 again, which injects a new adapter interruption.
    const { vm, driver, fire } = setup(1);
    const routes = [0, 3, 40].map((index) => driver.configureSource({ index, trigger: "level", vcpu: 0 }));
    const seen: number[] = [];
    let refire = [3, 0, 40];
    fire(routes[1]);
    const handler = (s: number) => {
      seen.push(s);
      const next = refire.shift();
      if (next !== undefined) fire(routes[[0, 3, 40].indexOf(next)]);
    };
    let handled = driver.service(vm.vcpu(0), handler);
    // The refired sources made a new adapter interruption: the vCPU is interrupted again.
    expect(vm.vcpu(0).ext.asserted).toBe(true);
    for (let entry = 0; entry < 10 && vm.vcpu(0).ext.asserted; entry++) handled += driver.service(vm.vcpu(0), handler);
    refire = [];
    expect(seen.filter((s) => s === 3)).toHaveLength(2);
    expect(seen).toContain(0);
    expect(seen).toContain(40);
    expect(handled).toBe(seen.length);
    expect(vm.vcpu(0).ext.asserted).toBe(false);
    expect(vm.memory.readBytes(FlicGuestDriver.indicatorPage(0), 8)).toEqual(new Uint8Array(8));
  });

  it("a source index beyond the 64 adapters is ENOSPC and registers no adapter (a failing call changes nothing)", () => {
    const { driver } = setup(1);
    expect(errnoOf(() => driver.configureSource({ index: MAX_S390_IO_ADAPTERS * SOURCES_PER_ADAPTER, trigger: "edge", vcpu: 0 }))).toBe(
      Errno.ENOSPC,
    );
    expect(errnoOf(() => driver.configureSource({ index: 1.5, trigger: "edge", vcpu: 0 }))).toBe(Errno.EINVAL);
    expect(driver.flic.adapters().map((a) => a.id)).toEqual([0]);
    // The last source of the last adapter still fits.
    const last = driver.configureSource({ index: MAX_S390_IO_ADAPTERS * SOURCES_PER_ADAPTER - 1, trigger: "edge", vcpu: 0 });
    expect(last).toMatchObject({ adapter: { adapterId: 63, summaryOffset: 63, indOffset: SOURCES_PER_ADAPTER - 1 } });
    expect(driver.flic.adapters()).toHaveLength(MAX_S390_IO_ADAPTERS);
  });

  it("IPIs are SIGP emergency signals handled as IPI_SOURCE on the target only", () => {
    const { vm, driver } = setup(3);
    driver.sendIpi(vm.vcpu(0), 2);
    expect(vm.vcpu(2).ext.asserted).toBe(true);
    expect(vm.vcpu(1).ext.asserted).toBe(false);
    const seen: number[] = [];
    expect(driver.service(vm.vcpu(2), (s) => seen.push(s))).toBe(1);
    expect(seen).toEqual([IPI_SOURCE]);
    expect(vm.vcpu(2).ext.asserted).toBe(false);
  });

  it("the module binds the device and guest-driver contributions", () => {
    const vm = createVm({ arch: "s390x", vcpus: 1, modules: [flicModule] });
    expect(vm.get<GuestDriverContribution>(GuestDriverContribution)).toMatchObject({ id: "flic", label: "FLIC", arch: "s390x", deviceType: 6 });
    expect(vm.get<DeviceContribution>(DeviceContribution)).toMatchObject({ name: "kvm-flic", types: [6], arch: ["s390x"] });
    expect(vm.supportsDevice(KVM_DEV_TYPE_FLIC)).toBe(true);
  });
});
