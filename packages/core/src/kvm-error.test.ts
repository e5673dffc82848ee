import { describe, expect, it } from "vitest";
import { Errno, errnoName, errnoOf, fail, KvmError } from "./index.js";

describe("Errno and KvmError", () => {
  it("carries Linux's numbers", () => {
    expect([Errno.EPERM, Errno.ENOENT, Errno.ENXIO, Errno.EBADF, Errno.EAGAIN, Errno.ENOMEM]).toEqual([1, 2, 6, 9, 11, 12]);
    expect([Errno.EFAULT, Errno.EBUSY, Errno.EEXIST, Errno.ENODEV, Errno.EINVAL, Errno.ENOTTY]).toEqual([14, 16, 17, 19, 22, 25]);
    expect(errnoName(22)).toBe("EINVAL");
    expect(errnoName(4000)).toBe("E?4000");
  });

  it("names the errno and the bad input in its message", () => {
    const e = new KvmError(Errno.EINVAL, "gsi 4096 >= 4096");
    expect(e.message).toBe("EINVAL: gsi 4096 >= 4096");
    expect(e.code).toBe("EINVAL");
    expect(e.errno).toBe(22);
    expect(e).toBeInstanceOf(Error);
  });

  it("is() recognises errors from another copy of the package by brand", () => {
    const foreign = Object.assign(new Error("x"), { [Symbol.for("irqlab.KvmError")]: true, errno: 9 });
    expect(KvmError.is(foreign)).toBe(true);
    expect(KvmError.is(foreign, Errno.EBADF)).toBe(true);
    expect(KvmError.is(foreign, Errno.EINVAL)).toBe(false);
    expect(KvmError.is(new Error("plain"))).toBe(false);
    expect(KvmError.is(null)).toBe(false);
  });

  it("fail() throws, errnoOf() reads the errno and lets other errors through", () => {
    expect(() => fail(Errno.ENXIO, "group 9")).toThrow("ENXIO: group 9");
    expect(errnoOf(() => fail(Errno.EBUSY, "x"))).toBe(Errno.EBUSY);
    expect(errnoOf(() => 1)).toBe(0);
    expect(() => errnoOf(() => { throw new TypeError("bug"); })).toThrow(TypeError);
    const cause = new Error("inner");
    expect(new KvmError(Errno.EIO, "x", { cause }).cause).toBe(cause);
  });
});
