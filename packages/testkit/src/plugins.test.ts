// The generic conformance suite run over every controller plugin in the repository.
import { Errno, KVM_DEV_TYPE_FLIC, KVM_DEV_TYPE_FSL_MPIC_20, KVM_DEV_TYPE_FSL_MPIC_42, KVM_DEV_TYPE_XICS, KVM_DEV_TYPE_XIVE } from "@irqlab/core";
import xicsModule from "@irqlab/xics";
import xiveModule, { xicsOnXiveModule } from "@irqlab/xive";
import mpicModule from "@irqlab/mpic";
import flicModule from "@irqlab/flic";
import { describeControllerConformance } from "./index.js";

describeControllerConformance({
  name: "XICS",
  module: xicsModule,
  arch: "ppc64",
  deviceType: KVM_DEV_TYPE_XICS,
  secondInstanceErrno: Errno.EEXIST,
  survivesClose: false,
  driverId: "xics",
  ipis: true,
  levelResample: true,
  redeliversLevelBeforeAck: true,
  targeted: true,
});

describeControllerConformance({
  name: "XIVE native",
  module: xiveModule,
  arch: "ppc64",
  deviceType: KVM_DEV_TYPE_XIVE,
  secondInstanceErrno: Errno.EEXIST,
  survivesClose: false,
  driverId: "xive",
  ipis: true,
  // Native XIVE runs no ack notifiers: the guest's ESB EOI never reaches KVM.
  levelResample: false,
  targeted: true,
});

describeControllerConformance({
  name: "XICS on XIVE",
  module: xicsOnXiveModule,
  arch: "ppc64",
  deviceType: KVM_DEV_TYPE_XICS,
  // kvm->arch.xive is taken: kvmppc_xive_create answers EEXIST.
  secondInstanceErrno: Errno.EEXIST,
  // kvm_xive_ops has .release: closing the descriptor removes the device.
  survivesClose: false,
  driverId: "xics-on-xive",
  ipis: true,
  // H_EOI never calls kvm_notify_acked_irq on this backend: no resample (xics-on-xive.md §5).
  levelResample: false,
  targeted: true,
});

describeControllerConformance({
  name: "MPIC 4.2",
  module: mpicModule,
  arch: "ppc-booke",
  deviceType: KVM_DEV_TYPE_FSL_MPIC_42,
  secondInstanceErrno: Errno.EINVAL,
  secondInstanceTag: "[devapi-9]",
  survivesClose: true,
  driverId: "mpic-4.2",
  ipis: true,
  levelResample: true,
  targeted: true,
});

describeControllerConformance({
  name: "MPIC 2.0",
  module: mpicModule,
  arch: "ppc-booke",
  deviceType: KVM_DEV_TYPE_FSL_MPIC_20,
  secondInstanceErrno: Errno.EINVAL,
  secondInstanceTag: "[devapi-9]",
  survivesClose: true,
  driverId: "mpic-2.0",
  ipis: true,
  levelResample: true,
  targeted: true,
});

describeControllerConformance({
  name: "FLIC",
  module: flicModule,
  arch: "s390x",
  deviceType: KVM_DEV_TYPE_FLIC,
  secondInstanceErrno: Errno.EINVAL,
  secondInstanceTag: "[devapi-10]",
  survivesClose: true,
  driverId: "flic",
  ipis: true,
  levelResample: false,
  targeted: false,
});
