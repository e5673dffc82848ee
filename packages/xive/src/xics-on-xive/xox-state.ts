/**
 * Per-source and per-vCPU state of the XICS-on-XIVE device (struct kvmppc_xive_irq_state,
 * struct kvmppc_xive_vcpu) over the shared XIVE building blocks: source blocks of 1024 in
 * typed arrays (`SourceBlock` extended with the XICS fields), the eight event queues of a
 * VP (`EventQueues`, here in host memory and read by KVM itself), and the VP's hardware
 * thread context (TIMA OS ring image, `tima.ts`).
 */
import type { Vcpu } from "@irqlab/core";
import { MASKED, PQ_OFF, XIVE_BLOCK_SIZE } from "../constants.js";
import { EventQueues } from "../event-queue.js";
import { SourceBlock } from "../source-blocks.js";
import { TCTX_SIZE, tctxInit } from "../tima.js";
import type { PassthroughEsb } from "./passthrough-esb.js";

/** Bits of `XoxSourceBlock.xflags`. */
export const X_OLD_P = 1;
export const X_OLD_Q = 2;
export const X_IN_QUEUE = 4;
export const X_SAVED_P = 8;
export const X_SAVED_Q = 16;
export const X_IN_EOI = 32;
/** The backing IPI was allocated (ipi_number != 0; kept for the life of the device). */
export const X_IPI = 64;

export class XoxSourceBlock extends SourceBlock {
  /** XICS priority set by the guest; 0xFF = masked. */
  readonly guestPriority = new Uint8Array(XIVE_BLOCK_SIZE).fill(MASKED);
  /** Priority int-on restores. */
  readonly savedPriority = new Uint8Array(XIVE_BLOCK_SIZE).fill(MASKED);
  /** Priority captured by the pre-save scan. */
  readonly savedScanPrio = new Uint8Array(XIVE_BLOCK_SIZE).fill(MASKED);
  readonly xflags = new Uint8Array(XIVE_BLOCK_SIZE);
  /** The passed-through interrupt of each source (pt_data), null when none. */
  readonly pt: (PassthroughEsb | null)[] = new Array<PassthroughEsb | null>(XIVE_BLOCK_SIZE).fill(null);
}

export class XoxVcpu {
  /** Hardware thread context image of the VP (OS ring at 0x10). */
  readonly regs = new Uint8Array(TCTX_SIZE);
  /** The eight queues (page = provisioned priority; no page = notification only). */
  readonly queues = new EventQueues();
  /** Guest CPPR (priority-mapped, except when restored by ONE_REG). */
  cppr = 0;
  /** Value last written to / read from the hardware OS CPPR. */
  hwCppr = 0;
  mfrr = 0xff;
  /** Bitmap 1 << p: queue p may hold entries (LSB-0, unlike the hardware IPB). */
  pending = 0;
  /** ESB of the vCPU's MFRR IPI (routed to own VP, priority 0, EISN 2). */
  ipiPq = PQ_OFF;
  /** Source number a ONE_REG restore could not trigger yet. */
  delayedIrq = 0;
  valid = true;
  /** Model flag: the context is pushed on a physical thread (inside KVM_RUN); ICP_STATE set is EIO. */
  pushed = false;
  /** The vcore's timebase offset (ticks), added by H_XIRR_X. */
  tbOffset = 0;
  /** Hypercall statistics (stat_vm_h_*). */
  readonly stats = { xirr: 0, ipoll: 0, cppr: 0, eoi: 0, ipi: 0 };

  constructor(
    readonly vcpu: Vcpu,
    readonly server: number,
    readonly vpId: number,
  ) {
    // Saved context 00 00 00 00 FF 00 00 00: hardware CPPR 0 until the guest opens it.
    tctxInit(this.regs, 0, vpId);
  }
}
