// CLI benchmarks: the comparison runner end to end (arrivals -> irqfd -> routing -> controller
// -> guest driver service loop), per controller and built-in workload. Reports handled
// interrupts per wall-clock second of the simulation (the same figure `irqlab compare`
// prints as host throughput) and the wall time of one run.
// Run: cd /work/main && pnpm -s build && node --expose-gc bench/cli.bench.mjs
import { loadPluginSet, runCompare, validateWorkload } from "@irqlab/cli";
import { report, printTable } from "./harness.mjs";

const plugins = await loadPluginSet();
const WORKLOADS = [
  ["default", undefined],
  ["msi-many-queue", "50ms"],
  ["level-shared", undefined],
  ["ipi-storm", "50ms"],
  // Many vCPUs: the runner's per-event work must not grow with the vCPU count.
  [
    validateWorkload({
      name: "wide-32",
      vcpus: 32,
      duration: "20ms",
      devices: [{ name: "nic", kind: "msi", vectors: 64, rate: 20000 }],
      ipis: { rate: 200000 },
    }),
    undefined,
  ],
];

for (const driver of plugins.drivers) {
  for (const [workload, duration] of WORKLOADS) {
    const opts = { workload, duration, controllers: [driver.id], deterministic: false };
    const name = typeof workload === "string" ? workload : workload.name;
    runCompare(plugins, opts); // warm up (JIT)
    const runs = [];
    for (let i = 0; i < 5; i++) {
      globalThis.gc?.();
      runs.push(runCompare(plugins, opts).controllers[0]);
    }
    if (runs[0].status !== "ok") {
      // A controller that cannot run this workload (e.g. MPIC 2.0 guests stop at 15 vCPUs).
      console.log(`# skipped ${driver.id} on ${name}: ${runs[0].error}`);
      continue;
    }
    const best = runs.reduce((a, b) => (b.host.interruptsPerSecond > a.host.interruptsPerSecond ? b : a));
    if (best.counts.lost !== 0) throw new Error(`bench self-check failed: ${driver.id} ${name} lost ${best.counts.lost}`);
    report(`cli.compare`, { controller: driver.id, workload: name }, {
      ops_per_s: best.host.interruptsPerSecond,
      ns_per_op: 1e9 / Math.max(1, best.host.interruptsPerSecond),
      ms: best.host.wallMs,
    });
  }
}
printTable();
