// GICv3 + ITS benchmarks: the LPI cycle (KVM_SIGNAL_MSI with a device id -> ITS translate ->
// IAR -> EOIR), the level SPI cycle through a resample irqfd (irqfd -> SPI -> IAR -> EOIR ->
// ack notifier -> resamplefd), and the LPI cycle with 1 vs 65,536 ITEs mapped (flat cost).
// Run: pnpm -s build && node --expose-gc bench/gic.bench.mjs   (or `pnpm bench gic`)
import { createVm } from "@irqlab/core";
import routingModule, { EventFd, GsiRouting, KVM_IRQFD_FLAG_RESAMPLE } from "@irqlab/routing";
import gicModule, { CMD, GicGuestDriver, ICC_EOIR1_EL1, ICC_IAR1_EL1 } from "@irqlab/gic";
import { bench, printTable, report } from "./harness.mjs";

function check(ok, what) {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

function heapPerOp(fn, n = 1_000_000) {
  if (!globalThis.gc) return undefined;
  fn(n);
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  fn(n);
  return Math.max(0, (process.memoryUsage().heapUsed - before) / n);
}

function setup() {
  const vm = createVm({ arch: "arm64", vcpus: 1, modules: [routingModule, gicModule] });
  const driver = new GicGuestDriver(vm);
  return { vm, driver, routing: vm.get(GsiRouting), cpu: vm.vcpus[0] };
}

/** Maps `n` extra ITEs (16 devices x up to 4,096 events) over the LPI space. */
function mapMany(driver, n) {
  const its = driver.itsHandle.backend().its;
  const mem = driver.vm.memory;
  for (let i = 0; i < 57344; i++) mem.writeByte(0x40000000 + i, 0xa1);
  let left = n;
  for (let d = 100; left > 0; d++) {
    const events = Math.min(left, 4096);
    its.exec(BigInt(CMD.MAPD) | (BigInt(d) << 32n), 11n, (1n << 63n) | BigInt(0x60000000 + d * 0x10000), 0n);
    for (let e = 0; e < events; e++) {
      const lpi = 8192 + 1 + (((d - 100) * 4096 + e) % 57343);
      its.exec(BigInt(CMD.MAPTI) | (BigInt(d) << 32n), BigInt(e) | (BigInt(lpi) << 32n), 0n, 0n);
    }
    left -= events;
  }
  return its.st.lpiCount;
}

// LPI cycle, with 1 and 65,536 ITEs mapped. Both VMs are built and warmed up before either
// is measured, so both run the same (equally polymorphic) optimised code.
const lpiRuns = [1, 65536].map((mapped) => {
  const { driver, routing, cpu } = setup();
  const route = driver.configureSource({ index: 0, trigger: "edge", vcpu: 0 });
  const lpis = mapped > 1 ? mapMany(driver, mapped - 1) : 1;
  const msg = route.msi;
  const cycle = (n) => {
    for (let i = 0; i < n; i++) {
      routing.signalMsi(msg);
      const id = cpu.sysregRead(ICC_IAR1_EL1);
      if (id !== 8192) throw new Error(`IAR ${id}`);
      cpu.sysregWrite(ICC_EOIR1_EL1, id);
    }
  };
  cycle(10);
  check(cpu.sysregRead(ICC_IAR1_EL1) === 1023 && !cpu.ext.asserted, "LPI cycle leaves nothing pending");
  return { mapped, lpis, cycle };
});
for (const r of lpiRuns) r.cycle(200_000);
const lpiRows = lpiRuns.map((r) =>
  bench(r.mapped === 1 ? "gic.lpi_cycle" : "gic.lpi_cycle_mapped", { ites: r.mapped, lpis: r.lpis }, r.cycle, { minMs: 500, extra: () => ({ heap_bytes_per_op: heapPerOp(r.cycle) }) }),
);
report("gic.lpi_cycle_mapped_ratio", { ites: "65536 vs 1" }, { ratio: lpiRows[1].ns_per_op / lpiRows[0].ns_per_op });

// Level SPI cycle through a resample irqfd.
{
  const { driver, routing, cpu } = setup();
  const route = driver.configureSource({ index: 0, trigger: "level", vcpu: 0 });
  routing.setGsiRouting([{ gsi: 1, type: 1, flags: 0, irqchip: 0, pin: route.pin }]);
  const efd = EventFd.create();
  const rfd = EventFd.create();
  routing.irqfd({ fd: efd, gsi: 1, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rfd });
  const intid = 32 + route.pin;
  const cycle = (n) => {
    for (let i = 0; i < n; i++) {
      efd.write(1);
      const id = cpu.sysregRead(ICC_IAR1_EL1);
      if (id !== intid) throw new Error(`IAR ${id}`);
      cpu.sysregWrite(ICC_EOIR1_EL1, id);
    }
  };
  const before = rfd.counter;
  cycle(10);
  check(rfd.counter === before + 10 && !cpu.ext.asserted, "one resample per cycle, line lowered");
  bench("gic.spi_level_resample", { path: "irqfd resample -> SPI -> IAR -> EOIR -> resamplefd" }, cycle, { minMs: 500, extra: () => ({ heap_bytes_per_op: heapPerOp(cycle, 300_000) }) });
}

printTable();
