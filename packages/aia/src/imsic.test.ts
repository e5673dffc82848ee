import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno, errnoOf, encodeU64 } from "@irqlab/core";
import { ImsicFile } from "./imsic.js";
import { aiaVm, SIP } from "./__tests__/helpers.js";
import { KVM_REG_RISCV_CSR_AIA_REG } from "./constants.js";

describe("GRP_IMSIC", () => {
  it("[aia-50] before INIT ENODEV; after INIT vCPU id 5 ENODEV", () => {
    const a = aiaVm();
    expect(errnoOf(() => a.imsicR(0, 0x70))).toBe(Errno.ENODEV);
    expect(errnoOf(() => a.h.hasAttr({ group: 4, attr: 0x70 }))).toBe(Errno.ENODEV);
    a.standard();
    expect(errnoOf(() => a.imsicR(5, 0x70))).toBe(Errno.ENODEV);
    expect(errnoOf(() => a.imsicW(5, 0x70, 1))).toBe(Errno.ENODEV);
    expect(errnoOf(() => a.h.hasAttr({ group: 4, attr: 2n ** 63n }))).toBe(Errno.ENODEV);
  });

  it("[aia-51] isel 0x71, 0x60, 0x200 ENOENT; 0x81, 0xC1 EINVAL; IDS 63: 0x82 EINVAL, 0x80 OK (has agrees)", () => {
    const a = aiaVm().standard();
    for (const [isel, e] of [
      [0x71, Errno.ENOENT],
      [0x60, Errno.ENOENT],
      [0x200, Errno.ENOENT],
      [0x81, Errno.EINVAL],
      [0xc1, Errno.EINVAL],
    ]) {
      expect(errnoOf(() => a.imsicR(0, isel))).toBe(e);
      expect(errnoOf(() => a.imsicW(0, isel, 0))).toBe(e);
      expect(errnoOf(() => a.h.hasAttr({ group: 4, attr: isel }))).toBe(e);
    }
    const s = aiaVm().standard({ ids: 63 });
    expect(errnoOf(() => s.imsicR(0, 0x82))).toBe(Errno.EINVAL);
    expect(errnoOf(() => s.h.hasAttr({ group: 4, attr: 0x82 }))).toBe(Errno.EINVAL);
    expect(s.imsicR(0, 0x80)).toBe(0n);
    expect(s.h.hasAttr({ group: 4, attr: 0x80 })).toBe(0);
  });

  it("[aia-52] eidelivery all-ones reads 1; eithreshold all-ones reads 0x7FF", () => {
    const a = aiaVm().standard();
    a.imsicW(0, 0x70, 0xffffffff);
    expect(a.imsicR(0, 0x70)).toBe(1n);
    a.imsicW(0, 0x72, 0xffffffff);
    expect(a.imsicR(0, 0x72)).toBe(0x7ffn);
  });

  it("[aia-53] eip0 and eie0 all-ones read back 0xFFFFFFFFFFFFFFFE", () => {
    const a = aiaVm().standard();
    a.imsicW(0, 0x80, 2n ** 64n - 1n);
    a.imsicW(0, 0xc0, 2n ** 64n - 1n);
    expect(a.imsicR(0, 0x80)).toBe(0xfffffffffffffffen);
    expect(a.imsicR(0, 0xc0)).toBe(0xfffffffffffffffen);
    a.imsicW(1, 0x82, 2n ** 64n - 1n);
    expect(a.imsicR(1, 0x82)).toBe(2n ** 64n - 1n);
  });

  it("[aia-54] a vCPU (id 2) created after INIT has no IMSIC: GRP_IMSIC ENODEV, ADDR attr 3 unset and EBUSY", () => {
    const a = aiaVm().standard();
    const v2 = a.vm.createVcpu();
    expect(v2.id).toBe(2);
    expect(errnoOf(() => a.imsicR(2, 0x70))).toBe(Errno.ENODEV);
    expect(errnoOf(() => a.h.hasAttr({ group: 4, attr: (2 << 12) | 0x70 }))).toBe(Errno.ENODEV);
    expect(a.getAddr(3)).toBe(0xffffffffffffffffn);
    expect(errnoOf(() => a.setAddr(3, 0x28002000))).toBe(Errno.EBUSY);
    // Its AIA CSR ONE_REGs exist; APLIC MSIs to a hart index nobody has are dropped.
    expect(v2.getOneRegU64(KVM_REG_RISCV_CSR_AIA_REG(0))).toBe(0n);
    a.aplicW(0x3000, (2 << 18) | 40);
    expect(a.allEip().every((w) => w === 0n)).toBe(true);
  });

  it("a vCPU created before INIT joins the configuration (its ADDR attr appears)", () => {
    const a = aiaVm();
    expect(errnoOf(() => a.getAddr(3))).toBe(Errno.ENXIO);
    a.vm.createVcpu();
    a.setCfg(5, 2);
    a.standard({ hartBits: 2, init: false });
    expect(errnoOf(() => a.init())).toBe(Errno.EINVAL); // vCPU 2 has no IMSIC address
    a.setAddr(3, 0x28002000);
    expect(a.init()).toBe(0);
    a.routing.signalMsi({ addressLo: 0x28002000, addressHi: 0, data: 7, flags: 0, devid: 0 });
    expect(a.eip(2, 7)).toBe(true);
  });

  it("a short IMSIC payload is EFAULT before anything else (even before INIT)", () => {
    const a = aiaVm();
    expect(errnoOf(() => a.h.getAttr({ group: 4, attr: 0x70, addr: new Uint8Array(4) }))).toBe(Errno.EFAULT);
  });
});

describe("IMSIC file: VSEIP and topei", () => {
  const msi = (a: ReturnType<typeof aiaVm>, vcpu: number, id: number) =>
    a.routing.signalMsi({ addressLo: 0x28000000 + vcpu * 0x1000, addressHi: 0, data: id, flags: 0, devid: 0 });

  it("[aia-59] eie(0,33), eidelivery 1, MSI 33 to vCPU 0: sip bit 9 set; eidelivery 0 clears it", () => {
    const a = aiaVm().standard();
    a.eie(0, 33);
    a.imsicW(0, 0x70, 1);
    msi(a, 0, 33);
    expect(a.sip(0)).toBe(1n << 9n);
    expect(a.vm.vcpus[0].ext.asserted).toBe(true);
    a.imsicW(0, 0x70, 0);
    expect(a.sip(0)).toBe(0n);
    expect(a.vm.vcpus[0].ext.asserted).toBe(false);
  });

  it("[aia-60] threshold 33 hides identity 33; 34 shows it; 0 shows it", () => {
    const a = aiaVm().standard();
    a.eie(0, 33);
    a.imsicW(0, 0x70, 1);
    a.imsicW(0, 0x72, 33);
    msi(a, 0, 33);
    expect(a.sip(0) & (1n << 9n)).toBe(0n);
    a.imsicW(0, 0x72, 34);
    expect(a.sip(0) & (1n << 9n)).toBe(1n << 9n);
    a.imsicW(0, 0x72, 0);
    expect(a.sip(0) & (1n << 9n)).toBe(1n << 9n);
  });

  it("[aia-61] two pending-and-enabled identities with eidelivery 0: VSEIP stays clear (topei would be 33)", () => {
    const a = aiaVm().standard();
    a.eie(0, 33);
    a.eie(0, 40);
    msi(a, 0, 40);
    msi(a, 0, 33);
    expect(a.sip(0)).toBe(0n);
    expect(a.h.backend<import("./device.js").AiaDevice>().imsics[0]!.topei()).toBe((33 << 16) | 33);
  });

  it("[aia-62] eip 33 set but eie clear: sip bit 9 clear; setting eie 33 through GRP_IMSIC raises it", () => {
    const a = aiaVm().standard();
    a.imsicW(0, 0x70, 1);
    msi(a, 0, 33);
    expect(a.sip(0)).toBe(0n);
    a.eie(0, 33);
    expect(a.sip(0)).toBe(1n << 9n);
  });

  it("claim semantics: topei is the lowest identity; a claim clears it; threshold 1 hides all; a read does not claim", () => {
    const f = new ImsicFile(256, () => {});
    f.eie.fill(0xffffffff);
    f.setPending(40);
    f.setPending(33);
    expect(f.topei()).toBe((33 << 16) | 33);
    expect(f.topei()).toBe((33 << 16) | 33);
    expect(f.claim()).toBe((33 << 16) | 33);
    expect(f.topei()).toBe((40 << 16) | 40);
    f.eithreshold = 1;
    expect(f.topei()).toBe(0);
    f.eithreshold = 300; // > nr_msis: hides nothing
    expect(f.topei()).toBe((40 << 16) | 40);
    f.eithreshold = 0;
    f.claim();
    expect(f.claim()).toBe(0);
  });

  it("property: VSEIP == eidelivery && some eip&eie id < limit, after any sequence", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.tuple(fc.constant(0), fc.integer({ min: 1, max: 127 })), fc.tuple(fc.constant(1), fc.nat(130)), fc.tuple(fc.constant(2), fc.nat(1)), fc.tuple(fc.constant(3), fc.integer({ min: 1, max: 127 })), fc.tuple(fc.constant(4), fc.nat(0))), { maxLength: 50 }),
        (ops) => {
          let line = false;
          const f = new ImsicFile(128, (up) => (line = up));
          for (const [k, x] of ops) {
            if (k === 0) f.setPending(x);
            else if (k === 1) f.write(0x72, BigInt(x));
            else if (k === 2) f.write(0x70, BigInt(x));
            else if (k === 3) f.write(0xc0 + 2 * (x >>> 6), f.read(0xc0 + 2 * (x >>> 6)) | (1n << BigInt(x & 63)));
            else f.claim();
            const t = f.eithreshold;
            const limit = t > 0 && t <= 128 ? t : 128;
            let exp = false;
            for (let id = 1; id < limit; id++) if (f.eip[id >>> 5] & f.eie[id >>> 5] & (1 << (id & 31))) exp = true;
            expect(line).toBe(exp && f.eidelivery === 1);
            expect(f.line).toBe(line);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("guest CSRs: csrrw stopei claims (one trapped access with a SW-file); siselect/sireg reach the file", () => {
    const a = aiaVm().standard();
    const v = a.vm.vcpus[0];
    v.sysregWrite(0x150, 0x70);
    v.sysregWrite(0x151, 1);
    expect(a.imsicR(0, 0x70)).toBe(1n);
    v.sysregWrite(0x150, 0xc0);
    v.sysregWrite(0x151, 1n << 33n);
    msi(a, 0, 33);
    expect(v.ext.asserted).toBe(true);
    const traps = a.vm.exitStats.sysregTraps;
    expect(v.sysregRead(0x15c)).toBe((33 << 16) | 33); // csrr: no claim
    expect(v.sysregRead(0x15c | 0x10000)).toBe((33 << 16) | 33); // csrrw: claim
    expect(a.vm.exitStats.sysregTraps).toBe(traps + 2);
    expect(v.ext.asserted).toBe(false);
    expect(a.eip(0, 33)).toBe(false);
    // csrrs / csrrc keep all 64 bits of an eie word (bits 48..63 included).
    v.sysregWrite(0x151 | 0x20000, 1n << 62n);
    v.sysregWrite(0x151 | 0x20000, 1n << 50n);
    v.sysregWrite(0x151 | 0x30000, 1n << 33n);
    expect(a.imsicR(0, 0xc0)).toBe((1n << 62n) | (1n << 50n));
  });
});

describe("AIA CSR ONE_REGs", () => {
  it("[aia-68] index 7 is ENOENT for get and set; iprio1 0x1122334455667788 reads back", () => {
    const a = aiaVm();
    const v = a.vm.vcpus[0];
    expect(errnoOf(() => v.getOneReg(KVM_REG_RISCV_CSR_AIA_REG(7), new Uint8Array(8)))).toBe(Errno.ENOENT);
    expect(errnoOf(() => v.setOneReg(KVM_REG_RISCV_CSR_AIA_REG(7), encodeU64(1)))).toBe(Errno.ENOENT);
    v.setOneReg(KVM_REG_RISCV_CSR_AIA_REG(1), encodeU64(0x1122334455667788n));
    const out = new Uint8Array(8);
    v.getOneReg(KVM_REG_RISCV_CSR_AIA_REG(1), out);
    expect(new DataView(out.buffer).getBigUint64(0, true)).toBe(0x1122334455667788n);
    expect(a.vm.vcpus[1].getOneRegU64(KVM_REG_RISCV_CSR_AIA_REG(1))).toBe(0n);
    // sip exists without the device too, and reads 0.
    expect(aiaVm({ device: false }).sip(0)).toBe(0n);
    expect(v.getOneRegU64(SIP)).toBe(0n);
  });
});
