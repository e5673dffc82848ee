// Regression tests for issue 16 in the MPIC package: restore reads the snapshot as plain JSON
// (a sparse array's holes were skipped by Array.every and written as undefined) and refuses
// a snapshot whose registers would not save back as written.
import { describe, expect, it } from "vitest";
import { Errno, KvmError } from "@irqlab/core";
import { fixture } from "./__tests__/helpers.js";
import { restoreMpicState, saveMpicState, type MpicSnapshot } from "./snapshot.js";

function saved(): MpicSnapshot {
  const f = fixture({ type: 2, vcpus: 2, connect: [0, 1], base: 0xe0040000 });
  return JSON.parse(JSON.stringify(saveMpicState(f.h)));
}

function attempt(s: unknown): number {
  const f = fixture({ type: 2, vcpus: 2, connect: [0, 1] });
  const before = JSON.stringify(saveMpicState(f.h));
  try {
    restoreMpicState(f.h, s as MpicSnapshot);
    return 0;
  } catch (e) {
    if (!KvmError.is(e)) throw e;
    expect(JSON.stringify(saveMpicState(f.h))).toBe(before);
    restoreMpicState(f.h, saved());
    return e.errno;
  }
}

describe("issue 16: MPIC restore", () => {
  it("issue-16: a sparse register array is EINVAL, not written as undefined", () => {
    const s = saved();
    const ivpr = [...s.ivpr];
    delete ivpr[3];
    expect(attempt({ ...s, ivpr })).toBe(Errno.EINVAL);
  });

  it("issue-16: accessors, null-prototype junk and a throwing proxy are EINVAL", () => {
    const s = saved();
    expect(attempt(Object.defineProperty({ ...s }, "gcr", { enumerable: true, get: () => { throw new Error("x"); } }))).toBe(Errno.EINVAL);
    expect(attempt({ ...s, timers: [Object.create(null), ...s.timers.slice(1)] })).toBe(Errno.EINVAL);
    expect(attempt(new Proxy({}, { getOwnPropertyDescriptor: () => { throw new Error("x"); } }))).toBe(Errno.EINVAL);
  });

  it("issue-16: a register value the MPIC does not keep is refused (save(restore(s)) would differ), a saved one is accepted", () => {
    const s = saved();
    expect(attempt({ ...s, idr: s.idr.map((v, i) => (i === 0 ? v | 0x1000 : v)) })).toBe(Errno.EINVAL);
    expect(attempt(s)).toBe(0);
  });
});
