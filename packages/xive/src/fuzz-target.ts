/**
 * Native XIVE and XICS-on-XIVE as the testkit fuzzer sees them (FuzzTargets of
 * @irqlab/testkit, written structurally: no dependency on the testkit): attribute groups,
 * the TIMA and ESB pages (a SIGBUS on a page is the documented guest-visible fault), and
 * save/restore. Hcalls, RTAS, ONE_REG and routing are discovered from the VM.
 */
import { KVM_DEV_TYPE_XICS, KVM_DEV_TYPE_XIVE, type DeviceHandle, type Vm } from "@irqlab/core";
import { KVM_DEV_XICS_GRP_CTRL, KVM_DEV_XICS_GRP_SOURCES } from "@irqlab/xics";
import {
  KVM_DEV_XIVE_GRP_CTRL,
  KVM_DEV_XIVE_GRP_EQ_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE,
  KVM_DEV_XIVE_GRP_SOURCE_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE_SYNC,
  KVM_XIVE_ESB_PAGE_OFFSET,
  KVM_XIVE_TIMA_PAGE_OFFSET,
  XIVE_PAGE_SIZE,
} from "./constants.js";
import { xiveModule } from "./module.js";
import { xicsOnXiveModule } from "./xics-on-xive/module.js";
import { restoreXive, resumeXive, saveXive, type XiveSnapshot } from "./snapshot.js";
import { XiveSigbus } from "./xive.js";

const isFault = (e: unknown) => e instanceof XiveSigbus;

export const xiveFuzzTarget = {
  name: "XIVE native",
  module: xiveModule,
  arch: "ppc64" as const,
  deviceType: KVM_DEV_TYPE_XIVE,
  driverId: "xive",
  attrGroups: [
    { group: KVM_DEV_XIVE_GRP_CTRL, attrs: [0, 4] as const, size: 4 },
    { group: KVM_DEV_XIVE_GRP_SOURCE, attrs: [0, 0x1100] as const, size: 8 },
    { group: KVM_DEV_XIVE_GRP_SOURCE_CONFIG, attrs: [0, 0x1100] as const, size: 8 },
    { group: KVM_DEV_XIVE_GRP_EQ_CONFIG, attrs: [0, 0x40] as const, size: 64 },
    { group: KVM_DEV_XIVE_GRP_SOURCE_SYNC, attrs: [0, 0x1100] as const, size: 8 },
  ],
  pages: [
    { offset: KVM_XIVE_TIMA_PAGE_OFFSET * XIVE_PAGE_SIZE, size: 4 * XIVE_PAGE_SIZE },
    { offset: KVM_XIVE_ESB_PAGE_OFFSET * XIVE_PAGE_SIZE, size: 2 * XIVE_PAGE_SIZE * 0x1100 },
  ],
  isFault,
  // KVM quirk: kvmppc_xive_native_set_source creates the source block before it reads the
  // value, so a refused SOURCE set may leave an empty block behind.
  dumpQuirks: [/ in \d+ block\(s\)/g],
  snapshot: {
    save: (vm: Vm, h: DeviceHandle) => {
      const s = saveXive(vm, h);
      resumeXive(h, s);
      return s;
    },
    prepare: (vm: Vm) => vm.createDevice(KVM_DEV_TYPE_XIVE),
    restore: (vm: Vm, h: DeviceHandle | null, s: unknown) => {
      restoreXive(vm, h!, s as XiveSnapshot);
      return h!;
    },
    resume: (_vm: Vm, h: DeviceHandle, s: unknown) => resumeXive(h, s as XiveSnapshot),
  },
  importLine: `import { xiveFuzzTarget as target } from "@irqlab/xive";`,
};

export const xicsOnXiveFuzzTarget = {
  name: "XICS on XIVE",
  module: xicsOnXiveModule,
  arch: "ppc64" as const,
  deviceType: KVM_DEV_TYPE_XICS,
  driverId: "xics-on-xive",
  attrGroups: [
    { group: KVM_DEV_XICS_GRP_SOURCES, attrs: [0, 0x1100] as const, size: 8 },
    { group: KVM_DEV_XICS_GRP_CTRL, attrs: [0, 2] as const, size: 4 },
  ],
  pages: [{ offset: 0, size: 2 * XIVE_PAGE_SIZE * 0x1100 }],
  isFault,
  // KVM quirks: xive_set_source creates the source block before it reads the word, and
  // xive_get_source runs the pre-save scan (old P/Q) before it copies the word out.
  dumpQuirks: [/ in \d+ blocks/g, / old P?Q?/g],
  importLine: `import { xicsOnXiveFuzzTarget as target } from "@irqlab/xive";`,
};
