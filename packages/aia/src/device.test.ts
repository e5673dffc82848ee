import { describe, expect, it } from "vitest";
import { createVm, Errno, errnoOf, KVM_DEV_TYPE_RISCV_AIA, runVcpu } from "@irqlab/core";
import routingModule from "@irqlab/routing";
import { aiaModule, aiaHwaccelModule } from "./module.js";
import { aiaVm, APLIC, IMSIC0, IMSIC1 } from "./__tests__/helpers.js";

const UNDEF = 0xffffffffffffffffn;

describe("KVM_CREATE_DEVICE(KVM_DEV_TYPE_RISCV_AIA)", () => {
  it("[aia-1] a second create fails with EEXIST, also after the first descriptor was closed", () => {
    const a = aiaVm();
    expect(errnoOf(() => a.vm.createDevice(KVM_DEV_TYPE_RISCV_AIA))).toBe(Errno.EEXIST);
    a.h.close();
    expect(errnoOf(() => a.vm.createDevice(KVM_DEV_TYPE_RISCV_AIA))).toBe(Errno.EEXIST);
    expect(a.vm.deviceList()).toHaveLength(1);
  });

  it("[aia-2] create after a vCPU has entered KVM_RUN is EBUSY; vCPUs that never ran are fine", () => {
    const vm = createVm({ arch: "riscv64", vcpus: 2, modules: [routingModule, aiaModule] });
    runVcpu(vm.vcpus[1]); // KVM_RUN
    expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_RISCV_AIA))).toBe(Errno.EBUSY);
    expect(vm.irqchips.size).toBe(0);
    const ok = createVm({ arch: "riscv64", vcpus: 2, modules: [routingModule, aiaModule] });
    expect(ok.createDevice(KVM_DEV_TYPE_RISCV_AIA)).toBeDefined();
  });

  it("only on riscv64; the test flag creates nothing", () => {
    const vm = createVm({ arch: "arm64", modules: [aiaModule] });
    expect(errnoOf(() => vm.createDevice(KVM_DEV_TYPE_RISCV_AIA))).toBe(Errno.ENODEV);
    const r = createVm({ arch: "riscv64", modules: [aiaModule] });
    expect(r.createDevice(KVM_DEV_TYPE_RISCV_AIA, { test: true })).toBeUndefined();
    expect(r.irqchips.size).toBe(0);
  });
});

describe("GRP_CONFIG", () => {
  it("[aia-3] defaults: MODE 0, IDS 2047, SRCS 0, bits 0/24/0/0; ADDR APLIC and IMSIC(0) unset", () => {
    const a = aiaVm();
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => a.getCfg(i))).toEqual([0, 2047, 0, 0, 24, 0, 0]);
    expect(a.getAddr(0)).toBe(UNDEF);
    expect(a.getAddr(1)).toBe(UNDEF);
  });

  it("[aia-4] MODE 1 and 2 are EINVAL on the emulation-only host, 3 EINVAL, 0 OK", () => {
    const a = aiaVm();
    expect(errnoOf(() => a.setCfg(0, 1))).toBe(Errno.EINVAL);
    expect(errnoOf(() => a.setCfg(0, 2))).toBe(Errno.EINVAL);
    expect(errnoOf(() => a.setCfg(0, 3))).toBe(Errno.EINVAL);
    expect(a.setCfg(0, 0)).toBe(0);
  });

  it("MODE on a host with guest interrupt files: default AUTO, HWACCEL and AUTO selectable, 3 EINVAL", () => {
    const a = aiaVm({ module: aiaHwaccelModule });
    expect(a.getCfg(0)).toBe(2);
    expect(a.setCfg(0, 1)).toBe(0);
    expect(a.getCfg(0)).toBe(1);
    expect(errnoOf(() => a.setCfg(0, 3))).toBe(Errno.EINVAL);
    expect(a.getCfg(0)).toBe(1);
  });

  it("[aia-5] IDS: 62, 64, 128, 2048 EINVAL; 63, 127, 2047 read back", () => {
    const a = aiaVm();
    for (const v of [62, 64, 128, 2048]) expect(errnoOf(() => a.setCfg(1, v))).toBe(Errno.EINVAL);
    for (const v of [63, 127, 2047]) {
      a.setCfg(1, v);
      expect(a.getCfg(1)).toBe(v);
    }
  });

  it("[aia-6] SRCS: 1024 EINVAL; 1023 and 0 OK", () => {
    const a = aiaVm();
    expect(errnoOf(() => a.setCfg(2, 1024))).toBe(Errno.EINVAL);
    expect(a.setCfg(2, 1023)).toBe(0);
    expect(a.getCfg(2)).toBe(1023);
    expect(a.setCfg(2, 0)).toBe(0);
  });

  it("[aia-7] GROUP_BITS 8, GROUP_SHIFT 23/56, HART_BITS 16, GUEST_BITS 8 EINVAL; 7, 24, 55, 15, 7 OK", () => {
    const a = aiaVm();
    const cases: Array<[number, number, number]> = [
      [3, 8, 7],
      [5, 16, 15],
      [6, 8, 7],
    ];
    for (const [attr, bad, good] of cases) {
      expect(errnoOf(() => a.setCfg(attr, bad))).toBe(Errno.EINVAL);
      expect(a.setCfg(attr, good)).toBe(0);
      expect(a.getCfg(attr)).toBe(good);
    }
    expect(errnoOf(() => a.setCfg(4, 23))).toBe(Errno.EINVAL);
    expect(errnoOf(() => a.setCfg(4, 56))).toBe(Errno.EINVAL);
    expect(a.setCfg(4, 24)).toBe(0);
    expect(a.setCfg(4, 55)).toBe(0);
    expect(a.getCfg(4)).toBe(55);
  });

  it("[aia-8] attr 7: set and get ENXIO; has 0 for attrs 0-6, ENXIO for 7", () => {
    const a = aiaVm();
    expect(errnoOf(() => a.setCfg(7, 0))).toBe(Errno.ENXIO);
    expect(errnoOf(() => a.getCfg(7))).toBe(Errno.ENXIO);
    for (let i = 0; i <= 6; i++) expect(a.h.hasAttr({ group: 0, attr: i })).toBe(0);
    expect(errnoOf(() => a.h.hasAttr({ group: 0, attr: 7 }))).toBe(Errno.ENXIO);
  });

  it("[aia-9] after INIT, CONFIG set of attr 0 and attr 7 are EBUSY; gets return the frozen values", () => {
    const a = aiaVm().standard();
    expect(errnoOf(() => a.setCfg(0, 0))).toBe(Errno.EBUSY);
    expect(errnoOf(() => a.setCfg(7, 0))).toBe(Errno.EBUSY);
    expect([a.getCfg(1), a.getCfg(2), a.getCfg(5)]).toEqual([255, 32, 1]);
  });

  it("payloads are read first: a short CONFIG/ADDR buffer is EFAULT for get and set, before the attr is looked at", () => {
    const a = aiaVm();
    expect(errnoOf(() => a.h.getAttr({ group: 0, attr: 99, addr: new Uint8Array(2) }))).toBe(Errno.EFAULT);
    expect(errnoOf(() => a.h.setAttr({ group: 1, attr: 99, addr: null }))).toBe(Errno.EFAULT);
    expect(errnoOf(() => a.h.getAttr({ group: 1, attr: 99, addr: new Uint8Array(4) }))).toBe(Errno.EFAULT);
  });
});

describe("GRP_ADDR", () => {
  it("[aia-10] APLIC 0x0C000800 EINVAL; 0x0C000000 reads back", () => {
    const a = aiaVm();
    expect(errnoOf(() => a.setAddr(0, 0x0c000800))).toBe(Errno.EINVAL);
    expect(a.getAddr(0)).toBe(UNDEF);
    a.setAddr(0, APLIC);
    expect(a.getAddr(0)).toBe(BigInt(APLIC));
  });

  it("[aia-11] two vCPUs: attr 3 ENXIO for set/get/has, attr 2 OK; no vCPUs: attr 1 ENXIO", () => {
    const a = aiaVm();
    expect(errnoOf(() => a.setAddr(3, IMSIC0))).toBe(Errno.ENXIO);
    expect(errnoOf(() => a.getAddr(3))).toBe(Errno.ENXIO);
    expect(errnoOf(() => a.h.hasAttr({ group: 1, attr: 3 }))).toBe(Errno.ENXIO);
    expect(a.setAddr(2, IMSIC1)).toBe(0);
    expect(a.getAddr(2)).toBe(BigInt(IMSIC1));
    expect(a.h.hasAttr({ group: 1, attr: 2 })).toBe(0);
    const none = aiaVm({ vcpus: 0 });
    expect(errnoOf(() => none.setAddr(1, IMSIC0))).toBe(Errno.ENXIO);
    expect(errnoOf(() => none.h.hasAttr({ group: 1, attr: 1 }))).toBe(Errno.ENXIO);
  });

  it("[aia-12] after INIT, ADDR set of APLIC and IMSIC(0) are EBUSY; gets return the addresses", () => {
    const a = aiaVm().standard();
    expect(errnoOf(() => a.setAddr(0, 0x0d000000))).toBe(Errno.EBUSY);
    expect(errnoOf(() => a.setAddr(1, 0x29000000))).toBe(Errno.EBUSY);
    expect(a.getAddr(0)).toBe(BigInt(APLIC));
    expect(a.getAddr(1)).toBe(BigInt(IMSIC0));
    expect(a.getAddr(2)).toBe(BigInt(IMSIC1));
  });
});

describe("groups, CTRL and INIT", () => {
  it("[aia-13] group 5 is ENXIO for set, get and has", () => {
    const a = aiaVm();
    const addr = new Uint8Array(8);
    expect(errnoOf(() => a.h.setAttr({ group: 5, attr: 0, addr }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => a.h.getAttr({ group: 5, attr: 0, addr }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => a.h.hasAttr({ group: 5, attr: 0 }))).toBe(Errno.ENXIO);
  });

  it("[aia-14] CTRL: set attr 1 ENXIO, get attr 0 ENXIO, has 0 -> 0, has 1 ENXIO", () => {
    const a = aiaVm();
    expect(errnoOf(() => a.h.setAttr({ group: 2, attr: 1 }))).toBe(Errno.ENXIO);
    expect(errnoOf(() => a.h.getAttr({ group: 2, attr: 0, addr: new Uint8Array(8) }))).toBe(Errno.ENXIO);
    expect(a.h.hasAttr({ group: 2, attr: 0 })).toBe(0);
    expect(errnoOf(() => a.h.hasAttr({ group: 2, attr: 1 }))).toBe(Errno.ENXIO);
  });

  it("[aia-15] a second CTRL_INIT is EBUSY", () => {
    const a = aiaVm().standard();
    expect(errnoOf(() => a.init())).toBe(Errno.EBUSY);
  });

  it("[aia-16] without the APLIC address INIT is EINVAL; after setting it a retried INIT succeeds", () => {
    const a = aiaVm().standard({ aplic: false, init: false });
    expect(errnoOf(() => a.init())).toBe(Errno.EINVAL);
    a.setAddr(0, APLIC);
    expect(a.init()).toBe(0);
    expect(a.aplicR(0)).toBe(0x80000004);
  });

  it("[aia-17] IDS 63 with SRCS 64: INIT EINVAL", () => {
    const a = aiaVm().standard({ ids: 63, srcs: 64, init: false });
    expect(errnoOf(() => a.init())).toBe(Errno.EINVAL);
  });

  it("[aia-18] vCPU 1's IMSIC address never set: INIT EINVAL, GRP_IMSIC on vCPU 0 still ENODEV; the APLIC is gone again", () => {
    const a = aiaVm().standard({ imsic1: false, init: false });
    const regions = a.vm.mmio.regions().length;
    expect(errnoOf(() => a.init())).toBe(Errno.EINVAL);
    expect(errnoOf(() => a.imsicR(0, 0x70))).toBe(Errno.ENODEV);
    expect(errnoOf(() => a.aplicR(0))).toBe(Errno.ENODEV);
    expect(a.vm.mmio.regions()).toHaveLength(regions);
    // Fixed configuration, retried INIT.
    a.setAddr(2, IMSIC1);
    expect(a.init()).toBe(0);
  });

  it("[aia-19] HART_BITS 0: distinct IMSIC addresses EINVAL; both at 0x28000000 succeeds (hart index 0 for both)", () => {
    const a = aiaVm().standard({ hartBits: 0, init: false });
    expect(errnoOf(() => a.init())).toBe(Errno.EINVAL);
    a.setAddr(2, IMSIC0);
    expect(a.init()).toBe(0);
    expect(a.h.backend<import("./device.js").AiaDevice>().hartIndex[1]).toBe(0);
  });

  it("[aia-20] GROUP_BITS 1, SHIFT 24, HART_BITS 0, IMSICs 0x28000000 / 0x29000000: INIT OK, hart index 1 reaches vCPU 1", () => {
    const a = aiaVm();
    a.setCfg(2, 32);
    a.setCfg(1, 255);
    a.setCfg(3, 1);
    a.setCfg(4, 24);
    a.setAddr(0, APLIC);
    a.setAddr(1, 0x28000000);
    a.setAddr(2, 0x29000000);
    expect(a.init()).toBe(0);
    a.eie(1, 33);
    a.aplicW(0x3000, (1 << 18) | 33); // genmsi to hart index 1
    expect(a.eip(1, 33)).toBe(true);
    expect(a.eip(0, 33)).toBe(false);
  });

  it("[aia-21] a VM with no vCPUs and SRCS 0 initializes", () => {
    const a = aiaVm({ vcpus: 0 });
    expect(a.init()).toBe(0);
  });
});

describe("APLIC register map through GRP_APLIC", () => {
  it("[aia-26] before INIT: ENODEV for set, get and has", () => {
    const a = aiaVm();
    expect(errnoOf(() => a.aplicW(0, 0))).toBe(Errno.ENODEV);
    expect(errnoOf(() => a.aplicR(0))).toBe(Errno.ENODEV);
    expect(errnoOf(() => a.h.hasAttr({ group: 3, attr: 0 }))).toBe(Errno.ENODEV);
  });

  it("[aia-23] INIT with SRCS 0: KVM_IRQ_LINE(1, 1) ENODEV and APLIC get of offset 0 ENODEV", () => {
    const a = aiaVm();
    a.setAddr(1, IMSIC0);
    a.setCfg(5, 1);
    a.setAddr(2, IMSIC1);
    a.init();
    expect(errnoOf(() => a.line(1, 1))).toBe(Errno.ENODEV);
    expect(errnoOf(() => a.aplicR(0))).toBe(Errno.ENODEV);
  });

  it("[aia-27] domaincfg reads 0x80000004; after 0xFFFFFFFF 0x80000104; after 0 0x80000004", () => {
    const a = aiaVm().standard();
    expect(a.aplicR(0)).toBe(0x80000004);
    a.aplicW(0, 0xffffffff);
    expect(a.aplicR(0)).toBe(0x80000104);
    a.aplicW(0, 0);
    expect(a.aplicR(0)).toBe(0x80000004);
  });

  it("[aia-28] offset 2 EOPNOTSUPP for get/set/has; 0x1BC0, 0x1FE0 and 0x4000 ENODEV", () => {
    const a = aiaVm().standard();
    expect(errnoOf(() => a.aplicR(2))).toBe(Errno.EOPNOTSUPP);
    expect(errnoOf(() => a.aplicW(2, 0))).toBe(Errno.EOPNOTSUPP);
    expect(errnoOf(() => a.h.hasAttr({ group: 3, attr: 2 }))).toBe(Errno.EOPNOTSUPP);
    for (const off of [0x1bc0, 0x1fe0, 0x4000, 2 ** 32]) {
      expect(errnoOf(() => a.aplicR(off))).toBe(Errno.ENODEV);
      expect(errnoOf(() => a.aplicW(off, 1))).toBe(Errno.ENODEV);
      expect(errnoOf(() => a.h.hasAttr({ group: 3, attr: off }))).toBe(Errno.ENODEV);
    }
  });

  it("[aia-29] sourcecfg 0x0004/0x0080 and target 0x3004/0x3080 exist; 0x0084 and 0x3084 ENODEV", () => {
    const a = aiaVm().standard();
    for (const off of [0x0004, 0x0080, 0x3004, 0x3080]) expect(a.h.hasAttr({ group: 3, attr: off })).toBe(0);
    for (const off of [0x0084, 0x3084]) expect(errnoOf(() => a.h.hasAttr({ group: 3, attr: off }))).toBe(Errno.ENODEV);
  });

  it("[aia-30] setip/in_clrip/setie/clrie words 0 and 1 exist, word 2 ENODEV", () => {
    const a = aiaVm().standard();
    for (const base of [0x1c00, 0x1d00, 0x1e00, 0x1f00]) {
      expect(a.h.hasAttr({ group: 3, attr: base })).toBe(0);
      expect(a.h.hasAttr({ group: 3, attr: base + 4 })).toBe(0);
      expect(errnoOf(() => a.h.hasAttr({ group: 3, attr: base + 8 }))).toBe(Errno.ENODEV);
    }
  });

  it("[aia-31] after INIT everything reads 0; the *num and clrie registers read 0 at all times", () => {
    const a = aiaVm().standard();
    const zeroAlways = [0x1cdc, 0x1ddc, 0x1edc, 0x1fdc, 0x2000, 0x2004, 0x1f00];
    for (let i = 1; i <= 32; i++) {
      expect(a.aplicR(0x0004 + 4 * (i - 1))).toBe(0);
      expect(a.aplicR(0x3004 + 4 * (i - 1))).toBe(0);
    }
    for (const off of [0x1c00, 0x1c04, 0x1d00, 0x1d04, 0x1e00, 0x1e04, 0x3000, ...zeroAlways]) expect(a.aplicR(off)).toBe(0);
    // Make things pending and enabled, then read the write-only registers again.
    a.aplicW(0x0004 + 4 * 4, 1); // detached source 5
    a.aplicW(0x1cdc, 5);
    a.aplicW(0x1edc, 5);
    a.aplicW(0x1e00, 0xffffffff);
    expect(a.aplicR(0x1c00)).toBe(1 << 5);
    for (const off of zeroAlways) expect(a.aplicR(off)).toBe(0);
  });
});
