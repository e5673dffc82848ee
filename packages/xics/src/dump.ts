/**
 * `dumpState()`: the XICS in words, in the spirit of QEMU's `info pic` (and KVM's debugfs
 * "xics" file): one line per ICP, then every existing source and every slot of an
 * allocated block that differs from a fresh one.
 */
import { KVMPPC_XICS_IRQ_PER_ICS, MASKED, PQ_PRESENTED, PQ_QUEUED } from "./constants.js";
import { SRC_EXISTS, SRC_LSI, SRC_MASKED_PENDING, SRC_RESEND } from "./ics.js";
import type { Xics } from "./xics.js";

const hex = (n: number, w = 2) => "0x" + n.toString(16).padStart(w, "0");

export function dumpXicsState(xics: Xics): string {
  const lines: string[] = [];
  const icps = xics.icps();
  lines.push(`XICS: ${icps.length} ICP(s), ${xics.ics.allocated} ICS block(s)${xics.alive ? "" : " (released)"}`);
  for (const icp of icps) {
    lines.push(
      `  ICP server ${icp.serverNum} (vCPU ${icp.vcpu.id}): XIRR ${hex(icp.xirr >>> 0, 8)} CPPR ${hex(icp.cppr)} ` +
        `XISR ${hex(icp.xisr, 6)} PPRI ${hex(icp.pendingPri)} MFRR ${hex(icp.mfrr)} ` +
        `out_ee ${icp.outEe} need_resend ${icp.needResend} EE ${icp.vcpu.ext.asserted ? "raised" : "low"}`,
    );
  }
  for (const b of xics.ics.blocks) {
    if (b === null) continue;
    const first = b.number(0);
    lines.push(`  ICS block ${b.icsid} (${hex(first, 6)}..${hex(first + KVMPPC_XICS_IRQ_PER_ICS - 1, 6)})`);
    for (let i = 0; i < KVMPPC_XICS_IRQ_PER_ICS; i++) {
      const f = b.flags[i];
      const untouched = f === 0 && b.pq[i] === 0 && b.server[i] === 0 && b.priority[i] === MASKED && b.savedPriority[i] === MASKED;
      if (untouched) continue;
      const pq = b.pq[i];
      const status = [
        f & SRC_EXISTS ? "" : "not-created",
        pq & PQ_PRESENTED ? "P" : "",
        pq & PQ_QUEUED ? "Q" : "",
        f & SRC_RESEND ? "resend" : "",
        f & SRC_MASKED_PENDING ? "masked-pending" : "",
      ].filter(Boolean);
      const prio = b.priority[i] === MASKED ? `masked (saved ${hex(b.savedPriority[i])})` : hex(b.priority[i]);
      lines.push(
        `    ${hex(b.number(i), 6)} ${f & SRC_LSI ? "LSI" : "MSI"} server ${b.server[i]} priority ${prio}` +
          (status.length ? ` [${status.join(" ")}]` : ""),
      );
    }
  }
  return lines.join("\n");
}
