/**
 * The XICS-on-XIVE model: KVM's XICS interface (book3s_xive.c, device type 3 on a XIVE host)
 * over the XIVE hardware behaviour (ESB PQ, EAS, VP queues, OS ring).
 *
 *   kvm_set_irq / restore ─> IPI ESB of the source (or the passed-through interrupt's ESB)
 *        ─> EAS (act_server's VP, act_priority, EISN = source number) ─> queue entry (host page)
 *        ─> IPB/PIPR of the VP's OS ring ─> vcpu.ext
 *   guest XICS hcalls ─> ack_pending (ACK_OS_REG) ─> scan_interrupts over the queues
 *        (pending bitmap, software CPPR, MFRR IPI on priority 0) ─> XIRR
 *
 * API-boundary errors are KvmErrors raised before anything changes, in KVM's order; RTAS and
 * kernel-internal paths return -errno numbers as KVM's functions do; hypercalls return H_*.
 * Per interrupt: typed arrays, no allocation, tracing behind `tracer.enabled`.
 */
import { Errno, GuestMemory, UapiView, fail, type UserPtr, type Vcpu, type Vm } from "@irqlab/core";
import {
  H_PARAMETER,
  H_SUCCESS,
  KVM_REG_PPC_ICP_CPPR_SHIFT,
  KVM_REG_PPC_ICP_MFRR_SHIFT,
  KVM_REG_PPC_ICP_PPRI_SHIFT,
  KVM_REG_PPC_ICP_XISR_MASK,
  KVM_REG_PPC_ICP_XISR_SHIFT,
  KVM_XICS_LEVEL_SENSITIVE,
  KVM_XICS_MASKED,
  KVM_XICS_PENDING,
  KVM_XICS_PRESENTED,
  KVM_XICS_PRIORITY_SHIFT,
  KVM_XICS_QUEUED,
  KVMPPC_XICS_FIRST_IRQ,
  KVMPPC_XICS_NR_IRQS,
  TIMEBASE_HZ,
  XICS_IPI,
} from "@irqlab/xics";
import {
  KVM_MAX_VCPU_IDS,
  KVM_MAX_VCPUS,
  KVMPPC_XIVE_Q_COUNT,
  MASKED,
  PQ_OFF,
  PQ_PENDING,
  PQ_QUEUED,
  PQ_RESET,
  TM_NSR,
  TM_PIPR,
  TM_CPPR,
  TM_QW1_NSR_EO,
  TM_QW1_OS,
  XIVE_BLOCK_MASK,
  XIVE_INVALID_VP,
} from "../constants.js";
import { ESB_NOTIFY, ESB_PQ_MASK, esbTrigger } from "../esb.js";
import { SRC_ASSERTED, SRC_LSI, SRC_PT, SRC_VALID, SourceBlocks, applySourceLevel } from "../source-blocks.js";
import { priorityToIpb, tctxAccept, tctxIpbUpdate, tctxNotify, tctxSetCppr } from "../tima.js";
import { XIVE_VP_BASE, packVcpuId, prioFromGuest } from "../xive.js";
import { PassthroughEsb, type PassthroughRouter } from "./passthrough-esb.js";
import { XoxCounters, emit } from "./trace.js";
import { X_IN_EOI, X_IN_QUEUE, X_IPI, X_OLD_P, X_OLD_Q, X_SAVED_P, X_SAVED_Q, XoxSourceBlock, XoxVcpu } from "./xox-state.js";

/** Marker KVM writes over queue entries it took out of a queue. */
export const XICS_DUMMY = 1;
/** H_TOO_HARD: the hcall goes to the generic path / userspace. */
export const H_TOO_HARD = 9999;
/** H_UNSUPPORTED (QEMU spapr.h). */
export const H_UNSUPPORTED = -67;

const SCAN_FETCH = 0;
const SCAN_POLL = 1;
const SCAN_EOI = 2;

const OS_NSR = TM_QW1_OS + TM_NSR;
const OS_CPPR = TM_QW1_OS + TM_CPPR;
const OS_PIPR = TM_QW1_OS + TM_PIPR;

export interface XoxOptions {
  /** log2 bytes of each queue page KVM allocates (xive_native_default_eq_shift(); 16 = 64 KiB). */
  qShift: number;
  /** Host single-escalation support (queue 7 not configured). */
  singleEscalation: boolean;
  /** kvm->arch.emul_smt_mode. */
  emulSmtMode: number;
}

/** Index of the lowest set bit (0xFF for 0). */
function lowestBit(x: number): number {
  return x === 0 ? 0xff : 31 - Math.clz32(x & -x);
}

/** A 64-bit register given as a JS number, as an unsigned magnitude (negatives wrap huge). */
function u64(x: number): number {
  if (!Number.isFinite(x)) return 0;
  const t = Math.trunc(x);
  return t < 0 ? 2 ** 64 + t : t;
}

export class XicsOnXive implements PassthroughRouter {
  readonly sources = new SourceBlocks<XoxSourceBlock>((id) => new XoxSourceBlock(id));
  /** Connected vCPUs by server number (kvmppc_xive_find_server). */
  readonly servers = new Map<number, XoxVcpu>();
  readonly counters = new XoxCounters();
  nrServers = KVM_MAX_VCPUS;
  vpBase = XIVE_INVALID_VP;
  /** Bitmap of provisioned priorities (qmap). */
  qmap = 0;
  /** saved_src_count, delayed_irqs. */
  savedSrcCount = 0;
  delayedIrqs = 0;
  /** Highest block id created (max_sbid), -1 when none. */
  maxSbid = -1;
  alive = true;
  /** Host memory holding the queue pages KVM allocates (never guest-visible). */
  readonly hostMemory = new GuestMemory(2 ** 48);
  private nextPage = 0;
  private readonly tracer;

  constructor(
    readonly vm: Vm,
    readonly options: XoxOptions,
  ) {
    this.tracer = vm.tracer;
  }

  /** Connected vCPUs in vCPU-index order (kvm_for_each_vcpu). */
  xvcpus(): XoxVcpu[] {
    const out: XoxVcpu[] = [];
    for (const v of this.vm.vcpus) {
      const s = v.irqchipState;
      if (s instanceof XoxVcpu && this.servers.get(s.server) === s) out.push(s);
    }
    return out;
  }

  xvcpuOf(vcpu: Vcpu | null | undefined): XoxVcpu | null {
    if (!vcpu) return null;
    const s = vcpu.irqchipState;
    return s instanceof XoxVcpu && this.servers.get(s.server) === s ? s : null;
  }

  /** State of a source for tests and dumps: null when the block is missing. */
  sourceState(irq: number) {
    const b = this.sources.find(irq >>> 0);
    if (!b) return null;
    const i = irq & XIVE_BLOCK_MASK;
    const pt = b.pt[i];
    return {
      valid: (b.flags[i] & SRC_VALID) !== 0,
      lsi: (b.flags[i] & SRC_LSI) !== 0,
      asserted: (b.flags[i] & SRC_ASSERTED) !== 0,
      guestPriority: b.guestPriority[i],
      savedPriority: b.savedPriority[i],
      actServer: b.actServer[i],
      actPriority: b.actPriority[i],
      oldP: (b.xflags[i] & X_OLD_P) !== 0,
      oldQ: (b.xflags[i] & X_OLD_Q) !== 0,
      inQueue: (b.xflags[i] & X_IN_QUEUE) !== 0,
      ipiPq: b.pq[i],
      pt,
      ptPq: pt ? pt.pq : -1,
    };
  }

  // ------------------------------------------------------------------ hardware helpers

  private signalLine(xv: XoxVcpu): void {
    const up = (xv.regs[OS_NSR] & TM_QW1_NSR_EO) !== 0;
    if (up && !xv.vcpu.ext.asserted) {
      this.counters.signals++;
      xv.vcpu.ext.assert();
    } else if (!up && xv.vcpu.ext.asserted) xv.vcpu.ext.deassert();
  }

  /** The router + presenter: an event for (server, XIVE priority, EISN). */
  private notify(server: number, prio: number, eisn: number): void {
    const c = this.counters;
    c.forwarded++;
    if (prio === MASKED) {
      c.dropped++;
      if (this.tracer.enabled) emit(this.tracer, "xox.router.drop", { eisn, reason: "masked EAS" });
      return;
    }
    const xv = this.servers.get(server);
    if (xv === undefined || !xv.valid) {
      c.dropped++;
      if (this.tracer.enabled) emit(this.tracer, "xox.router.drop", { eisn, reason: "no vCPU" });
      return;
    }
    const queued = xv.queues.push(this.hostMemory, prio, eisn);
    if (queued) c.enqueued++;
    if (this.tracer.enabled) emit(this.tracer, "xox.router.enqueue", { server, priority: prio, eisn, queued });
    if (tctxIpbUpdate(xv.regs, 0, priorityToIpb(prio))) this.signalLine(xv);
  }

  /** PassthroughRouter: a forwarded host interrupt notified. */
  routePassthrough(esb: PassthroughEsb): void {
    this.notify(esb.easServer, esb.easPriority, esb.easEisn);
  }

  /** A store to the trigger page of a source's IPI. */
  private triggerIpi(b: XoxSourceBlock, i: number): void {
    const before = b.pq[i];
    const r = esbTrigger(before);
    b.pq[i] = r & ESB_PQ_MASK;
    this.counters.triggers++;
    if (this.tracer.enabled) emit(this.tracer, "xox.esb.trigger", { irq: b.number(i), pt: false, pq: r & ESB_PQ_MASK, notify: (r & ESB_NOTIFY) !== 0 });
    if (r & ESB_NOTIFY) this.notify(b.actServer[i], b.actPriority[i], b.number(i));
    else this.counters.coalesced++;
  }

  /** A store to the trigger page of the selected HW interrupt. */
  private triggerSelected(b: XoxSourceBlock, i: number): void {
    const pt = b.pt[i];
    if (pt === null) return this.triggerIpi(b, i);
    this.counters.triggers++;
    const before = pt.forwarded;
    pt.trigger();
    if (pt.forwarded === before) this.counters.coalesced++;
  }

  /** A SET_PQ load on the selected HW interrupt: returns the old PQ. */
  private setPqSelected(b: XoxSourceBlock, i: number, pq: number): number {
    const pt = b.pt[i];
    if (pt !== null) return pt.setPq(pq);
    const old = b.pq[i];
    b.pq[i] = pq;
    return old;
  }

  /** xive_vm_source_eoi on the selected HW interrupt (no Store EOI in this model). */
  private sourceEoi(b: XoxSourceBlock, i: number): void {
    const pt = b.pt[i];
    if (pt !== null) return pt.sourceEoi();
    const old = b.pq[i];
    b.pq[i] = PQ_RESET;
    if (old & 1) this.triggerIpi(b, i);
  }

  /** The vCPU IPI's trigger page. */
  private triggerVpIpi(xv: XoxVcpu): void {
    const r = esbTrigger(xv.ipiPq);
    xv.ipiPq = r & ESB_PQ_MASK;
    this.counters.ipis++;
    if (r & ESB_NOTIFY) this.notify(xv.server, 0, XICS_IPI);
  }

  /** Source EOI of the vCPU IPI (SET_PQ_00, re-trigger if Q). */
  private eoiVpIpi(xv: XoxVcpu): void {
    const old = xv.ipiPq;
    xv.ipiPq = PQ_RESET;
    if (old & 1) this.triggerVpIpi(xv);
  }

  /** ack_pending: ACK_OS_REG on the HW TIMA. */
  private ackPending(xv: XoxVcpu): void {
    const v = tctxAccept(xv.regs, 0);
    this.signalLine(xv);
    if (((v >> 8) & TM_QW1_NSR_EO) === 0) return;
    const p = v & 0xff;
    if (p < 8) xv.pending |= 1 << p;
    xv.hwCppr = p;
  }

  /** push_pending_to_hw: TM_SPC_SET_OS_PENDING with the most favoured pending/MFRR priority. */
  private pushPendingToHw(xv: XoxVcpu): void {
    let bits = xv.pending;
    if (xv.mfrr !== 0xff) bits |= xv.mfrr < 8 ? 1 << xv.mfrr : 0x80;
    if (bits === 0) return;
    this.lastSetOsPending = lowestBit(bits);
    if (tctxIpbUpdate(xv.regs, 0, priorityToIpb(this.lastSetOsPending))) this.signalLine(xv);
  }

  /** The last priority stored to TM_SPC_SET_OS_PENDING (observation, -1 none yet). */
  lastSetOsPending = -1;

  /** A store of the HW OS CPPR. */
  private writeHwCppr(xv: XoxVcpu, cppr: number): void {
    tctxSetCppr(xv.regs, 0, cppr);
    this.signalLine(xv);
  }

  // ------------------------------------------------------------------ scan

  /** scan_interrupts (xics-on-xive.md §6.2). */
  private scan(xv: XoxVcpu, pendingIn: number, mode: number): number {
    const q = xv.queues;
    const mem = this.hostMemory;
    let pending = pendingIn;
    let hirq = 0;
    let prio = 0xff;
    while ((xv.mfrr !== 0xff || pending !== 0) && hirq === 0) {
      prio = lowestBit(pending);
      if (prio >= xv.cppr || prio > 7) {
        if (xv.mfrr < xv.cppr) {
          prio = xv.mfrr;
          hirq = XICS_IPI;
        }
        break;
      }
      let idx = q.readIdx[prio];
      let tog = q.readToggle[prio];
      const page = q.configured[prio] !== 0;
      for (;;) {
        hirq = q.peekAt(mem, prio, idx, tog);
        idx = q.scanIdx;
        tog = q.scanToggle;
        if (hirq === XICS_IPI || (prio === 0 && !page)) {
          if (mode === SCAN_FETCH) {
            this.eoiVpIpi(xv);
            q.readIdx[prio] = idx;
            q.readToggle[prio] = tog;
          }
          if (hirq !== 0) continue;
        }
        if (hirq === XICS_DUMMY) continue;
        break;
      }
      if (hirq === 0) {
        pending &= ~(1 << prio);
        const pc = q.pendingCount[prio];
        if (pc !== 0) {
          q.count[prio] = q.count[prio] > pc ? q.count[prio] - pc : 0;
          q.pendingCount[prio] = 0;
        }
      }
      if (prio >= xv.mfrr && xv.mfrr < xv.cppr) {
        prio = xv.mfrr;
        hirq = XICS_IPI;
        break;
      }
      if (mode === SCAN_FETCH) {
        q.readIdx[prio] = idx;
        q.readToggle[prio] = tog;
      }
    }
    if (mode === SCAN_POLL) return hirq;
    xv.pending = pending;
    if (mode === SCAN_EOI) return hirq;
    if (hirq !== 0) xv.cppr = prio;
    if (xv.cppr !== xv.hwCppr) {
      xv.hwCppr = xv.cppr;
      this.writeHwCppr(xv, xv.cppr);
    }
    return hirq;
  }

  // ------------------------------------------------------------------ hypercalls

  /** H_XIRR: r4 = (old CPPR << 24) | source. */
  hXirr(xv: XoxVcpu): number {
    xv.stats.xirr++;
    this.counters.xirr++;
    this.ackPending(xv);
    const old = xv.cppr;
    const hirq = this.scan(xv, xv.pending, SCAN_FETCH);
    if (hirq === 0) this.counters.spurious++;
    const xirr = (hirq + old * 0x1000000) >>> 0;
    xv.vcpu.hret[0] = xirr;
    if (this.tracer.enabled) emit(this.tracer, "xox.icp.xirr", { server: xv.server, xirr });
    return H_SUCCESS;
  }

  /** H_XIRR_X: as H_XIRR, r5 = host timebase + the vCPU's timebase offset. */
  hXirrX(xv: XoxVcpu): number {
    const rc = this.hXirr(xv);
    xv.vcpu.hret[1] = Math.floor((this.vm.clock.now * TIMEBASE_HZ) / 1e9) + xv.tbOffset;
    return rc;
  }

  /** H_IPOLL(server). A remote poll writes the target vCPU's r4 (kernel quirk). */
  hIpoll(xv: XoxVcpu, server: number): number {
    xv.stats.ipoll++;
    const s = u64(server);
    let target = xv;
    let pending = xv.pending;
    if (s !== xv.server) {
      const t = this.servers.get(Number(BigInt.asUintN(32, BigInt(s))));
      if (t === undefined) return H_PARAMETER;
      target = t;
      pending = 0xff;
    } else {
      const pipr = xv.regs[OS_PIPR];
      if (pipr < 8) pending |= 1 << pipr;
    }
    const hirq = this.scan(target, pending, SCAN_POLL);
    target.vcpu.hret[0] = (hirq + target.cppr * 0x1000000) >>> 0;
    return H_SUCCESS;
  }

  /** H_CPPR(c). */
  hCppr(xv: XoxVcpu, c: number): number {
    xv.stats.cppr++;
    const cppr = prioFromGuest(u64(c) % 256);
    const old = xv.cppr;
    xv.cppr = cppr;
    if (cppr > old) this.pushPendingToHw(xv);
    else this.scanForReroutedIrqs(xv);
    xv.hwCppr = cppr;
    this.writeHwCppr(xv, cppr);
    if (this.tracer.enabled) emit(this.tracer, "xox.icp.cppr", { server: xv.server, cppr });
    return H_SUCCESS;
  }

  /** scan_for_rerouted_irqs (§6.6). */
  private scanForReroutedIrqs(xv: XoxVcpu): void {
    const q = xv.queues;
    const mem = this.hostMemory;
    for (let prio = xv.cppr; prio < KVMPPC_XIVE_Q_COUNT; prio++) {
      if (!q.configured[prio]) continue;
      let idx = q.readIdx[prio];
      let toggle = q.readToggle[prio];
      const base = q.qaddr[prio];
      for (;;) {
        const addr = base + idx * 4;
        const entry = mem.read(addr, 4, "be");
        if (entry >>> 31 === toggle) break;
        const irq = entry & 0x7fffffff;
        if (irq !== XICS_DUMMY && irq !== XICS_IPI) {
          const b = this.sources.find(irq);
          if (b !== null) {
            const i = irq & XIVE_BLOCK_MASK;
            if (b.actServer[i] !== xv.server) {
              mem.write(addr, 4, ((entry & 0x80000000) | XICS_DUMMY) >>> 0, "be");
              this.counters.rerouted++;
              if (this.tracer.enabled) emit(this.tracer, "xox.source.reroute", { irq, server: b.actServer[i], priority: b.actPriority[i] });
              const pt = b.pt[i];
              if (!(pt !== null && pt.lsi)) this.setPqSelected(b, i, PQ_QUEUED);
              this.sourceEoi(b, i);
            }
          }
        }
        idx = (idx + 1) & q.msk[prio];
        if (idx === 0) toggle ^= 1;
      }
    }
  }

  /** H_EOI(xirr). */
  hEoi(xv: XoxVcpu, xirrArg: number): number {
    xv.stats.eoi++;
    this.counters.eois++;
    const xirr = u64(xirrArg);
    let rc = H_SUCCESS;
    xv.cppr = prioFromGuest(Math.floor(xirr / 0x1000000) % 256);
    const irq = xirr % 0x1000000;
    if (irq !== XICS_IPI && irq !== 0) {
      const b = this.sources.find(irq);
      if (b === null) rc = H_PARAMETER;
      else {
        const i = irq & XIVE_BLOCK_MASK;
        b.xflags[i] |= X_IN_EOI;
        if (b.guestPriority[i] === MASKED) b.xflags[i] &= ~X_OLD_P;
        else {
          this.sourceEoi(b, i);
          if ((b.flags[i] & (SRC_LSI | SRC_ASSERTED)) === (SRC_LSI | SRC_ASSERTED)) this.triggerSelected(b, i);
        }
        b.xflags[i] &= ~X_IN_EOI;
      }
    }
    this.scan(xv, xv.pending, SCAN_EOI);
    this.pushPendingToHw(xv);
    xv.hwCppr = xv.cppr;
    this.writeHwCppr(xv, xv.cppr);
    if (this.tracer.enabled) emit(this.tracer, "xox.icp.eoi", { server: xv.server, xirr: xirr % 2 ** 32, rc });
    return rc;
  }

  /** H_IPI(server, mfrr). */
  hIpi(xv: XoxVcpu, server: number, mfrrArg: number): number {
    xv.stats.ipi++;
    const target = this.servers.get(Number(BigInt.asUintN(32, BigInt(u64(server)))));
    if (target === undefined) return H_PARAMETER;
    const m = u64(mfrrArg);
    target.mfrr = m % 256;
    const triggered = m < target.cppr;
    if (triggered) this.triggerVpIpi(target);
    if (this.tracer.enabled) emit(this.tracer, "xox.icp.ipi", { server: xv.server, target: target.server, mfrr: target.mfrr, triggered });
    return H_SUCCESS;
  }

  // ------------------------------------------------------------------ device input

  /**
   * kvmppc_xive_set_irq: -EINVAL (-22) for a missing or invalid source or one passed through;
   * level 0 / UNSET clears `asserted`; (1 on an LSI) or SET_LEVEL sets it and triggers; any
   * other level triggers. Returns 0.
   */
  setIrq(pin: number, level: number): number {
    if (!Number.isInteger(pin) || pin < 0 || pin >= KVMPPC_XICS_NR_IRQS) {
      this.counters.rejected++;
      return -Errno.EINVAL;
    }
    const b = this.sources.blocks[pin >>> 10];
    const i = pin & XIVE_BLOCK_MASK;
    if (b === null || !(b.flags[i] & SRC_VALID) || b.flags[i] & SRC_PT) {
      this.counters.rejected++;
      return -Errno.EINVAL;
    }
    if (applySourceLevel(b, i, level)) this.triggerIpi(b, i);
    return 0;
  }

  // ------------------------------------------------------------------ masking protocol

  /** xive_lock_and_mask: returns the old guest priority. */
  lockAndMask(b: XoxSourceBlock, i: number): number {
    const old = b.guestPriority[i];
    b.guestPriority[i] = MASKED;
    if (old === MASKED) return old;
    const pq = this.setPqSelected(b, i, PQ_PENDING);
    let x = b.xflags[i] & ~(X_OLD_P | X_OLD_Q);
    if (pq & 2) x |= X_OLD_P;
    if (pq & 1) x |= X_OLD_Q;
    b.xflags[i] = x;
    if (this.tracer.enabled) emit(this.tracer, "xox.source.mask", { irq: b.number(i), oldPriority: old, oldP: (pq & 2) !== 0, oldQ: (pq & 1) !== 0 });
    return old;
  }

  /** xive_finish_unmask. */
  finishUnmask(b: XoxSourceBlock, i: number, prio: number): void {
    if (b.guestPriority[i] !== MASKED) {
      b.guestPriority[i] = prio;
      return;
    }
    if (b.xflags[i] & X_OLD_Q) this.setPqSelected(b, i, PQ_QUEUED);
    if (!(b.xflags[i] & X_OLD_P)) this.sourceEoi(b, i);
    b.guestPriority[i] = prio;
    if (this.tracer.enabled) emit(this.tracer, "xox.source.unmask", { irq: b.number(i), priority: prio });
  }

  // ------------------------------------------------------------------ provisioning / targeting

  private allocPage(): number {
    const addr = this.nextPage;
    this.nextPage += 2 ** this.options.qShift;
    return addr;
  }

  private provisionQueue(xv: XoxVcpu, prio: number): void {
    if (xv.queues.configured[prio]) return;
    xv.queues.configure(prio, this.allocPage(), this.options.qShift);
  }

  /** xive_check_provisioning(p): every connected vCPU gets a page for queue p. Returns 0. */
  checkProvisioning(prio: number): number {
    if (this.qmap & (1 << prio)) return 0;
    for (const xv of this.xvcpus()) this.provisionQueue(xv, prio);
    this.qmap |= 1 << prio;
    return 0;
  }

  /** kvmppc_xive_select_target: the server used, or -EINVAL / -EBUSY. */
  selectTarget(server: number, prio: number): number {
    const xv = this.servers.get(server);
    if (xv === undefined) return -Errno.EINVAL;
    if (xv.queues.tryPick(prio) === 0) return server;
    for (const other of this.xvcpus()) {
      if (other.queues.tryPick(prio) === 0) return other.server;
    }
    return -Errno.EBUSY;
  }

  /** xive_target_interrupt: 0 or -errno. */
  targetInterrupt(b: XoxSourceBlock, i: number, server: number, prio: number): number {
    const chosen = this.selectTarget(server, prio);
    if (chosen < 0) return chosen;
    if (b.actPriority[i] !== MASKED) {
      const old = this.servers.get(b.actServer[i]);
      if (old !== undefined && b.actPriority[i] < KVMPPC_XIVE_Q_COUNT) old.queues.pendingCount[b.actPriority[i]]++;
    }
    b.actPriority[i] = prio;
    b.actServer[i] = chosen;
    const pt = b.pt[i];
    if (pt !== null) this.programPtEas(pt, chosen, prio, b.number(i));
    if (this.tracer.enabled) emit(this.tracer, "xox.source.target", { irq: b.number(i), server: chosen, priority: prio });
    return 0;
  }

  private programPtEas(pt: PassthroughEsb, server: number, prio: number, eisn: number): void {
    pt.easServer = server;
    pt.easPriority = prio;
    pt.easEisn = eisn;
  }

  // ------------------------------------------------------------------ RTAS (kernel functions: 0 or -errno)

  /** kvmppc_xive_set_xive (priority is the u32 RTAS argument). */
  setXive(irq: number, server: number, priority: number): number {
    if (!this.alive) return -Errno.ENODEV;
    const prioU8 = priority & 0xff;
    if (priority !== MASKED) {
      const rc = this.checkProvisioning(prioFromGuest(prioU8));
      if (rc) return rc;
    }
    const b = this.sources.find(irq >>> 0);
    if (b === null) return -Errno.EINVAL;
    const i = irq & XIVE_BLOCK_MASK;
    if (priority === MASKED) this.lockAndMask(b, i);
    const newAct = priority === MASKED ? b.actPriority[i] : prioFromGuest(prioU8);
    let rc = 0;
    if (newAct !== MASKED && (b.actServer[i] !== server >>> 0 || b.actPriority[i] !== newAct)) {
      rc = this.targetInterrupt(b, i, server >>> 0, newAct);
    }
    if (priority !== MASKED) this.finishUnmask(b, i, prioU8);
    b.savedPriority[i] = prioU8;
    return rc;
  }

  /** kvmppc_xive_get_xive: [server, guest priority] or -EINVAL. */
  getXive(irq: number): { server: number; priority: number } | number {
    const b = this.sources.find(irq >>> 0);
    if (b === null) return -Errno.EINVAL;
    const i = irq & XIVE_BLOCK_MASK;
    return { server: b.actServer[i], priority: b.guestPriority[i] };
  }

  /** kvmppc_xive_int_off. */
  intOff(irq: number): number {
    if (!this.alive) return -Errno.ENODEV;
    const b = this.sources.find(irq >>> 0);
    if (b === null) return -Errno.EINVAL;
    const i = irq & XIVE_BLOCK_MASK;
    b.savedPriority[i] = this.lockAndMask(b, i);
    return 0;
  }

  /** kvmppc_xive_int_on. */
  intOn(irq: number): number {
    if (!this.alive) return -Errno.ENODEV;
    const b = this.sources.find(irq >>> 0);
    if (b === null) return -Errno.EINVAL;
    const i = irq & XIVE_BLOCK_MASK;
    if (b.actPriority[i] === MASKED) return -Errno.EINVAL;
    if (b.savedPriority[i] === MASKED) return 0;
    this.finishUnmask(b, i, b.savedPriority[i]);
    return 0;
  }

  guestError(msg: string): void {
    this.counters.guestErrors++;
    this.tracer.guestError("xics-on-xive", msg);
  }

  // ------------------------------------------------------------------ vCPU connect / cleanup

  /** kvmppc_xive_connect_vcpu after the descriptor checks. */
  connect(vcpu: Vcpu, server: number): XoxVcpu {
    if (vcpu.irqchipKind !== null) fail(Errno.EBUSY, `vCPU ${vcpu.id} is already connected to ${vcpu.irqchipKind}`);
    const packed = packVcpuId(server, this.options.emulSmtMode);
    if (packed >= this.nrServers) fail(Errno.EINVAL, `server ${server}: packed VP offset ${packed} >= nr_servers ${this.nrServers}`);
    // kvmppc_xive_compute_vp_id: the VP block is allocated before the in-use check.
    const vpBase = this.vpBase === XIVE_INVALID_VP ? XIVE_VP_BASE : this.vpBase;
    const vpId = vpBase + packed;
    for (const other of this.xvcpus()) {
      if (other.vpId === vpId) {
        this.vpBase = vpBase;
        fail(Errno.EEXIST, `server ${server}: VP 0x${vpId.toString(16)} is used by vCPU ${other.vcpu.id}`);
      }
    }
    this.vpBase = vpBase;
    const xv = new XoxVcpu(vcpu, server, vpId);
    const last = this.options.singleEscalation ? KVMPPC_XIVE_Q_COUNT - 1 : KVMPPC_XIVE_Q_COUNT;
    for (let p = 0; p < last; p++) if (this.qmap & (1 << p)) xv.queues.configure(p, this.allocPage(), this.options.qShift);
    // Route the vCPU IPI to (own VP, priority 0, EISN 2), ESB 00.
    xv.ipiPq = PQ_RESET;
    vcpu.attachIrqchip("xics", server, xv);
    this.servers.set(server, xv);
    return xv;
  }

  /** kvmppc_xive_cleanup_vcpu. */
  cleanupVcpu(xv: XoxVcpu): void {
    xv.valid = false;
    for (const [b, i] of this.sources.each()) {
      if (b.actServer[i] !== xv.server) continue;
      b.actPriority[i] = MASKED;
      b.pq[i] = PQ_OFF;
      const pt = b.pt[i];
      if (pt !== null) {
        pt.pq = PQ_OFF;
        pt.easPriority = MASKED;
      }
    }
    xv.ipiPq = PQ_OFF;
    for (let p = 0; p < KVMPPC_XIVE_Q_COUNT; p++) xv.queues.disable(p);
    xv.vcpu.ext.deassert();
    xv.vcpu.detachIrqchip();
    this.servers.delete(xv.server);
  }

  /** kvmppc_xive_release. */
  release(): void {
    if (!this.alive) return;
    for (const xv of this.xvcpus()) this.cleanupVcpu(xv);
    for (const [b, i] of this.sources.each()) {
      b.pq[i] = PQ_OFF;
      const pt = b.pt[i];
      if (pt !== null) {
        pt.pq = PQ_OFF;
        pt.easPriority = MASKED;
        pt.router = null;
      }
      b.flags[i] &= ~SRC_VALID;
    }
    this.sources.clear();
    this.alive = false;
  }

  // ------------------------------------------------------------------ attributes

  /** KVM_DEV_XICS_GRP_CTRL / KVM_DEV_XICS_NR_SERVERS (kvmppc_xive_set_nr_servers). */
  setNrServers(addr: UserPtr): void {
    const n = new UapiView(addr, 4, this.vm.endian, "KVM_DEV_XICS_NR_SERVERS value").u32(0);
    if (n === 0 || n > KVM_MAX_VCPU_IDS) fail(Errno.EINVAL, `NR_SERVERS ${n} (1..${KVM_MAX_VCPU_IDS})`);
    if (this.vpBase !== XIVE_INVALID_VP) fail(Errno.EBUSY, "NR_SERVERS: the VP block is allocated (a vCPU is connected)");
    this.nrServers = Math.min(n, KVM_MAX_VCPUS);
  }

  /** xive_set_source (KVM_DEV_XICS_GRP_SOURCES set). */
  setSource(attr: bigint, addr: UserPtr): void {
    if (attr < BigInt(KVMPPC_XICS_FIRST_IRQ) || attr >= BigInt(KVMPPC_XICS_NR_IRQS)) {
      fail(Errno.ENOENT, `source ${attr} is outside ${KVMPPC_XICS_FIRST_IRQ}..0x${(KVMPPC_XICS_NR_IRQS - 1).toString(16)}`);
    }
    const irq = Number(attr);
    // The block is created before the word is read (a later EFAULT leaves it allocated).
    const b = this.sources.create(irq);
    if (b.id > this.maxSbid) this.maxSbid = b.id;
    const val = new UapiView(addr, 8, this.vm.endian, "KVM_DEV_XICS_GRP_SOURCES word").u64(0);
    this.restoreSource(b, irq & XIVE_BLOCK_MASK, val);
  }

  /** xive_set_source after the word was read. */
  private restoreSource(b: XoxSourceBlock, i: number, word: bigint): void {
    const irq = b.number(i);
    let val = word;
    const server = Number(val & 0xffffffffn);
    const guestPrio = Number((val >> KVM_XICS_PRIORITY_SHIFT) & 0xffn);
    b.xflags[i] |= X_IPI;
    b.guestPriority[i] = 0;
    this.lockAndMask(b, i);
    const act = prioFromGuest(guestPrio);
    b.actPriority[i] = MASKED;
    if (act !== MASKED) {
      if (this.checkProvisioning(act) === 0) this.targetInterrupt(b, i, server, act);
    }
    if (this.delayedIrqs > 0) {
      for (const xv of this.xvcpus()) {
        if (xv.delayedIrq === irq) {
          xv.delayedIrq = 0;
          this.delayedIrqs--;
          val |= KVM_XICS_PENDING;
          break;
        }
      }
    }
    let x = b.xflags[i] & ~(X_OLD_P | X_OLD_Q);
    let f = b.flags[i] & ~(SRC_LSI | SRC_ASSERTED);
    const pending = (val & KVM_XICS_PENDING) !== 0n;
    if (val & KVM_XICS_LEVEL_SENSITIVE) {
      f |= SRC_LSI;
      if (pending) f |= SRC_ASSERTED;
    }
    if (val & KVM_XICS_PRESENTED && !pending) x |= X_OLD_P;
    if (val & KVM_XICS_QUEUED || pending) x |= X_OLD_Q;
    b.xflags[i] = x;
    b.flags[i] = f;
    if (val & KVM_XICS_MASKED) {
      b.guestPriority[i] = MASKED;
      b.savedPriority[i] = guestPrio;
    } else {
      this.finishUnmask(b, i, guestPrio);
      b.savedPriority[i] = guestPrio;
    }
    if (!(b.flags[i] & SRC_VALID)) this.sources.count++;
    b.flags[i] |= SRC_VALID;
  }

  /** xive_get_source (KVM_DEV_XICS_GRP_SOURCES get). */
  getSource(attr: bigint, addr: UserPtr): void {
    const irq = Number(BigInt.asUintN(32, attr));
    const b = this.sources.find(irq);
    if (b === null) fail(Errno.ENOENT, `source 0x${irq.toString(16)} has no source block`);
    const i = irq & XIVE_BLOCK_MASK;
    if (!(b.flags[i] & SRC_VALID)) fail(Errno.ENOENT, `source 0x${irq.toString(16)} was never created`);
    if (this.savedSrcCount === 0) this.preSaveScan();
    this.savedSrcCount++;
    const val = this.sourceWord(b, i);
    if (this.savedSrcCount === this.sources.count) this.postSaveScan();
    // KVM copies the word out last: an EFAULT comes after the snapshot bookkeeping.
    new UapiView(addr, 8, this.vm.endian, "KVM_DEV_XICS_GRP_SOURCES word").setU64(0, val);
  }

  /** The word xive_get_source builds from the snapshot fields. */
  private sourceWord(b: XoxSourceBlock, i: number): bigint {
    let val = BigInt(b.actServer[i] >>> 0);
    let prio = b.savedScanPrio[i];
    if (prio === MASKED) {
      val |= KVM_XICS_MASKED;
      prio = b.savedPriority[i];
    }
    val |= BigInt(prio) << KVM_XICS_PRIORITY_SHIFT;
    const x = b.xflags[i];
    if (b.flags[i] & SRC_LSI) {
      val |= KVM_XICS_LEVEL_SENSITIVE;
      if (x & X_SAVED_P) val |= KVM_XICS_PENDING;
    } else {
      if (x & X_SAVED_P) val |= KVM_XICS_PRESENTED;
      if (x & X_SAVED_Q) val |= KVM_XICS_QUEUED;
      if (x & X_IN_QUEUE || (prio === MASKED && x & X_SAVED_Q)) val |= KVM_XICS_PENDING;
    }
    return val;
  }

  /** xive_pre_save_scan: mask everything, mark queued sources, unmask again. */
  private preSaveScan(): void {
    for (const [b, i] of this.sources.each()) {
      b.savedScanPrio[i] = this.lockAndMask(b, i);
      let x = b.xflags[i] & ~(X_SAVED_P | X_SAVED_Q);
      if (x & X_OLD_P) x |= X_SAVED_P;
      if (x & X_OLD_Q) x |= X_SAVED_Q;
      b.xflags[i] = x;
    }
    const mem = this.hostMemory;
    for (const xv of this.xvcpus()) {
      const q = xv.queues;
      for (let p = 0; p < KVMPPC_XIVE_Q_COUNT; p++) {
        if (!q.configured[p]) continue;
        let idx = q.readIdx[p];
        let tog = q.readToggle[p];
        for (;;) {
          const irq = q.peekAt(mem, p, idx, tog);
          idx = q.scanIdx;
          tog = q.scanToggle;
          if (irq === 0) break;
          if (irq > XICS_IPI) {
            const b = this.sources.find(irq);
            const i = irq & XIVE_BLOCK_MASK;
            if (b === null || !(b.flags[i] & SRC_VALID)) continue;
            if (!(b.xflags[i] & X_SAVED_P)) this.guestError(`pre-save: source 0x${irq.toString(16)} is queued without P`);
            b.xflags[i] |= X_IN_QUEUE;
          }
        }
      }
    }
    for (const [b, i] of this.sources.each()) {
      if (b.savedScanPrio[i] !== MASKED) this.finishUnmask(b, i, b.savedScanPrio[i]);
    }
  }

  private postSaveScan(): void {
    for (const b of this.sources.blocks) if (b !== null) for (let i = 0; i < b.xflags.length; i++) b.xflags[i] &= ~X_IN_QUEUE;
    this.savedSrcCount = 0;
  }

  // ------------------------------------------------------------------ ONE_REG ICP_STATE

  /** kvmppc_xive_get_icp: XISR always 0, PPRI always 0xFF. */
  getIcp(xv: XoxVcpu): bigint {
    return (
      (BigInt(xv.cppr) << KVM_REG_PPC_ICP_CPPR_SHIFT) |
      (BigInt(xv.mfrr) << KVM_REG_PPC_ICP_MFRR_SHIFT) |
      (0xffn << KVM_REG_PPC_ICP_PPRI_SHIFT)
    );
  }

  /** kvmppc_xive_set_icp. */
  setIcp(xv: XoxVcpu, value: bigint): void {
    if (xv.pushed) fail(Errno.EIO, `KVM_REG_PPC_ICP_STATE: vCPU ${xv.vcpu.id} context is pushed`);
    const v = BigInt.asUintN(64, value);
    const cppr = Number((v >> KVM_REG_PPC_ICP_CPPR_SHIFT) & 0xffn);
    const xisr = Number((v >> KVM_REG_PPC_ICP_XISR_SHIFT) & KVM_REG_PPC_ICP_XISR_MASK);
    const mfrr = Number((v >> KVM_REG_PPC_ICP_MFRR_SHIFT) & 0xffn);
    // Saved HW context CPPR (raw), pushed at the next entry.
    xv.regs[OS_CPPR] = cppr;
    tctxNotify(xv.regs, 0);
    this.signalLine(xv);
    xv.cppr = cppr;
    xv.hwCppr = cppr;
    xv.mfrr = mfrr;
    if (mfrr < cppr) this.triggerVpIpi(xv);
    if (xisr > XICS_IPI) {
      const b = this.sources.find(xisr);
      const i = xisr & XIVE_BLOCK_MASK;
      if (b !== null && b.flags[i] & SRC_VALID) this.triggerIpi(b, i);
      else {
        xv.delayedIrq = xisr;
        this.delayedIrqs++;
      }
    }
  }

  // ------------------------------------------------------------------ pass-through

  /**
   * kvmppc_xive_set_mapped: `hw` (a host interrupt) now backs guest source `irq`.
   * Refused up front (nothing changed): ENODEV without device, EINVAL for a missing block or a
   * source already mapped (book3s_hv's pimap check), EBUSY when `hw` is already forwarded (the
   * irq-bypass layer never attaches one producer twice; the model refuses it).
   */
  setMapped(irq: number, hw: PassthroughEsb): void {
    if (!this.alive) fail(Errno.ENODEV, "set_mapped: no XICS-on-XIVE device");
    if (!(hw instanceof PassthroughEsb)) fail(Errno.EINVAL, "set_mapped: the host interrupt must be a PassthroughEsb");
    const b = Number.isInteger(irq) && irq >= 0 && irq < KVMPPC_XICS_NR_IRQS ? this.sources.find(irq) : null;
    if (b === null) fail(Errno.EINVAL, `set_mapped: source ${irq} has no source block`);
    const i = irq & XIVE_BLOCK_MASK;
    if (b.pt[i] !== null) fail(Errno.EINVAL, `set_mapped: source 0x${irq.toString(16)} is already mapped to host interrupt ${b.pt[i]!.hwIrq}`);
    if (hw.router !== null) fail(Errno.EBUSY, `set_mapped: host interrupt ${hw.hwIrq} is already forwarded to source ${hw.guestIrq}`);
    hw.forwardTo(this, irq);
    const prio = this.lockAndMask(b, i); // on the IPI
    b.pq[i] = PQ_OFF;
    b.pt[i] = hw;
    b.ptNumber[i] = hw.hwIrq;
    b.flags[i] |= SRC_PT;
    this.programPtEas(hw, b.actServer[i], b.actPriority[i], irq);
    if (prio !== MASKED && !(b.xflags[i] & X_OLD_P)) hw.sourceEoi();
    b.xflags[i] &= ~(X_OLD_P | X_OLD_Q);
    b.guestPriority[i] = prio;
    if (this.tracer.enabled) emit(this.tracer, "xox.passthrough", { irq, hwIrq: hw.hwIrq, mapped: true });
  }

  /**
   * kvmppc_xive_clr_mapped: the IPI backs `irq` again. ENODEV without device, EINVAL for a
   * missing block, ENODEV when the source has no mapped interrupt (book3s_hv's pimap lookup).
   */
  clrMapped(irq: number): void {
    if (!this.alive) fail(Errno.ENODEV, "clr_mapped: no XICS-on-XIVE device");
    const b = Number.isInteger(irq) && irq >= 0 && irq < KVMPPC_XICS_NR_IRQS ? this.sources.find(irq) : null;
    if (b === null) fail(Errno.EINVAL, `clr_mapped: source ${irq} has no source block`);
    const i = irq & XIVE_BLOCK_MASK;
    const pt = b.pt[i];
    if (pt === null) fail(Errno.ENODEV, `clr_mapped: source 0x${irq.toString(16)} has no passed-through interrupt`);
    const prio = this.lockAndMask(b, i); // on the PT interrupt
    const oldP = (b.xflags[i] & X_OLD_P) !== 0;
    if (oldP) pt.setPq(PQ_QUEUED);
    pt.release();
    b.pt[i] = null;
    b.ptNumber[i] = 0;
    b.flags[i] &= ~SRC_PT;
    // IPI EAS = (act_server, act_priority, number): derived from act_* by the IPI router.
    b.pq[i] = prio === MASKED || oldP ? PQ_PENDING : PQ_RESET;
    b.guestPriority[i] = prio;
    if (this.tracer.enabled) emit(this.tracer, "xox.passthrough", { irq, hwIrq: pt.hwIrq, mapped: false });
  }
}
