/**
 * The API-contract fuzzer: `fuzzController(target, { ops, seed })` runs a seeded, reproducible
 * stream of random operations over every public entry point of a controller plugin's VM —
 * device attributes, descriptor ioctls, ONE_REG, ENABLE_CAP, KVM_CREATE_DEVICE, routing,
 * KVM_IRQ_LINE, KVM_SIGNAL_MSI, irqfd, eventfds, hypercalls, RTAS, trapped MMIO, mapped
 * pages, the guest driver's service loop, save/restore — with hostile values (validate.ts'
 * list: wrong types, bigint/number, NaN, ±∞, 2^53+1, 2^64, negatives, fractions,
 * null-prototype objects, sparse arrays, getters and proxies that throw). After every
 * operation it checks the contract of the house:
 *
 *   api calls    only a KvmError escapes, and a failed call changes no observable state
 *                (every device's dumpState, every ONE_REG word, vCPU lines and attachment,
 *                the routing table, the irqfds, plus the target's own `observe`)
 *   guest calls  nothing escapes but a documented guest-visible fault (`isFault`)
 *   accounting   every count written to an eventfd is still in it, was read back, or was
 *                consumed by an irqfd (signalled = taken + pending)
 *   snapshots    a random mutation of a saved snapshot is refused with a KvmError leaving the
 *                destination exactly as it was (and the unmutated snapshot is accepted
 *                after), or accepted with save(restore(s)) equal to s and the VM running on
 *
 * The run is cut into episodes (a fresh VM every `episode` ops); a violation is shrunk to a
 * minimal list of operations and thrown as a FuzzFailure whose message is a ready-to-paste
 * vitest regression test (`replayFuzzCase(target, ops)`).
 *
 * A plugin describes itself with a `FuzzTarget` (module, device type, guest driver, and
 * optionally its attribute groups, mapped pages, snapshot functions, faults and extra
 * entries); everything else (hcall opcodes, RTAS names, ONE_REG ids, MMIO regions, vCPU
 * capabilities) is discovered from the VM. Nothing here imports vitest.
 */
import {
  createVm,
  DeviceContribution,
  GuestDriverContribution,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_IRQ_ROUTING_MSI,
  KVM_SET_DEVICE_ATTR,
  KvmError,
  Process,
  type Arch,
  type ContainerModule,
  type DeviceHandle,
  type DeviceMapping,
  type GuestDriver,
  type RoutingEntry,
  type Vm,
} from "@irqlab/core";
import routingModule, { EventFd, GsiRouting, KVM_IRQFD_FLAG_DEASSIGN, KVM_SET_GSI_ROUTING, KVM_SIGNAL_MSI } from "@irqlab/routing";
import { routeToEntry } from "./guest-harness.js";
import { Rng, big, build, bytesHex, fromJson, hostile, intV, num, ptrV, ref, toHex, type V } from "./fuzz-values.js";

export type { V } from "./fuzz-values.js";
export { Rng } from "./fuzz-values.js";

/** An attribute group the fuzzer aims at: attr numbers in `attrs`, payloads of `size` bytes. */
export interface FuzzAttrGroup {
  readonly group: number;
  readonly attrs: readonly [number, number];
  readonly size: number;
}

/** How to save and restore the controller (restore runs on a fresh VM made like the fuzzed one). */
export interface FuzzSnapshot {
  /** Saves `vm`'s controller and leaves it running (resume included). */
  save(vm: Vm, h: DeviceHandle): unknown;
  /** Prepares a fresh VM for a restore (create the device, connect vCPUs ...); null = nothing. */
  prepare?(vm: Vm): DeviceHandle | null;
  /** Restores `s` into `vm` (on `h` from prepare); returns the controller's descriptor. */
  restore(vm: Vm, h: DeviceHandle | null, s: unknown): DeviceHandle;
  /** After an accepted restore: let the controller run (PQ put back ...). */
  resume?(vm: Vm, h: DeviceHandle, s: unknown): void;
  /**
   * false when the snapshot format is lossy for some reachable states (XICS: KVM's own source
   * and ICP words): an accepted snapshot s must then restore to a fixed point
   * (save(restore(save(restore(s)))) = save(restore(s))) instead of save(restore(s)) = s.
   * Default true.
   */
  readonly exact?: boolean;
}

export interface FuzzEnv {
  readonly target: FuzzTarget;
  readonly vm: Vm;
  readonly h: DeviceHandle;
  readonly driver: GuestDriver;
  readonly routing: GsiRouting;
  readonly routes: RoutingEntry[];
  readonly efds: EventFd[];
  readonly pages: Array<{ map: DeviceMapping; size: number } | null>;
  /** Counts read back from the eventfds by the fuzzer (accounting). */
  readBack: number;
  /** The last observation, while it is known to be current (after a refused call), else null. */
  lastObservation: string | null;
  /** Further handles entries may keep (plugin extensions). */
  readonly extra: Record<string, unknown>;
}

/** One kind of operation. `api`: KvmError allowed, no change on failure; `guest`: nothing escapes. */
export interface FuzzEntry {
  readonly weight: number;
  readonly kind: "api" | "guest" | "own";
  gen(rng: Rng, env: FuzzEnv): V[];
  run(env: FuzzEnv, args: unknown[]): unknown;
}

export interface FuzzTarget {
  readonly name: string;
  readonly module: ContainerModule;
  /** Further modules the VM loads (routing is always loaded). */
  readonly modules?: readonly ContainerModule[];
  readonly arch: Arch;
  readonly deviceType: number;
  /** GuestDriverContribution id: it creates the device and connects the vCPUs. */
  readonly driverId: string;
  readonly vcpus?: number;
  readonly attrGroups?: readonly FuzzAttrGroup[];
  /** mmap offsets of the device's pages (XIVE TIMA, ESB). */
  readonly pages?: ReadonlyArray<{ readonly offset: number; readonly size: number }>;
  /** Documented guest-visible faults (XIVE's SIGBUS on a mapping). */
  isFault?(e: unknown): boolean;
  readonly snapshot?: FuzzSnapshot;
  /** Extra observable state (attribute words the dumpState does not show). */
  observe?(env: FuzzEnv): unknown;
  /**
   * Parts of dumpState a failed call may change because KVM itself changes them (a documented
   * quirk, e.g. XICS allocating an ICS block before refusing the word): removed before the
   * before/after comparison. Each pattern should name its quirk in a comment.
   */
  readonly dumpQuirks?: readonly RegExp[];
  /** Plugin-specific entry points, merged with the generic ones (same name replaces). */
  readonly entries?: Readonly<Record<string, FuzzEntry>>;
  /** How a regression test imports this target, e.g. `import { xicsFuzzTarget as target } from "@irqlab/xics";`. */
  readonly importLine?: string;
}

export interface FuzzOp {
  readonly e: string;
  readonly a: readonly V[];
}

export interface FuzzOptions {
  ops: number;
  seed: number;
  /** Operations per fresh VM (default 200). */
  episode?: number;
  /** Stop after this many ms of wall time (the report says how many ops ran). */
  maxMs?: number;
}

export interface FuzzEntryCounts {
  calls: number;
  ok: number;
  /** KvmErrors by errno name. */
  errors: Record<string, number>;
  faults: number;
}

export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly ops: number;
  readonly ms: number;
  readonly opsPerSec: number;
  readonly entries: Record<string, FuzzEntryCounts>;
}

export class FuzzFailure extends Error {
  constructor(
    message: string,
    readonly ops: readonly FuzzOp[],
    readonly violation: string,
  ) {
    super(message);
    this.name = "FuzzFailure";
  }
}

// ------------------------------------------------------------------ environment

/** Each VM in a process of its own: its descriptors (and so the VM) go with it, no leak over a long run. */
function makeVm(t: FuzzTarget, process: Process = new Process()): Vm {
  return createVm({ arch: t.arch, vcpus: t.vcpus ?? 2, modules: [routingModule, t.module, ...(t.modules ?? [])], process });
}

/** A fresh VM with the controller attached by its guest driver, 4 sources routed to GSIs 1..4 with irqfds. */
export function makeFuzzEnv(t: FuzzTarget): FuzzEnv {
  const process = new Process();
  const vm = makeVm(t, process);
  const contribution = vm.getAll<GuestDriverContribution>(GuestDriverContribution).find((c) => c.id === t.driverId);
  if (!contribution) throw new Error(`fuzz ${t.name}: no guest driver "${t.driverId}"`);
  const driver = contribution.attach(vm);
  const routing = vm.get(GsiRouting);
  const routes: RoutingEntry[] = [];
  const efds: EventFd[] = [];
  const n = vm.vcpus.length;
  for (let i = 0; i < 4; i++) {
    const route = driver.configureSource({ index: i, trigger: "edge", vcpu: i % Math.max(1, n) });
    routes.push(routeToEntry(i + 1, route));
  }
  routing.setGsiRouting(routes);
  for (let i = 0; i < 6; i++) efds.push(EventFd.create(0, 0, process));
  for (let i = 0; i < 4; i++) routing.irqfd({ fd: efds[i], gsi: i + 1 });
  const h = driver.controller;
  // The device-control entry points need a device; a controller created by a VM ioctl (x86)
  // is not covered by this fuzzer yet.
  if (!h) throw new Error(`fuzzController(${t.name}): the guest driver has no device handle (controllers created by a VM ioctl are not supported yet)`);
  const pages = (t.pages ?? []).map((p) => {
    try {
      return { map: h.mmap(p.offset, 0), size: p.size };
    } catch {
      return null;
    }
  });
  return { target: t, vm, h, driver, routing, routes, efds, pages, readBack: 0, lastObservation: null, extra: {} };
}

function refsOf(env: FuzzEnv): (name: string) => unknown {
  return (name) => {
    if (name === "h") return env.h;
    const [kind, idx] = name.split(":");
    const i = Number(idx);
    if (kind === "efd") return env.efds[i];
    if (kind === "vcpu") return env.vm.vcpus[i];
    return undefined;
  };
}

// ------------------------------------------------------------------ observation

function bigSafe(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? `${v}n` : v;
}

/** Everything a failed call must leave as it was. */
export function observeVm(vm: Vm, extra?: () => unknown, quirks: readonly RegExp[] = []): string {
  const parts: unknown[] = [];
  for (const d of vm.deviceList()) {
    const b = d.backend as { dumpState?: () => unknown };
    let dump = typeof b.dumpState === "function" ? b.dumpState() : null;
    if (typeof dump === "string") for (const q of quirks) dump = (dump as string).replace(q, "");
    parts.push(d.name, d.alive, dump);
  }
  for (const v of vm.vcpus) {
    parts.push(v.id, v.irqchipKind, v.irqchipCpu, v.ext.asserted, v.crit.asserted, v.mcheck.asserted);
    for (const id of v.oneReg.ids()) {
      try {
        parts.push(v.getOneRegU64(id));
      } catch (e) {
        parts.push(KvmError.is(e) ? `E${e.errno}` : "throw");
      }
    }
  }
  if (vm.has(GsiRouting)) {
    const r = vm.get(GsiRouting);
    parts.push(r.getGsiRouting(), r.irqfds().map((i) => [i.gsi, i.eventfd.id, i.resample]));
  }
  if (extra) parts.push(extra());
  return JSON.stringify(parts, bigSafe);
}

function observe(env: FuzzEnv): string {
  return observeVm(env.vm, env.target.observe ? () => env.target.observe!(env) : undefined, env.target.dumpQuirks);
}

/** signalled = read back + consumed by irqfds + still pending, over the run's eventfds. */
function accountingError(env: FuzzEnv): string | null {
  let added = 0;
  let pending = 0;
  for (const e of env.efds) {
    added += e.file.added;
    pending += e.file.counter;
  }
  const c = env.routing.counters();
  const consumed = c.irqfdSignals + (c.irqfdShutdownSignals ?? 0);
  // Counts of 2^53 and more are kept saturated (eventfd.added): exact accounting ends there.
  if (added >= Number.MAX_SAFE_INTEGER || consumed + pending + env.readBack >= Number.MAX_SAFE_INTEGER) return null;
  if (added !== pending + consumed + env.readBack) {
    return `accounting: ${added} signalled != ${pending} pending + ${consumed} taken by irqfds (wakeups and shutdowns) + ${env.readBack} read back`;
  }
  return null;
}

// ------------------------------------------------------------------ generic entries

const ATTR_CMDS = [KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR];

function attrArgs(rng: Rng, env: FuzzEnv): V[] {
  const groups = env.target.attrGroups ?? [];
  const g = groups.length > 0 && rng.chance(0.85) ? rng.pick(groups) : null;
  const group = g ? (rng.chance(0.1) ? hostile(rng) : num(g.group)) : intV(rng, 0, 20, 0.3);
  const attr = g ? intV(rng, g.attrs[0], g.attrs[1], 0.1) : intV(rng, 0, 0x2000, 0.3);
  const o: Record<string, V> = { group, attr, addr: ptrV(rng, g ? g.size : rng.pick([1, 2, 4, 8, 16, 64])) };
  if (rng.chance(0.1)) o.flags = intV(rng, 0, 1, 0.5);
  if (rng.chance(0.02)) return [rng.pick<V>([["null"], ["throw"], ["nullobj", o]])];
  if (rng.chance(0.03)) o[rng.pick(["group", "attr", "flags"])] = ["throw"];
  return [["obj", o]];
}

function vcpuV(rng: Rng, env: FuzzEnv): V {
  return num(rng.int(env.vm.vcpus.length));
}

function regV(rng: Rng, hi = 0xffffffff): V {
  if (rng.chance(0.08)) return hostile(rng);
  const r = rng.int(6);
  const n = r === 0 ? 0 : r === 1 ? rng.int(8) : r === 2 ? rng.int(0x100) : r === 3 ? rng.int(0x2000) : r === 4 ? hi : rng.u32();
  return rng.chance(0.15) ? big(BigInt(n)) : num(n);
}

function oneRegIds(env: FuzzEnv, vcpu: number): bigint[] {
  return env.vm.vcpus[vcpu]?.oneReg.ids() ?? [];
}

function routeV(rng: Rng, env: FuzzEnv, e: RoutingEntry): V {
  const j = fromJson(JSON.parse(JSON.stringify({ ...e, gsi: rng.chance(0.7) ? e.gsi : rng.int(10) })));
  if (rng.chance(0.15) && j[0] === "obj") {
    const keys = Object.keys(j[1]);
    const k = rng.pick(keys);
    return ["obj", { ...j[1], [k]: hostile(rng) }];
  }
  void env;
  return j;
}

export const genericEntries: Readonly<Record<string, FuzzEntry>> = {
  setAttr: { weight: 10, kind: "api", gen: attrArgs, run: (env, [a]) => env.h.setAttr(a as never) },
  getAttr: { weight: 6, kind: "api", gen: attrArgs, run: (env, [a]) => env.h.getAttr(a as never) },
  hasAttr: { weight: 3, kind: "api", gen: attrArgs, run: (env, [a]) => env.h.hasAttr(a as never) },
  deviceIoctl: {
    weight: 2,
    kind: "api",
    gen: (rng) => [rng.chance(0.7) ? num(rng.pick(ATTR_CMDS)) : rng.chance(0.5) ? big(BigInt(rng.pick(ATTR_CMDS))) : intV(rng, 0, 0xffffffff, 0.4), ptrV(rng, 24), ptrV(rng, 8)],
    run: (env, [cmd, arg, payload]) => env.h.ioctl(cmd as never, arg as never, payload as never),
  },
  mmap: {
    weight: 1,
    kind: "api",
    gen: (rng) => [intV(rng, 0, 8 * 0x10000, 0.3)],
    run: (env, [off]) => void env.h.mmap(off as never),
  },
  oneRegGet: {
    weight: 3,
    kind: "api",
    gen: (rng, env) => {
      const v = rng.int(env.vm.vcpus.length);
      const ids = oneRegIds(env, v);
      return [num(v), ids.length > 0 && rng.chance(0.85) ? big(rng.pick(ids)) : intV(rng, 0, 0xffff, 0.4), ptrV(rng, rng.pick([8, 16]))];
    },
    run: (env, [v, id, addr]) => env.vm.vcpus[v as number].getOneReg(id as never, addr as never),
  },
  oneRegSet: {
    weight: 5,
    kind: "api",
    gen: (rng, env) => {
      const v = rng.int(env.vm.vcpus.length);
      const ids = oneRegIds(env, v);
      const id = ids.length > 0 && rng.chance(0.9) ? rng.pick(ids) : null;
      let cur: bigint | null = null;
      if (id !== null) {
        try {
          cur = env.vm.vcpus[v].getOneRegU64(id);
        } catch {
          cur = null;
        }
      }
      let value: V;
      if (cur !== null && rng.chance(0.7)) {
        const bit = BigInt(rng.int(64));
        value = rng.chance(0.5) ? big(cur ^ (1n << bit)) : big(cur);
      } else value = rng.chance(0.2) ? hostile(rng) : big(BigInt(rng.u32()) << BigInt(rng.int(33)));
      return [num(v), id !== null ? big(id) : intV(rng, 0, 0xffff, 0.4), value];
    },
    run: (env, [v, id, value]) => env.vm.vcpus[v as number].setOneRegU64(id as never, value as never),
  },
  enableCap: {
    weight: 1,
    kind: "api",
    gen: (rng, env) => {
      const caps = env.vm.getAll<DeviceContribution>(DeviceContribution).flatMap((c) => (c.vcpuCaps ?? []).map((h) => h.cap));
      const cap = caps.length > 0 && rng.chance(0.8) ? num(rng.pick(caps)) : intV(rng, 0, 300, 0.3);
      const args: V = rng.chance(0.1) ? hostile(rng) : ["arr", [rng.chance(0.8) ? ref("h") : hostile(rng), intV(rng, 0, 8, 0.3)]];
      return [vcpuV(rng, env), cap, args, rng.chance(0.9) ? num(0) : intV(rng, 0, 2, 0.5)];
    },
    run: (env, [v, cap, args, flags]) => env.vm.vcpus[v as number].enableCap(cap as never, args as never, flags as never),
  },
  createDevice: {
    weight: 1,
    kind: "api",
    gen: (rng, env) => [rng.chance(0.6) ? num(env.target.deviceType) : intV(rng, 0, 40, 0.3), rng.chance(0.5) ? ["undef"] : ["obj", { flags: intV(rng, 0, 1, 0.3) }]],
    run: (env, [type, opts]) => void env.vm.createDevice(type as never, opts as never),
  },
  checkExtension: {
    weight: 1,
    kind: "api",
    gen: (rng) => [intV(rng, 0, 300, 0.2)],
    run: (env, [cap]) => env.vm.checkExtension(cap as never),
  },
  hcall: {
    weight: 14,
    kind: "guest",
    gen: (rng, env) => {
      const ops = env.vm.hcalls.opcodes();
      const op = ops.length > 0 && rng.chance(0.95) ? num(rng.pick(ops)) : intV(rng, 0, 0x400, 0.2);
      return [vcpuV(rng, env), op, regV(rng), regV(rng), regV(rng), regV(rng)];
    },
    run: (env, [v, op, a0, a1, a2, a3]) => env.vm.vcpus[v as number].hcall(op as never, a0 as never, a1 as never, a2 as never, a3 as never),
  },
  rtas: {
    weight: 4,
    kind: "guest",
    gen: (rng, env) => {
      const names = env.vm.rtas.names();
      const name: V = names.length > 0 && rng.chance(0.95) ? ["str", rng.pick(names)] : ["str", "fuzz,unknown"];
      const nargs = rng.int(5);
      const args: V = rng.chance(0.05) ? rng.pick<V>([["null"], ["undef"], ["arr", [num(1), num(2), num(3)], [1]]]) : ["arr", Array.from({ length: nargs }, () => regV(rng))];
      return [vcpuV(rng, env), name, args, intV(rng, 0, 5, 0.1)];
    },
    run: (env, [v, name, args, nret]) => env.vm.vcpus[v as number].rtas(name as never, args as never, nret as never),
  },
  mmio: {
    weight: 6,
    kind: "guest",
    gen: (rng, env) => {
      const regions = env.vm.mmio.regions();
      const r = regions.length > 0 ? rng.pick(regions) : { base: 0, size: 0x1000 };
      const size = rng.pick([1, 2, 4, 8]);
      const off = rng.chance(0.9) ? rng.int(Math.max(1, r.size - size + 1)) & ~(size - 1) : rng.int(r.size + 16);
      return [vcpuV(rng, env), num(r.base + off), num(size), rng.chance(0.5) ? ["undef"] : num(rng.u32())];
    },
    run: (env, [v, addr, size, value]) => {
      const vc = env.vm.vcpus[v as number];
      return value === undefined ? vc.mmioRead(addr as number, size as number) : vc.mmioWrite(addr as number, size as number, value as number);
    },
  },
  page: {
    weight: 8,
    kind: "guest",
    gen: (rng, env) => {
      const i = env.pages.length > 0 ? rng.int(env.pages.length) : 0;
      const p = env.pages[i];
      const size = rng.pick([1, 2, 4, 8]);
      const span = p ? p.size : 0x1000;
      const off = rng.int(Math.max(1, Math.floor(span / size))) * size;
      return [num(i), num(off), num(size), rng.chance(0.6) ? ["undef"] : num(rng.chance(0.5) ? 0 : rng.u32()), vcpuV(rng, env)];
    },
    run: (env, [i, off, size, value, v]) => {
      const p = env.pages[i as number];
      if (!p) return 0;
      const vc = env.vm.vcpus[v as number];
      return value === undefined ? p.map.read(off as number, size as number, vc) : p.map.write(off as number, size as number, value as number, vc);
    },
  },
  service: {
    weight: 10,
    kind: "guest",
    gen: (rng, env) => [vcpuV(rng, env)],
    run: (env, [v]) => {
      const vc = env.vm.vcpus[v as number];
      let n = 0;
      for (let i = 0; i < 8 && (vc.ext.asserted || vc.crit.asserted); i++) n += env.driver.service(vc, () => {});
      return n;
    },
  },
  sendIpi: {
    weight: 2,
    kind: "guest",
    gen: (rng, env) => [vcpuV(rng, env), vcpuV(rng, env)],
    run: (env, [a, b]) => env.driver.sendIpi(env.vm.vcpus[a as number], b as number),
  },
  setGsiRouting: {
    weight: 3,
    kind: "api",
    gen: (rng, env) => {
      if (rng.chance(0.05)) return [hostile(rng)];
      const n = rng.int(env.routes.length + 1);
      const list: V[] = [];
      for (let i = 0; i < n; i++) list.push(routeV(rng, env, rng.pick(env.routes)));
      return [["arr", list, rng.chance(0.03) ? [0] : []]];
    },
    run: (env, [entries]) => env.routing.setGsiRouting(entries as never),
  },
  irqLine: {
    weight: 3,
    kind: "api",
    gen: (rng) => [intV(rng, 0, 8, 0.15), intV(rng, 0, 1, 0.15)],
    run: (env, [gsi, level]) => env.routing.irqLine(gsi as never, level as never),
  },
  signalMsi: {
    weight: 2,
    kind: "api",
    gen: (rng, env) => {
      const m = env.routes.find((r) => r.type === KVM_IRQ_ROUTING_MSI) as Extract<RoutingEntry, { type: 2 }> | undefined;
      const msi = m ? m.msi : { addressLo: 0xfee00000, addressHi: 0, data: 0, flags: 0, devid: 0 };
      const o: Record<string, V> = { addressLo: num(msi.addressLo), addressHi: num(msi.addressHi), data: num(msi.data) };
      if (rng.chance(0.3)) o[rng.pick(Object.keys(o))] = rng.chance(0.5) ? hostile(rng) : num(rng.u32());
      return [["obj", o]];
    },
    run: (env, [msg]) => env.routing.signalMsi(msg as never),
  },
  vmIoctl: {
    weight: 1,
    kind: "api",
    gen: (rng) => [rng.chance(0.6) ? num(rng.pick([KVM_SET_GSI_ROUTING, KVM_SIGNAL_MSI])) : intV(rng, 0, 0xffffffff, 0.3), ptrV(rng, rng.pick([8, 32, 56]))],
    run: (env, [cmd, arg]) => env.routing.ioctl(cmd as never, arg as never),
  },
  irqfd: {
    weight: 4,
    kind: "api",
    gen: (rng, env) => {
      const o: Record<string, V> = { fd: rng.chance(0.9) ? ref(`efd:${rng.int(env.efds.length)}`) : hostile(rng), gsi: intV(rng, 0, 8, 0.1) };
      if (rng.chance(0.5)) o.flags = rng.chance(0.8) ? num(KVM_IRQFD_FLAG_DEASSIGN) : intV(rng, 0, 4, 0.3);
      return [["obj", o]];
    },
    run: (env, [args]) => env.routing.irqfd(args as never),
  },
  efdWrite: {
    weight: 12,
    kind: "api",
    gen: (rng, env) => [num(rng.int(env.efds.length)), rng.chance(0.9) ? num(rng.range(1, 3)) : hostile(rng)],
    run: (env, [i, v]) => env.efds[i as number].write(v as never),
  },
  efdRead: {
    weight: 1,
    kind: "own",
    gen: (rng, env) => [num(rng.int(env.efds.length))],
    run: (env, [i]) => {
      const e = env.efds[i as number];
      if (e.file.counter === 0) return 0;
      const n = e.read();
      env.readBack += n;
      return n;
    },
  },
  snapshot: {
    weight: 1,
    kind: "own",
    gen: (rng) => [num(rng.u32()), rng.chance(0.15) ? ["str", "keep"] : rng.chance(0.3) ? ["str", rng.pick(["delete", "sparse", "nullproto", "accessor"])] : rng.chance(0.5) ? hostile(rng) : num(rng.u32() % 300)],
    run: (env, [pick, how]) => snapshotRoundTrip(env, pick as number, how),
  },
};

// ------------------------------------------------------------------ snapshots

type Path = Array<string | number>;

function leafPaths(x: unknown, at: Path = [], out: Path[] = []): Path[] {
  if (x !== null && typeof x === "object") {
    out.push(at);
    for (const [k, v] of Object.entries(x)) leafPaths(v, [...at, Array.isArray(x) ? Number(k) : k], out);
  } else out.push(at);
  return out;
}

function canonical(x: unknown): string {
  return JSON.stringify(x, (_k, v) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v && typeof v === "object" && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
    return v;
  });
}

/** Thrown by the snapshot check: a contract violation, not an exception of the code under test. */
class Violation extends Error {}

function mutate(s: unknown, pick: number, how: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(s));
  if (how === "keep") return copy;
  const paths = leafPaths(copy).filter((p) => p.length > 0);
  if (paths.length === 0) return copy;
  const p = paths[pick % paths.length];
  let parent = copy as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = p[p.length - 1];
  const cur = parent[last];
  if (how === "delete") {
    if (Array.isArray(parent)) delete parent[last as number];
    else delete parent[last];
  } else if (how === "sparse") {
    if (Array.isArray(cur) && cur.length > 0) delete cur[0];
    else parent[last] = [cur, , cur];
  } else if (how === "nullproto") {
    parent[last] = cur && typeof cur === "object" && !Array.isArray(cur) ? Object.assign(Object.create(null), cur) : Object.create(null);
  } else if (how === "accessor") {
    Object.defineProperty(parent, last, {
      enumerable: true,
      get() {
        throw new Error("fuzz: snapshot getter throws");
      },
    });
  } else if (typeof how === "number" && typeof cur === "number" && Number.isInteger(how)) {
    parent[last] = how < 150 ? cur + (how % 3) - 1 : cur ^ (1 << how % 31);
  } else if (typeof how === "number" && typeof cur === "string" && /^(0x)?[0-9a-f]+$/i.test(cur) && cur.length > 2) {
    const i = (how % (cur.length - (cur.startsWith("0x") ? 2 : 0))) + (cur.startsWith("0x") ? 2 : 0);
    const c = parseInt(cur[i], 16);
    parent[last] = cur.slice(0, i) + ((c ^ (1 + (how % 15))) & 15).toString(16) + cur.slice(i + 1);
  } else if (typeof how === "number" && typeof cur === "boolean") {
    parent[last] = !cur;
  } else parent[last] = how;
  return copy;
}

function isGuestFault(env: FuzzEnv, e: unknown): boolean {
  return env.target.isFault?.(e) ?? false;
}

function snapshotRoundTrip(env: FuzzEnv, pick: number, howV: unknown): void {
  const t = env.target;
  const sn = t.snapshot;
  if (!sn) return;
  const original = JSON.parse(JSON.stringify(sn.save(env.vm, env.h), bigSafe));
  const s = mutate(original, pick, howV);
  const vm = makeVm(t);
  const prepared = sn.prepare ? sn.prepare(vm) : null;
  const before = observeVm(vm, undefined, t.dumpQuirks);
  let h: DeviceHandle;
  try {
    h = sn.restore(vm, prepared, s);
  } catch (e) {
    if (!KvmError.is(e)) throw new Violation(`restore of a mutated snapshot threw ${describe(e)}`);
    const after = observeVm(vm, undefined, t.dumpQuirks);
    if (after !== before) throw new Violation(`a refused restore (${e.code}: ${e.message}) changed the destination: ${firstDiff(before, after)}`);
    // The destination must answer the unmutated snapshot as a fresh one does (accept it, or
    // refuse it the same way when the saved state is one the kernel cannot restore either).
    const expected = restoreOutcome(t, original, null);
    const got = restoreOutcome(t, original, { vm, h: prepared });
    if (got !== expected) throw new Violation(`after a refused restore (${e.code}) the unmutated snapshot gives ${got}, a fresh VM ${expected}`);
    return;
  }
  try {
    sn.resume?.(vm, h, s);
    const back = JSON.parse(JSON.stringify(sn.save(vm, h), bigSafe));
    if (sn.exact === false) {
      // Lossy format: the restored state must be a fixed point of save -> restore.
      const vm2 = makeVm(t);
      try {
        const h2 = sn.restore(vm2, sn.prepare ? sn.prepare(vm2) : null, JSON.parse(JSON.stringify(back)));
        sn.resume?.(vm2, h2, back);
        const again = JSON.parse(JSON.stringify(sn.save(vm2, h2), bigSafe));
        if (canonical(again) !== canonical(back)) throw new Violation(`an accepted snapshot does not restore to a fixed point: ${firstDiff(canonical(back), canonical(again))}`);
      } finally {
        vm2.destroy();
      }
    } else if (canonical(back) !== canonical(JSON.parse(JSON.stringify(s)))) {
      throw new Violation(`an accepted snapshot does not save back as itself: ${firstDiff(canonical(s), canonical(back))}`);
    }
    // The guest runs on: every vCPU whose line is up makes the controller's hypercalls
    // (nothing may throw on a restored VM).
    const ops = vm.hcalls.opcodes().slice(0, 4);
    for (const v of vm.vcpus) if (v.ext.asserted || v.crit.asserted) for (const op of ops) vm.hcalls.call(v, op, 0xff, 0, 0, 0);
  } catch (e) {
    if (e instanceof Violation) throw e;
    if (isGuestFault(env, e)) throw new Violation(`the VM restored from an accepted snapshot faults: ${describe(e)}`);
    throw new Violation(`resuming an accepted snapshot threw ${describe(e)}`);
  } finally {
    vm.destroy();
  }
}

/** "ok" or the errno name of restoring `s` into `into` (or a fresh prepared VM). */
function restoreOutcome(t: FuzzTarget, s: unknown, into: { vm: Vm; h: DeviceHandle | null } | null): string {
  const sn = t.snapshot!;
  const vm = into ? into.vm : makeVm(t);
  try {
    const h = into ? into.h : sn.prepare ? sn.prepare(vm) : null;
    sn.restore(vm, h, JSON.parse(JSON.stringify(s)));
    return "ok";
  } catch (e) {
    if (!KvmError.is(e)) throw new Violation(`restoring an unmutated snapshot threw ${describe(e)}`);
    return e.code;
  } finally {
    if (!into) vm.destroy();
  }
}

function firstDiff(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at char ${i}: ${JSON.stringify(a.slice(Math.max(0, i - 60), i + 60))} vs ${JSON.stringify(b.slice(Math.max(0, i - 60), i + 60))}`;
}

function describe(e: unknown): string {
  if (KvmError.is(e)) return `KvmError ${e.code}: ${e.message}`;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `a thrown ${typeof e}`;
}

// ------------------------------------------------------------------ the run

interface Step {
  violation: string | null;
  outcome: "ok" | "error" | "fault";
  errno?: string;
}

function entriesOf(t: FuzzTarget): Record<string, FuzzEntry> {
  const all: Record<string, FuzzEntry> = { ...genericEntries, ...(t.entries ?? {}) };
  if (!t.snapshot) delete all.snapshot;
  return all;
}

function step(env: FuzzEnv, entries: Record<string, FuzzEntry>, op: FuzzOp): Step {
  const entry = entries[op.e];
  if (!entry) return { violation: `unknown entry ${op.e}`, outcome: "error" };
  const args = op.a.map((v) => build(v, refsOf(env)));
  // A refused call was checked to leave the state as observed: that observation is still
  // current for the next call (half the api calls are refused: half the observations saved).
  const before = entry.kind === "api" ? (env.lastObservation ?? observe(env)) : "";
  env.lastObservation = null;
  let out: Step;
  try {
    entry.run(env, args);
    out = { violation: null, outcome: "ok" };
  } catch (e) {
    if (e instanceof Violation) return { violation: e.message, outcome: "error" };
    if (entry.kind === "guest") {
      if (isGuestFault(env, e)) out = { violation: null, outcome: "fault" };
      else return { violation: `guest call ${op.e} threw ${describe(e)}`, outcome: "error" };
    } else if (!KvmError.is(e)) {
      return { violation: `${op.e} threw ${describe(e)}, not a KvmError`, outcome: "error" };
    } else {
      out = { violation: null, outcome: "error", errno: e.code };
      if (entry.kind === "api") {
        const after = observe(env);
        if (after !== before) return { violation: `${op.e} failed (${e.code}: ${e.message}) but changed state ${firstDiff(before, after)}`, outcome: "error" };
        env.lastObservation = after;
      }
    }
  }
  const acc = accountingError(env);
  if (acc) return { violation: `${op.e}: ${acc}`, outcome: out.outcome };
  return out;
}

function genOp(rng: Rng, env: FuzzEnv, names: string[], weights: number[], total: number, entries: Record<string, FuzzEntry>): FuzzOp {
  let x = rng.next() * total;
  let i = 0;
  while (x >= weights[i]) x -= weights[i++];
  const e = names[Math.min(i, names.length - 1)];
  return { e, a: entries[e].gen(rng, env) };
}

/** Runs `ops` on a fresh environment; the first violation (and its index), or null. */
export function replayOps(t: FuzzTarget, ops: readonly FuzzOp[]): { index: number; violation: string } | null {
  const entries = entriesOf(t);
  const env = makeFuzzEnv(t);
  try {
    for (let i = 0; i < ops.length; i++) {
      const s = step(env, entries, ops[i]);
      if (s.violation) return { index: i, violation: s.violation };
    }
    return null;
  } finally {
    env.vm.destroy();
  }
}

/** The violation's kind, for shrinking: same entry and same first words. */
function kindOf(v: string): string {
  return v.replace(/[0-9a-fx]{2,}/gi, "#").split(/[:(]/)[0];
}

/** Greedy delta-debugging: drops chunks, then single ops, while the same kind of violation remains. */
export function shrinkOps(t: FuzzTarget, ops: readonly FuzzOp[], violation: string, budget = 400): FuzzOp[] {
  const want = kindOf(violation);
  let cur = [...ops];
  const fails = (list: FuzzOp[]) => {
    if (budget-- <= 0) return false;
    const r = replayOps(t, list);
    return r !== null && kindOf(r.violation) === want;
  };
  for (let chunk = Math.max(1, cur.length >> 1); chunk >= 1; chunk >>= 1) {
    for (let i = 0; i + chunk <= cur.length - 1; ) {
      const cand = [...cur.slice(0, i), ...cur.slice(i + chunk)];
      if (fails(cand)) cur = cand;
      else i += chunk;
    }
  }
  return cur;
}

/** The regression test for a failure, ready to paste into a vitest file. */
export function regressionTest(t: FuzzTarget, seed: number, violation: string, ops: readonly FuzzOp[]): string {
  const imp = t.importLine ?? `// import the FuzzTarget of ${t.name} as \`target\``;
  const body = ops.map((o) => `    ${JSON.stringify(o)},`).join("\n");
  return [
    `import { it } from "vitest";`,
    `import { replayFuzzCase } from "@irqlab/testkit";`,
    imp,
    ``,
    `it(${JSON.stringify(`fuzz regression (${t.name}, seed ${seed}): ${violation.slice(0, 120)}`)}, () => {`,
    `  replayFuzzCase(target, [`,
    body,
    `  ]);`,
    `});`,
  ].join("\n");
}

/** Replays `ops` with every check; throws an Error naming the violation. For regression tests. */
export function replayFuzzCase(t: FuzzTarget, ops: readonly FuzzOp[]): void {
  const r = replayOps(t, ops);
  if (r) throw new Error(`fuzz case violates the contract at op ${r.index} (${ops[r.index].e}): ${r.violation}`);
}

/** Runs the fuzzer; returns counts, or throws a FuzzFailure carrying a shrunk regression test. */
export function fuzzController(t: FuzzTarget, opts: FuzzOptions): FuzzReport {
  const entries = entriesOf(t);
  const names = Object.keys(entries);
  const weights = names.map((n) => entries[n].weight);
  const total = weights.reduce((a, b) => a + b, 0);
  const counts: Record<string, FuzzEntryCounts> = {};
  for (const n of names) counts[n] = { calls: 0, ok: 0, errors: {}, faults: 0 };
  const episode = opts.episode ?? 200;
  const rng = new Rng(opts.seed);
  const t0 = Date.now();
  let done = 0;
  while (done < opts.ops) {
    if (opts.maxMs !== undefined && Date.now() - t0 > opts.maxMs) break;
    const env = makeFuzzEnv(t);
    const ops: FuzzOp[] = [];
    try {
      const n = Math.min(episode, opts.ops - done);
      for (let i = 0; i < n; i++) {
        const op = genOp(rng, env, names, weights, total, entries);
        ops.push(op);
        const s = step(env, entries, op);
        const c = counts[op.e];
        c.calls++;
        if (s.outcome === "ok") c.ok++;
        else if (s.outcome === "fault") c.faults++;
        else if (s.errno) c.errors[s.errno] = (c.errors[s.errno] ?? 0) + 1;
        done++;
        if (s.violation) {
          const small = shrinkOps(t, ops, s.violation);
          const final = replayOps(t, small);
          const violation = final ? final.violation : s.violation;
          throw new FuzzFailure(
            `fuzz ${t.name} (seed ${opts.seed}, op ${done}): ${violation}\n\nregression test (${small.length} ops):\n\n${regressionTest(t, opts.seed, violation, small)}\n`,
            small,
            violation,
          );
        }
      }
    } finally {
      env.vm.destroy();
    }
  }
  const ms = Date.now() - t0;
  return { target: t.name, seed: opts.seed, ops: done, ms, opsPerSec: ms > 0 ? Math.round((done * 1000) / ms) : done, entries: counts };
}

/** A one-line-per-entry text table of a report. */
export function formatFuzzReport(r: FuzzReport): string {
  const lines = [`${r.target}: ${r.ops} ops in ${(r.ms / 1000).toFixed(1)} s (${r.opsPerSec} ops/s), seed ${r.seed}, 0 violations`];
  for (const [e, c] of Object.entries(r.entries)) {
    const errs = Object.entries(c.errors)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    lines.push(`  ${e.padEnd(15)} ${String(c.calls).padStart(8)} calls  ${String(c.ok).padStart(8)} ok  ${c.faults ? `${c.faults} faults  ` : ""}${errs}`);
  }
  return lines.join("\n");
}

export { toHex, bytesHex };
