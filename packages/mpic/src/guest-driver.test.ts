import { describe, expect, it } from "vitest";
import { Container, createVm, errnoOf, Errno, GuestDriverContribution, DeviceContribution, IPI_SOURCE, type RouteSpec, type Vm } from "@irqlab/core";
import mpicModule, { mpicDeviceContribution } from "./module.js";
import { GUEST_SPURIOUS_VECTOR, mpic20GuestDriver, mpic42GuestDriver, MpicGuestDriver } from "./guest-driver.js";
import { MpicDevice } from "./device.js";
import { cpuReg, CPU_CTPR, ipiVpr, srcIdr, srcIvpr } from "./constants.js";
import { readMpicRegister } from "./attributes.js";

function inject(vm: Vm, route: RouteSpec, level: number): void {
  const chip = vm.irqchips.byIndex(0)!;
  if (route.type === "irqchip") chip.setIrq(route.pin, level, 0);
  else if (route.type === "msi") chip.deliverMsi!(route.msi, level, 0);
}

describe("module", () => {
  it("binds the kvm-mpic contribution and two guest drivers", () => {
    const c = new Container();
    c.load(mpicModule);
    const devs = c.getAll<DeviceContribution>(DeviceContribution);
    expect(devs).toEqual([mpicDeviceContribution]);
    expect(devs[0]).toMatchObject({ name: "kvm-mpic", types: [1, 2], arch: ["ppc-booke"], extensions: { 90: 1 } });
    expect(devs[0].vcpuCaps?.map((h) => h.cap)).toEqual([90]);
    const drivers = c.getAll<GuestDriverContribution>(GuestDriverContribution);
    expect(drivers.map((d) => [d.id, d.label, d.arch, d.deviceType])).toEqual([
      ["mpic-2.0", "MPIC 2.0", "ppc-booke", 1],
      ["mpic-4.2", "MPIC 4.2", "ppc-booke", 2],
    ]);
  });
});

describe("guest drivers (Linux mpic.c behaviour)", () => {
  for (const contrib of [mpic20GuestDriver, mpic42GuestDriver]) {
    it(`${contrib.id}: attach maps the window, connects every vCPU and initialises like mpic_init`, () => {
      const vm = createVm({ arch: "ppc-booke", vcpus: 3, modules: [mpicModule] });
      const d = contrib.attach(vm) as MpicGuestDriver;
      const h = d.controller;
      const dev = h.backend<MpicDevice>();
      expect(dev.model.type).toBe(contrib.deviceType);
      expect(Number(dev.baseAddress)).toBe(contrib.id === "mpic-2.0" ? 0xe0040000 : 0xfe0040000);
      expect(vm.vcpus.map((v) => [v.irqchipKind, v.irqchipCpu])).toEqual([["mpic", 0], ["mpic", 1], ["mpic", 2]]);
      const rd = (o: number) => readMpicRegister(h, o);
      expect([0, 1, 2].map((c) => rd(cpuReg(c, CPU_CTPR)))).toEqual([0, 0, 0]);
      expect(rd(0x10e0)).toBe(GUEST_SPURIOUS_VECTOR);
      expect(rd(0x1020)).toBe(0x20000000);
      expect(rd(ipiVpr(0))).toBe((10 << 16) | 2043);
      expect(rd(srcIvpr(5))).toBe(0x80080005);
      expect(rd(srcIdr(5))).toBe(1);
      expect(vm.exitStats.mmioWrites).toBeGreaterThan(100);
    });
  }

  it("level sources get their own pin and an IRQCHIP route; each entry runs IACK -> handler -> EOI + WHOAMI (mpic_get_irq, mpic_eoi)", () => {
    const vm = createVm({ arch: "ppc-booke", vcpus: 2, modules: [mpicModule] });
    const d = mpic42GuestDriver.attach(vm);
    const r0 = d.configureSource({ index: 0, trigger: "level", vcpu: 1 });
    const r1 = d.configureSource({ index: 1, trigger: "level", vcpu: 1, priority: 2 });
    expect(r0).toEqual({ type: "irqchip", irqchip: 0, pin: 16 });
    expect(r1).toEqual({ type: "irqchip", irqchip: 0, pin: 17 });
    inject(vm, r0, 1);
    inject(vm, r1, 1);
    const v1 = vm.vcpus[1];
    expect(v1.ext.asserted).toBe(true);
    expect(vm.vcpus[0].ext.asserted).toBe(false);
    const seen: number[] = [];
    const before = vm.exitStats.exits;
    const handler = (src: number) => {
      seen.push(src);
      // the device drops its line while the guest handles it
      inject(vm, src === 0 ? r0 : r1, 0);
    };
    expect(d.service(v1, handler)).toBe(1); // one IACK per external exception
    expect(v1.ext.asserted).toBe(true); // the second source raises the exception again
    expect(d.service(v1, handler)).toBe(1);
    expect(seen).toEqual([0, 1]); // priority 8 before priority 6
    expect(vm.exitStats.exits - before).toBe(6); // 2 x (IACK + EOI + WHOAMI), no trailing IACK
    expect(v1.ext.asserted).toBe(false);
    expect(d.service(v1, () => seen.push(-9))).toBe(0);
  });

  it("edge sources become MSI bank bits grouped by (vCPU, priority); MSIR demultiplexes them", () => {
    const vm = createVm({ arch: "ppc-booke", vcpus: 2, modules: [mpicModule] });
    const d = mpic20GuestDriver.attach(vm);
    const routes = [0, 1, 2].map((i) => d.configureSource({ index: i, trigger: "edge", vcpu: 0 }));
    const other = d.configureSource({ index: 3, trigger: "edge", vcpu: 1 });
    expect(routes[0]).toEqual({
      type: "msi",
      msi: { addressLo: 0xe0041740, addressHi: 0, data: 0x00000000, flags: 0, devid: 0 },
    });
    expect(routes[2].type === "msi" && routes[2].msi.data).toBe(0x02000000);
    expect(other.type === "msi" && other.msi.data).toBe(0x20000000);
    inject(vm, routes[2], 1);
    inject(vm, routes[0], 1);
    inject(vm, other, 1);
    const seen: number[] = [];
    expect(d.service(vm.vcpus[0], (s) => seen.push(s))).toBe(2);
    expect(seen).toEqual([0, 2]);
    expect(d.service(vm.vcpus[1], (s) => seen.push(s))).toBe(1);
    expect(seen).toEqual([0, 2, 3]);
    expect(vm.vcpus[0].ext.asserted || vm.vcpus[1].ext.asserted).toBe(false);
  });

  it("the MSI address is the ppce500 MSIIR above 4 GiB on v4.2; exhausted banks fall back to edge pins", () => {
    const vm = createVm({ arch: "ppc-booke", vcpus: 2, modules: [mpicModule] });
    const d = mpic42GuestDriver.attach(vm);
    const routes: RouteSpec[] = [];
    for (let i = 0; i < 10; i++) routes.push(d.configureSource({ index: i, trigger: "edge", vcpu: i % 2, priority: i >> 1 }));
    expect(routes[0]).toMatchObject({ type: "msi", msi: { addressLo: 0xe0041740, addressHi: 0xf } });
    expect(routes.slice(8)).toEqual([
      { type: "irqchip", irqchip: 0, pin: 0 },
      { type: "irqchip", irqchip: 0, pin: 1 },
    ]);
    inject(vm, routes[9], 1);
    inject(vm, routes[9], 0);
    const seen: number[] = [];
    d.service(vm.vcpus[1], (s) => seen.push(s));
    expect(seen).toEqual([9]);
  });

  it("sendIpi dispatches IPI 0 to the target only; its handler sees IPI_SOURCE", () => {
    const vm = createVm({ arch: "ppc-booke", vcpus: 2, modules: [mpicModule] });
    const d = mpic42GuestDriver.attach(vm);
    d.sendIpi(vm.vcpus[0], 1);
    expect(vm.vcpus[1].ext.asserted).toBe(true);
    expect(vm.vcpus[0].ext.asserted).toBe(false);
    const seen: number[] = [];
    expect(d.service(vm.vcpus[1], (s) => seen.push(s))).toBe(1);
    expect(seen).toEqual([IPI_SOURCE]);
    d.sendIpi(vm.vcpus[1], 1);
    expect(d.service(vm.vcpus[1], (s) => seen.push(s))).toBe(1);
    expect(seen).toEqual([IPI_SOURCE, IPI_SOURCE]);
  });

  it("a VM with more than 32 vCPUs cannot attach (MPIC CPU numbers stop at 31)", () => {
    const vm = createVm({ arch: "ppc-booke", vcpus: 33, modules: [mpicModule] });
    expect(() => mpic20GuestDriver.attach(vm)).toThrow(/32/);
  });
});

describe("CoreInt guest driver (Linux qemu_e500: MPIC_ENABLE_COREINT, mpic_get_coreint_irq)", () => {
  it("sets GCR proxy mode, takes vectors from EPR (no IACK exit) and EOIs by MMIO; v2.0 refuses it", () => {
    const vm = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mpicModule] });
    const d = new MpicGuestDriver(vm, { type: 2, base: 0xfe0040000, coreint: true });
    expect(readMpicRegister(d.controller, 0x1020)).toBe(0x60000000);
    const r = d.configureSource({ index: 0, trigger: "level", vcpu: 0 });
    inject(vm, r, 1);
    const v = vm.vcpus[0];
    expect(v.ext.asserted).toBe(true);
    const reads = vm.exitStats.mmioReads;
    const writes = vm.exitStats.mmioWrites;
    const seen: number[] = [];
    // the handler de-asserts the level source, as a device driver acknowledging its device does
    expect(d.service(v, (s) => (seen.push(s), inject(vm, r, 0)))).toBe(1);
    expect(seen).toEqual([0]);
    expect(vm.exitStats.mmioReads - reads).toBe(1); // no IACK: only mpic_eoi's WHOAMI read-back
    expect(vm.exitStats.mmioWrites - writes).toBe(1);
    expect(v.getOneRegU64(0x1020000000000086n)).toBe(16n); // EPR holds the vector KVM acknowledged
    expect(v.ext.asserted).toBe(false);
    expect(d.service(v, () => seen.push(-2))).toBe(0); // line low: no exception, nothing read
    const vm20 = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mpicModule] });
    expect(() => new MpicGuestDriver(vm20, { type: 1, base: 0xe0040000, coreint: true })).toThrow(/CoreInt/);
  });
});

describe("MPIC 2.0 guest CPU limit", () => {
  it("refuses a VM of 16+ vCPUs (IDR critical bits 30-i overlap CPU bits), accepts 15", () => {
    const big = createVm({ arch: "ppc-booke", vcpus: 16, modules: [mpicModule] });
    expect(errnoOf(() => mpic20GuestDriver.attach(big))).toBe(Errno.EINVAL);
    expect(big.deviceList()).toHaveLength(0);
    const ok = createVm({ arch: "ppc-booke", vcpus: 15, modules: [mpicModule] });
    const d = mpic20GuestDriver.attach(ok);
    const r = d.configureSource({ index: 0, trigger: "level", vcpu: 14 });
    inject(ok, r, 1);
    expect(ok.vcpus[14].ext.asserted).toBe(true);
    // MPIC 4.2 keeps its critical bits in ILR: 16+ vCPUs are fine.
    expect(() => mpic42GuestDriver.attach(createVm({ arch: "ppc-booke", vcpus: 16, modules: [mpicModule] }))).not.toThrow();
  });
});

describe("Linux mpic_eoi read-back (eoiReadback)", () => {
  it("each EOI write is followed by a WHOAMI read of the same per-CPU block", () => {
    const counts = (eoiReadback: boolean) => {
      const vm = createVm({ arch: "ppc-booke", vcpus: 2, modules: [mpicModule] });
      const d = new MpicGuestDriver(vm, { type: 2, base: 0xfe0040000, eoiReadback });
      const r = d.configureSource({ index: 0, trigger: "level", vcpu: 1 });
      inject(vm, r, 1);
      const reads = vm.exitStats.mmioReads;
      const writes = vm.exitStats.mmioWrites;
      expect(d.service(vm.vcpus[1], () => inject(vm, r, 0))).toBe(1);
      return [vm.exitStats.mmioReads - reads, vm.exitStats.mmioWrites - writes];
    };
    // IACK (vector) + the read-back; one EOI write either way
    expect(counts(false)).toEqual([1, 1]);
    expect(counts(true)).toEqual([2, 1]);
    // and it is the default, as in Linux
    const vm = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mpicModule] });
    const d = new MpicGuestDriver(vm, { type: 2, base: 0xfe0040000 });
    const r = d.configureSource({ index: 0, trigger: "level", vcpu: 0 });
    inject(vm, r, 1);
    const reads = vm.exitStats.mmioReads;
    d.service(vm.vcpus[0], () => inject(vm, r, 0));
    expect(vm.exitStats.mmioReads - reads).toBe(2);
  });
});
