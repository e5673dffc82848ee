import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  createVm,
  errnoOf,
  Errno,
  KVM_CAP_DEVICE_CTRL,
  KVM_CREATE_DEVICE_TEST,
  KVM_DEV_TYPE_MAX,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR_PPC,
  KVM_SET_DEVICE_ATTR,
  FileHandle,
  OpenFile,
  Process,
  type KvmDevice,
  type Vcpu,
} from "./index.js";
import { testPlugin, type CallLog } from "./__tests__/backends.js";

const TYPE = 6;

function setup(extra: Partial<Parameters<typeof testPlugin>[0]> = {}, arch: "ppc64" | "s390x" | "ppc-booke" = "s390x") {
  const log: CallLog = { calls: [] };
  const vm = createVm({ arch, vcpus: 2, modules: [testPlugin({ log, ...extra })] });
  return { vm, log };
}

function createStruct(type: number, fd: number, flags: number): Uint8Array {
  const b = new Uint8Array(12);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, type, false);
  dv.setUint32(4, fd, false);
  dv.setUint32(8, flags, false);
  return b;
}

describe("KVM_CREATE_DEVICE", () => {
  it("[devapi-1] KVM_CHECK_EXTENSION(KVM_CAP_DEVICE_CTRL) returns 1", () => {
    const { vm } = setup();
    expect(vm.checkExtension(KVM_CAP_DEVICE_CTRL)).toBe(1);
    expect(vm.checkExtension(4242)).toBe(7); // contributed by the plugin
    expect(vm.checkExtension(999_999)).toBe(0);
  });

  it("[devapi-2] type 0 fails with ENODEV", () => {
    const { vm, log } = setup();
    expect(errnoOf(() => vm.createDevice(0))).toBe(Errno.ENODEV);
    expect(log.calls).toEqual([]);
  });

  it("[devapi-3] type >= KVM_DEV_TYPE_MAX (0xFFFF, MAX) fails with ENODEV", () => {
    const { vm } = setup();
    expect(errnoOf(() => vm.createDevice(0xffff))).toBe(Errno.ENODEV);
    expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_MAX))).toBe(Errno.ENODEV);
    expect(errnoOf(() => vm.createDevice(0xffffffff))).toBe(Errno.ENODEV);
  });

  it("[devapi-4] a type with no backend on this architecture (FLIC on PowerPC) fails with ENODEV", () => {
    const log: CallLog = { calls: [] };
    const vm = createVm({ arch: "ppc64", modules: [testPlugin({ log, arch: ["s390x"] })] });
    expect(errnoOf(() => vm.createDevice(TYPE))).toBe(Errno.ENODEV);
    expect(errnoOf(() => vm.createDevice(3))).toBe(Errno.ENODEV);
    expect(log.calls).toEqual([]);
  });

  it("[devapi-5] TEST for a supported type returns 0, creates nothing, runs no callback, leaves fd as passed", () => {
    const { vm, log } = setup();
    expect(vm.createDevice(TYPE, { test: true })).toBeUndefined();
    const buf = createStruct(TYPE, 0xdeadbeef, KVM_CREATE_DEVICE_TEST);
    const before = buf.slice();
    expect(vm.createDeviceIoctl(buf)).toBe(0);
    expect(buf).toEqual(before);
    expect(log.calls).toEqual([]);
    expect(vm.deviceList()).toHaveLength(0);
    expect(vm.process.openCount()).toBe(0);
  });

  it("[devapi-6] TEST for an unsupported type fails with ENODEV", () => {
    const { vm } = setup();
    expect(errnoOf(() => vm.createDevice(5, { test: true }))).toBe(Errno.ENODEV);
    expect(errnoOf(() => vm.createDeviceIoctl(createStruct(0, 0, 1)))).toBe(Errno.ENODEV);
  });

  it("[devapi-7] flags = 2 (unknown bit) behaves exactly like flags = 0", () => {
    const { vm, log } = setup();
    const buf = createStruct(TYPE, 0, 2);
    const h = vm.createDeviceIoctl(buf);
    expect(h).not.toBe(0);
    expect(log.calls).toEqual(["create:6", "d1.init"]);
    expect(vm.deviceList()).toHaveLength(1);
  });

  it("[devapi-8] success returns a new valid descriptor written into fd", () => {
    const { vm } = setup();
    const buf = createStruct(TYPE, 0xffffffff, 0);
    const h = vm.createDeviceIoctl(buf);
    if (h === 0) throw new Error("expected a handle");
    const fd = new DataView(buf.buffer).getUint32(4, false);
    expect(fd).toBe(h.fd);
    expect(vm.process.get(fd)).toBe(h);
    expect(h.getAttr({ group: 1, attr: 5, addr: new Uint8Array(8) })).toBe(105);
  });

  it("[devapi-8] a short or unreadable struct kvm_create_device is EFAULT and creates nothing", () => {
    const { vm, log } = setup();
    expect(errnoOf(() => vm.createDeviceIoctl(null))).toBe(Errno.EFAULT);
    expect(errnoOf(() => vm.createDeviceIoctl(new Uint8Array(11)))).toBe(Errno.EFAULT);
    expect(log.calls).toEqual([]);
  });

  it("[devapi-11] a failing create returns no descriptor and adds no device", () => {
    const { vm, log } = setup({ failCreate: Errno.EINVAL });
    const open = vm.process.openCount();
    expect(errnoOf(() => vm.createDevice(TYPE))).toBe(Errno.EINVAL);
    expect(log.calls).toEqual(["create:6"]);
    expect(vm.deviceList()).toHaveLength(0);
    expect(vm.process.openCount()).toBe(open);
    vm.destroy();
    expect(log.calls).toEqual(["create:6"]);
  });
});

describe("device descriptor ioctls", () => {
  it("[devapi-12] accessors a backend lacks fail with EPERM, even with an invalid argument", () => {
    const { vm } = setup({ bare: true });
    const h = vm.createDevice(TYPE);
    for (const call of [
      () => h.setAttr({ group: 1, attr: 0, addr: new Uint8Array(8) }),
      () => h.getAttr({ group: 1, attr: 0, addr: new Uint8Array(8) }),
      () => h.hasAttr({ group: 1, attr: 0 }),
      () => h.setAttr(null),
      () => h.getAttr(null),
      () => h.hasAttr(null),
      () => h.ioctl(KVM_SET_DEVICE_ATTR, null),
      () => h.ioctl(KVM_HAS_DEVICE_ATTR_PPC, new Uint8Array(3)),
    ]) {
      expect(errnoOf(call)).toBe(Errno.EPERM);
    }
  });

  it("[devapi-13] an unreadable argument on a backend with the accessor fails with EFAULT", () => {
    const { vm, log } = setup();
    const h = vm.createDevice(TYPE);
    log.calls.length = 0;
    expect(errnoOf(() => h.setAttr(null))).toBe(Errno.EFAULT);
    expect(errnoOf(() => h.getAttr(null))).toBe(Errno.EFAULT);
    expect(errnoOf(() => h.hasAttr(null))).toBe(Errno.EFAULT);
    expect(errnoOf(() => h.ioctl(KVM_GET_DEVICE_ATTR, null))).toBe(Errno.EFAULT);
    expect(errnoOf(() => h.ioctl(KVM_GET_DEVICE_ATTR, new Uint8Array(23)))).toBe(Errno.EFAULT);
    expect(log.calls).toEqual([]);
  });

  it("[devapi-13] the raw attribute ioctl decodes struct kvm_device_attr (group @4, attr @8)", () => {
    const { vm, log } = setup();
    const h = vm.createDevice(TYPE);
    const s = new Uint8Array(24);
    const dv = new DataView(s.buffer);
    dv.setUint32(4, 1, false);
    dv.setBigUint64(8, 9n, false);
    expect(h.ioctl(KVM_GET_DEVICE_ATTR, s)).toBe(109);
    expect(log.calls).toContain("d1.get:1:9");
  });

  it("[devapi-14] an unknown ioctl number fails with ENOTTY when the backend has no ioctl", () => {
    const { vm } = setup();
    const h = vm.createDevice(TYPE);
    expect(errnoOf(() => h.ioctl(0x1234, null))).toBe(Errno.ENOTTY);
    expect(errnoOf(() => h.ioctl(0xc008ae67, new Uint8Array(8)))).toBe(Errno.ENOTTY);
  });

  it("[devapi-15] mmap without a backend mmap fails with ENODEV", () => {
    const { vm } = setup();
    expect(errnoOf(() => vm.createDevice(TYPE).mmap(0, 4096))).toBe(Errno.ENODEV);
  });

  it("[devapi-16] a backend accessor's return value is returned unchanged, positive values included", () => {
    const { vm } = setup();
    const h = vm.createDevice(TYPE);
    expect(h.getAttr({ group: 1, attr: 17, addr: new Uint8Array(8) })).toBe(117);
    expect(h.hasAttr({ group: 1, attr: 0 })).toBe(0);
    expect(errnoOf(() => h.hasAttr({ group: 2, attr: 0 }))).toBe(Errno.ENXIO);
  });

  it("[devapi-17] devices are destroyed in reverse creation order at VM destruction", () => {
    const { vm, log } = setup();
    vm.createDevice(TYPE);
    vm.createDevice(TYPE);
    const third = vm.createDevice(TYPE);
    third.close(); // no release: the device stays on the list until the VM goes
    log.calls.length = 0;
    vm.destroy();
    expect(log.calls).toEqual(["d3.destroy", "d2.destroy", "d1.destroy"]);
  });

  it("a backend with release is removed when its last descriptor closes (dup keeps it)", () => {
    const { vm, log } = setup({ release: true });
    const h = vm.createDevice(TYPE);
    const d = h.dup();
    h.close();
    expect(vm.deviceList()).toHaveLength(1);
    expect(log.calls).not.toContain("d1.release");
    d.close();
    expect(log.calls).toContain("d1.release");
    expect(vm.deviceList()).toHaveLength(0);
    log.calls.length = 0;
    vm.destroy();
    expect(log.calls).toEqual([]);
  });

  it("a closed descriptor answers EBADF; a destroyed VM answers EIO", () => {
    const { vm } = setup();
    const h = vm.createDevice(TYPE);
    const h2 = vm.createDevice(TYPE);
    h.close();
    expect(errnoOf(() => h.getAttr({ group: 1, attr: 0 }))).toBe(Errno.EBADF);
    expect(errnoOf(() => h.close())).toBe(Errno.EBADF);
    vm.destroy();
    expect(errnoOf(() => h2.getAttr({ group: 1, attr: 0 }))).toBe(Errno.EIO);
    expect(errnoOf(() => vm.createDevice(TYPE))).toBe(Errno.EIO);
  });

  it("[devapi-25] device-fd and VM-fd ioctls from another process fail with EIO", () => {
    const { vm, log } = setup();
    const h = vm.createDevice(TYPE);
    const other = new Process();
    const foreign = other.receive(h);
    log.calls.length = 0;
    expect(errnoOf(() => foreign.getAttr({ group: 1, attr: 0, addr: new Uint8Array(8) }))).toBe(Errno.EIO);
    expect(errnoOf(() => foreign.setAttr({ group: 1, attr: 0, addr: new Uint8Array(8) }))).toBe(Errno.EIO);
    expect(errnoOf(() => foreign.mmap(0))).toBe(Errno.EIO);
    expect(errnoOf(() => vm.asProcess(other).createDevice(TYPE))).toBe(Errno.EIO);
    expect(errnoOf(() => vm.asProcess(other).checkExtension(KVM_CAP_DEVICE_CTRL))).toBe(Errno.EIO);
    expect(log.calls).toEqual([]);
    expect(h.getAttr({ group: 1, attr: 0, addr: new Uint8Array(8) })).toBe(100);
  });

  it("bad input to createDevice never crashes and never creates a device", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double(), fc.constant(Number.NaN)), fc.integer({ min: 0, max: 0xffffffff }), (type, flags) => {
        const { vm, log } = setup();
        const e = errnoOf(() => vm.createDevice(type, { flags }));
        if (type === TYPE) {
          expect(e).toBe(0);
          expect(vm.deviceList()).toHaveLength((flags & 1) === 0 ? 1 : 0);
        } else {
          expect(e).toBe(Errno.ENODEV);
          expect(vm.deviceList()).toHaveLength(0);
          expect(log.calls).toEqual([]);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("KVM_ENABLE_CAP on a vCPU: generic dispatch", () => {
  function capSetup() {
    const connected: Array<[Vcpu, KvmDevice, readonly bigint[]]> = [];
    const log: CallLog = { calls: [] };
    const cap = {
      cap: 90,
      connect: (v: Vcpu, d: KvmDevice, a: readonly bigint[]) => {
        connected.push([v, d, a]);
        v.attachIrqchip("test", Number(a[1]), null);
      },
    };
    const vm = createVm({ arch: "ppc-booke", vcpus: 2, modules: [testPlugin({ log, caps: [cap] })] });
    return { vm, connected };
  }

  it("[devapi-18] flags != 0 fails with EINVAL (before the descriptor is looked at)", () => {
    const { vm, connected } = capSetup();
    expect(errnoOf(() => vm.vcpus[0].enableCap(90, [-1, 0], 1))).toBe(Errno.EINVAL);
    expect(connected).toEqual([]);
  });

  it("[devapi-19] args[0] not open -> EBADF; a non-device descriptor -> EPERM", () => {
    const { vm, connected } = capSetup();
    const h = vm.createDevice(TYPE);
    expect(errnoOf(() => vm.vcpus[0].enableCap(90, [999, 0]))).toBe(Errno.EBADF);
    expect(errnoOf(() => vm.vcpus[0].enableCap(90, [-1, 0]))).toBe(Errno.EBADF);
    const dupd = h.dup();
    dupd.close();
    expect(errnoOf(() => vm.vcpus[0].enableCap(90, [dupd, 0]))).toBe(Errno.EBADF);
    // A non-device file (an eventfd in KVM) is EPERM.
    class PlainFile extends OpenFile {
      readonly kind = "eventfd";
    }
    const other = vm.process.install(new PlainFile(), (p, fd, f) => new FileHandle(p, fd, f));
    expect(errnoOf(() => vm.vcpus[0].enableCap(90, [other.fd, 0]))).toBe(Errno.EPERM);
    expect(connected).toEqual([]);
  });

  it("unknown capability -> EINVAL; success passes the device and CPU number to the backend", () => {
    const { vm, connected } = capSetup();
    const h = vm.createDevice(TYPE);
    expect(errnoOf(() => vm.vcpus[0].enableCap(12345, [h, 0]))).toBe(Errno.EINVAL);
    vm.vcpus[1].enableCap(90, [h.fd, 0x1_0000_0003n]);
    expect(connected).toHaveLength(1);
    expect(connected[0][1]).toBe(h.kvmDevice);
    expect(connected[0][2][1]).toBe(0x1_0000_0003n);
    expect(errnoOf(() => vm.vcpus[1].enableCap(90, [h, 4]))).toBe(Errno.EBUSY);
  });
});
