/**
 * The six XICS hypercalls in the VM's hcall table, and KVM's XICS dispatcher.
 *
 * Two levels, as in KVM:
 *  - the HV hcall switch (kvmppc_pseries_do_hcall): a vCPU not in XICS mode (no ICP of this
 *    device) does not reach XICS at all — the hcall exits to userspace, which irqlab's hcall
 *    table expresses as H_FUNCTION_UNHANDLED (nothing written to r4/r5);
 *  - kvmppc_xics_hcall, exported as `xicsHcall`: H_HARDWARE when the VM has no XICS or the
 *    vCPU no ICP, otherwise the hypercall.
 * Results go to vcpu.hret (r4 = hret[0], r5 = hret[1]); the status is returned.
 */
import { H_FUNCTION_UNHANDLED, type HcallHandler, type HcallTable, type Vcpu } from "@irqlab/core";
import { H_CPPR, H_EOI, H_HARDWARE, H_IPI, H_IPOLL, H_SUCCESS, H_XIRR, H_XIRR_X } from "./constants.js";
import type { Xics } from "./xics.js";

/** kvmppc_xics_hcall: `a0`, `a1` are r4, r5 (64-bit registers as JS numbers). */
export function xicsHcall(xics: Xics | null, vcpu: Vcpu, req: number, a0 = 0, a1 = 0): number {
  const icp = xics === null ? null : xics.icpOf(vcpu);
  if (xics === null || icp === null) return H_HARDWARE;
  switch (req) {
    case H_XIRR_X:
      return xics.hXirrX(icp);
    case H_IPOLL:
      return xics.hIpoll(icp, a0);
    case H_XIRR:
      return xics.hXirr(icp);
    case H_CPPR:
      return xics.hCppr(icp, a0);
    case H_EOI:
      return xics.hEoi(icp, a0);
    case H_IPI:
      return xics.hIpi(icp, a0, a1);
    default:
      return H_SUCCESS;
  }
}

/** Registers the six hypercalls for `xics`; returns the function that unregisters them. */
export function registerXicsHcalls(table: HcallTable, xics: Xics): () => void {
  const done: number[] = [];
  const unregister = () => {
    for (const op of done) table.unregister(op);
    done.length = 0;
  };
  const reg = (op: number, h: HcallHandler) => {
    table.register(op, h);
    done.push(op);
  };
  try {
    reg(H_XIRR, (vcpu) => {
      const icp = xics.icpOf(vcpu);
      return icp === null ? H_FUNCTION_UNHANDLED : xics.hXirr(icp);
    });
    reg(H_XIRR_X, (vcpu) => {
      const icp = xics.icpOf(vcpu);
      return icp === null ? H_FUNCTION_UNHANDLED : xics.hXirrX(icp);
    });
    reg(H_EOI, (vcpu, a0) => {
      const icp = xics.icpOf(vcpu);
      return icp === null ? H_FUNCTION_UNHANDLED : xics.hEoi(icp, a0);
    });
    reg(H_CPPR, (vcpu, a0) => {
      const icp = xics.icpOf(vcpu);
      return icp === null ? H_FUNCTION_UNHANDLED : xics.hCppr(icp, a0);
    });
    reg(H_IPI, (vcpu, a0, a1) => {
      const icp = xics.icpOf(vcpu);
      return icp === null ? H_FUNCTION_UNHANDLED : xics.hIpi(icp, a0, a1);
    });
    reg(H_IPOLL, (vcpu, a0) => {
      const icp = xics.icpOf(vcpu);
      return icp === null ? H_FUNCTION_UNHANDLED : xics.hIpoll(icp, a0);
    });
  } catch (e) {
    unregister();
    throw e;
  }
  return unregister;
}
