/**
 * Replays `pseries,ic-mode=xics` traces on irqlab's XICS, set up the way QEMU 7.2 sets up
 * KVM's in-kernel XICS (hw/intc/xics_kvm.c): KVM_CREATE_DEVICE(XICS), every vCPU connected
 * with KVM_CAP_IRQ_XICS (server number = vCPU id), the machine's claimed sources written
 * with KVM_DEV_XICS_GRP_SOURCES at reset (server 0, priority 0xFF; LSIs level-sensitive;
 * QEMU skips unclaimed numbers), and each ICP reset through KVM_REG_PPC_ICP_STATE.
 *
 *   rtas record          -> vcpu 0 RTAS call (KVM handles the four XICS calls in-kernel)
 *   guest hcall record   -> vcpu 0 hypercall; r4.. from vcpu.hret
 *   qmp system_powerdown -> a pulse on the EPOW source 0x1000 (KVM_IRQ_LINE)
 *   hmp info pic         -> ICP state (ONE_REG) and source words (GRP_SOURCES) compared with
 *                           QEMU's parsed `info pic`
 * Pins: POWER9 thread input 0 = INT (vCPU ext line). In KVM the ICP's output is the vCPU's
 * queued external exception (xics.md §3): H_CPPR's Up_CPPR step dequeues it and the commit
 * that follows may queue it again within the same hypercall, which the guest cannot see;
 * so each step reports the net change of the line, which is what the guest observes.
 */
import {
  KVM_CAP_IRQ_XICS,
  KVM_DEV_TYPE_XICS,
  KVM_REG_PPC,
  KVM_REG_SIZE_U64,
  createVm,
  decodeU64,
  encodeU64,
  type DeviceHandle,
  type ProfileOption,
  type Vm,
} from "@irqlab/core";
import type { GsiRoutingLike, PluginSet } from "../plugins.js";
import { AdapterBase, checks, errnoName, na, parseQtest, unmodelled } from "./adapter-base.js";
import { EduDevices, eduAccess } from "./edu.js";
import type { PinMapping } from "./pins.js";
import type { GuestRecord, HmpRecord, QmpRecord, RtasRecord, StepRecord, Trace } from "./trace.js";
import type { Check, Execution } from "./types.js";

/** arch/powerpc/include/uapi/asm/kvm.h */
export const KVM_DEV_XICS_GRP_SOURCES = 1;
export const KVM_XICS_PRIORITY_SHIFT = 32n;
export const KVM_XICS_LEVEL_SENSITIVE = 1n << 40n;
export const KVM_XICS_MASKED = 1n << 41n;
export const KVM_XICS_PENDING = 1n << 42n;
export const KVM_REG_PPC_ICP_STATE = KVM_REG_PPC | KVM_REG_SIZE_U64 | 0x8cn;

/** QEMU's ICS status bits (hw/ppc/xics.h) as `info pic` prints them. */
const XICS_STATUS_ASSERTED = 0x1;
const XICS_STATUS_REJECTED = 0x4;
const XICS_STATUS_MASKED_PENDING = 0x8;

/** The EPOW source QMP system_powerdown pulses (pseries). */
export const SPAPR_EPOW_IRQ = 0x1000;
/** What 7.2's pseries claims at reset in XICS mode (used when the trace has no `info pic`). */
const DEFAULT_CLAIMED: readonly { irq: number; lsi: boolean }[] = [
  { irq: 0x1000, lsi: false },
  { irq: 0x1001, lsi: false },
  { irq: 0x1100, lsi: false },
  { irq: 0x1200, lsi: true },
  { irq: 0x1201, lsi: true },
  { irq: 0x1202, lsi: true },
  { irq: 0x1203, lsi: true },
];

/** The qtest driver pre-fills RTAS return words with this; QEMU left such words unwritten. */
const RTAS_UNWRITTEN = 0xdeadbeef | 0;

interface ParsedIcp {
  cpu: number;
  xirr: number;
  xirr_owner: boolean;
  pending_priority: number;
  mfrr: number;
}
interface ParsedIrq {
  irq: number;
  type: string;
  priority: number;
  status: number;
}
interface ParsedPic {
  icp?: ParsedIcp[];
  ics?: { irqs?: ParsedIrq[] }[];
}

/** The sources the machine claimed, from the trace's first `info pic`, else 7.2's defaults. */
export function claimedSources(trace: Trace): { irq: number; lsi: boolean }[] {
  for (const s of trace.steps) {
    if (s.type !== "hmp") continue;
    const p = s.parsed as ParsedPic | undefined;
    const irqs = p?.ics?.flatMap((i) => i.irqs ?? []);
    if (irqs && irqs.length) return irqs.map((i) => ({ irq: i.irq, lsi: i.type === "LSI" }));
  }
  return [...DEFAULT_CLAIMED];
}

export class XicsAdapter extends AdapterBase {
  readonly controller = "xics";
  readonly model: string;
  private readonly dev: DeviceHandle;
  private readonly routing: GsiRoutingLike | null;
  /** LSI inputs: QEMU's edu PCI device, when the trace's machine has one. */
  private readonly edu: EduDevices | null;

  constructor(vm: Vm, claimed: readonly { irq: number; lsi: boolean }[], plugins: PluginSet, edu = false) {
    super(vm);
    this.edu = edu ? new EduDevices() : null;
    this.netPinChanges = true;
    this.model = `XICS (device type ${KVM_DEV_TYPE_XICS}), ${vm.vcpus.length} vCPU${vm.vcpus.length > 1 ? "s" : ""}, ${claimed.length} claimed sources`;
    this.dev = vm.createDevice(KVM_DEV_TYPE_XICS);
    this.routing = plugins.routing ? vm.get(plugins.routing.GsiRouting) : null;
    for (const v of vm.vcpus) v.enableCap(KVM_CAP_IRQ_XICS, [this.dev, v.id]);
    // ics_kvm reset: server 0, priority = saved priority = 0xFF (not MASKED), LSI flag.
    for (const s of claimed) {
      const word = (0xffn << KVM_XICS_PRIORITY_SHIFT) | (s.lsi ? KVM_XICS_LEVEL_SENSITIVE : 0n);
      this.dev.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: s.irq, addr: encodeU64(word, vm.endian) });
    }
    // icp_kvm_reset: XIRR 0 (CPPR 0), pending priority 0xFF, MFRR 0xFF.
    for (const v of vm.vcpus) v.setOneRegU64(KVM_REG_PPC_ICP_STATE, (0xffn << 24n) | (0xffn << 16n));
  }

  protected pinsOf(cpu: number): PinMapping[] | null {
    const v = this.vm.vcpus[cpu];
    return v ? [{ line: v.ext, pin: 0 }] : null;
  }

  protected run(rec: StepRecord): Execution {
    switch (rec.type) {
      case "qtest": {
        const q = parseQtest(rec.cmd);
        if (q.kind === "irq_intercept_in") return this.intercept(q.path);
        if (this.edu && (q.kind === "read" || q.kind === "write")) return eduAccess(this.edu, q, rec.value, (irq, level) => this.irqLine(irq, level));
        return unmodelled(`qtest ${rec.cmd.split(" ")[0]}: not an XICS interface (XICS is driven by RTAS and hypercalls)`);
      }
      case "rtas":
        return this.rtas(rec);
      case "guest":
        return this.guest(rec);
      case "qmp":
        return this.qmp(rec);
      case "hmp":
        return this.hmp(rec);
      case "sync":
        return na("synchronisation step");
    }
  }

  private rtas(rec: RtasRecord): Execution {
    const vcpu = this.vm.vcpus[0];
    const found = this.vm.rtas.has(rec.name);
    if (rec.found && !found) {
      // QEMU's machine implements it (PCI config, ...): not an XICS call. PCI config writes
      // place the edu's BAR; nothing else of them reaches the controller.
      if (rec.name === "ibm,write-pci-config" && this.edu) this.edu.configWrite(rec);
      return /^ibm,(read|write)-pci-config$/.test(rec.name) ? na(`RTAS ${rec.name}: PCI configuration (QEMU's PHB)`) : unmodelled(`RTAS ${rec.name}: not an XICS call`);
    }
    const c: Check[] = [{ field: "found", expected: rec.found, got: found }];
    if (!rec.found || !found) return checks(...c);
    const rets = vcpu.rtas(rec.name, rec.args, rec.nret).map((x) => x | 0);
    rec.rets.forEach((want, i) => {
      if (want === RTAS_UNWRITTEN) return;
      c.push({ field: `rets[${i}]`, expected: want, got: rets[i] });
    });
    return checks(...c);
  }

  private guest(rec: GuestRecord): Execution {
    if (rec.op !== "hcall") return unmodelled(`guest ${rec.op}: XICS has no direct-mapped pages`);
    const vcpu = this.vm.vcpus[0];
    const a = rec.args ?? [];
    const ret = vcpu.hcall(rec.opcode ?? 0, a[0] ?? 0, a[1] ?? 0, a[2] ?? 0, a[3] ?? 0);
    const c: Check[] = [{ field: "ret", expected: rec.ret, got: ret }];
    const nout = rec.nout ?? 0;
    if (rec.ret === 0 && ret === 0 && nout > 0) {
      c.push({ field: "outs", expected: [...(rec.outs ?? [])], got: Array.from(vcpu.hret.subarray(0, nout)) });
    }
    return checks(...c);
  }

  private qmp(rec: QmpRecord): Execution {
    const cmd = rec.cmd as { execute?: string } | null;
    if (cmd?.execute !== "system_powerdown") return na(`QMP ${cmd?.execute ?? "command"}: no interrupt-controller input`);
    // spapr's EPOW is an MSI pulse: KVM_IRQ_LINE(0x1000, SET) then the ignored level 0.
    this.irqLine(SPAPR_EPOW_IRQ, 1);
    this.irqLine(SPAPR_EPOW_IRQ, 0);
    return checks();
  }

  private irqLine(irq: number, level: number): void {
    if (this.routing) {
      try {
        this.routing.irqLine(irq, level);
        return;
      } catch {
        // Book3s has no routing table: KVM_IRQ_LINE reaches XICS source n directly.
      }
    }
    this.vm.irqchips.byIndex(0)?.setIrq(irq, level, 0);
  }

  private hmp(rec: HmpRecord): Execution {
    if (!/^info pic\b/.test(rec.cmd)) return na(`hmp ${rec.cmd}: nothing to compare`);
    const p = rec.parsed as ParsedPic | undefined;
    if (!p) return na("`info pic` output was not parsed");
    const c: Check[] = [];
    for (const icp of p.icp ?? []) {
      const v = this.vm.vcpus[icp.cpu];
      const at = `icp[${icp.cpu}]`;
      if (!v) {
        c.push({ field: at, expected: "present", got: "no such vCPU" });
        continue;
      }
      let word: bigint;
      try {
        word = v.getOneRegU64(KVM_REG_PPC_ICP_STATE);
      } catch (e) {
        c.push({ field: at, expected: "ICP state", got: errnoName(e) });
        continue;
      }
      const cppr = Number((word >> 56n) & 0xffn);
      const xisr = Number((word >> 32n) & 0xffffffn);
      const mfrr = Number((word >> 24n) & 0xffn);
      const ppri = Number((word >> 16n) & 0xffn);
      c.push({ field: `${at}.xirr`, expected: icp.xirr >>> 0, got: ((cppr << 24) | xisr) >>> 0 });
      c.push({ field: `${at}.pending_priority`, expected: icp.pending_priority, got: ppri });
      c.push({ field: `${at}.mfrr`, expected: icp.mfrr, got: mfrr });
      c.push({ field: `${at}.xirr_owner`, expected: icp.xirr_owner, got: xisr !== 0 && xisr !== 2 });
    }
    for (const ics of p.ics ?? []) {
      for (const s of ics.irqs ?? []) {
        const at = `ics[0x${s.irq.toString(16)}]`;
        const buf = new Uint8Array(8);
        try {
          this.dev.getAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: s.irq, addr: buf });
        } catch (e) {
          c.push({ field: at, expected: "source state", got: errnoName(e) });
          continue;
        }
        const word = decodeU64(buf, this.vm.endian);
        const masked = (word & KVM_XICS_MASKED) !== 0n;
        const prio = masked ? 0xff : Number((word >> KVM_XICS_PRIORITY_SHIFT) & 0xffn);
        c.push({ field: `${at}.type`, expected: s.type, got: word & KVM_XICS_LEVEL_SENSITIVE ? "LSI" : "MSI" });
        c.push({ field: `${at}.priority`, expected: s.priority, got: prio });
        // QEMU's ASSERTED (LSI) / REJECTED / MASKED_PENDING (MSI) are KVM's PENDING flag
        // (QEMU itself converts them that way in ics_get_kvm_state / ics_set_kvm_state).
        const qemuPending = (s.status & (XICS_STATUS_ASSERTED | XICS_STATUS_REJECTED | XICS_STATUS_MASKED_PENDING)) !== 0;
        c.push({ field: `${at}.pending`, expected: qemuPending, got: (word & KVM_XICS_PENDING) !== 0n });
      }
    }
    return checks(...c);
  }
}

export function createXicsAdapter(trace: Trace, cpus: number, plugins: PluginSet, profile?: ProfileOption): XicsAdapter | string {
  const vm = createVm({ arch: "ppc64", vcpus: cpus, profile, modules: [...(plugins.routing ? [plugins.routing.module] : []), ...plugins.modules] });
  if (!vm.supportsDevice(KVM_DEV_TYPE_XICS)) {
    vm.destroy();
    return `no plugin provides device type ${KVM_DEV_TYPE_XICS} (XICS) on ppc64`;
  }
  try {
    return new XicsAdapter(vm, claimedSources(trace), plugins, EduDevices.present(trace.meta.qemu_args));
  } catch (e) {
    vm.destroy();
    throw e;
  }
}

