/**
 * Save/restore of the native XIVE through KVM's own interfaces, in the migration order of
 * xive.rst and QEMU (spapr_xive_kvm.c):
 *
 *   save (VM stopped):  1. mask every source by its ESB (SET_PQ_10 load, old PQ kept) unless
 *                          it is off (01)   2. KVM_DEV_XIVE_EQ_SYNC
 *                       3. EQ_CONFIG get of every (server, priority 0..6), VP_STATE of every
 *                          vCPU; source types and targeting are what userspace keeps
 *   restore (fresh VM): NR_SERVERS, connect vCPUs, 1. EQ_CONFIG of every valid END,
 *                       2. SOURCE then SOURCE_CONFIG of every source, 3. VP_STATE
 *   resume:             4. put each saved PQ back with a SET_PQ load; a saved 00 replacing
 *                          a live 11 is re-triggered (an event queued while stopped)
 *
 * The event queue pages are guest memory: they migrate with RAM (not in the snapshot).
 * Snapshots are plain versioned JSON (bigints as hex strings), sanity field `nrIrqs`.
 */
import { encodeU32, encodeU64, Errno, fail, type DeviceHandle, type Vm } from "@irqlab/core";
import { decodeXiveEq, encodeEqId, encodeSourceConfig, encodeSourceValue } from "./codecs.js";
import {
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_DEV_XIVE_EQ_SYNC,
  KVM_DEV_XIVE_GRP_CTRL,
  KVM_DEV_XIVE_GRP_EQ_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE,
  KVM_DEV_XIVE_GRP_SOURCE_CONFIG,
  KVM_DEV_XIVE_NR_SERVERS,
  KVM_REG_PPC_VP_STATE,
  KVMPPC_XIVE_NR_IRQS,
  KVM_XIVE_ESB_PAGE_OFFSET,
  MASKED,
  PQ_OFF,
  PQ_QUEUED,
  PQ_RESET,
  XIVE_PAGE_SIZE,
  XIVE_ESB_GET,
  XIVE_ESB_SET_PQ_00,
  XIVE_ESB_SET_PQ_10,
} from "./constants.js";
import type { XiveDevice } from "./device.js";
import { SRC_ASSERTED, SRC_LSI } from "./source-blocks.js";

export const XIVE_SNAPSHOT_FORMAT = "irqlab-xive-native";
export const XIVE_SNAPSHOT_VERSION = 1;

export interface XiveSnapshot {
  format: typeof XIVE_SNAPSHOT_FORMAT;
  version: number;
  nrIrqs: number;
  nrServers: number;
  vcpus: { vcpu: number; server: number; vpState: string; queues: { priority: number; eq: string }[] }[];
  sources: { lisn: number; lsi: boolean; asserted: boolean; server: number; priority: number; eisn: number; pq: number }[];
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));

const mgmtOffset = (lisn: number, op: number) => lisn * 2 * XIVE_PAGE_SIZE + XIVE_PAGE_SIZE + op;

/** Saves the XIVE of `vm` (device `h`), leaving its sources masked by ESB (call `resumeXive` to run on). */
export function saveXive(vm: Vm, h: DeviceHandle): XiveSnapshot {
  const dev = h.backend<XiveDevice>();
  const esb = h.mmap(KVM_XIVE_ESB_PAGE_OFFSET * XIVE_PAGE_SIZE, 0);
  const sources: XiveSnapshot["sources"] = [];
  for (const [b, i] of [...dev.xive.sources.each()]) {
    const lisn = b.number(i);
    let pq = esb.read(mgmtOffset(lisn, XIVE_ESB_GET), 8);
    if (pq !== PQ_OFF) pq = esb.read(mgmtOffset(lisn, XIVE_ESB_SET_PQ_10), 8);
    const f = b.flags[i];
    sources.push({
      lisn,
      lsi: (f & SRC_LSI) !== 0,
      asserted: (f & SRC_ASSERTED) !== 0,
      server: b.actServer[i],
      priority: b.actPriority[i],
      eisn: b.eisn[i],
      pq,
    });
  }
  h.setAttr({ group: KVM_DEV_XIVE_GRP_CTRL, attr: KVM_DEV_XIVE_EQ_SYNC });
  const vcpus: XiveSnapshot["vcpus"] = [];
  for (const v of vm.vcpus) {
    if (v.irqchipKind !== "xive") continue;
    const server = v.irqchipCpu;
    const queues: { priority: number; eq: string }[] = [];
    for (let p = 0; p <= 6; p++) {
      const buf = new Uint8Array(64);
      h.getAttr({ group: KVM_DEV_XIVE_GRP_EQ_CONFIG, attr: encodeEqId({ server, priority: p }), addr: buf });
      if (decodeXiveEq(buf, vm.endian).qshift !== 0) queues.push({ priority: p, eq: hex(buf) });
    }
    const vp = new Uint8Array(16);
    v.getOneReg(KVM_REG_PPC_VP_STATE, vp);
    vcpus.push({ vcpu: v.id, server, vpState: hex(vp), queues });
  }
  return { format: XIVE_SNAPSHOT_FORMAT, version: XIVE_SNAPSHOT_VERSION, nrIrqs: KVMPPC_XIVE_NR_IRQS, nrServers: dev.xive.nrServers, vcpus, sources };
}

/** Sanity checks of a snapshot (format, version, nrIrqs). */
export function checkXiveSnapshot(s: XiveSnapshot): void {
  if (s.format !== XIVE_SNAPSHOT_FORMAT || s.version !== XIVE_SNAPSHOT_VERSION) fail(Errno.EINVAL, `not an ${XIVE_SNAPSHOT_FORMAT} v${XIVE_SNAPSHOT_VERSION} snapshot`);
  if (s.nrIrqs !== KVMPPC_XIVE_NR_IRQS) fail(Errno.EINVAL, `snapshot nrIrqs ${s.nrIrqs} != ${KVMPPC_XIVE_NR_IRQS}`);
}

/** Restores into the fresh XIVE device `h` of `vm` (vCPUs not yet connected). */
export function restoreXive(vm: Vm, h: DeviceHandle, s: XiveSnapshot): void {
  checkXiveSnapshot(s);
  h.setAttr({ group: KVM_DEV_XIVE_GRP_CTRL, attr: KVM_DEV_XIVE_NR_SERVERS, addr: encodeU32(s.nrServers, vm.endian) });
  for (const c of s.vcpus) vm.vcpu(c.vcpu).enableCap(KVM_CAP_PPC_IRQ_XIVE, [h, c.server]);
  for (const c of s.vcpus) {
    for (const q of c.queues) h.setAttr({ group: KVM_DEV_XIVE_GRP_EQ_CONFIG, attr: encodeEqId({ server: c.server, priority: q.priority }), addr: unhex(q.eq) });
  }
  for (const src of s.sources) {
    h.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE, attr: src.lisn, addr: encodeU64(encodeSourceValue({ levelSensitive: src.lsi, asserted: src.asserted }), vm.endian) });
    if (src.priority !== MASKED) {
      const word = encodeSourceConfig({ server: src.server, priority: src.priority, masked: false, eisn: src.eisn });
      h.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE_CONFIG, attr: src.lisn, addr: encodeU64(word, vm.endian) });
    }
  }
  for (const c of s.vcpus) vm.vcpu(c.vcpu).setOneReg(KVM_REG_PPC_VP_STATE, unhex(c.vpState));
}

/** Step 4 (QEMU's change-state handler when the VM runs): saved PQs back, queued events re-triggered. */
export function resumeXive(h: DeviceHandle, s: XiveSnapshot): void {
  const esb = h.mmap(KVM_XIVE_ESB_PAGE_OFFSET * XIVE_PAGE_SIZE, 0);
  for (const src of s.sources) {
    const old = esb.read(mgmtOffset(src.lisn, XIVE_ESB_SET_PQ_00 + (src.pq << 8)), 8);
    if (src.pq === PQ_RESET && old === PQ_QUEUED) esb.write(src.lisn * 2 * XIVE_PAGE_SIZE, 8, 0);
  }
}
