// MPIC benchmarks: the full guest cycle inject -> IACK -> EOI (target >= 5 M/s), its level,
// MSI and irqfd variants, the guest driver's service loop, and heap bytes per cycle.
// Run: cd /work/main && pnpm -s build && node --expose-gc bench/mpic.bench.mjs
import { createVm, KVM_CAP_IRQ_MPIC } from "@irqlab/core";
import mpicModule, { setMpicBaseAddr, writeMpicRegister, mpic20GuestDriver, mpic42GuestDriver, MpicGuestDriver, PPCE500_MPIC_BASE } from "@irqlab/mpic";
import { bench, report, printTable } from "./harness.mjs";

const BASE = 0xe0040000;
const IACK = BASE + 0x200a0;
const EOI = BASE + 0x200b0;

/** One vCPU at MPIC CPU 0, reset, CTPR 0, source `pin` unmasked on CPU 0. */
function setup(type, pin, ivpr, modules = []) {
  const vm = createVm({ arch: "ppc-booke", vcpus: 1, modules: [mpicModule, ...modules] });
  const h = vm.createDevice(type);
  setMpicBaseAddr(h, BASE);
  vm.vcpus[0].enableCap(KVM_CAP_IRQ_MPIC, [h, 0]);
  writeMpicRegister(h, 0x1020, 0x80000000);
  writeMpicRegister(h, 0x20080, 0);
  writeMpicRegister(h, 0x10010 + 0x20 * pin, 1);
  writeMpicRegister(h, 0x10000 + 0x20 * pin, ivpr);
  return { vm, h, chip: vm.irqchips.byIndex(0), mmio: vm.mmio };
}

function check(ok, what) {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

/** Heap bytes retained per operation over `n` operations (0 when the path does not allocate). */
function heapPerOp(fn, n = 2_000_000) {
  if (!globalThis.gc) return undefined;
  fn(n);
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  fn(n);
  const after = process.memoryUsage().heapUsed; // no gc: garbage still counts
  return Math.max(0, (after - before) / n);
}

for (const [type, model] of [[2, "4.2"], [1, "2.0"]]) {
  // edge source 3: inject -> IACK -> EOI
  {
    const { chip, mmio, vm } = setup(type, 3, 0x00050043);
    const cycle = (n) => {
      for (let i = 0; i < n; i++) {
        chip.setIrq(3, 1, 0);
        if (mmio.read(IACK, 4) !== 0x43) throw new Error("bad vector");
        mmio.write(EOI, 4, 0);
      }
    };
    cycle(10);
    check(!vm.vcpus[0].ext.asserted && vm.vcpus[0].ext.raises === 10, "edge cycle raised once per interrupt");
    bench("mpic.cycle", { model, trigger: "edge" }, cycle, { minMs: 400, extra: () => ({ heap_bytes_per_op: heapPerOp(cycle) }) });
  }
  // level source 20: assert -> IACK -> (device lowers) -> EOI
  {
    const { chip, mmio } = setup(type, 20, 0x00050050);
    const cycle = (n) => {
      for (let i = 0; i < n; i++) {
        chip.setIrq(20, 1, 0);
        if (mmio.read(IACK, 4) !== 0x50) throw new Error("bad vector");
        chip.setIrq(20, 0, 0);
        mmio.write(EOI, 4, 0);
      }
    };
    bench("mpic.cycle", { model, trigger: "level" }, cycle, { minMs: 300, extra: () => ({ heap_bytes_per_op: heapPerOp(cycle) }) });
  }
}

// MSI: route delivery (MSIIR semantics) -> IACK -> MSIR read -> EOI
{
  const { chip, mmio } = setup(2, 224, 0x000500e0);
  const msg = { addressLo: BASE + 0x1740, addressHi: 0, data: 0x03000000, flags: 0, devid: 0 };
  const MSIR0 = BASE + 0x1600;
  const cycle = (n) => {
    for (let i = 0; i < n; i++) {
      chip.deliverMsi(msg, 1, 0);
      if (mmio.read(IACK, 4) !== 0xe0) throw new Error("bad vector");
      if (mmio.read(MSIR0, 4) !== 8) throw new Error("bad MSIR");
      mmio.write(EOI, 4, 0);
    }
  };
  bench("mpic.cycle", { model: "4.2", trigger: "msi" }, cycle, { minMs: 300, extra: () => ({ heap_bytes_per_op: heapPerOp(cycle) }) });
}

// The comparison runner's path: guest driver service loop (IACK -> handler -> EOI -> spurious IACK)
// plus Linux's qemu_e500 CoreInt path (v4.2 proxy mode: vector from EPR, no IACK exit).
const coreint = { id: "mpic-4.2-coreint", attach: (vm) => new MpicGuestDriver(vm, { type: 2, base: PPCE500_MPIC_BASE, coreint: true }) };
for (const contrib of [mpic20GuestDriver, mpic42GuestDriver, coreint]) {
  const vm = createVm({ arch: "ppc-booke", vcpus: 2, modules: [mpicModule] });
  const d = contrib.attach(vm);
  const r = d.configureSource({ index: 0, trigger: "level", vcpu: 1 });
  const chip = vm.irqchips.byIndex(0);
  const v1 = vm.vcpus[1];
  let handled = 0;
  const handler = () => {
    handled++;
    chip.setIrq(r.pin, 0, 0);
  };
  const cycle = (n) => {
    for (let i = 0; i < n; i++) {
      chip.setIrq(r.pin, 1, 0);
      d.service(v1, handler);
    }
  };
  cycle(10);
  check(handled === 10, "driver handled each interrupt once");
  bench("mpic.driver.service", { model: contrib.id, trigger: "level" }, cycle, { minMs: 300, extra: () => ({ heap_bytes_per_op: heapPerOp(cycle, 500_000) }) });
}

// Through @irqlab/routing when it is built: level irqfd with resample, EOI -> resamplefd.
try {
  const routing = await import("@irqlab/routing");
  const { vm, mmio } = setup(2, 7, 0x00c50077, [routing.default]);
  const gsi = vm.get(routing.GsiRouting);
  gsi.setGsiRouting([{ gsi: 7, flags: 0, type: 1, irqchip: 0, pin: 7 }]);
  const efd = routing.EventFd.create();
  const rfd = routing.EventFd.create();
  gsi.irqfd({ fd: efd, gsi: 7, flags: routing.KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rfd });
  const cycle = (n) => {
    for (let i = 0; i < n; i++) {
      efd.write(1);
      if (mmio.read(IACK, 4) !== 0x77) throw new Error("bad vector");
      mmio.write(EOI, 4, 0);
    }
    rfd.read();
  };
  cycle(10);
  bench("mpic.irqfd.resample", { model: "4.2", trigger: "level" }, cycle, { minMs: 300 });
} catch (e) {
  if (e?.code !== "ERR_MODULE_NOT_FOUND") throw e;
  report("mpic.irqfd.resample", { skipped: "routing not built" }, {});
}

printTable();
