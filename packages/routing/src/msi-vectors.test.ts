import { describe, expect, it } from "vitest";
import { Errno, errnoOf } from "@irqlab/core";
import { EventFd, GsiAllocator, MaskableIrqfd, createRoutingTestVm, irqchipRoute, msiRoute } from "./index.js";

const msg = (data: number) => ({ addressLo: 0xe0000140, addressHi: 0, data, flags: 0, devid: 0 });

function setup() {
  const t = createRoutingTestVm({ arch: "ppc-booke" });
  // Somebody else's route, outside the allocator's range, must survive every commit.
  t.routing.setGsiRouting([irqchipRoute(5, 0, 5)]);
  return { ...t, alloc: new GsiAllocator(t.routing, 64, 4096) };
}

describe("GsiAllocator and MaskableIrqfd (patterns 5 and 6)", () => {
  it("pitfall: eager per-vector allocation exhausts KVM_MAX_IRQ_ROUTES; lazy allocation with release loops past it", () => {
    const { routing, alloc } = setup();
    // Lazy: a GSI only while a vector is unmasked, released on dispose. 10 000 vectors > 4096 routes.
    for (let i = 0; i < 10_000; i++) {
      const v = new MaskableIrqfd(alloc, EventFd.create(), msg(i & 0xff));
      expect(v.gsi).toBe(-1);
      v.unmask();
      expect(v.gsi).toBeGreaterThanOrEqual(64);
      v.dispose();
      v.eventfd.close();
    }
    expect(alloc.allocated).toBe(0);
    expect(routing.getGsiRouting()).toEqual([irqchipRoute(5, 0, 5)]);
    // Eager: one GSI per possible vector runs out.
    const eager = new GsiAllocator(routing, 0, 4096);
    for (let i = 0; i < 4096; i++) eager.allocate();
    expect(errnoOf(() => eager.allocate())).toBe(Errno.ENOSPC);
  });

  it("pitfall: a masked MSI is kept pending (irqfd detached first) and delivered once on unmask, not dropped", () => {
    const { routing, chip, alloc } = setup();
    const v = new MaskableIrqfd(alloc, EventFd.create(), msg(0x31));
    v.unmask();
    v.eventfd.write(1);
    expect(chip.calls.filter((c) => c.level === 1).map((c) => c.msg!.data)).toEqual([0x31]);
    v.mask();
    v.eventfd.write(1);
    expect(v.pending).toBe(1);
    expect(chip.calls.filter((c) => c.level === 1).length).toBe(1);
    v.unmask();
    expect(chip.calls.filter((c) => c.level === 1).length).toBe(2);
    expect(routing.getGsiRouting()).toContainEqual(msiRoute(v.gsi, 0x31, 0xe0000140));
  });

  it("the naive order (route removed while the irqfd stays attached) loses the masked signal, as KVM drops unrouted signals", () => {
    const { routing, chip } = setup();
    const efd = EventFd.create();
    routing.setGsiRouting([msiRoute(70, 0x31)]);
    routing.irqfd({ fd: efd, gsi: 70 });
    routing.setGsiRouting([]); // "mask" by removing the route only
    efd.write(1);
    routing.setGsiRouting([msiRoute(70, 0x31)]); // "unmask"
    expect(chip.calls).toEqual([]);
    expect(efd.counter).toBe(0);
  });

  it("pitfall: ordering — unmask commits routes before attaching the irqfd; mask detaches before committing", () => {
    const { vm, alloc } = setup();
    const v = new MaskableIrqfd(alloc, EventFd.create(), msg(1));
    const rec = vm.tracer.record((n) => n === "routing.table.update" || n.startsWith("routing.irqfd.") );
    v.unmask();
    v.mask();
    rec.stop();
    expect(rec.events.map((e) => e.name)).toEqual([
      "routing.table.update",
      "routing.irqfd.assign",
      "routing.irqfd.deassign",
      "routing.table.update",
    ]);
  });

  it("a new message is committed at once while unmasked and used by the next signal", () => {
    const { chip, alloc } = setup();
    const v = new MaskableIrqfd(alloc, EventFd.create(), msg(1));
    v.unmask();
    v.setMessage(msg(2));
    v.eventfd.write(1);
    expect(chip.calls.filter((c) => c.level === 1).map((c) => c.msg!.data)).toEqual([2]);
    // A message the table refuses (flags 2) changes nothing: the route and the next signal keep data 2.
    expect(errnoOf(() => v.setMessage({ ...msg(3), flags: 2 }))).toBe(Errno.EINVAL);
    v.eventfd.write(1);
    expect(chip.calls.filter((c) => c.level === 1).map((c) => c.msg!.data)).toEqual([2, 2]);
    v.mask();
    v.unmask();
    expect(alloc.routing.getGsiRouting()).toContainEqual(msiRoute(v.gsi, 2, 0xe0000140));
    v.dispose();
    expect(errnoOf(() => v.unmask())).toBe(Errno.EBADF);
  });

  it("a failed unmask (the eventfd already backs another irqfd: EBUSY) changes nothing: no route, no GSI, still masked", () => {
    const { routing, alloc } = setup();
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 5 });
    const before = routing.getGsiRouting();
    const v = new MaskableIrqfd(alloc, efd, msg(7));
    expect(errnoOf(() => v.unmask())).toBe(Errno.EBUSY);
    expect(routing.getGsiRouting()).toEqual(before);
    expect(alloc.allocated).toBe(0);
    expect([v.gsi, v.masked]).toEqual([-1, true]);
    // An unmasked vector keeps its GSI and route when a later unmask of another one fails.
    const ok = new MaskableIrqfd(alloc, EventFd.create(), msg(8));
    ok.unmask();
    expect(errnoOf(() => v.unmask())).toBe(Errno.EBUSY);
    expect(routing.getGsiRouting()).toEqual([...before, msiRoute(ok.gsi, 8, 0xe0000140)]);
    expect(alloc.allocated).toBe(1);
  });

  it("allocator ranges are validated and free GSIs are reused", () => {
    const { routing } = setup();
    expect(errnoOf(() => new GsiAllocator(routing, 10, 10))).toBe(Errno.EINVAL);
    expect(errnoOf(() => new GsiAllocator(routing, 0, 5000))).toBe(Errno.EINVAL);
    const a = new GsiAllocator(routing, 100, 102);
    const [g1, g2] = [a.allocate(), a.allocate()];
    expect(errnoOf(() => a.allocate())).toBe(Errno.ENOSPC);
    a.free(g1);
    expect(a.allocate()).toBe(g1);
    expect(g2).toBe(101);
    expect(errnoOf(() => a.setRoute(150, null))).toBe(Errno.EINVAL);
  });
});
