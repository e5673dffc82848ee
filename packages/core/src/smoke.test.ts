import { describe, expect, it } from "vitest";
import { ContainerModule } from "inversify";
import { createVm, DeviceContribution, KvmError, Errno, KVM_DEV_TYPE_FLIC } from "./index.js";

describe("smoke", () => {
  it("creates a VM with a test plugin", () => {
    const mod = new ContainerModule(({ bind }) => {
      bind<DeviceContribution>(DeviceContribution).toConstantValue({
        name: "kvm-test", types: [KVM_DEV_TYPE_FLIC], arch: ["s390x"], create: () => ({ getAttr: () => 7 }),
      });
    });
    const vm = createVm({ arch: "s390x", vcpus: 2, modules: [mod] });
    const d = vm.createDevice(KVM_DEV_TYPE_FLIC);
    expect(d.getAttr({ group: 1, attr: 0 })).toBe(7);
    expect(() => d.setAttr({ group: 1, attr: 0 })).toThrow(KvmError);
    try { d.setAttr({ group: 1, attr: 0 }); } catch (e) { expect(KvmError.is(e, Errno.EPERM)).toBe(true); }
  });
});
