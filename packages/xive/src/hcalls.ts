/**
 * The sPAPR XIVE exploitation hcalls (PAPR H_INT_*), as QEMU implements them with the KVM
 * device (hw/intc/spapr_xive.c + spapr_xive_kvm.c): each is a guest exit that userspace turns
 * into device attribute calls (SOURCE_CONFIG, EQ_CONFIG, SOURCE_SYNC, CTRL RESET) or into an
 * access to its own mapping of the ESB pages (H_INT_ESB, with QEMU's LSI EOI emulation).
 * QEMU's own EAS/END tables (what H_INT_GET_* report) are kept here, per device.
 *
 * H_INT_SET_SOURCE_CONFIG (eisn) and H_INT_SET_QUEUE_CONFIG (qsize) take a fifth argument
 * register, r8 (core passes r4..r11).
 */
import { H_FUNCTION } from "./constants.js";
import { KvmError, type HcallHandler, type Vcpu, type Vm } from "@irqlab/core";
import {
  H_HARDWARE,
  H_INT_ESB,
  H_INT_GET_QUEUE_CONFIG,
  H_INT_GET_QUEUE_INFO,
  H_INT_GET_SOURCE_CONFIG,
  H_INT_GET_SOURCE_INFO,
  H_INT_RESET,
  H_INT_SET_QUEUE_CONFIG,
  H_INT_SET_SOURCE_CONFIG,
  H_INT_SYNC,
  H_P2,
  H_P3,
  H_P4,
  H_P5,
  H_PARAMETER,
  H_SUCCESS,
  KVMPPC_XIVE_NR_IRQS,
  KVM_XIVE_EQ_ALWAYS_NOTIFY,
  MASKED,
  SPAPR_XIVE_END_ALWAYS_NOTIFY,
  SPAPR_XIVE_END_DEBUG,
  SPAPR_XIVE_ESB_STORE,
  SPAPR_XIVE_SRC_H_INT_ESB,
  SPAPR_XIVE_SRC_LSI,
  SPAPR_XIVE_SRC_MASK,
  SPAPR_XIVE_SRC_SET_EISN,
  SPAPR_XIVE_VC_BASE,
  XIVE_BLOCK_MASK,
  XIVE_PAGE_SIZE,
} from "./constants.js";
import { SRC_ASSERTED, SRC_LSI, SRC_VALID } from "./source-blocks.js";
import type { XiveNative } from "./xive.js";

/** QEMU's END ESB base (spapr END source pages), for H_INT_GET_QUEUE_INFO. */
export const SPAPR_XIVE_END_BASE = 0x0006011000000000;

/** QEMU's EAS of a claimed LISN (END target + data). */
interface Eas {
  server: number;
  priority: number;
  masked: boolean;
  eisn: number;
}

/** QEMU's END of (server, priority) as far as the hcalls report it. */
interface End {
  qpage: number;
  qsize: number;
  alwaysNotify: boolean;
}

/** The userspace half: QEMU's tables and the hcall handlers over a XiveNative. */
export class SpaprXiveHcalls {
  readonly eat = new Map<number, Eas>();
  readonly endt = new Map<number, End>();

  constructor(
    readonly vm: Vm,
    readonly xive: XiveNative,
  ) {}

  private eas(lisn: number): Eas | null {
    if (!this.xive.sources.valid(lisn)) return null;
    let e = this.eat.get(lisn);
    if (!e) this.eat.set(lisn, (e = { server: 0, priority: 0, masked: true, eisn: 0 }));
    return e;
  }

  private static lisnOk(lisn: number): boolean {
    return Number.isInteger(lisn) && lisn >= 0 && lisn < KVMPPC_XIVE_NR_IRQS;
  }

  /** spapr_xive_priority_is_reserved: 0..6 usable. */
  private static reserved(prio: number): boolean {
    return !(Number.isInteger(prio) && prio >= 0 && prio <= 6);
  }

  private targetOk(target: number): boolean {
    return Number.isInteger(target) && target >= 0 && target < this.vm.vcpus.length;
  }

  /** A KVM device call on QEMU's side: a KvmError becomes H_HARDWARE (error_report). */
  private kvm(fn: () => void): number {
    try {
      fn();
      return H_SUCCESS;
    } catch (e) {
      if (KvmError.is(e)) {
        this.vm.tracer.guestError("xive.hcall", e.message);
        return H_HARDWARE;
      }
      throw e;
    }
  }

  getSourceInfo(vcpu: Vcpu, flags: number, lisn: number): number {
    if (flags !== 0) return H_PARAMETER;
    if (!SpaprXiveHcalls.lisnOk(lisn) || !this.eas(lisn)) return H_P2;
    const b = this.xive.sources.find(lisn)!;
    const lsi = (b.flags[lisn & XIVE_BLOCK_MASK] & SRC_LSI) !== 0;
    const f = lsi ? SPAPR_XIVE_SRC_H_INT_ESB | SPAPR_XIVE_SRC_LSI : 0;
    const base = SPAPR_XIVE_VC_BASE + lisn * 2 * XIVE_PAGE_SIZE;
    vcpu.hret[0] = f;
    vcpu.hret[1] = lsi ? -1 : base + XIVE_PAGE_SIZE;
    vcpu.hret[2] = lsi ? -1 : base;
    vcpu.hret[3] = Math.log2(XIVE_PAGE_SIZE);
    return H_SUCCESS;
  }

  setSourceConfig(vcpu: Vcpu, flags: number, lisn: number, target: number, priority: number, eisnArg: number): number {
    if (flags & ~(SPAPR_XIVE_SRC_SET_EISN | SPAPR_XIVE_SRC_MASK)) return H_PARAMETER;
    if (!SpaprXiveHcalls.lisnOk(lisn)) return H_P2;
    const cur = this.eas(lisn);
    if (!cur) return H_P2;
    let next: Eas;
    if (priority === MASKED) next = { server: 0, priority: 0, masked: true, eisn: 0 };
    else {
      if (SpaprXiveHcalls.reserved(priority)) return H_P4;
      if (!this.targetOk(target)) return H_P3;
      next = {
        server: target,
        priority,
        masked: (flags & SPAPR_XIVE_SRC_MASK) !== 0,
        eisn: flags & SPAPR_XIVE_SRC_SET_EISN ? eisnArg & 0x7fffffff : cur.eisn,
      };
    }
    const b = this.xive.sources.find(lisn)!;
    const rc = this.kvm(() => this.xive.updateSourceConfigChecked(b, lisn & XIVE_BLOCK_MASK, next.server, next.priority, next.masked, next.eisn));
    if (rc !== H_SUCCESS) return rc;
    this.eat.set(lisn, next);
    return H_SUCCESS;
  }

  getSourceConfig(vcpu: Vcpu, flags: number, lisn: number): number {
    if (flags !== 0) return H_PARAMETER;
    if (!SpaprXiveHcalls.lisnOk(lisn)) return H_P2;
    const e = this.eas(lisn);
    if (!e) return H_P2;
    vcpu.hret[0] = e.server;
    vcpu.hret[1] = e.masked ? MASKED : e.priority;
    vcpu.hret[2] = e.eisn;
    return H_SUCCESS;
  }

  getQueueInfo(vcpu: Vcpu, flags: number, target: number, priority: number): number {
    if (flags !== 0) return H_PARAMETER;
    if (SpaprXiveHcalls.reserved(priority)) return H_P3;
    if (!this.targetOk(target)) return H_P2;
    const endIdx = target * 8 + priority;
    vcpu.hret[0] = SPAPR_XIVE_END_BASE + endIdx * 2 * XIVE_PAGE_SIZE;
    vcpu.hret[1] = this.endt.get(endIdx)?.qsize ?? 0;
    return H_SUCCESS;
  }

  setQueueConfig(vcpu: Vcpu, flags: number, target: number, priority: number, qpage: number, qsize: number): number {
    if (flags & ~SPAPR_XIVE_END_ALWAYS_NOTIFY) return H_PARAMETER;
    if (SpaprXiveHcalls.reserved(priority)) return H_P3;
    if (!this.targetOk(target)) return H_P2;
    const endIdx = target * 8 + priority;
    let end: End | null;
    switch (qsize) {
      case 12:
      case 16:
      case 21:
      case 24:
        if (!Number.isSafeInteger(qpage) || qpage < 0 || qpage % 2 ** qsize !== 0) return H_P4;
        if (!this.vm.memory.isMapped(qpage, 2 ** qsize)) return H_P4;
        end = { qpage, qsize, alwaysNotify: (flags & SPAPR_XIVE_END_ALWAYS_NOTIFY) !== 0 };
        break;
      case 0:
        end = null;
        break;
      default:
        return H_P5;
    }
    const eq = end
      ? { flags: end.alwaysNotify ? KVM_XIVE_EQ_ALWAYS_NOTIFY : 0, qshift: end.qsize, qaddr: BigInt(end.qpage), qtoggle: 1, qindex: 0 }
      : { flags: 0, qshift: 0, qaddr: 0n, qtoggle: 0, qindex: 0 };
    const rc = this.kvm(() => this.xive.setQueueConfigValue(target, priority, eq));
    if (rc !== H_SUCCESS) return rc;
    if (end) this.endt.set(endIdx, end);
    else this.endt.delete(endIdx);
    return H_SUCCESS;
  }

  /** H_INT_GET_QUEUE_CONFIG: r4 flags, r5 qpage, r6 qsize, r7 (DEBUG) generation << 31 | index from KVM. */
  getQueueConfig(vcpu: Vcpu, flags: number, target: number, priority: number): number {
    if (flags & ~SPAPR_XIVE_END_DEBUG) return H_PARAMETER;
    if (SpaprXiveHcalls.reserved(priority)) return H_P3;
    if (!this.targetOk(target)) return H_P2;
    const end = this.endt.get(target * 8 + priority);
    vcpu.hret[0] = end?.alwaysNotify ? SPAPR_XIVE_END_ALWAYS_NOTIFY : 0;
    vcpu.hret[1] = end ? end.qpage : 0;
    vcpu.hret[2] = end ? end.qsize : 0;
    vcpu.hret[3] = 0;
    if (end && flags & SPAPR_XIVE_END_DEBUG) {
      // QEMU refreshes the END from KVM (EQ_CONFIG get) before reporting the queue state.
      const xv = this.xive.servers.get(target);
      if (xv && xv.queues.configured[priority]) vcpu.hret[3] = xv.queues.toggle[priority] * 0x80000000 + xv.queues.index[priority];
    }
    return H_SUCCESS;
  }

  esb(vcpu: Vcpu, flags: number, lisn: number, offset: number, data: number): number {
    if (flags & ~SPAPR_XIVE_ESB_STORE) return H_PARAMETER;
    if (!SpaprXiveHcalls.lisnOk(lisn) || !this.eas(lisn)) return H_P2;
    if (!Number.isInteger(offset) || offset < 0 || offset > 2 * XIVE_PAGE_SIZE) return H_P3;
    const mgmt = lisn * 2 * XIVE_PAGE_SIZE + XIVE_PAGE_SIZE;
    const x = this.xive;
    if (flags & SPAPR_XIVE_ESB_STORE) {
      void data;
      x.esbWrite(mgmt + (offset % XIVE_PAGE_SIZE), 8);
      vcpu.hret[0] = -1;
      return H_SUCCESS;
    }
    const b = x.sources.find(lisn)!;
    const f = b.flags[lisn & XIVE_BLOCK_MASK];
    if (f & SRC_LSI && offset === 0) vcpu.hret[0] = x.lsiEoi(lisn);
    else vcpu.hret[0] = x.esbRead(mgmt + (offset % XIVE_PAGE_SIZE), 8);
    return H_SUCCESS;
  }

  sync(_vcpu: Vcpu, flags: number, lisn: number): number {
    if (flags !== 0) return H_PARAMETER;
    if (!SpaprXiveHcalls.lisnOk(lisn) || !this.eas(lisn)) return H_P2;
    return this.kvm(() => this.xive.sourceSync(BigInt(lisn)));
  }

  /** H_INT_RESET: QEMU resets its tables, then KVM CTRL RESET and re-creates every source. */
  reset(_vcpu: Vcpu, flags: number): number {
    if (flags !== 0) return H_PARAMETER;
    this.eat.clear();
    this.endt.clear();
    const x = this.xive;
    x.reset();
    for (const [b, i] of [...x.sources.each()]) {
      const f = b.flags[i];
      x.recreateSource(b, i, (f & SRC_LSI) !== 0, (f & SRC_ASSERTED) !== 0 && (f & SRC_VALID) !== 0);
    }
    return H_SUCCESS;
  }
}

/** Registers the H_INT_* hcalls for `xive`; returns the function that unregisters them. */
export function registerXiveHcalls(vm: Vm, xive: XiveNative): () => void {
  const h = new SpaprXiveHcalls(vm, xive);
  xive.hcalls = h;
  const table = vm.hcalls;
  const done: number[] = [];
  // Quirk hcallsNeedCas: QEMU answers H_FUNCTION until the guest negotiated XIVE
  // exploitation mode (ibm,client-architecture-support), which a replayed guest never does.
  const beforeCas: HcallHandler = () => H_FUNCTION;
  const reg = (op: number, fn: HcallHandler) => {
    table.register(op, xive.quirks.hcallsNeedCas ? beforeCas : fn);
    done.push(op);
  };
  const unregister = () => {
    for (const op of done) table.unregister(op);
    done.length = 0;
  };
  try {
    reg(H_INT_GET_SOURCE_INFO, (v, a0, a1) => h.getSourceInfo(v, a0, a1));
    reg(H_INT_SET_SOURCE_CONFIG, (v, a0, a1, a2, a3, a4) => h.setSourceConfig(v, a0, a1, a2, a3, a4));
    reg(H_INT_GET_SOURCE_CONFIG, (v, a0, a1) => h.getSourceConfig(v, a0, a1));
    reg(H_INT_GET_QUEUE_INFO, (v, a0, a1, a2) => h.getQueueInfo(v, a0, a1, a2));
    reg(H_INT_SET_QUEUE_CONFIG, (v, a0, a1, a2, a3, a4) => h.setQueueConfig(v, a0, a1, a2, a3, a4));
    reg(H_INT_GET_QUEUE_CONFIG, (v, a0, a1, a2) => h.getQueueConfig(v, a0, a1, a2));
    reg(H_INT_ESB, (v, a0, a1, a2, a3) => h.esb(v, a0, a1, a2, a3));
    reg(H_INT_SYNC, (v, a0, a1) => h.sync(v, a0, a1));
    reg(H_INT_RESET, (v, a0) => h.reset(v, a0));
  } catch (e) {
    unregister();
    throw e;
  }
  return unregister;
}
