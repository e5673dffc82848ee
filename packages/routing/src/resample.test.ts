import { describe, expect, it } from "vitest";
import { Errno, errnoOf } from "@irqlab/core";
import {
  EventFd,
  GsiAllocator,
  MaskableIrqfd,
  RecordingChip,
  KVM_IRQFD_FLAG_DEASSIGN,
  KVM_IRQFD_FLAG_RESAMPLE,
  createRoutingTestVm,
  irqchipRoute,
  msiRoute,
} from "./index.js";

const RESAMPLE = KVM_IRQFD_FLAG_RESAMPLE;
const DEASSIGN = KVM_IRQFD_FLAG_DEASSIGN;

function booke(strict = false) {
  const t = createRoutingTestVm({ arch: "ppc-booke", strict });
  t.routing.setGsiRouting([irqchipRoute(5, 0, 5), irqchipRoute(6, 0, 6), msiRoute(9, 0x99)]);
  return t;
}

describe("resampling irqfds", () => {
  it("[routing-28] a resample irqfd asserts on source 1 and holds until the guest acks; the ack drops it once and +1s the resamplefd", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    const rfd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5, flags: RESAMPLE, resamplefd: rfd });
    efd.write(1);
    expect(chip.pinCalls(5)).toEqual([[1, 1]]);
    expect(chip.line(5)).toBe(true);
    expect(rfd.counter).toBe(0);
    chip.ack(5);
    expect(chip.pinCalls(5)).toEqual([[1, 1], [0, 1]]);
    expect(chip.line(5)).toBe(false);
    expect(rfd.counter).toBe(1);
    // Nothing is re-delivered: the device re-signals if it still needs service.
    chip.ack(5);
    expect(chip.pinCalls(5).length).toBe(3);
    expect(rfd.counter).toBe(2);
  });

  it("two signals before the ack give one interrupt line and one resample", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    const rfd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5, flags: RESAMPLE, resamplefd: rfd });
    efd.write(1);
    efd.write(1);
    expect(chip.pinCalls(5)).toEqual([[1, 1], [1, 1]]);
    chip.ack(5);
    expect(rfd.counter).toBe(1);
    expect(chip.line(5)).toBe(false);
  });

  it("[routing-29] with two resample irqfds on one GSI, one ack increments both resamplefds (even one whose irqfd never fired)", () => {
    const { routing, chip } = booke();
    const [e1, e2, r1, r2] = [EventFd.create(), EventFd.create(), EventFd.create(), EventFd.create()];
    routing.irqfd({ fd: e1, gsi: 5, flags: RESAMPLE, resamplefd: r1 });
    routing.irqfd({ fd: e2, gsi: 5, flags: RESAMPLE, resamplefd: r2 });
    e1.write(1);
    chip.ack(5);
    expect([r1.counter, r2.counter]).toEqual([1, 1]);
    // One de-assert for the GSI, not one per irqfd.
    expect(chip.pinCalls(5)).toEqual([[1, 1], [0, 1]]);
    expect(routing.counters()).toMatchObject({ resamplers: 1, resamples: 1 });
  });

  it("[routing-22] when two GSIs name one (irqchip, pin), an ack notifies only the GSI of the later entry", () => {
    const { routing, chip } = booke();
    routing.setGsiRouting([irqchipRoute(10, 0, 7), irqchipRoute(11, 0, 7)]);
    const [e10, e11, r10, r11] = [EventFd.create(), EventFd.create(), EventFd.create(), EventFd.create()];
    routing.irqfd({ fd: e10, gsi: 10, flags: RESAMPLE, resamplefd: r10 });
    routing.irqfd({ fd: e11, gsi: 11, flags: RESAMPLE, resamplefd: r11 });
    e10.write(1);
    e11.write(1);
    chip.ack(7);
    expect(r10.counter).toBe(0);
    expect(r11.counter).toBe(1);
    // The earlier GSI's resampler never sees the EOI: its source-1 assertion stays.
    expect(chip.pinCalls(7)).toEqual([[1, 1], [1, 1], [0, 1]]);
    // Swapping the order moves the acks to the other GSI.
    routing.setGsiRouting([irqchipRoute(11, 0, 7), irqchipRoute(10, 0, 7)]);
    chip.ack(7);
    expect([r10.counter, r11.counter]).toEqual([1, 1]);
  });

  it("[routing-22] a lone resampler on the earlier of two GSIs sharing a pin never sees the EOI: its line stays asserted (irqfd_resample_pin_shared_first_gsi); on the later GSI it resamples (…_last_gsi)", () => {
    for (const [gsi, acked] of [[10, false], [11, true]] as const) {
      const { routing, chip } = booke();
      routing.setGsiRouting([irqchipRoute(10, 0, 7), irqchipRoute(11, 0, 7)]);
      const efd = EventFd.create();
      const rfd = EventFd.create();
      routing.irqfd({ fd: efd, gsi, flags: RESAMPLE, resamplefd: rfd });
      efd.write(1);
      chip.ack(7);
      chip.ack(7);
      expect(rfd.counter).toBe(acked ? 2 : 0);
      expect(chip.line(7)).toBe(!acked);
      expect(routing.counters()).toMatchObject({ acks: 2, ackedGsis: acked ? 2 : 0 });
    }
  });

  it("[routing-38] removing the last resample irqfd of a GSI de-asserts it on source 1 and removes its ack notifier", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    const rfd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5, flags: RESAMPLE, resamplefd: rfd });
    efd.write(1);
    routing.irqfd({ fd: efd, gsi: 5, flags: DEASSIGN });
    expect(chip.pinCalls(5)).toEqual([[1, 1], [0, 1]]);
    expect(routing.counters().resamplers).toBe(0);
    chip.ack(5);
    expect(rfd.counter).toBe(0);
    expect(routing.counters().ackedGsis).toBe(0);
  });

  it("[routing-49] de-assigning or closing the last resample irqfd de-asserts without signalling; removing one of two keeps the line", () => {
    const { routing, chip } = booke();
    const [e1, e2, r1, r2] = [EventFd.create(), EventFd.create(), EventFd.create(), EventFd.create()];
    routing.irqfd({ fd: e1, gsi: 5, flags: RESAMPLE, resamplefd: r1 });
    routing.irqfd({ fd: e2, gsi: 5, flags: RESAMPLE, resamplefd: r2 });
    e1.write(1);
    routing.irqfd({ fd: e1, gsi: 5, flags: DEASSIGN });
    expect(chip.line(5)).toBe(true);
    expect(chip.pinCalls(5)).toEqual([[1, 1]]);
    e2.close();
    expect(chip.line(5)).toBe(false);
    expect(chip.pinCalls(5)).toEqual([[1, 1], [0, 1]]);
    expect([r1.counter, r2.counter]).toEqual([0, 0]);
    expect(routing.irqfds()).toEqual([]);
  });

  it("[routing-50] a resample irqfd on an MSI GSI delivers the message on every signal and never signals its resamplefd", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    const rfd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 9, flags: RESAMPLE, resamplefd: rfd });
    efd.write(1);
    efd.write(1);
    expect(chip.calls.map((c) => [c.kind, c.msg?.data, c.level, c.sourceId])).toEqual([
      ["msi", 0x99, 1, 1],
      ["msi", 0x99, 1, 1],
    ]);
    for (let pin = 0; pin < 256; pin++) chip.ack(pin);
    expect(rfd.counter).toBe(0);
  });

  it("a resample irqfd on an unrouted GSI is accepted; closing only the resamplefd does not disable the irqfd", () => {
    const { routing, chip } = booke();
    const efd = EventFd.create();
    const rfd = EventFd.create();
    expect(routing.irqfd({ fd: efd, gsi: 300, flags: RESAMPLE, resamplefd: rfd })).toBe(0);
    const e5 = EventFd.create();
    const r5 = EventFd.create();
    routing.irqfd({ fd: e5, gsi: 5, flags: RESAMPLE, resamplefd: r5 });
    r5.close();
    e5.write(1);
    expect(chip.pinCalls(5)).toEqual([[1, 1]]);
    chip.ack(5);
    expect(chip.pinCalls(5)).toEqual([[1, 1], [0, 1]]);
    expect(r5.file.counter).toBe(1);
    expect(routing.irqfds().length).toBe(2);
  });

  it("source ids: a resampler's assertion (source 1) is a different input from KVM_IRQ_LINE's (source 0)", () => {
    // The x86 PIC/IOAPIC OR their sources (spec item 48, x86-only); routing's part is the ids.
    const { routing, chip } = booke();
    const efd = EventFd.create();
    const rfd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5, flags: RESAMPLE, resamplefd: rfd });
    efd.write(1);
    routing.irqLine(5, 0);
    expect(chip.sourceLevel(5, 1)).toBe(1);
    expect(chip.sourceLevel(5, 0)).toBe(0);
    expect(chip.line(5)).toBe(true);
    // A plain irqfd's pulse is on source 0, the one KVM_IRQ_LINE uses.
    routing.irqLine(6, 1);
    const plain = EventFd.create();
    routing.irqfd({ fd: plain, gsi: 6 });
    plain.write(1);
    expect(chip.line(6)).toBe(false);
  });

  it("strict: an EBUSY RESAMPLE assign that created a resampler de-asserts the GSI (KVM's failure path); generalised changes nothing", () => {
    for (const strict of [true, false]) {
      const { routing, chip } = booke(strict);
      routing.irqLine(6, 1);
      const efd = EventFd.create();
      routing.irqfd({ fd: efd, gsi: 5 });
      chip.clear();
      expect(errnoOf(() => routing.irqfd({ fd: efd, gsi: 6, flags: RESAMPLE, resamplefd: EventFd.create() }))).toBe(Errno.EBUSY);
      expect(chip.pinCalls(6)).toEqual(strict ? [[0, 1]] : []);
      expect(routing.counters().resamplers).toBe(0);
    }
  });

  it("pitfall: resample is for INTx only, never MSI — an INTx line is held until the EOI reaches the resampler; an MSI GSI never resamples", () => {
    const { routing, chip } = booke();
    // INTx (IRQCHIP route): without the guest's EOI reaching the ack notifiers the device is
    // never told to re-check, and the line stays up.
    const efd = EventFd.create();
    const rfd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5, flags: RESAMPLE, resamplefd: rfd });
    efd.write(1);
    expect(rfd.counter).toBe(0);
    expect(chip.line(5)).toBe(true);
    chip.ack(5);
    expect(rfd.counter).toBe(1);
    expect(chip.line(5)).toBe(false);
    // MSI: nothing is held and nothing ever acks the GSI, so a device that waits for its
    // resamplefd before re-arming would wait forever. MSI vectors must use plain irqfds.
    const mfd = EventFd.create();
    const mrfd = EventFd.create();
    routing.irqfd({ fd: mfd, gsi: 9, flags: RESAMPLE, resamplefd: mrfd });
    mfd.write(1);
    for (let pin = 0; pin < 256; pin++) chip.ack(pin);
    mfd.write(1);
    expect(chip.calls.filter((c) => c.kind === "msi").map((c) => [c.msg!.data, c.level])).toEqual([[0x99, 1], [0x99, 1]]);
    expect(mrfd.counter).toBe(0);
    const v = new MaskableIrqfd(new GsiAllocator(routing, 64, 128), EventFd.create(), { addressLo: 0xe0000140, addressHi: 0, data: 1, flags: 0, devid: 0 });
    v.unmask();
    expect(routing.irqfdOf(v.eventfd)!.resample).toBe(false);
  });

  it("pitfall: a GSI is not a unique route key — routes are keyed by (gsi, irqchip, pin)", () => {
    const { vm, routing, chip } = booke();
    const second = new RecordingChip({ name: "second", index: 1, pins: 24 }).attach(vm);
    // One GSI, the same pin number on two controllers: two routes (PIC + IOAPIC style).
    // Two GSIs on one (irqchip, pin): both inject it. Only a repeated (gsi, irqchip) is refused.
    routing.setGsiRouting([irqchipRoute(4, 0, 1), irqchipRoute(4, 1, 1), irqchipRoute(7, 0, 1)]);
    expect(routing.irqLineStatus(4, 1)).toBe(2);
    expect(routing.irqLineStatus(7, 1)).toBe(1);
    expect(chip.pinCalls(1)).toEqual([[1, 0], [1, 0]]);
    expect(second.pinCalls(1)).toEqual([[1, 0]]);
    expect(errnoOf(() => routing.setGsiRouting([irqchipRoute(4, 0, 1), irqchipRoute(4, 0, 2)]))).toBe(Errno.EINVAL);
    // Acks are looked up by (irqchip, pin): pin 1 of chip 1 is GSI 4's; pin 1 of chip 0 went
    // to the later entry, GSI 7.
    const seen: number[] = [];
    routing.registerAckNotifier(4, (g) => seen.push(g));
    routing.registerAckNotifier(7, (g) => seen.push(g));
    second.ack(1);
    chip.ack(1);
    expect(seen).toEqual([4, 7]);
    expect([routing.routingTable.ackGsi(1, 1), routing.routingTable.ackGsi(0, 1)]).toEqual([4, 7]);
  });

  it("registerAckNotifier runs on acks of pins mapped to its GSI, until unregistered", () => {
    const { routing, chip } = booke();
    const seen: number[] = [];
    const off = routing.registerAckNotifier(6, (g) => seen.push(g));
    chip.ack(6);
    chip.ack(5);
    off();
    chip.ack(6);
    expect(seen).toEqual([6]);
  });
});
