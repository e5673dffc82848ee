import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno, KvmError, errnoOf } from "@irqlab/core";
import { EventFd, createRoutingTestVm, irqchipRoute, msiRoute, type AnyRoutingEntry, type GsiRouting } from "./index.js";

const anything = fc.anything({ withBigInt: true, withBoxedValues: true, withNullPrototype: true, withObjectString: true });

describe("bad input: no crash, nothing changed", () => {
  it("every typed entry point refuses garbage with a KvmError and leaves table, irqfds and ioeventfds as they were", () => {
    const tryCall = (routing: GsiRouting, f: () => unknown): void => {
      const snapshot = () => ({
        table: routing.routingTable,
        irqfds: routing.irqfds().map((i) => [i.gsi, i.eventfd.id]),
        ioeventfds: routing.ioeventfds.list(),
      });
      const before = snapshot();
      try {
        f();
      } catch (e) {
        expect(KvmError.is(e)).toBe(true);
        expect(snapshot()).toEqual(before);
      }
    };
    fc.assert(
      fc.property(fc.array(anything, { maxLength: 4 }), anything, anything, (entries, a, b) => {
        const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
        routing.setGsiRouting([irqchipRoute(1, 0, 1)]);
        const efd = EventFd.create();
        const t = (f: () => unknown) => tryCall(routing, f);
        t(() => routing.setGsiRouting(entries as AnyRoutingEntry[], a as number));
        t(() => routing.setGsiRouting([{ gsi: 1, type: 2, flags: 0, msi: b } as never]));
        t(() => routing.setGsiRouting([{ gsi: 1, type: 3, flags: 0, adapter: b } as never]));
        t(() => routing.irqfd({ fd: b as never, gsi: a as number, flags: b as number }));
        t(() => routing.irqfd({ fd: efd, gsi: 7, flags: a as number, resamplefd: b as never }));
        t(() => routing.ioeventfd({ fd: efd, addr: b as never, len: a as number, flags: 1, datamatch: b as never }));
        t(() => routing.ioeventfd({ fd: efd, addr: b as never, len: 4, flags: a as number, datamatch: b as never }));
        t(() => routing.signalMsi({ addressLo: 0, addressHi: 0, data: 0, flags: b as number }));
        t(() => efd.write(b as number));
        t(() => EventFd.create(b as number, a as number).close());
        efd.close();
      }),
      { numRuns: 300 },
    );
  });
});

describe("bad input at the API boundary (regressions)", () => {
  it("non-object arguments are refused with a KvmError, not a TypeError: setGsiRouting, irqfd, signalMsi, ioeventfd", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(1, 0, 1)]);
    const before = routing.routingTable;
    for (const bad of [null, undefined, 5, "x"]) {
      expect(KvmError.is(catchIt(() => routing.setGsiRouting(bad as never)))).toBe(true);
      expect(KvmError.is(catchIt(() => routing.irqfd(bad as never)))).toBe(true);
      expect(KvmError.is(catchIt(() => routing.signalMsi(bad as never)))).toBe(true);
      expect(KvmError.is(catchIt(() => routing.ioeventfd(bad as never)))).toBe(true);
    }
    expect(routing.routingTable).toBe(before);
    expect(routing.irqfds()).toEqual([]);
  });

  it("KVM_IRQ_LINE refuses a gsi or level that is not a number (no silent coercion of \"abc\" to GSI 0, no TypeError)", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(0, 0, 0)]);
    for (const [gsi, level] of [["abc", 1], [-1n, 1], [Symbol("g"), 1], [0, "1"], [0.5, 1], [0, -1], [2 ** 32, 1]] as const) {
      expect(errnoOf(() => routing.irqLineStatus(gsi as never, level as never))).toBe(Errno.EINVAL);
      expect(errnoOf(() => routing.irqLine(gsi as never, level as never))).toBe(Errno.EINVAL);
    }
    expect(chip.calls).toEqual([]);
    // issue 16: u32 fields take number | bigint (core's validation layer).
    expect(errnoOf(() => routing.irqLine(0n as never, 1n as never))).toBe(0);
    expect(chip.calls).toHaveLength(1);
  });

  it("KVM_SIGNAL_MSI refuses message fields that are not u32 numbers instead of handing them to the controller", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    const good = { addressLo: 0xfee00000, addressHi: 0, data: 1 };
    for (const field of ["addressLo", "addressHi", "data", "devid"]) {
      for (const v of ["x", 1.5, 2 ** 32, 2n ** 32n, -1, null]) {
        expect(errnoOf(() => routing.signalMsi({ ...good, [field]: v } as never))).toBe(Errno.EINVAL);
      }
    }
    expect(chip.calls).toEqual([]);
    // issue 16: a negative integer is refused, not wrapped; a bigint is the u32 it holds.
    expect(routing.signalMsi({ addressLo: 0xfee00000n, addressHi: 0, data: 0xffffffffn } as never)).toBe(1);
    expect(chip.calls[0].msg).toEqual({ addressLo: 0xfee00000, addressHi: 0, data: 0xffffffff, flags: 0, devid: 0 });
  });

  it("registerAckNotifier refuses a callback that is not a function (it would throw inside a guest EOI)", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(3, 0, 3)]);
    expect(errnoOf(() => routing.registerAckNotifier(3, null as never))).toBe(Errno.EINVAL);
    expect(() => chip.ack(3)).not.toThrow();
  });

  it("EventFdFile.signal (the kernel's eventfd_signal) refuses a count that is not a positive integer instead of lowering the counter", () => {
    const efd = EventFd.create(10);
    for (const n of [-5, 0, 1.5, Number.NaN, "1"]) expect(errnoOf(() => efd.file.signal(n as never))).toBe(Errno.EINVAL);
    expect(efd.counter).toBe(10);
    efd.file.signal();
    expect(efd.counter).toBe(11);
  });

  it("a guest PIO write with a garbage address is a miss, not a TypeError", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
    expect(routing.ioWrite("pio", null as never, 4, 0)).toBe(false);
    expect(routing.ioWrite("pio", 1.5, 4, 0)).toBe(false);
  });

  it("getGsiRouting returns copies: mutating what it returned does not change the live table", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([msiRoute(2, 0x22), irqchipRoute(3, 0, 3)]);
    const got = routing.getGsiRouting() as Array<Record<string, any>>;
    got[0].msi.data = 0x99;
    got[0].msi.addressLo = 0;
    got[1].pin = 7;
    routing.irqLineStatus(2, 1);
    routing.irqLineStatus(3, 1);
    expect(chip.calls.map((c) => (c.kind === "msi" ? [c.msg!.addressLo, c.msg!.data] : c.pin))).toEqual([[0xfee00000, 0x22], 3]);
    expect(routing.getGsiRouting()).toEqual([msiRoute(2, 0x22), irqchipRoute(3, 0, 3)]);
  });
});

function catchIt(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
