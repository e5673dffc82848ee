/**
 * Replays `pseries,ic-mode=xive` traces on irqlab's native XIVE device, set up the way QEMU
 * 7.2 sets up KVM's (hw/intc/spapr_xive_kvm.c): KVM_CREATE_DEVICE(XIVE), every vCPU
 * connected with KVM_CAP_PPC_IRQ_XIVE (server = vCPU id), the TIMA and ESB pages mapped, the
 * machine's claimed LISNs created with KVM_DEV_XIVE_GRP_SOURCE (LSIs level-sensitive) and
 * set to PQ 01 ("off") through their ESB pages, as xive_source_reset does.
 *
 *   qtest readq/writeq in the ESB window 0x0006010000000000 -> ESB page load / store
 *   guest ld/st in the TIMA 0x0006030203180000, page 2 (OS)  -> TIMA access by vCPU 0
 *   guest hcall                                               -> vCPU 0 hypercall (H_INT_*)
 *   qmp system_powerdown                                      -> EPOW LISN 0x1000 pulse
 *   hmp info pic                                              -> each vCPU's OS ring (ONE_REG
 *                                                                VP_STATE) and each listed LISN's PQ
 * TIMA pages other than the OS view (HW, HV, user) are not mapped by KVM for a guest: they
 * are refused as unmodelled accesses, and so is every controller access of `powernv9`
 * (a PowerNV machine: its XIVE is programmed by firmware through XSCOM, a different device
 * from the sPAPR exploitation-mode one modelled here). Pins: POWER9 thread input 0 = INT.
 */
import {
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_DEV_TYPE_XIVE,
  KVM_REG_PPC,
  KVM_REG_SIZE_U128,
  createVm,
  encodeU64,
  type DeviceHandle,
  type DeviceMapping,
  type ProfileOption,
  type Vm,
} from "@irqlab/core";
import type { PluginSet } from "../plugins.js";
import { AdapterBase, checks, errnoName, na, parseQtest, unmodelled } from "./adapter-base.js";
import { EduDevices, eduAccess } from "./edu.js";
import type { PinMapping } from "./pins.js";
import type { GuestRecord, HmpRecord, QmpRecord, StepRecord, Trace } from "./trace.js";
import type { Check, Execution } from "./types.js";

/** arch/powerpc/include/uapi/asm/kvm.h */
export const KVM_DEV_XIVE_GRP_SOURCE = 2;
export const KVM_XIVE_LEVEL_SENSITIVE = 1n;
export const KVM_REG_PPC_VP_STATE = KVM_REG_PPC | KVM_REG_SIZE_U128 | 0x8dn;
export const XIVE_PAGE_SIZE = 0x10000;
/** sPAPR XIVE addresses (hw/ppc/spapr_irq.c, spapr_xive.c). */
export const SPAPR_XIVE_ESB = 0x0006010000000000;
export const SPAPR_XIVE_TIMA = 0x0006030203180000;
const ESB_WINDOW = 0x2000 * 2 * XIVE_PAGE_SIZE;
const XIVE_ESB_GET = 0x800;
const XIVE_ESB_SET_PQ_01 = 0xd00;
const TM_OS_PAGE = 2;
const EPOW = 0x1000;

interface ParsedRing {
  nsr: number;
  cppr: number;
  ipb: number;
  lsmfb: number;
  ack: number;
  inc: number;
  age: number;
  pipr: number;
}
interface ParsedEas {
  lisn: number;
  type: string;
  pq: number;
}
interface ParsedXivePic {
  tctx?: Record<string, Record<string, ParsedRing>>;
  eas?: ParsedEas[];
}

/** The LISNs the machine claimed, from the trace's first `info pic`, else 7.2's defaults. */
export function claimedLisns(trace: Trace, cpus: number): { lisn: number; lsi: boolean }[] {
  for (const s of trace.steps) {
    if (s.type !== "hmp") continue;
    const eas = (s.parsed as ParsedXivePic | undefined)?.eas;
    if (Array.isArray(eas) && eas.length) return eas.map((e) => ({ lisn: e.lisn, lsi: e.type === "LSI" }));
  }
  const out = Array.from({ length: cpus }, (_, i) => ({ lisn: i, lsi: false }));
  for (const lisn of [0x1000, 0x1001, 0x1100]) out.push({ lisn, lsi: false });
  for (let i = 0; i < 4; i++) out.push({ lisn: 0x1200 + i, lsi: true });
  return out;
}

export class XiveAdapter extends AdapterBase {
  readonly controller = "xive";
  readonly model: string;
  private readonly dev: DeviceHandle;
  private readonly tima: DeviceMapping;
  private readonly esb: DeviceMapping;
  /** LSI inputs: QEMU's edu PCI device, when the trace's machine has one. */
  private readonly edu: EduDevices | null;

  constructor(
    vm: Vm,
    claimed: readonly { lisn: number; lsi: boolean }[],
    private readonly powernv: boolean,
    edu = false,
  ) {
    super(vm);
    this.edu = edu ? new EduDevices() : null;
    this.model = `XIVE native (device type ${KVM_DEV_TYPE_XIVE}), ${vm.vcpus.length} vCPU${vm.vcpus.length > 1 ? "s" : ""}, ${claimed.length} claimed LISNs${powernv ? " (powernv9: nothing maps onto it)" : ""}`;
    this.dev = vm.createDevice(KVM_DEV_TYPE_XIVE);
    for (const v of vm.vcpus) v.enableCap(KVM_CAP_PPC_IRQ_XIVE, [this.dev, v.id]);
    this.tima = this.dev.mmap(0, 4 * XIVE_PAGE_SIZE);
    this.esb = this.dev.mmap(4 * XIVE_PAGE_SIZE, 0);
    for (const s of claimed) {
      this.dev.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE, attr: s.lisn, addr: encodeU64(s.lsi ? KVM_XIVE_LEVEL_SENSITIVE : 0n, vm.endian) });
      this.esb.read(s.lisn * 2 * XIVE_PAGE_SIZE + XIVE_PAGE_SIZE + XIVE_ESB_SET_PQ_01, 8);
    }
  }

  /**
   * In ic-mode=xive the XIVE controller is /machine/unattached/device[0], so the POWER9 core
   * of vCPU k is device[k + 1] (its thread[0] carries the pins).
   */
  protected override cpuOf(path: string): number | null {
    const m = /device\[(\d+)\]/.exec(path);
    return m && Number(m[1]) >= 1 ? Number(m[1]) - 1 : null;
  }

  protected pinsOf(cpu: number): PinMapping[] | null {
    const v = this.vm.vcpus[cpu];
    return v ? [{ line: v.ext, pin: 0 }] : null;
  }

  protected run(rec: StepRecord): Execution {
    if (this.powernv && rec.type !== "sync" && rec.type !== "qmp") {
      return unmodelled("powernv9: the PowerNV XIVE (IC/VC/PC/TM BARs set through XSCOM) is not the sPAPR device modelled here");
    }
    switch (rec.type) {
      case "qtest":
        return this.qtest(rec.cmd, rec.value);
      case "guest":
        return this.guest(rec);
      case "qmp":
        return this.qmp(rec);
      case "hmp":
        return this.hmp(rec);
      case "rtas":
        if (/^ibm,(read|write)-pci-config$/.test(rec.name) && rec.found) {
          if (rec.name === "ibm,write-pci-config" && this.edu) this.edu.configWrite(rec);
          return na(`RTAS ${rec.name}: PCI configuration (QEMU's PHB)`);
        }
        return checks({ field: "found", expected: rec.found, got: this.vm.rtas.has(rec.name) });
      case "sync":
        return na("synchronisation step");
    }
  }

  private qtest(cmd: string, value: number | undefined): Execution {
    const q = parseQtest(cmd);
    switch (q.kind) {
      case "irq_intercept_in":
        return this.intercept(q.path);
      case "read":
      case "write": {
        const off = q.addr - SPAPR_XIVE_ESB;
        if (!(off >= 0 && off < ESB_WINDOW)) {
          if (this.edu) return eduAccess(this.edu, q, value, (irq, level) => this.vm.irqchips.byIndex(0)?.setIrq(irq, level, 0));
          return unmodelled(`qtest ${q.kind} at 0x${q.addr.toString(16)}: not an ESB page`);
        }
        if (q.kind === "read") {
          const got = this.esb.read(off, q.size);
          return value === undefined ? checks() : checks({ field: "value", expected: value, got });
        }
        this.esb.write(off, q.size, Number(BigInt.asUintN(53, q.value)));
        return checks();
      }
      default:
        return unmodelled(`qtest ${q.kind === "other" ? q.verb : q.kind}: not an XIVE input (sPAPR LISNs have no qdev inputs)`);
    }
  }

  private guest(rec: GuestRecord): Execution {
    const vcpu = this.vm.vcpus[0];
    if (rec.op === "hcall") {
      const a = rec.args ?? [];
      const ret = vcpu.hcall(rec.opcode ?? 0, a[0] ?? 0, a[1] ?? 0, a[2] ?? 0, a[3] ?? 0);
      const c: Check[] = [{ field: "ret", expected: rec.ret, got: ret }];
      const nout = rec.nout ?? 0;
      if (rec.ret === 0 && ret === 0 && nout > 0) c.push({ field: "outs", expected: [...(rec.outs ?? [])], got: Array.from(vcpu.hret.subarray(0, nout)) });
      return checks(...c);
    }
    const off = (rec.addr ?? 0) - SPAPR_XIVE_TIMA;
    const page = Math.floor(off / XIVE_PAGE_SIZE);
    if (page !== TM_OS_PAGE) return unmodelled(`guest ${rec.op} on TIMA page ${page}: KVM maps only the OS view for a guest`);
    const size = rec.size ?? 8;
    if (rec.op.startsWith("ld")) return checks({ field: "value", expected: rec.value, got: this.tima.read(off, size, vcpu) });
    this.tima.write(off, size, rec.data ?? 0, vcpu);
    return checks();
  }

  private qmp(rec: QmpRecord): Execution {
    const cmd = rec.cmd as { execute?: string } | null;
    if (cmd?.execute !== "system_powerdown") return na(`QMP ${cmd?.execute ?? "command"}: no interrupt-controller input`);
    const chip = this.vm.irqchips.byIndex(0);
    chip?.setIrq(EPOW, 1, 0);
    chip?.setIrq(EPOW, 0, 0);
    return checks();
  }

  private hmp(rec: HmpRecord): Execution {
    if (!/^info pic\b/.test(rec.cmd)) return na(`hmp ${rec.cmd}: nothing to compare`);
    const p = rec.parsed as ParsedXivePic | undefined;
    if (!p) return na("`info pic` output was not parsed");
    const c: Check[] = [];
    for (const [cpu, rings] of Object.entries(p.tctx ?? {})) {
      const os = rings.OS;
      const v = this.vm.vcpus[Number(cpu)];
      if (!os || !v) continue;
      let w: bigint;
      try {
        w = v.getOneRegU64(KVM_REG_PPC_VP_STATE);
      } catch (e) {
        c.push({ field: `tctx[${cpu}].OS`, expected: "VP state", got: errnoName(e) });
        continue;
      }
      // VP_STATE word 0 (bits 127..64) holds the OS ring's bytes 0..7 (NSR .. PIPR).
      const w01 = (w >> 64n) & 0xffffffffffffffffn;
      // The word is the ring's bytes as a little-endian host loads them: NSR in the low byte.
      const byte = (i: number) => Number((w01 >> BigInt(8 * i)) & 0xffn);
      const at = `tctx[${cpu}].OS`;
      c.push({ field: at, expected: [os.nsr, os.cppr, os.ipb, os.lsmfb, os.ack, os.inc, os.age, os.pipr], got: [0, 1, 2, 3, 4, 5, 6, 7].map(byte) });
    }
    for (const e of p.eas ?? []) {
      const pq = this.esb.read(e.lisn * 2 * XIVE_PAGE_SIZE + XIVE_PAGE_SIZE + XIVE_ESB_GET, 8) & 3;
      c.push({ field: `eas[0x${e.lisn.toString(16)}].pq`, expected: e.pq, got: pq });
    }
    return checks(...c);
  }
}

export function createXiveAdapter(trace: Trace, cpus: number, plugins: PluginSet, profile: ProfileOption | undefined, powernv: boolean): XiveAdapter | string {
  const vm = createVm({ arch: "ppc64", vcpus: cpus, profile, modules: [...(plugins.routing ? [plugins.routing.module] : []), ...plugins.modules] });
  if (!vm.supportsDevice(KVM_DEV_TYPE_XIVE)) {
    vm.destroy();
    return `no plugin provides device type ${KVM_DEV_TYPE_XIVE} (XIVE) on ppc64`;
  }
  try {
    return new XiveAdapter(vm, powernv ? [] : claimedLisns(trace, cpus), powernv, EduDevices.present(trace.meta.qemu_args));
  } catch (e) {
    vm.destroy();
    throw e;
  }
}
