import { describe, expect, it } from "vitest";
import { createVm, Errno, KVM_CAP_IRQ_MPIC, KVM_DEV_TYPE_VFIO, KVM_CAP_IRQ_XICS, Process, OpenFile, FileHandle } from "@irqlab/core";
import mpicModule from "./module.js";
import { expectErrno, fixture, vfioLikeModule } from "./__tests__/helpers.js";
import { MpicVcpuState } from "./device.js";
import { KVM_REG_PPC_EPR } from "./constants.js";

describe("KVM_ENABLE_CAP(KVM_CAP_IRQ_MPIC)", () => {
  it("[devapi-18] flags != 0 fails with EINVAL and attaches nothing", () => {
    const f = fixture({ vcpus: 1 });
    expectErrno(() => f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [f.h, 0], 1), Errno.EINVAL);
    expect(f.vm.vcpus[0].irqchipKind).toBeNull();
    expect(f.dev.pic.nbCpus).toBe(0);
  });

  it("[devapi-19] args[0] not an open descriptor is EBADF; a non-device descriptor is EPERM", () => {
    const f = fixture({ vcpus: 1 });
    const v = f.vm.vcpus[0];
    expectErrno(() => v.enableCap(KVM_CAP_IRQ_MPIC, [999, 0]), Errno.EBADF);
    expectErrno(() => v.enableCap(KVM_CAP_IRQ_MPIC, [-1, 0]), Errno.EBADF);
    const dup = f.h.dup();
    dup.close();
    expectErrno(() => v.enableCap(KVM_CAP_IRQ_MPIC, [dup, 0]), Errno.EBADF);
    // an open descriptor that is not a KVM device (an eventfd-like file)
    class EventFile extends OpenFile {
      readonly kind = "eventfd";
    }
    const other = Process.current().install(new EventFile(), (p, fd, file) => new FileHandle(p, fd, file));
    expectErrno(() => v.enableCap(KVM_CAP_IRQ_MPIC, [other.fd, 0]), Errno.EPERM);
    expectErrno(() => v.enableCap(KVM_CAP_IRQ_MPIC, [other, 0]), Errno.EPERM);
    other.close();
    expect(v.irqchipKind).toBeNull();
  });

  it("[devapi-20] the descriptor of a non-MPIC device (VFIO-like, type 4) is EPERM", () => {
    const f = fixture({ vcpus: 1, extraModules: [vfioLikeModule] });
    const vfio = f.vm.createDevice(KVM_DEV_TYPE_VFIO);
    expectErrno(() => vfio.getAttr({ group: 1, attr: 0, addr: new Uint8Array(8) }), Errno.EPERM);
    expectErrno(() => f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [vfio, 0]), Errno.EPERM);
    expect(f.vm.vcpus[0].irqchipKind).toBeNull();
    f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [f.h, 0]);
    expect(f.vm.vcpus[0].irqchipKind).toBe("mpic");
  });

  it("[devapi-21] MPIC CPU 32 is EPERM; 31 succeeds on a fresh vCPU", () => {
    const f = fixture({ vcpus: 2 });
    expectErrno(() => f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [f.h, 32]), Errno.EPERM);
    expectErrno(() => f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [f.h, -1]), Errno.EPERM);
    // only the low 32 bits count: 2^32 + 1 is CPU 1
    f.vm.vcpus[1].enableCap(KVM_CAP_IRQ_MPIC, [f.h, 0x100000001n]);
    expect(f.vm.vcpus[1].irqchipCpu).toBe(1);
    f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [f.h, 31]);
    expect(f.vm.vcpus[0].irqchipCpu).toBe(31);
    expect(f.dev.pic.nbCpus).toBe(32);
    expect(f.get(0x1000)).toBe(0x00c31f02);
  });

  it("[devapi-22] two vCPUs on the same MPIC CPU number: the second fails with EEXIST", () => {
    const f = fixture({ vcpus: 2 });
    f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [f.h, 5]);
    expectErrno(() => f.vm.vcpus[1].enableCap(KVM_CAP_IRQ_MPIC, [f.h, 5]), Errno.EEXIST);
    expect(f.vm.vcpus[1].irqchipKind).toBeNull();
    expect(f.dev.pic.vcpus[5]).toBe(f.vm.vcpus[0]);
  });

  it("[devapi-23] the same vCPU twice (another CPU number) fails with EBUSY; EEXIST is checked first", () => {
    const f = fixture({ vcpus: 2 });
    f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [f.h, 0]);
    expectErrno(() => f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [f.h, 1]), Errno.EBUSY);
    expect(f.dev.pic.vcpus[1]).toBeNull();
    expect(f.dev.pic.nbCpus).toBe(1);
    expectErrno(() => f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [f.h, 0]), Errno.EEXIST);
  });

  it("[devapi-24] a vCPU of VM A with the MPIC of VM B fails with EPERM", () => {
    const a = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mpicModule] });
    const b = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mpicModule] });
    a.createDevice(2);
    const hb = b.createDevice(2);
    expectErrno(() => a.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [hb, 0]), Errno.EPERM);
    expect(a.vcpus[0].irqchipKind).toBeNull();
  });

  it("connect records the MPIC CPU; the VM reports KVM_CAP_IRQ_MPIC = 1 and no XICS cap on e500", () => {
    const f = fixture({ vcpus: 1 });
    expect(f.vm.checkExtension(KVM_CAP_IRQ_MPIC)).toBe(1);
    expectErrno(() => f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_XICS, [f.h, 0]), Errno.EINVAL);
    f.vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [f.h, 3]);
    const st = f.vm.vcpus[0].irqchipState as MpicVcpuState;
    expect(st).toBeInstanceOf(MpicVcpuState);
    expect(st.cpu).toBe(3);
    expect(f.dev.pic.nbCpus).toBe(4);
    expect(f.vm.vcpus[0].getOneRegU64(KVM_REG_PPC_EPR)).toBe(0n);
  });

  it("the MPIC is not offered on ppc64 or s390x", () => {
    for (const arch of ["ppc64", "s390x"] as const) {
      const vm = createVm({ arch, vcpus: 1, modules: [mpicModule] });
      expectErrno(() => vm.createDevice(1), Errno.ENODEV);
      expect(vm.checkExtension(KVM_CAP_IRQ_MPIC)).toBe(0);
    }
  });
});
