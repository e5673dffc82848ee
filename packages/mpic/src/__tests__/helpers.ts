/** Test-only helpers: VM factories, a VFIO-like second device type, MMIO shorthands. */
import {
  ContainerModule,
  createVm,
  DeviceContribution,
  Errno,
  fail,
  KVM_CAP_IRQ_MPIC,
  KVM_DEV_TYPE_VFIO,
  KvmError,
  type DeviceHandle,
  type Vm,
} from "@irqlab/core";
import { expect } from "vitest";
import mpicModule from "../module.js";
import { MpicDevice } from "../device.js";
import { readMpicRegister, setMpicBaseAddr, writeMpicRegister, setMpicIrqActive, getMpicIrqActive } from "../attributes.js";
import { cpuReg, CPU_IACK, CPU_EOI, CPU_CTPR, srcIdr, srcIvpr } from "../constants.js";

/**
 * A VFIO-like device (kvm-vfio: create, release, set_attr, has_attr, no get_attr), type 4,
 * the other device type an e500 host offers (device-api.md checklist 20).
 */
export const vfioLikeModule = new ContainerModule(({ bind }) => {
  bind<DeviceContribution>(DeviceContribution).toConstantValue({
    name: "kvm-vfio",
    types: [KVM_DEV_TYPE_VFIO],
    arch: ["ppc-booke"],
    create: () => ({
      setAttr: () => fail(Errno.ENXIO, "vfio: no such attribute"),
      hasAttr: () => fail(Errno.ENXIO, "vfio: no such attribute"),
      release: () => {},
    }),
  });
});

export interface Fixture {
  vm: Vm;
  h: DeviceHandle;
  dev: MpicDevice;
  /** GET/SET GRP_REGISTER. */
  get(off: number | bigint): number;
  set(off: number | bigint, v: number): void;
  active(n: number, v?: number): number;
  iack(cpu?: number): number;
  eoi(cpu?: number): void;
}

export interface FixtureOptions {
  type?: 1 | 2;
  vcpus?: number;
  /** MPIC CPU numbers to connect vCPU i at (default: none). */
  connect?: number[];
  /** Write GCR reset after connecting. */
  reset?: boolean;
  base?: number;
  extraModules?: ContainerModule[];
}

export function fixture(o: FixtureOptions = {}): Fixture {
  const vm = createVm({ arch: "ppc-booke", vcpus: o.vcpus ?? 2, modules: [mpicModule, ...(o.extraModules ?? [])] });
  const h = vm.createDevice(o.type ?? 2);
  if (o.base !== undefined) setMpicBaseAddr(h, o.base);
  (o.connect ?? []).forEach((cpu, i) => vm.vcpus[i].enableCap(KVM_CAP_IRQ_MPIC, [h, cpu]));
  if (o.reset) writeMpicRegister(h, 0x1020, 0x80000000);
  return {
    vm,
    h,
    dev: h.backend<MpicDevice>(),
    get: (off) => readMpicRegister(h, off),
    set: (off, v) => writeMpicRegister(h, off, v),
    active(n, v) {
      if (v !== undefined) setMpicIrqActive(h, n, v);
      return getMpicIrqActive(h, n);
    },
    iack: (cpu = 0) => readMpicRegister(h, cpuReg(cpu, CPU_IACK)),
    eoi: (cpu = 0) => writeMpicRegister(h, cpuReg(cpu, CPU_EOI), 0),
  };
}

/** Connects CPU 0..n-1, resets, CTPR 0 everywhere. */
export function ready(o: FixtureOptions = {}): Fixture {
  const n = o.vcpus ?? 2;
  const f = fixture({ ...o, vcpus: n, connect: o.connect ?? Array.from({ length: n }, (_, i) => i), reset: o.reset ?? true });
  for (let c = 0; c < n; c++) f.set(cpuReg(c, CPU_CTPR), 0);
  return f;
}

/** Programs source n: IDR then IVPR. */
export function program(f: Fixture, n: number, ivpr: number, idr = 1): void {
  f.set(srcIdr(n), idr);
  f.set(srcIvpr(n), ivpr);
}

export function expectErrno(fn: () => unknown, errno: number): void {
  try {
    fn();
  } catch (e) {
    if (KvmError.is(e)) {
      expect(e.code).toBe(Object.entries(Errno).find(([, v]) => v === errno)?.[0]);
      return;
    }
    throw e;
  }
  throw new Error(`expected errno ${errno}, call succeeded`);
}

export { KVM_CAP_IRQ_MPIC };

/** Every bit of model state (registers, queues with their caches, lines, mapping) as a string. */
export function stateOf(f: Fixture): string {
  const p = f.dev.pic;
  return JSON.stringify({
    g: [p.gcr, p.frr, p.pir, p.spve, p.tfrr, p.nbCpus],
    src: [p.ivpr, p.idr, p.destmask, p.lastCpu, p.output, p.pending, p.level, p.nomask].map((a) => Array.from(a)),
    dst: [p.ctpr, p.outputsActive].map((a) => Array.from(a)),
    q: [p.raised, p.servicing].map((q) => [q.words, q.summary, q.next, q.priority].map((a) => Array.from(a))),
    t: [p.tccr, p.tbcr, p.msir].map((a) => Array.from(a)),
    lines: f.vm.vcpus.map((v) => [v.ext.asserted, v.crit.asserted, v.mcheck.asserted, v.ext.raises]),
    base: f.dev.baseAddress.toString(),
    regions: f.vm.mmio.regions(),
    acks: f.vm.ackNotifiers.notified,
  });
}

/** A VM in a busy state: sources pending, raised, in service, MSIs and an IPI pending. */
export function busy(type: 1 | 2 = 2, base = 0xe0040000): Fixture {
  const f = ready({ type, vcpus: 2, base });
  program(f, 3, 0x00050042, 1);
  program(f, 20, 0x00030033, 3);
  program(f, 6, 0x0004006c | 0x00400000, 2);
  program(f, 224, 0x000600e0, 2);
  f.set(0x10a0, 0x00070070);
  f.active(3, 1);
  f.active(20, 1);
  f.active(6, 1);
  f.dev.chip.deliverMsi({ addressLo: 0, addressHi: 0, data: 0x05000000, flags: 0, devid: 0 }, 1, 0);
  f.iack(0);
  f.set(cpuReg(0, 0x40), 0x2);
  f.set(cpuReg(1, CPU_CTPR), 6);
  return f;
}
