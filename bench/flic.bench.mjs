// FLIC benchmarks: the full adapter-interrupt cycle (adapter route inject -> floating I/O
// interruption delivered -> guest scans summary/indicators -> handler) and save/restore.
// Run: cd /work/main && pnpm -s build && node --expose-gc bench/flic.bench.mjs
import { existsSync } from "node:fs";
import { createVm, KVM_DEV_TYPE_FLIC, KVM_IRQ_ROUTING_S390_ADAPTER } from "@irqlab/core";
import flicModule, {
  flicGuestDriverContribution,
  ioIrq,
  iscToIntWord,
  encodeS390Irqs,
  KVM_DEV_FLIC_ENQUEUE,
  KVM_DEV_FLIC_AISM,
  KVM_DEV_FLIC_ADAPTER_REGISTER,
  KVM_DEV_FLIC_AIRQ_INJECT,
  KVM_S390_INT_IO,
  KVM_S390_AIS_MODE_SINGLE,
  createFlicModule,
  encodeAisReq,
  encodeIoAdapter,
  restoreFlic,
  saveFlic,
} from "@irqlab/flic";
import { bench, benchOnce, printTable, report } from "./harness.mjs";

function setup(vcpus = 1, modules = [flicModule]) {
  const vm = createVm({ arch: "s390x", vcpus, modules });
  const driver = flicGuestDriverContribution.attach(vm);
  const chip = vm.irqchips.byIndex(0);
  return { vm, driver, chip };
}

let handled = 0;
const handler = () => {
  handled++;
};

// 1. One source: inject -> deliver -> scan -> handle, one interrupt per cycle.
for (const sources of [1, 64, 1024]) {
  const { vm, driver, chip } = setup();
  const routes = [];
  for (let i = 0; i < sources; i++) routes.push(driver.configureSource({ index: i, trigger: "edge", vcpu: 0 }).adapter);
  const vcpu = vm.vcpu(0);
  let k = 0;
  bench("flic.adapter_cycle", { sources, fired: "1 per cycle" }, (n) => {
    for (let i = 0; i < n; i++) {
      chip.deliverAdapter(routes[k], 1);
      if (++k === sources) k = 0;
      driver.service(vcpu, handler);
    }
  });
}

// 2. Bursts: 32 sources fire (one I/O interruption, 31 coalesced in the summary), one service.
{
  const { vm, driver, chip } = setup();
  const routes = [];
  for (let i = 0; i < 32; i++) routes.push(driver.configureSource({ index: i, trigger: "edge", vcpu: 0 }).adapter);
  const vcpu = vm.vcpu(0);
  bench("flic.adapter_burst", { sources: 32, unit: "interrupt handled" }, (n) => {
    for (let done = 0; done < n; ) {
      for (let i = 0; i < 32; i++) chip.deliverAdapter(routes[i], 1);
      done += driver.service(vcpu, handler);
    }
  });
}

// 3. Allocation check of the hot path (approximate: heap growth without a GC in between).
if (globalThis.gc) {
  const { vm, driver, chip } = setup();
  const route = driver.configureSource({ index: 3, trigger: "edge", vcpu: 0 }).adapter;
  const vcpu = vm.vcpu(0);
  for (let i = 0; i < 100_000; i++) {
    chip.deliverAdapter(route, 1);
    driver.service(vcpu, handler);
  }
  const N = 200_000;
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) {
    chip.deliverAdapter(route, 1);
    driver.service(vcpu, handler);
  }
  const after = process.memoryUsage().heapUsed;
  report("flic.adapter_cycle_heap", { cycles: N }, { bytes_per_cycle: Math.max(0, (after - before) / N) });
}

// 4. Through @irqlab/routing: irqfd write -> adapter route -> deliver -> handle.
if (existsSync(new URL("../packages/routing/dist/index.js", import.meta.url))) {
  const routing = await import("@irqlab/routing");
  const { vm, driver } = setup(1, [routing.default, flicModule]);
  const gsi = vm.get(routing.GsiRouting);
  const spec = driver.configureSource({ index: 0, trigger: "edge", vcpu: 0 });
  gsi.setGsiRouting([{ gsi: 1, flags: 0, type: KVM_IRQ_ROUTING_S390_ADAPTER, adapter: spec.adapter }]);
  const efd = routing.EventFd.create();
  gsi.irqfd({ fd: efd, gsi: 1 });
  const vcpu = vm.vcpu(0);
  bench("flic.irqfd_cycle", { sources: 1 }, (n) => {
    for (let i = 0; i < n; i++) {
      efd.write(1);
      driver.service(vcpu, handler);
    }
  });
}

// 5. Save/restore of 10 000 queued interrupts (GET_ALL_IRQS with ENOMEM retries, ENQUEUE).
{
  const { driver } = setup();
  const recs = [];
  for (let i = 0; i < 10_000; i++) {
    recs.push(ioIrq(i & 0xffff, { subchannelId: 1, subchannelNr: i & 0xffff, ioIntParm: i, ioIntWord: iscToIntWord(i % 8) }));
  }
  const buf = encodeS390Irqs(recs);
  driver.controller.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: buf.length, addr: buf });
  benchOnce("flic.save_restore", { irqs: 10_000 }, () => {
    const snap = saveFlic(driver.controller);
    const dst = createVm({ arch: "s390x", vcpus: 1, modules: [flicModule] });
    restoreFlic(dst.createDevice(KVM_DEV_TYPE_FLIC), snap);
  });
}

// 6. QEMU-style injection of a classic I/O interrupt: one ENQUEUE (one 72-byte record) per
//    interrupt, then the vCPU takes it. Heap growth per cycle includes core's attr object.
{
  const { vm, driver } = setup();
  const rec = encodeS390Irqs([
    ioIrq(KVM_S390_INT_IO(0, 0, 0, 1), { subchannelId: 1, subchannelNr: 1, ioIntParm: 7, ioIntWord: iscToIntWord(3) }),
  ]);
  const flic = driver.controller;
  const arg = { group: KVM_DEV_FLIC_ENQUEUE, attr: rec.length, addr: rec };
  const vcpu = vm.vcpu(0);
  const cycle = () => {
    flic.setAttr(arg);
    if (driver.flic.deliver(vcpu) === null) throw new Error("not delivered");
  };
  bench("flic.enqueue_cycle", { irqs: 1 }, (n) => {
    for (let i = 0; i < n; i++) cycle();
  });
  if (globalThis.gc) {
    const N = 200_000;
    globalThis.gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < N; i++) cycle();
    report("flic.enqueue_cycle_heap", { cycles: N }, { bytes_per_cycle: Math.max(0, (process.memoryUsage().heapUsed - before) / N) });
  }
}

// 7. AIS SINGLE mode: AISM re-arm + AIRQ_INJECT (injects, SINGLE -> NO) + a suppressed inject.
{
  const vm = createVm({ arch: "s390x", vcpus: 1, modules: [createFlicModule({ ais: true })] });
  const driver = flicGuestDriverContribution.attach(vm);
  const flic = driver.controller;
  flic.setAttr({ group: KVM_DEV_FLIC_ADAPTER_REGISTER, attr: 0, addr: encodeIoAdapter({ id: 1, isc: 3, maskable: 0, swap: 1, flags: 1 }) });
  const rearm = { group: KVM_DEV_FLIC_AISM, attr: 0, addr: encodeAisReq({ isc: 3, mode: KVM_S390_AIS_MODE_SINGLE }) };
  const inject = { group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 1 };
  const vcpu = vm.vcpu(0);
  bench("flic.ais_single_cycle", { isc: 3 }, (n) => {
    for (let i = 0; i < n; i++) {
      flic.setAttr(rearm);
      flic.setAttr(inject);
      flic.setAttr(inject);
      driver.flic.deliver(vcpu);
    }
  });
}

if (handled === 0) throw new Error("nothing was handled");
printTable();
