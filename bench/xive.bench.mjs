// XIVE benchmarks (run: cd /work/main && pnpm -s build && node --expose-gc bench/xive.bench.mjs).
//   xive.cycle     full guest cycle with the Linux-like driver: eventfd write -> irqfd ->
//                  ESB trigger -> END queue entry in guest memory -> presenter -> TIMA
//                  ACK_OS_REG load -> EQ scan -> ESB SET_PQ_00 EOI load -> CPPR store, with
//                  16, 1024 and 16000 device sources configured on one vCPU (one queue takes
//                  at most 16382 targetings, KVM's XIVE_Q_GAP accounting, and the IPI uses
//                  one); the cycled source is the last one; exits and direct page accesses
//                  per cycle are reported (0 exits: the direct-mapped path)
//   xive.cycle.flatness  max / min ns per cycle across those source counts
//   xive.ipi       sendIpi (store to the target's IPI trigger page) -> service on the target
//   xive.heap      heap + array-buffer bytes per created source (all 2^20 sources created
//                  through KVM_DEV_XIVE_GRP_SOURCE)
//   xive.xics_cycle  XICS-on-XIVE (device type 3 on a XIVE host) with the Linux pseries XICS
//                  driver: eventfd write -> irqfd -> IPI ESB trigger -> queue entry -> OS ring
//                  -> H_XIRR (ACK_OS_REG + queue scan) -> handler -> H_EOI (source EOI, rescan,
//                  CPPR), cycles per second; 2 hcall exits per cycle
import { createVm, GuestDriverContribution, encodeU64 } from "@irqlab/core";
import routingModule, { EventFd, GsiRouting } from "@irqlab/routing";
import { bench, benchOnce, printTable, report } from "./harness.mjs";

let xive;
try {
  xive = await import("@irqlab/xive");
} catch {
  xive = await import("../packages/xive/dist/index.js");
}
const { createXiveModule, xicsOnXiveModule, KVM_DEV_TYPE_XIVE, KVM_DEV_XIVE_GRP_SOURCE, KVMPPC_XIVE_NR_IRQS } = xive;

function gc() {
  if (globalThis.gc) {
    globalThis.gc();
    globalThis.gc();
  }
}
const mem = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

function makeVm(vcpus = 1) {
  const vm = createVm({ arch: "ppc64", vcpus, modules: [routingModule, createXiveModule()] });
  const driver = vm.getAll(GuestDriverContribution).find((c) => c.id === "xive").attach(vm);
  return { vm, driver, routing: vm.get(GsiRouting) };
}

// ---- xive.cycle
const flat = [];
for (const n of [16, 1024, 16000]) {
  const { vm, driver, routing } = makeVm(1);
  for (let i = 0; i < n; i++) driver.configureSource({ index: i, trigger: "edge", vcpu: 0 });
  const efd = EventFd.create();
  routing.irqfd({ fd: efd, gsi: 0x1000 + n - 1 });
  const v = vm.vcpus[0];
  let handled = 0;
  const handler = () => {
    handled++;
  };
  vm.exitStats.reset();
  const r = bench(
    "xive.cycle",
    { sources: n },
    (k) => {
      for (let i = 0; i < k; i++) {
        efd.write(1);
        driver.service(v, handler);
      }
    },
    {
      extra: () => ({ exits_per_cycle: vm.exitStats.exits / Math.max(handled, 1), direct_per_cycle: vm.exitStats.directAccesses / Math.max(handled, 1) }),
    },
  );
  flat.push(r.ns_per_op);
}
report("xive.cycle.flatness", { sources: "16..16000" }, { ratio: Math.max(...flat) / Math.min(...flat) });

// ---- xive.ipi
{
  const { vm, driver } = makeVm(2);
  const [a, b] = vm.vcpus;
  const handler = () => {};
  bench("xive.ipi", { vcpus: 2 }, (k) => {
    for (let i = 0; i < k; i++) {
      driver.sendIpi(a, 1);
      driver.service(b, handler);
    }
  });
}

// ---- xive.xics_cycle
for (const n of [16, 1024]) {
  const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [routingModule, xicsOnXiveModule] });
  const driver = vm.getAll(GuestDriverContribution).find((c) => c.id === "xics-on-xive").attach(vm);
  const routing = vm.get(GsiRouting);
  for (let i = 0; i < n; i++) driver.configureSource({ index: i, trigger: "edge", vcpu: 0 });
  const efd = EventFd.create();
  routing.irqfd({ fd: efd, gsi: 0x1000 + n - 1 });
  const v = vm.vcpus[0];
  let handled = 0;
  const handler = () => {
    handled++;
  };
  vm.exitStats.reset();
  bench(
    "xive.xics_cycle",
    { sources: n },
    (k) => {
      for (let i = 0; i < k; i++) {
        efd.write(1);
        driver.service(v, handler);
      }
    },
    { extra: () => ({ exits_per_cycle: vm.exitStats.exits / Math.max(handled, 1) }) },
  );
}

// ---- xive.heap
{
  gc();
  const vm = createVm({ arch: "ppc64", vcpus: 1, modules: [createXiveModule()] });
  const h = vm.createDevice(KVM_DEV_TYPE_XIVE);
  gc();
  const before = mem();
  const arg = { group: KVM_DEV_XIVE_GRP_SOURCE, attr: 0, addr: encodeU64(0n) };
  const t0 = performance.now();
  for (let irq = 0; irq < KVMPPC_XIVE_NR_IRQS; irq++) {
    arg.attr = irq;
    h.setAttr(arg);
  }
  const ms = performance.now() - t0;
  gc();
  const used = mem() - before;
  report("xive.heap", { sources: KVMPPC_XIVE_NR_IRQS }, { bytes_per_source: used / KVMPPC_XIVE_NR_IRQS, configure_ms: ms });
  void benchOnce;
}

printTable();
