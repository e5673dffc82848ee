/**
 * `dumpState()`: the native XIVE in words, in the spirit of QEMU's `info pic` for XIVE:
 * one line per vCPU thread context (OS ring), its configured queues, then every valid source
 * (LISN, type, PQ, assertion, targeting).
 */
import { KVMPPC_XIVE_Q_COUNT, MASKED, TM_QW1_OS } from "./constants.js";
import { formatPq } from "./esb.js";
import { SRC_ASSERTED, SRC_LSI, SRC_PT } from "./source-blocks.js";
import type { XiveNative } from "./xive.js";

const hex = (n: number, w = 2) => n.toString(16).padStart(w, "0");

export function dumpXiveState(x: XiveNative): string {
  const lines: string[] = [];
  const vcpus = x.xvcpus();
  lines.push(
    `XIVE native: ${vcpus.length} vCPU(s), ${x.sources.count} source(s) in ${x.sources.allocated} block(s), ` +
      `nr_servers ${x.nrServers}${x.alive ? "" : " (released)"}`,
  );
  for (const xv of vcpus) {
    const r = xv.regs;
    const os = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => hex(r[TM_QW1_OS + k])).join(" ");
    lines.push(
      `  CPU[${hex(xv.server, 4)}] vCPU ${xv.vcpu.id} VP 0x${xv.vpId.toString(16)}: OS NSR CPPR IPB LSMFB ACK# INC AGE PIPR = ${os}` +
        ` line ${xv.vcpu.ext.asserted ? "raised" : "low"}${xv.dispatched ? "" : ` undispatched (NVT IPB ${hex(xv.nvtIpb)})`}`,
    );
    for (let p = 0; p < KVMPPC_XIVE_Q_COUNT; p++) {
      const q = xv.queues;
      if (!q.configured[p] && q.count[p] === 0) continue;
      lines.push(
        `    EQ prio ${p}: ${q.configured[p] ? `qaddr 0x${q.qaddr[p].toString(16)} qshift ${q.qshift[p]} toggle ${q.toggle[p]} index ${q.index[p]}` : "no queue"}` +
          ` targeted ${q.count[p]}`,
      );
    }
  }
  lines.push("  LISN     type PQ  target");
  for (const [b, i] of x.sources.each()) {
    const f = b.flags[i];
    const pq = f & SRC_PT ? b.ptPq[i] : b.pq[i];
    const target = b.actPriority[i] === MASKED ? "masked" : `server ${b.actServer[i]} prio ${b.actPriority[i]} eisn 0x${b.eisn[i].toString(16)}`;
    lines.push(
      `  ${hex(b.number(i), 8)} ${f & SRC_LSI ? "LSI" : "MSI"}  ${formatPq(pq)}${f & SRC_ASSERTED ? " asserted" : ""}${f & SRC_PT ? ` pt 0x${b.ptNumber[i].toString(16)}` : ""} ${target}`,
    );
  }
  return lines.join("\n");
}
