// Regression tests for issue 16 (a hostile VMM): every value crossing core's API goes through
// validate.ts, so the wrong type is a KvmError with KVM's errno, never a TypeError.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  createVm,
  errnoOf,
  Errno,
  guestRegister,
  Process,
  H_PARAMETER_BAD_REGISTER,
  KvmError,
  show,
  escapeControl,
  u32Arg,
  u64Arg,
  userBytes,
  type OneReg,
  type Vcpu,
} from "./index.js";
import { testPlugin, type CallLog } from "./__tests__/backends.js";

const TYPE = 6;

function setup() {
  const log: CallLog = { calls: [] };
  const seen: number[][] = [];
  const cap = { cap: 90, connect: (v: Vcpu, _d: unknown, a: readonly bigint[]) => v.attachIrqchip("t", Number(a[1]), null) };
  const vm = createVm({ arch: "ppc64", vcpus: 2, modules: [testPlugin({ log, caps: [cap] })] });
  vm.hcalls.register(0x4000, (_v, a0, a1, a2) => {
    seen.push([a0, a1, a2]);
    return (a0 & 0xff) + a1 + a2;
  });
  vm.rtas.register("t,echo", (_v, args, rets) => {
    rets[0] = 0;
    for (let i = 0; i < args.length && i + 1 < rets.length; i++) rets[i + 1] = args[i] & 0xff;
  });
  let word = 5n;
  const reg: OneReg = { name: "TEST", get: () => word, set: (v) => void (word = v) };
  const id = 0x6030000000000001n; // size 8
  vm.vcpus[0].oneReg.register(id, reg);
  return { vm, log, seen, id, value: () => word };
}

const hostile: unknown[] = [
  undefined,
  null,
  "1",
  "a",
  {},
  Object.create(null),
  [],
  1.5,
  Number.NaN,
  Infinity,
  -Infinity,
  -1,
  -1n,
  2 ** 32,
  2n ** 32n,
  2 ** 53 + 1,
  2 ** 64,
  2n ** 64n,
  Symbol("s"),
  () => 0,
];

describe("issue 16: one validation layer in core", () => {
  it("issue-16 #2: a user pointer that is not a Uint8Array is read by its bytes or is EFAULT, never a TypeError", () => {
    const { vm, id } = setup();
    const v = vm.vcpus[0];
    for (const p of [undefined, null, new ArrayBuffer(8), { byteLength: 12 }, "12345678", 7]) {
      expect(errnoOf(() => v.setOneReg(id, p as never))).toBe(Errno.EFAULT);
      expect(errnoOf(() => v.getOneReg(id, p as never))).toBe(Errno.EFAULT);
      expect(errnoOf(() => vm.createDeviceIoctl(p as never))).toBe(Errno.EFAULT);
    }
    // Any ArrayBufferView is taken by its bytes (a DataView, a Uint16Array, a Float64Array).
    const d = new DataView(new ArrayBuffer(16), 4, 8);
    d.setBigUint64(0, 0x1234n, true);
    v.setOneReg(id, d);
    expect(v.getOneRegU64(id)).toBe(0x1234n);
    const f = new Float64Array(1);
    v.getOneReg(id, f);
    expect(new DataView(f.buffer).getBigUint64(0, true)).toBe(0x1234n);
    expect(userBytes(new Uint16Array([0x0102]))).toEqual(new Uint8Array([2, 1]));
    // A short view is EFAULT, as a partial mapping is.
    expect(errnoOf(() => v.setOneReg(id, new Uint16Array(3)))).toBe(Errno.EFAULT);
  });

  it("issue-16 #2: attribute addr that is not a view reaches the backend as an unreadable address", () => {
    const { vm } = setup();
    const h = vm.createDevice(TYPE);
    for (const p of [undefined, new ArrayBuffer(8), { byteLength: 12 }]) {
      expect(errnoOf(() => h.setAttr({ group: 1, attr: 0, addr: p as never }))).toBe(Errno.EFAULT);
    }
    expect(h.setAttr({ group: 1, attr: 0, addr: new DataView(new ArrayBuffer(8)) })).toBe(0);
  });

  it("issue-16 #3: bigint and number mix in every integer field (ONE_REG value, attr group/flags, createDevice flags, ioctl cmd, enableCap args)", () => {
    const { vm, id, value } = setup();
    const v = vm.vcpus[0];
    v.setOneRegU64(id, 0);
    expect(value()).toBe(0n);
    v.setOneRegU64(id, 7n);
    expect(value()).toBe(7n);
    const h = vm.createDevice(BigInt(TYPE) as never, { flags: 0n });
    expect(h.getAttr({ group: 1n, attr: 3n, flags: 0n })).toBe(103);
    expect(vm.createDevice(TYPE, null).type).toBe(TYPE);
    expect(vm.createDevice(TYPE, { test: true })).toBeUndefined();
    // KVM_HAS_DEVICE_ATTR (PPC encoding) as a bigint cmd reaches the attribute dispatch.
    const attr = new Uint8Array(24);
    new DataView(attr.buffer).setUint32(4, 1, true);
    expect(h.ioctl(0x8018aee3n, attr)).toBe(0);
    v.enableCap(90n, [h, 1n]);
    expect(v.irqchipCpu).toBe(1);
  });

  it("issue-16 #3: hostile values in integer fields are EINVAL (ENODEV for the device type, EFAULT for unreadable structs), nothing changes", () => {
    const { vm, id, value, log } = setup();
    const v = vm.vcpus[0];
    const h = vm.createDevice(TYPE);
    log.calls.length = 0;
    for (const x of hostile) {
      const integerOk = (typeof x === "number" && Number.isInteger(x) && x >= 0 && x < 2 ** 64) || (typeof x === "bigint" && x >= 0n && x < 2n ** 64n);
      if (!integerOk) expect(errnoOf(() => v.setOneRegU64(id, x as never)), show(x)).toBe(Errno.EINVAL);
      const integer = (typeof x === "number" && Number.isInteger(x)) || typeof x === "bigint";
      if (!integer) expect(errnoOf(() => v.enableCap(90, [h, x as never])), show(x)).toBe(Errno.EINVAL);
      expect(errnoOf(() => vm.createDevice(x as never))).toBe(Errno.ENODEV);
      const u32ok = (typeof x === "number" || typeof x === "bigint") && x >= 0 && x <= 0xffffffff && (typeof x === "bigint" || Number.isInteger(x));
      if (!u32ok) {
        // An omitted (undefined) flags word is the default.
        if (x !== undefined) expect(errnoOf(() => vm.createDevice(TYPE, { flags: x as never })), show(x)).toBe(Errno.EINVAL);
        expect(errnoOf(() => h.ioctl(x as never, null)), show(x)).toBe(Errno.EINVAL);
      }
    }
    expect(value()).toBe(5n);
    expect(log.calls).toEqual([]);
    expect(errnoOf(() => v.enableCap(90, null as never))).toBe(Errno.EFAULT);
    expect(errnoOf(() => v.enableCap(90, [h, "a" as never]))).toBe(Errno.EINVAL);
    expect(errnoOf(() => v.enableCap(90, [h, undefined as never]))).toBe(Errno.EINVAL);
    expect(v.irqchipKind).toBeNull();
    // A handle is checked as a descriptor is: one of another process is EBADF.
    const other = new Process();
    const foreign = other.receive(h);
    expect(errnoOf(() => v.enableCap(90, [foreign, 0]))).toBe(Errno.EBADF);
    expect(v.irqchipKind).toBeNull();
  });

  it("issue-16 #5: createVm(undefined | null), modules [null] | [{}] are EINVAL", () => {
    for (const o of [undefined, null, 5, "ppc64"]) expect(errnoOf(() => createVm(o as never))).toBe(Errno.EINVAL);
    for (const m of [null, {}, 1, "x"]) expect(errnoOf(() => createVm({ arch: "ppc64", modules: [m as never] }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => createVm({ arch: Object.create(null) }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => createVm({ arch: "ppc64", vcpus: 2n as never }))).toBe(0);
  });

  it("issue-16 #6: attribute group and flags out of u32 range, fractional or NaN are EINVAL, not truncated", () => {
    const { vm, log } = setup();
    const h = vm.createDevice(TYPE);
    log.calls.length = 0;
    for (const g of [2 ** 32 + 1, 1.9, Number.NaN, -1, 2n ** 32n + 1n, "1", null, Infinity]) {
      expect(errnoOf(() => h.hasAttr({ group: g as never, attr: 0 })), show(g)).toBe(Errno.EINVAL);
      expect(errnoOf(() => h.getAttr({ group: 1, attr: 0, flags: g as never })), show(g)).toBe(Errno.EINVAL);
    }
    for (const a of [-1, 1.5, Number.NaN, 2 ** 64, -1n, 2n ** 64n, "0"]) {
      expect(errnoOf(() => h.getAttr({ group: 1, attr: a as never })), show(a)).toBe(Errno.EINVAL);
    }
    expect(log.calls).toEqual([]);
  });

  it("issue-16: a getter that throws while a struct is read is EFAULT (the copy faulted)", () => {
    const { vm, log } = setup();
    const h = vm.createDevice(TYPE);
    log.calls.length = 0;
    const evil = {
      get group(): number {
        throw new Error("boom");
      },
      attr: 0,
    };
    expect(errnoOf(() => h.getAttr(evil))).toBe(Errno.EFAULT);
    const evilArgs = [0, 0];
    Object.defineProperty(evilArgs, 1, { get: () => { throw new Error("boom"); } });
    expect(errnoOf(() => vm.vcpus[0].enableCap(90, evilArgs))).toBe(Errno.EFAULT);
    expect(errnoOf(() => vm.createDevice(TYPE, { get flags(): number { throw new Error("x"); } }))).toBe(Errno.EFAULT);
    expect(log.calls).toEqual([]);
  });

  it("issue-16 #4: guest calls with bigint or non-integer registers never throw (core normalises the registers)", () => {
    const { vm, seen } = setup();
    const v = vm.vcpus[0];
    expect(v.hcall(0x4000, 0x1ffn, 2n, 3)).toBe(0xff + 5);
    expect(v.hcall(0x4000n as never, -1n, 0, 0)).toBe(0xff);
    expect(seen[1]).toEqual([-1, 0, 0]);
    for (const bad of [1.5, Number.NaN, Infinity, "1", null, {}]) {
      expect(v.hcall(0x4000, bad as never)).toBe(H_PARAMETER_BAD_REGISTER);
    }
    expect(seen).toHaveLength(2);
    expect(v.rtas("t,echo", null, 3)).toEqual([0, 0, 0]);
    expect(v.rtas("t,echo", [0x101n, 2], 3)).toEqual([0, 1, 2]);
    expect(v.rtas("t,echo", [1.5], 2)).toEqual([-3, 0]);
    const sparse = [1, , 3] as number[];
    expect(v.rtas("t,echo", sparse, 2)).toEqual([-3, 0]);
    expect(v.rtas("t,echo", [1], 2n)).toEqual([0, 1]);
    expect(v.rtas(null as never, [1], 1)).toEqual([-3]);
  });

  it("validate.ts: u32Arg/u64Arg accept exactly the C integers (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double(), fc.bigInt(), fc.anything()), (x) => {
        let r32: number | null = null;
        try {
          r32 = u32Arg(x, "x");
        } catch (e) {
          expect(KvmError.is(e, Errno.EINVAL)).toBe(true);
        }
        const ok32 = (typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= 0xffffffff) || (typeof x === "bigint" && x >= 0n && x <= 0xffffffffn);
        expect(r32 !== null).toBe(ok32);
        if (ok32) expect(r32).toBe(Number(x));
        let r64: bigint | null = null;
        try {
          r64 = u64Arg(x, "x");
        } catch (e) {
          expect(KvmError.is(e, Errno.EINVAL)).toBe(true);
        }
        if (r64 !== null) expect(r64 >= 0n && r64 < 2n ** 64n).toBe(true);
      }),
      { numRuns: 1000 },
    );
    expect(guestRegister(2n ** 64n - 1n)).toBe(-1);
  });

  it("validate.ts: show() runs no user code and escapes control characters", () => {
    const trap = { toString: () => { throw new Error("ran"); } };
    expect(show(trap)).toBe("an object");
    expect(show(Object.create(null))).toBe("an object");
    expect(show("a\u001b[31mb")).toBe('"a\\u001b[31mb"');
    expect(escapeControl("x\u001b]0;t\u0007\n")).toBe("x\\u001b]0;t\\u0007\\n");
  });
});
