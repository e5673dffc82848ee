/**
 * XICS as the testkit fuzzer sees it (a FuzzTarget of @irqlab/testkit, written structurally so
 * this package does not depend on the testkit): the attribute groups, and save/restore.
 * Hcalls, RTAS calls, ONE_REG and routing are discovered from the VM. Extend it by spreading:
 * `fuzzController({ ...xicsFuzzTarget, entries: { mine: ... } }, { ops, seed })`.
 */
import { KVM_DEV_TYPE_XICS, type DeviceHandle, type Vm } from "@irqlab/core";
import { KVM_DEV_XICS_GRP_CTRL, KVM_DEV_XICS_GRP_SOURCES, KVM_DEV_XICS_NR_SERVERS } from "./constants.js";
import { xicsModule } from "./module.js";
import { restoreXics, saveXics, type XicsSnapshot } from "./snapshot.js";

export const xicsFuzzTarget = {
  name: "XICS",
  module: xicsModule,
  arch: "ppc64" as const,
  deviceType: KVM_DEV_TYPE_XICS,
  driverId: "xics",
  attrGroups: [
    { group: KVM_DEV_XICS_GRP_SOURCES, attrs: [0, 0x1100] as const, size: 8 },
    { group: KVM_DEV_XICS_GRP_CTRL, attrs: [KVM_DEV_XICS_NR_SERVERS, KVM_DEV_XICS_NR_SERVERS + 1] as const, size: 4 },
  ],
  // KVM quirk (device.test.ts): xics_set_source allocates the ICS block before it reads or
  // checks the word, so a refused SOURCES set may leave an empty block behind.
  dumpQuirks: [/, \d+ ICS block\(s\)/g, /\n  ICS block \d+ \(0x[0-9a-f]+\.\.0x[0-9a-f]+\)(?=\n {0,3}\S|$)/g],
  snapshot: {
    save: (vm: Vm, h: DeviceHandle) => saveXics(vm, h),
    restore: (vm: Vm, _h: DeviceHandle | null, s: unknown) => restoreXics(vm, s as XicsSnapshot),
    // KVM's source and ICP words cannot carry every reachable state (snapshot.test.ts, "KVM
    // limits"): an accepted snapshot restores to a fixed point instead of to itself.
    exact: false,
  },
  importLine: `import { xicsFuzzTarget as target } from "@irqlab/xics";`,
};
