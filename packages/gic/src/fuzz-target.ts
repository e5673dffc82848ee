/**
 * The GICv3 + ITS as the testkit fuzzer sees them (a FuzzTarget of @irqlab/testkit, written
 * structurally: no dependency on the testkit). The fuzzed handle is the GICv3 (type 7); the
 * guest driver also creates an ITS (type 8), reached by the `its*` entries. Extra entries:
 * GICv3 attributes addressed by a vCPU's MPIDR (REDIST_REGS, CPU_SYSREGS, LEVEL_INFO), the
 * ITS attribute groups, the ICC_* system registers as guest accesses (vcpu.sysregRead/Write)
 * and ITS commands written by the guest into its command queue. Trapped MMIO (GICD, GICR,
 * GITS frames), ONE_REG and routing are discovered from the VM.
 */
import { DeviceHandle, KVM_MSI_VALID_DEVID, KVM_DEV_TYPE_ARM_VGIC_ITS, KVM_DEV_TYPE_ARM_VGIC_V3, KvmError, parseSnapshot, type SnapshotReader, type Vm } from "@irqlab/core";
import { GsiRouting } from "@irqlab/routing";
import {
  CTRL_ITS_RESTORE_TABLES,
  CTRL_ITS_SAVE_TABLES,
  GITS_TRANSLATER,
  GRP_ADDR,
  GRP_CPU_SYSREGS,
  GRP_CTRL,
  GRP_DIST_REGS,
  GRP_ITS_REGS,
  GRP_LEVEL_INFO,
  GRP_NR_IRQS,
  GRP_REDIST_REGS,
  vcpuAffinity,
} from "./constants.js";
import type { GicV3Device } from "./gic-device.js";
import { GUEST_ITS_BASE } from "./guest-driver.js";
import { CMD } from "./its.js";
import gicModule from "./module.js";
import { restoreGic, saveGic, type GicSnapshot } from "./snapshot.js";

/** The fuzzer's value language (fuzz-values.ts of @irqlab/testkit), structurally. */
type V =
  | readonly ["num", string]
  | readonly ["big", string]
  | readonly ["str", string]
  | readonly ["bool", boolean]
  | readonly ["null"]
  | readonly ["undef"]
  | readonly ["bytes", string]
  | readonly ["view", "DataView" | "Uint16Array" | "Float64Array", string]
  | readonly ["ab", number]
  | readonly ["fake", number]
  | readonly ["obj", { readonly [k: string]: V }]
  | readonly ["nullobj", { readonly [k: string]: V }]
  | readonly ["arr", readonly V[]]
  | readonly ["arr", readonly V[], readonly number[]]
  | readonly ["throw"]
  | readonly ["ref", string];
interface Rng {
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(xs: readonly T[]): T;
  u32(): number;
}
interface Env {
  readonly vm: Vm;
  readonly h: DeviceHandle;
  readonly driver: unknown;
}

const num = (n: number): V => ["num", String(n)];
const big = (n: bigint): V => ["big", n.toString()];
const hex = (bytes: number, rng: Rng): string => {
  let s = "";
  for (let i = 0; i < bytes; i++) s += (rng.chance(0.5) ? 0 : rng.int(256)).toString(16).padStart(2, "0");
  return s;
};
/** A payload of `size` bytes, sometimes short or not a buffer. */
const ptr = (rng: Rng, size: number): V => (rng.chance(0.05) ? rng.pick<V>([["null"], ["bytes", hex(Math.max(0, size - 1), rng)], ["ab", size]]) : ["bytes", hex(size, rng)]);

const ACCESSORS = ["setAttr", "getAttr", "hasAttr"] as const;
type Accessor = (typeof ACCESSORS)[number];

function attrCall(h: DeviceHandle, [how, group, attr, addr]: unknown[]): number {
  return h[how as Accessor]({ group: group as number, attr: attr as bigint, addr: addr as Uint8Array });
}

/** The ITS the guest driver created (GicGuestDriver.itsHandle). */
function itsOf(env: Env): DeviceHandle {
  return (env.driver as { itsHandle: DeviceHandle }).itsHandle;
}

const ITS_CMDS = Object.values(CMD) as number[];

const entries = {
  /** REDIST_REGS / CPU_SYSREGS / LEVEL_INFO with mpidr[63:32] of a vCPU (or of none). */
  gicMpidrAttr: {
    weight: 6,
    kind: "api" as const,
    gen: (rng: Rng, env: Env): V[] => {
      const group = rng.pick([GRP_REDIST_REGS, GRP_CPU_SYSREGS, GRP_LEVEL_INFO]);
      const v = rng.int(env.vm.vcpus.length + 1);
      const mp = BigInt(rng.chance(0.95) ? vcpuAffinity(v) : rng.u32()) << 32n;
      const low =
        group === GRP_REDIST_REGS
          ? rng.chance(0.5) ? 0x10000 + 4 * rng.int(0x400) : 4 * rng.int(0x40)
          : group === GRP_CPU_SYSREGS
            ? 0xc000 + rng.int(0x700)
            : rng.chance(0.8) ? 32 * rng.int(32) : rng.u32() & 0xffffffff;
      return [["str", rng.pick(ACCESSORS)], num(group), big(mp | BigInt(low)), ptr(rng, group === GRP_CPU_SYSREGS ? 8 : 4)];
    },
    run: (env: Env, args: unknown[]) => attrCall(env.h, args),
  },
  /** The ITS device's attribute groups (ADDR, CTRL, ITS_REGS) and a few it does not have. */
  itsAttr: {
    weight: 8,
    kind: "api" as const,
    gen: (rng: Rng): V[] => {
      const group = rng.chance(0.9) ? rng.pick([GRP_ADDR, GRP_CTRL, GRP_ITS_REGS]) : rng.int(12);
      let attr = group === GRP_ITS_REGS ? (rng.chance(0.7) ? rng.pick([0, 4, 8, 0x80, 0x88, 0x90, 0x98, 0x100, 0x108, 0x110, 0xffe8]) : rng.int(0x10008)) : rng.int(8);
      // ITS_RESTORE_TABLES has its own entry (itsRestoreTables: KVM's undo on failure).
      if (group === GRP_CTRL && attr === CTRL_ITS_RESTORE_TABLES) attr = CTRL_ITS_SAVE_TABLES;
      return [["str", rng.pick(ACCESSORS)], num(group), rng.chance(0.15) ? big(BigInt(attr)) : num(attr), ptr(rng, 8)];
    },
    run: (env: Env, args: unknown[]) => attrCall(itsOf(env), args),
  },
  /**
   * ITS_RESTORE_TABLES on the live ITS. KVM quirk: a refused restore is not side-effect free.
   * vgic_its_restore_collection_table() frees the whole collection list on an error
   * (vgic_its_free_collection_list), and vgic_its_restore_tables_v0() frees the device list
   * and the collection list when the device table fails (arch/arm64/kvm/vgic/vgic-its.c,
   * "KVM: arm64: vgic: Undo work in failed ITS restores", v5.19). So a failure must leave the
   * state as before with exactly that undone: no collection (ITEs pointing at none), and the
   * devices either untouched or all gone; everything else unchanged.
   */
  itsRestoreTables: {
    weight: 2,
    kind: "own" as const,
    gen: (rng: Rng): V[] => [rng.chance(0.9) ? ["null"] : ["bytes", hex(8, rng)]],
    run: (env: Env, [addr]: unknown[]) => {
      const g = env.h.backend<GicV3Device>();
      const before = g.dumpState();
      const beforeGic = observeGic(env);
      try {
        return itsOf(env).setAttr({ group: GRP_CTRL, attr: CTRL_ITS_RESTORE_TABLES, addr: addr as Uint8Array | null });
      } catch (e) {
        if (!KvmError.is(e)) throw e;
        const after = g.dumpState();
        const noColl = before.replace(/\n  collection [^\n]*/g, "").replace(/, collection \d+(?=\n|$)/g, ", collection none");
        const noDev = withoutLpis(noColl.replace(/\n  device [^\n]*|\n    event [^\n]*|\n    \.\.\./g, ""));
        if (after !== noColl && withoutLpis(after) !== noDev) throw new Error(`ITS_RESTORE_TABLES failed (${e.code}) and changed more than KVM's undo: ${before} -> ${after}`);
        if (observeGic(env) !== beforeGic) throw new Error(`ITS_RESTORE_TABLES failed (${e.code}) and changed the SGI/PPI/SPI or CPU interface state`);
        throw e;
      }
    },
  },
  /** KVM_SIGNAL_MSI at the ITS doorbell with KVM_MSI_VALID_DEVID (the generic entry sends no DeviceID). */
  itsSignalMsi: {
    weight: 4,
    kind: "api" as const,
    gen: (rng: Rng): V[] => {
      const o: Record<string, V> = {
        addressLo: num(rng.chance(0.9) ? GUEST_ITS_BASE + GITS_TRANSLATER : rng.u32()),
        addressHi: num(rng.chance(0.95) ? 0 : rng.int(4)),
        data: num(rng.chance(0.8) ? rng.int(8) : rng.u32()),
        flags: num(rng.chance(0.9) ? KVM_MSI_VALID_DEVID : rng.int(4)),
        devid: num(rng.chance(0.8) ? rng.int(8) : rng.u32()),
      };
      return [["obj", o]];
    },
    run: (env: Env, [msg]: unknown[]) => env.vm.get(GsiRouting).signalMsi(msg as never),
  },
  /** ICC_* system registers as the guest reaches them (MRS / MSR), registered or not. */
  sysreg: {
    weight: 10,
    kind: "guest" as const,
    gen: (rng: Rng, env: Env): V[] => {
      const v = rng.int(env.vm.vcpus.length);
      const ids = env.vm.vcpus[v].sysregs.ids();
      const id = ids.length > 0 && rng.chance(0.95) ? rng.pick(ids) : 0xc000 + rng.int(0x700);
      const r = rng.int(5);
      const value: V | null = r === 0 ? null : r === 1 ? big((BigInt(rng.u32()) << 32n) | BigInt(rng.u32())) : num(rng.chance(0.5) ? rng.int(0x2000) : rng.u32());
      return [num(v), num(id), value ?? ["undef"]];
    },
    run: (env: Env, [v, id, value]: unknown[]) => {
      const c = env.vm.vcpus[v as number];
      return value === undefined ? c.sysregRead(id as number) : c.sysregWrite(id as number, value as number | bigint);
    },
  },
  /** A guest ITS command: 32 bytes at CWRITER in the command queue, then CWRITER advanced. */
  itsCommand: {
    weight: 6,
    kind: "guest" as const,
    gen: (rng: Rng): V[] => {
      const op = rng.chance(0.9) ? rng.pick(ITS_CMDS) : rng.int(256);
      const devid = rng.chance(0.8) ? rng.int(6) : rng.u32();
      const w = (): bigint => (rng.chance(0.5) ? BigInt(rng.int(64)) : (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()));
      const dw1 = rng.chance(0.5) ? (BigInt(8192 + rng.int(64)) << 32n) | BigInt(rng.int(8)) : w();
      const dw2 = rng.chance(0.5) ? (1n << 63n) | BigInt(0x50100000 + 0x100 * rng.int(8)) | BigInt(rng.int(3)) : w();
      return [num(op), big(BigInt(devid)), big(dw1), big(dw2), num(rng.int(3))];
    },
    run: (env: Env, [op, devid, dw1, dw2, v]: unknown[]) => {
      const vc = env.vm.vcpus[(v as number) % env.vm.vcpus.length];
      const cbaser = BigInt(vc.mmioRead(GUEST_ITS_BASE + 0x80, 4)) | (BigInt(vc.mmioRead(GUEST_ITS_BASE + 0x84, 4)) << 32n);
      const base = Number(cbaser & 0x000ffffffffff000n);
      const size = (Number(cbaser & 0xffn) + 1) * 0x1000;
      const cw = vc.mmioRead(GUEST_ITS_BASE + 0x88, 4) % size;
      const m = env.vm.memory;
      if (!m.isMapped(base + cw, 32)) return 0;
      m.write64(base + cw, BigInt(op as number) | ((devid as bigint) << 32n), "le");
      m.write64(base + cw + 8, dw1 as bigint, "le");
      m.write64(base + cw + 16, dw2 as bigint, "le");
      m.write64(base + cw + 24, 0n, "le");
      vc.mmioWrite(GUEST_ITS_BASE + 0x88, 4, (cw + 32) % size);
      return 1;
    },
  },
};

/** A GIC dump without the LPI count and the LPIs (INTID >= 8192) of the ap lists. */
function withoutLpis(dump: string): string {
  return dump
    .replace(/, \d+ LPIs/, "")
    .replace(/list \[([^\]]*)\]/g, (_m, items: string) => `list [${items.split(" ").filter((i) => i !== "" && Number.parseInt(i, 10) < 8192).join(" ")}]`);
}

/** Compact view of the vGIC state dumpState does not print (configuration of every SGI/PPI/SPI, CPU interface words). */
function observeGic(env: Env): string {
  const g = env.h.backend<GicV3Device>();
  const st = g.st;
  const n = st.spiBase + st.nrSpis;
  let s = `${st.nrSpis} ${st.revision} ${st.distEnabled} ${st.distEnabledG0} ${st.propbaser} ${st.pendbaser.join(",")} ${g.regions.map((r) => `${r.index}:${r.base}:${r.count}`).join(",")}|`;
  for (let i = 0; i < n; i++) s += `${st.enabled[i]}${st.latch[i]}${st.line[i]}${st.active[i]}${st.group[i]}${st.edge[i]}${st.prio[i]},${st.target[i]} `;
  for (let i = 0; i < st.nrSpis; i++) s += `${st.spiMpidr[i]} `;
  s += `|${st.bpr0.join(",")} ${st.bpr1.join(",")} ${st.cbpr.join(",")} ${st.igrpen0.join(",")} ${st.ap0.join(",")} ${st.ap1.join(",")} ${st.waker.join(",")}`;
  return s;
}

/** The VM's ITS descriptors (the guest driver's; those a restore created), in descriptor order. */
function itsHandles(vm: Vm): DeviceHandle[] {
  const out: DeviceHandle[] = [];
  const p = vm.process;
  for (let fd = 0, seen = 0, n = p.openCount(); seen < n && fd < n + 4096; fd++) {
    const h = p.lookup(fd);
    if (!h) continue;
    seen++;
    if (h instanceof DeviceHandle && !h.closed && h.type === KVM_DEV_TYPE_ARM_VGIC_ITS && h.kvmDevice.vm === vm) out.push(h);
  }
  return out;
}

const hx = (v: bigint): string => `0x${v.toString(16)}`;

/** A GicSnapshot as plain JSON: every u64 as a canonical 0x-hex string. */
function toJson(s: GicSnapshot): unknown {
  return {
    ...s,
    distBase: hx(s.distBase),
    regions: s.regions.map(hx),
    sysregs: s.sysregs.map((l) => l.map(([r, v]) => [r, hx(v)])),
    its: s.its.map((i) => ({ base: hx(i.base), regs: i.regs.map(([o, v]) => [o, hx(v)]), ctlr: hx(i.ctlr) })),
  };
}

/** The JSON form back, read without trusting it (EINVAL for anything else, non-canonical hex included). */
function fromJson(raw: unknown): GicSnapshot {
  return parseSnapshot("GICv3", raw, (r: SnapshotReader, v) => {
    const o = r.obj(v, "snapshot");
    const f = (k: string) => r.get(o, k, "snapshot");
    const u64 = (x: unknown, path: string): bigint => {
      const b = r.u64(x, path);
      if (x !== hx(b)) r.bad(path, "is not a canonical 0x-hex u64");
      return b;
    };
    const tuple = <T>(x: unknown, path: string, n: number, each: (e: unknown, p: string, i: number) => T): T[] => {
      const t = r.arr(x, path, each, n);
      if (t.length !== n) r.bad(path, `has ${t.length} elements, ${n} expected`);
      return t;
    };
    const pairs = (x: unknown, path: string) => r.arr(x, path, (e, p) => tuple(e, p, 2, (w, q) => r.u32(w, q)) as [number, number], 1 << 16);
    const pairs64 = (x: unknown, path: string) =>
      r.arr(x, path, (e, p) => tuple<number | bigint>(e, p, 2, (w, q, i) => (i === 0 ? r.u32(w, q) : u64(w, q))) as [number, bigint], 1 << 16);
    return {
      nvcpus: r.int(f("nvcpus"), "snapshot.nvcpus", 0, 512),
      nrIrqs: r.u32(f("nrIrqs"), "snapshot.nrIrqs"),
      distBase: u64(f("distBase"), "snapshot.distBase"),
      regions: r.arr(f("regions"), "snapshot.regions", (e, p) => u64(e, p), 256),
      dist: pairs(f("dist"), "snapshot.dist"),
      distCtlr: r.u32(f("distCtlr"), "snapshot.distCtlr"),
      redist: r.arr(f("redist"), "snapshot.redist", (e, p) => pairs(e, p), 512),
      redistCtlr: r.arr(f("redistCtlr"), "snapshot.redistCtlr", (e, p) => r.u32(e, p), 512),
      sysregs: r.arr(f("sysregs"), "snapshot.sysregs", (e, p) => pairs64(e, p), 512),
      levels: r.arr(f("levels"), "snapshot.levels", (e, p) => tuple(e, p, 3, (w, q) => r.u32(w, q)) as [number, number, number], 1 << 16),
      its: r.arr(f("its"), "snapshot.its", (e, p) => {
        const i = r.obj(e, p);
        return { base: u64(r.get(i, "base", p), `${p}.base`), regs: pairs64(r.get(i, "regs", p), `${p}.regs`), ctlr: u64(r.get(i, "ctlr", p), `${p}.ctlr`) };
      }, 64),
    };
  });
}

export const gicFuzzTarget = {
  name: "GICv3",
  module: gicModule,
  arch: "arm64" as const,
  deviceType: KVM_DEV_TYPE_ARM_VGIC_V3,
  driverId: "gicv3",
  vcpus: 2,
  attrGroups: [
    { group: GRP_ADDR, attrs: [0, 6] as const, size: 8 },
    { group: GRP_DIST_REGS, attrs: [0, 0x10000] as const, size: 4 },
    { group: GRP_NR_IRQS, attrs: [0, 1] as const, size: 4 },
    { group: GRP_CTRL, attrs: [0, 5] as const, size: 4 },
    { group: GRP_REDIST_REGS, attrs: [0, 0x20000] as const, size: 4 },
    { group: GRP_CPU_SYSREGS, attrs: [0xc000, 0xc700] as const, size: 8 },
    { group: GRP_LEVEL_INFO, attrs: [0, 0x400] as const, size: 4 },
  ],
  observe: observeGic,
  entries,
  snapshot: {
    save: (vm: Vm, h: DeviceHandle) => toJson(saveGic(h, itsHandles(vm))),
    // A fresh GICv3 and ITS, created and nothing set (restoreGic's precondition).
    prepare: (vm: Vm) => {
      const h = vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_V3);
      vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_ITS);
      return h;
    },
    restore: (vm: Vm, h: DeviceHandle | null, s: unknown) => {
      restoreGic(h!, itsHandles(vm), fromJson(s));
      return h!;
    },
  },
  importLine: `import { gicFuzzTarget as target } from "@irqlab/gic";`,
};
