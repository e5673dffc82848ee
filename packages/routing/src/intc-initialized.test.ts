import { describe, expect, it } from "vitest";
import { ContainerModule, Errno, errnoOf, type Vm } from "@irqlab/core";
import { ArchRoutingContribution, genericArchProfile, type ArchProfile } from "./arch-profile.js";
import { EventFd } from "./eventfd.js";
import { createRoutingTestVm } from "./testing/fixtures.js";

/** A profile whose controller must be "initialised" before irqfds (arm64's vgic_initialized). */
function gated(state: { ready: boolean; asked: Vm[] }): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<ArchRoutingContribution>(ArchRoutingContribution).toConstantValue({
      arch: "arm64",
      profile: (strict): ArchProfile => ({
        ...genericArchProfile("arm64", strict),
        intcInitialized: (vm: Vm) => {
          state.asked.push(vm);
          return state.ready;
        },
      }),
    });
  });
}

describe("ArchProfile.intcInitialized (kvm_arch_intc_initialized)", () => {
  it("KVM_IRQFD is EAGAIN while the profile says no, and assigns once it says yes", () => {
    const state = { ready: false, asked: [] as Vm[] };
    const { vm, routing } = createRoutingTestVm({ arch: "arm64", modules: [gated(state)] });
    const efd = EventFd.create();
    expect(errnoOf(() => routing.irqfd({ fd: efd, gsi: 3 }))).toBe(Errno.EAGAIN);
    expect(routing.irqfds()).toHaveLength(0);
    expect(state.asked).toEqual([vm]);
    state.ready = true;
    expect(routing.irqfd({ fd: efd, gsi: 3 })).toBe(0);
    expect(routing.irqfds()).toHaveLength(1);
  });

  it("without the hook a registered chip is enough (the generic rule)", () => {
    const { routing } = createRoutingTestVm({ arch: "riscv64" });
    expect(routing.irqfd({ fd: EventFd.create(), gsi: 3 })).toBe(0);
  });
});
