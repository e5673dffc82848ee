// RISC-V AIA benchmarks: the APLIC level cycle (line up -> APLIC -> MSI -> IMSIC -> VSEIP ->
// claim by csrrw stopei -> line down -> setipnum_le EOI write) and the MSI -> IMSIC cycle
// (MSI route delivery -> eip -> VSEIP -> claim), each on a SW-file (EMUL) host, plus heap bytes
// per cycle. Run: pnpm bench aia (or node --expose-gc bench/aia.bench.mjs after pnpm -s build).
import { createVm, encodeU32, encodeU64, KVM_DEV_TYPE_RISCV_AIA } from "@irqlab/core";
import routingModule from "@irqlab/routing";
import aiaModule from "@irqlab/aia";
import { bench, report, printTable } from "./harness.mjs";

const APLIC = 0x0c000000;
const STOPEI_SWAP = 0x15c | 0x10000;

function setup() {
  const vm = createVm({ arch: "riscv64", vcpus: 2, modules: [routingModule, aiaModule] });
  const h = vm.createDevice(KVM_DEV_TYPE_RISCV_AIA);
  const cfg = (attr, v) => h.setAttr({ group: 0, attr, addr: encodeU32(v) });
  cfg(2, 32);
  cfg(1, 255);
  cfg(5, 1);
  h.setAttr({ group: 1, attr: 0, addr: encodeU64(APLIC) });
  h.setAttr({ group: 1, attr: 1, addr: encodeU64(0x28000000) });
  h.setAttr({ group: 1, attr: 2, addr: encodeU64(0x28001000) });
  h.setAttr({ group: 2, attr: 0 });
  const aplic = (off, v) => h.setAttr({ group: 3, attr: off, addr: encodeU32(v) });
  const imsic = (isel, v) => h.setAttr({ group: 4, attr: isel, addr: encodeU64(v) });
  imsic(0x70, 1);
  imsic(0xc0, 1n << 33n);
  aplic(0x0004 + 16, 6); // source 5 level-high
  aplic(0x3004 + 16, 33); // -> hart 0, EIID 33
  aplic(0x1edc, 5);
  aplic(0, 0x100);
  return { vm, chip: vm.irqchips.byIndex(0), v0: vm.vcpus[0] };
}

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

{
  const { chip, v0 } = setup();
  const cycle = (n) => {
    for (let i = 0; i < n; i++) {
      chip.setIrq(5, 1, 0);
      if (v0.sysregRead(STOPEI_SWAP) !== ((33 << 16) | 33)) throw new Error("bad claim");
      chip.setIrq(5, 0, 0);
      v0.mmioWrite(APLIC + 0x2000, 4, 5);
    }
  };
  cycle(10);
  check(!v0.ext.asserted, "line idle after a cycle");
  bench("aia.aplic.level_cycle", { path: "setIrq(level-high) -> MSI -> IMSIC -> csrrw stopei -> line low -> setipnum_le", mode: "EMUL" }, cycle);
  report("aia.aplic.level_cycle.heap", {}, { bytes_per_op: heapPerOp(cycle) ?? -1 });
}

{
  const { chip, v0 } = setup();
  const msg = { addressLo: 0x28000000, addressHi: 0, data: 33, flags: 0, devid: 0 };
  const cycle = (n) => {
    for (let i = 0; i < n; i++) {
      chip.deliverMsi(msg, 1, 0);
      if (v0.sysregRead(STOPEI_SWAP) !== ((33 << 16) | 33)) throw new Error("bad claim");
    }
  };
  cycle(10);
  check(!v0.ext.asserted, "line idle after a cycle");
  bench("aia.imsic.msi_cycle", { path: "deliverMsi -> decode -> eip -> VSEIP -> csrrw stopei", mode: "EMUL" }, cycle);
  report("aia.imsic.msi_cycle.heap", {}, { bytes_per_op: heapPerOp(cycle) ?? -1 });
}

printTable();
