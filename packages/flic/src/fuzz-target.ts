/**
 * The FLIC as the testkit fuzzer sees it (a FuzzTarget of @irqlab/testkit, written
 * structurally: no dependency on the testkit): its attribute groups and save/restore. Adapter
 * routes, irqfds and the routing table are fuzzed through routing's entry points.
 */
import { GuestDriverContribution, KVM_DEV_TYPE_FLIC, type DeviceHandle, type Vm } from "@irqlab/core";
import { KVM_DEV_FLIC_AIRQ_INJECT, KVM_DEV_FLIC_GET_ALL_IRQS } from "./constants.js";
import flicModule from "./module.js";
import { restoreFlic, saveFlic, type FlicSnapshot } from "./snapshot.js";

export const flicFuzzTarget = {
  name: "FLIC",
  module: flicModule,
  arch: "s390x" as const,
  deviceType: KVM_DEV_TYPE_FLIC,
  driverId: "flic",
  attrGroups: [
    { group: KVM_DEV_FLIC_GET_ALL_IRQS, attrs: [0, 4096] as const, size: 16 * 4 },
    ...Array.from({ length: KVM_DEV_FLIC_AIRQ_INJECT + 1 - 2 }, (_, i) => ({ group: i + 2, attrs: [0, 16] as const, size: 16 })),
  ],
  snapshot: {
    save: (_vm: Vm, h: DeviceHandle) => saveFlic(h),
    prepare: (vm: Vm) => vm.getAll<GuestDriverContribution>(GuestDriverContribution).find((c) => c.id === "flic")!.attach(vm).controller,
    restore: (_vm: Vm, h: DeviceHandle | null, s: unknown) => {
      restoreFlic(h!, s as FlicSnapshot);
      return h!;
    },
  },
  importLine: `import { flicFuzzTarget as target } from "@irqlab/flic";`,
};
