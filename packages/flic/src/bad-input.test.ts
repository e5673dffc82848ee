import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Errno, KvmError, type DeviceHandle } from "@irqlab/core";
import {
  iscToIntWord,
  KVM_DEV_FLIC_ADAPTER_MODIFY,
  KVM_DEV_FLIC_ADAPTER_REGISTER,
  KVM_DEV_FLIC_AISM,
  KVM_DEV_FLIC_AISM_ALL,
  KVM_DEV_FLIC_CLEAR_IO_IRQ,
  KVM_DEV_FLIC_ENQUEUE,
  KVM_DEV_FLIC_GET_ALL_IRQS,
  KVM_S390_INT_IO_MAX,
  KVM_S390_INT_PFAULT_DONE,
  KVM_S390_INT_SERVICE,
  KVM_S390_INT_VIRTIO,
  KVM_S390_MCHK,
  SIZEOF_KVM_S390_IRQ,
} from "./constants.js";
import type { FlicDevice } from "./flic-device.js";
import { encodeAisReq, encodeIoAdapter, encodeS390Irqs, ioIrq, rawIrq, serviceIrq, virtioIrq } from "./structs.js";
import { enableAll, fixture, register } from "./test-support/vm.js";

/** Everything observable about the FLIC: the GET_ALL_IRQS image, adapters, AIS, APF, lines. */
function fingerprint(flic: DeviceHandle): string {
  const dev = flic.backend<FlicDevice>();
  const buf = new Uint8Array(64 * SIZEOF_KVM_S390_IRQ);
  const n = flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: buf.length, addr: buf });
  const s = dev.state;
  return JSON.stringify({
    irqs: Buffer.from(buf.subarray(0, n * SIZEOF_KVM_S390_IRQ)).toString("hex"),
    adapters: dev.adapters(),
    simm: s.simm,
    nimm: s.nimm,
    apf: s.apfEnabled,
    lines: dev.vm.vcpus.map((v) => [v.ext.asserted, v.mcheck.asserted]),
  });
}

function populated() {
  const f = fixture({ vcpus: 2, ais: true });
  enableAll(f.dev, f.vm);
  register(f.flic, { id: 1, isc: 3, maskable: 1, swap: 1, flags: 1 });
  const buf = encodeS390Irqs([
    ioIrq(0x10001, { subchannelId: 1, subchannelNr: 1, ioIntParm: 5, ioIntWord: iscToIntWord(2) }),
    virtioIrq(3, 4n),
    serviceIrq(0x1000),
  ]);
  f.flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: buf.length, addr: buf });
  return f;
}

const VALID_TYPES = new Set([KVM_S390_INT_PFAULT_DONE, KVM_S390_INT_VIRTIO, KVM_S390_INT_SERVICE, KVM_S390_MCHK]);
const invalidType = fc
  .oneof(fc.integer({ min: KVM_S390_INT_IO_MAX + 1, max: 0xffffffff }).map(BigInt), fc.bigInt({ min: 2n ** 32n, max: 2n ** 64n - 1n }))
  .filter((t) => t > 0xffffffffn || !VALID_TYPES.has(Number(t)));

describe("bad buffers answer as KVM does and change nothing", () => {
  it("ENQUEUE with a length that is not a multiple of 72 is EINVAL", () => {
    const f = populated();
    const before = fingerprint(f.flic);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }).filter((n) => n % 72 !== 0), (len) => {
        const addr = new Uint8Array(len);
        expect(() => f.flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: len, addr })).toThrow(
          expect.objectContaining({ errno: Errno.EINVAL }),
        );
        expect(fingerprint(f.flic)).toBe(before);
      }),
      { numRuns: 100 },
    );
  });

  it("ENQUEUE of one record with an unknown type code is EINVAL", () => {
    const f = populated();
    const before = fingerprint(f.flic);
    fc.assert(
      fc.property(invalidType, fc.uint8Array({ minLength: 64, maxLength: 64 }), (type, u) => {
        const addr = encodeS390Irqs([rawIrq(type, u)]);
        expect(() => f.flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: 72, addr })).toThrow(
          expect.objectContaining({ errno: Errno.EINVAL }),
        );
        expect(fingerprint(f.flic)).toBe(before);
      }),
      { numRuns: 200 },
    );
  });

  it("ENQUEUE of a record whose type or payload cannot be read is EFAULT; bytes past the payload are never read", () => {
    const payload = (t: number) => (t <= KVM_S390_INT_IO_MAX ? 12 : t === KVM_S390_MCHK ? 48 : 16);
    fc.assert(
      fc.property(
        fc.constantFrom(0x04000000, 0x00000005, KVM_S390_INT_VIRTIO, KVM_S390_INT_SERVICE, KVM_S390_INT_PFAULT_DONE, KVM_S390_MCHK),
        fc.integer({ min: 0, max: 71 }),
        (type, cut) => {
          const f = populated();
          const before = fingerprint(f.flic);
          const full = encodeS390Irqs([rawIrq(type, new Uint8Array(64).fill(0))]);
          // keep the interruption word valid for I/O types
          const addr = full.slice(0, cut);
          const need = 8 + payload(type);
          if (cut < need) {
            expect(() => f.flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: 72, addr })).toThrow(
              expect.objectContaining({ errno: Errno.EFAULT }),
            );
            expect(fingerprint(f.flic)).toBe(before);
          } else {
            expect(f.flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: 72, addr })).toBe(0);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("small-struct groups with short or missing buffers are EFAULT; out-of-range ISC and ids are EINVAL", () => {
    const f = populated();
    const before = fingerprint(f.flic);
    const groups: Array<[number, number]> = [
      [KVM_DEV_FLIC_ADAPTER_REGISTER, 8],
      [KVM_DEV_FLIC_ADAPTER_MODIFY, 16],
      [KVM_DEV_FLIC_AISM, 4],
      [KVM_DEV_FLIC_AISM_ALL, 2],
      [KVM_DEV_FLIC_CLEAR_IO_IRQ, 4],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...groups), fc.option(fc.integer({ min: 0, max: 15 })), ([group, size], short) => {
        const addr = short === null ? null : new Uint8Array(Math.min(short, size - 1));
        const attr = group === KVM_DEV_FLIC_CLEAR_IO_IRQ || group === KVM_DEV_FLIC_AISM_ALL ? (group === KVM_DEV_FLIC_AISM_ALL ? 2 : 4) : 0;
        expect(() => f.flic.setAttr({ group, attr, addr })).toThrow(expect.objectContaining({ errno: Errno.EFAULT }));
        expect(fingerprint(f.flic)).toBe(before);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 255 }), fc.integer({ min: 0, max: 1 }), (isc, mode) => {
        expect(() => f.flic.setAttr({ group: KVM_DEV_FLIC_AISM, attr: 0, addr: encodeAisReq({ isc, mode }) })).toThrow(
          expect.objectContaining({ errno: Errno.EINVAL }),
        );
        expect(fingerprint(f.flic)).toBe(before);
      }),
      { numRuns: 50 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 0xffffffff }), (id) => {
        expect(() =>
          f.flic.setAttr({ group: KVM_DEV_FLIC_ADAPTER_REGISTER, attr: 0, addr: encodeIoAdapter({ id, isc: 0, maskable: 0, swap: 0, flags: 0 }) }),
        ).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
        expect(fingerprint(f.flic)).toBe(before);
      }),
      { numRuns: 50 },
    );
  });

  it("GET_ALL_IRQS with a bad length or short buffer fails without writing or removing anything", () => {
    const f = populated();
    const before = fingerprint(f.flic);
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(0n), fc.bigInt({ min: 0x2000001n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 1n, max: 3n * 72n - 1n })),
        fc.integer({ min: 0, max: 300 }),
        (attr, size) => {
          const addr = new Uint8Array(size).fill(0x5a);
          let errno = 0;
          try {
            f.flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr, addr });
          } catch (e) {
            if (!KvmError.is(e)) throw e;
            errno = e.errno;
          }
          const expected = attr === 0n || attr > 0x2000000n ? Errno.EINVAL : Errno.ENOMEM;
          expect(errno).toBe(expected);
          expect(addr.every((b) => b === 0x5a)).toBe(true);
          expect(fingerprint(f.flic)).toBe(before);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("any attribute call with random arguments either succeeds or throws a KvmError and then changes nothing", () => {
    const interesting = [0n, 1n, 2n, 4n, 8n, 71n, 72n, 144n, 0x2000000n, 0x2000001n, 0xfffffff0n, 2n ** 64n - 1n];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            get: fc.boolean(),
            group: fc.integer({ min: 0, max: 13 }),
            attr: fc.oneof(fc.constantFrom(...interesting), fc.bigInt({ min: 0n, max: 200n })),
            flags: fc.constantFrom(0, 0, 1),
            addr: fc.option(fc.uint8Array({ maxLength: 80 }), { freq: 4 }),
          }),
          { maxLength: 12 },
        ),
        (calls) => {
          const f = populated();
          for (const c of calls) {
            const before = fingerprint(f.flic);
            const arg = { group: c.group, attr: c.attr, flags: c.flags, addr: c.addr };
            try {
              if (c.get) f.flic.getAttr(arg);
              else f.flic.setAttr(arg);
            } catch (e) {
              expect(KvmError.is(e)).toBe(true);
              // ENQUEUE keeps the records before the failing one (at most one record fits here).
              const records = c.addr ? Math.floor(c.addr.length / 72) : 0;
              if (!(c.group === KVM_DEV_FLIC_ENQUEUE && !c.get && records > 0)) expect(fingerprint(f.flic)).toBe(before);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
