// The shared controller conformance suite (@irqlab/testkit) on the GICv3 plugin.
import { Errno } from "@irqlab/core";
import { describeControllerConformance } from "@irqlab/testkit";
import gicModule from "./module.js";
import { KVM_DEV_TYPE_ARM_VGIC_V3 } from "./constants.js";

for (const driverId of ["gicv3", "gicv3-trapped"]) {
  describeControllerConformance({
    name: driverId === "gicv3" ? "GICv3 + ITS" : "GICv3 + ITS (trapped CPU interface)",
    module: gicModule,
    arch: "arm64",
    deviceType: KVM_DEV_TYPE_ARM_VGIC_V3,
    secondInstanceErrno: Errno.EEXIST,
    secondInstanceTag: driverId === "gicv3" ? "[gic-1]" : undefined,
    // kvm_arm_vgic_v3_ops has destroy but no release.
    survivesClose: true,
    driverId,
    ipis: true,
    levelResample: true,
    targeted: true,
  });
}
