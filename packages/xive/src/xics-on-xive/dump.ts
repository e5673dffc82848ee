/** `dumpState()` of the XICS-on-XIVE device, in words (like QEMU's `info pic`). */
import { formatPq } from "../esb.js";
import { MASKED, XIVE_BLOCK_SIZE } from "../constants.js";
import { SRC_ASSERTED, SRC_LSI, SRC_VALID } from "../source-blocks.js";
import type { XicsOnXive } from "./xics-on-xive.js";
import { X_OLD_P, X_OLD_Q } from "./xox-state.js";

const hex = (n: number) => `0x${n.toString(16)}`;

export function dumpXoxState(x: XicsOnXive): string {
  const out: string[] = [];
  out.push(`XICS-on-XIVE: ${x.alive ? "alive" : "released"}, ${x.sources.count} sources in ${x.sources.allocated} blocks, qmap ${hex(x.qmap)}, nr_servers ${x.nrServers}`);
  for (const xv of x.xvcpus()) {
    const qs: string[] = [];
    for (let p = 0; p < 8; p++) {
      if (xv.queues.configured[p]) qs.push(`q${p}[r ${xv.queues.readIdx[p]}/${xv.queues.readToggle[p]} w ${xv.queues.index[p]}/${xv.queues.toggle[p]} count ${xv.queues.count[p]}]`);
    }
    out.push(
      `  server ${xv.server} vp ${hex(xv.vpId)}: CPPR ${hex(xv.cppr)} HW CPPR ${hex(xv.hwCppr)} MFRR ${hex(xv.mfrr)} pending ${hex(xv.pending)} IPI ${formatPq(xv.ipiPq)}` +
        ` IPB ${hex(xv.regs[0x12])} PIPR ${hex(xv.regs[0x17])}${xv.vcpu.ext.asserted ? " line UP" : ""}${qs.length ? " " + qs.join(" ") : ""}`,
    );
  }
  for (const b of x.sources.blocks) {
    if (b === null) continue;
    for (let i = 0; i < XIVE_BLOCK_SIZE; i++) {
      const f = b.flags[i];
      if (!(f & SRC_VALID)) continue;
      const pt = b.pt[i];
      const target = b.actPriority[i] === MASKED ? "untargeted" : `server ${b.actServer[i]} prio ${b.actPriority[i]}`;
      out.push(
        `  ${hex(b.number(i))} ${f & SRC_LSI ? "LSI" : "MSI"}${f & SRC_ASSERTED ? " asserted" : ""} guest prio ${hex(b.guestPriority[i])}` +
          ` saved ${hex(b.savedPriority[i])} ${target} IPI ${formatPq(b.pq[i])}` +
          (pt ? ` PT hw ${pt.hwIrq} ${formatPq(pt.pq)}` : "") +
          (b.xflags[i] & (X_OLD_P | X_OLD_Q) ? ` old ${b.xflags[i] & X_OLD_P ? "P" : ""}${b.xflags[i] & X_OLD_Q ? "Q" : ""}` : ""),
      );
    }
  }
  return out.join("\n");
}
