import { describe, expect, it } from "vitest";
import { DeviceContribution, GuestDriverContribution, IPI_SOURCE, KVM_DEV_TYPE_XICS, createVm, errnoOf, Errno } from "@irqlab/core";
import xicsModule, {
  DEFAULT_PRIORITY,
  GUEST_IRQ_BASE,
  H_EOI,
  H_IPI,
  H_XIRR,
  XicsGuestDriver,
  xicsModule as namedModule,
} from "./index.js";
import { getSource, icpWord } from "./test-support.js";

function attach(vcpus = 2) {
  const vm = createVm({ arch: "ppc64", vcpus, modules: [xicsModule] });
  const c = vm.getAll<GuestDriverContribution>(GuestDriverContribution).find((x) => x.id === "xics")!;
  const driver = c.attach(vm);
  if (!driver.controller) throw new Error("XICS's driver has a device");
  return { vm, c, driver: driver as typeof driver & { controller: NonNullable<typeof driver.controller> } };
}

describe("plugin module and Linux-like guest driver", () => {
  it("the module binds the XICS DeviceContribution and the 'xics' GuestDriverContribution; default and named exports agree", () => {
    expect(namedModule).toBe(xicsModule);
    const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [xicsModule] });
    const devs = vm.getAll<DeviceContribution>(DeviceContribution);
    expect(devs).toHaveLength(1);
    expect(devs[0]).toMatchObject({ name: "kvm-xics", types: [KVM_DEV_TYPE_XICS], arch: ["ppc64"], extensions: { 92: 1 } });
    expect(devs[0].vcpuCaps!.map((h) => h.cap)).toEqual([92]);
    const drivers = vm.getAll<GuestDriverContribution>(GuestDriverContribution);
    expect(drivers.map((d) => [d.id, d.label, d.arch, d.deviceType])).toEqual([["xics", "XICS", "ppc64", 3]]);
  });

  it("attach creates the device, connects every vCPU as server = vCPU id and opens each CPPR", () => {
    const { vm, driver } = attach(3);
    expect(driver.controller.type).toBe(KVM_DEV_TYPE_XICS);
    for (const v of vm.vcpus) {
      expect(v.irqchipKind).toBe("xics");
      expect(v.irqchipCpu).toBe(v.id);
      expect(icpWord(v)).toEqual({ cppr: 0xff, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
    }
  });

  it("configureSource creates the source (trigger type from the spec) and unmasks it with set-xive(DEFAULT_PRIORITY) + int-on", () => {
    const { vm, driver } = attach();
    const route = driver.configureSource({ index: 3, trigger: "level", vcpu: 1 });
    expect(route).toEqual({ type: "irqchip", irqchip: 0, pin: GUEST_IRQ_BASE + 3 });
    expect(XicsGuestDriver.sourceNumber(3)).toBe(0x1003);
    expect(getSource(driver.controller, 0x1003)).toEqual({
      server: 1,
      priority: DEFAULT_PRIORITY,
      levelSensitive: true,
      masked: false,
      pending: false,
      presented: false,
      queued: false,
    });
    driver.configureSource({ index: 0, trigger: "edge", vcpu: 0 });
    expect(getSource(driver.controller, 0x1000).levelSensitive).toBe(false);
    expect(vm.exitStats.rtasCalls).toBe(4);
    expect(errnoOf(() => driver.configureSource({ index: 0x100000, trigger: "edge", vcpu: 0 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => driver.configureSource({ index: 1, trigger: "edge", vcpu: 9 }))).toBe(Errno.ENOENT);
  });

  it("one entry is one H_XIRR -> handler -> H_EOI (icp_hv_get_irq); EE stays up while more is pending; workload indexes reported", () => {
    const { vm, driver } = attach();
    driver.configureSource({ index: 0, trigger: "edge", vcpu: 0 });
    driver.configureSource({ index: 1, trigger: "edge", vcpu: 0 });
    const chip = vm.irqchips.byIndex(0)!;
    chip.setIrq(0x1000, 1, 0);
    chip.setIrq(0x1001, 1, 0); // same priority: refused, resent at the first EOI
    const seen: number[] = [];
    vm.exitStats.reset();
    expect(driver.service(vm.vcpus[0], (s) => seen.push(s))).toBe(1);
    expect(seen).toEqual([0]);
    expect(vm.exitStats.hcalls).toBe(2); // XIRR, EOI
    expect(vm.vcpus[0].ext.asserted).toBe(true); // 0x1001 was resent at the EOI: the exception comes again
    expect(driver.service(vm.vcpus[0], (s) => seen.push(s))).toBe(1);
    expect(seen).toEqual([0, 1]);
    expect(vm.exitStats.hcalls).toBe(4);
    expect(vm.vcpus[0].ext.asserted).toBe(false);
    expect(driver.service(vm.vcpus[0], (s) => seen.push(s))).toBe(0); // a spurious entry: XIRR 0
    expect(vm.exitStats.hcalls).toBe(5);
  });

  it("sendIpi uses H_IPI(target server, IPI_PRIORITY); the target's handler sees IPI_SOURCE once, after MFRR is cleared", () => {
    const { vm, driver } = attach();
    const hc: number[] = [];
    const orig = vm.hcalls.call.bind(vm.hcalls);
    vm.hcalls.call = (v, op, a0 = 0, a1 = 0, a2 = 0, a3 = 0) => (hc.push(Number(op), Number(a0), Number(a1)), orig(v, op, a0, a1, a2, a3));
    driver.sendIpi(vm.vcpus[0], 1);
    expect(hc).toEqual([H_IPI, 1, 4]);
    expect(icpWord(vm.vcpus[1])).toEqual({ cppr: 0xff, xisr: 2, mfrr: 4, pendingPri: 4 });
    expect(vm.vcpus[1].ext.asserted).toBe(true);
    hc.length = 0;
    const seen: number[] = [];
    expect(driver.service(vm.vcpus[1], (s) => seen.push(s))).toBe(1);
    expect(seen).toEqual([IPI_SOURCE]);
    expect(hc).toEqual([H_XIRR, 0, 0, H_IPI, 1, 0xff, H_EOI, 0xff000002, 0]);
    expect(icpWord(vm.vcpus[1])).toEqual({ cppr: 0xff, xisr: 0, mfrr: 0xff, pendingPri: 0xff });
  });

  it("a level source driven through the chip: handled, EOIed, and re-presented while the line stays asserted (KVM's ics_eoi)", () => {
    const { vm, driver } = attach(1);
    driver.configureSource({ index: 0, trigger: "level", vcpu: 0 });
    const chip = vm.irqchips.byIndex(0)!;
    chip.setIrq(0x1000, 1, 0);
    let n = 0;
    const quiet = () => {
      if (++n === 3) chip.setIrq(0x1000, 0, 0); // the handler quiets the device on the third pass
    };
    for (let entry = 0; entry < 10 && vm.vcpus[0].ext.asserted; entry++) driver.service(vm.vcpus[0], quiet);
    expect(n).toBe(3);
    expect(vm.vcpus[0].ext.asserted).toBe(false);
  });
});
