/**
 * MPIC (v2.0 and v4.2) as the testkit fuzzer sees it (FuzzTargets of @irqlab/testkit, written
 * structurally: no dependency on the testkit): attribute groups and save/restore. Trapped
 * MMIO regions, ONE_REG and routing are discovered from the VM.
 */
import { GuestDriverContribution, KVM_DEV_TYPE_FSL_MPIC_20, KVM_DEV_TYPE_FSL_MPIC_42, type DeviceHandle, type Vm } from "@irqlab/core";
import { KVM_DEV_MPIC_GRP_IRQ_ACTIVE, KVM_DEV_MPIC_GRP_MISC, KVM_DEV_MPIC_GRP_REGISTER } from "./constants.js";
import { mpicModule } from "./module.js";
import { restoreMpicState, saveMpicState, type MpicSnapshot } from "./snapshot.js";

function target(name: string, deviceType: number, driverId: string) {
  return {
    name,
    module: mpicModule,
    arch: "ppc-booke" as const,
    deviceType,
    driverId,
    attrGroups: [
      { group: KVM_DEV_MPIC_GRP_MISC, attrs: [0, 2] as const, size: 8 },
      { group: KVM_DEV_MPIC_GRP_REGISTER, attrs: [0, 0x40000] as const, size: 4 },
      { group: KVM_DEV_MPIC_GRP_IRQ_ACTIVE, attrs: [0, 260] as const, size: 4 },
    ],
    snapshot: {
      save: (_vm: Vm, h: DeviceHandle) => saveMpicState(h, { allowInService: true }),
      // The destination MPIC is created and its vCPUs connected the way the guest driver does.
      prepare: (vm: Vm) => vm.getAll<GuestDriverContribution>(GuestDriverContribution).find((c) => c.id === driverId)!.attach(vm).controller,
      restore: (_vm: Vm, h: DeviceHandle | null, s: unknown) => {
        restoreMpicState(h!, s as MpicSnapshot);
        return h!;
      },
    },
    importLine: `import { ${deviceType === KVM_DEV_TYPE_FSL_MPIC_20 ? "mpic20FuzzTarget" : "mpic42FuzzTarget"} as target } from "@irqlab/mpic";`,
  };
}

export const mpic20FuzzTarget = target("MPIC 2.0", KVM_DEV_TYPE_FSL_MPIC_20, "mpic-2.0");
export const mpic42FuzzTarget = target("MPIC 4.2", KVM_DEV_TYPE_FSL_MPIC_42, "mpic-4.2");
