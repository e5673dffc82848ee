import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { KvmError } from "@irqlab/core";
import { EventFd, createRoutingTestVm, irqchipRoute, type AnyRoutingEntry, type GsiRouting } from "./index.js";

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
