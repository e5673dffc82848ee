import { describe, expect, it } from "vitest";
import { errnoOf, Errno, ExitStats, MmioBus, MMIO_UNCLAIMED, type MmioRegion } from "./index.js";

function region(log: string[]): MmioRegion {
  return {
    read: (o, s) => {
      log.push(`r${o}/${s}`);
      return o + 1;
    },
    write: (o, s, v) => {
      log.push(`w${o}/${s}=${v}`);
    },
  };
}

describe("MmioBus", () => {
  it("routes accesses to the region by offset and counts each as an exit", () => {
    const stats = new ExitStats();
    const bus = new MmioBus(stats);
    const log: string[] = [];
    bus.map(0x1000, 0x100, region(log), "a");
    expect(bus.read(0x1010, 4)).toBe(0x11);
    bus.write(0x10fc, 4, 7);
    expect(log).toEqual(["r16/4", "w252/4=7"]);
    expect(stats.snapshot()).toMatchObject({ mmioReads: 1, mmioWrites: 1, exits: 2 });
  });

  it("refuses overlaps (EEXIST) and bad sizes (EINVAL); unclaimed loads float high", () => {
    const stats = new ExitStats();
    const bus = new MmioBus(stats);
    const r = region([]);
    bus.map(0x1000, 0x100, r);
    expect(errnoOf(() => bus.map(0x10ff, 1, region([])))).toBe(Errno.EEXIST);
    expect(errnoOf(() => bus.map(0x0, 0, region([])))).toBe(Errno.EINVAL);
    expect(errnoOf(() => bus.read(0x1000, 3))).toBe(Errno.EINVAL);
    expect(bus.read(0x2000, 4)).toBe(MMIO_UNCLAIMED);
    expect(bus.read(0x10ff, 2)).toBe(0xffff); // straddles the end: unclaimed
    expect(stats.mmioUnhandled).toBe(2);
    expect(bus.regions()).toHaveLength(1);
    expect(bus.baseOf(r)).toBe(0x1000);
    expect(bus.unmap(r)).toBe(true);
    expect(bus.read(0x1000, 4)).toBe(MMIO_UNCLAIMED);
    bus.map(0x10ff, 1, region([]));
  });
});
