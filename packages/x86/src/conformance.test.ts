import { Errno } from "@irqlab/core";
import { describeControllerConformance } from "@irqlab/testkit";
import { KVM_CREATE_IRQCHIP } from "./constants.js";
import { x86KernelIrqchipModule, x86Module } from "./module.js";

for (const [driverId, name] of [["x86", "x86"], ["x86-apicv", "x86 APICv"]] as const) {
  describeControllerConformance({
    name,
    module: x86Module(),
    arch: "x86_64",
    createController: (vm) => void vm.ioctl(KVM_CREATE_IRQCHIP),
    controllerVcpus: 0,
    driverModule: x86KernelIrqchipModule,
    secondInstanceErrno: Errno.EEXIST,
    secondInstanceTag: "[x86-1]",
    survivesClose: true,
    driverId,
    ipis: true,
    levelResample: true,
    targeted: true,
  });
}
