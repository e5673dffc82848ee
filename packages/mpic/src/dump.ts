/** dumpState(): the MPIC in words, like QEMU's `info pic` (global, per CPU, non-idle sources). */
import { IRQ_IPI0, IVPR_ACTIVITY, IVPR_RESET, IVPR_POLARITY, MAX_CPU, MAX_IRQ, MAX_MSI, MAX_TMR, NUM_EXTERNAL, MAX_SRC } from "./constants.js";
import type { MpicDevice } from "./device.js";
import { hex8 } from "./openpic.js";

function resetIvpr(n: number): number {
  return n >= NUM_EXTERNAL && n < MAX_SRC ? (IVPR_RESET | IVPR_POLARITY) >>> 0 : IVPR_RESET;
}

export function dumpMpic(dev: MpicDevice): string {
  const p = dev.pic;
  const lines: string[] = [];
  lines.push(
    `MPIC v${dev.model.version} (kvm-mpic, type ${dev.model.type}) base 0x${dev.baseAddress.toString(16)}` +
      `${dev.mapped ? " mapped" : " unmapped"}, nb_cpus ${p.nbCpus}`,
  );
  lines.push(
    `  GCR 0x${hex8(p.gcr)} FRR 0x${hex8(p.readFrr())} SPVR 0x${p.spve.toString(16)} TFRR 0x${hex8(p.tfrr)}` +
      `${p.proxyMode ? " (proxy mode)" : ""}`,
  );
  for (let c = 0; c < MAX_CPU; c++) {
    const v = p.vcpus[c];
    const raised = p.raised.members(c);
    const serv = p.servicing.members(c);
    if (!v && raised.length === 0 && serv.length === 0 && p.ctpr[c] === 15) continue;
    const fmt = (xs: number[]) => `{${xs.map((s) => `${s}:p${p.priorityOf(s)}`).join(", ")}}`;
    lines.push(
      `  CPU ${c}: ${v ? `vCPU ${v.id}, INT ${v.ext.asserted ? "asserted" : "low"}` : "no vCPU"}, CTPR ${p.ctpr[c]}, ` +
        `raised ${fmt(raised)} (next ${p.raised.next[c]}, prio ${p.raised.priority[c]}), ` +
        `servicing ${fmt(serv)} (next ${p.servicing.next[c]}, prio ${p.servicing.priority[c]})`,
    );
  }
  for (let s = 0; s < MAX_IRQ; s++) {
    const idle = (p.ivpr[s] & ~IVPR_ACTIVITY) >>> 0 === resetIvpr(s) && (p.ivpr[s] & IVPR_ACTIVITY) === 0 && p.pending[s] === 0;
    if (idle && (s < IRQ_IPI0 || p.destmask[s] === (p.nbCpus > 0 ? 1 : 0))) continue;
    lines.push(`  ${p.describeSource(s)}`);
  }
  const msis: string[] = [];
  for (let b = 0; b < MAX_MSI; b++) if (p.msir[b] !== 0) msis.push(`MSIR${b} 0x${hex8(p.msir[b])}`);
  if (msis.length) lines.push(`  ${msis.join(" ")}`);
  const timers: string[] = [];
  for (let t = 0; t < MAX_TMR; t++) timers.push(`GT${t} ccr 0x${hex8(p.tccr[t])} bcr 0x${hex8(p.tbcr[t])}`);
  lines.push(`  ${timers.join(", ")}`);
  return lines.join("\n");
}
