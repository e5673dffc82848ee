import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno, errnoOf, KvmError } from "@irqlab/core";
import { APIC_SPIV } from "./constants.js";
import { restoreX86, saveX86 } from "./snapshot.js";
import { x86Vm, type X86TestVm } from "./test-support/x86-vm.js";

type Op =
  | { k: "line"; gsi: number; level: number }
  | { k: "msi"; dest: number; data: number }
  | { k: "ack"; cpu: number }
  | { k: "eoi"; cpu: number }
  | { k: "pio"; port: number; value: number }
  | { k: "ioapic"; off: number; value: number }
  | { k: "lapic"; cpu: number; off: number; value: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant("line" as const), gsi: fc.nat({ max: 23 }), level: fc.nat({ max: 1 }) }),
  fc.record({ k: fc.constant("msi" as const), dest: fc.constantFrom(0, 1, 0xff), data: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ k: fc.constant("ack" as const), cpu: fc.nat({ max: 1 }) }),
  fc.record({ k: fc.constant("eoi" as const), cpu: fc.nat({ max: 1 }) }),
  fc.record({ k: fc.constant("pio" as const), port: fc.constantFrom(0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1), value: fc.nat({ max: 255 }) }),
  fc.record({ k: fc.constant("ioapic" as const), off: fc.constantFrom(0, 0x10), value: fc.oneof(fc.integer({ min: 0x10, max: 0x3f }), fc.nat({ max: 0xffffffff })) }),
  fc.record({ k: fc.constant("lapic" as const), cpu: fc.nat({ max: 1 }), off: fc.constantFrom(0x80, 0xd0, 0xe0, 0xf0, 0x350), value: fc.nat({ max: 0xffffffff }) }),
);

function run(t: X86TestVm, o: Op): number {
  const v = t.vm.vcpus;
  switch (o.k) {
    case "line":
      return t.line(o.gsi, o.level);
    case "msi":
      try {
        return t.msi((0xfee00000 | (o.dest << 12)) >>> 0, o.data);
      } catch (e) {
        return KvmError.is(e) ? -1000 - e.errno : -9999;
      }
    case "ack":
      return t.x.guestAck(o.cpu);
    case "eoi":
      return t.x.guestEoi(o.cpu);
    case "pio":
      v[0].pioWrite(o.port, 1, o.value);
      return v[0].pioRead(o.port & ~1, 1);
    case "ioapic":
      v[0].mmioWrite(0xfec00000 + o.off, 4, o.value);
      return v[0].mmioRead(0xfec00010, 4);
    case "lapic":
      v[o.cpu].mmioWrite(0xfee00000 + o.off, 4, o.value);
      return v[o.cpu].mmioRead(0xfee00000 + o.off, 4);
  }
}

const fresh = () => {
  const t = x86Vm({ vcpus: 2 });
  for (let p = 16; p < 24; p++) t.setEntry(p, { vector: 0x40 + p, level: p & 1 ? true : false, dest: p & 2 ? 0xff : p & 1 });
  return t;
};

describe("save/restore", () => {
  it("a restored VM continues exactly as the original (random operation sequences)", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.array(op, { maxLength: 40 }), (before, after) => {
        const a = fresh();
        for (const o of before) run(a, o);
        const snap = saveX86(a.vm);
        const b = fresh();
        // Perturb b first: the restore must overwrite whatever it had.
        b.line(17, 1);
        b.msi(0xfee00000, 0x77);
        restoreX86(b.vm, snap);
        expect(saveX86(b.vm)).toEqual(snap);
        for (const o of after) expect(run(b, o)).toBe(run(a, o));
        expect(saveX86(b.vm)).toEqual(saveX86(a.vm));
        expect(b.vm.vcpus.map((v) => v.ext.asserted)).toEqual(a.vm.vcpus.map((v) => v.ext.asserted));
      }),
      { numRuns: Number(process.env.X86_SNAPSHOT_RUNS ?? 150) },
    );
  });

  it("[restore-cascade-pulse] a poll that consumed the cascade IRQ2 edge is not re-latched by the restore (fast-check counterexample)", () => {
    // Slave IRQ 8 raised, then OCW3 poll on the master: the poll acks IRQ2 and pic_update_irq's
    // cascade pulse leaves the master's last_irr bit 2 low. KVM_SET_IRQCHIP's own update would
    // pulse it again and latch IRQ2 in the master's IRR; restoreX86 puts the saved words back.
    const a = fresh();
    a.line(8, 1);
    a.vm.vcpus[0].pioWrite(0x20, 1, 0x0c);
    a.vm.vcpus[0].pioRead(0x20, 1);
    const snap = saveX86(a.vm);
    const b = fresh();
    restoreX86(b.vm, snap);
    expect(saveX86(b.vm)).toEqual(snap);
    expect(b.vm.vcpus[0].pioRead(0x20, 1)).toBe(a.vm.vcpus[0].pioRead(0x20, 1));
  });

  it("a snapshot that does not fit is EINVAL and applies nothing", () => {
    const a = fresh();
    a.line(17, 1);
    const snap = saveX86(a.vm);
    const b = fresh();
    const before = saveX86(b.vm);
    const broken = [
      { ...snap, lapics: snap.lapics.slice(0, 1) },
      { ...snap, mode: "split" as const },
      { ...snap, irqchips: [snap.irqchips[0], snap.irqchips[1], snap.irqchips[2].subarray(0, 100)] },
      { ...snap, lines: { ...snap.lines, pic: [1, 2] } },
      { ...snap, lines: { ...snap.lines, extint: [300, -1] } },
    ];
    for (const s of broken) {
      expect(errnoOf(() => restoreX86(b.vm, s))).toBe(Errno.EINVAL);
      expect(saveX86(b.vm)).toEqual(before);
    }
    const one = x86Vm({ vcpus: 1 });
    expect(errnoOf(() => restoreX86(one.vm, snap))).toBe(Errno.EINVAL);
    expect(one.lapic(0).get(APIC_SPIV)).toBe(0x1ff);
  });
});
