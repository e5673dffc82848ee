/**
 * The ESB (Event State Buffer) of one source: two bits P ("an event was forwarded and not
 * yet EOI'd") and Q ("another event arrived meanwhile"), as pure transition functions
 * (QEMU hw/intc/xive.c xive_esb_trigger / xive_esb_eoi; XIVE hardware in KVM).
 *
 *   state | trigger        | EOI
 *   00    | 10, notify     | 00
 *   10    | 11             | 00
 *   11    | 11             | 10, notify
 *   01    | 01 (dropped)   | 01
 *
 * Results are packed in one small integer (no allocation on the hot path):
 * bits 0..1 new PQ, bit 2 notify, bits 8..15 the value a load returns.
 */
import {
  PQ_OFF,
  PQ_PENDING,
  PQ_QUEUED,
  PQ_RESET,
  XIVE_ESB_VAL_Q,
} from "./constants.js";

/** Bit set in a transition result when the event must be forwarded to the router. */
export const ESB_NOTIFY = 0x4;
/** Mask of the new PQ in a transition result. */
export const ESB_PQ_MASK = 0x3;
/** Shift of the load value in an `esbManagementLoad` result. */
export const ESB_VALUE_SHIFT = 8;

/** A trigger (device event, trigger-page store, kvm_set_irq). */
export function esbTrigger(pq: number): number {
  switch (pq & 3) {
    case PQ_RESET:
      return PQ_PENDING | ESB_NOTIFY;
    case PQ_PENDING:
      return PQ_QUEUED;
    case PQ_QUEUED:
      return PQ_QUEUED;
    default:
      return PQ_OFF;
  }
}

/** An EOI (load-EOI on the management page). */
export function esbEoi(pq: number): number {
  switch (pq & 3) {
    case PQ_RESET:
      return PQ_RESET;
    case PQ_PENDING:
      return PQ_RESET;
    case PQ_QUEUED:
      return PQ_PENDING | ESB_NOTIFY;
    default:
      return PQ_OFF;
  }
}

/** The operation a management-page load at `offset` performs (offset within the 4 KiB ESB window). */
export type EsbLoadOp = "eoi" | "get" | "set-pq";

export function esbLoadOp(offset: number): EsbLoadOp {
  const o = offset & 0xfff;
  if (o < 0x800) return "eoi";
  if (o < 0xc00) return "get";
  return "set-pq";
}

/**
 * A load on the management page: returns `value << 8 | newPq | notify`.
 * 0x000-0x7FF load-EOI (value 1 when the EOI re-forwarded the event, else 0),
 * 0x800-0xBFF GET (old PQ, unchanged), 0xC00/0xD00/0xE00/0xF00 (+0x00..0xFF, so
 * XIVE_ESB_LD_ST_MO is harmless) SET_PQ_00/01/10/11 (old PQ, set new, never notifies).
 */
export function esbManagementLoad(offset: number, pq: number): number {
  const o = offset & 0xfff;
  if (o < 0x800) {
    const r = esbEoi(pq);
    return (((r & ESB_NOTIFY) !== 0 ? 1 : 0) << ESB_VALUE_SHIFT) | r;
  }
  if (o < 0xc00) return ((pq & 3) << ESB_VALUE_SHIFT) | (pq & 3);
  return ((pq & 3) << ESB_VALUE_SHIFT) | ((o >> 8) & 3);
}

/** The operation a management-page store at `offset` performs. */
export type EsbStoreOp = "trigger" | "store-eoi" | "inject" | "set-pq";

export function esbStoreOp(offset: number): EsbStoreOp {
  const o = offset & 0xfff;
  if (o < 0x400) return "trigger";
  if (o < 0x800) return "store-eoi";
  if (o < 0xc00) return "inject";
  return "set-pq";
}

/** PQ after a management-page SET_PQ store at `offset` (0xC00..0xFFF). */
export function esbSetPqOf(offset: number): number {
  return ((offset & 0xfff) >> 8) & 3;
}

/** Whether a returned PQ value has Q set (Linux re-triggers on it after SET_PQ_00). */
export function esbHasQ(value: number): boolean {
  return (value & XIVE_ESB_VAL_Q) !== 0;
}

/** "00", "10", "11", "01" for messages and dumps. */
export function formatPq(pq: number): string {
  return `${(pq >> 1) & 1}${pq & 1}`;
}
