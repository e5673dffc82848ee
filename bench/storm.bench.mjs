// Threaded irqfd storm through every controller family (XICS, MPIC, XIVE, FLIC, x86, GIC, AIA): a worker thread signals the eventfds
// of 8 irqfds (EventFdSignaller, Atomics) while the main thread folds the counts in, runs the
// guest driver, and races the worker with routing swaps (KVM_SET_GSI_ROUTING), irqfd
// deassign/reassign and eventfd closes (the worker is handed the replacement eventfd).
// Per eventfd: signalled (accepted by signal()) = delivered (non-empty irqfd wakeups, one
// injection each) + coalesced (counts merged into a wakeup) + discarded at shutdown (the
// count irqfd_shutdown consumes) + pending. Anything else is lost: the bench fails on it.
//
//   node bench/storm.bench.mjs [--signals N] [--family NAME]     (pnpm bench storm)
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";

if (!isMainThread) {
  const { EventFdSignaller } = await import("@irqlab/routing/signaller");
  const sig = workerData.shareables.map((s) => EventFdSignaller.fromShareable(s));
  const perEfd = new Array(sig.length).fill(0);
  let refused = 0;
  parentPort.on("message", (m) => {
    if (m.type === "swap") sig[m.index] = EventFdSignaller.fromShareable(m.shareable);
  });
  let sent = 0;
  const total = workerData.total;
  let i = 0;
  while (sent < total) {
    const end = Math.min(total, sent + 4096);
    while (sent < end) {
      const k = i++ % sig.length;
      if (sig[k].signal(1)) perEfd[k]++;
      else refused++;
      sent++;
    }
    // Let the main thread's swap messages in.
    await new Promise((r) => setImmediate(r));
  }
  parentPort.postMessage({ type: "done", refused, perEfd });
} else {
  const { report, printTable } = await import("./harness.mjs");
  const { createVm, GuestDriverContribution } = await import("@irqlab/core");
  const routingMod = await import("@irqlab/routing");
  const { default: routingModule, EventFd, GsiRouting, KVM_IRQFD_FLAG_DEASSIGN } = routingMod;
  const { routeToEntry } = await import("../packages/testkit/dist/guest-harness.js");
  const xics = await import("@irqlab/xics");
  const xive = await import("@irqlab/xive");
  const mpic = await import("@irqlab/mpic");
  const flic = await import("@irqlab/flic");
  const x86 = await import("@irqlab/x86");
  const gic = await import("@irqlab/gic");
  const aia = await import("@irqlab/aia");

  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i < 0 ? dflt : process.argv[i + 1];
  };
  const SIGNALS = Number(arg("signals", 1e7));
  const only = arg("family", "");
  const families = [
    { name: "XICS", module: xics.default, arch: "ppc64", driver: "xics" },
    { name: "MPIC 4.2", module: mpic.default, arch: "ppc-booke", driver: "mpic-4.2" },
    { name: "XIVE native", module: xive.default, arch: "ppc64", driver: "xive" },
    { name: "FLIC adapter routes", module: flic.default, arch: "s390x", driver: "flic" },
    { name: "x86 IOAPIC/LAPIC", module: x86.default, arch: "x86_64", driver: "x86" },
    { name: "GICv3 ITS", module: gic.default, arch: "arm64", driver: "gicv3" },
    { name: "RISC-V AIA", module: aia.default, arch: "riscv64", driver: "aia-emul" },
  ].filter((f) => !only || f.name.toLowerCase().includes(only.toLowerCase()));

  const NEFD = 8;
  let lostTotal = 0;

  for (const fam of families) {
    const vm = createVm({ arch: fam.arch, vcpus: 2, modules: [routingModule, fam.module] });
    const driver = vm.getAll(GuestDriverContribution).find((c) => c.id === fam.driver).attach(vm);
    const routing = vm.get(GsiRouting);
    const routes = [];
    for (let i = 0; i < NEFD; i++) routes.push(routeToEntry(i + 1, driver.configureSource({ index: i, trigger: "edge", vcpu: i % 2 })));
    routing.setGsiRouting(routes);

    const records = []; // one per eventfd file ever used
    const current = []; // slot -> { efd, rec }
    let handled = 0;
    const shutdownCount = () => routing.counters().irqfdShutdownSignals;
    const newRecord = (efd) => {
      const sh = efd.shareable();
      const rec = { file: efd.file, sent: new BigUint64Array(sh.buffer, 0, 2), irqfds: [], shutdown: 0, sh };
      records.push(rec);
      return rec;
    };
    const assign = (slot) => {
      const { efd, rec } = current[slot];
      routing.irqfd({ fd: efd, gsi: slot + 1 });
      rec.irqfds.push(efd.file.priorityWaiter);
    };
    const deassign = (slot) => {
      const { efd, rec } = current[slot];
      const before = shutdownCount();
      routing.irqfd({ fd: efd, gsi: slot + 1, flags: KVM_IRQFD_FLAG_DEASSIGN });
      rec.shutdown += shutdownCount() - before;
    };
    for (let i = 0; i < NEFD; i++) {
      const efd = EventFd.create();
      current.push({ efd, rec: newRecord(efd), bound: true });
      assign(i);
    }

    const worker = new Worker(new URL(import.meta.url), { workerData: { shareables: current.map((c) => c.rec.sh), total: SIGNALS } });
    let done = null;
    worker.on("message", (m) => {
      if (m.type === "done") done = m;
    });
    const failed = new Promise((_, rej) => worker.on("error", rej));

    const service = () => {
      for (const v of vm.vcpus) {
        for (let k = 0; k < 64 && (v.ext.asserted || v.crit.asserted); k++) handled += driver.service(v, () => {});
      }
    };
    let swaps = 0;
    let reassigns = 0;
    let closes = 0;
    let rng = 0x2545f491;
    const rand = (n) => {
      rng ^= rng << 13;
      rng ^= rng >>> 17;
      rng ^= rng << 5;
      return (rng >>> 0) % n;
    };
    const chaos = () => {
      const r = rand(10);
      const slot = rand(NEFD);
      const c = current[slot];
      if (r < 4) {
        // Routing swap: a table without one GSI, then the full table again (entries permuted).
        const without = routes.filter((e) => e.gsi !== slot + 1);
        routing.setGsiRouting(without);
        routing.setGsiRouting([...routes].sort(() => rand(3) - 1));
        swaps++;
      } else if (r < 8) {
        if (c.bound) deassign(slot);
        else assign(slot);
        c.bound = !c.bound;
        reassigns++;
      } else {
        // Close the eventfd (hangup shuts its irqfd down), hand the worker a new one.
        const before = shutdownCount();
        c.efd.close();
        c.rec.shutdown += shutdownCount() - before;
        const efd = EventFd.create();
        const rec = newRecord(efd);
        current[slot] = { efd, rec, bound: true };
        assign(slot);
        worker.postMessage({ type: "swap", index: slot, shareable: rec.sh });
        closes++;
      }
    };

    const t0 = performance.now();
    let iter = 0;
    const deadline = t0 + 600_000;
    while (done === null) {
      routing.pollEventfds();
      service();
      if (++iter % 64 === 0) chaos();
      if (iter % 16 === 0) await Promise.race([new Promise((r) => setImmediate(r)), failed]);
      if (performance.now() > deadline) throw new Error(`${fam.name}: storm did not finish in 600 s (hang)`);
    }
    await worker.terminate();
    // Fold in what is left and let the guest take it.
    routing.pollEventfds();
    for (const r of records) r.file.poll?.();
    service();
    const ms = performance.now() - t0;

    let signalled = 0;
    let delivered = 0;
    let coalesced = 0;
    let discarded = 0;
    let pending = 0;
    let lost = 0;
    for (const r of records) {
      const sent = Number(r.sent[1]);
      let taken = 0;
      let wakeups = 0;
      let co = 0;
      for (const q of r.irqfds) {
        taken += q.signals;
        co += q.coalesced;
        wakeups += q.signals - q.coalesced;
      }
      const pend = r.file.counter + Number(Atomics.load(r.sent, 0) & ((1n << 63n) - 1n));
      const l = sent - (wakeups + co + r.shutdown + pend);
      signalled += sent;
      delivered += wakeups;
      coalesced += co;
      discarded += r.shutdown;
      pending += pend;
      lost += l;
      if (l !== 0) console.error(`${fam.name}: eventfd ${r.file.id}: ${sent} signalled != ${wakeups} delivered + ${co} coalesced + ${r.shutdown} discarded + ${pend} pending (taken ${taken})`);
    }
    const workerAccepted = done.perEfd.reduce((a, b) => a + b, 0);
    if (workerAccepted !== signalled) {
      console.error(`${fam.name}: the worker's signal() accepted ${workerAccepted}, the eventfds counted ${signalled}`);
      lost += Math.abs(workerAccepted - signalled);
    }
    lostTotal += lost;
    // Exact counts go in params (the harness rounds figures to 4 digits).
    report(`routing.storm.${fam.driver}`, {
      family: fam.name,
      signals: SIGNALS,
      eventfds: records.length,
      signalled,
      refused_after_close: done.refused,
      delivered,
      coalesced,
      discarded,
      pending,
      lost,
      handled,
      swaps,
      reassigns,
      closes,
    }, { ms: Math.round(ms), ops_per_s: (SIGNALS * 1000) / ms, ns_per_op: (ms * 1e6) / SIGNALS });
    vm.destroy();
  }
  printTable();
  if (lostTotal !== 0) {
    console.error(`storm: ${lostTotal} signals lost`);
    process.exit(1);
  }
}
