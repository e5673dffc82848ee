// Routing benchmarks (run: pnpm bench routing).
// On the counter-only test chip (RecordingChip: the controller does nothing, so these are the
// routing layer's own costs, NOT what an interrupt costs through a real controller):
//   routing.table.msi       KVM_SIGNAL_MSI into the test chip (ops/s)
//   routing.table.msiRoute  KVM_IRQ_LINE_STATUS on an MSI-routed GSI (table lookup + MSI route)
//   routing.table.irqLine   KVM_IRQ_LINE_STATUS on an IRQCHIP-routed GSI
//   routing.table.irqfd     eventfd write -> irqfd -> routed injection (pulse) into the test chip
// Through each real controller (one source configured by its guest driver, serviced after
// every injection, so each operation is one delivered and handled interrupt):
//   routing.msi.<controller>    KVM_SIGNAL_MSI -> controller -> guest ack/handler/EOI
//   routing.irqfd.<controller>  eventfd write -> irqfd -> controller -> guest ack/handler/EOI
//   routing.irqfdWorker  worker-thread signals delivered via pollEventfds (signals/s, coalescing)
//   routing.update4096   one KVM_SET_GSI_ROUTING of 4096 entries (ms, warmed)
//   routing.update4096.cold  the first updates in a fresh isolate (a worker running this file)
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { createVm } from "@irqlab/core";
import routingModule, {
  EventFd,
  GsiRouting,
  RecordingChip,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
} from "@irqlab/routing";
import { bench, benchOnce, printTable, report } from "./harness.mjs";
import { controllerRigs } from "./controllers.mjs";

function entries4096() {
  const entries = [];
  for (let g = 0; g < 4096; g++) {
    if (g % 2 === 0) entries.push({ gsi: g, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 1, pin: g });
    else entries.push({ gsi: g, type: KVM_IRQ_ROUTING_MSI, flags: 0, msi: { addressLo: 0xfee00000, addressHi: 0, data: g, flags: 0, devid: 0 } });
  }
  return entries;
}

function makeVm(arch = "ppc-booke") {
  const vm = createVm({ arch, vcpus: 1, modules: [routingModule] });
  const chip = new RecordingChip({ record: false, pins: 256 });
  chip.result = 1;
  chip.attach(vm);
  return { vm, chip, routing: vm.get(GsiRouting) };
}

if (!isMainThread && workerData?.cold) {
  // Cold: a fresh isolate, nothing compiled yet. Times the first `calls` updates (ms each).
  const { vm, routing } = makeVm();
  new RecordingChip({ record: false, index: 1, name: "second", pins: 4096 }).attach(vm);
  const entries = entries4096();
  const ms = [];
  for (let i = 0; i < workerData.calls; i++) {
    const s = performance.now();
    routing.setGsiRouting(entries);
    ms.push(performance.now() - s);
  }
  parentPort.postMessage(ms);
} else {
// ---- routing.msi: KVM_SIGNAL_MSI
{
  const { routing, chip } = makeVm();
  const msg = { addressLo: 0xfee00000, addressHi: 0, data: 0x41, flags: 0, devid: 0 };
  bench("routing.table.msi", { arch: "ppc-booke", chip: "trivial" }, (n) => {
    for (let i = 0; i < n; i++) routing.signalMsi(msg);
  }, { batch: 100_000 });
  if (chip.msiCalls === 0) throw new Error("no MSI delivered");
}

// ---- routing.msiRoute / routing.irqLine: table lookups
{
  const { routing } = makeVm();
  const entries = [];
  for (let g = 0; g < 256; g++) entries.push({ gsi: g, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin: g });
  for (let g = 256; g < 512; g++) {
    entries.push({ gsi: g, type: KVM_IRQ_ROUTING_MSI, flags: 0, msi: { addressLo: 0xfee00000, addressHi: 0, data: g, flags: 0, devid: 0 } });
  }
  routing.setGsiRouting(entries);
  bench("routing.table.msiRoute", { arch: "ppc-booke", gsis: 256 }, (n) => {
    for (let i = 0; i < n; i++) routing.irqLineStatus(256 + (i & 255), 1);
  }, { batch: 100_000 });
  bench("routing.table.irqLine", { arch: "ppc-booke", gsis: 256 }, (n) => {
    for (let i = 0; i < n; i++) routing.irqLineStatus(i & 255, i & 1);
  }, { batch: 100_000 });
}

// ---- routing.irqfd: eventfd write -> irqfd -> delivered
{
  const { routing, chip } = makeVm();
  routing.setGsiRouting([{ gsi: 10, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin: 10 }]);
  const efd = EventFd.create();
  routing.irqfd({ fd: efd, gsi: 10 });
  const before = chip.irqCalls;
  bench("routing.table.irqfd", { arch: "ppc-booke", route: "irqchip", inject: "pulse" }, (n) => {
    for (let i = 0; i < n; i++) efd.write(1);
  }, { batch: 100_000 });
  if (chip.irqCalls === before) throw new Error("irqfd delivered nothing");
  efd.close();
}

// ---- routing.msi.<controller> / routing.irqfd.<controller>: through real controllers
for (const rig of controllerRigs()) {
  if (rig.msiCycle) {
    const h0 = rig.handled();
    bench(`routing.msi.${rig.id}`, { route: rig.route.type, serviced: true }, (n) => rig.msiCycle(n), { batch: 20_000 });
    if (rig.handled() === h0) throw new Error(`routing.msi.${rig.id}: nothing handled`);
  }
  const h0 = rig.handled();
  bench(`routing.irqfd.${rig.id}`, { route: rig.route.type, serviced: true }, (n) => rig.cycle(n), { batch: 20_000 });
  if (rig.handled() === h0) throw new Error(`routing.irqfd.${rig.id}: nothing handled`);
  rig.vm.destroy();
}

// ---- routing.irqfdWorker: two workers signal, the main thread polls
{
  const { routing } = makeVm();
  routing.setGsiRouting([{ gsi: 3, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin: 3 }]);
  const efd = EventFd.create();
  routing.irqfd({ fd: efd, gsi: 3 });
  const total = 1_000_000;
  const shareable = efd.shareable();
  const url = new URL("../packages/routing/dist/testing/signal-worker.js", import.meta.url);
  const t0 = performance.now();
  const workers = [0, 1].map(() => new Worker(url, { workerData: { shareable, count: total / 2 } }));
  const done = Promise.all(workers.map((w) => new Promise((res) => w.once("message", res))));
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished || efd.file.pending > 0) {
    routing.pollEventfds();
    await new Promise((r) => setImmediate(r));
  }
  routing.pollEventfds();
  const ms = performance.now() - t0;
  const info = routing.irqfdOf(efd);
  await Promise.all(workers.map((w) => w.terminate()));
  report("routing.irqfdWorker", { workers: 2, signals: total }, {
    ms,
    ops_per_s: (total / ms) * 1000,
    ns_per_op: (ms * 1e6) / total,
    injections: info.counters.injections,
    coalesced: info.counters.coalesced,
    lost: total - info.counters.signals,
  });
}

// ---- routing.update4096: one 4096-entry KVM_SET_GSI_ROUTING
{
  const { vm, routing } = makeVm();
  const second = new RecordingChip({ record: false, index: 1, name: "second", pins: 4096 });
  second.attach(vm);
  const entries = entries4096();
  for (let i = 0; i < 30; i++) routing.setGsiRouting(entries); // JIT warm-up
  benchOnce("routing.update4096", { arch: "ppc-booke", entries: 4096, mix: "irqchip+msi" }, () => routing.setGsiRouting(entries), { runs: 31 });
}

// ---- routing.update4096.cold: first updates in fresh isolates (median over 5 workers)
{
  const calls = 5;
  const runs = [];
  for (let w = 0; w < 5; w++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { cold: true, calls } });
    runs.push(await new Promise((res, rej) => (worker.once("message", res), worker.once("error", rej))));
    await worker.terminate();
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const first = med(runs.map((r) => r[0]));
  const firstN = med(runs.map((r) => r.reduce((s, x) => s + x, 0)));
  report("routing.update4096.cold", { arch: "ppc-booke", entries: 4096, calls, isolates: runs.length }, {
    ms: first,
    ns_per_op: first * 1e6,
    ops_per_s: 1000 / first,
    first_calls_ms: Number(firstN.toFixed(2)),
  });
}

printTable();
}
