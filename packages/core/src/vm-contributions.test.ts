import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ContainerModule } from "inversify";
import {
  createVm,
  errnoOf,
  Errno,
  KvmError,
  UapiView,
  VmContribution,
  DeviceContribution,
  type Sysreg,
  type Vcpu,
} from "./index.js";

const KVM_CREATE_THING = 0xae60;
const KVM_GET_THING = 0x8208ae62;
const KVM_VCPU_THING = 0x8400ae8e;
const CAP_THING = 123;

/** A VM-level plugin with one VM ioctl, one vCPU ioctl, one VM capability and a port. */
function thingPlugin(log: string[], name = "thing", arch: "x86_64" | "arm64" = "x86_64") {
  let created = false;
  let enabled: bigint[] | null = null;
  return new ContainerModule(({ bind }) => {
    bind<VmContribution>(VmContribution).toConstantValue({
      name,
      arch: [arch],
      extensions: { [CAP_THING]: 7 },
      vmIoctls: [
        {
          cmd: KVM_CREATE_THING,
          name: "KVM_CREATE_THING",
          handle: () => {
            if (created) throw new KvmError(Errno.EEXIST, "already");
            created = true;
            return 0;
          },
        },
        {
          cmd: KVM_GET_THING,
          name: "KVM_GET_THING",
          handle: (vm, arg) => {
            const v = new UapiView(arg, 8, vm.endian, "thing");
            v.setU32(0, created ? 1 : 0);
            v.setU32(4, enabled ? Number(enabled[0]) : 0);
            return 0;
          },
        },
      ],
      vcpuIoctls: [{ cmd: KVM_VCPU_THING, name: "KVM_VCPU_THING", handle: (vcpu) => vcpu.id + 40 }],
      vmCaps: [
        {
          cap: CAP_THING,
          name: "KVM_CAP_THING",
          enable: (_vm, args, flags) => {
            if (flags !== 0) throw new KvmError(Errno.EINVAL, "flags");
            enabled = [...args];
          },
        },
      ],
      attach: (vm) => {
        log.push(`attach ${vm.arch}`);
        vm.pio.map(0x20, 2, {
          read: (off, _size, vcpu) => 0x50 + off + (vcpu ? vcpu.id << 4 : 0),
          write: (off, _size, value) => void log.push(`out ${off}=${value}`),
        }, name);
      },
    });
  });
}

describe("VM contributions (VM ioctls, vCPU ioctls, VM capabilities, I/O ports)", () => {
  it("dispatches a contributed VM ioctl on its UAPI buffer; others are ENOTTY", () => {
    const log: string[] = [];
    const vm = createVm({ arch: "x86_64", vcpus: 2, modules: [thingPlugin(log)] });
    expect(log).toEqual(["attach x86_64"]);
    expect(vm.ioctl(KVM_CREATE_THING)).toBe(0);
    expect(errnoOf(() => vm.ioctl(KVM_CREATE_THING))).toBe(Errno.EEXIST);
    const buf = new Uint8Array(8);
    expect(errnoOf(() => vm.ioctl(KVM_GET_THING, new Uint8Array(4)))).toBe(Errno.EFAULT);
    vm.ioctl(KVM_GET_THING, buf);
    expect(new DataView(buf.buffer).getUint32(0, true)).toBe(1);
    expect(errnoOf(() => vm.ioctl(0xae99))).toBe(Errno.ENOTTY);
    expect(errnoOf(() => vm.ioctl(1.5))).toBe(Errno.ENOTTY);
    expect(vm.checkExtension(CAP_THING)).toBe(7);
  });

  it("KVM_ENABLE_CAP on the VM: contributed handler gets the four u64 words; unknown is EINVAL", () => {
    const vm = createVm({ arch: "x86_64", modules: [thingPlugin([])] });
    expect(errnoOf(() => vm.enableCap(999))).toBe(Errno.EINVAL);
    expect(errnoOf(() => vm.enableCap(CAP_THING, [1.5]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => vm.enableCap(CAP_THING, [], 1))).toBe(Errno.EINVAL);
    vm.enableCap(CAP_THING, [24n, 2]);
    const buf = new Uint8Array(8);
    vm.ioctl(KVM_GET_THING, buf);
    expect(new DataView(buf.buffer).getUint32(4, true)).toBe(24);
  });

  it("vCPU ioctls dispatch per vCPU; unknown is ENOTTY; destroyed VM is EIO", () => {
    const vm = createVm({ arch: "x86_64", vcpus: 2, modules: [thingPlugin([])] });
    expect(vm.vcpus[1].ioctl(KVM_VCPU_THING)).toBe(41);
    expect(errnoOf(() => vm.vcpus[0].ioctl(0x1234))).toBe(Errno.ENOTTY);
    vm.destroy();
    expect(errnoOf(() => vm.vcpus[0].ioctl(KVM_VCPU_THING))).toBe(Errno.EIO);
    expect(errnoOf(() => vm.ioctl(KVM_CREATE_THING))).toBe(Errno.EIO);
  });

  it("contributions of another architecture are not loaded", () => {
    const log: string[] = [];
    const vm = createVm({ arch: "arm64", modules: [thingPlugin(log)] });
    expect(log).toEqual([]);
    expect(errnoOf(() => vm.ioctl(KVM_CREATE_THING))).toBe(Errno.ENOTTY);
  });

  it("one ioctl claimed by two plugins is EEXIST at VM creation, as device types are", () => {
    expect(errnoOf(() => createVm({ arch: "x86_64", modules: [thingPlugin([], "a"), thingPlugin([], "b")] }))).toBe(Errno.EEXIST);
    // A device contribution may carry the same parts.
    const dev = new ContainerModule(({ bind }) => {
      bind<DeviceContribution>(DeviceContribution).toConstantValue({
        name: "dev",
        types: [5],
        arch: ["x86_64"],
        create: () => ({}),
        vmIoctls: [{ cmd: KVM_CREATE_THING, name: "X", handle: () => 9 }],
      });
    });
    expect(createVm({ arch: "x86_64", modules: [dev] }).ioctl(KVM_CREATE_THING)).toBe(9);
    expect(errnoOf(() => createVm({ arch: "x86_64", modules: [dev, thingPlugin([])] }))).toBe(Errno.EEXIST);
  });

  it("port I/O goes to vm.pio, sees the vCPU, and counts as exits (not MMIO)", () => {
    const log: string[] = [];
    const vm = createVm({ arch: "x86_64", vcpus: 2, modules: [thingPlugin(log)] });
    expect(vm.vcpus[1].pioRead(0x21, 1)).toBe(0x51 + 0x10);
    vm.vcpus[0].pioWrite(0x20, 1, 0x11);
    expect(log).toContain("out 0=17");
    // An unclaimed port floats high.
    expect(vm.vcpus[0].pioRead(0x80, 1)).toBe(0xff);
    const s = vm.exitStats.snapshot();
    expect(s.pioReads).toBe(2);
    expect(s.pioWrites).toBe(1);
    expect(s.mmioReads).toBe(0);
    expect(s.exits).toBe(3);
    // Port and MMIO spaces are separate: the same number may be claimed on both.
    vm.mmio.map(0x20, 2, { read: () => 7, write: () => {} }, "mmio");
    expect(vm.vcpus[0].mmioRead(0x20, 1)).toBe(7);
  });
});

describe("system registers (vcpu.sysregs)", () => {
  function reg(name: string, trapped: boolean, store: { v: number | bigint }): Sysreg {
    return { name, trapped, read: (vcpu: Vcpu) => Number(store.v) + vcpu.id, write: (_vcpu, value) => void (store.v = value) };
  }

  it("a direct register costs no exit, a trapped one costs one; unregistered ids read 0 and trap", () => {
    const vm = createVm({ arch: "arm64", vcpus: 2 });
    const a = { v: 5 as number | bigint };
    const b = { v: 0 as number | bigint };
    vm.vcpus[1].sysregs.register(0xc660, reg("ICC_IAR1_EL1", false, a));
    vm.vcpus[1].sysregs.register(0xc65e, reg("ICC_SGI1R_EL1", true, b));
    expect(vm.vcpus[1].sysregRead(0xc660)).toBe(6);
    vm.vcpus[1].sysregWrite(0xc65e, 1n << 55n);
    expect(b.v).toBe(1n << 55n);
    expect(vm.exitStats.directAccesses).toBe(1);
    expect(vm.exitStats.sysregTraps).toBe(1);
    expect(vm.vcpus[0].sysregRead(0xc660)).toBe(0); // not registered on vCPU 0
    vm.vcpus[0].sysregWrite(0xc660, 3);
    expect(vm.exitStats.sysregTraps).toBe(3);
    expect(vm.exitStats.exits).toBe(3);
  });

  it("registering twice is EEXIST; bad ids are EINVAL and change nothing", () => {
    const vm = createVm({ arch: "riscv64" });
    const s = { v: 0 as number | bigint };
    vm.vcpus[0].sysregs.register(0x70, reg("siselect", true, s));
    expect(errnoOf(() => vm.vcpus[0].sysregs.register(0x70, reg("again", true, s)))).toBe(Errno.EEXIST);
    fc.assert(
      fc.property(fc.oneof(fc.double({ noInteger: true }), fc.integer({ max: -1 }), fc.constant(Number.NaN)), (id) => {
        expect(errnoOf(() => vm.vcpus[0].sysregs.register(id, reg("x", true, s)))).toBe(Errno.EINVAL);
      }),
    );
    expect(vm.vcpus[0].sysregs.ids()).toEqual([0x70]);
  });
});

describe("DeviceBackend.dumpState is part of the backend contract (no cast needed)", () => {
  it("a backend's dumpState is reachable through the handle", () => {
    const mod = new ContainerModule(({ bind }) => {
      bind<DeviceContribution>(DeviceContribution).toConstantValue({
        name: "dumpy",
        types: [5],
        arch: ["arm64"],
        create: () => ({ dumpState: () => "dumpy: 3 sources" }),
      });
    });
    const h = createVm({ arch: "arm64", modules: [mod] }).createDevice(5);
    expect(h.backend().dumpState?.()).toBe("dumpy: 3 sources");
  });
});

describe("[enable-cap-foreign-vm] KVM_ENABLE_CAP with a device of another VM (found by the bad-input property)", () => {
  it("is EPERM and connects nothing, as every connect_vcpu's dev->kvm != vcpu->kvm check", () => {
    let connects = 0;
    const mod = new ContainerModule(({ bind }) => {
      bind<DeviceContribution>(DeviceContribution).toConstantValue({
        name: "capdev",
        types: [6],
        arch: ["ppc-booke"],
        create: () => ({}),
        vcpuCaps: [{ cap: 90, connect: () => void connects++ }],
      });
    });
    const a = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mod] });
    const b = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mod] });
    const other = b.createDevice(6);
    expect(errnoOf(() => a.vcpus[0].enableCap(90, [other.fd, 0]))).toBe(Errno.EPERM);
    expect(connects).toBe(0);
    a.vcpus[0].enableCap(90, [a.createDevice(6), 0]);
    expect(connects).toBe(1);
  });
});
