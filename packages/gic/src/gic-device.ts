/**
 * KVM_DEV_TYPE_ARM_VGIC_V3 (type 7): the device life cycle (§3), its attribute groups (§4),
 * the frames on the MMIO bus, the IrqChip routing injects into (§8) and the CPU interface
 * registered as system registers of every vCPU (§7.4).
 */
import {
  Errno,
  fail,

  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_MSI_VALID_DEVID,
  Teardown,
  onVcpuRun,
  vcpuHasRun,
  UapiView,
  type DeviceAttr,
  type DeviceBackend,
  type IrqChip,
  type MmioRegion,
  type MsiMessage,
  type RoutingEntry,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import { GsiRouting } from "@irqlab/routing";
import {
  ADDR_V3_DIST,
  ADDR_V3_REDIST,
  ADDR_V3_REDIST_REGION,
  BPR_MIN,
  CTRL_INIT,
  CTRL_SAVE_PENDING_TABLES,
  DIST_SIZE,
  GRP_ADDR,
  GRP_CPU_SYSREGS,
  GRP_CTRL,
  GRP_DIST_REGS,
  GRP_LEVEL_INFO,
  GRP_NR_IRQS,
  GRP_REDIST_REGS,
  ICC_AP0R0_EL1,
  ICC_AP1R0_EL1,
  ICC_ASGI1R_EL1,
  ICC_BPR0_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_EL1,
  ICC_DIR_EL1,
  ICC_EOIR0_EL1,
  ICC_EOIR1_EL1,
  ICC_HPPIR0_EL1,
  ICC_HPPIR1_EL1,
  ICC_IAR0_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  ICC_RPR_EL1,
  ICC_SGI0R_EL1,
  ICC_SGI1R_EL1,
  ICC_SRE_EL1,
  ID_BITS,
  IPA_BITS,
  MAX_SPIS,
  MAX_VCPUS,
  NR_PRIVATE,
  PRI_BITS,
  REDIST_SIZE,
  SPURIOUS,
  SZ_64K,
  VGIC_ADDR_UNDEF,
  vcpuAffinity,
  vcpuOfAffinity,
} from "./constants.js";
import type { Its } from "./its.js";
import type { GicQuirks } from "./quirks.js";
import { distDecodes, distRead, distWrite, redistDecodes, redistRead, redistWrite, type RegHost } from "./registers.js";
import { VgicState } from "./vgic.js";

/** Which GICv3 (if any) a VM has: the arch profile and the ITS find it here (setup time). */
const gics = new WeakMap<Vm, GicV3Device>();

export function gicOf(vm: Vm): GicV3Device | undefined {
  return gics.get(vm);
}

export interface RedistRegion {
  index: number;
  base: number;
  /** 0 = legacy region that grows with the vCPUs. */
  count: number;
}

export interface GicV3Options {
  /** KVM-vs-QEMU behaviour switches (default: KVM_QUIRKS). */
  quirks?: GicQuirks;
  /** CPU interface accesses trap (KVM's software path) instead of being direct. */
  trapped?: boolean;
}

function readU64(a: DeviceAttr, what: string): bigint {
  return new UapiView(a.addr, 8, "le", what).u64(0);
}
function readU32(a: DeviceAttr, what: string): number {
  return new UapiView(a.addr, 4, "le", what).u32(0);
}
function writeU64(a: DeviceAttr, v: bigint, what: string): void {
  new UapiView(a.addr, 8, "le", what).setU64(0, v);
}
function writeU32(a: DeviceAttr, v: number, what: string): void {
  new UapiView(a.addr, 4, "le", what).setU32(0, v);
}

/** iorange(): §4.1's common range check, returns 0 or the errno. */
export function iorange(cur: number, addr: bigint, align: number, size: number): number {
  if (cur >= 0) return Errno.EEXIST;
  if (addr % BigInt(align) !== 0n || size % align !== 0) return Errno.EINVAL;
  if (addr + BigInt(size) > 0xffffffffffffffffn) return Errno.EINVAL;
  const lim = 1n << BigInt(IPA_BITS);
  if (addr >= lim || addr + BigInt(size) > lim) return Errno.E2BIG;
  return 0;
}

export class GicV3Device implements DeviceBackend, RegHost {
  readonly st: VgicState;
  distBase = -1;
  regions: RedistRegion[] = [];
  /** Redistributor frame address of each vCPU (−1 none). */
  readonly redistAddr: Float64Array;
  readonly redistRegion: Int16Array;
  readonly redistSlot: Int32Array;
  readonly its: Its[] = [];
  readonly chip: IrqChip;
  trapped: boolean;
  /** The frames are on the MMIO bus (first KVM_RUN done). */
  running = false;
  private sysregsRegistered = false;
  private readonly teardown = new Teardown();

  constructor(
    readonly vm: Vm,
    opts: GicV3Options = {},
  ) {
    if (gics.has(vm)) fail(Errno.EEXIST, "an in-kernel irqchip (GICv3) already exists in this VM");
    if (vcpuHasRun(vm)) fail(Errno.EBUSY, "a vCPU has already run: the vGIC must be created before the first KVM_RUN");
    if (vm.vcpus.length > MAX_VCPUS) fail(Errno.E2BIG, `${vm.vcpus.length} vCPUs > ${MAX_VCPUS} (VGIC_V3_MAX_CPUS)`);
    this.trapped = opts.trapped ?? false;
    this.st = new VgicState(vm);
    if (opts.quirks) this.st.quirks = opts.quirks;
    const nv = vm.vcpus.length;
    this.redistAddr = new Float64Array(nv).fill(-1);
    this.redistRegion = new Int16Array(nv).fill(-1);
    this.redistSlot = new Int32Array(nv).fill(-1);
    this.chip = this.makeChip();
    this.st.chip = this.chip;
    this.teardown.guard(() => {
      vm.irqchips.register(this.chip);
      this.teardown.add(() => vm.irqchips.unregister(this.chip));
      gics.set(vm, this);
      this.teardown.add(() => gics.delete(vm));
      // The first KVM_RUN of any vCPU maps the vGIC's resources (kvm_vgic_map_resources).
      this.teardown.add(onVcpuRun(vm, () => this.run()));
    });
  }

  destroy(): void {
    this.teardown.run();
  }

  // ------------------------------------------------------------------ IrqChip

  private makeChip(): IrqChip {
    const self = this;
    return {
      name: "vgic-v3",
      index: 0,
      pins: MAX_SPIS,
      routeTypes: [KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI],
      setIrq(pin: number, level: number): number {
        if (!(pin >= 0 && pin < MAX_SPIS)) return -Errno.EINVAL;
        return self.inject(pin + NR_PRIVATE, level, -1);
      },
      deliverMsi(msg: MsiMessage, level: number): number {
        return self.deliverMsi(msg, level);
      },
      validateRoute(e: RoutingEntry): void {
        if (e.type === KVM_IRQ_ROUTING_IRQCHIP && (e.irqchip !== 0 || e.pin >= MAX_SPIS)) {
          fail(Errno.EINVAL, `IRQCHIP route irqchip ${e.irqchip} pin ${e.pin} (irqchip 0, pin < ${MAX_SPIS})`);
        }
      },
      hasCapability: (c: string) => c === "resample" || c === "msi",
    };
  }

  /** §7.1: returns 0 or −errno (no exception: routing's set callback). */
  inject(intid: number, level: number, v: number): number {
    const st = this.st;
    if (!st.initialized) return -Errno.EBUSY;
    if (intid < NR_PRIVATE && (v < 0 || v >= st.nv)) return -Errno.EINVAL;
    const s = st.slotOf(intid, v);
    if (s < 0) return -Errno.EINVAL;
    st.inputSlot(s, level);
    return 0;
  }

  /** §8.2 / §8.4: an MSI through the ITS. 1 delivered, 0 not, −errno refused. */
  deliverMsi(msg: MsiMessage, level: number): number {
    if (this.its.length === 0) return -Errno.ENODEV;
    if (level === 0) return -1;
    const addr = msg.addressHi * 0x100000000 + msg.addressLo;
    let its: Its | null = null;
    const l = this.its;
    for (let i = 0; i < l.length; i++) {
      if (l[i].contains(addr)) {
        its = l[i];
        break;
      }
    }
    if (its !== null && its.cached(msg.devid, msg.data)) return 1;
    if ((msg.flags & KVM_MSI_VALID_DEVID) === 0) return -Errno.EINVAL;
    if (its === null) return -Errno.EINVAL;
    if (!its.enabled) return -Errno.EBUSY;
    return its.translate(msg.devid, msg.data);
  }

  invalidateItsCaches(): void {
    for (const i of this.its) i.invalidateCache();
  }

  // ------------------------------------------------------------------ redistributor layout

  regionSize(r: RedistRegion): number {
    return (r.count === 0 ? this.st.nv : r.count) * REDIST_SIZE;
  }

  private overlaps(a: number, as: number, b: number, bs: number): boolean {
    return a < b + bs && b < a + as;
  }

  /** §4.1.3 region allocation; 0 or an errno, nothing changed on failure. */
  addRegion(index: number, base: bigint, count: number): number {
    const legacy = count === 0;
    const size = (legacy ? this.st.nv : count) * REDIST_SIZE;
    if (base + BigInt(size) > 0xffffffffffffffffn) return Errno.EINVAL;
    const last = this.regions[this.regions.length - 1];
    if (last === undefined) {
      if (index !== 0) return Errno.EINVAL;
    } else {
      if (legacy && last.count !== 0) return Errno.EINVAL;
      if (legacy) return Errno.EEXIST;
      if (index !== last.index + 1) return Errno.EINVAL;
    }
    const b = Number(base);
    if (legacy && this.distBase >= 0 && this.overlaps(b, size, this.distBase, DIST_SIZE)) return Errno.EINVAL;
    for (const r of this.regions) if (this.overlaps(b, size, r.base, this.regionSize(r))) return Errno.EINVAL;
    const e = iorange(-1, base, SZ_64K, size);
    if (e !== 0) return e;
    const region: RedistRegion = { index, base: b, count };
    this.regions.push(region);
    if (!this.layoutOk()) {
      this.regions.pop();
      return Errno.EINVAL;
    }
    this.assignRedists();
    return 0;
  }

  private layoutOk(): boolean {
    for (const r of this.regions) {
      const s = this.regionSize(r);
      if (this.distBase >= 0 && this.overlaps(r.base, s, this.distBase, DIST_SIZE)) return false;
    }
    return true;
  }

  /** Every vCPU without a redistributor takes the next free slot, in vCPU order. */
  private assignRedists(): void {
    for (let v = 0; v < this.st.nv; v++) {
      if (this.redistRegion[v] >= 0) continue;
      for (let ri = 0; ri < this.regions.length; ri++) {
        const r = this.regions[ri];
        let used = 0;
        for (let w = 0; w < this.st.nv; w++) if (this.redistRegion[w] === ri) used++;
        if (r.count !== 0 && used >= r.count) continue;
        this.redistRegion[v] = ri;
        this.redistSlot[v] = used;
        this.redistAddr[v] = r.base + used * REDIST_SIZE;
        break;
      }
    }
  }

  redistTyper(v: number): bigint {
    const aff = BigInt(vcpuAffinity(v));
    let last = 0n;
    const ri = this.redistRegion[v];
    if (ri >= 0) {
      const r = this.regions[ri];
      let max = -1;
      for (let w = 0; w < this.st.nv; w++) if (this.redistRegion[w] === ri) max = Math.max(max, this.redistSlot[w]);
      if (this.redistSlot[v] === max) {
        last = 1n;
        if (r.count !== 0 && this.redistSlot[v] === r.count - 1) {
          const end = r.base + r.count * REDIST_SIZE;
          const ni = this.regions.findIndex((x) => x.base === end);
          if (ni >= 0 && Array.from(this.redistRegion).includes(ni)) last = 0n;
        }
      }
    }
    const q = this.st.quirks.gicrTyperQemu;
    return (aff << 32n) | (q ? 1n << 24n : 0n) | (BigInt(v & 0xffff) << 8n) | (last << 4n) | (this.st.hasIts || q ? 1n : 0n);
  }

  // ------------------------------------------------------------------ first KVM_RUN

  /**
   * kvm_vgic_map_resources(), what the first KVM_RUN of any vCPU does (§3.2; registered as a
   * KVM_RUN hook, `runVcpu(vcpu)`, and callable directly): checks the
   * layout and puts the distributor and redistributor frames on the MMIO bus. On a failure
   * KVM tears the vGIC configuration down and KVM_RUN returns the errno (thrown here).
   */
  run(): void {
    if (this.running) return;
    const st = this.st;
    let err = 0;
    if (!st.initialized) err = Errno.EBUSY;
    else if (this.distBase < 0) err = Errno.ENXIO;
    else if (Array.from(this.redistAddr).some((a) => a < 0)) err = Errno.ENXIO;
    else if (!this.layoutOk()) err = Errno.EINVAL;
    if (err !== 0) {
      this.distBase = -1;
      this.regions = [];
      this.redistAddr.fill(-1);
      this.redistRegion.fill(-1);
      this.redistSlot.fill(-1);
      if (err !== Errno.EBUSY) {
        st.initialized = false;
        st.nrSpis = 0;
      }
      fail(err, `KVM_RUN: vGIC resources (${err === Errno.EBUSY ? "CTRL_INIT not done" : "addresses"})`);
    }
    const mmio = this.vm.mmio;
    mmio.map(this.distBase, DIST_SIZE, this.distRegion(), "gicv3-dist");
    for (let v = 0; v < st.nv; v++) mmio.map(this.redistAddr[v], REDIST_SIZE, this.redistRegionFor(v), `gicv3-redist${v}`);
    this.running = true;
  }

  private distRegion(): MmioRegion {
    const st = this.st;
    return {
      read: (off, size) => {
        if (size === 8 && off >= 0x6000 && off < 0x8000 && off % 8 === 0) return distRead(st, off, 4, false);
        if (size !== 4 && !(size === 1 && off >= 0x400 && off < 0xc00)) return 0;
        return distRead(st, off, size, false);
      },
      write: (off, size, value) => {
        if (size === 8 && off >= 0x6000 && off < 0x8000 && off % 8 === 0) {
          distWrite(st, off, 4, value % 0x100000000, false);
          return;
        }
        if (size !== 4 && !(size === 1 && off >= 0x400 && off < 0xc00)) return;
        distWrite(st, off, size, value, false);
      },
    };
  }

  private redistRegionFor(v: number): MmioRegion {
    // 64-bit accesses only reach the 64-bit registers (TYPER, PROPBASER, PENDBASER, INVLPIR, INVALLR).
    const wide = (off: number): boolean => off === 0x8 || off === 0x70 || off === 0x78 || off === 0xa0 || off === 0xb0;
    return {
      read: (off, size) => {
        if (size === 8) return wide(off) ? redistRead(this, v, off, 4, false) + redistRead(this, v, off + 4, 4, false) * 0x100000000 : 0;
        if (size !== 4 && size !== 1) return 0;
        return redistRead(this, v, off, size, false);
      },
      write: (off, size, value) => {
        if (size === 8) {
          if (!wide(off)) return;
          redistWrite(this, v, off, 4, value % 0x100000000, false);
          redistWrite(this, v, off + 4, 4, Math.floor(value / 0x100000000), false);
          return;
        }
        if (size !== 4 && size !== 1) return;
        redistWrite(this, v, off, size, value, false);
      },
    };
  }

  // ------------------------------------------------------------------ CTRL_INIT

  ctrlInit(): number {
    const st = this.st;
    if (st.initialized) return 0;
    st.init();
    if (this.vm.has(GsiRouting)) {
      const entries: RoutingEntry[] = [];
      for (let i = 0; i < st.nrSpis; i++) entries.push({ gsi: i, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin: i });
      this.vm.get(GsiRouting).setGsiRouting(entries);
    }
    this.registerSysregs();
    return 0;
  }

  private registerSysregs(): void {
    if (this.sysregsRegistered) return;
    this.sysregsRegistered = true;
    const st = this.st;
    const trapped = this.trapped;
    const reg = (id: number, name: string, read: (v: number) => number, write: (v: number, x: number | bigint) => void): void => {
      for (const cpu of this.vm.vcpus) {
        cpu.sysregs.register(id, { name, trapped, read: (c: Vcpu) => read(c.id), write: (c: Vcpu, x) => write(c.id, x) });
        this.teardown.add(() => cpu.sysregs.unregister(id));
      }
    };
    const num = (x: number | bigint): number => (typeof x === "bigint" ? Number(x & 0xffffffffn) : x >>> 0);
    const none = (): void => {};
    reg(ICC_IAR1_EL1, "ICC_IAR1_EL1", (v) => st.iar(v, 1), none);
    reg(ICC_IAR0_EL1, "ICC_IAR0_EL1", (v) => st.iar(v, 0), none);
    reg(ICC_EOIR1_EL1, "ICC_EOIR1_EL1", () => 0, (v, x) => st.eoir(v, 1, num(x)));
    reg(ICC_EOIR0_EL1, "ICC_EOIR0_EL1", () => 0, (v, x) => st.eoir(v, 0, num(x)));
    reg(ICC_DIR_EL1, "ICC_DIR_EL1", () => 0, (v, x) => st.dir(v, num(x)));
    reg(ICC_HPPIR1_EL1, "ICC_HPPIR1_EL1", (v) => this.hppir(v, 1), none);
    reg(ICC_HPPIR0_EL1, "ICC_HPPIR0_EL1", (v) => this.hppir(v, 0), none);
    reg(ICC_RPR_EL1, "ICC_RPR_EL1", (v) => st.rpr(v), none);
    reg(ICC_PMR_EL1, "ICC_PMR_EL1", (v) => st.pmr[v], (v, x) => {
      st.pmr[v] = num(x) & 0xff;
      st.updateLine(v);
    });
    reg(ICC_BPR0_EL1, "ICC_BPR0_EL1", (v) => st.bpr0[v], (v, x) => {
      st.bpr0[v] = Math.max(num(x) & 7, BPR_MIN - 1);
      st.updateLine(v);
    });
    reg(ICC_BPR1_EL1, "ICC_BPR1_EL1", (v) => st.effBpr(v, 1), (v, x) => {
      if (st.cbpr[v] !== 0) return;
      st.bpr1[v] = Math.max(num(x) & 7, BPR_MIN);
      st.updateLine(v);
    });
    reg(ICC_CTLR_EL1, "ICC_CTLR_EL1", (v) => this.ctlr(v), (v, x) => {
      const w = num(x);
      st.cbpr[v] = w & 1;
      st.eoimode[v] = (w >> 1) & 1;
    });
    reg(ICC_SRE_EL1, "ICC_SRE_EL1", () => 7, none);
    reg(ICC_IGRPEN0_EL1, "ICC_IGRPEN0_EL1", (v) => st.igrpen0[v], (v, x) => {
      st.igrpen0[v] = num(x) & 1;
      st.updateLine(v);
    });
    reg(ICC_IGRPEN1_EL1, "ICC_IGRPEN1_EL1", (v) => st.igrpen1[v], (v, x) => {
      st.igrpen1[v] = num(x) & 1;
      st.updateLine(v);
    });
    const big = (x: number | bigint): bigint => (typeof x === "bigint" ? BigInt.asUintN(64, x) : BigInt(x));
    reg(ICC_SGI1R_EL1, "ICC_SGI1R_EL1", () => 0, (v, x) => st.sgi(v, big(x), true));
    reg(ICC_SGI0R_EL1, "ICC_SGI0R_EL1", () => 0, (v, x) => st.sgi(v, big(x), false));
    reg(ICC_ASGI1R_EL1, "ICC_ASGI1R_EL1", () => 0, (v, x) => st.sgi(v, big(x), false));
  }

  private hppir(v: number, grp: number): number {
    const s = this.st.hppi(v);
    return s >= 0 && this.st.group[s] === grp ? this.st.intidOf(s) : SPURIOUS;
  }

  private ctlr(v: number): number {
    const st = this.st;
    return ((PRI_BITS - 1) << 8) | (ID_BITS << 11) | (st.eoimode[v] << 1) | st.cbpr[v];
  }

  // ------------------------------------------------------------------ attributes

  private vcpuByMpidr(attr: bigint): number {
    const v = vcpuOfAffinity(Number((attr >> 32n) & 0xffffffffn), this.st.nv);
    if (v < 0) fail(Errno.EINVAL, `no vCPU with affinity 0x${(attr >> 32n).toString(16)}`);
    return v;
  }

  hasAttr(a: DeviceAttr): number {
    const attr = a.attr;
    switch (a.group) {
      case GRP_ADDR:
        if (attr === BigInt(ADDR_V3_DIST) || attr === BigInt(ADDR_V3_REDIST) || attr === BigInt(ADDR_V3_REDIST_REGION)) return 0;
        break;
      case GRP_NR_IRQS:
        return 0;
      case GRP_CTRL:
        if (attr === BigInt(CTRL_INIT) || attr === BigInt(CTRL_SAVE_PENDING_TABLES)) return 0;
        break;
      case GRP_DIST_REGS: {
        if (this.st.nv === 0) fail(Errno.EINVAL, "DIST_REGS: no vCPU");
        const off = Number(attr & 0xffffffffn);
        if (distDecodes(this.st, off)) return 0;
        break;
      }
      case GRP_REDIST_REGS: {
        this.vcpuByMpidr(attr);
        if (redistDecodes(Number(attr & 0xffffffffn))) return 0;
        break;
      }
      case GRP_CPU_SYSREGS: {
        this.vcpuByMpidr(attr);
        if (this.sysregKnown(Number(attr & 0xffffn))) return 0;
        break;
      }
      case GRP_LEVEL_INFO:
        if (((attr >> 10n) & 0x3fffffn) === 0n) return 0;
        break;
    }
    fail(Errno.ENXIO, `vgic-v3: no attribute ${attr} in group ${a.group}`);
  }

  private sysregKnown(instr: number): boolean {
    switch (instr) {
      case ICC_PMR_EL1:
      case ICC_BPR0_EL1:
      case ICC_BPR1_EL1:
      case ICC_CTLR_EL1:
      case ICC_SRE_EL1:
      case ICC_IGRPEN0_EL1:
      case ICC_IGRPEN1_EL1:
        return true;
    }
    return (instr >= ICC_AP0R0_EL1 && instr < ICC_AP0R0_EL1 + 4) || (instr >= ICC_AP1R0_EL1 && instr < ICC_AP1R0_EL1 + 4);
  }

  getAttr(a: DeviceAttr): number {
    return this.access(a, false);
  }

  setAttr(a: DeviceAttr): number {
    return this.access(a, true);
  }

  private access(a: DeviceAttr, set: boolean): number {
    const st = this.st;
    const attr = a.attr;
    switch (a.group) {
      case GRP_ADDR:
        return this.addrAttr(a, set);
      case GRP_NR_IRQS: {
        if (!set) {
          writeU32(a, st.nrSpis + NR_PRIVATE, "NR_IRQS");
          return 0;
        }
        const n = readU32(a, "NR_IRQS");
        if (n < 64 || n > 1023 || n % 32 !== 0) fail(Errno.EINVAL, `NR_IRQS ${n} (64..992, multiple of 32)`);
        if (st.nrSpis !== 0) fail(Errno.EBUSY, "NR_IRQS already set (or CTRL_INIT done)");
        st.nrSpis = n - NR_PRIVATE;
        return 0;
      }
      case GRP_CTRL: {
        if (!set) fail(Errno.ENXIO, "vgic-v3: CTRL has no GET");
        if (attr === BigInt(CTRL_INIT)) return this.ctrlInit();
        if (attr === BigInt(CTRL_SAVE_PENDING_TABLES)) {
          if (!st.initialized) fail(Errno.ENXIO, "SAVE_PENDING_TABLES before CTRL_INIT");
          const e = this.savePending();
          if (e !== 0) fail(e, "SAVE_PENDING_TABLES: guest memory");
          return 0;
        }
        fail(Errno.ENXIO, `vgic-v3: CTRL attribute ${attr}`);
      }
      // eslint-disable-next-line no-fallthrough
      case GRP_DIST_REGS:
      case GRP_REDIST_REGS: {
        const dist = a.group === GRP_DIST_REGS;
        let v = 0;
        if (dist) {
          if (st.nv === 0) fail(Errno.EINVAL, "DIST_REGS: no vCPU 0");
        } else v = this.vcpuByMpidr(attr);
        const val = set ? readU32(a, "register") : 0;
        if (!st.initialized) fail(Errno.EBUSY, "register access before CTRL_INIT");
        const off = Number(attr & 0xffffffffn);
        if (set) {
          const e = dist ? distWrite(st, off, 4, val, true) : redistWrite(this, v, off, 4, val, true);
          if (e !== 0) fail(e, `register 0x${off.toString(16)}: value 0x${val.toString(16)} refused`);
        } else {
          writeU32(a, dist ? distRead(st, off, 4, true) : redistRead(this, v, off, 4, true), "register");
        }
        return 0;
      }
      case GRP_CPU_SYSREGS:
        return this.sysregAttr(a, set);
      case GRP_LEVEL_INFO: {
        const v = this.vcpuByMpidr(attr);
        const val = set ? readU32(a, "LEVEL_INFO") : 0;
        if (!st.initialized) fail(Errno.EBUSY, "LEVEL_INFO before CTRL_INIT");
        if (((attr >> 10n) & 0x3fffffn) !== 0n) fail(Errno.EINVAL, "LEVEL_INFO: info must be VGIC_LEVEL_INFO_LINE_LEVEL (0)");
        const first = Number(attr & 0x3ffn);
        if (first % 32 !== 0) fail(Errno.EINVAL, `LEVEL_INFO: vINTID ${first} not a multiple of 32`);
        let w = 0;
        for (let i = 0; i < 32; i++) {
          const intid = first + i;
          if (intid < 16 || intid >= st.nrIrqs) continue;
          const s = st.slotOf(intid, v);
          if (s < 0) continue;
          if (set) {
            const l = (val >>> i) & 1;
            st.line[s] = l;
            st.sync(s);
          } else if (st.edge[s] === 0 && st.line[s] !== 0) w |= 1 << i;
        }
        if (!set) writeU32(a, w >>> 0, "LEVEL_INFO");
        return 0;
      }
    }
    fail(Errno.ENXIO, `vgic-v3: no attribute group ${a.group}`);
  }

  private addrAttr(a: DeviceAttr, set: boolean): number {
    const attr = a.attr;
    const payload = set || attr === BigInt(ADDR_V3_REDIST_REGION) ? readU64(a, "GRP_ADDR") : 0n;
    if (attr === BigInt(ADDR_V3_DIST)) {
      if (!set) {
        writeU64(a, this.distBase < 0 ? VGIC_ADDR_UNDEF : BigInt(this.distBase), "GRP_ADDR");
        return 0;
      }
      const e = iorange(this.distBase, payload, SZ_64K, DIST_SIZE);
      if (e !== 0) fail(e, `V3_DIST 0x${payload.toString(16)}`);
      this.distBase = Number(payload);
      return 0;
    }
    if (attr === BigInt(ADDR_V3_REDIST)) {
      if (!set) {
        const r = this.regions[0];
        writeU64(a, r === undefined ? VGIC_ADDR_UNDEF : BigInt(r.base), "GRP_ADDR");
        return 0;
      }
      const e = this.addRegion(0, payload, 0);
      if (e !== 0) fail(e, `V3_REDIST 0x${payload.toString(16)}`);
      return 0;
    }
    if (attr === BigInt(ADDR_V3_REDIST_REGION)) {
      const index = Number(payload & 0xffn);
      if (!set) {
        const r = this.regions.find((x) => x.index === index);
        if (!r) fail(Errno.ENOENT, `no redistributor region ${index}`);
        writeU64(a, BigInt(index) | BigInt(r.base) | (BigInt(r.count) << 52n), "GRP_ADDR");
        return 0;
      }
      const flags = Number((payload >> 12n) & 0xfn);
      const count = Number(payload >> 52n);
      const base = payload & 0x000fffffffff0000n;
      if (count === 0 || flags !== 0) fail(Errno.EINVAL, `V3_REDIST_REGION count ${count} flags ${flags}`);
      const e = this.addRegion(index, base, count);
      if (e !== 0) fail(e, `V3_REDIST_REGION index ${index} base 0x${base.toString(16)} count ${count}`);
      return 0;
    }
    fail(Errno.ENXIO, `vgic-v3: GRP_ADDR attribute ${attr}`);
  }

  private sysregAttr(a: DeviceAttr, set: boolean): number {
    const st = this.st;
    const v = this.vcpuByMpidr(a.attr);
    if (!st.initialized) fail(Errno.EBUSY, "CPU_SYSREGS before CTRL_INIT");
    const instr = Number(a.attr & 0xffffn);
    if (!this.sysregKnown(instr)) fail(Errno.ENXIO, `CPU_SYSREGS: no register 0x${instr.toString(16)}`);
    const x = set ? Number(readU64(a, "CPU_SYSREGS") & 0xffffffffn) >>> 0 : 0;
    let out = 0;
    const apIdx = (base: number): number => instr - base;
    switch (instr) {
      case ICC_PMR_EL1:
        if (set) {
          st.pmr[v] = x & 0xff;
          st.updateLine(v);
        } else out = st.pmr[v];
        break;
      case ICC_BPR0_EL1:
        if (set) st.bpr0[v] = x & 7;
        else out = st.bpr0[v];
        break;
      case ICC_BPR1_EL1:
        if (set) {
          if (st.cbpr[v] === 0) st.bpr1[v] = x & 7;
        } else out = st.effBpr(v, 1);
        break;
      case ICC_CTLR_EL1:
        if (set) {
          if (((x >> 8) & 7) + 1 > PRI_BITS) fail(Errno.EINVAL, "ICC_CTLR_EL1: PRIbits larger than the host's");
          if (((x >> 11) & 7) > ID_BITS) fail(Errno.EINVAL, "ICC_CTLR_EL1: IDbits larger than the host's");
          if (((x >> 14) & 1) !== 0 || ((x >> 15) & 1) !== 0) fail(Errno.EINVAL, "ICC_CTLR_EL1: SEIS/A3V differ from the host");
          st.eoimode[v] = (x >> 1) & 1;
          st.cbpr[v] = x & 1;
        } else out = this.ctlr(v);
        break;
      case ICC_SRE_EL1:
        if (set) {
          if ((x & 1) === 0) fail(Errno.EINVAL, "ICC_SRE_EL1: SRE must stay 1");
        } else out = 7;
        break;
      case ICC_IGRPEN0_EL1:
        if (set) {
          st.igrpen0[v] = x & 1;
          st.updateLine(v);
        } else out = st.igrpen0[v];
        break;
      case ICC_IGRPEN1_EL1:
        if (set) {
          st.igrpen1[v] = x & 1;
          st.updateLine(v);
        } else out = st.igrpen1[v];
        break;
      default: {
        const g0 = instr < ICC_AP1R0_EL1;
        const n = apIdx(g0 ? ICC_AP0R0_EL1 : ICC_AP1R0_EL1);
        const arr = g0 ? st.ap0 : st.ap1;
        if (set) {
          if (n > 0) fail(Errno.EINVAL, `ICC_AP${g0 ? 0 : 1}R${n}_EL1: beyond the implemented priority bits`);
          arr[v * 4 + n] = x;
          st.updateLine(v);
        } else out = arr[v * 4 + n];
      }
    }
    if (!set) writeU64(a, BigInt(out >>> 0), "CPU_SYSREGS");
    return 0;
  }

  /** SAVE_PENDING_TABLES (§4.3): 0 or an errno. */
  savePending(): number {
    const st = this.st;
    const mem = this.vm.memory;
    for (const s of st.lpiSlots()) {
      const t = st.target[s];
      if (t < 0) continue;
      const intid = st.intidOf(s);
      const addr = st.pendAddr(t) + (intid >> 3);
      if (!mem.isMapped(addr, 1)) return Errno.EFAULT;
      const byte = mem.readByte(addr);
      const bit = 1 << (intid & 7);
      const want = st.latch[s] !== 0;
      if (((byte & bit) !== 0) !== want) mem.writeByte(addr, want ? byte | bit : byte & ~bit);
    }
    return 0;
  }

  // ------------------------------------------------------------------ KVM_IRQ_LINE (§8.1)

  /** arm64 KVM_IRQ_LINE: throws KVM's errno, returns 0. */
  irqLine(irq: number, level: number): number {
    const type = (irq >>> 24) & 0xf;
    const id = irq & 0xffff;
    const vcpuId = ((irq >>> 28) & 0xf) * 256 + ((irq >>> 16) & 0xff);
    let r: number;
    switch (type) {
      case 0:
        fail(Errno.ENXIO, "KVM_IRQ_LINE: irq type CPU with an in-kernel GIC");
      // eslint-disable-next-line no-fallthrough
      case 1:
        if (id < NR_PRIVATE) fail(Errno.EINVAL, `KVM_IRQ_LINE: SPI ${id} < 32`);
        r = this.inject(id, level, -1);
        break;
      case 2:
        if (vcpuId >= this.st.nv) fail(Errno.EINVAL, `KVM_IRQ_LINE: no vCPU id ${vcpuId}`);
        if (id < 16 || id > 31) fail(Errno.EINVAL, `KVM_IRQ_LINE: PPI ${id} outside 16..31`);
        r = this.inject(id, level, vcpuId);
        break;
      default:
        fail(Errno.EINVAL, `KVM_IRQ_LINE: irq type ${type}`);
    }
    if (r < 0) fail(-r, `KVM_IRQ_LINE 0x${(irq >>> 0).toString(16)}: ${-r === Errno.EBUSY ? "vGIC not initialised" : "no such interrupt"}`);
    return 0;
  }

  // ------------------------------------------------------------------ dumpState

  dumpState(): string {
    const st = this.st;
    const lines: string[] = [];
    lines.push(
      `GICv3 rev ${st.revision}: ${st.initialized ? "initialised" : "not initialised"}, nr_irqs ${st.nrIrqs}, GICD_CTLR.EnableGrp1A ${st.distEnabled ? 1 : 0}, dist @ ${this.distBase < 0 ? "unset" : "0x" + this.distBase.toString(16)}, ${st.lpiCount} LPIs, CPU interface ${this.trapped ? "trapped" : "direct"}`,
    );
    for (let v = 0; v < st.nv; v++) {
      const items: string[] = [];
      for (let s = st.head[v]; s >= 0; s = st.next[s]) {
        items.push(`${st.intidOf(s)}${st.active[s] ? "A" : ""}${st.isPending(s) ? "P" : ""}@${st.prio[s].toString(16)}`);
      }
      lines.push(
        `  vCPU ${v}: redist @ ${this.redistAddr[v] < 0 ? "none" : "0x" + this.redistAddr[v].toString(16)}, PMR 0x${st.pmr[v].toString(16)} RPR 0x${st.rpr(v).toString(16)} IGRPEN1 ${st.igrpen1[v]} EOImode ${st.eoimode[v]} EnableLPIs ${st.enableLpis[v]}, list [${items.join(" ")}]`,
      );
    }
    for (const i of this.its) lines.push(...i.describe());
    return lines.join("\n");
  }

  counters(): Record<string, number> {
    const st = this.st;
    let cmds = 0;
    let tr = 0;
    for (const i of this.its) {
      cmds += i.commands;
      tr += i.translations;
    }
    return { injected: st.injected, acks: st.acks, eois: st.eois, spurious: st.spurious, lpis: st.lpiCount, itsCommands: cmds, itsTranslations: tr };
  }
}
