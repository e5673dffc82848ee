// Setup and teardown at scale (run: pnpm bench setup). Per-operation cost of
//   routing.setup.eventfdCreate   EventFd.create() (lowest free descriptor, as open(2))
//   routing.setup.irqfdAssign     KVM_IRQFD assign
//   routing.setup.irqfdDeassign   KVM_IRQFD with DEASSIGN
//   routing.setup.eventfdClose    close(2) of the eventfds (the irqfds are gone already)
//   routing.setup.vmDestroy       vm.destroy() with N irqfds assigned, per irqfd
// with 1k, 16k and 64k irqfds live (on the counter-only test chip: the controller does no
// work here), and routing.setup.<op>.flatness = max / min ns per op across those sizes
// (target <= 2), of the means and of the medians (GC pauses and other jobs on the machine
// make the means of the small sizes noisy; the medians show the algorithmic cost).
// Each size runs several times (>= 256k operations) in a fresh VM; mean and spread over runs.
import { Process, createVm } from "@irqlab/core";
import routingModule, { EventFd, GsiRouting, RecordingChip, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQFD_FLAG_DEASSIGN } from "@irqlab/routing";
import { printTable, report, stats } from "./harness.mjs";

const SIZES = [1024, 16384, 65536];
/** Runs per size: at least 5, and enough that every size performs >= 256k operations. */
const runsFor = (n) => Math.max(5, Math.ceil(262144 / n));

function makeVm() {
  const vm = createVm({ arch: "ppc-booke", vcpus: 1, modules: [routingModule] });
  new RecordingChip({ record: false, pins: 256 }).attach(vm);
  const routing = vm.get(GsiRouting);
  const entries = [];
  for (let g = 0; g < 256; g++) entries.push({ gsi: g, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin: g });
  routing.setGsiRouting(entries);
  return { vm, routing };
}

function once(n) {
  const process = new Process();
  const { vm, routing } = makeVm();
  const t = [];
  let s = performance.now();
  const efds = new Array(n);
  for (let i = 0; i < n; i++) efds[i] = EventFd.create(0, 0, process);
  t.push(performance.now() - s);
  s = performance.now();
  for (let i = 0; i < n; i++) routing.irqfd({ fd: efds[i], gsi: i & 255 });
  t.push(performance.now() - s);
  s = performance.now();
  // Deassign every other one (from the middle out, so no order is favoured), then destroy.
  for (let i = 0; i < n; i += 2) routing.irqfd({ fd: efds[i], gsi: i & 255, flags: KVM_IRQFD_FLAG_DEASSIGN });
  t.push((performance.now() - s) / 0.5);
  s = performance.now();
  vm.destroy();
  t.push((performance.now() - s) / 0.5);
  s = performance.now();
  for (let i = 0; i < n; i++) efds[i].close();
  t.push(performance.now() - s);
  if (process.openCount() !== 0) throw new Error("descriptors left open");
  return t.map((ms) => (ms * 1e6) / n);
}

const NAMES = ["eventfdCreate", "irqfdAssign", "irqfdDeassign", "vmDestroy", "eventfdClose"];
// Warm-up (JIT, heap growth), reported separately.
const w0 = performance.now();
for (let i = 0; i < 16; i++) once(4096);
report("routing.setup.warmup", { rounds: 16, irqfds: 4096 }, { ms: performance.now() - w0 });
const perSize = {};
for (const n of SIZES) {
  const runs = [];
  const RUNS = runsFor(n);
  globalThis.gc?.();
  for (let r = 0; r < RUNS; r++) {
    runs.push(once(n));
  }
  perSize[n] = NAMES.map((_, k) => stats(runs.map((x) => x[k])));
  NAMES.forEach((name, k) => {
    const st = perSize[n][k];
    const sorted = runs.map((x) => x[k]).sort((a, b) => a - b);
    st.median = sorted[Math.floor(sorted.length / 2)];
    report(`routing.setup.${name}`, { irqfds: n, chip: "test" }, {
      ns_per_op: st.mean,
      median_ns: st.median,
      ops_per_s: 1e9 / st.mean,
      spread_pct: (100 * st.sd) / st.mean,
      min_ns: st.min,
      max_ns: st.max,
      runs: RUNS,
    });
  });
}
NAMES.forEach((name, k) => {
  const means = SIZES.map((n) => perSize[n][k].mean);
  const medians = SIZES.map((n) => perSize[n][k].median);
  report(`routing.setup.${name}.flatness`, { sizes: SIZES.join("/") }, {
    ratio: Math.max(...means) / Math.min(...means),
    ratio_median: Math.max(...medians) / Math.min(...medians),
  });
});
printTable();
