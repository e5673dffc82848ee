import { describe, expect, it } from "vitest";
import { ContainerModule, Errno, KvmError, errnoOf, KVM_CAP_IRQ_ROUTING, KVM_IRQ_ROUTING_IRQCHIP, type Vm } from "@irqlab/core";
import { ArchRoutingContribution, genericArchProfile, type ArchProfile } from "./arch-profile.js";
import { createRoutingTestVm, irqchipRoute } from "./testing/fixtures.js";

/** An arm64-like profile: KVM_IRQ_LINE's irq packs type (bits 24..27) and id (bits 0..15). */
function armLike(log: string[]): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<ArchRoutingContribution>(ArchRoutingContribution).toConstantValue({
      arch: "arm64",
      profile: (strict): ArchProfile => ({
        ...genericArchProfile("arm64", strict),
        routeTypes: [KVM_IRQ_ROUTING_IRQCHIP],
        extensions: { [KVM_CAP_IRQ_ROUTING]: 4096 },
        decodeIrqLine: (_vm: Vm, irq: number, level: number) => {
          const type = (irq >>> 24) & 0xf;
          if (type === 3) throw new KvmError(Errno.EINVAL, "type 3");
          if (type === 1) {
            log.push(`ppi ${irq & 0xffff} ${level}`);
            return 1;
          }
          return undefined; // type 0: the value is a GSI
        },
      }),
    });
  });
}

describe("architecture routing profiles contributed by plugins", () => {
  it("an architecture without a contribution gets the generic asm-generic profile", () => {
    const { routing } = createRoutingTestVm({ arch: "riscv64" });
    expect(routing.profile.routingIoctl).toBe(true);
    expect(routing.profile.defaultTable).toBe("empty");
    expect(routing.getGsiRouting()).toEqual([]);
  });

  it("a contributed profile replaces the generic one: its capabilities, route types and KVM_IRQ_LINE decoder", () => {
    const log: string[] = [];
    const { vm, routing, chip } = createRoutingTestVm({ arch: "arm64", modules: [armLike(log)] });
    expect(vm.checkExtension(KVM_CAP_IRQ_ROUTING)).toBe(4096);
    // Decoder handles the line itself: nothing reaches the chip through routing.
    expect(routing.irqLineStatus((1 << 24) | 27, 1)).toBe(1);
    expect(log).toEqual(["ppi 27 1"]);
    expect(chip.irqCalls).toBe(0);
    // Decoder refuses: the errno is the call's, nothing injected.
    expect(errnoOf(() => routing.irqLine((3 << 24) | 5, 1))).toBe(Errno.EINVAL);
    expect(chip.irqCalls).toBe(0);
    // undefined: the value goes through the table as a GSI.
    routing.setGsiRouting([irqchipRoute(40, 0, 40)]);
    routing.irqLineStatus(40, 1);
    expect(chip.calls.at(-1)).toMatchObject({ kind: "irq", pin: 40, level: 1 });
  });

  it("two plugins contributing one architecture's profile is EEXIST", () => {
    expect(errnoOf(() => createRoutingTestVm({ arch: "arm64", modules: [armLike([]), armLike([])] }))).toBe(Errno.EEXIST);
  });

  it("routingNeedsIrqchip: KVM_SET_GSI_ROUTING is EINVAL until a controller is registered (kvm_arch_can_set_irq_routing)", () => {
    const needs = new ContainerModule(({ bind }) => {
      bind<ArchRoutingContribution>(ArchRoutingContribution).toConstantValue({
        arch: "arm64",
        profile: (strict): ArchProfile => ({ ...genericArchProfile("arm64", strict), routingNeedsIrqchip: true }),
      });
    });
    const bare = createRoutingTestVm({ arch: "arm64", modules: [needs], chip: false });
    expect(errnoOf(() => bare.routing.setGsiRouting([]))).toBe(Errno.EINVAL);
    expect(bare.routing.counters().tableRejects).toBe(1);
    const withChip = createRoutingTestVm({ arch: "arm64", modules: [needs] });
    expect(withChip.routing.setGsiRouting([irqchipRoute(3, 0, 3)])).toBe(0);
    // The generic profile leaves it open.
    expect(createRoutingTestVm({ arch: "arm64", chip: false }).routing.setGsiRouting([])).toBe(0);
  });
});
