// x86 benchmarks through the public API: the IOAPIC level cycle (resample irqfd -> IOAPIC ->
// LAPIC accept -> guest ack -> EOI -> IOAPIC -> ack notifier -> resamplefd), the MSI cycle
// (KVM_SIGNAL_MSI -> LAPIC -> ack -> EOI, target >= 5 M/s), and KVM_SIGNAL_MSI unicast into
// real LAPICs of VMs with 1, 64 and 1024 vCPUs (should stay flat within 20 %).
// Run: pnpm bench x86   (or: pnpm -s build && node --expose-gc bench/x86.bench.mjs)
import { createVm } from "@irqlab/core";
import { routingModule, GsiRouting, EventFd, KVM_IRQFD_FLAG_RESAMPLE } from "@irqlab/routing";
import { x86Module, x86Of, KVM_GET_LAPIC, KVM_SET_LAPIC, KVM_GET_IRQCHIP, KVM_SET_IRQCHIP, APIC_SPIV, KVM_CAP_X2APIC_API, KVM_X2APIC_API_USE_32BIT_IDS, LapicState, encodeIrqchip, decodeIrqchip } from "@irqlab/x86";
import { bench, printTable } from "./harness.mjs";

/** Heap bytes retained per operation over `n` operations (0 when the path does not allocate). */
function heapPerOp(fn, n = 1_000_000) {
  if (!globalThis.gc) return undefined;
  fn(n);
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  fn(n);
  const after = process.memoryUsage().heapUsed; // no gc: garbage still counts
  return Math.max(0, (after - before) / n);
}

function setup(vcpus, x2apicApi = 0) {
  const vm = createVm({ arch: "x86_64", vcpus, modules: [routingModule, x86Module({ irqchip: "kernel" })] });
  if (x2apicApi) vm.enableCap(KVM_CAP_X2APIC_API, [x2apicApi]);
  for (const v of vm.vcpus) {
    const st = new LapicState();
    v.ioctl(KVM_GET_LAPIC, st.bytes);
    st.set(APIC_SPIV, 0x1ff);
    v.ioctl(KVM_SET_LAPIC, st.bytes);
  }
  return { vm, routing: vm.get(GsiRouting), x: x86Of(vm) };
}

function check(ok, what) {
  if (!ok) throw new Error(`bench self-check failed: ${what}`);
}

// IOAPIC level cycle on GSI 21 (default route to IOAPIC pin 21, level, vector 0x59, dest 0).
{
  const { vm, routing, x } = setup(1);
  const b = encodeIrqchip({ chipId: 2 });
  vm.ioctl(KVM_GET_IRQCHIP, b);
  const s = decodeIrqchip(b).ioapic;
  s.redirtbl[21] = 0x8059n;
  vm.ioctl(KVM_SET_IRQCHIP, encodeIrqchip({ chipId: 2, ioapic: s }));
  const efd = EventFd.create();
  const rfd = EventFd.create();
  routing.irqfd({ fd: efd, gsi: 21, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rfd });
  let bad = 0;
  const cycle = (n) => {
    for (let i = 0; i < n; i++) {
      efd.write(1);
      if (x.guestAck(0) !== 0x59) bad++;
      x.guestEoi(0);
    }
    rfd.read();
  };
  bench("x86.ioapic.level_cycle(irqfd->lapic->eoi->resamplefd)", { vcpus: 1 }, cycle, { extra: () => ({ heap_bytes_per_op: heapPerOp(cycle) }) });
  check(bad === 0, "level cycle acknowledged the wrong vector");
}

// MSI cycle: KVM_SIGNAL_MSI -> LAPIC IRR -> ack -> EOI.
{
  const { routing, x } = setup(1);
  const msg = { addressLo: 0xfee00000, addressHi: 0, data: 0x41, flags: 0, devid: 0 };
  let bad = 0;
  const cycle = (n) => {
    for (let i = 0; i < n; i++) {
      if (routing.signalMsi(msg) !== 1) bad++;
      x.guestAck(0);
      x.guestEoi(0);
    }
  };
  bench("x86.msi.cycle(signal_msi->lapic->ack->eoi)", { vcpus: 1 }, cycle, { extra: () => ({ heap_bytes_per_op: heapPerOp(cycle) }) });
  check(bad === 0, "MSI not accepted");
}

// KVM_SIGNAL_MSI unicast into a real LAPIC, by VM size: the last vCPU, addressed with 32-bit
// APIC IDs (KVM_X2APIC_API_USE_32BIT_IDS; without them xAPIC IDs above 0xff alias and KVM
// falls back to scanning every vCPU).
for (const n of [1, 64, 1024]) {
  const { routing, x } = setup(n, KVM_X2APIC_API_USE_32BIT_IDS);
  const dest = n - 1;
  const msg = { addressLo: (0xfee00000 | ((dest & 0xff) << 12)) >>> 0, addressHi: dest & ~0xff, data: 0x41, flags: 0, devid: 0 };
  let bad = 0;
  const run = (k) => {
    for (let i = 0; i < k; i++) if (routing.signalMsi(msg) !== 1) bad++;
  };
  bench("x86.signal_msi.unicast", { vcpus: n, dest }, run);
  check(bad === 0 && x.lapics[dest].irrHas(0x41), "unicast not accepted");
}

printTable();
