/**
 * Helpers for this package's tests (not built into dist): a ppc64 VM with the XICS device
 * and connected vCPUs, typed attribute / ONE_REG accessors, and a fingerprint of the whole
 * model state for "nothing changed" properties.
 */
import fc from "fast-check";
import { createVm, encodeU64, decodeU64, errnoOf, KVM_CAP_IRQ_XICS, type ContainerModule, type DeviceHandle, type ProfileOption, type Vcpu, type Vm } from "@irqlab/core";
import xicsModule, {
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_REG_PPC_ICP_STATE,
  checkIcpStateWord,
  decodeIcpStateWord,
  decodeSourceWord,
  encodeIcpStateWord,
  encodeSourceWord,
  type IcpStateWord,
  type SourceWord,
  type Xics,
  type XicsDevice,
} from "./index.js";

export interface XicsFixture {
  vm: Vm;
  dev: DeviceHandle;
  backend: XicsDevice;
  xics: Xics;
  v: Vcpu[];
}

/** A ppc64 VM with `vcpus` vCPUs, the XICS device, and vCPU i connected as server `servers[i]` (default i). */
export function xicsVm(vcpus = 2, opts: { servers?: (number | null)[]; modules?: ContainerModule[]; profile?: ProfileOption } = {}): XicsFixture {
  const vm = createVm({ arch: "ppc64", vcpus, profile: opts.profile, modules: [...(opts.modules ?? []), xicsModule] });
  const dev = vm.createDevice(3);
  vm.vcpus.forEach((v, i) => {
    const s = opts.servers ? opts.servers[i] : i;
    if (s !== null && s !== undefined) v.enableCap(KVM_CAP_IRQ_XICS, [dev, s]);
  });
  const backend = dev.backend<XicsDevice>();
  return { vm, dev, backend, xics: backend.xics, v: [...vm.vcpus] };
}

type WordInput = Partial<SourceWord> & { server?: number; priority?: number };

/** KVM_SET_DEVICE_ATTR(GRP_SOURCES, irq) with a word built from fields (server 0, priority 0xff by default). */
export function setSource(dev: DeviceHandle, irq: number | bigint, w: WordInput | bigint): void {
  const word = typeof w === "bigint" ? w : encodeSourceWord({ server: 0, priority: 0xff, ...w });
  dev.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: irq, addr: encodeU64(word) });
}

/** KVM_GET_DEVICE_ATTR(GRP_SOURCES, irq) decoded. */
export function getSource(dev: DeviceHandle, irq: number | bigint): SourceWord {
  const buf = new Uint8Array(8);
  dev.getAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: irq, addr: buf });
  return decodeSourceWord(decodeU64(buf));
}

/** The raw source word, or the errno of getAttr. */
export function sourceWordOrErrno(dev: DeviceHandle, irq: number): bigint | number {
  const buf = new Uint8Array(8);
  const e = errnoOf(() => dev.getAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: irq, addr: buf }));
  return e === 0 ? decodeU64(buf) : e;
}

/** KVM_GET_ONE_REG(KVM_REG_PPC_ICP_STATE) decoded. */
export function icpWord(v: Vcpu): IcpStateWord {
  return decodeIcpStateWord(v.getOneRegU64(KVM_REG_PPC_ICP_STATE));
}

/** KVM_SET_ONE_REG(KVM_REG_PPC_ICP_STATE) from fields. */
export function setIcpWord(v: Vcpu, w: IcpStateWord): void {
  v.setOneRegU64(KVM_REG_PPC_ICP_STATE, encodeIcpStateWord(w));
}

/** A 1-in-priority MSI source: created unmasked at `priority` on `server`. */
export function msi(dev: DeviceHandle, irq: number, server = 0, priority = 5): void {
  setSource(dev, irq, { server, priority });
}

/** An LSI source created unmasked. */
export function lsi(dev: DeviceHandle, irq: number, server = 0, priority = 5): void {
  setSource(dev, irq, { server, priority, levelSensitive: true });
}

/** Everything the model holds (internal fields included), for "nothing changed" checks. */
export function fingerprint(f: XicsFixture): string {
  const icps = f.xics.icps().map((i) => ({
    s: i.serverNum,
    c: i.cppr,
    m: i.mfrr,
    p: i.pendingPri,
    x: i.xisr,
    n: i.needResend,
    o: i.outEe,
    ee: i.vcpu.ext.asserted,
    map: Array.from(i.resendMap).join(","),
  }));
  const blocks: unknown[] = [];
  for (const b of f.xics.ics.blocks) {
    if (b === null) continue;
    blocks.push([b.icsid, hash(b.server), hash(b.priority), hash(b.savedPriority), hash(b.pq), hash(b.flags)]);
  }
  return JSON.stringify({ icps, blocks, max: f.xics.ics.maxIcsId, hret: Array.from(f.v.flatMap((v) => Array.from(v.hret))) });
}

function hash(a: ArrayLike<number>): string {
  let h = 2166136261;
  for (let i = 0; i < a.length; i++) {
    h ^= a[i];
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0).toString(16);
}

/** The Icp object of a vCPU (model internals, for assertions on need_resend / resend map). */
export function icpOf(f: XicsFixture, v: Vcpu) {
  const icp = f.xics.icpOf(v);
  if (!icp) throw new Error(`vCPU ${v.id} has no ICP`);
  return icp;
}

/** Raw internal flags of a source (resend / masked-pending / pq). */
export function srcState(f: XicsFixture, irq: number) {
  const b = f.xics.ics.find(irq);
  if (!b) return null;
  const i = irq & 0x3ff;
  return { server: b.server[i], priority: b.priority[i], saved: b.savedPriority[i], pq: b.pq[i], resend: (b.flags[i] & 1) !== 0, maskedPending: (b.flags[i] & 2) !== 0, lsi: (b.flags[i] & 4) !== 0, exists: (b.flags[i] & 8) !== 0 };
}

// ------------------------------------------------------------------ random guest/device operations

/** Sources of the random-operation fixture: [irq, lsi, server, priority]. */
export const OP_SOURCES: ReadonlyArray<readonly [number, boolean, number, number]> = [
  [0x1000, false, 0, 5],
  [0x1001, false, 1, 3],
  [0x1002, true, 0, 5],
  [0x1003, true, 1, 6],
  [0x1400, false, 0, 4],
];

export type Op =
  | { k: "irq"; src: number; level: number }
  | { k: "hcall"; vcpu: number; op: number; a0: number; a1: number }
  | { k: "accept"; vcpu: number }
  | { k: "eoi"; vcpu: number; deassert: boolean }
  | { k: "service"; vcpu: number; deassert: boolean }
  | { k: "rtas"; name: string; args: number[]; nret: number };

/** The guest's memory of what it accepted and has not EOIed yet (XIRRs, per vCPU), as Linux keeps its CPPR stack. */
const inService = new WeakMap<XicsFixture, number[][]>();
export function guestStacks(f: XicsFixture): number[][] {
  let s = inService.get(f);
  if (!s) inService.set(f, (s = f.v.map(() => [])));
  return s;
}

/** A 2-vCPU fixture with OP_SOURCES created and vCPU 0's CPPR opened (vCPU 1 stays at 0). */
export function opFixture(modules: ContainerModule[] = []): XicsFixture {
  const f = xicsVm(2, { modules });
  for (const [irq, isLsi, server, priority] of OP_SOURCES) setSource(f.dev, irq, { server, priority, levelSensitive: isLsi });
  f.v[0].hcall(0x68, 0xff);
  return f;
}

const srcArb = fc.constantFrom(...OP_SOURCES.map((s) => s[0]));
const prioArb = fc.constantFrom(0, 2, 3, 4, 5, 6, 0xff);
const vcpuArb = fc.nat({ max: 1 });

/** Guest and device operations: mostly what a Linux guest does, sometimes a misbehaving one. */
export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant("irq" as const), src: srcArb, level: fc.constantFrom(0, 1, 1) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("service" as const), vcpu: vcpuArb, deassert: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("accept" as const), vcpu: vcpuArb }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("eoi" as const), vcpu: vcpuArb, deassert: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.oneof(
      fc.record({ k: fc.constant("hcall" as const), vcpu: vcpuArb, op: fc.constant(0x68), a0: fc.constantFrom(0, 3, 4, 5, 6, 0xff, 0xff, 0x105), a1: fc.constant(0) }),
      fc.record({ k: fc.constant("hcall" as const), vcpu: vcpuArb, op: fc.constant(0x6c), a0: fc.constantFrom(0, 1, 7), a1: fc.constantFrom(0xff, 0xff, 3, 4, 5, 6) }),
      fc.record({ k: fc.constant("hcall" as const), vcpu: vcpuArb, op: fc.constant(0x70), a0: fc.constantFrom(0, 1, 7), a1: fc.constant(0) }),
      fc.record({ k: fc.constant("hcall" as const), vcpu: vcpuArb, op: fc.constant(0x2fc), a0: fc.constant(0), a1: fc.constant(0) }),
    ),
  },
  {
    // a misbehaving guest: EOI of something it did not accept, with any CPPR
    weight: 1,
    arbitrary: fc
      .record({ vcpu: vcpuArb, cppr: fc.constantFrom(0xff, 5, 3, 0), src: fc.oneof(srcArb, fc.constantFrom(2, 0, 0x5000)) })
      .map(({ vcpu, cppr, src }) => ({ k: "hcall" as const, vcpu, op: 0x64, a0: cppr * 0x1000000 + src, a1: 0 })),
  },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.record({ k: fc.constant("rtas" as const), name: fc.constant("ibm,set-xive"), args: fc.tuple(srcArb, fc.constantFrom(0, 1), prioArb).map((t) => [...t]), nret: fc.constant(1) }),
      fc.record({ k: fc.constant("rtas" as const), name: fc.constantFrom("ibm,int-off", "ibm,int-on"), args: srcArb.map((s) => [s]), nret: fc.constant(1) }),
      fc.record({ k: fc.constant("rtas" as const), name: fc.constant("ibm,get-xive"), args: srcArb.map((s) => [s]), nret: fc.constant(3) }),
    ),
  },
);

/**
 * Applies one operation; returns what the guest / device observes (statuses, r4/r5, RTAS
 * return words, EE lines, ack notifications since the last call).
 */
export function applyOp(f: XicsFixture, op: Op, acks: number[]): string {
  let out: unknown;
  const stacks = guestStacks(f);
  const accept = (vcpu: number) => {
    const v = f.v[vcpu];
    const rc = v.hcall(0x74);
    const xirr = v.hret[0];
    if (xirr % 0x1000000 !== 0) stacks[vcpu].push(xirr);
    return [rc, xirr];
  };
  const eoi = (vcpu: number, deassert: boolean) => {
    const xirr = stacks[vcpu].pop();
    if (xirr === undefined) return null;
    const src = xirr % 0x1000000;
    if (deassert && src > 2) f.xics.setIrq(src, 0);
    return f.v[vcpu].hcall(0x64, xirr);
  };
  switch (op.k) {
    case "irq":
      out = f.xics.setIrq(op.src, op.level);
      break;
    case "hcall": {
      const v = f.v[op.vcpu];
      const rc = v.hcall(op.op, op.a0, op.a1);
      out = [rc, v.hret[0], v.hret[1]];
      break;
    }
    case "accept":
      out = accept(op.vcpu);
      break;
    case "eoi":
      out = eoi(op.vcpu, op.deassert);
      break;
    case "service": {
      // Linux-like: accept, (the device de-asserts a level source), EOI with the XIRR.
      const a = accept(op.vcpu);
      out = [a, a[1] % 0x1000000 === 0 ? null : eoi(op.vcpu, op.deassert)];
      break;
    }
    case "rtas":
      out = f.v[0].rtas(op.name, op.args, op.nret);
      break;
  }
  const ee = f.v.map((v) => (v.ext.asserted ? 1 : 0));
  return JSON.stringify([out, ee, acks.splice(0)]);
}

/**
 * Whether KVM's words carry the whole state (see snapshot.ts): no raised EE line the state
 * no longer calls for, every ICP word acceptable to KVM_SET_ONE_REG, no source with
 * resend/masked-pending but P clear, no level source in service (P set, nothing pending,
 * not in an XISR, its server connected), and no level source both in an XISR and marked
 * resend / masked-pending (an EOI of a presented LSI that was never accepted does that).
 */
export function lossless(f: XicsFixture): boolean {
  const icps = f.xics.icps();
  for (const icp of icps) if (icp.vcpu.ext.asserted && !icp.outEe) return false;
  for (const icp of icps) if (checkIcpStateWord(icp, (x) => f.xics.ics.find(x) !== null).errno !== 0) return false;
  const inXisr = new Set(icps.map((i) => i.xisr));
  for (const irq of f.xics.ics.existing()) {
    const s = srcState(f, irq)!;
    const p = (s.pq & 1) !== 0;
    if ((s.resend || s.maskedPending) && !p) return false;
    if (s.lsi && p && !s.resend && !s.maskedPending && !inXisr.has(irq) && f.xics.findServer(s.server) !== null) return false;
    if (s.lsi && inXisr.has(irq) && (s.resend || s.maskedPending)) return false;
  }
  return true;
}
