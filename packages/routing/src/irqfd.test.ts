import { describe, expect, it } from "vitest";
import { Errno, KVM_CAP_IRQFD, Process, errnoOf, type Arch } from "@irqlab/core";
import {
  EFD_SEMAPHORE,
  EventFd,
  KVM_IRQFD,
  KVM_IRQFD_FLAG_DEASSIGN,
  KVM_IRQFD_FLAG_RESAMPLE,
  KVM_IRQFD_PPC,
  RecordingChip,
  createRoutingTestVm,
  encodeIrqfd,
  irqchipRoute,
  msiRoute,
  recordingChipModule,
  type RecordingChipBackend,
} from "./index.js";

const DEASSIGN = KVM_IRQFD_FLAG_DEASSIGN;
const RESAMPLE = KVM_IRQFD_FLAG_RESAMPLE;

function booke(opts: { strict?: boolean; process?: Process } = {}) {
  const t = createRoutingTestVm({ arch: "ppc-booke", ...opts });
  t.routing.setGsiRouting([irqchipRoute(5, 0, 5), msiRoute(9, 0x99)]);
  return t;
}

describe("KVM_IRQFD checks", () => {
  it("[routing-23] flags 4 fail with EINVAL, with and without DEASSIGN", () => {
    const { routing } = booke();
    const efd = EventFd.create();
    expect(errnoOf(() => routing.irqfd({ fd: efd, gsi: 5, flags: 4 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.irqfd({ fd: efd, gsi: 5, flags: 4 | DEASSIGN }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.irqfdIoctl(encodeIrqfd({ fd: efd.fd, gsi: 5, flags: 0x80000000 })))).toBe(Errno.EINVAL);
    expect(routing.irqfds()).toEqual([]);
  });

  it("[routing-24] a descriptor that is not open is EBADF; one that is not an eventfd is EINVAL", () => {
    const t = createRoutingTestVm({ arch: "ppc-booke", chip: false, modules: [recordingChipModule()] });
    const dev = t.vm.createDevice(14);
    const efd = EventFd.create();
    efd.close();
    expect(errnoOf(() => t.routing.irqfd({ fd: efd, gsi: 1 }))).toBe(Errno.EBADF);
    expect(errnoOf(() => t.routing.irqfd({ fd: 999, gsi: 1 }))).toBe(Errno.EBADF);
    expect(errnoOf(() => t.routing.irqfdIoctl(encodeIrqfd({ fd: -1, gsi: 1 })))).toBe(Errno.EBADF);
    expect(errnoOf(() => t.routing.irqfd({ fd: dev, gsi: 1 }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => t.routing.irqfdIoctl(encodeIrqfd({ fd: dev.fd, gsi: 1 })))).toBe(Errno.EINVAL);
    const good = EventFd.create();
    expect(errnoOf(() => t.routing.irqfd({ fd: good, gsi: 1, flags: RESAMPLE, resamplefd: 999 }))).toBe(Errno.EBADF);
    expect(errnoOf(() => t.routing.irqfd({ fd: good, gsi: 1, flags: RESAMPLE, resamplefd: dev }))).toBe(Errno.EINVAL);
    expect(t.routing.irqfds()).toEqual([]);
    expect(errnoOf(() => t.routing.irqfdIoctl(new Uint8Array(16)))).toBe(Errno.EFAULT);
  });

  it("[routing-25] the same eventfd cannot back two irqfds of one VM (same GSI, other GSI, or through a dup)", () => {
    const { routing } = booke();
    const efd = EventFd.create();
    expect(routing.irqfd({ fd: efd, gsi: 5 })).toBe(0);
    expect(errnoOf(() => routing.irqfd({ fd: efd, gsi: 5 }))).toBe(Errno.EBUSY);
    expect(errnoOf(() => routing.irqfd({ fd: efd, gsi: 9 }))).toBe(Errno.EBUSY);
    const dup = efd.dup();
    expect(errnoOf(() => routing.irqfdIoctl(encodeIrqfd({ fd: dup.fd, gsi: 6 })))).toBe(Errno.EBUSY);
    expect(routing.irqfds().length).toBe(1);
  });

  it("[routing-40] an eventfd that backs an irqfd in another VM cannot be bound (EBUSY)", () => {
    const a = booke();
    const b = booke();
    const efd = EventFd.create();
    a.routing.irqfd({ fd: efd, gsi: 5 });
    expect(errnoOf(() => b.routing.irqfd({ fd: efd, gsi: 5 }))).toBe(Errno.EBUSY);
    // Destroying the first VM releases its irqfds: the eventfd can then be bound elsewhere.
    a.vm.destroy();
    expect(b.routing.irqfd({ fd: efd, gsi: 5 })).toBe(0);
    efd.write(1);
    expect(b.chip.pinCalls(5)).toEqual([[1, 0], [0, 0]]);
    expect(a.chip.calls).toEqual([]);
  });

  it("[routing-41] RESAMPLE with resamplefd -1 on an already-bound eventfd is EBADF, not EBUSY", () => {
    const { routing } = booke();
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5 });
    expect(errnoOf(() => routing.irqfdIoctl(encodeIrqfd({ fd: efd.fd, gsi: 5, flags: RESAMPLE, resamplefd: -1 })))).toBe(
      Errno.EBADF,
    );
  });

  it("[routing-31] on PowerPC, assigning before any controller device exists is EAGAIN; s390 has no such check", () => {
    for (const arch of ["ppc64", "ppc-booke"] as Arch[]) {
      const t = createRoutingTestVm({ arch, chip: false, modules: [recordingChipModule()] });
      const efd = EventFd.create();
      expect(errnoOf(() => t.routing.irqfd({ fd: efd, gsi: 1 }))).toBe(Errno.EAGAIN);
      // EAGAIN comes first: even a bad descriptor reports it.
      expect(errnoOf(() => t.routing.irqfd({ fd: 999, gsi: 1 }))).toBe(Errno.EAGAIN);
      const dev = t.vm.createDevice(14);
      expect(t.routing.irqfd({ fd: efd, gsi: 1 })).toBe(0);
      expect(dev.backend<RecordingChipBackend>().chip.vm).toBe(t.vm);
    }
    const s390 = createRoutingTestVm({ arch: "s390x", chip: false });
    expect(s390.vm.checkExtension(KVM_CAP_IRQFD)).toBe(1);
    expect(s390.routing.irqfd({ fd: EventFd.create(), gsi: 1 })).toBe(0);
  });

  it("[routing-42] DEASSIGN runs no controller check (0 without one); DEASSIGN|RESAMPLE ignores resamplefd and removes the irqfd", () => {
    const bare = createRoutingTestVm({ arch: "ppc-booke", chip: false });
    const e0 = EventFd.create();
    expect(bare.routing.irqfd({ fd: e0, gsi: 1, flags: DEASSIGN })).toBe(0);
    const { routing, chip } = booke();
    const efd = EventFd.create();
    const rfd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5, flags: RESAMPLE, resamplefd: rfd });
    expect(routing.irqfdIoctl(encodeIrqfd({ fd: efd.fd, gsi: 5, flags: DEASSIGN | RESAMPLE, resamplefd: -1 }))).toBe(0);
    expect(routing.irqfds()).toEqual([]);
    chip.clear();
    efd.write(1);
    expect(chip.calls).toEqual([]);
  });

  it("the buffer form resolves descriptors in the VM's process, with either ioctl encoding", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    expect(routing.ioctl(KVM_IRQFD_PPC, encodeIrqfd({ fd: efd.fd, gsi: 5 }))).toBe(0);
    efd.write(1);
    expect(chip.pinCalls(5)).toEqual([[1, 0], [0, 0]]);
    expect(routing.ioctl(KVM_IRQFD, encodeIrqfd({ fd: efd.fd, gsi: 5, flags: DEASSIGN }))).toBe(0);
    expect(routing.irqfds()).toEqual([]);
    // Descriptor numbers are looked up in the VM's process.
    const vmProcess = new Process();
    const other = booke({ process: vmProcess });
    const mine = EventFd.create(0, 0, Process.current());
    expect(vmProcess.lookup(mine.fd)).toBeUndefined();
    expect(errnoOf(() => other.routing.irqfdIoctl(encodeIrqfd({ fd: mine.fd, gsi: 5 })))).toBe(Errno.EBADF);
    const theirs = EventFd.create(0, 0, vmProcess);
    expect(other.routing.irqfdIoctl(encodeIrqfd({ fd: theirs.fd, gsi: 5 }))).toBe(0);
  });
});

describe("irqfd injection", () => {
  it("[routing-27] signalling a plain irqfd on an IRQCHIP route pulses the pin: level 1 then 0, source id 0", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5 });
    efd.write(1);
    expect(chip.pinCalls(5)).toEqual([[1, 0], [0, 0]]);
    expect(chip.line(5)).toBe(false);
  });

  it("[routing-26] a count already in the eventfd at assign injects once, and stays in the eventfd", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create(3);
    routing.irqfd({ fd: efd, gsi: 5 });
    expect(chip.pinCalls(5)).toEqual([[1, 0], [0, 0]]);
    expect(efd.counter).toBe(3);
    // The next write wakes the irqfd, which takes everything (3 + 1).
    efd.write(1);
    expect(efd.counter).toBe(0);
    expect(chip.pinCalls(5).length).toBe(4);
  });

  it("[routing-43] writing 5 to a plain eventfd injects once and drains it; 3 on an EFD_SEMAPHORE one injects once and leaves 2", () => {
    const { routing, chip } = booke();
    const plain = EventFd.create();
    routing.irqfd({ fd: plain, gsi: 5 });
    plain.write(5);
    expect(plain.counter).toBe(0);
    expect(chip.pinCalls(5)).toEqual([[1, 0], [0, 0]]);
    expect(routing.irqfdOf(plain)!.counters).toMatchObject({ wakeups: 1, signals: 5, coalesced: 4, injections: 1 });
    chip.clear();
    const sem = EventFd.create(0, EFD_SEMAPHORE);
    routing.irqfd({ fd: sem, gsi: 9 });
    sem.write(3);
    expect(sem.counter).toBe(2);
    expect(chip.calls.filter((c) => c.kind === "msi").length).toBe(2); // one pulse: MSI set at level 1 and 0
    expect(routing.irqfdOf(sem)!.counters).toMatchObject({ wakeups: 1, signals: 1, injections: 1 });
  });

  it("[routing-32] an irqfd on an unrouted GSI is accepted and injects nothing; a later route is used without re-assigning", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    expect(routing.irqfd({ fd: efd, gsi: 0xffffff00 })).toBe(0);
    expect(routing.irqfd({ fd: EventFd.create(), gsi: 77 })).toBe(0);
    efd.write(1);
    expect(chip.calls).toEqual([]);
    routing.setGsiRouting([irqchipRoute(5, 0, 5), irqchipRoute(77, 0, 40)]);
    const e77 = routing.irqfds().find((i) => i.gsi === 77)!.eventfd;
    e77.write(1);
    expect(chip.pinCalls(40)).toEqual([[1, 0], [0, 0]]);
  });

  it("[routing-44] a signal while the GSI is unrouted is consumed and lost; the next one uses the new route", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 20 });
    efd.write(1);
    expect(efd.counter).toBe(0);
    routing.setGsiRouting([irqchipRoute(20, 0, 21)]);
    expect(chip.calls).toEqual([]);
    efd.write(1);
    expect(chip.pinCalls(21)).toEqual([[1, 0], [0, 0]]);
  });

  it("[routing-33] after the GSI's MSI route changes, the next signal delivers the new message", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 9 });
    efd.write(1);
    routing.setGsiRouting([msiRoute(9, 0x77, 0xfee01000)]);
    efd.write(1);
    const msgs = chip.calls.filter((c) => c.level === 1).map((c) => [c.msg!.addressLo, c.msg!.data]);
    expect(msgs).toEqual([
      [0xfee00000, 0x99],
      [0xfee01000, 0x77],
    ]);
  });

  it("[routing-34] de-assign with the right eventfd and another gsi returns 0 and leaves the irqfd active", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5 });
    expect(routing.irqfd({ fd: efd, gsi: 6, flags: DEASSIGN })).toBe(0);
    efd.write(1);
    expect(chip.pinCalls(5).length).toBe(2);
  });

  it("[routing-35] de-assigning an eventfd that was never assigned returns 0", () => {
    const { routing } = booke();
    expect(routing.irqfd({ fd: EventFd.create(), gsi: 5, flags: DEASSIGN })).toBe(0);
  });

  it("[routing-36] after de-assign returns, a write is neither consumed nor delivered, and the eventfd can be bound again", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5 });
    routing.irqfd({ fd: efd, gsi: 5, flags: DEASSIGN });
    efd.write(1);
    expect(chip.calls).toEqual([]);
    expect(efd.counter).toBe(1);
    // Re-binding finds the count pending: one injection, count kept.
    routing.irqfd({ fd: efd, gsi: 5 });
    expect(chip.pinCalls(5).length).toBe(2);
    expect(efd.counter).toBe(1);
  });

  it("de-assign discards a count pending in the eventfd (the shutdown reads it)", () => {
    const { routing } = booke();
    const efd = EventFd.create(3);
    routing.irqfd({ fd: efd, gsi: 5 });
    expect(efd.counter).toBe(3);
    routing.irqfd({ fd: efd, gsi: 5, flags: DEASSIGN });
    expect(efd.counter).toBe(0);
  });

  it("[routing-37] closing the last descriptor removes the irqfd (a dup keeps it alive); the GSI then takes a new eventfd", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    const dup = efd.dup();
    routing.irqfd({ fd: efd, gsi: 5 });
    efd.close();
    dup.write(1);
    expect(chip.pinCalls(5).length).toBe(2);
    dup.close();
    expect(routing.irqfds()).toEqual([]);
    const next = EventFd.create();
    expect(routing.irqfd({ fd: next, gsi: 5 })).toBe(0);
    next.write(1);
    expect(chip.pinCalls(5).length).toBe(4);
  });

  it("a write of 0 still wakes the irqfd and injects (eventfd wakes on every write)", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5 });
    efd.write(0);
    expect(chip.pinCalls(5)).toEqual([[1, 0], [0, 0]]);
  });

  it("strict book3s: a signal is one level-1 assert on source 0 (atomic fast path); a count pending at assign still pulses", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc64", strict: true, chip: { pins: 4096 } });
    const efd = EventFd.create(1);
    routing.irqfd({ fd: efd, gsi: 0x20 });
    expect(chip.pinCalls(0x20)).toEqual([[1, 0], [0, 0]]);
    chip.clear();
    efd.write(1);
    expect(chip.pinCalls(0x20)).toEqual([[1, 0]]);
    const rfd = EventFd.create();
    const lsi = EventFd.create();
    routing.irqfd({ fd: lsi, gsi: 0x21, flags: RESAMPLE, resamplefd: rfd });
    lsi.write(1);
    expect(chip.pinCalls(0x21)).toEqual([[1, 0]]);
    chip.ack(0x21);
    expect(chip.pinCalls(0x21)).toEqual([[1, 0], [0, 1]]);
    expect(rfd.counter).toBe(1);
  });

  it("generalised ppc64 uses the generic work-item semantics (pulse) on the identity table", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc64", chip: { pins: 4096 } });
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 0x20 });
    efd.write(1);
    expect(chip.pinCalls(0x20)).toEqual([[1, 0], [0, 0]]);
  });

  it("an eventfd of a destroyed VM's irqfd neither injects nor stays bound", () => {
    const { vm, routing, chip } = booke();
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5 });
    vm.destroy();
    // Released at destruction (kvm_irqfd_release), not lazily on the next signal.
    expect(routing.irqfds()).toEqual([]);
    expect(efd.file.priorityWaiter).toBeNull();
    efd.write(1);
    expect(chip.calls).toEqual([]);
    expect(efd.counter).toBe(1);
  });

  it("the chip routes of every GSI fan-out reach the irqfd's injection as well", () => {
    const { vm, routing, chip } = booke();
    const second = new RecordingChip({ name: "second", index: 1 }).attach(vm);
    routing.setGsiRouting([irqchipRoute(8, 0, 1), irqchipRoute(8, 1, 2)]);
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 8 });
    efd.write(1);
    expect(chip.pinCalls(1)).toEqual([[1, 0], [0, 0]]);
    expect(second.pinCalls(2)).toEqual([[1, 0], [0, 0]]);
  });
});
