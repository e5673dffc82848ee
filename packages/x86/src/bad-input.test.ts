import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { KvmError } from "@irqlab/core";
import {
  KVM_CREATE_IRQCHIP,
  KVM_GET_IRQCHIP,
  KVM_GET_LAPIC,
  KVM_INTERRUPT,
  KVM_SET_IRQCHIP,
  KVM_SET_LAPIC,
  KVM_CAP_SPLIT_IRQCHIP,
  KVM_CAP_X2APIC_API,
} from "./constants.js";
import { saveX86 } from "./snapshot.js";
import { x86Vm } from "./test-support/x86-vm.js";

const errnoOrNumber = (f: () => unknown) => {
  try {
    const r = f();
    expect(typeof r === "number" || r === undefined).toBe(true);
    return true;
  } catch (e) {
    expect(KvmError.is(e)).toBe(true);
    return false;
  }
};

describe("bad input: KVM's errno or the hardware's ignore/read-as, never an exception, nothing changed", () => {
  it("malformed ioctl buffers fail with a KvmError and change nothing", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(KVM_GET_IRQCHIP, KVM_SET_IRQCHIP, KVM_CREATE_IRQCHIP, 0xdead),
        fc.option(fc.uint8Array({ maxLength: 519 }), { nil: null }),
        (cmd, buf) => {
          const t = x86Vm({ vcpus: 1 });
          t.line(17, 1);
          const before = saveX86(t.vm);
          expect(errnoOrNumber(() => t.vm.ioctl(cmd, buf))).toBe(false);
          expect(saveX86(t.vm)).toEqual(before);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("vCPU ioctls with short buffers fail with EFAULT/EINVAL and change nothing", () => {
    fc.assert(
      fc.property(fc.constantFrom(KVM_GET_LAPIC, KVM_SET_LAPIC, KVM_INTERRUPT), fc.option(fc.uint8Array({ maxLength: 3 }), { nil: null }), (cmd, buf) => {
        const t = x86Vm({ vcpus: 1, irqchip: "split" });
        const before = saveX86(t.vm);
        expect(errnoOrNumber(() => t.vm.vcpus[0].ioctl(cmd, buf))).toBe(false);
        expect(saveX86(t.vm)).toEqual(before);
      }),
      { numRuns: 60 },
    );
  });

  it("random KVM_SET_IRQCHIP chip ids and payloads answer an errno or 0 and never throw anything else", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.uint8Array({ minLength: 512, maxLength: 512 }), (id, payload) => {
        const t = x86Vm({ vcpus: 2 });
        const b = new Uint8Array(520);
        new DataView(b.buffer).setUint32(0, id, true);
        b.set(payload, 8);
        const ok = errnoOrNumber(() => t.vm.ioctl(KVM_SET_IRQCHIP, b));
        expect(ok).toBe(id <= 2);
        // The fabric keeps working afterwards.
        for (let g = 0; g < 24; g++) expect(typeof t.line(g, 1)).toBe("number");
        for (let c = 0; c < 2; c++) expect(typeof t.x.guestAck(c)).toBe("number");
      }),
      { numRuns: 100 },
    );
  });

  it("random SET_LAPIC pages leave a working LAPIC", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0x400, maxLength: 0x400 }), (page) => {
        const t = x86Vm({ vcpus: 2 });
        t.vm.vcpus[1].ioctl(KVM_SET_LAPIC, page);
        errnoOrNumber(() => t.msi(0xfee01000, 0x41));
        for (let i = 0; i < 4; i++) {
          expect(typeof t.x.guestAck(1)).toBe("number");
          expect(typeof t.x.guestEoi(1)).toBe("number");
        }
      }),
      { numRuns: 100 },
    );
  });

  it("port and MMIO accesses of any size and alignment never throw (sizes other than 1/2/4/8 are the bus's EINVAL)", () => {
    const t = x86Vm({ vcpus: 2 });
    fc.assert(
      fc.property(
        fc.constantFrom("pio", "ioapic", "lapic"),
        fc.nat({ max: 0x1000 }),
        fc.constantFrom(1, 2, 4, 8),
        fc.nat({ max: 0xffffffff }),
        fc.boolean(),
        fc.nat({ max: 1 }),
        (bus, off, size, value, write, cpu) => {
          const v = t.vm.vcpus[cpu];
          const addr = bus === "pio" ? [0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1][off % 6] : (bus === "ioapic" ? 0xfec00000 + (off & 0xff) : 0xfee00000 + off);
          if (write) {
            if (bus === "pio") v.pioWrite(addr, size, value);
            else v.mmioWrite(addr, size, value);
          } else {
            const r = bus === "pio" ? v.pioRead(addr, size) : v.mmioRead(addr, size);
            expect(Number.isInteger(r) && r >= 0).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
    // Odd-sized PIC accesses are swallowed: reads return 0, writes change nothing.
    const u = x86Vm({ vcpus: 1 });
    const before = saveX86(u.vm);
    u.vm.vcpus[0].pioWrite(0x20, 2, 0xffff);
    u.vm.vcpus[0].pioWrite(0xa0, 2, 0x11);
    expect(u.vm.vcpus[0].pioRead(0x20, 2)).toBe(0);
    expect(saveX86(u.vm)).toEqual(before);
  });

  it("ENABLE_CAP with junk arguments answers an errno and changes nothing", () => {
    fc.assert(
      fc.property(fc.constantFrom(KVM_CAP_SPLIT_IRQCHIP, KVM_CAP_X2APIC_API, 12345), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat({ max: 3 }), (cap, a, flags) => {
        const t = x86Vm({ vcpus: 1 });
        const before = { mode: t.x.mode, f: t.x.x2apicFlags };
        const ok = errnoOrNumber(() => t.vm.enableCap(cap, [a], flags));
        if (!ok) expect({ mode: t.x.mode, f: t.x.x2apicFlags }).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });

  it("chips answer out-of-range pins and sources with -1", () => {
    const t = x86Vm({ vcpus: 1 });
    for (const c of t.vm.irqchips.list()) {
      for (const pin of [-1, 24, 1e9, NaN]) expect(c.setIrq(pin, 1, 0)).toBe(-1);
      expect(c.setIrq(0, 1, 40)).toBe(-1);
    }
  });
});
