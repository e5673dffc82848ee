/**
 * Replays ppce500 / mpc8544ds traces on irqlab's MPIC, set up the way QEMU sets up KVM's
 * in-kernel MPIC (hw/intc/openpic_kvm.c): KVM_CREATE_DEVICE of the model, 256 identity GSI
 * routes (GSI n -> irqchip 0 pin n), the register window at the machine's base address,
 * every vCPU attached with KVM_CAP_IRQ_MPIC, then the machine reset (a GCR reset write).
 *
 * A qtest `readl`/`writel` becomes a 4-byte access on the VM's MMIO bus (no current CPU,
 * as for qtest); besides the value, the step checks that the MPIC handled the access (KVM
 * leaves some to userspace: ExitStats.mmioUnhandled). `set_irq_in /machine/pic ... N L` is
 * QEMU's kvm_openpic_set_irq -> kvm_set_irq(N, L): KVM_IRQ_LINE through the routing table,
 * so N >= 256 (QEMU's IPI and timer inputs) reaches nothing, as with KVM, unless the profile
 * gives the chip those inputs (quirk mpic.ipi-timer-inputs: the chip then has 264 pins and
 * gets 264 identity routes). Pins: e500 input 4 = INT (vCPU ext line), 3 = critical INT.
 */
import {
  KVM_CAP_IRQ_MPIC,
  KVM_DEV_TYPE_FSL_MPIC_20,
  KVM_DEV_TYPE_FSL_MPIC_42,
  KVM_IRQ_ROUTING_IRQCHIP,
  createVm,
  encodeU32,
  encodeU64,
  type DeviceHandle,
  type ProfileOption,
  type RoutingEntry,
  type Vm,
} from "@irqlab/core";
import type { GsiRoutingLike, PluginSet } from "../plugins.js";
import { AdapterBase, checks, na, parseQtest, unmodelled } from "./adapter-base.js";
import type { PinMapping } from "./pins.js";
import type { StepRecord } from "./trace.js";
import type { Check, Execution } from "./types.js";

/** arch/powerpc/include/uapi/asm/kvm.h */
export const KVM_DEV_MPIC_GRP_MISC = 1;
export const KVM_DEV_MPIC_BASE_ADDR = 0;
export const KVM_DEV_MPIC_GRP_REGISTER = 2;
export const KVM_DEV_MPIC_GRP_IRQ_ACTIVE = 3;
export const MPIC_WINDOW = 0x40000;
const GCR = 0x1020;
const GCR_RESET = 0x80000000;

export interface MpicMachine {
  readonly machine: string;
  readonly controller: "mpic-4.2" | "mpic-2.0";
  readonly type: number;
  readonly base: number;
  readonly label: string;
}

export const MPIC_MACHINES: readonly MpicMachine[] = [
  { machine: "ppce500", controller: "mpic-4.2", type: KVM_DEV_TYPE_FSL_MPIC_42, base: 0xfe0040000, label: "MPIC 4.2" },
  { machine: "mpc8544ds", controller: "mpic-2.0", type: KVM_DEV_TYPE_FSL_MPIC_20, base: 0xe0040000, label: "MPIC 2.0" },
];

export class MpicAdapter extends AdapterBase {
  readonly model: string;
  readonly controller: string;
  private readonly dev: DeviceHandle;
  private readonly routing: GsiRoutingLike | null;

  constructor(
    vm: Vm,
    private readonly m: MpicMachine,
    plugins: PluginSet,
  ) {
    super(vm);
    this.controller = m.controller;
    this.model = `${m.label} (device type ${m.type}) at 0x${m.base.toString(16)}, ${vm.vcpus.length} vCPU${vm.vcpus.length > 1 ? "s" : ""}`;
    this.dev = vm.createDevice(m.type);
    this.routing = plugins.routing ? vm.get(plugins.routing.GsiRouting) : null;
    if (this.routing) {
      const routes: RoutingEntry[] = [];
      const pins = vm.irqchips.byIndex(0)?.pins ?? 256;
      for (let i = 0; i < pins; i++) routes.push({ gsi: i, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin: i });
      this.routing.setGsiRouting(routes);
    }
    this.dev.setAttr({ group: KVM_DEV_MPIC_GRP_MISC, attr: KVM_DEV_MPIC_BASE_ADDR, addr: encodeU64(m.base, vm.endian) });
    for (const v of vm.vcpus) v.enableCap(KVM_CAP_IRQ_MPIC, [this.dev, v.id]);
    this.dev.setAttr({ group: KVM_DEV_MPIC_GRP_REGISTER, attr: GCR, addr: encodeU32(GCR_RESET, vm.endian) });
  }

  protected pinsOf(cpu: number): PinMapping[] | null {
    const v = this.vm.vcpus[cpu];
    return v ? [{ line: v.ext, pin: 4 }, { line: v.crit, pin: 3 }] : null;
  }

  private inWindow(addr: number): boolean {
    return addr >= this.m.base && addr < this.m.base + MPIC_WINDOW;
  }

  protected run(rec: StepRecord): Execution {
    switch (rec.type) {
      case "qtest":
        return this.qtest(rec.cmd, rec.value);
      case "hmp":
        return na("the OpenPIC has no `info pic` output to compare");
      case "qmp":
        return na("QMP command: no interrupt-controller input");
      case "sync":
        return na("synchronisation step");
      default:
        return na(`${rec.type} records do not apply to an e500 machine`);
    }
  }

  private qtest(cmd: string, value: number | undefined): Execution {
    const q = parseQtest(cmd);
    switch (q.kind) {
      case "irq_intercept_in":
        return this.intercept(q.path);
      case "read": {
        if (!this.inWindow(q.addr)) return na(`read outside the MPIC window`);
        if (q.size !== 4) return unmodelled(`${q.size}-byte read: the MPIC registers are 32-bit`);
        const before = this.vm.exitStats.mmioUnhandled;
        const got = this.vm.mmio.read(q.addr, 4);
        const handled: Check = { field: "handled", expected: true, got: this.vm.exitStats.mmioUnhandled === before };
        return value === undefined ? checks(handled) : checks({ field: "value", expected: value, got }, handled);
      }
      case "write": {
        if (!this.inWindow(q.addr)) return na(`write outside the MPIC window`);
        if (q.size !== 4) return unmodelled(`${q.size}-byte write: the MPIC registers are 32-bit`);
        const before = this.vm.exitStats.mmioUnhandled;
        this.vm.mmio.write(q.addr, 4, Number(BigInt.asUintN(32, q.value)));
        return checks({ field: "handled", expected: true, got: this.vm.exitStats.mmioUnhandled === before });
      }
      case "set_irq_in": {
        if (!q.path.endsWith("/pic")) return na(`input of ${q.path}: not the MPIC`);
        this.setIrq(q.n, q.level);
        return checks();
      }
      default:
        return unmodelled(`qtest ${q.verb}: not an MPIC input or register access`);
    }
  }

  /** kvm_set_irq(n, level): KVM_IRQ_LINE through routing; without routing, the chip directly. */
  private setIrq(n: number, level: number): void {
    if (this.routing) {
      this.routing.irqLine(n, level);
      return;
    }
    const chip = this.vm.irqchips.byIndex(0);
    if (chip && n >= 0 && n < chip.pins) chip.setIrq(n, level, 0);
  }
}

export function createMpicAdapter(m: MpicMachine, cpus: number, plugins: PluginSet, profile?: ProfileOption): MpicAdapter | string {
  const vm = createVm({ arch: "ppc-booke", vcpus: cpus, profile, modules: [...(plugins.routing ? [plugins.routing.module] : []), ...plugins.modules] });
  if (!vm.supportsDevice(m.type)) {
    vm.destroy();
    return `no plugin provides device type ${m.type} (${m.label}) on ppc-booke`;
  }
  try {
    return new MpicAdapter(vm, m, plugins);
  } catch (e) {
    vm.destroy();
    throw e;
  }
}
