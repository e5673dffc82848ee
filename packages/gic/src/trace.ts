/** The package's trace event catalogue (sent to the VM's tracer; free when tracing is off). */
import { traceEvents } from "@irqlab/core";

export interface GicEvents extends Record<string, Record<string, unknown>> {
  /** ICC_IAR<grp>_EL1 acknowledged `intid` (1023: spurious). */
  "gic.cpu.ack": { vcpu: number; intid: number; group: number };
  /** ICC_EOIR / ICC_DIR deactivated `intid`. */
  "gic.cpu.deactivate": { vcpu: number; intid: number };
  /** An ITS command ran (`error` 0 or the ITS error code of spec §10.4). */
  "gic.its.command": { opcode: number; error: number };
  /** An MSI was translated to an LPI (result 1) or dropped (0). */
  "gic.its.translate": { devid: number; event: number; result: number };
}

export const emit = traceEvents<GicEvents>();
