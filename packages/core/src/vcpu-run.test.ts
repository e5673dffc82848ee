import { describe, expect, it } from "vitest";
import { createVm } from "./create-vm.js";
import { Errno, errnoOf, fail } from "./kvm-error.js";
import { onVcpuRun, runVcpu, vcpuHasRun } from "./vcpu-run.js";

describe("KVM_RUN hooks (onVcpuRun / runVcpu / vcpuHasRun)", () => {
  it("hooks run in order with `first`, and a vCPU counts as run once KVM_RUN succeeded", () => {
    const vm = createVm({ arch: "arm64", vcpus: 2 });
    const log: string[] = [];
    onVcpuRun(vm, (v, first) => log.push(`a${v.id}${first ? "!" : ""}`));
    const off = onVcpuRun(vm, (v) => log.push(`b${v.id}`));
    expect(vcpuHasRun(vm)).toBe(false);
    runVcpu(vm.vcpus[1]);
    runVcpu(vm.vcpus[1]);
    off();
    runVcpu(vm.vcpus[0]);
    expect(log).toEqual(["a1!", "b1", "a1", "b1", "a0!"]);
    expect(vcpuHasRun(vm)).toBe(true);
    expect(vcpuHasRun(vm, vm.vcpus[0])).toBe(true);
  });

  it("a hook's KvmError is KVM_RUN's errno and the vCPU has not run", () => {
    const vm = createVm({ arch: "arm64", vcpus: 1 });
    let refuse = true;
    onVcpuRun(vm, () => {
      if (refuse) fail(Errno.ENXIO, "not ready");
    });
    expect(errnoOf(() => runVcpu(vm.vcpus[0]))).toBe(Errno.ENXIO);
    expect(vcpuHasRun(vm)).toBe(false);
    refuse = false;
    runVcpu(vm.vcpus[0]);
    expect(vcpuHasRun(vm, vm.vcpus[0])).toBe(true);
  });

  it("a destroyed VM answers EIO", () => {
    const vm = createVm({ arch: "arm64", vcpus: 1 });
    vm.destroy();
    expect(errnoOf(() => runVcpu(vm.vcpus[0]))).toBe(Errno.EIO);
  });
});
