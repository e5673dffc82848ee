/**
 * The RISC-V AIA as the testkit fuzzer sees it (a FuzzTarget of @irqlab/testkit, written
 * structurally: no dependency on the testkit): the attribute groups (CONFIG, ADDR, CTRL,
 * APLIC, IMSIC), GRP_IMSIC addressed by vCPU id, and the guest's IMSIC CSRs (siselect,
 * sireg, stopei and their csrrw / csrrs / csrrc ids) as guest accesses through
 * vcpu.sysregRead/Write. The APLIC and IMSIC MMIO windows, the AIA CSR ONE_REGs and routing
 * are discovered from the VM.
 */
import { KVM_DEV_TYPE_RISCV_AIA, parseSnapshot, type DeviceHandle, type SnapshotReader, type Vm } from "@irqlab/core";
import {
  AIA_CSR_CLEAR,
  AIA_CSR_SET,
  AIA_CSR_SWAP,
  CSR_SIREG,
  CSR_SISELECT,
  CSR_STOPEI,
  KVM_DEV_RISCV_AIA_GRP_ADDR,
  KVM_DEV_RISCV_AIA_GRP_APLIC,
  KVM_DEV_RISCV_AIA_GRP_CONFIG,
  KVM_DEV_RISCV_AIA_GRP_CTRL,
  KVM_DEV_RISCV_AIA_GRP_IMSIC,
} from "./constants.js";
import { aiaModule } from "./module.js";
import { restoreAia, saveAia, type AiaSnapshot } from "./snapshot.js";

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
}

const num = (n: number): V => ["num", String(n)];
const big = (n: bigint): V => ["big", n.toString()];
const hex = (bytes: number, rng: Rng): string => {
  let s = "";
  for (let i = 0; i < bytes; i++) s += (rng.chance(0.5) ? 0 : rng.int(256)).toString(16).padStart(2, "0");
  return s;
};

const CSRS = [CSR_SISELECT, CSR_SIREG, CSR_STOPEI, CSR_STOPEI | AIA_CSR_SWAP, CSR_SIREG | AIA_CSR_SET, CSR_SIREG | AIA_CSR_CLEAR];
/** siselect values worth aiming at: eidelivery, eithreshold, eip0..63, eie0..63, and around. */
const ISELS = [0x70, 0x71, 0x72, 0x80, 0x81, 0x82, 0x84, 0x86, 0xbf, 0xc0, 0xc1, 0xc2, 0xc4, 0xc6, 0xff, 0x100, 0x1ff];

const entries = {
  /** GRP_IMSIC (vCPU id << 12 | iselect) with the vCPU id of every vCPU and one beyond. */
  imsicAttr: {
    weight: 6,
    kind: "api" as const,
    gen: (rng: Rng, env: Env): V[] => {
      const id = rng.int(env.vm.vcpus.length + 1);
      const isel = rng.chance(0.8) ? rng.pick(ISELS) : rng.int(0x1000);
      const attr = id * 0x1000 + isel;
      return [["str", rng.pick(["setAttr", "getAttr", "hasAttr"])], rng.chance(0.15) ? big(BigInt(attr)) : num(attr), ["bytes", hex(8, rng)]];
    },
    run: (env: Env, [how, attr, addr]: unknown[]) =>
      env.h[how as "setAttr" | "getAttr" | "hasAttr"]({ group: KVM_DEV_RISCV_AIA_GRP_IMSIC, attr: attr as number, addr: addr as Uint8Array }),
  },
  /** The IMSIC CSRs as guest code reaches them (csrr / csrw / csrrw / csrrs / csrrc). */
  csr: {
    weight: 12,
    kind: "guest" as const,
    gen: (rng: Rng, env: Env): V[] => {
      const v = rng.int(env.vm.vcpus.length);
      const id = rng.chance(0.95) ? rng.pick(CSRS) : rng.int(0x40000);
      const r = rng.int(5);
      let value: V;
      if (r === 0) value = ["undef"];
      else if (id === CSR_SISELECT) value = num(rng.chance(0.9) ? rng.pick(ISELS) : rng.u32());
      else if (r === 1) value = big((BigInt(rng.u32()) << 32n) | BigInt(rng.u32()));
      else if (r === 2) value = big(1n << BigInt(rng.int(64)));
      else value = num(rng.chance(0.5) ? rng.int(0x800) : rng.u32());
      return [num(v), num(id), value];
    },
    run: (env: Env, [v, id, value]: unknown[]) => {
      const c = env.vm.vcpus[v as number];
      return value === undefined ? c.sysregRead(id as number) : c.sysregWrite(id as number, value as number | bigint);
    },
  },
};

/** An AiaSnapshot as plain JSON: every u64 as a canonical 0x-hex string. */
function toJson(s: AiaSnapshot): unknown {
  const h = (v: bigint) => `0x${v.toString(16)}`;
  return {
    config: s.config,
    addr: s.addr.map(h),
    initialized: s.initialized,
    aplic: s.aplic,
    imsic: s.imsic.map((f) => ({ eidelivery: h(f.eidelivery), eithreshold: h(f.eithreshold), eip: f.eip.map(h), eie: f.eie.map(h) })),
    csrs: s.csrs.map((w) => w.map(h)),
  };
}

/** The JSON form back, read without trusting it (EINVAL for anything else, non-canonical hex included). */
function fromJson(raw: unknown): AiaSnapshot {
  return parseSnapshot("AIA", raw, (r: SnapshotReader, v) => {
    const o = r.obj(v, "snapshot");
    const u64 = (x: unknown, path: string): bigint => {
      const b = r.u64(x, path);
      if (x !== `0x${b.toString(16)}`) r.bad(path, "is not a canonical 0x-hex u64");
      return b;
    };
    const u32s = (x: unknown, path: string) => r.arr(x, path, (e, p) => r.u32(e, p), 4096);
    const u64s = (x: unknown, path: string) => r.arr(x, path, (e, p) => u64(e, p), 4096);
    const ap = r.get(o, "aplic", "snapshot");
    let aplic: AiaSnapshot["aplic"] = null;
    if (ap !== null) {
      const a = r.obj(ap, "snapshot.aplic");
      const f = (k: string) => r.get(a, k, "snapshot.aplic");
      aplic = {
        domaincfg: r.u32(f("domaincfg"), "snapshot.aplic.domaincfg"),
        genmsi: r.u32(f("genmsi"), "snapshot.aplic.genmsi"),
        sourcecfg: u32s(f("sourcecfg"), "snapshot.aplic.sourcecfg"),
        target: u32s(f("target"), "snapshot.aplic.target"),
        setip: u32s(f("setip"), "snapshot.aplic.setip"),
        setie: u32s(f("setie"), "snapshot.aplic.setie"),
      };
    }
    return {
      config: u32s(r.get(o, "config", "snapshot"), "snapshot.config"),
      addr: u64s(r.get(o, "addr", "snapshot"), "snapshot.addr"),
      initialized: r.bool(r.get(o, "initialized", "snapshot"), "snapshot.initialized"),
      aplic,
      imsic: r.arr(r.get(o, "imsic", "snapshot"), "snapshot.imsic", (e, p) => {
        const f = r.obj(e, p);
        return {
          eidelivery: u64(r.get(f, "eidelivery", p), `${p}.eidelivery`),
          eithreshold: u64(r.get(f, "eithreshold", p), `${p}.eithreshold`),
          eip: u64s(r.get(f, "eip", p), `${p}.eip`),
          eie: u64s(r.get(f, "eie", p), `${p}.eie`),
        };
      }, 4096),
      csrs: r.arr(r.get(o, "csrs", "snapshot"), "snapshot.csrs", (e, p) => u64s(e, p), 4096),
    };
  });
}

export const aiaFuzzTarget = {
  name: "RISC-V AIA",
  module: aiaModule,
  arch: "riscv64" as const,
  deviceType: KVM_DEV_TYPE_RISCV_AIA,
  driverId: "aia-emul",
  vcpus: 2,
  attrGroups: [
    { group: KVM_DEV_RISCV_AIA_GRP_CONFIG, attrs: [0, 8] as const, size: 4 },
    { group: KVM_DEV_RISCV_AIA_GRP_ADDR, attrs: [0, 4] as const, size: 8 },
    { group: KVM_DEV_RISCV_AIA_GRP_CTRL, attrs: [0, 2] as const, size: 4 },
    { group: KVM_DEV_RISCV_AIA_GRP_APLIC, attrs: [0, 0x4000] as const, size: 4 },
    { group: KVM_DEV_RISCV_AIA_GRP_IMSIC, attrs: [0, 0x2000] as const, size: 8 },
  ],
  entries,
  snapshot: {
    save: (vm: Vm, h: DeviceHandle) => toJson(saveAia(vm, h)),
    prepare: (vm: Vm) => vm.createDevice(KVM_DEV_TYPE_RISCV_AIA),
    restore: (vm: Vm, h: DeviceHandle | null, s: unknown) => {
      restoreAia(vm, h!, fromJson(s));
      return h!;
    },
  },
  importLine: `import { aiaFuzzTarget as target } from "@irqlab/aia";`,
};
