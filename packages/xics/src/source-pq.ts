/**
 * The P/Q state of an ICS source (pq_state, kernel-internal encoding P = 1, Q = 2 — the
 * reverse of XIVE's ESB bits) as pure transition functions.
 *
 *   trigger (ics_deliver_irq)                 EOI (ics_eoi)
 *   MSI:  00 -> P (present)                   MSI:  P|Q -> P (re-present), P -> 00
 *         P  -> P|Q (coalesced)               LSI:  unchanged (re-present while P)
 *         P|Q -> P|Q
 *   LSI:  level 1: 00 -> P (present), P -> unchanged
 *         level 0: any -> 00 (even while presented)
 */
import { KVM_INTERRUPT_SET, KVM_INTERRUPT_SET_LEVEL, KVM_INTERRUPT_UNSET, PQ_PRESENTED } from "./constants.js";

/** kvm_set_irq's level as ics_deliver_irq normalises it: -1U/-3U -> 1, -2U -> 0, else as is. */
export function normaliseLevel(level: number): number {
  const l = level >>> 0;
  if (l === KVM_INTERRUPT_SET_LEVEL || l === KVM_INTERRUPT_SET) return 1;
  if (l === KVM_INTERRUPT_UNSET) return 0;
  return l;
}

/** `pqTrigger` result: nothing changes (MSI level 0, or an LSI already at P). */
export const PQ_UNCHANGED = -1;

/**
 * The P/Q after an input of `level` (already normalised), or PQ_UNCHANGED. The caller
 * presents the interrupt exactly when the result is PQ_PRESENTED.
 */
export function pqTrigger(pq: number, lsi: boolean, level: number): number {
  if (lsi) {
    if (level === 0) return 0;
    return pq & PQ_PRESENTED ? PQ_UNCHANGED : PQ_PRESENTED;
  }
  if (level === 0) return PQ_UNCHANGED;
  return ((pq << 1) & 3) | PQ_PRESENTED;
}

/** The P/Q after an EOI; the caller re-delivers when the result has P. */
export function pqEoi(pq: number, lsi: boolean): number {
  return lsi ? pq : pq >> 1;
}
