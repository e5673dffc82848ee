/**
 * Save/restore of a whole GICv3 (+ ITSes) the way a VMM does it (QEMU's arm_gicv3_kvm.c and
 * arm_gicv3_its_kvm.c), through the attribute API and guest memory only:
 *
 *   save     SAVE_PENDING_TABLES, ITS_SAVE_TABLES (tables land in guest memory), then every
 *            register group: NR_IRQS, addresses, DIST_REGS, REDIST_REGS, CPU_SYSREGS,
 *            LEVEL_INFO, ITS_REGS.
 *   restore  (guest memory first, by the caller) GICv3: NR_IRQS, addresses, CTRL_INIT,
 *            configuration registers, LEVEL_INFO, pending/active, CPU interface, GICR_CTLR,
 *            GICD_CTLR; each ITS: ITS_BASE, registers except GITS_CTLR, ITS_RESTORE_TABLES,
 *            GITS_CTLR.
 *
 * `restoreGic` validates the snapshot's shape against the target VM before the first call:
 * a refused snapshot changes nothing (EINVAL).
 */
import { encodeU32, encodeU64, Errno, fail, restoreSnapshot, scratchVm, type DeviceHandle, type SnapshotReader } from "@irqlab/core";
import {
  ADDR_ITS,
  ADDR_V3_DIST,
  ADDR_V3_REDIST,
  ADDR_V3_REDIST_REGION,
  CTRL_INIT,
  CTRL_ITS_RESTORE_TABLES,
  CTRL_ITS_SAVE_TABLES,
  CTRL_SAVE_PENDING_TABLES,
  GRP_ADDR,
  GRP_CPU_SYSREGS,
  GRP_CTRL,
  GRP_DIST_REGS,
  GRP_ITS_REGS,
  GRP_LEVEL_INFO,
  GRP_NR_IRQS,
  GRP_REDIST_REGS,
  ICC_AP0R0_EL1,
  ICC_AP1R0_EL1,
  ICC_BPR0_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_EL1,
  ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  VGIC_ADDR_UNDEF,
  vcpuAffinity,
} from "./constants.js";
import type { GicV3Device } from "./gic-device.js";

export interface ItsSnapshot {
  base: bigint;
  regs: Array<[number, bigint]>;
  ctlr: bigint;
}

export interface GicSnapshot {
  nvcpus: number;
  nrIrqs: number;
  distBase: bigint;
  regions: bigint[];
  dist: Array<[number, number]>;
  distCtlr: number;
  /** Per vCPU: [offset, value] of the redistributor, sysregs, PPI line levels. */
  redist: Array<Array<[number, number]>>;
  redistCtlr: number[];
  sysregs: Array<Array<[number, bigint]>>;
  levels: Array<[number, number, number]>;
  its: ItsSnapshot[];
}

const buf32 = () => new Uint8Array(4);
const buf64 = () => new Uint8Array(8);
const rd32 = (b: Uint8Array): number => new DataView(b.buffer).getUint32(0, true);
const rd64 = (b: Uint8Array): bigint => new DataView(b.buffer).getBigUint64(0, true);

function get32(h: DeviceHandle, group: number, attr: bigint | number): number {
  const b = buf32();
  h.getAttr({ group, attr, addr: b });
  return rd32(b);
}
function get64(h: DeviceHandle, group: number, attr: bigint | number, payload: Uint8Array = buf64()): bigint {
  h.getAttr({ group, attr, addr: payload });
  return rd64(payload);
}

/** Distributor registers restored in this order (set-type registers only; CTLR last). */
function distOffsets(nrIrqs: number): number[] {
  const out: number[] = [];
  const words = nrIrqs / 32;
  for (const base of [0x80, 0x100]) for (let n = 1; n < words; n++) out.push(base + 4 * n);
  for (let o = 0x420; o < 0x400 + nrIrqs; o += 4) out.push(o);
  for (let n = 2; n < nrIrqs / 16; n++) out.push(0xc00 + 4 * n);
  for (let i = 32; i < nrIrqs; i++) out.push(0x6000 + 8 * i);
  return out;
}
const DIST_STATE = (nrIrqs: number): number[] => {
  const out: number[] = [];
  for (const base of [0x200, 0x300]) for (let n = 1; n < nrIrqs / 32; n++) out.push(base + 4 * n);
  return out;
};
const REDIST_OFFSETS = [0x70, 0x74, 0x78, 0x7c, 0x10080, 0x10100, 0x10400, 0x10404, 0x10408, 0x1040c, 0x10410, 0x10414, 0x10418, 0x1041c];
const REDIST_STATE = [0x10200, 0x10300];
const SYSREGS = [ICC_PMR_EL1, ICC_BPR0_EL1, ICC_BPR1_EL1, ICC_AP0R0_EL1, ICC_AP1R0_EL1, ICC_IGRPEN0_EL1, ICC_IGRPEN1_EL1, ICC_CTLR_EL1];
const ITS_REGS = [0x4, 0x100, 0x108, 0x80, 0x90, 0x88];

/** Saves the GICv3 `gic` and the ITSes `its` (their tables go into guest memory). */
export function saveGic(gic: DeviceHandle, its: readonly DeviceHandle[]): GicSnapshot {
  const g = gic.backend<GicV3Device>();
  const nv = g.st.nv;
  gic.setAttr({ group: GRP_CTRL, attr: CTRL_SAVE_PENDING_TABLES, addr: null });
  for (const h of its) h.setAttr({ group: GRP_CTRL, attr: CTRL_ITS_SAVE_TABLES, addr: null });
  const nrIrqs = get32(gic, GRP_NR_IRQS, 0);
  const regions: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    try {
      regions.push(get64(gic, GRP_ADDR, ADDR_V3_REDIST_REGION, encodeU64(i)));
    } catch {
      break;
    }
  }
  const mp = (v: number) => BigInt(vcpuAffinity(v)) << 32n;
  const snap: GicSnapshot = {
    nvcpus: nv,
    nrIrqs,
    distBase: get64(gic, GRP_ADDR, ADDR_V3_DIST),
    regions,
    dist: [...distOffsets(nrIrqs), ...DIST_STATE(nrIrqs)].map((o) => [o, get32(gic, GRP_DIST_REGS, o)]),
    distCtlr: get32(gic, GRP_DIST_REGS, 0),
    redist: [],
    redistCtlr: [],
    sysregs: [],
    levels: [],
    its: [],
  };
  for (let v = 0; v < nv; v++) {
    snap.redist.push([...REDIST_OFFSETS, ...REDIST_STATE].map((o) => [o, get32(gic, GRP_REDIST_REGS, mp(v) | BigInt(o))]));
    snap.redistCtlr.push(get32(gic, GRP_REDIST_REGS, mp(v)));
    snap.sysregs.push(SYSREGS.map((r) => [r, get64(gic, GRP_CPU_SYSREGS, mp(v) | BigInt(r))]));
    for (let first = 0; first < (v === 0 ? nrIrqs : 32); first += 32) {
      snap.levels.push([v, first, get32(gic, GRP_LEVEL_INFO, mp(v) | BigInt(first))]);
    }
  }
  for (const h of its) {
    const base = get64(h, GRP_ADDR, ADDR_ITS);
    const regs: Array<[number, bigint]> = base === VGIC_ADDR_UNDEF ? [] : ITS_REGS.map((o) => [o, get64(h, GRP_ITS_REGS, o)]);
    snap.its.push({ base, regs, ctlr: base === VGIC_ADDR_UNDEF ? 0n : get64(h, GRP_ITS_REGS, 0) });
  }
  return snap;
}

/**
 * Restores `snap` into a fresh GICv3 `gic` (created, nothing set) and fresh ITS devices `its`
 * of a VM whose guest memory already holds the saved memory. Core's restore shape (parse
 * whole, check, rehearse, apply): the snapshot's layout is checked (every register list
 * exactly the one `saveGic` writes), then the restore is rehearsed on a scratch VM made like
 * the destination and saved again there; a snapshot the device refuses, or one that would
 * not come back as itself (a value no GIC reads back, such as a priority's low bits), is
 * EINVAL with nothing applied. The rehearsal runs on empty guest memory: a saved ITS table
 * that `ITS_RESTORE_TABLES` refuses on the destination's memory is still that step's error
 * there (KVM's undo of a failed table restore, after the GICv3 part is applied).
 */
export function restoreGic(gic: DeviceHandle, its: readonly DeviceHandle[], snap: GicSnapshot): void {
  const g = gic.backend<GicV3Device>();
  restoreSnapshot({
    what: "GICv3",
    raw: snap,
    parse: (r) => checkLayout(r, snap, g.st.nv, its.length),
    check: () => {
      if (g.st.initialized || g.st.nrSpis !== 0 || g.distBase >= 0 || g.regions.length !== 0) {
        fail(Errno.EINVAL, "restore needs a freshly created GICv3");
      }
    },
    rehearse: (plan) => {
      // The apply on a scratch VM made like the destination, then saved back there.
      const scratch = scratchVm(g.vm);
      try {
        const h2 = scratch.createDevice(gic.type);
        const its2 = its.map((h) => scratch.createDevice(h.type));
        applyGic(h2, its2, plan);
        const diff = snapshotDiff(saveGic(h2, its2), plan);
        if (diff) fail(Errno.EINVAL, `GICv3 snapshot is inconsistent: ${diff} would not restore as saved`);
      } finally {
        scratch.destroy();
      }
    },
    apply: (plan) => applyGic(gic, its, plan),
  });
}

/** The first field where `a` and `b` differ (paths of the snapshot), or null. */
function snapshotDiff(a: GicSnapshot, b: GicSnapshot): string | null {
  const walk = (x: unknown, y: unknown, path: string): string | null => {
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) return `${path}.length`;
      for (let i = 0; i < x.length; i++) {
        const d = walk(x[i], y[i], `${path}[${i}]`);
        if (d) return d;
      }
      return null;
    }
    if (x !== null && y !== null && typeof x === "object" && typeof y === "object") {
      for (const k of Object.keys(x)) {
        const d = walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${path}.${k}`);
        if (d) return d;
      }
      return null;
    }
    return x === y ? null : path;
  };
  return walk(a, b, "snapshot");
}

/**
 * Step 1: the snapshot's shape against the destination (nothing touched). Every list holds
 * exactly the registers `saveGic` writes, in its order, with values of their width.
 */
function checkLayout(r: SnapshotReader, snap: GicSnapshot, nv: number, nits: number): GicSnapshot {
  const s = r.obj(snap, "snapshot") as unknown as GicSnapshot;
  if (s.nvcpus !== nv) r.bad("nvcpus", `is ${String(s.nvcpus)}, the VM has ${nv} vCPUs`);
  if (!Array.isArray(s.its) || s.its.length !== nits) r.bad("its", `does not list the ${nits} ITSes given`);
  if (!(Number.isInteger(s.nrIrqs) && s.nrIrqs >= 64 && s.nrIrqs <= 992 && s.nrIrqs % 32 === 0)) r.bad("nrIrqs", `is ${String(s.nrIrqs)}`);
  const u32 = (v: unknown, path: string) => r.u32(v, path);
  const u64 = (v: unknown, path: string): bigint => {
    if (typeof v !== "bigint" || v < 0n || v >> 64n !== 0n) r.bad(path, "is not a u64");
    return v as bigint;
  };
  const list = <T>(v: unknown, path: string, offsets: readonly number[], val: (x: unknown, p: string) => T): void => {
    r.arr(v, path, (e, p, i) => {
      if (!Array.isArray(e) || e.length !== 2) r.bad(p, "is not an [offset, value] pair");
      if (e[0] !== offsets[i]) r.bad(`${p}[0]`, `is ${String(e[0])}, register 0x${(offsets[i] ?? 0).toString(16)} expected`);
      return val(e[1], `${p}[1]`);
    });
    if ((v as unknown[]).length !== offsets.length) r.bad(path, `has ${(v as unknown[]).length} registers, ${offsets.length} expected`);
  };
  u64(s.distBase, "distBase");
  r.arr(s.regions, "regions", (e, p) => u64(e, p), 256);
  list(s.dist, "dist", [...distOffsets(s.nrIrqs), ...DIST_STATE(s.nrIrqs)], u32);
  u32(s.distCtlr, "distCtlr");
  const per = (v: unknown, path: string) => {
    const a = r.arr(v, path, (e) => e);
    if (a.length !== nv) r.bad(path, `has ${a.length} entries, ${nv} vCPUs`);
    return a;
  };
  per(s.redist, "redist").forEach((l, v) => list(l, `redist[${v}]`, [...REDIST_OFFSETS, ...REDIST_STATE], u32));
  per(s.redistCtlr, "redistCtlr").forEach((x, v) => u32(x, `redistCtlr[${v}]`));
  per(s.sysregs, "sysregs").forEach((l, v) => list(l, `sysregs[${v}]`, SYSREGS, u64));
  const levels: Array<[number, number]> = [];
  for (let v = 0; v < nv; v++) for (let first = 0; first < (v === 0 ? s.nrIrqs : 32); first += 32) levels.push([v, first]);
  r.arr(s.levels, "levels", (e, p, i) => {
    if (!Array.isArray(e) || e.length !== 3 || e[0] !== levels[i]?.[0] || e[1] !== levels[i]?.[1]) r.bad(p, "is not the [vcpu, first, bits] saveGic writes there");
    return u32(e[2], `${p}[2]`);
  });
  if (s.levels.length !== levels.length) r.bad("levels", `has ${s.levels.length} words, ${levels.length} expected`);
  s.its.forEach((x, i) => {
    const o = r.obj(x, `its[${i}]`) as unknown as ItsSnapshot;
    const base = u64(o.base, `its[${i}].base`);
    list(o.regs, `its[${i}].regs`, base === VGIC_ADDR_UNDEF ? [] : ITS_REGS, u64);
    u64(o.ctlr, `its[${i}].ctlr`);
  });
  return s;
}

/** Step 4 (and the rehearsal): the attribute writes of a restore, in QEMU's order. */
function applyGic(gic: DeviceHandle, its: readonly DeviceHandle[], snap: GicSnapshot): void {
  const mp = (v: number) => BigInt(vcpuAffinity(v)) << 32n;
  gic.setAttr({ group: GRP_NR_IRQS, attr: 0, addr: encodeU32(snap.nrIrqs) });
  if (snap.distBase !== VGIC_ADDR_UNDEF) gic.setAttr({ group: GRP_ADDR, attr: ADDR_V3_DIST, addr: encodeU64(snap.distBase) });
  for (const r of snap.regions) {
    if (r >> 52n === 0n) gic.setAttr({ group: GRP_ADDR, attr: ADDR_V3_REDIST, addr: encodeU64(r & 0x000fffffffff0000n) });
    else gic.setAttr({ group: GRP_ADDR, attr: ADDR_V3_REDIST_REGION, addr: encodeU64(r) });
  }
  gic.setAttr({ group: GRP_CTRL, attr: CTRL_INIT, addr: null });
  const setD = (o: number, v: number) => gic.setAttr({ group: GRP_DIST_REGS, attr: o, addr: encodeU32(v) });
  const setR = (v: number, o: number, x: number) => gic.setAttr({ group: GRP_REDIST_REGS, attr: mp(v) | BigInt(o), addr: encodeU32(x) });
  const state = new Set(DIST_STATE(snap.nrIrqs));
  for (const [o, v] of snap.dist) if (!state.has(o)) setD(o, v);
  for (let v = 0; v < snap.nvcpus; v++) for (const [o, x] of snap.redist[v]) if (!REDIST_STATE.includes(o)) setR(v, o, x);
  for (const [v, first, bits] of snap.levels) gic.setAttr({ group: GRP_LEVEL_INFO, attr: mp(v) | BigInt(first), addr: encodeU32(bits) });
  for (const [o, v] of snap.dist) if (state.has(o)) setD(o, v);
  for (let v = 0; v < snap.nvcpus; v++) for (const [o, x] of snap.redist[v]) if (REDIST_STATE.includes(o)) setR(v, o, x);
  for (let v = 0; v < snap.nvcpus; v++) {
    for (const [r, x] of snap.sysregs[v]) gic.setAttr({ group: GRP_CPU_SYSREGS, attr: mp(v) | BigInt(r), addr: encodeU64(x) });
    setR(v, 0, snap.redistCtlr[v]);
  }
  setD(0, snap.distCtlr);
  snap.its.forEach((s, i) => {
    const h = its[i];
    if (s.base === VGIC_ADDR_UNDEF) return;
    h.setAttr({ group: GRP_ADDR, attr: ADDR_ITS, addr: encodeU64(s.base) });
    for (const [o, v] of s.regs) h.setAttr({ group: GRP_ITS_REGS, attr: o, addr: encodeU64(v) });
    h.setAttr({ group: GRP_CTRL, attr: CTRL_ITS_RESTORE_TABLES, addr: null });
    h.setAttr({ group: GRP_ITS_REGS, attr: 0, addr: encodeU64(s.ctlr & 1n) });
  });
}
