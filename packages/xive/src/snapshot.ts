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
import { encodeU32, encodeU64, Errno, fail, parseSnapshot, restoreSnapshot, scratchVm, type DeviceHandle, type Vm } from "@irqlab/core";
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
  KVM_MAX_VCPU_IDS,
  KVM_MAX_VCPUS,
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

/** The validated plan restoreXive applies (snapshot.ts in core: parse whole, then apply). */
export interface XiveRestorePlan {
  nrServers: number;
  vcpus: { vcpu: number; server: number; vpState: Uint8Array; queues: { priority: number; eq: Uint8Array }[] }[];
  sources: { lisn: number; lsi: boolean; asserted: boolean; server: number; priority: number; eisn: number; pq: number }[];
}

/**
 * Step 1 of the restore: the whole snapshot checked and decoded, nothing touched. EINVAL for
 * any field of the wrong type or range, for a source or queue aimed at a server no restored
 * vCPU has, and for duplicates; the device's own rules (EQ page, VP state words) are checked
 * by the rehearsal on a scratch VM.
 */
export function parseXiveSnapshot(raw: unknown, vcpuCount = Infinity): XiveRestorePlan {
  return parseSnapshot("XIVE", raw, (r, v) => {
    const o = r.obj(v, "snapshot");
    r.oneOf(r.get(o, "format", "snapshot"), "format", [XIVE_SNAPSHOT_FORMAT]);
    r.oneOf(r.get(o, "version", "snapshot"), "version", [XIVE_SNAPSHOT_VERSION]);
    r.oneOf(r.get(o, "nrIrqs", "snapshot"), "nrIrqs", [KVMPPC_XIVE_NR_IRQS]);
    const nrServers = r.int(r.get(o, "nrServers", "snapshot"), "nrServers", 1, KVM_MAX_VCPU_IDS);
    const lastVcpu = { key: -1 };
    const servers = new Set<number>();
    const vcpus = r.arr(r.get(o, "vcpus", "snapshot"), "vcpus", (el, path) => {
      const c = r.obj(el, path);
      const vcpu = r.ascending(lastVcpu, r.int(r.get(c, "vcpu", path), `${path}.vcpu`, 0, Math.min(vcpuCount, KVM_MAX_VCPUS) - 1), `${path}.vcpu`);
      const server = r.unique(servers, r.int(r.get(c, "server", path), `${path}.server`, 0, Math.min(nrServers, KVM_MAX_VCPUS) - 1), `${path}.server`);
      const lastPrio = { key: -1 };
      const queues = r.arr(r.get(c, "queues", path), `${path}.queues`, (qel, qpath) => {
        const q = r.obj(qel, qpath);
        const priority = r.ascending(lastPrio, r.int(r.get(q, "priority", qpath), `${qpath}.priority`, 0, 6), `${qpath}.priority`);
        const eq = r.hex(r.get(q, "eq", qpath), `${qpath}.eq`, 64);
        return { priority, eq };
      }, 7);
      return { vcpu, server, vpState: r.hex(r.get(c, "vpState", path), `${path}.vpState`, 16), queues };
    }, KVM_MAX_VCPUS);
    const lastLisn = { key: -1 };
    const sources = r.arr(r.get(o, "sources", "snapshot"), "sources", (el, path) => {
      const x = r.obj(el, path);
      const lisn = r.ascending(lastLisn, r.int(r.get(x, "lisn", path), `${path}.lisn`, 0, KVMPPC_XIVE_NR_IRQS - 1), `${path}.lisn`);
      const priority = r.int(r.get(x, "priority", path), `${path}.priority`, 0, MASKED);
      if (priority > 6 && priority !== MASKED) r.bad(`${path}.priority`, `${priority} is neither 0..6 nor masked (0xff)`);
      const server = r.u32(r.get(x, "server", path), `${path}.server`);
      if (priority !== MASKED && !servers.has(server)) r.bad(`${path}.server`, `${server} is the server of no restored vCPU`);
      return {
        lisn,
        lsi: r.bool(r.get(x, "lsi", path), `${path}.lsi`),
        asserted: r.bool(r.get(x, "asserted", path), `${path}.asserted`),
        server,
        priority,
        eisn: r.int(r.get(x, "eisn", path), `${path}.eisn`, 0, 0x7fffffff),
        pq: r.int(r.get(x, "pq", path), `${path}.pq`, 0, 3),
      };
    }, KVMPPC_XIVE_NR_IRQS);
    return { nrServers, vcpus, sources };
  });
}

/** Sanity checks of a snapshot (format, version, nrIrqs) and every field: EINVAL. */
export function checkXiveSnapshot(s: XiveSnapshot): void {
  parseXiveSnapshot(s);
}

/** Step 4: the plan into the device, in the order of xive.rst. */
function applyXive(vm: Vm, h: DeviceHandle, plan: XiveRestorePlan): void {
  h.setAttr({ group: KVM_DEV_XIVE_GRP_CTRL, attr: KVM_DEV_XIVE_NR_SERVERS, addr: encodeU32(plan.nrServers, vm.endian) });
  for (const c of plan.vcpus) vm.vcpu(c.vcpu).enableCap(KVM_CAP_PPC_IRQ_XIVE, [h, c.server]);
  for (const c of plan.vcpus) {
    for (const q of c.queues) h.setAttr({ group: KVM_DEV_XIVE_GRP_EQ_CONFIG, attr: encodeEqId({ server: c.server, priority: q.priority }), addr: q.eq });
  }
  for (const src of plan.sources) {
    h.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE, attr: src.lisn, addr: encodeU64(encodeSourceValue({ levelSensitive: src.lsi, asserted: src.asserted }), vm.endian) });
    if (src.priority !== MASKED) {
      const word = encodeSourceConfig({ server: src.server, priority: src.priority, masked: false, eisn: src.eisn });
      h.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE_CONFIG, attr: src.lisn, addr: encodeU64(word, vm.endian) });
    }
  }
  for (const c of plan.vcpus) vm.vcpu(c.vcpu).setOneReg(KVM_REG_PPC_VP_STATE, c.vpState);
}

/**
 * Restores into the fresh XIVE device `h` of `vm` (vCPUs not yet connected): the whole
 * snapshot is parsed first (EINVAL), the destination must be fresh (EBUSY: a source exists or
 * a vCPU is connected), the apply is rehearsed on a scratch VM made like `vm` (the device's
 * own errno for what only it checks), then applied. A refused snapshot changes nothing, and
 * the device accepts a correct one afterwards. Returns the plan (resumeXive takes it too).
 */
export function restoreXive(vm: Vm, h: DeviceHandle, s: XiveSnapshot): XiveRestorePlan {
  return restoreSnapshot({
    what: "XIVE",
    raw: s,
    parse: () => parseXiveSnapshot(s, vm.vcpus.length),
    check: () => {
      const dev = h.backend<XiveDevice>();
      if (dev.xive.sources.count > 0) fail(Errno.EBUSY, "XIVE restore needs a fresh device: it already has sources");
      const busy = vm.vcpus.find((v) => v.irqchipKind !== null);
      if (busy) fail(Errno.EBUSY, `XIVE restore needs unconnected vCPUs: vCPU ${busy.id} is connected to ${busy.irqchipKind}`);
    },
    rehearse: (plan) => {
      // The apply on a scratch VM made like `vm`; then the scratch is resumed and saved: a
      // snapshot that would not come back as itself (an inconsistent one) is refused here.
      const scratch = scratchVm(vm);
      try {
        const h2 = scratch.createDevice(h.type);
        applyXive(scratch, h2, plan);
        resumeXive(h2, plan);
        const diff = planDiff(parseXiveSnapshot(saveXive(scratch, h2)), plan);
        if (diff) fail(Errno.EINVAL, `XIVE snapshot is inconsistent: ${diff} would not restore as saved`);
      } finally {
        scratch.destroy();
      }
    },
    apply: (plan) => applyXive(vm, h, plan),
  });
}

/** The first part of `b` that `a` does not reproduce (order-insensitive), or null. */
function planDiff(a: XiveRestorePlan, b: XiveRestorePlan): string | null {
  if (a.nrServers !== b.nrServers) return "nrServers";
  const vc = (p: XiveRestorePlan) =>
    new Map(p.vcpus.map((c) => [c.vcpu, JSON.stringify([c.server, hex(c.vpState), [...c.queues].sort((x, y) => x.priority - y.priority).map((q) => [q.priority, hex(q.eq)])])]));
  const va = vc(a);
  for (const [id, w] of vc(b)) if (va.get(id) !== w) return `vcpus (vCPU ${id})`;
  if (va.size !== b.vcpus.length) return "vcpus";
  const sa = new Map(a.sources.map((x) => [x.lisn, JSON.stringify(x)]));
  for (const x of b.sources) if (sa.get(x.lisn) !== JSON.stringify(x)) return `sources (lisn 0x${x.lisn.toString(16)})`;
  if (sa.size !== b.sources.length) return "sources";
  return null;
}

/**
 * Step 4 (QEMU's change-state handler when the VM runs): saved PQs back, queued events
 * re-triggered. Takes the snapshot (parsed again, EINVAL when malformed) or restoreXive's
 * plan; a source the device does not have is skipped, so resuming never faults.
 */
export function resumeXive(h: DeviceHandle, s: XiveSnapshot | XiveRestorePlan): void {
  const plan = "format" in s ? parseXiveSnapshot(s) : s;
  const dev = h.backend<XiveDevice>();
  const esb = h.mmap(KVM_XIVE_ESB_PAGE_OFFSET * XIVE_PAGE_SIZE, 0);
  for (const src of plan.sources) {
    if (!dev.xive.sources.valid(src.lisn)) continue;
    const old = esb.read(mgmtOffset(src.lisn, XIVE_ESB_SET_PQ_00 + (src.pq << 8)), 8);
    if (src.pq === PQ_RESET && old === PQ_QUEUED) esb.write(src.lisn * 2 * XIVE_PAGE_SIZE, 8, 0);
  }
}
