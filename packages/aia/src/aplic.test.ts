import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createVm, Errno, errnoOf, encodeU32 } from "@irqlab/core";
import routingModule, { encodeIrqLevel, decodeIrqLevelStatus, KVM_IRQ_LINE_STATUS } from "@irqlab/routing";
import { Aplic } from "./aplic.js";
import { aiaModule } from "./module.js";
import { aiaVm, deliverySetup } from "./__tests__/helpers.js";

const SRC5 = 0x0004 + 4 * 4;
const SETIP0 = 0x1c00;
const INCLRIP0 = 0x1d00;
const bit5 = 1 << 5;

function src5(mode: number) {
  const a = aiaVm().standard();
  a.aplicW(SRC5, mode);
  return a;
}
const pending = (a: ReturnType<typeof aiaVm>) => (a.aplicR(SETIP0) & bit5) !== 0;
const rect = (a: ReturnType<typeof aiaVm>) => (a.aplicR(INCLRIP0) & bit5) !== 0;

describe("KVM_IRQ_LINE on riscv (APLIC source number, no routing table)", () => {
  it("[aia-22] without the device ENXIO; with the device before INIT EBUSY", () => {
    const none = aiaVm({ device: false });
    expect(errnoOf(() => none.line(5, 1))).toBe(Errno.ENXIO);
    const a = aiaVm();
    expect(errnoOf(() => a.line(5, 1))).toBe(Errno.EBUSY);
  });

  it("[aia-24] standard setup: irq 0 and 33 ENODEV, irq 32 returns 0", () => {
    const a = aiaVm().standard();
    expect(errnoOf(() => a.line(0, 1))).toBe(Errno.ENODEV);
    expect(errnoOf(() => a.line(33, 1))).toBe(Errno.ENODEV);
    expect(a.line(32, 1)).toBe(0);
  });

  it("[aia-25] KVM_IRQ_LINE_STATUS irq 7 level 1 returns 0 and the struct reads back status 7", () => {
    const a = aiaVm().standard();
    const buf = encodeIrqLevel({ irq: 7, level: 1 });
    expect(a.routing.ioctl(KVM_IRQ_LINE_STATUS, buf)).toBe(0);
    expect(decodeIrqLevelStatus(buf)).toBe(7);
  });
});

describe("APLIC registers", () => {
  it("[aia-32] sourcecfg: 0x406 -> 0 (delegation refused), 0xFFFFFFFF -> 0, 0xFE -> 6, 2 -> 2", () => {
    const a = aiaVm().standard();
    const c3 = 0x0004 + 4 * 2;
    for (const [w, r] of [
      [0x406, 0],
      [0xffffffff, 0],
      [0xfe, 6],
      [2, 2],
    ]) {
      a.aplicW(c3, w);
      expect(a.aplicR(c3)).toBe(r);
    }
  });

  it("[aia-33] target[3] write 0xFFFFFFFF reads 0xFFFFF7FF", () => {
    const a = aiaVm().standard();
    a.aplicW(0x3004 + 8, 0xffffffff);
    expect(a.aplicR(0x3004 + 8)).toBe(0xfffff7ff);
  });

  it("[aia-34] setie[0] all-ones reads 0xFFFFFFFE (inactive sources too); setie[1] reads 1", () => {
    const a = aiaVm().standard();
    a.aplicW(0x1e00, 0xffffffff);
    expect(a.aplicR(0x1e00)).toBe(0xfffffffe);
    a.aplicW(0x1e04, 0xffffffff);
    expect(a.aplicR(0x1e04)).toBe(1);
  });

  it("[aia-35] setipnum 5 with sourcecfg 0 leaves setip 0; setipnum 0 and 33 change nothing", () => {
    const a = aiaVm().standard();
    a.aplicW(0x1cdc, 5);
    expect(a.aplicR(SETIP0)).toBe(0);
    a.aplicW(SRC5, 1);
    a.aplicW(0x1cdc, 0);
    a.aplicW(0x1cdc, 33);
    expect([a.aplicR(SETIP0), a.aplicR(SETIP0 + 4)]).toEqual([0, 0]);
  });

  it("[aia-36] edge-rise: (5,1) pends and in_clrip reads 1; clripnum clears; (5,1) again nothing; (5,0),(5,1) pends", () => {
    const a = src5(4);
    a.line(5, 1);
    expect(pending(a)).toBe(true);
    expect(rect(a)).toBe(true);
    a.aplicW(0x1ddc, 5);
    expect(pending(a)).toBe(false);
    a.line(5, 1);
    expect(pending(a)).toBe(false);
    a.line(5, 0);
    a.line(5, 1);
    expect(pending(a)).toBe(true);
  });

  it("[aia-37] edge-fall: (5,0) nothing and in_clrip 1; (5,1) nothing and in_clrip 0; (5,0) pends", () => {
    const a = src5(5);
    a.line(5, 0);
    expect(pending(a)).toBe(false);
    expect(rect(a)).toBe(true);
    a.line(5, 1);
    expect(pending(a)).toBe(false);
    expect(rect(a)).toBe(false);
    a.line(5, 0);
    expect(pending(a)).toBe(true);
  });

  it("[aia-38] level-high: (5,1) pends; clripnum clears; (5,1) again re-pends; (5,0) leaves pending", () => {
    const a = src5(6);
    a.line(5, 1);
    expect(pending(a)).toBe(true);
    a.aplicW(0x1ddc, 5);
    expect(pending(a)).toBe(false);
    a.line(5, 1);
    expect(pending(a)).toBe(true);
    a.line(5, 0);
    expect(pending(a)).toBe(true);
  });

  it("[aia-39] level-low: nothing until the first injection; (5,0) pends, in_clrip 1; (5,1) keeps it, in_clrip 0", () => {
    const a = src5(7);
    expect(pending(a)).toBe(false);
    a.line(5, 0);
    expect(pending(a)).toBe(true);
    expect(rect(a)).toBe(true);
    a.line(5, 1);
    expect(pending(a)).toBe(true);
    expect(rect(a)).toBe(false);
  });

  it("[aia-40] level-high with the line low ignores setipnum; after (5,1) + clripnum, setipnum pends", () => {
    const a = src5(6);
    a.aplicW(0x1cdc, 5);
    expect(pending(a)).toBe(false);
    a.line(5, 1);
    a.aplicW(0x1ddc, 5);
    a.aplicW(0x1cdc, 5);
    expect(pending(a)).toBe(true);
  });

  it("[aia-41] detached: (5,1) pends nothing but in_clrip reads the raw line; setipnum pends", () => {
    const a = src5(1);
    a.line(5, 1);
    expect(pending(a)).toBe(false);
    expect(rect(a)).toBe(true);
    a.aplicW(0x1cdc, 5);
    expect(pending(a)).toBe(true);
  });

  it("[aia-42] setipnum_be 0x05000000 pends 5; setipnum_le 5 pends 5; setipnum_be 5 nothing", () => {
    const a = src5(4);
    a.aplicW(0x2004, 0x05000000);
    expect(pending(a)).toBe(true);
    a.aplicW(0x1ddc, 5);
    a.aplicW(0x2000, 5);
    expect(pending(a)).toBe(true);
    a.aplicW(0x1ddc, 5);
    a.aplicW(0x2004, 5);
    expect(pending(a)).toBe(false);
  });
});

describe("APLIC delivery (MSI mode)", () => {
  it("[aia-43] (5,1) returns 0, sets eip(1, 33), pending stays 0, vCPU 0 untouched", () => {
    const a = deliverySetup();
    expect(a.line(5, 1)).toBe(0);
    expect(a.eip(1, 33)).toBe(true);
    expect(pending(a)).toBe(false);
    expect(a.eip(0, 33)).toBe(false);
  });

  it("[aia-44] with IE 0 pending stays and no IMSIC bit changes; domaincfg 0x100 then delivers and clears pending", () => {
    const a = deliverySetup((1 << 18) | 33, false);
    a.line(5, 1);
    expect(pending(a)).toBe(true);
    expect(a.allEip().every((w) => w === 0n)).toBe(true);
    a.aplicW(0, 0x100);
    expect(a.eip(1, 33)).toBe(true);
    expect(pending(a)).toBe(false);
  });

  it("[aia-45] guest index 1 in the target: returns 0, pending cleared, no IMSIC bit changes", () => {
    const a = deliverySetup((1 << 18) | (1 << 12) | 33);
    expect(a.line(5, 1)).toBe(0);
    expect(pending(a)).toBe(false);
    expect(a.allEip().every((w) => w === 0n)).toBe(true);
  });

  it("[aia-46] EIID 0, hart index 7, or (IDS 63) EIID 100: pending cleared, no IMSIC bit changes", () => {
    for (const [target, ids] of [
      [1 << 18, 255],
      [(7 << 18) | 33, 255],
      [(1 << 18) | 100, 63],
    ]) {
      const a = deliverySetup(target, true, { ids });
      expect(a.line(5, 1)).toBe(0);
      expect(pending(a)).toBe(false);
      expect(a.allEip().every((w) => w === 0n)).toBe(true);
    }
  });

  it("[aia-47] disabled source pends without delivery; clrie[0] write 0 delivers nothing; setienum delivers at once", () => {
    const a = deliverySetup();
    a.aplicW(0x1fdc, 5); // clrienum: disabled
    a.aplicW(0x1cdc, 5);
    expect(pending(a)).toBe(true);
    a.aplicW(0x1f00, 0);
    expect(a.eip(1, 33)).toBe(false);
    a.aplicW(0x1edc, 5);
    expect(a.eip(1, 33)).toBe(true);
    expect(pending(a)).toBe(false);
  });

  it("[aia-48] pending + enabled with IE 0, then sourcecfg 0, then IE: still delivered (rescan ignores SM)", () => {
    const a = deliverySetup((1 << 18) | 33, false);
    a.line(5, 1);
    a.aplicW(SRC5, 0);
    a.aplicW(0, 0x100);
    expect(a.eip(1, 33)).toBe(true);
  });

  it("[aia-49] genmsi (1 << 18) | 0xF000 | 40 with IE 0 reads back (1 << 18) | 40 and sets eip(1, 40)", () => {
    const a = aiaVm().standard();
    a.aplicW(0x3000, (1 << 18) | 0xf000 | 40);
    expect(a.aplicR(0x3000)).toBe((1 << 18) | 40);
    expect(a.eip(1, 40)).toBe(true);
  });

  it("[aia-69] a GRP_APLIC setip write with IE 1 and the source enabled delivers at once; setip reads 0", () => {
    const a = deliverySetup();
    a.aplicW(SETIP0, bit5);
    expect(a.eip(1, 33)).toBe(true);
    expect(a.aplicR(SETIP0)).toBe(0);
  });

  it("guest MMIO reaches the same registers; an unaligned or 2-byte access is an exit, not an emulation", () => {
    const a = deliverySetup();
    const v = a.vm.vcpus[0];
    expect(v.mmioRead(0x0c000000, 4)).toBe(0x80000104);
    v.mmioWrite(0x0c000000 + 0x1cdc, 4, 5);
    expect(a.eip(1, 33)).toBe(true);
    const before = a.vm.tracer.guestErrorCount;
    v.mmioWrite(0x0c000000 + 0x1cdc, 2, 5);
    expect(v.mmioRead(0x0c000000 + 0x1bc0, 4)).toBe(0);
    expect(a.vm.tracer.guestErrorCount).toBe(before + 2);
  });
});

describe("APLIC model properties", () => {
  it("rescan: the ready bitmap always equals pending & enabled (random register writes and line changes)", () => {
    const offs = [0, 0x0004, 0x0008, 0x1c00, 0x1cdc, 0x1d00, 0x1ddc, 0x1e00, 0x1edc, 0x1f00, 0x1fdc, 0x2000, 0x2004, 0x3000, 0x3004];
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.tuple(fc.constant("w" as const), fc.constantFrom(...offs), fc.nat()), fc.tuple(fc.constant("l" as const), fc.integer({ min: 0, max: 3 }), fc.nat(1))), { maxLength: 60 }),
        (ops) => {
          const sent: number[] = [];
          const ap = new Aplic(2, (h, g, e) => sent.push(e));
          for (const [k, x, y] of ops) {
            if (k === "w") ap.write(x, y);
            else ap.inject(x, y);
            // With IE set, nothing may stay pending and enabled after a write.
            if (k === "w" && ap.ie) for (let i = 1; i <= 2; i++) expect(ap.state[i] & 3).not.toBe(3);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("bad GRP_APLIC input answers an errno and changes nothing", () => {
    const vm = createVm({ arch: "riscv64", vcpus: 2, modules: [routingModule, aiaModule] });
    const a = aiaVm();
    void vm;
    a.standard();
    const snap = () => [0, 0x1c00, 0x1d00, 0x1e00, 0x3000, 0x3004].map((o) => a.aplicR(o));
    const before = snap();
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 0x5000 }).filter((o) => !a.h.backend<import("./device.js").AiaDevice>().aplic!.isRegister(o) || o % 4 !== 0), fc.bigInt({ min: 2n ** 32n, max: 2n ** 64n - 1n })), fc.nat(), (off, v) => {
        const e = errnoOf(() => a.h.setAttr({ group: 3, attr: off, addr: encodeU32(v) }));
        expect([Errno.ENODEV, Errno.EOPNOTSUPP]).toContain(e);
      }),
      { numRuns: 300 },
    );
    expect(errnoOf(() => a.h.setAttr({ group: 3, attr: 0, addr: new Uint8Array(3) }))).toBe(Errno.EFAULT);
    expect(snap()).toEqual(before);
  });
});
