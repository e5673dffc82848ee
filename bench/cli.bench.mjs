// CLI benchmarks (run: pnpm bench cli). Every figure is a mean over runs with its spread.
//   cli.model.cycle           one controller on its own (bench/controllers.mjs): eventfd write
//                             -> irqfd -> controller -> guest driver ack/handler/EOI, ns per cycle
//   cli.runner                the comparison runner's simulation loop (runController, the wall
//                             time it reports), ns per handled interrupt, per controller and workload:
//                               one-source   1 vCPU, 1 MSI source, 100k/s: the model cycle's twin
//                               light        64 vCPUs, 256 sources, offered 200k/s
//                               saturation   64 vCPUs, 256 sources, offered 20M/s (deep queues)
//                               default, msi-many-queue, level-shared, ipi-storm (built-ins)
//   cli.runner.vs_model       cli.runner one-source / cli.model.cycle (target <= 2)
//   cli.runner.saturation_vs_light  saturation / light ns per handled interrupt (target <= 1)
//   cli.compare.e2e           a whole `irqlab compare` process (startup, plugin loading, every
//                             controller, report): wall and CPU (user + sys) ns per handled interrupt
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runCompare, validateWorkload } from "@irqlab/cli";
import { bench, printTable, report, stats } from "./harness.mjs";
import { controllerRigs, plugins } from "./controllers.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const file = (name) => validateWorkload(JSON.parse(readFileSync(here(`workloads/${name}.json`), "utf8")));
const ONE = validateWorkload({ name: "one-source", vcpus: 1, duration: "1s", devices: [{ name: "dev", kind: "msi", vectors: 1, rate: 100000 }] });
const WORKLOADS = [
  [ONE, undefined],
  [file("light"), undefined],
  [file("saturation"), undefined],
  ["default", undefined],
  ["msi-many-queue", "50ms"],
  ["level-shared", undefined],
  ["ipi-storm", "50ms"],
];
const RUNS = 5;

// ---- the model on its own
const model = {};
for (const rig of controllerRigs()) {
  model[rig.id] = bench("cli.model.cycle", { controller: rig.id, route: rig.route.type }, (n) => rig.cycle(n), { batch: 20_000 }).ns_per_op;
  rig.vm.destroy();
}

// ---- the runner
const runner = {};
for (const driver of plugins.drivers) {
  for (const [workload, duration] of WORKLOADS) {
    const name = typeof workload === "string" ? workload : workload.name;
    const opts = { workload, duration, controllers: [driver.id], deterministic: false, maxSeconds: 3600 };
    const w0 = performance.now();
    const first = runCompare(plugins, opts).controllers[0]; // warm-up (JIT), reported separately
    const warm = performance.now() - w0;
    if (first.status !== "ok") {
      console.log(`# skipped ${driver.id} on ${name}: ${first.error}`);
      continue;
    }
    const per = [];
    for (let i = 0; i < RUNS; i++) {
      globalThis.gc?.();
      const r = runCompare(plugins, opts).controllers[0];
      if (r.counts.lost !== 0) throw new Error(`bench self-check failed: ${driver.id} ${name} lost ${r.counts.lost}`);
      per.push((r.host.wallMs * 1e6) / Math.max(1, r.handled));
    }
    const st = stats(per);
    (runner[driver.id] ??= {})[name] = st.mean;
    report("cli.runner", { controller: driver.id, workload: name, handled: first.handled }, {
      ns_per_op: st.mean,
      ops_per_s: 1e9 / st.mean,
      spread_pct: (100 * st.sd) / st.mean,
      min_ns: st.min,
      max_ns: st.max,
      runs: RUNS,
      warmup_ms: warm,
    });
  }
}
for (const id of Object.keys(runner)) {
  const r = runner[id];
  if (model[id] && r["one-source"]) report("cli.runner.vs_model", { controller: id }, { ratio: r["one-source"] / model[id] });
  if (r.light && r.saturation) report("cli.runner.saturation_vs_light", { controller: id }, { ratio: r.saturation / r.light });
}

// ---- a whole irqlab compare process
const bin = here("../packages/cli/dist/bin.js");
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
for (const args of [["compare"], ["compare", "-w", "msi-many-queue"]]) {
  const wall = [];
  const cpu = [];
  let handled = 0;
  for (let i = 0; i < 3; i++) {
    const argv = [...args, "--json", "--no-progress"];
    const s = performance.now();
    const r = TIME
      ? spawnSync(TIME, ["-f", "IRQLAB_TIME %U %S", process.execPath, bin, ...argv], { encoding: "utf8", maxBuffer: 1 << 28 })
      : spawnSync(process.execPath, [bin, ...argv], { encoding: "utf8", maxBuffer: 1 << 28 });
    wall.push(performance.now() - s);
    if (r.status !== 0) throw new Error(`irqlab ${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
    handled = JSON.parse(r.stdout).controllers.reduce((a, c) => a + c.handled, 0);
    const m = /IRQLAB_TIME ([\d.]+) ([\d.]+)/.exec(r.stderr ?? "");
    if (m) cpu.push((Number(m[1]) + Number(m[2])) * 1000);
  }
  const w = stats(wall);
  const c = cpu.length ? stats(cpu) : null;
  report("cli.compare.e2e", { argv: args.join(" "), handled }, {
    ns_per_op: (w.mean * 1e6) / handled,
    ops_per_s: handled / (w.mean / 1000),
    spread_pct: (100 * w.sd) / w.mean,
    ms: w.mean,
    ...(c ? { cpu_ms: c.mean, cpu_ns_per_op: (c.mean * 1e6) / handled, handled_per_cpu_s: handled / (c.mean / 1000) } : {}),
    runs: wall.length,
  });
}
printTable();
