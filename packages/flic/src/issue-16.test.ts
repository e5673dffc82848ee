// Regression tests for issue 16 in the FLIC package: restore reads the snapshot as plain JSON
// through core's SnapshotReader (parse whole, then apply).
import { describe, expect, it } from "vitest";
import { Errno, KvmError } from "@irqlab/core";
import { restoreFlic, saveFlic, type FlicSnapshot } from "./snapshot.js";
import { fixture, register } from "./test-support/vm.js";

function saved(): FlicSnapshot {
  const f = fixture({ vcpus: 2 });
  register(f.flic, { id: 0, isc: 3, maskable: 1, swap: 1, flags: 1 });
  register(f.flic, { id: 5, isc: 6, maskable: 1, swap: 0, flags: 0 });
  return JSON.parse(JSON.stringify(saveFlic(f.flic)));
}

function refused(snap: unknown): { errno: number; changed: boolean } {
  const f = fixture({ vcpus: 2 });
  const before = JSON.stringify([f.dev.adapters(), f.dev.state.floating.itemCount()]);
  try {
    restoreFlic(f.flic, snap as FlicSnapshot);
  } catch (e) {
    if (!KvmError.is(e)) throw e;
    const changed = JSON.stringify([f.dev.adapters(), f.dev.state.floating.itemCount()]) !== before;
    restoreFlic(f.flic, saved()); // a correct restore is accepted afterwards
    return { errno: e.errno, changed };
  }
  return { errno: 0, changed: true };
}

describe("issue 16 #7: FLIC restore", () => {
  it("issue-16 #7: a sparse adapters array is EINVAL (it was a TypeError), nothing changed", () => {
    const s = saved();
    expect(refused({ ...s, adapters: [s.adapters[0], , s.adapters[1]] })).toEqual({ errno: Errno.EINVAL, changed: false });
  });

  it("issue-16 #7: restore error messages never stringify through user code (null-prototype objects, getters)", () => {
    const s = saved();
    const np = Object.assign(Object.create(null), { ...s, version: Object.create(null) });
    expect(refused(np)).toEqual({ errno: Errno.EINVAL, changed: false });
    expect(refused({ ...s, endian: Object.create(null) })).toEqual({ errno: Errno.EINVAL, changed: false });
    const getter = { ...s };
    Object.defineProperty(getter, "adapters", { enumerable: true, get: () => { throw new Error("boom"); } });
    expect(refused(getter)).toEqual({ errno: Errno.EINVAL, changed: false });
    expect(refused({ ...s, adapters: [Object.assign(Object.create(null), s.adapters[0]), { ...s.adapters[1], id: 0 }] })).toEqual({ errno: Errno.EINVAL, changed: false });
  });

  it("issue-16 #7: a null-prototype snapshot with valid fields is plain data and restores", () => {
    const s = saved();
    const np = Object.assign(Object.create(null), { ...s, adapters: s.adapters.map((a) => Object.assign(Object.create(null), a)) });
    const f = fixture({ vcpus: 2 });
    restoreFlic(f.flic, np);
    expect(f.dev.adapters().map((a) => a.id)).toEqual([0, 5]);
  });
});
