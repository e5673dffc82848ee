// XICS benchmarks (run: cd /work/main && pnpm -s build && node --expose-gc bench/xics.bench.mjs).
//   xics.cycle     full guest cycle: eventfd write -> irqfd -> XICS present -> H_XIRR -> H_EOI,
//                  on a VM with 16, 1024, 65536 and 1,048,560 (all) sources configured; the
//                  cycled source is the last one configured (highest block)
//   xics.cycle.flatness  max / min ns per cycle across those source counts (target <= 1.2)
//   xics.resample  the same cycle on a level source with a RESAMPLE irqfd (EOI -> ack -> resamplefd)
//   xics.ipi       H_IPI to another vCPU -> its H_XIRR -> H_IPI(self, 0xff) -> H_EOI
//   xics.heap      heap + array-buffer bytes per configured source (bytes_per_source)
//   xics.configure time to configure 1,048,560 sources through KVM_SET_DEVICE_ATTR (ms)
//   xics.save      saveXics (every source word + ICP word) of 65536 sources (ms)
//   xics.cycle.gc  garbage collections per million full cycles and heap bytes per cycle: with
//                  Linux's EOI value (0xff...... >= 2^31, boxed as a heap number by the
//                  number-based hcall ABI), the same value passed as int32, and XIRRs below
//                  2^31 and 2^30 (the model itself allocates nothing)
import { PerformanceObserver } from "node:perf_hooks";
import { createVm, KVM_CAP_IRQ_XICS, KVM_IRQ_ROUTING_IRQCHIP, encodeU64 } from "@irqlab/core";
import routingModule, { EventFd, GsiRouting, KVM_IRQFD_FLAG_RESAMPLE } from "@irqlab/routing";
import xicsModule, {
  H_CPPR,
  H_EOI,
  H_IPI,
  H_XIRR,
  KVM_DEV_XICS_GRP_SOURCES,
  KVMPPC_XICS_FIRST_IRQ,
  KVMPPC_XICS_NR_IRQS,
  encodeSourceWord,
  saveXics,
} from "@irqlab/xics";
import { bench, benchOnce, printTable, report } from "./harness.mjs";

const ALL = KVMPPC_XICS_NR_IRQS - KVMPPC_XICS_FIRST_IRQ; // 1,048,560

function gc() {
  if (globalThis.gc) {
    globalThis.gc();
    globalThis.gc();
  }
}

function mem() {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** A ppc64 VM with routing + XICS, `vcpus` connected vCPUs with open CPPR. */
function makeVm(vcpus = 1) {
  const vm = createVm({ arch: "ppc64", vcpus, modules: [routingModule, xicsModule] });
  const dev = vm.createDevice(3);
  for (const v of vm.vcpus) v.enableCap(KVM_CAP_IRQ_XICS, [dev, v.id]);
  for (const v of vm.vcpus) v.hcall(H_CPPR, 0xff);
  return { vm, dev, routing: vm.get(GsiRouting) };
}

/** Creates sources 16 .. 16+n-1 through KVM_SET_DEVICE_ATTR (MSI, priority 5, server 0). */
function configure(dev, n, lsiLast = false) {
  const word = encodeU64(encodeSourceWord({ server: 0, priority: 5 }));
  const arg = { group: KVM_DEV_XICS_GRP_SOURCES, attr: 0, addr: word };
  const last = KVMPPC_XICS_FIRST_IRQ + n - 1;
  for (let irq = KVMPPC_XICS_FIRST_IRQ; irq < last; irq++) {
    arg.attr = irq;
    dev.setAttr(arg);
  }
  arg.attr = last;
  arg.addr = encodeU64(encodeSourceWord({ server: 0, priority: 5, levelSensitive: lsiLast }));
  dev.setAttr(arg);
  return last;
}

// ---- xics.heap + xics.configure: bytes per source with every source configured
let heapPerSource = 0;
{
  gc();
  const base = mem();
  const { dev } = makeVm();
  const afterVm = mem();
  const t0 = performance.now();
  configure(dev, ALL);
  const ms = performance.now() - t0;
  gc();
  const used = mem() - afterVm;
  heapPerSource = used / ALL;
  report("xics.heap", { sources: ALL }, { bytes_per_source: heapPerSource, total_mb: used / 2 ** 20, vm_kb: (afterVm - base) / 1024 });
  report("xics.configure", { sources: ALL }, { ms, ns_per_op: (ms * 1e6) / ALL, ops_per_s: (ALL * 1000) / ms });
  if (dev.backend().xics.ics.allocated !== 1024) throw new Error("not every block was allocated");
}
gc();

// ---- xics.cycle: irqfd -> H_XIRR -> H_EOI, flat in the number of sources
const perCycle = [];
for (const n of [16, 1024, 65536, ALL]) {
  const { vm, dev, routing } = makeVm();
  const src = configure(dev, n);
  routing.setGsiRouting([{ gsi: 1, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin: src }]);
  const efd = EventFd.create();
  routing.irqfd({ fd: efd, gsi: 1 });
  const v = vm.vcpus[0];
  const hret = v.hret;
  const expected = 0xff000000 + src;
  const row = bench(
    "xics.cycle",
    { sources: n, source: src },
    (k) => {
      for (let i = 0; i < k; i++) {
        efd.write(1);
        v.hcall(H_XIRR);
        v.hcall(H_EOI, hret[0]);
      }
    },
    { batch: 200_000, minMs: 600 },
  );
  perCycle.push(row.ns_per_op);
  // correctness of what was measured
  efd.write(1);
  v.hcall(H_XIRR);
  if (hret[0] !== expected) throw new Error(`xics.cycle delivered 0x${hret[0].toString(16)}, expected 0x${expected.toString(16)}`);
  v.hcall(H_EOI, hret[0]);
  if (v.ext.asserted) throw new Error("EE still raised after the cycle");
  efd.close();
  dev.close();
  gc();
}
report("xics.cycle.flatness", { sources: "16..1048560" }, { max_over_min: Math.max(...perCycle) / Math.min(...perCycle) });

// ---- xics.resample: level source, RESAMPLE irqfd
{
  const { vm, dev, routing } = makeVm();
  const src = configure(dev, 16, true);
  routing.setGsiRouting([{ gsi: 1, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin: src }]);
  const efd = EventFd.create();
  const rfd = EventFd.create();
  routing.irqfd({ fd: efd, gsi: 1, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rfd });
  const v = vm.vcpus[0];
  const hret = v.hret;
  // KVM presents the LSI once more after each EOI (ics_eoi re-delivers before the ack drops
  // the line): the guest takes that one too, so one device interrupt is two guest cycles.
  bench(
    "xics.resample",
    { sources: 16, note: "per device interrupt: 2x (H_XIRR, H_EOI)" },
    (k) => {
      for (let i = 0; i < k; i++) {
        efd.write(1);
        v.hcall(H_XIRR);
        v.hcall(H_EOI, hret[0]);
        v.hcall(H_XIRR);
        v.hcall(H_EOI, hret[0]);
      }
    },
    { batch: 100_000 },
  );
  if (v.ext.asserted || rfd.counter === 0) throw new Error("xics.resample did not complete its cycles");
}

// ---- xics.ipi: IPI from vCPU 0 to vCPU 1 and its handling
{
  const { vm } = makeVm(2);
  const [v0, v1] = vm.vcpus;
  const hret = v1.hret;
  bench(
    "xics.ipi",
    { vcpus: 2 },
    (k) => {
      for (let i = 0; i < k; i++) {
        v0.hcall(H_IPI, 1, 4);
        v1.hcall(H_XIRR);
        v1.hcall(H_IPI, 1, 0xff);
        v1.hcall(H_EOI, hret[0]);
      }
    },
    { batch: 100_000 },
  );
  if (hret[0] !== 0xff000002 || v1.ext.asserted) throw new Error("xics.ipi did not complete");
}

// ---- xics.save: snapshot of 65536 sources through the KVM interfaces
{
  const { vm, dev } = makeVm();
  configure(dev, 65536);
  benchOnce("xics.save", { sources: 65536 }, () => saveXics(vm, dev), { runs: 5 });
}

// ---- xics.cycle.gc / xics.cycle.alloc: allocation per full cycle (not a timing)
// Node's official builds have no pointer compression, so Smis are 32-bit: numbers in
// [-2^31, 2^31) stay unboxed, larger ones (Linux's EOI value, CPPR 0xff in bits 24..31) become
// a 16-byte heap number when passed through the hcall ABI. KVM's H_EOI reads only bits 0..31
// of r4, so the same XIRR passed sign-extended (`| 0`) is the same hypercall for the model.
const smiBits = process.config.variables.v8_enable_pointer_compression || process.config.variables.v8_enable_31bit_smis_on_64bit_arch ? 31 : 32;
for (const [cppr, prio, label, asInt32] of [
  [0xff, 5, "0xff...... (Linux)", false],
  [0xff, 5, "0xff...... passed as int32 (| 0)", true],
  [0x7f, 3, "0x7f...... (< 2^31)", false],
  [0x3f, 3, "0x3f...... (< 2^30)", false],
]) {
  const { vm, dev, routing } = makeVm();
  dev.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: 0x1000, addr: encodeU64(encodeSourceWord({ server: 0, priority: prio })) });
  const v = vm.vcpus[0];
  v.hcall(H_CPPR, cppr);
  const efd = EventFd.create();
  routing.irqfd({ fd: efd, gsi: 0x1000 });
  const hret = v.hret;
  const run = asInt32
    ? (k) => {
        for (let i = 0; i < k; i++) {
          efd.write(1);
          v.hcall(H_XIRR);
          v.hcall(H_EOI, hret[0] | 0);
        }
      }
    : (k) => {
        for (let i = 0; i < k; i++) {
          efd.write(1);
          v.hcall(H_XIRR);
          v.hcall(H_EOI, hret[0]);
        }
      };
  run(1_000_000);
  if (hret[0] !== cppr * 0x1000000 + 0x1000 || v.ext.asserted) throw new Error(`xics.cycle.gc (${label}) did not complete its cycles`);
  // bytes per cycle: heap growth over windows short enough for the young generation (no
  // scavenge); the smallest of five windows, so an unrelated allocation does not count
  const window = 100_000;
  let bytes = Infinity;
  for (let w = 0; w < 5; w++) {
    gc();
    const h0 = process.memoryUsage().heapUsed;
    run(window);
    bytes = Math.min(bytes, (process.memoryUsage().heapUsed - h0) / window);
  }
  gc();
  await new Promise((r) => setTimeout(r, 20));
  let events = 0;
  const obs = new PerformanceObserver((l) => (events += l.getEntries().length));
  obs.observe({ entryTypes: ["gc"] });
  run(4_000_000);
  await new Promise((r) => setTimeout(r, 20));
  obs.disconnect();
  report("xics.cycle.gc", { xirr: label, smi_bits: smiBits }, { gc_per_million: events / 4, bytes_per_cycle: bytes });
}

printTable();
console.log(
  `\nxics.cycle ns per cycle by sources: ${perCycle.map((x) => x.toFixed(1)).join(", ")} ` +
    `(max/min ${(Math.max(...perCycle) / Math.min(...perCycle)).toFixed(3)}); ${heapPerSource.toFixed(2)} bytes per source`,
);
