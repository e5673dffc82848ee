/**
 * QEMU 7.2's presentation and resend algorithms (hw/intc/xics.c), selected by the XICS
 * quirks (quirks.ts) instead of KVM's: one XISR slot per ICP, rejected sources remembered in
 * the ICS (SRC_RESEND stands for QEMU's XICS_STATUS_REJECTED) and resent, each to its own
 * server, whenever an ICP relaxes its CPPR or EOIs with nothing pending. The EE line is
 * raised and lowered exactly where QEMU raises and lowers the ICP output.
 */
import { KVMPPC_XICS_IRQ_PER_ICS, KVMPPC_XICS_SRC_MASK, MASKED, XICS_IPI } from "./constants.js";
import type { Icp } from "./icp.js";
import { SRC_LSI, SRC_MASKED_PENDING, SRC_RESEND } from "./ics.js";
import { PQ_PRESENTED, PQ_QUEUED } from "./constants.js";
import type { Xics } from "./xics.js";

function recomputeEe(icp: Icp): void {
  icp.outEe = icp.xisr !== 0 && icp.pendingPri < icp.cppr ? 1 : 0;
}

/**
 * With quirk lsiAssertedSent an LSI's P/Q bits hold QEMU's SENT (P) and ASSERTED (Q) status
 * bits (QEMU never marks an LSI REJECTED: a reject only clears SENT).
 */
const SENT = PQ_PRESENTED;
const ASSERTED = PQ_QUEUED & ~PQ_PRESENTED;

/** ics_reject: mark the source rejected (resent by the next ICS resend); an LSI is no longer SENT. */
export function qemuReject(x: Xics, irq: number): void {
  const b = x.ics.find(irq);
  if (b === null) return;
  const i = irq & KVMPPC_XICS_SRC_MASK;
  // An LSI is only no longer SENT (resend_lsi re-presents it while asserted); an MSI is REJECTED.
  if (x.quirks.lsiAssertedSent && b.flags[i] & SRC_LSI) b.pq[i] &= ~SENT;
  else b.setFlags(i, b.flags[i] | SRC_RESEND);
  x.counters.rejected++;
}

/** set_irq_lsi: the input level, then resend_lsi. */
export function qemuSetLsi(x: Xics, irq: number, level: number): void {
  const b = x.ics.find(irq);
  if (b === null) return;
  const i = irq & KVMPPC_XICS_SRC_MASK;
  if (level !== 0) b.pq[i] |= ASSERTED;
  else b.pq[i] &= ~ASSERTED;
  qemuResendLsi(x, irq);
}

/** resend_lsi: present an asserted, unmasked LSI that is not SENT yet. */
export function qemuResendLsi(x: Xics, irq: number): void {
  const b = x.ics.find(irq);
  if (b === null) return;
  const i = irq & KVMPPC_XICS_SRC_MASK;
  if (b.priority[i] !== MASKED && b.pq[i] & ASSERTED && !(b.pq[i] & SENT)) {
    b.pq[i] |= SENT;
    qemuIcpIrq(x, b.server[i], irq, b.priority[i]);
  }
}

/** ics_eoi of an LSI: SENT cleared (the resend that follows an empty XISR re-presents it). */
export function qemuEoiLsi(x: Xics, irq: number): void {
  const b = x.ics.find(irq);
  if (b !== null) b.pq[irq & KVMPPC_XICS_SRC_MASK] &= ~SENT;
}

/** Whether QEMU's info pic would show the LSI pending (ASSERTED). */
export function qemuLsiPending(pq: number, flags: number): boolean {
  return (pq & ASSERTED) !== 0 || (flags & SRC_MASKED_PENDING) !== 0;
}

/** icp_irq: present `irq` at `prio` to `server`'s ICP, or reject it. */
export function qemuIcpIrq(x: Xics, server: number, irq: number, prio: number): void {
  const icp = x.findServer(server);
  if (icp === null) {
    x.counters.dropped++;
    return;
  }
  if (prio >= icp.cppr || (icp.xisr !== 0 && icp.pendingPri <= prio)) {
    x.counters.refused++;
    qemuReject(x, irq);
    return;
  }
  if (icp.xisr !== 0 && icp.xisr !== XICS_IPI) qemuReject(x, icp.xisr);
  icp.xisr = irq;
  icp.pendingPri = prio;
  recomputeEe(icp);
  x.counters.presented++;
  icp.vcpu.ext.set(true);
}

/** A source input or re-delivery in QEMU's ICS: masked -> MASKED_PENDING, else icp_irq. */
export function qemuDeliver(x: Xics, irq: number): void {
  const b = x.ics.find(irq);
  if (b === null) return;
  const i = irq & KVMPPC_XICS_SRC_MASK;
  const prio = b.priority[i];
  if (prio === MASKED) {
    b.flags[i] |= SRC_MASKED_PENDING;
    x.counters.maskedPending++;
    return;
  }
  qemuIcpIrq(x, b.server[i], irq, prio);
}

/**
 * icp_check_ipi: present the IPI unless something at least as favoured (`equalKeeps`,
 * QEMU) or strictly more favoured (KVM's comparison) is pending; a displaced source is rejected.
 */
export function qemuCheckIpi(x: Xics, icp: Icp, equalKeeps: boolean): void {
  if (icp.xisr !== 0 && (equalKeeps ? icp.pendingPri <= icp.mfrr : icp.pendingPri < icp.mfrr)) return;
  if (icp.xisr !== 0 && icp.xisr !== XICS_IPI) qemuReject(x, icp.xisr);
  icp.xisr = XICS_IPI;
  icp.pendingPri = icp.mfrr;
  recomputeEe(icp);
  icp.vcpu.ext.set(true);
}

/** ics_resend: every rejected source, in number order, to its own server (masked: dropped). */
export function qemuIcsResend(x: Xics): void {
  const ics = x.ics;
  const lsiQemu = x.quirks.lsiAssertedSent;
  x.counters.resendScans++;
  for (let id = 0; id <= ics.maxIcsId; id++) {
    const b = ics.blocks[id];
    if (b === null) continue;
    const flags = b.flags;
    for (let i = 0; i < KVMPPC_XICS_IRQ_PER_ICS; i++) {
      const f = flags[i];
      if (lsiQemu && f & SRC_LSI) {
        qemuResendLsi(x, b.number(i));
        continue;
      }
      if (!(f & SRC_RESEND)) continue;
      b.setFlags(i, f & ~SRC_RESEND);
      x.counters.resent++;
      if (b.priority[i] !== MASKED) qemuIcpIrq(x, b.server[i], b.number(i), b.priority[i]);
    }
  }
}

/** icp_resend: the IPI check when MFRR beats CPPR, then the ICS resend. */
export function qemuIcpResend(x: Xics, icp: Icp, equalKeeps: boolean): void {
  if (icp.mfrr < icp.cppr) qemuCheckIpi(x, icp, equalKeeps);
  qemuIcsResend(x);
}

/** icp_set_cppr: `cmp` is the value compared, `stored` the byte kept. */
export function qemuSetCppr(x: Xics, icp: Icp, cmp: number, stored: number, equalKeeps: boolean): void {
  const old = icp.cppr;
  icp.cppr = stored;
  if (cmp < old) {
    if (icp.xisr !== 0 && cmp <= icp.pendingPri) {
      const oldXisr = icp.xisr;
      icp.xisr = 0;
      icp.pendingPri = MASKED;
      icp.vcpu.ext.set(false);
      if (oldXisr !== XICS_IPI) qemuReject(x, oldXisr);
    }
  } else if (icp.xisr === 0) {
    qemuIcpResend(x, icp, equalKeeps);
  }
  recomputeEe(icp);
}

/** icp_set_mfrr: store MFRR; check the IPI when it beats CPPR. No resend. */
export function qemuSetMfrr(x: Xics, icp: Icp, cmp: number, stored: number, equalKeeps: boolean): void {
  icp.mfrr = stored;
  if (cmp < icp.cppr) qemuCheckIpi(x, icp, equalKeeps);
  recomputeEe(icp);
}
