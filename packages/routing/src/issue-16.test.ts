// Regression tests for issue 16 in routing: user pointers and integer fields go through
// core's validation layer; the codecs refuse malformed entries with EINVAL, not TypeError.
import { describe, expect, it } from "vitest";
import { Errno, errnoOf, KVM_IRQ_ROUTING_MSI } from "@irqlab/core";
import {
  createRoutingTestVm,
  decodeIrqRouting,
  encodeIrqRouting,
  irqchipRoute,
  KVM_SET_GSI_ROUTING,
  KVM_SIGNAL_MSI,
  type AnyRoutingEntry,
} from "./index.js";

describe("issue 16: routing input", () => {
  it("issue-16 #8: encodeIrqRouting with an MSI entry lacking msi is EINVAL; bigint fields are encoded", () => {
    const noMsi = { gsi: 1, type: KVM_IRQ_ROUTING_MSI, flags: 0 } as unknown as AnyRoutingEntry;
    expect(errnoOf(() => encodeIrqRouting([noMsi]))).toBe(Errno.EINVAL);
    const big = { gsi: 1n, type: KVM_IRQ_ROUTING_MSI, flags: 0n, msi: { addressLo: 0xfee00000n, addressHi: 0n, data: 5n, devid: 0n } };
    const bytes = encodeIrqRouting([big as unknown as AnyRoutingEntry]);
    const back = decodeIrqRouting(bytes).entries[0] as { gsi: number; msi: { data: number; addressLo: number } };
    expect(back.gsi).toBe(1);
    expect(back.msi.data).toBe(5);
    expect(back.msi.addressLo).toBe(0xfee00000);
    for (const bad of [1.5, -1, Number.NaN, 2 ** 32, "1", null]) {
      expect(errnoOf(() => encodeIrqRouting([{ ...irqchipRoute(0, 0, 1), pin: bad } as never]))).toBe(Errno.EINVAL);
    }
    expect(errnoOf(() => encodeIrqRouting([null as never]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => encodeIrqRouting(null as never))).toBe(Errno.EINVAL);
  });

  it("issue-16 #2: routing ioctls take any ArrayBufferView by its bytes; undefined, ArrayBuffer, {byteLength} are EFAULT", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    for (const p of [undefined, new ArrayBuffer(64), { byteLength: 12 }, "x"]) {
      expect(errnoOf(() => routing.setGsiRoutingIoctl(p as never))).toBe(Errno.EFAULT);
      expect(errnoOf(() => routing.signalMsiIoctl(p as never))).toBe(Errno.EFAULT);
      expect(errnoOf(() => routing.irqfdIoctl(p as never))).toBe(Errno.EFAULT);
      expect(errnoOf(() => routing.irqLineIoctl(p as never))).toBe(Errno.EFAULT);
      expect(errnoOf(() => routing.ioctl(KVM_SET_GSI_ROUTING, p as never))).toBe(Errno.EFAULT);
    }
    const enc = encodeIrqRouting([irqchipRoute(3, 0, 1)]);
    // A DataView over the same bytes is the same user memory.
    expect(routing.setGsiRoutingIoctl(new DataView(enc.buffer) as never)).toBe(0);
    expect(routing.getGsiRouting().map((e) => e.gsi)).toEqual([3]);
    expect(errnoOf(() => routing.ioctl(BigInt(KVM_SIGNAL_MSI) as never, new Uint32Array(8) as never))).not.toBe(-1);
    expect(errnoOf(() => routing.ioctl(1.5 as never, null))).toBe(Errno.EINVAL);
    expect(chip.calls.filter((c) => c.kind !== "msi")).toEqual([]);
  });

  it("issue-16: a getter that throws inside a routing entry is EFAULT and the table is unchanged", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(0, 0, 0)]);
    const before = JSON.stringify(routing.getGsiRouting());
    const evil = { ...irqchipRoute(1, 0, 1) };
    Object.defineProperty(evil, "pin", { get: () => { throw new Error("boom"); } });
    expect(errnoOf(() => routing.setGsiRouting([evil]))).toBe(Errno.EFAULT);
    expect(JSON.stringify(routing.getGsiRouting())).toBe(before);
    expect(errnoOf(() => routing.setGsiRouting([{ ...irqchipRoute(1, 0, 1), pin: 1n } as never]))).toBe(0);
  });
});
