import { describe, expect, it } from "vitest";
import { KVM_IRQ_ROUTING_IRQCHIP, type IrqChip } from "@irqlab/core";
import { EventFd } from "./eventfd.js";
import { encodeIrqLevel } from "./uapi-structs.js";
import { createRoutingTestVm, irqchipRoute } from "./testing/fixtures.js";

/** A chip that records the line_status flag of each setIrq. */
function statusChip(log: Array<boolean | undefined>): IrqChip {
  return {
    name: "status",
    index: 0,
    pins: 8,
    routeTypes: [KVM_IRQ_ROUTING_IRQCHIP],
    setIrq: (_pin, _level, _src, lineStatus) => {
      log.push(lineStatus);
      return 1;
    },
  };
}

describe("controller-facing hooks: line_status, kvm_irq_has_notifier, kvm_notify_irqfd_resampler", () => {
  it("setIrq receives lineStatus true only from KVM_IRQ_LINE_STATUS", () => {
    const log: Array<boolean | undefined> = [];
    const { vm, routing } = createRoutingTestVm({ arch: "riscv64", chip: false });
    vm.irqchips.register(statusChip(log));
    routing.setGsiRouting([irqchipRoute(3, 0, 3)]);
    routing.irqLine(3, 1);
    routing.irqLineStatus(3, 1);
    routing.irqLineIoctl(encodeIrqLevel({ irq: 3, level: 1 }, "le"));
    routing.irqLineStatusIoctl(encodeIrqLevel({ irq: 3, level: 0 }, "le"));
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 3 });
    efd.write(1);
    expect(log).toEqual([false, true, false, true, false, false]);
  });

  it("hasAckNotifier and notifyResampler follow the reverse map and the resamplers", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "riscv64" });
    routing.setGsiRouting([irqchipRoute(7, 0, 5)]);
    expect(routing.hasAckNotifier(0, 5)).toBe(false);
    expect(routing.notifyResampler(0, 5)).toBe(false);
    const efd = EventFd.create();
    const rfd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 7, flags: 2, resamplefd: rfd });
    expect(routing.hasAckNotifier(0, 5)).toBe(true);
    expect(routing.hasAckNotifier(0, 6)).toBe(false);
    efd.write(1);
    const calls = chip.calls.length;
    expect(routing.notifyResampler(0, 5)).toBe(true);
    expect(rfd.counter).toBe(1);
    // No de-assert: the chip saw nothing new.
    expect(chip.calls.length).toBe(calls);
    expect(routing.notifyResampler(0, 6)).toBe(false);
  });
});
