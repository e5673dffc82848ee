/**
 * The XICS fabric (struct kvmppc_xics): the ICS, the ICPs by server number, and KVM's
 * algorithms that connect them — source input, delivery with reject and resend, the six
 * hypercalls, the four RTAS source calls, the source attribute word and the ONE_REG word.
 *
 *   kvm_set_irq ─> setIrq ─> P/Q ─> deliver(irq) ─> ICP.tryToDeliver ─┬─ ok: XISR, EE up
 *                                       ^   ^                          │   displaced source ─┐
 *                                       │   └──────────── reject ──────┼─────────────────────┘
 *                                       │                              └─ refused: resend bit
 *          H_EOI ─> down CPPR ─> ICS EOI ─> re-deliver (P) ─> ack notifiers (irqfd resample)
 *          H_CPPR/H_EOI/H_IPI relaxing ─> resend scan ─> deliver(resend sources)
 *
 * The kernel's lock-free retry loops collapse to straight-line code: every transition is
 * one of the pure functions of icp-state.ts / source-pq.ts applied to the live state.
 * Guest-facing methods return PAPR / RTAS status and never throw; the attribute and
 * ONE_REG methods throw KvmError with KVM's errno.
 */
import { Errno, UapiView, fail, quirksOf, type AckNotifiers, type IrqChip, type Tracer, type UserPtr, type Vcpu, type Vm } from "@irqlab/core";
import {
  H_PARAMETER,
  H_SUCCESS,
  KVMPPC_XICS_FIRST_IRQ,
  KVMPPC_XICS_NR_IRQS,
  KVMPPC_XICS_SRC_MASK,
  MASKED,
  PQ_PRESENTED,
  PQ_QUEUED,
  TIMEBASE_HZ,
  XICS_IPI,
} from "./constants.js";
import { Ics, SRC_EXISTS, SRC_LSI, SRC_MASKED_PENDING, SRC_RESEND, type IcsBlock } from "./ics.js";
import { Icp } from "./icp.js";
import {
  DELIVERY_REFUSED,
  SET_MFRR_RESEND,
  checkIcpStateWord,
  decodeIcpStateWord,
  encodeIcpStateWord,
  icpAccept,
  icpDownCppr,
  icpInstall,
  icpSetMfrr,
  icpTryToDeliver,
  icpUpCppr,
  u64Magnitude,
} from "./icp-state.js";
import { qemuDeliver, qemuEoiLsi, qemuIcpResend, qemuLsiPending, qemuResendLsi, qemuSetCppr, qemuSetLsi, qemuSetMfrr } from "./qemu-rules.js";
import { XicsQuirkSet } from "./quirks.js";
import { PQ_UNCHANGED, normaliseLevel, pqEoi, pqTrigger } from "./source-pq.js";
import { decodeSourceWord, encodeSourceWord } from "./source-word.js";
import { XicsCounters, emit } from "./trace.js";

/** What ibm,get-xive reads. */
export interface Xive {
  readonly server: number;
  readonly priority: number;
}

export class Xics {
  readonly ics = new Ics();
  readonly counters = new XicsCounters();
  /** The IrqChip registered for this instance (set by the device before any delivery). */
  chip: IrqChip | null = null;
  /** False once the device has been released. */
  alive = true;
  private readonly servers = new Map<number, Icp>();
  private readonly tracer: Tracer;
  private readonly acks: AckNotifiers;

  /** Behaviour-profile switches (quirks.ts); all off = KVM. */
  readonly quirks: XicsQuirkSet;

  constructor(readonly vm: Vm) {
    this.tracer = vm.tracer;
    this.acks = vm.ackNotifiers;
    this.quirks = XicsQuirkSet.from(quirksOf(vm));
  }

  // ---------------------------------------------------------------- vCPUs and servers

  /** kvmppc_xics_find_server: the ICP whose server number is `server` (taken as u32). */
  findServer(server: number): Icp | null {
    return this.servers.get(server >>> 0) ?? null;
  }

  /** The vCPU's ICP when it is connected to this instance (vcpu->arch.icp), else null. */
  icpOf(vcpu: Vcpu): Icp | null {
    const s = vcpu.irqchipState;
    return s instanceof Icp && s.owner === this ? s : null;
  }

  /** ICPs in vCPU order. */
  icps(): Icp[] {
    const out: Icp[] = [];
    for (const v of this.vm.vcpus) {
      const icp = this.icpOf(v);
      if (icp) out.push(icp);
    }
    return out;
  }

  /**
   * kvmppc_xics_create_icp (after the connect checks): EEXIST when another ICP has this
   * server number; then the vCPU is attached ("xics") with a fresh ICP.
   */
  connect(vcpu: Vcpu, server: number): Icp {
    const s = server >>> 0;
    if (!this.alive) fail(Errno.ENODEV, "the XICS device has been released");
    if (this.servers.has(s)) fail(Errno.EEXIST, `XICS server ${s} is already connected (vCPU ${this.servers.get(s)!.vcpu.id})`);
    const icp = new Icp(this, vcpu, s);
    vcpu.attachIrqchip("xics", s, icp);
    this.servers.set(s, icp);
    return icp;
  }

  /** kvmppc_xics_release: frees every ICP (the vCPUs return to "no irqchip") and every block. */
  release(): void {
    for (const v of this.vm.vcpus) if (this.icpOf(v)) v.detachIrqchip();
    this.servers.clear();
    this.ics.clear();
    this.alive = false;
  }

  // ---------------------------------------------------------------- source input

  /**
   * kvmppc_xics_set_irq -> ics_deliver_irq (§5): -EINVAL when the source's block is missing
   * or the source was never created, otherwise 0 (KVM's values; no caller looks at them).
   */
  setIrq(irq: number, level: number): number {
    const b = this.ics.find(irq);
    if (b === null) return -Errno.EINVAL;
    const i = irq & KVMPPC_XICS_SRC_MASK;
    const f = b.flags[i];
    if (!(f & SRC_EXISTS)) return -Errno.EINVAL;
    const l = normaliseLevel(level);
    if (this.quirks.lsiAssertedSent && f & SRC_LSI) {
      // Quirk: QEMU's LSI state (ASSERTED/SENT) instead of P/Q.
      this.counters.triggers++;
      qemuSetLsi(this, irq >>> 0, l);
      return 0;
    }
    if (this.quirks.msiNoCoalescing && !(f & SRC_LSI)) {
      // Quirk: every MSI trigger is sent (QEMU set_irq_msi), no P/Q state.
      if (l !== 0) {
        this.counters.triggers++;
        this.deliver(null, irq >>> 0, false);
      }
      return 0;
    }
    const pq = pqTrigger(b.pq[i], (f & SRC_LSI) !== 0, l);
    if (pq === PQ_UNCHANGED) {
      if (l !== 0) this.counters.coalesced++;
      return 0;
    }
    this.counters.triggers++;
    b.pq[i] = pq;
    if (this.tracer.enabled) emit(this.tracer, "xics.ics.trigger", { irq: irq >>> 0, level: l, pq });
    if (pq === PQ_PRESENTED) this.deliver(null, irq >>> 0, false);
    else if (pq & PQ_QUEUED) this.counters.coalesced++;
    return 0;
  }

  // ---------------------------------------------------------------- delivery

  /**
   * icp_deliver_irq (§4.2): first delivery, re-delivery after EOI, resend, and the
   * re-delivery of whatever a successful delivery displaced.
   */
  deliver(hint: Icp | null, irq: number, checkResend: boolean): void {
    if (this.quirks.qemuResend) {
      qemuDeliver(this, irq);
      return;
    }
    let icp = hint;
    for (;;) {
      const b = this.ics.find(irq);
      if (b === null) return;
      const i = irq & KVMPPC_XICS_SRC_MASK;
      const server = b.server[i];
      if (icp === null || server !== icp.serverNum) {
        icp = this.servers.get(server) ?? null;
        if (icp === null) {
          this.counters.dropped++;
          if (this.tracer.enabled) emit(this.tracer, "xics.ics.drop", { irq, server });
          return;
        }
      }
      const f = b.flags[i];
      if (checkResend && !(f & SRC_RESEND)) return;
      const prio = b.priority[i];
      if (prio === MASKED) {
        b.setFlags(i, (f & ~SRC_RESEND) | SRC_MASKED_PENDING);
        this.counters.maskedPending++;
        if (this.tracer.enabled) emit(this.tracer, "xics.ics.masked-pending", { irq });
        return;
      }
      const reject = icpTryToDeliver(icp, irq, prio, icp);
      if (reject === DELIVERY_REFUSED) {
        b.setFlags(i, f | SRC_RESEND);
        icp.markResend(b.icsid);
        this.counters.refused++;
        if (this.tracer.enabled) emit(this.tracer, "xics.icp.refuse", { server: icp.serverNum, irq, priority: prio });
        icp.commit(false);
        return;
      }
      b.setFlags(i, f & ~SRC_RESEND);
      this.counters.presented++;
      if (this.tracer.enabled) emit(this.tracer, "xics.icp.present", { server: icp.serverNum, irq, priority: prio });
      icp.commit(false);
      if (reject === 0 || reject === XICS_IPI) return;
      this.counters.rejected++;
      if (this.tracer.enabled) emit(this.tracer, "xics.icp.reject", { server: icp.serverNum, irq: reject });
      irq = reject;
      checkResend = false;
    }
  }

  /**
   * icp_check_resend (§4.3): for each block whose bit is set in the ICP's resend map (bit
   * cleared first), re-deliver every source of the block marked resend, in index order
   * (ics_check_resend). The block's resend set is read afresh after each delivery, so a
   * source marked during the scan is visited exactly when KVM's loop over all 1024 sources
   * would reach it; the work is the number of sources marked, not the block size.
   */
  checkResend(icp: Icp): void {
    this.counters.resendScans++;
    if (this.tracer.enabled) emit(this.tracer, "xics.icp.resend", { server: icp.serverNum });
    const ics = this.ics;
    const map = icp.resendMap;
    for (let icsid = 0; icsid <= ics.maxIcsId; icsid++) {
      if ((icsid & 31) === 0 && map[icsid >>> 5] === 0) {
        icsid += 31;
        continue;
      }
      if (!icp.takeResend(icsid)) continue;
      const b = ics.blocks[icsid];
      if (b === null) continue;
      for (let i = b.nextResend(0); i >= 0; i = b.nextResend(i + 1)) {
        this.counters.resendVisits++;
        this.counters.resent++;
        this.deliver(icp, b.number(i), true);
      }
    }
  }

  /** icp_down_cppr (§4.4) then the resend scan it may request. */
  downCppr(icp: Icp, cppr: number): void {
    const resend = icpDownCppr(icp, cppr, icp);
    icp.commit(true);
    if (resend) this.checkResend(icp);
  }

  // ---------------------------------------------------------------- hypercalls

  /** H_XIRR (§6.2): r4 = (old CPPR << 24) | XISR. */
  hXirr(icp: Icp): number {
    icp.dequeueEe();
    if (this.quirks.acceptEmptySetsCppr && icp.xisr === 0) {
      // Quirk: QEMU's icp_accept takes the pending priority (0xFF) as CPPR even when empty.
      icp.vcpu.hret[0] = icp.xirr;
      icp.cppr = icp.pendingPri;
      icp.pendingPri = MASKED;
      this.counters.spuriousAccepts++;
      return H_SUCCESS;
    }
    const had = icp.xisr;
    const xirr = icpAccept(icp, icp);
    if (had !== 0) {
      icp.commit(true);
      this.counters.accepts++;
    } else this.counters.spuriousAccepts++;
    icp.vcpu.hret[0] = xirr;
    if (this.tracer.enabled) emit(this.tracer, "xics.icp.accept", { server: icp.serverNum, xirr });
    return H_SUCCESS;
  }

  /** H_XIRR_X (§6.3): as H_XIRR, plus r5 = the timebase (from the simulated clock, 512 MHz). */
  hXirrX(icp: Icp): number {
    const rc = this.hXirr(icp);
    icp.vcpu.hret[1] = Math.floor((this.vm.clock.now * TIMEBASE_HZ) / 1e9);
    return rc;
  }

  /** H_CPPR (§6.4): `c` is the 64-bit register (compared unsigned, stored as u8). */
  hCppr(icp: Icp, c: number): number {
    const q = this.quirks;
    if (q.hcallArgsU8) c &= 0xff;
    if (q.qemuResend) {
      qemuSetCppr(this, icp, u64Magnitude(c), c & 0xff, q.ipiYieldsAtEqualPriority);
      return H_SUCCESS;
    }
    const cu = u64Magnitude(c);
    const cur = icp.cppr;
    if (cu > cur) this.downCppr(icp, c & 0xff);
    else if (cu === cur) return H_SUCCESS;
    icp.dequeueEe();
    const reject = icpUpCppr(icp, c, icp);
    icp.commit(true);
    if (reject !== 0 && reject !== XICS_IPI) {
      this.counters.rejected++;
      if (this.tracer.enabled) emit(this.tracer, "xics.icp.reject", { server: icp.serverNum, irq: reject });
      this.deliver(icp, reject, false);
    }
    return H_SUCCESS;
  }

  /** H_EOI (§6.5): XIRR = CPPR (bits 24..31) | source (bits 0..23). */
  hEoi(icp: Icp, xirr: number): number {
    this.counters.eois++;
    if (this.tracer.enabled) emit(this.tracer, "xics.icp.eoi", { server: icp.serverNum, xirr: xirr >>> 0 });
    const q = this.quirks;
    if (q.eoiSetsCpprOnly) {
      // Quirk: QEMU's icp_eoi only stores the CPPR.
      icp.cppr = (xirr >>> 24) & 0xff;
      icp.outEe = icp.xisr !== 0 && icp.pendingPri < icp.cppr ? 1 : 0;
    } else if (q.qemuResend) {
      icpDownCppr(icp, (xirr >>> 24) & 0xff, icp);
      icp.commit(true);
    } else this.downCppr(icp, (xirr >>> 24) & 0xff);
    const irq = xirr & 0xffffff;
    const rc = irq === XICS_IPI ? H_SUCCESS : this.icsEoi(icp, irq);
    if (q.qemuResend && icp.xisr === 0) qemuIcpResend(this, icp, q.ipiYieldsAtEqualPriority);
    return rc;
  }

  /** ics_eoi: MSI P/Q shifts, a remaining P re-delivers, then the ack notifiers run. */
  private icsEoi(icp: Icp, irq: number): number {
    const b = this.ics.find(irq);
    if (b === null) {
      if (this.quirks.eoiWithoutSource) return H_SUCCESS;
      this.guestError(`H_EOI for source 0x${irq.toString(16)}: no ICS block`);
      return H_PARAMETER;
    }
    const i = irq & KVMPPC_XICS_SRC_MASK;
    if (this.quirks.lsiAssertedSent && b.flags[i] & SRC_LSI) qemuEoiLsi(this, irq);
    else {
      const pq = pqEoi(b.pq[i], (b.flags[i] & SRC_LSI) !== 0);
      b.pq[i] = pq;
      if (pq & PQ_PRESENTED) this.deliver(icp, irq, false);
    }
    this.counters.acks++;
    if (this.chip !== null) this.acks.notify(this.chip, irq);
    return H_SUCCESS;
  }

  /** H_IPI (§6.6): r4 = server, r5 = MFRR (64-bit register, compared unsigned). */
  hIpi(icp: Icp, server: number, mfrr: number): number {
    const q = this.quirks;
    if (q.hcallArgsU8) mfrr &= 0xff;
    const local = icp.serverNum === u64Magnitude(server);
    const target = local ? icp : this.findServer(server);
    if (target === null) {
      this.guestError(`H_IPI to unknown server ${u64Magnitude(server)}`);
      return H_PARAMETER;
    }
    this.counters.ipis++;
    if (this.tracer.enabled) emit(this.tracer, "xics.icp.ipi", { server: target.serverNum, mfrr: mfrr & 0xff });
    if (q.qemuResend) {
      qemuSetMfrr(this, target, u64Magnitude(mfrr), mfrr & 0xff, q.ipiYieldsAtEqualPriority);
      return H_SUCCESS;
    }
    const r = icpSetMfrr(target, mfrr, target);
    target.commit(local);
    const reject = r & 0xffffff;
    if (reject !== 0 && reject !== XICS_IPI) {
      this.counters.rejected++;
      if (this.tracer.enabled) emit(this.tracer, "xics.icp.reject", { server: target.serverNum, irq: reject });
      this.deliver(target, reject, false);
    }
    if (r >= SET_MFRR_RESEND) this.checkResend(target);
    return H_SUCCESS;
  }

  /** H_IPOLL (§6.7): r4 = (CPPR << 24) | XISR, r5 = MFRR of `server`; no state change. */
  hIpoll(icp: Icp, server: number): number {
    const target = icp.serverNum === u64Magnitude(server) ? icp : this.findServer(server);
    if (target === null) {
      this.guestError(`H_IPOLL of unknown server ${u64Magnitude(server)}`);
      return H_PARAMETER;
    }
    icp.vcpu.hret[0] = target.xirr;
    icp.vcpu.hret[1] = target.mfrr;
    return H_SUCCESS;
  }

  // ---------------------------------------------------------------- RTAS semantics

  /** write_xive: returns whether the caller must deliver (masked-pending / resend cleared). */
  private writeXive(b: IcsBlock, i: number, server: number, priority: number, saved: number): boolean {
    b.server[i] = server;
    b.priority[i] = priority;
    b.savedPriority[i] = saved;
    const f = b.flags[i];
    if (this.quirks.lsiAssertedSent && f & SRC_LSI) {
      // Quirk: write_xive_lsi is resend_lsi.
      qemuResendLsi(this, b.number(i));
      return false;
    }
    // Quirk qemuResend: unmasking resends a masked-pending source only (write_xive_msi).
    const bits = this.quirks.qemuResend ? SRC_MASKED_PENDING : SRC_MASKED_PENDING | SRC_RESEND;
    if (f & bits && priority !== MASKED) {
      b.setFlags(i, f & ~bits);
      return true;
    }
    return false;
  }

  /** kvmppc_xics_set_xive: 0, or -EINVAL (block missing, or `server` has no ICP). */
  setXive(irq: number, server: number, priority: number): number {
    if (this.quirks.setXivePriorityChecked && priority >>> 0 > 0xff) return -Errno.EINVAL;
    const b = this.rtasBlock(irq);
    if (b === null) return -Errno.EINVAL;
    const icp = this.findServer(server);
    if (icp === null) return -Errno.EINVAL;
    if (this.writeXive(b, irq & KVMPPC_XICS_SRC_MASK, server >>> 0, priority >>> 0, priority >>> 0)) {
      this.deliver(icp, irq >>> 0, false);
    }
    return 0;
  }

  /** kvmppc_xics_get_xive: server and current priority, or null (block missing). */
  getXive(irq: number): Xive | null {
    const b = this.rtasBlock(irq);
    if (b === null) return null;
    const i = irq & KVMPPC_XICS_SRC_MASK;
    return { server: b.server[i], priority: b.priority[i] };
  }

  /** kvmppc_xics_int_off: priority 0xFF, the current priority saved. 0 or -EINVAL. */
  intOff(irq: number): number {
    const b = this.rtasBlock(irq);
    if (b === null) return -Errno.EINVAL;
    const i = irq & KVMPPC_XICS_SRC_MASK;
    this.writeXive(b, i, b.server[i], MASKED, b.priority[i]);
    return 0;
  }

  /** kvmppc_xics_int_on: the saved priority back; -EINVAL if the block or the ICP is missing. */
  /**
   * The block an RTAS call acts on. Quirk icsRange: any number of QEMU's ICS range
   * 0x1000-0x1FFF is a source (created on first use: MSI, server 0, masked).
   */
  private rtasBlock(irq: number): IcsBlock | null {
    const b = this.ics.find(irq);
    const n = irq >>> 0;
    if (!this.quirks.icsRange || n < 0x1000 || n > 0x1fff) return b;
    const blk = b ?? this.ics.create(n);
    const i = n & KVMPPC_XICS_SRC_MASK;
    if (!(blk.flags[i] & SRC_EXISTS)) {
      blk.setFlags(i, SRC_EXISTS);
      blk.server[i] = 0;
      blk.priority[i] = MASKED;
      blk.savedPriority[i] = MASKED;
      blk.pq[i] = 0;
    }
    return blk;
  }

  intOn(irq: number): number {
    const b = this.rtasBlock(irq);
    if (b === null) return -Errno.EINVAL;
    const i = irq & KVMPPC_XICS_SRC_MASK;
    const icp = this.findServer(b.server[i]);
    if (icp === null) return -Errno.EINVAL;
    const saved = b.savedPriority[i];
    if (this.writeXive(b, i, b.server[i], saved, saved)) this.deliver(icp, irq >>> 0, false);
    return 0;
  }

  // ---------------------------------------------------------------- source attribute

  /**
   * xics_set_source (§8.1): ENOENT out of range, allocate the block (before the word is
   * read, as KVM does), EFAULT, EINVAL for an unmasked priority to an unknown server; then
   * install the word and, when PENDING, attempt delivery.
   */
  setSource(attr: bigint, addr: UserPtr): void {
    const irqLong = BigInt.asIntN(64, attr);
    if (irqLong < BigInt(KVMPPC_XICS_FIRST_IRQ) || irqLong >= BigInt(KVMPPC_XICS_NR_IRQS)) {
      fail(Errno.ENOENT, `XICS source ${irqLong}: outside ${KVMPPC_XICS_FIRST_IRQ}..${KVMPPC_XICS_NR_IRQS - 1}`);
    }
    const irq = Number(irqLong);
    const b = this.ics.create(irq);
    const word = new UapiView(addr, 8, this.vm.endian, `XICS source 0x${irq.toString(16)} word`).u64(0);
    const w = decodeSourceWord(word);
    if (w.priority !== MASKED && this.findServer(w.server) === null) {
      fail(Errno.EINVAL, `XICS source 0x${irq.toString(16)}: server ${w.server} has no ICP (priority 0x${w.priority.toString(16)})`);
    }
    const i = irq & KVMPPC_XICS_SRC_MASK;
    b.server[i] = w.server;
    b.savedPriority[i] = w.priority;
    b.priority[i] = w.masked ? MASKED : w.priority;
    b.setFlags(i, SRC_EXISTS | (w.levelSensitive ? SRC_LSI : 0));
    b.pq[i] = (w.presented || w.pending ? PQ_PRESENTED : 0) | (w.queued ? PQ_QUEUED : 0);
    if (w.pending) this.deliver(null, irq, false);
  }

  /** xics_get_source (§8.1): the word of an existing source; ENOENT otherwise, then EFAULT. */
  getSource(attr: bigint, addr: UserPtr): void {
    const irq = Number(attr & 0xffffffffn);
    const word = this.sourceWord(irq);
    if (word === null) fail(Errno.ENOENT, `XICS source 0x${irq.toString(16)} does not exist`);
    new UapiView(addr, 8, this.vm.endian, `XICS source 0x${irq.toString(16)} word`).setU64(0, word);
  }

  /** The source word KVM reports for `irq`, or null when it does not exist. */
  sourceWord(irq: number): bigint | null {
    const b = this.ics.find(irq);
    if (b === null) return null;
    const i = irq & KVMPPC_XICS_SRC_MASK;
    const f = b.flags[i];
    if (!(f & SRC_EXISTS)) return null;
    const prio = b.priority[i];
    const masked = prio === MASKED;
    const lsi = (f & SRC_LSI) !== 0;
    const p = (b.pq[i] & PQ_PRESENTED) !== 0;
    return encodeSourceWord({
      server: b.server[i],
      priority: masked ? b.savedPriority[i] : prio,
      masked,
      levelSensitive: lsi,
      pending: lsi ? (this.quirks.lsiAssertedSent ? qemuLsiPending(b.pq[i], f) : p) : (f & (SRC_MASKED_PENDING | SRC_RESEND)) !== 0,
      presented: p,
      queued: (b.pq[i] & PQ_QUEUED) !== 0,
    });
  }

  // ---------------------------------------------------------------- ONE_REG

  /** kvmppc_xics_get_icp. */
  getIcpWord(icp: Icp): bigint {
    return encodeIcpStateWord(icp);
  }

  /** kvmppc_xics_set_icp (§9): EINVAL on an inconsistent word, else install + resend. */
  setIcpWord(icp: Icp, word: bigint): void {
    const w = decodeIcpStateWord(word);
    const chk = checkIcpStateWord(w, (x) => this.ics.find(x) !== null);
    if (chk.errno !== 0) fail(chk.errno, `KVM_REG_PPC_ICP_STATE 0x${BigInt.asUintN(64, word).toString(16)}: ${"reason" in chk ? chk.reason : ""}`);
    icp.dequeueEe();
    const resend = icpInstall(icp, w, icp);
    icp.commit(false);
    if (resend) this.checkResend(icp);
  }

  // ---------------------------------------------------------------- misc

  /** Guest mistakes answered with a status: counted and reported on the guest-error channel. */
  guestError(message: string): void {
    this.counters.guestErrors++;
    this.tracer.guestError("xics", message);
  }
}

