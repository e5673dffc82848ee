import { describe, expect, it } from "vitest";
import { Errno, KVM_CAP_IOEVENTFD, errnoOf } from "@irqlab/core";
import {
  EventFd,
  KVM_CAP_IOEVENTFD_ANY_LENGTH,
  KVM_IOEVENTFD,
  KVM_IOEVENTFD_FLAG_DATAMATCH,
  KVM_IOEVENTFD_FLAG_DEASSIGN,
  KVM_IOEVENTFD_FLAG_PIO,
  KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY,
  createRoutingTestVm,
  encodeIoeventfd,
  irqchipRoute,
  recordingChipModule,
} from "./index.js";

const DATAMATCH = KVM_IOEVENTFD_FLAG_DATAMATCH;
const DEASSIGN = KVM_IOEVENTFD_FLAG_DEASSIGN;

describe("KVM_IOEVENTFD", () => {
  it("[routing-39] len 3 is EINVAL, a duplicate registration is EEXIST, de-assigning a missing one is ENOENT", () => {
    const { vm, routing } = createRoutingTestVm({ arch: "ppc-booke" });
    expect(vm.checkExtension(KVM_CAP_IOEVENTFD)).toBe(1);
    expect(vm.checkExtension(KVM_CAP_IOEVENTFD_ANY_LENGTH)).toBe(1);
    const efd = EventFd.create();
    expect(errnoOf(() => routing.ioeventfd({ fd: efd, addr: 0x1000, len: 3 }))).toBe(Errno.EINVAL);
    expect(routing.ioeventfd({ fd: efd, addr: 0x1000, len: 4 })).toBe(0);
    expect(errnoOf(() => routing.ioeventfd({ fd: efd, addr: 0x1000, len: 4 }))).toBe(Errno.EEXIST);
    expect(errnoOf(() => routing.ioeventfdIoctl(encodeIoeventfd({ fd: efd.fd, addr: 0x1000, len: 4 })))).toBe(Errno.EEXIST);
    expect(errnoOf(() => routing.ioeventfd({ fd: efd, addr: 0x2000, len: 4, flags: DEASSIGN }))).toBe(Errno.ENOENT);
    expect(routing.ioeventfd({ fd: efd, addr: 0x1000, len: 4, flags: DEASSIGN })).toBe(0);
    expect(errnoOf(() => routing.ioeventfd({ fd: efd, addr: 0x1000, len: 4, flags: DEASSIGN }))).toBe(Errno.ENOENT);
  });

  it("destroying the VM removes its ioeventfds (kvm_vm_release tears the I/O buses down): no MMIO slot stays mapped", () => {
    const { vm, routing } = createRoutingTestVm({ arch: "ppc-booke" });
    const efd = EventFd.create();
    routing.ioeventfd({ fd: efd, addr: 0x1000, len: 4 });
    routing.ioeventfd({ fd: efd, addr: 0x10, len: 1, flags: KVM_IOEVENTFD_FLAG_PIO });
    vm.destroy();
    expect(routing.ioeventfds.list()).toEqual([]);
    expect(routing.ioWrite("pio", 0x10, 1, 0)).toBe(false);
    expect(efd.counter).toBe(0);
  });

  it("assign checks run in KVM's order: len, wrap, flags, len 0 with DATAMATCH, then the descriptor", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
    const efd = EventFd.create();
    expect(errnoOf(() => routing.ioeventfd({ fd: 999, addr: 0, len: 3 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.ioeventfd({ fd: efd, addr: 0xfffffffffffffffcn, len: 8 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.ioeventfd({ fd: efd, addr: 0x1000, len: 4, flags: 0x20 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.ioeventfd({ fd: efd, addr: 0x1000, len: 0, flags: DATAMATCH }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.ioeventfd({ fd: 999, addr: 0x1000, len: 4 }))).toBe(Errno.EBADF);
    const withDevice = createRoutingTestVm({ arch: "ppc-booke", chip: false, modules: [recordingChipModule()] });
    const dev = withDevice.vm.createDevice(14);
    expect(errnoOf(() => withDevice.routing.ioeventfd({ fd: dev, addr: 0x1000, len: 4 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.ioeventfdIoctl(new Uint8Array(63)))).toBe(Errno.EFAULT);
    expect(routing.ioeventfds.list()).toEqual([]);
  });

  it("a matching guest MMIO write signals the eventfd; other values, lengths and offsets exit as before", () => {
    const { vm, routing } = createRoutingTestVm({ arch: "ppc-booke" });
    const efd = EventFd.create();
    const any = EventFd.create();
    routing.ioeventfd({ fd: efd, addr: 0x3000, len: 4, flags: DATAMATCH, datamatch: 7 });
    routing.ioeventfd({ fd: any, addr: 0x4000, len: 0 });
    vm.mmio.write(0x3000, 4, 7);
    expect(efd.counter).toBe(1);
    vm.mmio.write(0x3000, 4, 8);
    vm.mmio.write(0x3000, 2, 7);
    expect(efd.counter).toBe(1);
    expect(vm.exitStats.mmioUnhandled).toBe(2);
    vm.mmio.write(0x4000, 1, 0);
    vm.mmio.write(0x4000, 8, 0);
    expect(any.counter).toBe(2);
    vm.mmio.write(0x4004, 4, 0); // not the exact address
    expect(any.counter).toBe(2);
    expect(vm.mmio.read(0x3000, 4)).toBe(0xffffffff);
    expect(routing.counters()).toMatchObject({ ioeventfdHits: 3 });
  });

  it("registrations at one address with different datamatch coexist; a wildcard or length-0 one collides", () => {
    const { vm, routing } = createRoutingTestVm({ arch: "ppc-booke" });
    const [a, b, c] = [EventFd.create(), EventFd.create(), EventFd.create()];
    routing.ioeventfd({ fd: a, addr: 0x5000, len: 4, flags: DATAMATCH, datamatch: 1 });
    routing.ioeventfd({ fd: b, addr: 0x5000, len: 4, flags: DATAMATCH, datamatch: 2 });
    expect(errnoOf(() => routing.ioeventfd({ fd: c, addr: 0x5000, len: 4 }))).toBe(Errno.EEXIST);
    expect(errnoOf(() => routing.ioeventfd({ fd: c, addr: 0x5000, len: 0 }))).toBe(Errno.EEXIST);
    // Another length at the same address does not collide, and widens the mapped region.
    routing.ioeventfd({ fd: c, addr: 0x5000, len: 8, flags: DATAMATCH, datamatch: 9 });
    vm.mmio.write(0x5000, 4, 2);
    vm.mmio.write(0x5000, 8, 9);
    expect([a.counter, b.counter, c.counter]).toEqual([0, 1, 1]);
    // De-assign needs the exact datamatch.
    expect(errnoOf(() => routing.ioeventfd({ fd: a, addr: 0x5000, len: 4, flags: DATAMATCH | DEASSIGN, datamatch: 2 }))).toBe(
      Errno.ENOENT,
    );
    routing.ioeventfd({ fd: a, addr: 0x5000, len: 4, flags: DATAMATCH | DEASSIGN, datamatch: 1 });
    routing.ioeventfd({ fd: b, addr: 0x5000, len: 4, flags: DATAMATCH | DEASSIGN, datamatch: 2 });
    routing.ioeventfd({ fd: c, addr: 0x5000, len: 8, flags: DATAMATCH | DEASSIGN, datamatch: 9 });
    expect(vm.mmio.regions()).toEqual([]);
  });

  it("PIO and virtio-ccw notify registrations live on their own buses", () => {
    const { routing } = createRoutingTestVm({ arch: "s390x", chip: { routeTypes: [3] } });
    const [p, c] = [EventFd.create(), EventFd.create()];
    routing.ioeventfd({ fd: p, addr: 0x60, len: 1, flags: KVM_IOEVENTFD_FLAG_PIO });
    routing.ioeventfd({ fd: c, addr: 0x10002, len: 8, flags: KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY | DATAMATCH, datamatch: 3 });
    // Same address on the MMIO bus does not collide with the PIO one.
    routing.ioeventfd({ fd: EventFd.create(), addr: 0x60, len: 1 });
    expect(routing.ioWrite("pio", 0x60, 1, 0)).toBe(true);
    expect(routing.ioWrite("ccw", 0x10002, 8, 4)).toBe(false);
    expect(routing.ioWrite("ccw", 0x10002, 8, 3)).toBe(true);
    expect([p.counter, c.counter]).toEqual([1, 1]);
  });

  it("an ioeventfd can feed an irqfd: the guest's doorbell write injects the GSI", () => {
    const { vm, routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(2, 0, 2)]);
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 2 });
    routing.ioctl(KVM_IOEVENTFD, encodeIoeventfd({ fd: efd.fd, addr: 0x8000n, len: 4 }));
    vm.mmio.write(0x8000, 4, 0x1234);
    expect(chip.pinCalls(2)).toEqual([[1, 0], [0, 0]]);
  });

  it("an ioeventfd overlapping a device region is refused by core's MmioBus (documented deviation)", () => {
    const { vm, routing } = createRoutingTestVm({ arch: "ppc-booke" });
    vm.mmio.map(0x9000, 0x100, { read: () => 0, write: () => undefined }, "device");
    expect(errnoOf(() => routing.ioeventfd({ fd: EventFd.create(), addr: 0x9010, len: 4 }))).toBe(Errno.EEXIST);
    expect(routing.ioeventfds.list()).toEqual([]);
  });
});
