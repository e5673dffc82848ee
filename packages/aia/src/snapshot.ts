/**
 * Save and restore of the in-kernel AIA through KVM's own interfaces only (spec §10), as a
 * VMM would do it: GRP_CONFIG, GRP_ADDR, GRP_APLIC (registers by offset), GRP_IMSIC (registers
 * by vCPU id and iselect) and the AIA CSR ONE_REGs.
 *
 * What KVM does not migrate and this code does not invent: the APLIC input line levels (the
 * VMM re-drives them with KVM_IRQ_LINE from its device models: `lines`), the GSI routing
 * table (the VMM's own copy, set after INIT), and anything of a VS-file not visible through
 * GRP_IMSIC.
 *
 * Restore order (derived from §5.4): CONFIG, ADDR, CTRL_INIT; genmsi (its write sends an MSI,
 * so it goes before the IMSIC files, which then overwrite that eip bit); the IMSIC files;
 * APLIC with IE off: every source detached (so set-pending and the re-driven lines act
 * without mode rules), lines, setip, setie, target, the real sourcecfg, domaincfg last.
 */
import {
  Errno,
  KvmError,
  decodeU32,
  decodeU64,
  encodeU32,
  encodeU64,
  fail,
  type DeviceHandle,
  type Vm,
} from "@irqlab/core";
import { GsiRouting } from "@irqlab/routing";
import { AiaConfig } from "./config.js";
import {
  AIA_CSR_NAMES,
  APLIC_CLRIE_BASE,
  APLIC_CLRIP_BASE,
  APLIC_DOMAINCFG,
  APLIC_DOMAINCFG_DM,
  APLIC_DOMAINCFG_IE,
  APLIC_DOMAINCFG_RDONLY,
  APLIC_GENMSI_WRITE_MASK,
  APLIC_GENMSI,
  APLIC_SETIE_BASE,
  APLIC_SETIP_BASE,
  APLIC_SM_DETACHED,
  APLIC_SOURCECFG_BASE,
  APLIC_TARGET_BASE,
  IMSIC_EIDELIVERY,
  IMSIC_EIE0,
  IMSIC_EIP0,
  IMSIC_EITHRESHOLD,
  KVM_DEV_RISCV_AIA_CTRL_INIT,
  KVM_DEV_RISCV_AIA_GRP_ADDR,
  KVM_DEV_RISCV_AIA_GRP_APLIC,
  KVM_DEV_RISCV_AIA_GRP_CONFIG,
  KVM_DEV_RISCV_AIA_GRP_CTRL,
  KVM_DEV_RISCV_AIA_GRP_IMSIC,
  KVM_DEV_RISCV_AIA_IMSIC_MKATTR,
  KVM_REG_RISCV_CSR_AIA_REG,
  KVM_RISCV_AIA_UNDEF_ADDR,
} from "./constants.js";
import { aiaVmState } from "./vm-state.js";

export interface AiaImsicSnapshot {
  eidelivery: bigint;
  eithreshold: bigint;
  /** nr_eix 64-bit words each. */
  eip: bigint[];
  eie: bigint[];
}

export interface AiaSnapshot {
  /** CONFIG attrs 0..6. */
  config: number[];
  /** ADDR: APLIC, then one IMSIC per vCPU index. */
  addr: bigint[];
  initialized: boolean;
  aplic: { domaincfg: number; genmsi: number; sourcecfg: number[]; target: number[]; setip: number[]; setie: number[] } | null;
  /** Per vCPU id. */
  imsic: AiaImsicSnapshot[];
  /** AIA CSR ONE_REGs per vCPU (7 words each). */
  csrs: bigint[][];
}

function cfgGet(h: DeviceHandle, attr: number): number {
  const b = new Uint8Array(4);
  h.getAttr({ group: KVM_DEV_RISCV_AIA_GRP_CONFIG, attr, addr: b });
  return decodeU32(b);
}
function addrGet(h: DeviceHandle, attr: number): bigint {
  const b = new Uint8Array(8);
  h.getAttr({ group: KVM_DEV_RISCV_AIA_GRP_ADDR, attr, addr: b });
  return decodeU64(b);
}
function aplicGet(h: DeviceHandle, off: number): number {
  const b = new Uint8Array(4);
  h.getAttr({ group: KVM_DEV_RISCV_AIA_GRP_APLIC, attr: off, addr: b });
  return decodeU32(b);
}
function aplicSet(h: DeviceHandle, off: number, v: number): void {
  h.setAttr({ group: KVM_DEV_RISCV_AIA_GRP_APLIC, attr: off, addr: encodeU32(v) });
}
function imsicGet(h: DeviceHandle, vcpu: number, isel: number): bigint {
  const b = new Uint8Array(8);
  h.getAttr({ group: KVM_DEV_RISCV_AIA_GRP_IMSIC, attr: KVM_DEV_RISCV_AIA_IMSIC_MKATTR(vcpu, isel), addr: b });
  return decodeU64(b);
}
function imsicSet(h: DeviceHandle, vcpu: number, isel: number, v: bigint): void {
  h.setAttr({ group: KVM_DEV_RISCV_AIA_GRP_IMSIC, attr: KVM_DEV_RISCV_AIA_IMSIC_MKATTR(vcpu, isel), addr: encodeU64(v) });
}

/** Reads everything KVM exposes. */
export function saveAia(vm: Vm, h: DeviceHandle): AiaSnapshot {
  const config = [0, 1, 2, 3, 4, 5, 6].map((a) => cfgGet(h, a));
  const addr = [addrGet(h, 0), ...vm.vcpus.map((_, i) => addrGet(h, 1 + i))];
  const initialized = probeInit(h);
  const n = config[2];
  const words = Math.ceil((n + 1) / 32);
  const aplic =
    initialized && n > 0
      ? {
          domaincfg: aplicGet(h, APLIC_DOMAINCFG),
          genmsi: aplicGet(h, APLIC_GENMSI),
          sourcecfg: range(n).map((i) => aplicGet(h, APLIC_SOURCECFG_BASE + 4 * i)),
          target: range(n).map((i) => aplicGet(h, APLIC_TARGET_BASE + 4 * i)),
          setip: range(words).map((k) => aplicGet(h, APLIC_SETIP_BASE + 4 * k)),
          setie: range(words).map((k) => aplicGet(h, APLIC_SETIE_BASE + 4 * k)),
        }
      : null;
  const eix = Math.ceil((config[1] + 1) / 64);
  const imsic = initialized
    ? vm.vcpus.map((v) => ({
        eidelivery: imsicGet(h, v.id, IMSIC_EIDELIVERY),
        eithreshold: imsicGet(h, v.id, IMSIC_EITHRESHOLD),
        eip: range(eix).map((k) => imsicGet(h, v.id, IMSIC_EIP0 + 2 * k)),
        eie: range(eix).map((k) => imsicGet(h, v.id, IMSIC_EIE0 + 2 * k)),
      }))
    : [];
  const csrs = vm.vcpus.map((v) => AIA_CSR_NAMES.map((_, i) => v.getOneRegU64(KVM_REG_RISCV_CSR_AIA_REG(i))));
  return { config, addr, initialized, aplic, imsic, csrs };
}

/** Whether CTRL_INIT happened, seen from outside: CONFIG set answers EBUSY after it. */
function probeInit(h: DeviceHandle): boolean {
  try {
    h.setAttr({ group: KVM_DEV_RISCV_AIA_GRP_CONFIG, attr: 99, addr: encodeU32(0) });
  } catch (e) {
    return KvmError.is(e, Errno.EBUSY);
  }
  return false;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** domaincfg as the APLIC reads it with IE clear: the read-only bit 31 and DM (MSI mode). */
const SAVED_DOMAINCFG = (APLIC_DOMAINCFG_RDONLY | APLIC_DOMAINCFG_DM) >>> 0;

const isU32 = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const isU64 = (v: unknown): v is bigint => typeof v === "bigint" && v >= 0n && v <= 0xffffffffffffffffn;

/**
 * Checks a snapshot against the target VM before anything is applied: EINVAL for any value
 * KVM would refuse (CONFIG range, misaligned address, word counts, INIT consistency).
 */
export function validateAiaSnapshot(vm: Vm, s: AiaSnapshot): void {
  const bad = (what: string): never => fail(Errno.EINVAL, `AIA snapshot: ${what}`);
  if (typeof s !== "object" || s === null) bad("not an object");
  if (!Array.isArray(s.config) || s.config.length !== 7 || !s.config.every(isU32)) bad("config must be 7 u32 values");
  const host = aiaVmState(vm)?.host;
  if (!host) bad("the target VM has no AIA plugin");
  const c = new AiaConfig(host!);
  s.config.forEach((v, i) => {
    if (c.set(i, v) < 0) bad(`config attr ${i} = ${v} is refused by this host`);
  });
  if (!Array.isArray(s.addr) || s.addr.length !== 1 + vm.vcpus.length || !s.addr.every(isU64)) bad(`addr must be ${1 + vm.vcpus.length} u64 values`);
  s.addr.forEach((a, i) => {
    if (a !== KVM_RISCV_AIA_UNDEF_ADDR && (a & 0xfffn) !== 0n) bad(`addr ${i} 0x${a.toString(16)} is not 4 KiB aligned`);
  });
  if (!Array.isArray(s.csrs) || s.csrs.length !== vm.vcpus.length || !s.csrs.every((w) => Array.isArray(w) && w.length === 7 && w.every(isU64))) {
    bad("csrs must be 7 u64 words per vCPU");
  }
  if (typeof s.initialized !== "boolean") bad("initialized must be a boolean");
  if (!s.initialized) {
    if (s.aplic !== null || (Array.isArray(s.imsic) && s.imsic.length !== 0)) bad("state without INIT cannot carry APLIC/IMSIC registers");
    return;
  }
  const [, ids, n] = s.config;
  if (ids < n) bad(`IDS ${ids} < SRCS ${n}`);
  if (n > 0 && s.addr[0] === KVM_RISCV_AIA_UNDEF_ADDR) bad("SRCS > 0 without an APLIC address");
  let base: bigint | null = null;
  for (let i = 0; i < vm.vcpus.length; i++) {
    const a = s.addr[1 + i];
    if (a === KVM_RISCV_AIA_UNDEF_ADDR) bad(`vCPU ${i} has no IMSIC address`);
    const p = c.basePpn(a);
    if (base !== null && p !== base) bad(`vCPU ${i}'s IMSIC address does not share the base`);
    base = p;
  }
  const words = Math.ceil((n + 1) / 32);
  if (n === 0) {
    if (s.aplic !== null) bad("SRCS 0 cannot carry APLIC registers");
  } else {
    const ap = s.aplic;
    if (typeof ap !== "object" || ap === null) bad("APLIC registers missing");
    const lists: Array<[string, unknown, number]> = [
      ["sourcecfg", ap!.sourcecfg, n],
      ["target", ap!.target, n],
      ["setip", ap!.setip, words],
      ["setie", ap!.setie, words],
    ];
    for (const [name, l, len] of lists) {
      if (!Array.isArray(l) || l.length !== len || !l.every(isU32)) bad(`APLIC ${name} must be ${len} u32 words`);
    }
    if (!isU32(ap!.domaincfg) || !isU32(ap!.genmsi)) bad("APLIC domaincfg / genmsi must be u32");
    if (ap!.sourcecfg.some((v) => v > 7)) bad("APLIC sourcecfg values are 0..7 as KVM reads them back");
    if (ap!.target.some((v) => (v & 0x800) !== 0)) bad("APLIC target bit 11 is never set in a saved target");
    // What the APLIC reads back: a saved word never has other bits (fuzz: such a snapshot was
    // accepted and did not save back as itself).
    if (ap!.domaincfg !== SAVED_DOMAINCFG && ap!.domaincfg !== (SAVED_DOMAINCFG | APLIC_DOMAINCFG_IE) >>> 0) {
      bad("APLIC domaincfg reads back as 0x80000004 (| IE 0x100) only");
    }
    if ((ap!.genmsi & ~APLIC_GENMSI_WRITE_MASK) !== 0) bad("APLIC genmsi bits 17:12 are never set in a saved genmsi");
    for (const name of ["setip", "setie"] as const) {
      const l = ap![name];
      for (let k = 0; k < l.length; k++) {
        // Bit 0 of word 0 is source 0 and bits above SRCS are sources that do not exist: both read 0.
        const first = k * 32;
        const valid = (k === 0 ? ~1 : ~0) & (n - first >= 31 ? ~0 : (2 ** (n - first + 1) - 1) | 0);
        if ((l[k] & ~valid) !== 0) bad(`APLIC ${name}[${k}] has bits of sources that do not exist (1..${n})`);
      }
    }
  }
  const eix = Math.ceil((ids + 1) / 64);
  if (!Array.isArray(s.imsic) || s.imsic.length !== vm.vcpus.length) bad(`imsic must have one file per vCPU (${vm.vcpus.length})`);
  s.imsic.forEach((f, i) => {
    if (typeof f !== "object" || f === null) bad(`imsic ${i} is not an object`);
    if (!isU64(f.eidelivery) || f.eidelivery > 1n) bad(`imsic ${i} eidelivery`);
    if (!isU64(f.eithreshold) || f.eithreshold > 0x7ffn) bad(`imsic ${i} eithreshold`);
    for (const k of ["eip", "eie"] as const) {
      const l = f[k];
      if (!Array.isArray(l) || l.length !== eix || !l.every(isU64) || (l[0] & 1n) !== 0n) bad(`imsic ${i} ${k} must be ${eix} u64 words, identity 0 clear`);
    }
  });
}

/**
 * Restores `s` into a fresh device `h` of `vm` (vCPUs created, nothing configured). `lines`
 * are the input levels the VMM's device models drive (KVM cannot save them). The whole
 * snapshot is validated first: a corrupted one is refused with EINVAL and nothing is applied.
 */
export function restoreAia(vm: Vm, h: DeviceHandle, s: AiaSnapshot, lines: ReadonlyMap<number, number> = new Map()): void {
  validateAiaSnapshot(vm, s);
  s.config.forEach((v, i) => h.setAttr({ group: KVM_DEV_RISCV_AIA_GRP_CONFIG, attr: i, addr: encodeU32(v) }));
  s.addr.forEach((a, i) => {
    if (a !== KVM_RISCV_AIA_UNDEF_ADDR) h.setAttr({ group: KVM_DEV_RISCV_AIA_GRP_ADDR, attr: i, addr: encodeU64(a) });
  });
  vm.vcpus.forEach((v, i) => s.csrs[i].forEach((w, k) => v.setOneRegU64(KVM_REG_RISCV_CSR_AIA_REG(k), w)));
  if (!s.initialized) return;
  h.setAttr({ group: KVM_DEV_RISCV_AIA_GRP_CTRL, attr: KVM_DEV_RISCV_AIA_CTRL_INIT });
  const ap = s.aplic;
  if (ap) aplicSet(h, APLIC_GENMSI, ap.genmsi);
  s.imsic.forEach((f, i) => {
    const eix = f.eip.length;
    for (let k = 0; k < eix; k++) {
      imsicSet(h, i, IMSIC_EIP0 + 2 * k, f.eip[k]);
      imsicSet(h, i, IMSIC_EIE0 + 2 * k, f.eie[k]);
    }
    imsicSet(h, i, IMSIC_EITHRESHOLD, f.eithreshold);
    imsicSet(h, i, IMSIC_EIDELIVERY, f.eidelivery);
  });
  if (!ap) return;
  const n = ap.sourcecfg.length;
  aplicSet(h, APLIC_DOMAINCFG, 0);
  for (let i = 0; i < n; i++) aplicSet(h, APLIC_SOURCECFG_BASE + 4 * i, APLIC_SM_DETACHED);
  const routing = vm.has(GsiRouting) ? vm.get(GsiRouting) : null;
  for (const [src, level] of lines) if (level && src >= 1 && src <= n) routing?.irqLine(src, 1);
  ap.setip.forEach((w, k) => {
    aplicSet(h, APLIC_CLRIP_BASE + 4 * k, 0xffffffff);
    aplicSet(h, APLIC_SETIP_BASE + 4 * k, w);
  });
  ap.setie.forEach((w, k) => {
    aplicSet(h, APLIC_CLRIE_BASE + 4 * k, 0xffffffff);
    aplicSet(h, APLIC_SETIE_BASE + 4 * k, w);
  });
  for (let i = 0; i < n; i++) aplicSet(h, APLIC_TARGET_BASE + 4 * i, ap.target[i]);
  for (let i = 0; i < n; i++) aplicSet(h, APLIC_SOURCECFG_BASE + 4 * i, ap.sourcecfg[i]);
  aplicSet(h, APLIC_DOMAINCFG, ap.domaincfg);
}
