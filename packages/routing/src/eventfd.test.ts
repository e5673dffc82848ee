import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ContainerModule, DeviceContribution, Errno, Process, createVm, errnoOf } from "@irqlab/core";
import routingModule, { EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE, EventFd, EventFdFile } from "./index.js";

describe("eventfd counter semantics", () => {
  it("write adds, read takes everything; EFD_SEMAPHORE reads 1 at a time; reading 0 is EAGAIN", () => {
    const efd = EventFd.create();
    efd.write(2);
    efd.write(3n);
    expect(efd.counter).toBe(5);
    expect(efd.read()).toBe(5);
    expect(efd.counter).toBe(0);
    expect(errnoOf(() => efd.read())).toBe(Errno.EAGAIN);
    const sem = EventFd.create(2, EFD_SEMAPHORE);
    expect(sem.semaphore).toBe(true);
    expect([sem.read(), sem.read()]).toEqual([1, 1]);
    expect(errnoOf(() => sem.read())).toBe(Errno.EAGAIN);
  });

  it("eventfd2 rejects unknown flags and an initval that is not an unsigned int", () => {
    expect(errnoOf(() => EventFd.create(0, 2))).toBe(Errno.EINVAL);
    expect(errnoOf(() => EventFd.create(-1))).toBe(Errno.EINVAL);
    expect(errnoOf(() => EventFd.create(2 ** 32))).toBe(Errno.EINVAL);
    expect(EventFd.create(0xffffffff, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC).counter).toBe(0xffffffff);
  });

  it("the counter is a u64 up to 0xfffffffffffffffe: ULLONG_MAX is EINVAL, overflow is EAGAIN, big values stay exact", () => {
    const efd = EventFd.create();
    expect(errnoOf(() => efd.write(0xffffffffffffffffn))).toBe(Errno.EINVAL);
    expect(errnoOf(() => efd.write(-1))).toBe(Errno.EINVAL);
    expect(errnoOf(() => efd.write(1.5))).toBe(Errno.EINVAL);
    efd.write(0xfffffffffffffffdn);
    expect(efd.counterBig).toBe(0xfffffffffffffffdn);
    efd.write(1);
    expect(errnoOf(() => efd.write(1))).toBe(Errno.EAGAIN);
    expect(efd.counterBig).toBe(0xfffffffffffffffen);
    expect(efd.readBig()).toBe(0xfffffffffffffffen);
    efd.write(2n ** 60n);
    efd.write(3);
    expect(efd.counterBig).toBe(2n ** 60n + 3n);
  });

  it("the kernel's eventfd_signal saturates instead of failing", () => {
    const efd = EventFd.create();
    efd.write(0xfffffffffffffffen);
    efd.file.signal(1);
    expect(efd.counterBig).toBe(0xfffffffffffffffen);
  });

  it("property: any sequence of writes and reads keeps the counter equal to a bigint model", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constant("read" as const)), { maxLength: 20 }),
        (semaphore, ops) => {
          const efd = EventFd.create(0, semaphore ? EFD_SEMAPHORE : 0);
          let model = 0n;
          for (const op of ops) {
            if (op === "read") {
              const e = errnoOf(() => efd.readBig());
              if (model === 0n) expect(e).toBe(Errno.EAGAIN);
              else model -= semaphore ? 1n : model;
            } else {
              const e = errnoOf(() => efd.write(op));
              if (op === 2n ** 64n - 1n) expect(e).toBe(Errno.EINVAL);
              else if (model + op > 2n ** 64n - 2n) expect(e).toBe(Errno.EAGAIN);
              else model += op;
            }
            expect(efd.counterBig).toBe(model);
          }
        },
      ),
    );
  });
});

describe("eventfd as a file", () => {
  it("gets the lowest free descriptor; closing twice or using a closed one is EBADF; dup shares the counter", () => {
    const p = new Process();
    const a = EventFd.create(0, 0, p);
    const b = EventFd.create(0, 0, p);
    expect([a.fd, b.fd]).toEqual([3, 4]);
    const d = a.dup();
    expect(d.fd).toBe(5);
    d.write(4);
    expect(a.counter).toBe(4);
    a.close();
    expect(errnoOf(() => a.close())).toBe(Errno.EBADF);
    expect(errnoOf(() => a.write(1))).toBe(Errno.EBADF);
    expect(a.file.released).toBe(false);
    expect(EventFd.create(0, 0, p).fd).toBe(3);
    d.close();
    expect(d.file.released).toBe(true);
  });

  it("fromFd resolves a descriptor: EBADF when not open, EINVAL when not an eventfd", () => {
    const p = new Process();
    const vm = createVm({ arch: "ppc-booke", modules: [routingModule, deviceModule()], process: p });
    const dev = vm.createDevice(14);
    const efd = EventFd.create(0, 0, p);
    expect(EventFd.fromFd(efd.fd, p).file).toBe(efd.file);
    expect(errnoOf(() => EventFd.fromFd(99, p))).toBe(Errno.EBADF);
    expect(errnoOf(() => EventFd.fromFd(dev.fd, p))).toBe(Errno.EINVAL);
  });

  it("KVM_ENABLE_CAP with an eventfd descriptor is EPERM (not a KVM device); a closed one is EBADF", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [routingModule, deviceModule()] });
    const efd = EventFd.create();
    expect(errnoOf(() => vm.vcpu(0).enableCap(92, [efd, 0]))).toBe(Errno.EPERM);
    expect(errnoOf(() => vm.vcpu(0).enableCap(92, [efd.fd, 0]))).toBe(Errno.EPERM);
    efd.close();
    expect(errnoOf(() => vm.vcpu(0).enableCap(92, [efd, 0]))).toBe(Errno.EBADF);
  });

  it("listeners hear writes and the hang-up; a bound irqfd (the priority waiter) takes the writes alone", () => {
    const efd = EventFd.create();
    const heard: string[] = [];
    efd.onReadable((ev) => heard.push(ev));
    efd.write(1);
    let wakes = 0;
    efd.file.priorityWaiter = { wakeup: () => wakes++, hangup: () => heard.push("irqfd-hup") };
    efd.write(1);
    efd.close();
    expect(wakes).toBe(1);
    expect(heard).toEqual(["readable", "irqfd-hup", "hangup"]);
  });

  it("is an EventFdFile of kind eventfd; errors are KvmErrors naming the eventfd", () => {
    const efd = EventFd.create();
    expect(efd.file).toBeInstanceOf(EventFdFile);
    expect(efd.file.kind).toBe("eventfd");
    expect(errnoOf(() => efd.read())).toBe(Errno.EAGAIN);
    expect(() => efd.read()).toThrow(`eventfd ${efd.file.id}: counter is 0`);
  });
});

function deviceModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<DeviceContribution>(DeviceContribution).toConstantValue({
      name: "kvm-test-dev",
      types: [14],
      arch: ["ppc64", "ppc-booke", "s390x"],
      create: () => ({}),
      vcpuCaps: [{ cap: 92, connect: () => undefined }],
    });
  });
}
