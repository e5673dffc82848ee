/**
 * The four RTAS calls on XICS-on-XIVE (book3s_rtas.c, xics_on_xive() branch): the same
 * argument checks and status mapping as pure XICS (wrong nargs/nret, or any error from the
 * kernel function -> -3 in rets[0]), with kvmppc_xive_set_xive / get_xive / int_off / int_on
 * behind them (xics-on-xive.md §4.3). Registered by name in the VM's RTAS table.
 */
import { Errno, type RtasTable } from "@irqlab/core";
import { RTAS_IBM_GET_XIVE, RTAS_IBM_INT_OFF, RTAS_IBM_INT_ON, RTAS_IBM_SET_XIVE, RTAS_PARAMETER_ERROR, RTAS_SUCCESS } from "@irqlab/xics";
import type { XicsOnXive } from "./xics-on-xive.js";

type Call = (x: XicsOnXive | null, args: ArrayLike<number>, rets: number[]) => void;

function counts(x: XicsOnXive | null, name: string, args: ArrayLike<number>, rets: number[], nargs: number, nret: number): boolean {
  if (args.length === nargs && rets.length === nret) return true;
  rets[0] = RTAS_PARAMETER_ERROR;
  x?.guestError(`${name}: nargs ${args.length} nret ${rets.length} (${nargs}/${nret} expected)`);
  return false;
}

function status(x: XicsOnXive | null, name: string, rc: number, irq: number): number {
  if (rc === 0) return RTAS_SUCCESS;
  x?.guestError(`${name}: irq 0x${irq.toString(16)}: errno ${-rc}`);
  return RTAS_PARAMETER_ERROR;
}

const setXive: Call = (x, args, rets) => {
  if (!counts(x, RTAS_IBM_SET_XIVE, args, rets, 3, 1)) return;
  const irq = args[0] >>> 0;
  const rc = x === null ? -Errno.ENODEV : x.setXive(irq, args[1] >>> 0, args[2] >>> 0);
  rets[0] = status(x, RTAS_IBM_SET_XIVE, rc, irq);
};

const getXive: Call = (x, args, rets) => {
  if (!counts(x, RTAS_IBM_GET_XIVE, args, rets, 1, 3)) return;
  const irq = args[0] >>> 0;
  const r = x === null ? -Errno.ENODEV : x.getXive(irq);
  if (typeof r === "number") {
    rets[0] = status(x, RTAS_IBM_GET_XIVE, r, irq);
    return;
  }
  rets[1] = r.server;
  rets[2] = r.priority;
  rets[0] = RTAS_SUCCESS;
};

const intOff: Call = (x, args, rets) => {
  if (!counts(x, RTAS_IBM_INT_OFF, args, rets, 1, 1)) return;
  const irq = args[0] >>> 0;
  rets[0] = status(x, RTAS_IBM_INT_OFF, x === null ? -Errno.ENODEV : x.intOff(irq), irq);
};

const intOn: Call = (x, args, rets) => {
  if (!counts(x, RTAS_IBM_INT_ON, args, rets, 1, 1)) return;
  const irq = args[0] >>> 0;
  rets[0] = status(x, RTAS_IBM_INT_ON, x === null ? -Errno.ENODEV : x.intOn(irq), irq);
};

export const XOX_RTAS_HANDLERS: ReadonlyMap<string, Call> = new Map([
  [RTAS_IBM_SET_XIVE, setXive],
  [RTAS_IBM_GET_XIVE, getXive],
  [RTAS_IBM_INT_OFF, intOff],
  [RTAS_IBM_INT_ON, intOn],
]);

/** Registers the four calls for `x`; returns the function that unregisters them. */
export function registerXoxRtas(table: RtasTable, x: XicsOnXive): () => void {
  const done: string[] = [];
  const undo = () => {
    for (const n of done.splice(0)) table.unregister(n);
  };
  try {
    for (const [name, call] of XOX_RTAS_HANDLERS) {
      table.register(name, (_vcpu, args, rets) => call(x.alive ? x : null, args, rets));
      done.push(name);
    }
  } catch (e) {
    undo();
    throw e;
  }
  return undo;
}
