import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  Errno,
  KVM_CAP_IRQ_ROUTING,
  KvmError,
  errnoOf,
  fail,
  type IrqchipEntry,
  type RoutingEntry,
} from "@irqlab/core";
import {
  KVM_SET_GSI_ROUTING,
  KVM_SET_GSI_ROUTING_PPC,
  RecordingChip,
  adapterRoute,
  createRoutingTestVm,
  encodeIrqRouting,
  irqchipRoute,
  msiRoute,
  type AnyRoutingEntry,
} from "./index.js";

describe("KVM_SET_GSI_ROUTING limits and header", () => {
  it("[routing-1] KVM_CHECK_EXTENSION(KVM_CAP_IRQ_ROUTING) is 4096 where the architecture routes", () => {
    expect(createRoutingTestVm({ arch: "ppc-booke" }).vm.checkExtension(KVM_CAP_IRQ_ROUTING)).toBe(4096);
    expect(createRoutingTestVm({ arch: "s390x" }).vm.checkExtension(KVM_CAP_IRQ_ROUTING)).toBe(4096);
    expect(createRoutingTestVm({ arch: "ppc64" }).vm.checkExtension(KVM_CAP_IRQ_ROUTING)).toBe(4096);
    // book3s builds no routing table: the capability is absent on the real kernel.
    expect(createRoutingTestVm({ arch: "ppc64", strict: true }).vm.checkExtension(KVM_CAP_IRQ_ROUTING)).toBe(0);
  });

  it("[routing-2] nr = 4097 fails with EINVAL and the old table stays in force", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(1, 0, 11)]);
    const before = routing.routingTable;
    const big = Array.from({ length: 4097 }, (_, g) => msiRoute(g % 4096, g));
    expect(errnoOf(() => routing.setGsiRouting(big))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.setGsiRoutingIoctl(encodeIrqRouting(big)))).toBe(Errno.EINVAL);
    expect(routing.routingTable).toBe(before);
    expect(routing.irqLineStatus(1, 1)).toBe(1);
    expect(chip.pinCalls(11)).toEqual([[1, 0]]);
  });

  it("[routing-3] nr = 4096 distinct MSI entries (GSIs 0..4095) are accepted and deliver", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    const entries = Array.from({ length: 4096 }, (_, g) => msiRoute(g, 0x1000 + g));
    expect(routing.setGsiRoutingIoctl(encodeIrqRouting(entries))).toBe(0);
    expect(routing.routingTable.nrRtEntries).toBe(4096);
    expect(routing.irqLineStatus(4095, 1)).toBe(1);
    expect(chip.calls.at(-1)).toMatchObject({ kind: "msi", msg: { data: 0x1000 + 4095 }, level: 1, sourceId: 0 });
  });

  it("[routing-4] header flags = 1 fails with EINVAL (typed and buffer forms)", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
    expect(errnoOf(() => routing.setGsiRouting([irqchipRoute(0, 0, 0)], 1))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.setGsiRoutingIoctl(encodeIrqRouting([irqchipRoute(0, 0, 0)], 1)))).toBe(Errno.EINVAL);
    expect(routing.getGsiRouting()).toEqual([]);
  });

  it("[routing-5] an entry with gsi 4096 fails the whole call with EINVAL; none of its entries is visible", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    expect(errnoOf(() => routing.setGsiRouting([irqchipRoute(0, 0, 1), irqchipRoute(4096, 0, 2)]))).toBe(Errno.EINVAL);
    expect(routing.getGsiRouting()).toEqual([]);
    expect(routing.irqLineStatus(0, 1)).toBe(-1);
    expect(chip.calls).toEqual([]);
  });

  it("[routing-47] the header is checked before the entries are read, and every entry is read before any gsi", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
    // flags = 1 with unreadable entries: EINVAL (nr and flags come first).
    expect(errnoOf(() => routing.setGsiRoutingIoctl(encodeIrqRouting([], 1, "le", 2)))).toBe(Errno.EINVAL);
    // entry 0 at GSI 4096, entry 1 unreadable: EFAULT (the copy precedes the gsi pre-pass).
    expect(errnoOf(() => routing.setGsiRoutingIoctl(encodeIrqRouting([irqchipRoute(4096, 0, 0)], 0, "le", 2)))).toBe(
      Errno.EFAULT,
    );
    // nr = 0xFFFFFFFF with one readable entry: EINVAL.
    expect(errnoOf(() => routing.setGsiRoutingIoctl(encodeIrqRouting([irqchipRoute(0, 0, 0)], 0, "le", 0xffffffff)))).toBe(
      Errno.EINVAL,
    );
    // An unreadable header is EFAULT.
    expect(errnoOf(() => routing.setGsiRoutingIoctl(null))).toBe(Errno.EFAULT);
    expect(errnoOf(() => routing.setGsiRoutingIoctl(new Uint8Array(7)))).toBe(Errno.EFAULT);
    expect(routing.getGsiRouting()).toEqual([]);
  });

  it("the VM ioctl dispatcher takes both encodings of KVM_SET_GSI_ROUTING", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
    expect(routing.ioctl(KVM_SET_GSI_ROUTING_PPC, encodeIrqRouting([irqchipRoute(3, 0, 3)]))).toBe(0);
    expect(routing.ioctl(KVM_SET_GSI_ROUTING, encodeIrqRouting([irqchipRoute(4, 0, 4)]))).toBe(0);
    expect(routing.getGsiRouting()).toEqual([irqchipRoute(4, 0, 4)]);
    expect(errnoOf(() => routing.ioctl(0x1234, null))).toBe(Errno.ENOTTY);
  });
});

describe("KVM_SET_GSI_ROUTING entry rules", () => {
  it("[routing-6] IRQCHIP flags 1 is EINVAL; MSI with KVM_MSI_VALID_DEVID is accepted; MSI flags 2 is EINVAL", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    expect(errnoOf(() => routing.setGsiRouting([irqchipRoute(0, 0, 0, 1)]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.setGsiRouting([msiRoute(0, 5, 0xfee00000, 2)]))).toBe(Errno.EINVAL);
    expect(routing.setGsiRouting([msiRoute(0, 5, 0xfee00000, 1, 0x0810)])).toBe(0);
    routing.irqLineStatus(0, 1);
    expect(chip.calls[0].msg).toEqual({ addressLo: 0xfee00000, addressHi: 0, data: 5, flags: 1, devid: 0x0810 });
  });

  it("[routing-7] two MSI entries for one GSI fail with EINVAL and the previous table remains", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([msiRoute(2, 0x22)]);
    expect(errnoOf(() => routing.setGsiRouting([msiRoute(2, 0x33), msiRoute(2, 0x44)]))).toBe(Errno.EINVAL);
    routing.irqLineStatus(2, 1);
    expect(chip.calls.map((c) => c.msg?.data)).toEqual([0x22]);
  });

  it("[routing-8] an MSI entry and an IRQCHIP entry on one GSI fail with EINVAL, in either order", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
    expect(errnoOf(() => routing.setGsiRouting([msiRoute(1, 1), irqchipRoute(1, 0, 1)]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.setGsiRouting([irqchipRoute(1, 0, 1), msiRoute(1, 1)]))).toBe(Errno.EINVAL);
    expect(routing.getGsiRouting()).toEqual([]);
  });

  it("[routing-9] two IRQCHIP entries on one GSI and irqchip fail (even with different pins); different irqchips fan out", () => {
    const { vm, routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    expect(errnoOf(() => routing.setGsiRouting([irqchipRoute(4, 0, 1), irqchipRoute(4, 0, 2)]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.setGsiRouting([irqchipRoute(4, 0, 1), irqchipRoute(4, 0, 1)]))).toBe(Errno.EINVAL);
    // Generalised mode: a second controller (irqchip 1) may share the GSI, as PIC + IOAPIC do on x86.
    const second = new RecordingChip({ name: "second", index: 1, pins: 24 }).attach(vm);
    expect(routing.setGsiRouting([irqchipRoute(4, 0, 1), irqchipRoute(4, 1, 9)])).toBe(0);
    expect(routing.irqLineStatus(4, 1)).toBe(2);
    expect(chip.pinCalls(1)).toEqual([[1, 0]]);
    expect(second.pinCalls(9)).toEqual([[1, 0]]);
  });

  it("[routing-12] on PowerPC/MPIC, IRQCHIP pin 256 fails with EINVAL and pin 255 succeeds (strict and generalised)", () => {
    for (const strict of [true, false]) {
      const { routing } = createRoutingTestVm({ arch: "ppc-booke", strict });
      expect(errnoOf(() => routing.setGsiRouting([irqchipRoute(0, 0, 256)]))).toBe(Errno.EINVAL);
      expect(routing.setGsiRouting([irqchipRoute(0, 0, 255)])).toBe(0);
    }
  });

  it("ppc-booke refuses irqchip != 0 (documented conservative deviation: the kernel does not check it)", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke", strict: true });
    expect(errnoOf(() => routing.setGsiRouting([irqchipRoute(0, 1, 3)]))).toBe(Errno.EINVAL);
  });

  it("[routing-13] on s390 a non-adapter route fails with EINVAL; an adapter route on unbacked memory fails with EFAULT", () => {
    const { vm, routing } = createRoutingTestVm({
      arch: "s390x",
      memorySize: 1 << 20,
      chip: { name: "flic", routeTypes: [3] },
    });
    expect(errnoOf(() => routing.setGsiRouting([msiRoute(0, 1)]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.setGsiRouting([irqchipRoute(0, 0, 0)]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => routing.setGsiRouting([adapterRoute(0, { indAddr: 1 << 21 })]))).toBe(Errno.EFAULT);
    expect(errnoOf(() => routing.setGsiRouting([adapterRoute(0, { summaryAddr: 1 << 21 })]))).toBe(Errno.EFAULT);
    vm.memory.unmap(0x5000, 0x1000);
    expect(errnoOf(() => routing.setGsiRouting([adapterRoute(0, { indAddr: 0x5008 })]))).toBe(Errno.EFAULT);
    expect(routing.setGsiRouting([adapterRoute(0, { indAddr: 0x6000, summaryAddr: 0x7000 })])).toBe(0);
    // The architecture rule holds without a FLIC too (strict): adapter ids are not checked at setup.
    const bare = createRoutingTestVm({ arch: "s390x", strict: true, chip: false });
    expect(bare.routing.setGsiRouting([adapterRoute(7, { adapterId: 99 })])).toBe(0);
  });

  it("HV_SINT, XEN_EVTCHN and unknown types are EINVAL, as on a kernel built without them", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
    for (const type of [0, 4, 5, 6, 0xffffffff]) {
      expect(errnoOf(() => routing.setGsiRouting([{ gsi: 1, type, flags: 0 } as AnyRoutingEntry]))).toBe(Errno.EINVAL);
    }
    // The per-GSI conflict check runs before the type is looked at.
    const e = errnoOf(() => routing.setGsiRouting([msiRoute(1, 1), { gsi: 1, type: 4, flags: 0, vcpu: 0, sint: 0 }]));
    expect(e).toBe(Errno.EINVAL);
  });

  it("checks run in array order: an earlier EFAULT wins over a later EINVAL; the gsi pre-pass wins over both", () => {
    const { routing } = createRoutingTestVm({ arch: "s390x", memorySize: 1 << 20, chip: { routeTypes: [3] } });
    expect(errnoOf(() => routing.setGsiRouting([adapterRoute(0, { indAddr: 1 << 22 }), msiRoute(1, 1)]))).toBe(Errno.EFAULT);
    expect(errnoOf(() => routing.setGsiRouting([msiRoute(1, 1), adapterRoute(0, { indAddr: 1 << 22 })]))).toBe(Errno.EINVAL);
    expect(
      errnoOf(() => routing.setGsiRouting([adapterRoute(0, { indAddr: 1 << 22 }), adapterRoute(4096)])),
    ).toBe(Errno.EINVAL);
  });

  it("a controller's validateRoute() refusal passes through with its errno and changes nothing", () => {
    const { routing } = createRoutingTestVm({
      arch: "ppc-booke",
      chip: { validateRoute: (e) => ((e as IrqchipEntry).pin === 13 ? fail(Errno.ERANGE, "pin 13 is reserved") : undefined) },
    });
    routing.setGsiRouting([irqchipRoute(0, 0, 1)]);
    expect(errnoOf(() => routing.setGsiRouting([irqchipRoute(1, 0, 12), irqchipRoute(2, 0, 13)]))).toBe(Errno.ERANGE);
    expect(routing.getGsiRouting()).toEqual([irqchipRoute(0, 0, 1)]);
  });

  it("[routing-14] nr = 0 succeeds; afterwards KVM_IRQ_LINE_STATUS on any GSI reports -1", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(0, 0, 0), msiRoute(9, 9)]);
    expect(routing.setGsiRoutingIoctl(encodeIrqRouting([]))).toBe(0);
    for (const gsi of [0, 9, 100, 4095]) expect(routing.irqLineStatus(gsi, 1)).toBe(-1);
    expect(chip.calls).toEqual([]);
    expect(routing.routingTable.nrRtEntries).toBe(1);
  });

  it("a route naming a controller that does not exist yet is kept: it injects nothing until that controller registers", () => {
    const { vm, routing, chip } = createRoutingTestVm({ arch: "ppc-booke", chip: { index: 1, name: "other" } });
    // ppc-booke allows irqchip 0 (the MPIC's) although only irqchip 1 is registered.
    routing.setGsiRouting([irqchipRoute(5, 0, 5), irqchipRoute(6, 1, 6)]);
    expect(routing.irqLineStatus(5, 1)).toBe(-1);
    expect(routing.irqLineStatus(6, 1)).toBe(1);
    const late = new RecordingChip({ name: "late", index: 0 }).attach(vm);
    expect(routing.irqLineStatus(5, 1)).toBe(1);
    expect(late.pinCalls(5)).toEqual([[1, 0]]);
    late.detach();
    expect(routing.irqLineStatus(5, 1)).toBe(-1);
    expect(chip.pinCalls(6)).toEqual([[1, 0]]);
  });
});

describe("atomic publication", () => {
  it("[routing-15] a failed KVM_SET_GSI_ROUTING (any reason) leaves every injection result as before", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(0, 0, 10), msiRoute(1, 0x11), irqchipRoute(2, 0, 12)]);
    const inject = () => {
      chip.clear();
      const st = [0, 1, 2, 3].map((g) => routing.irqLineStatus(g, 1));
      return { st, calls: chip.calls.map((c) => ({ ...c })) };
    };
    const reference = inject();
    const bad: Array<() => unknown> = [
      () => routing.setGsiRouting([irqchipRoute(0, 0, 1)], 1),
      () => routing.setGsiRouting([irqchipRoute(0, 0, 1), irqchipRoute(4096, 0, 1)]),
      () => routing.setGsiRouting([irqchipRoute(0, 0, 1), msiRoute(0, 1)]),
      () => routing.setGsiRouting([irqchipRoute(0, 0, 300)]),
      () => routing.setGsiRouting([irqchipRoute(0, 0, 3), { gsi: 1, type: 5, flags: 0 } as AnyRoutingEntry]),
      () => routing.setGsiRoutingIoctl(encodeIrqRouting([irqchipRoute(0, 0, 3)], 0, "le", 2)),
      () => routing.setGsiRoutingIoctl(null),
    ];
    for (const call of bad) {
      expect(() => call()).toThrow(KvmError);
      expect(inject()).toEqual(reference);
    }
  });

  it("[routing-16] after a successful update returns, no injection uses the old table; one already running finishes on the old routes", () => {
    const { vm, routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    const second = new RecordingChip({ name: "second", index: 1 }).attach(vm);
    routing.setGsiRouting([irqchipRoute(7, 0, 1), irqchipRoute(7, 1, 2)]);
    // The first route's callback re-routes GSI 7 while the fan-out is under way (KVM copies the
    // GSI's entries before calling them, so the running injection completes with the old ones).
    let rerouted = false;
    chip.result = () => {
      if (!rerouted) {
        rerouted = true;
        routing.setGsiRouting([irqchipRoute(7, 0, 3)]);
      }
      return 1;
    };
    expect(routing.irqLineStatus(7, 1)).toBe(2);
    expect(second.pinCalls(2)).toEqual([[1, 0]]);
    // Every injection after the update returned uses the new table only.
    chip.clear();
    second.clear();
    expect(routing.irqLineStatus(7, 1)).toBe(1);
    expect(chip.pinCalls(3)).toEqual([[1, 0]]);
    expect(chip.pinCalls(1)).toEqual([]);
    expect(second.calls).toEqual([]);
  });
});

// ---- property tests ------------------------------------------------------------------------

/** An independent statement of KVM's rules for a booke VM with chips 0 (256 pins) and 1 (16 pins). */
function expectedErrno(entries: readonly RoutingEntry[], pins: Record<number, number>): number {
  if (entries.length > 4096) return Errno.EINVAL;
  if (entries.some((e) => e.gsi >= 4096)) return Errno.EINVAL;
  const seen = new Map<number, RoutingEntry[]>();
  for (const e of entries) {
    if (e.type === 2 ? (e.flags & ~1) !== 0 : e.flags !== 0) return Errno.EINVAL;
    for (const o of seen.get(e.gsi) ?? []) {
      if (o.type !== 1 || e.type !== 1 || (o as IrqchipEntry).irqchip === (e as IrqchipEntry).irqchip) return Errno.EINVAL;
    }
    if (e.type === 1) {
      const n = pins[e.irqchip];
      if (n === undefined || e.pin >= n) return Errno.EINVAL;
    } else if (e.type !== 2) {
      return Errno.EINVAL;
    }
    seen.set(e.gsi, [...(seen.get(e.gsi) ?? []), e]);
  }
  return 0;
}

const gsiArb = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 12 }) }, { weight: 1, arbitrary: fc.constantFrom(4095, 4096, 0xffffffff) });
const flagsArb = fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 3) });
const entryArb: fc.Arbitrary<RoutingEntry> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ gsi: gsiArb, type: fc.constant(1 as const), flags: flagsArb, irqchip: fc.integer({ min: 0, max: 2 }), pin: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom(255, 256, 300)) }) },
  { weight: 3, arbitrary: fc.record({ gsi: gsiArb, flags: flagsArb, data: fc.integer({ min: 0, max: 0xffff }) }).map(({ gsi, flags, data }) => msiRoute(gsi, data, 0xfee00000, flags)) },
  { weight: 1, arbitrary: fc.record({ gsi: gsiArb, type: fc.constantFrom(0, 3, 4, 5, 9), flags: flagsArb }).map((e) => (e.type === 3 ? adapterRoute(e.gsi, {}, e.flags) : (e as unknown as RoutingEntry))) },
);

describe("property: a routing update applies whole or fails whole", () => {
  it("random tables either apply whole (every route delivers) or fail whole with KVM's errno (nothing changes)", () => {
    const { vm, routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    const second = new RecordingChip({ name: "second", index: 1, pins: 16, routeTypes: [1] }).attach(vm);
    const pins = { 0: 256, 1: 16 };
    let applied = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 24 }), fc.boolean(), (entries, viaIoctl) => {
        const before = routing.routingTable;
        const beforeEntries = routing.getGsiRouting();
        const want = expectedErrno(entries, pins);
        const got = errnoOf(() => (viaIoctl ? routing.setGsiRoutingIoctl(encodeIrqRouting(entries)) : routing.setGsiRouting(entries)));
        expect(got).toBe(want);
        if (got !== 0) {
          refused++;
          expect(routing.routingTable).toBe(before);
          expect(routing.getGsiRouting()).toEqual(beforeEntries);
          return;
        }
        applied++;
        expect(routing.getGsiRouting()).toEqual(entries);
        // The reverse map: an ack of (irqchip, pin) names the GSI of the last entry naming it.
        const lastGsi = new Map<string, number>();
        for (const e of entries) if (e.type === 1) lastGsi.set(`${e.irqchip}:${e.pin}`, e.gsi);
        for (const irqchip of [0, 1, 2]) {
          for (const pin of [0, 1, 2, 3, 5, 8, 13, 20, 255, 256, 300]) {
            expect(routing.routingTable.ackGsi(irqchip, pin)).toBe(lastGsi.get(`${irqchip}:${pin}`) ?? -1);
          }
        }
        // Every GSI delivers exactly its routes, in array order.
        for (let g = 0; g <= 13; g++) {
          chip.clear();
          second.clear();
          const status = routing.irqLineStatus(g, 1);
          const mine = entries.filter((e) => e.gsi === g);
          expect(status).toBe(mine.length === 0 ? -1 : mine.length);
          const seen = [...chip.calls.map((c) => (c.kind === "msi" ? `msi:${c.msg!.data}` : `0:${c.pin}`)), ...second.calls.map((c) => `1:${c.pin}`)];
          const expected = mine.map((e) => (e.type === 2 ? `msi:${e.msi.data}` : `${(e as IrqchipEntry).irqchip}:${(e as IrqchipEntry).pin}`));
          expect(seen.sort()).toEqual(expected.sort());
        }
      }),
      { numRuns: 300 },
    );
    // Both outcomes were exercised.
    expect(applied).toBeGreaterThan(30);
    expect(refused).toBeGreaterThan(30);
  });

  it("garbage input never crashes: it is refused with a KvmError and nothing changes, or accepted", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(0, 0, 0)]);
    fc.assert(
      fc.property(fc.array(fc.anything(), { maxLength: 4 }), fc.anything(), (entries, flags) => {
        const before = routing.routingTable;
        try {
          routing.setGsiRouting(entries as AnyRoutingEntry[], flags as number);
        } catch (e) {
          expect(KvmError.is(e)).toBe(true);
          expect(routing.routingTable).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("random buffers given to the ioctl form never crash", () => {
    const { routing } = createRoutingTestVm({ arch: "s390x", memorySize: 1 << 16, chip: { routeTypes: [3] } });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 + 48 * 3 }), (buf) => {
        const before = routing.routingTable;
        try {
          routing.setGsiRoutingIoctl(buf);
        } catch (e) {
          expect(KvmError.is(e)).toBe(true);
          expect(routing.routingTable).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("property: updates and controller changes, interleaved", () => {
  it("after any sequence of updates (valid or not) and controllers coming and going, injection and acks follow the last accepted table", () => {
    type Op = { kind: "set"; entries: RoutingEntry[] } | { kind: "attach" } | { kind: "detach" };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.array(entryArb, { maxLength: 12 }).map((entries) => ({ kind: "set" as const, entries })) },
      { weight: 1, arbitrary: fc.constant({ kind: "attach" as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: "detach" as const }) },
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => {
        const { vm, routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
        let second: RecordingChip | null = null;
        let table: RoutingEntry[] = [];
        for (const op of ops) {
          if (op.kind === "attach" && second === null) second = new RecordingChip({ name: "second", index: 1, pins: 16, routeTypes: [1] }).attach(vm);
          else if (op.kind === "detach" && second !== null) {
            second.detach();
            second = null;
          } else if (op.kind === "set") {
            const want = expectedErrno(op.entries, second ? { 0: 256, 1: 16 } : { 0: 256 });
            expect(errnoOf(() => routing.setGsiRouting(op.entries))).toBe(want);
            if (want === 0) table = op.entries;
          }
          // Model: a route delivers (1) when its controller is there now; else it is kept but gives -1.
          expect(routing.getGsiRouting()).toEqual(table);
          for (let g = 0; g <= 13; g++) {
            const live = table.filter((e) => e.gsi === g && (e.type !== 1 || e.irqchip === 0 || second !== null)).length;
            chip.clear();
            second?.clear();
            expect(routing.irqLineStatus(g, 1)).toBe(live === 0 ? -1 : live);
          }
          const last = new Map<string, number>();
          for (const e of table) if (e.type === 1) last.set(`${e.irqchip}:${e.pin}`, e.gsi);
          for (const [key, gsi] of last) {
            const [irqchip, pin] = key.split(":").map(Number);
            expect(routing.routingTable.ackGsi(irqchip, pin)).toBe(gsi);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
