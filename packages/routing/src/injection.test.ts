import { describe, expect, it } from "vitest";
import {
  Errno,
  KVM_CAP_IRQ_INJECT_STATUS,
  KVM_CAP_SIGNAL_MSI,
  Process,
  createVm,
  errnoOf,
} from "@irqlab/core";
import routingModule, {
  GsiRouting,
  KVM_IRQ_LINE,
  KVM_IRQ_LINE_PPC,
  KVM_IRQ_LINE_STATUS,
  KVM_SIGNAL_MSI_PPC,
  RecordingChip,
  createRoutingTestVm,
  decodeIrqLevelStatus,
  encodeIrqLevel,
  encodeMsi,
  irqchipRoute,
} from "./index.js";

describe("kvm_set_irq fan-out and status", () => {
  it("[routing-17] the status sums non-negative chip results: 1+1 = 2, -1 and 0 = 0, -1 and -1 = -1", () => {
    const { vm, routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    const second = new RecordingChip({ name: "second", index: 1 }).attach(vm);
    routing.setGsiRouting([irqchipRoute(3, 0, 3), irqchipRoute(3, 1, 3)]);
    const cases: Array<[number, number, number]> = [
      [1, 1, 2],
      [-1, 0, 0],
      [0, -1, 0],
      [-1, -1, -1],
      [3, -22, 3],
    ];
    for (const [a, b, status] of cases) {
      chip.result = a;
      second.result = b;
      expect(routing.irqLineStatus(3, 1)).toBe(status);
    }
  });

  it("routes run in the order of the userspace array", () => {
    const { vm, routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    const second = new RecordingChip({ name: "second", index: 1 }).attach(vm);
    const order: string[] = [];
    chip.result = () => (order.push("chip0"), 1);
    second.result = () => (order.push("chip1"), 1);
    routing.setGsiRouting([irqchipRoute(3, 1, 3), irqchipRoute(3, 0, 3)]);
    routing.irqLineStatus(3, 1);
    expect(order).toEqual(["chip1", "chip0"]);
  });

  it("[routing-18] KVM_IRQ_LINE returns 0 on an unrouted GSI and writes nothing back; KVM_IRQ_LINE_STATUS writes the status", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(1, 0, 1)]);
    expect(routing.irqLine(2, 1)).toBe(0);
    const plain = encodeIrqLevel({ irq: 2, level: 1 });
    const copy = plain.slice();
    expect(routing.irqLineIoctl(plain)).toBe(0);
    expect(plain).toEqual(copy);
    expect(routing.ioctl(KVM_IRQ_LINE_PPC, plain)).toBe(0);
    expect(routing.ioctl(KVM_IRQ_LINE, plain)).toBe(0);
    expect(plain).toEqual(copy);
    const st = encodeIrqLevel({ irq: 2, level: 1 });
    expect(routing.irqLineStatusIoctl(st)).toBe(0);
    expect(decodeIrqLevelStatus(st)).toBe(-1);
    const st1 = encodeIrqLevel({ irq: 1, level: 1 });
    expect(routing.ioctl(KVM_IRQ_LINE_STATUS, st1)).toBe(0);
    expect(decodeIrqLevelStatus(st1)).toBe(1);
    expect(errnoOf(() => routing.irqLineStatusIoctl(new Uint8Array(4)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => routing.irqLineIoctl(null))).toBe(Errno.EFAULT);
  });

  it("[routing-19] on PowerPC without an in-kernel controller KVM_IRQ_LINE(_STATUS) fails with ENXIO", () => {
    for (const arch of ["ppc64", "ppc-booke"] as const) {
      for (const strict of [true, false]) {
        const { routing } = createRoutingTestVm({ arch, strict, chip: false });
        expect(errnoOf(() => routing.irqLine(0, 1))).toBe(Errno.ENXIO);
        expect(errnoOf(() => routing.irqLineStatus(0, 1))).toBe(Errno.ENXIO);
        expect(errnoOf(() => routing.irqLineStatusIoctl(encodeIrqLevel({ irq: 0, level: 1 })))).toBe(Errno.ENXIO);
        // The struct is copied first: an unreadable one is EFAULT.
        expect(errnoOf(() => routing.irqLineIoctl(null))).toBe(Errno.EFAULT);
      }
    }
  });

  it("[routing-46] GSI 5000 and 0xFFFFFFFF give status -1 (call succeeds); level 2 asserts like level 1", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(4, 0, 4)]);
    expect(routing.irqLineStatus(5000, 1)).toBe(-1);
    expect(routing.irqLineStatus(0xffffffff, 1)).toBe(-1);
    const b = encodeIrqLevel({ irq: 0xffffffff, level: 1 });
    expect(routing.irqLineStatusIoctl(b)).toBe(0);
    expect(decodeIrqLevelStatus(b)).toBe(-1);
    expect(routing.irqLineStatus(4, 2)).toBe(1);
    expect(chip.line(4)).toBe(true);
    expect(chip.pinCalls(4)).toEqual([[2, 0]]);
    routing.irqLine(4, 0);
    expect(chip.line(4)).toBe(false);
    // level 0xFFFFFFFF reaches the chip as the int -1 (asserted).
    routing.irqLineStatusIoctl(encodeIrqLevel({ irq: 4, level: 0xffffffff }));
    expect(chip.pinCalls(4).at(-1)).toEqual([-1, 0]);
    expect(chip.line(4)).toBe(true);
  });

  it("KVM_IRQ_LINE works from the VM's own process and is EIO once the VM is destroyed", () => {
    const other = new Process();
    const vm = createVm({ arch: "ppc-booke", modules: [routingModule], process: other });
    new RecordingChip().attach(vm);
    const routing = vm.get(GsiRouting);
    expect(routing.irqLineStatus(0, 1)).toBe(-1);
    vm.destroy();
    expect(errnoOf(() => routing.irqLine(0, 1))).toBe(Errno.EIO);
  });
});

describe("KVM_SIGNAL_MSI", () => {
  it("[routing-20] flags 2 is EINVAL, flags 1 (KVM_MSI_VALID_DEVID) is accepted, no controller is EINVAL", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    chip.result = 0;
    expect(errnoOf(() => routing.signalMsi({ addressLo: 0xe0000140, addressHi: 0, data: 5, flags: 2 }))).toBe(Errno.EINVAL);
    expect(routing.signalMsi({ addressLo: 0xe0000140, addressHi: 0, data: 5, flags: 1, devid: 0x10 })).toBe(0);
    expect(chip.calls).toEqual([
      { kind: "msi", pin: -1, level: 1, sourceId: 0, msg: { addressLo: 0xe0000140, addressHi: 0, data: 5, flags: 1, devid: 0x10 } },
    ]);
    expect(routing.signalMsiIoctl(encodeMsi({ addressLo: 1, addressHi: 2, data: 3 }))).toBe(0);
    expect(routing.ioctl(KVM_SIGNAL_MSI_PPC, encodeMsi({ addressLo: 1, addressHi: 2, data: 4 }))).toBe(0);
    expect(chip.msiCalls).toBe(3);
    expect(errnoOf(() => routing.signalMsiIoctl(new Uint8Array(31)))).toBe(Errno.EFAULT);
    const bare = createRoutingTestVm({ arch: "ppc-booke", chip: false });
    expect(errnoOf(() => bare.routing.signalMsi({ addressLo: 0, addressHi: 0, data: 0 }))).toBe(Errno.EINVAL);
  });

  it("the controller's result is returned; a negative result is the call's errno, as the ioctl reports it", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    chip.result = 2;
    expect(routing.signalMsi({ addressLo: 0, addressHi: 0, data: 1 })).toBe(2);
    chip.result = -1;
    expect(errnoOf(() => routing.signalMsi({ addressLo: 0, addressHi: 0, data: 1 }))).toBe(Errno.EPERM);
  });

  it("[routing-53] on s390 KVM_SIGNAL_MSI and KVM_IRQ_LINE are ENOTTY and KVM_CAP_SIGNAL_MSI is 0", () => {
    for (const strict of [true, false]) {
      const { vm, routing } = createRoutingTestVm({ arch: "s390x", strict, chip: { routeTypes: [3] } });
      expect(vm.checkExtension(KVM_CAP_SIGNAL_MSI)).toBe(0);
      expect(vm.checkExtension(KVM_CAP_IRQ_INJECT_STATUS)).toBe(0);
      expect(errnoOf(() => routing.signalMsi({ addressLo: 0, addressHi: 0, data: 0 }))).toBe(Errno.ENOTTY);
      expect(errnoOf(() => routing.signalMsiIoctl(null))).toBe(Errno.ENOTTY);
      expect(errnoOf(() => routing.irqLine(0, 1))).toBe(Errno.ENOTTY);
      expect(errnoOf(() => routing.irqLineStatus(0, 1))).toBe(Errno.ENOTTY);
      expect(errnoOf(() => routing.irqLineIoctl(null))).toBe(Errno.ENOTTY);
      expect(errnoOf(() => routing.irqLineStatusIoctl(null))).toBe(Errno.ENOTTY);
    }
  });

  it("book3s has no KVM_SIGNAL_MSI (strict: ENOTTY); generalised ppc64 needs a controller accepting MSI", () => {
    const strict = createRoutingTestVm({ arch: "ppc64", strict: true });
    expect(strict.vm.checkExtension(KVM_CAP_SIGNAL_MSI)).toBe(0);
    expect(errnoOf(() => strict.routing.signalMsi({ addressLo: 0, addressHi: 0, data: 0 }))).toBe(Errno.ENOTTY);
    const gen = createRoutingTestVm({ arch: "ppc64", chip: { routeTypes: [1] } });
    expect(gen.vm.checkExtension(KVM_CAP_SIGNAL_MSI)).toBe(1);
    expect(errnoOf(() => gen.routing.signalMsi({ addressLo: 0, addressHi: 0, data: 0 }))).toBe(Errno.EINVAL);
    const withMsi = createRoutingTestVm({ arch: "ppc64" });
    expect(withMsi.routing.signalMsi({ addressLo: 0, addressHi: 0, data: 0 })).toBe(1);
  });
});

describe("book3s (ppc64): GSI n is source n", () => {
  it("a VM starts with the identity: GSI n -> irqchip 0 pin n for every n below the pin count, beyond 4096 too", () => {
    for (const strict of [true, false]) {
      const { routing, chip } = createRoutingTestVm({ arch: "ppc64", strict, chip: { pins: 1 << 20 } });
      expect(routing.irqLineStatus(5, 1)).toBe(1);
      expect(routing.irqLineStatus(0x1001, 1)).toBe(1);
      expect(routing.irqLineStatus((1 << 20) - 1, 1)).toBe(1);
      expect(chip.calls.map((c) => c.pin)).toEqual([5, 0x1001, (1 << 20) - 1]);
      expect(routing.routingTable.ackGsi(0, 0x1001)).toBe(0x1001);
    }
  });

  it("strict: the status is the controller's raw result (book3s kvm_set_irq); generalised folds it to -1", () => {
    const strict = createRoutingTestVm({ arch: "ppc64", strict: true, chip: { pins: 4096 } });
    strict.chip.result = -22;
    expect(strict.routing.irqLineStatus(7, 1)).toBe(-22);
    // No source block for that number: XICS/XIVE answer -EINVAL.
    expect(strict.routing.irqLineStatus(5000, 1)).toBe(-22);
    const gen = createRoutingTestVm({ arch: "ppc64", chip: { pins: 4096 } });
    gen.chip.result = -22;
    expect(gen.routing.irqLineStatus(7, 1)).toBe(-1);
    expect(gen.routing.irqLineStatus(5000, 1)).toBe(-1);
  });

  it("strict: KVM_SET_GSI_ROUTING is ENOTTY (not built), before its argument is read", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc64", strict: true });
    expect(errnoOf(() => routing.setGsiRouting([]))).toBe(Errno.ENOTTY);
    expect(errnoOf(() => routing.setGsiRoutingIoctl(null))).toBe(Errno.ENOTTY);
  });

  it("generalised: setGsiRouting replaces the identity with an explicit table (pins up to 2^20)", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc64", chip: { pins: 1 << 20 } });
    routing.setGsiRouting([irqchipRoute(1, 0, 0x1000), irqchipRoute(2, 0, (1 << 20) - 1)]);
    expect(errnoOf(() => routing.setGsiRouting([irqchipRoute(1, 0, 1 << 20)]))).toBe(Errno.EINVAL);
    expect(routing.irqLineStatus(1, 1)).toBe(1);
    expect(routing.irqLineStatus(5, 1)).toBe(-1);
    expect(chip.calls.map((c) => c.pin)).toEqual([0x1000]);
    expect(routing.routingTable.ackGsi(0, 0x1000)).toBe(1);
    expect(routing.routingTable.ackGsi(0, 5)).toBe(-1);
  });

  it("the identity follows the controller: none registered injects nothing; it applies once one registers", () => {
    const { vm, routing } = createRoutingTestVm({ arch: "ppc64", chip: { index: 1, name: "other" } });
    expect(routing.irqLineStatus(3, 1)).toBe(-1);
    const xics = new RecordingChip({ name: "xics", index: 0, pins: 1 << 20 }).attach(vm);
    expect(routing.irqLineStatus(3, 1)).toBe(1);
    expect(xics.pinCalls(3)).toEqual([[1, 0]]);
  });
});
