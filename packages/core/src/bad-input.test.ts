// Bad input to core's public functions: a KvmError with Linux's errno, and nothing changed.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  createVm,
  errnoOf,
  Errno,
  ExitStats,
  GuestMemory,
  H_FUNCTION_UNHANDLED,
  KvmError,
  MmioBus,
  type MmioRegion,
} from "./index.js";
import { testPlugin, type CallLog } from "./__tests__/backends.js";

const anyNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 2 ** 53, -1));
const region: MmioRegion = { read: () => 0, write: () => {} };

describe("core bad input (properties)", () => {
  it("GuestMemory: any address outside the space is EFAULT and allocates nothing", () => {
    const m = new GuestMemory(0x10000);
    fc.assert(
      fc.property(anyNumber, fc.constantFrom(1, 2, 4), (addr, size) => {
        if (Number.isSafeInteger(addr) && addr >= 0 && addr + size <= 0x10000) return;
        expect(errnoOf(() => m.write(addr, size as 1 | 2 | 4, 0xff))).toBe(Errno.EFAULT);
        expect(errnoOf(() => m.read(addr, size as 1 | 2 | 4))).toBe(Errno.EFAULT);
        expect(errnoOf(() => m.setBitMsb0(addr, 0))).toBe(Errno.EFAULT);
      }),
      { numRuns: 500 },
    );
    expect(m.allocatedBytes()).toBe(0);
  });

  it("MmioBus: a refused mapping (overlap or bad range) leaves the map as it was", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyNumber, anyNumber), { maxLength: 12 }), (maps) => {
        const bus = new MmioBus(new ExitStats());
        for (const [base, size] of maps) {
          const before = JSON.stringify(bus.regions());
          const e = errnoOf(() => bus.map(base, size, region));
          if (e !== 0) {
            expect([Errno.EINVAL, Errno.EEXIST]).toContain(e);
            expect(JSON.stringify(bus.regions())).toBe(before);
          }
        }
        const r = bus.regions();
        for (let i = 0; i < r.length; i++)
          for (let j = i + 1; j < r.length; j++) expect(r[i].base + r[i].size <= r[j].base || r[j].base + r[j].size <= r[i].base).toBe(true);
      }),
    );
  });

  it("hypercalls with any opcode and arguments answer a status, never throw", () => {
    const vm = createVm({ arch: "ppc64" });
    fc.assert(
      fc.property(anyNumber, anyNumber, anyNumber, (op, a, b) => {
        expect(vm.vcpus[0].hcall(op, a, b)).toBe(H_FUNCTION_UNHANDLED);
      }),
    );
  });

  it("KVM_CREATE_DEVICE on random bytes: ENODEV/EFAULT or a device, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), (bytes) => {
        const log: CallLog = { calls: [] };
        const vm = createVm({ arch: "s390x", modules: [testPlugin({ log })] });
        const e = errnoOf(() => vm.createDeviceIoctl(bytes));
        if (e === 0) return;
        expect([Errno.ENODEV, Errno.EFAULT]).toContain(e);
        expect(vm.deviceList()).toHaveLength(0);
        expect(log.calls).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("attribute calls with any attr value (non-integers included) answer a KvmError or the backend's number", () => {
    const log: CallLog = { calls: [] };
    const vm = createVm({ arch: "s390x", modules: [testPlugin({ log })] });
    const h = vm.createDevice(6);
    fc.assert(
      fc.property(anyNumber, fc.integer(), (attr, group) => {
        try {
          expect(typeof h.getAttr({ group, attr, addr: new Uint8Array(8) })).toBe("number");
        } catch (e) {
          expect(KvmError.is(e)).toBe(true);
        }
      }),
    );
    expect(errnoOf(() => h.getAttr({ group: 1, attr: 0.5 }))).toBe(Errno.EINVAL);
  });

  it("KVM_ENABLE_CAP with random capability, arguments and flags: a KvmError or success, never a crash", () => {
    const log: CallLog = { calls: [] };
    let connects = 0;
    const cap = { cap: 90, connect: () => void connects++ };
    const vm = createVm({ arch: "ppc-booke", vcpus: 1, modules: [testPlugin({ log, caps: [cap] })] });
    const h = vm.createDevice(6);
    fc.assert(
      fc.property(fc.constantFrom(90, 0, 92, 0xffffffff), fc.array(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n }), fc.integer(), anyNumber), { maxLength: 5 }), fc.constantFrom(0, 1, 0x80000000), (c, args, flags) => {
        const before = connects;
        try {
          vm.vcpus[0].enableCap(c, args, flags);
          expect(c).toBe(90);
          expect(flags).toBe(0);
          expect(BigInt.asIntN(32, BigInt.asUintN(64, BigInt(args[0] ?? 0)))).toBe(BigInt(h.fd));
        } catch (e) {
          expect(KvmError.is(e)).toBe(true);
          expect(connects).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
  });
});
