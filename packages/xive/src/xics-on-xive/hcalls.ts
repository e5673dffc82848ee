/**
 * The six XICS hypercalls on XICS-on-XIVE and KVM's dispatcher (kvmppc_xive_xics_hcall):
 * a vCPU not in XICS mode gets H_TOO_HARD (the hcall goes to the generic path / userspace:
 * in the VM's hcall table that is H_FUNCTION_UNHANDLED, nothing written), H_XIRR, H_XIRR_X,
 * H_CPPR, H_EOI, H_IPI and H_IPOLL are handled, any other number is H_UNSUPPORTED (-67).
 */
import { H_FUNCTION_UNHANDLED, type HcallTable, type Vcpu } from "@irqlab/core";
import { H_CPPR, H_EOI, H_IPI, H_IPOLL, H_XIRR, H_XIRR_X } from "@irqlab/xics";
import { H_TOO_HARD, H_UNSUPPORTED, type XicsOnXive } from "./xics-on-xive.js";

/** kvmppc_xive_xics_hcall: `a0`, `a1` are r4, r5. */
export function xoxHcall(x: XicsOnXive | null, vcpu: Vcpu, req: number, a0 = 0, a1 = 0): number {
  const xv = x === null ? null : x.xvcpuOf(vcpu);
  if (x === null || xv === null) return H_TOO_HARD;
  switch (req) {
    case H_XIRR:
      return x.hXirr(xv);
    case H_CPPR:
      return x.hCppr(xv, a0);
    case H_EOI:
      return x.hEoi(xv, a0);
    case H_IPI:
      return x.hIpi(xv, a0, a1);
    case H_IPOLL:
      return x.hIpoll(xv, a0);
    case H_XIRR_X:
      return x.hXirrX(xv);
    default:
      return H_UNSUPPORTED;
  }
}

/** Registers the six hypercalls for `x`; returns the function that unregisters them. */
export function registerXoxHcalls(table: HcallTable, x: XicsOnXive): () => void {
  const ops = [H_XIRR, H_XIRR_X, H_EOI, H_CPPR, H_IPI, H_IPOLL];
  const done: number[] = [];
  const undo = () => {
    for (const op of done.splice(0)) table.unregister(op);
  };
  try {
    for (const op of ops) {
      table.register(op, (vcpu, a0, a1) => {
        const rc = xoxHcall(x, vcpu, op, a0, a1);
        return rc === H_TOO_HARD ? H_FUNCTION_UNHANDLED : rc;
      });
      done.push(op);
    }
  } catch (e) {
    undo();
    throw e;
  }
  return undo;
}
