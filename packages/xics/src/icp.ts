/**
 * The interrupt presentation controller (ICP) of one vCPU (struct kvmppc_icp): the state
 * word fields (see icp-state.ts), the server number given at connect time, and the resend
 * map (one bit per ICS block holding sources this ICP refused).
 *
 * The vCPU's external-interrupt line (EE) follows KVM exactly: a committed state with
 * out_ee raises it (and kicks the vCPU when the change came from elsewhere); only H_XIRR,
 * the Up_CPPR step of H_CPPR and a ONE_REG set lower it, each followed by an update that
 * raises it again when still warranted.
 */
import type { Vcpu } from "@irqlab/core";
import { KVMPPC_XICS_MAX_ICS_ID, MASKED } from "./constants.js";
import type { IcpState } from "./icp-state.js";

export class Icp implements IcpState {
  cppr = 0;
  mfrr = MASKED;
  pendingPri = MASKED;
  xisr = 0;
  needResend = 0;
  outEe = 0;
  /** One bit per ICS block id (icp->resend_map). */
  readonly resendMap = new Uint32Array((KVMPPC_XICS_MAX_ICS_ID + 1) >>> 5);
  /** kvmppc_fast_vcpu_kick calls (updates made on behalf of another vCPU that raised EE). */
  kicks = 0;

  constructor(
    /** The owning XICS instance (identity check on every hypercall). */
    readonly owner: object,
    readonly vcpu: Vcpu,
    readonly serverNum: number,
  ) {}

  /**
   * icp_try_update's output step, after a transition wrote this object: raise EE if the new
   * state calls for it (never lower it); kick when `changeSelf` is false.
   */
  commit(changeSelf: boolean): void {
    if (this.outEe) {
      this.vcpu.ext.set(true);
      if (!changeSelf) this.kicks++;
    }
  }

  /** kvmppc_book3s_dequeue_irqprio(BOOK3S_INTERRUPT_EXTERNAL). */
  dequeueEe(): void {
    this.vcpu.ext.set(false);
  }

  markResend(icsid: number): void {
    this.resendMap[icsid >>> 5] |= 1 << (icsid & 31);
  }

  /** test_and_clear_bit on the resend map. */
  takeResend(icsid: number): boolean {
    const w = icsid >>> 5;
    const bit = 1 << (icsid & 31);
    const had = (this.resendMap[w] & bit) !== 0;
    if (had) this.resendMap[w] &= ~bit;
    return had;
  }

  /** XIRR as H_IPOLL reports it: (CPPR << 24) | XISR. */
  get xirr(): number {
    return this.cppr * 0x1000000 + this.xisr;
  }
}
