/**
 * KVM_DEV_TYPE_RISCV_AIA (arch/riscv/kvm/aia_device.c): the attribute groups, CTRL_INIT, the
 * APLIC and IMSIC MMIO windows, the guest's IMSIC CSRs, MSI decoding and the irqchip routing
 * injects into. Spec: shared/spec/riscv-aia.md §2–§7.
 *
 *   GRP_CONFIG / GRP_ADDR ──> AiaConfig, addresses        (frozen by CTRL_INIT: EBUSY)
 *   CTRL_INIT ──> Aplic (N > 0) + one ImsicFile per vCPU, MMIO windows, default routing
 *   GRP_APLIC(offset) ──> Aplic.read/write (live: a write may deliver)
 *   GRP_IMSIC(vcpu id << 12 | isel) ──> ImsicFile.read/write
 *   routing: setIrq(pin) ──> Aplic.inject;  deliverMsi ──> decode ──> ImsicFile.inject
 */
import {
  Errno,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  Teardown,
  UapiView,
  errnoName,
  fail,
  vcpuHasRun,
  type DeviceAttr,
  type DeviceBackend,
  type HasCounters,
  type HasDumpState,
  type IrqChip,
  type IrqchipEntry,
  type KvmDevice,
  type MmioRegion,
  type MsiMessage,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import { GsiRouting } from "@irqlab/routing";
import { Aplic, APLIC_NO_REG } from "./aplic.js";
import { AiaConfig } from "./config.js";
import {
  AIA_CSR_CLEAR,
  AIA_CSR_SET,
  AIA_CSR_SWAP,
  AIA_IRQCHIP_NUM_PINS,
  AIA_NR_IRQCHIPS,
  CSR_SIREG,
  CSR_SISELECT,
  CSR_STOPEI,
  IMSIC_EIDELIVERY,
  KVM_DEV_RISCV_AIA_ADDR_APLIC,
  KVM_DEV_RISCV_AIA_CTRL_INIT,
  KVM_DEV_RISCV_AIA_GRP_ADDR,
  KVM_DEV_RISCV_AIA_GRP_APLIC,
  KVM_DEV_RISCV_AIA_GRP_CONFIG,
  KVM_DEV_RISCV_AIA_GRP_CTRL,
  KVM_DEV_RISCV_AIA_GRP_IMSIC,
  KVM_DEV_RISCV_APLIC_SIZE,
  KVM_DEV_RISCV_IMSIC_SIZE,
  KVM_RISCV_AIA_UNDEF_ADDR,
} from "./constants.js";
import { ImsicFile } from "./imsic.js";
import { emit } from "./trace.js";
import { aiaVmState, type AiaDeviceLike, type AiaVmState } from "./vm-state.js";

const PAGE_MASK = 0xfffn;

export class AiaDevice implements DeviceBackend, HasDumpState, HasCounters, AiaDeviceLike {
  readonly config: AiaConfig;
  initialized = false;
  aplicAddr = KVM_RISCV_AIA_UNDEF_ADDR;
  /** GRP_ADDR IMSIC address per vCPU index. */
  readonly imsicAddr: bigint[];
  /** hart_index per vCPU index (recomputed at INIT). */
  readonly hartIndex: number[];
  aplic: Aplic | null = null;
  /** Per vCPU index: its IMSIC file after INIT, else null. */
  imsics: Array<ImsicFile | null>;
  /** Page number (address >> 12) of each vCPU's IMSIC, exact as a double (-1: none). */
  private imsicPpn: number[];
  /** Hart index -> lowest vCPU index with it (-1 none); dense up to `byHartLen`. */
  private byHart = new Int32Array(0);
  private readonly chip: AiaIrqChip;
  private readonly teardown = new Teardown();
  private readonly initTeardown = new Teardown();
  private readonly vcpus: readonly Vcpu[];
  // counters
  private msisIn = 0;
  private msisDropped = 0;
  private mmioExits = 0;

  private constructor(
    readonly vm: Vm,
    readonly state: AiaVmState,
  ) {
    this.config = new AiaConfig(state.host);
    this.vcpus = vm.vcpus;
    const n = vm.vcpus.length;
    this.imsicAddr = new Array<bigint>(n).fill(KVM_RISCV_AIA_UNDEF_ADDR);
    this.hartIndex = Array.from({ length: n }, (_, i) => i);
    this.imsics = new Array<ImsicFile | null>(n).fill(null);
    this.imsicPpn = new Array<number>(n).fill(-1);
    this.chip = new AiaIrqChip(this);
  }

  /** KVM_CREATE_VCPU after create: an unset IMSIC address; after INIT it never gets a file. */
  private vcpuCreated(v: Vcpu): void {
    this.imsicAddr[v.id] = KVM_RISCV_AIA_UNDEF_ADDR;
    this.hartIndex[v.id] = v.id;
    this.imsics[v.id] = null;
    this.imsicPpn[v.id] = -1;
  }

  /** kvm_riscv_aia create: EEXIST (in-kernel irqchip exists), EBUSY (a vCPU has run). */
  static create(vm: Vm, _device: KvmDevice): AiaDevice {
    const state = aiaVmState(vm);
    if (!state) fail(Errno.ENODEV, "riscv AIA: the host has no AIA (plugin state missing)");
    if (state.device !== null || vm.irqchips.size > 0) fail(Errno.EEXIST, "riscv AIA: an in-kernel irqchip already exists in this VM");
    // KVM_RUN is core's (runVcpu): a vCPU that has entered it makes the create EBUSY.
    for (const v of vm.vcpus) if (vcpuHasRun(vm, v)) fail(Errno.EBUSY, `riscv AIA: vCPU ${v.id} has already entered KVM_RUN`);
    const d = new AiaDevice(vm, state);
    d.teardown.guard(() => {
      vm.irqchips.register(d.chip);
      d.teardown.add(() => vm.irqchips.unregister(d.chip));
      d.teardown.add(vm.onVcpuCreated((v) => d.vcpuCreated(v)));
    });
    state.device = d;
    return d;
  }

  /** No release: the device lives until the VM is destroyed (a second create stays EEXIST). */
  destroy(): void {
    this.initTeardown.run();
    this.teardown.run();
  }

  // ================================================================ attributes

  setAttr(a: DeviceAttr): number {
    switch (a.group) {
      case KVM_DEV_RISCV_AIA_GRP_CONFIG: {
        const v = new UapiView(a.addr, 4, this.vm.endian, "AIA CONFIG value").u32(0);
        if (this.initialized) fail(Errno.EBUSY, "AIA CONFIG: the device is initialized (CTRL_INIT done)");
        const r = a.attrIndex <= 6 ? this.config.set(a.attrIndex, v) : -Errno.ENXIO;
        if (r < 0) fail(-r, `AIA CONFIG attr ${a.attr}: value ${v} refused (${errnoName(-r)})`);
        return 0;
      }
      case KVM_DEV_RISCV_AIA_GRP_ADDR: {
        const v = new UapiView(a.addr, 8, this.vm.endian, "AIA ADDR value").u64(0);
        const slot = this.addrSlot(a);
        if (this.initialized) fail(Errno.EBUSY, "AIA ADDR: the device is initialized (CTRL_INIT done)");
        if ((v & PAGE_MASK) !== 0n) fail(Errno.EINVAL, `AIA ADDR attr ${a.attr}: 0x${v.toString(16)} is not 4 KiB aligned`);
        if (slot < 0) this.aplicAddr = v;
        else this.imsicAddr[slot] = v;
        return 0;
      }
      case KVM_DEV_RISCV_AIA_GRP_CTRL:
        if (a.attr !== BigInt(KVM_DEV_RISCV_AIA_CTRL_INIT)) fail(Errno.ENXIO, `AIA CTRL has no attribute ${a.attr}`);
        return this.ctrlInit();
      case KVM_DEV_RISCV_AIA_GRP_APLIC: {
        const v = new UapiView(a.addr, 4, this.vm.endian, "AIA APLIC register").u32(0);
        const off = this.aplicOffset(a);
        this.aplic!.write(off, v);
        if (this.vm.tracer.enabled) emit(this.vm.tracer, "aia.aplic.write", { offset: off, value: v, via: "attr" });
        return 0;
      }
      case KVM_DEV_RISCV_AIA_GRP_IMSIC: {
        const v = new UapiView(a.addr, 8, this.vm.endian, "AIA IMSIC register").u64(0);
        const { file, isel } = this.imsicReg(a);
        file.write(isel, v);
        return 0;
      }
      default:
        fail(Errno.ENXIO, `AIA has no attribute group ${a.group}`);
    }
  }

  getAttr(a: DeviceAttr): number {
    switch (a.group) {
      case KVM_DEV_RISCV_AIA_GRP_CONFIG: {
        const view = new UapiView(a.addr, 4, this.vm.endian, "AIA CONFIG value");
        const v = a.attrIndex <= 6 ? this.config.get(a.attrIndex) : undefined;
        if (v === undefined) fail(Errno.ENXIO, `AIA CONFIG has no attribute ${a.attr}`);
        view.setU32(0, v);
        return 0;
      }
      case KVM_DEV_RISCV_AIA_GRP_ADDR: {
        const view = new UapiView(a.addr, 8, this.vm.endian, "AIA ADDR value");
        const slot = this.addrSlot(a);
        view.setU64(0, slot < 0 ? this.aplicAddr : this.imsicAddr[slot]);
        return 0;
      }
      case KVM_DEV_RISCV_AIA_GRP_CTRL:
        fail(Errno.ENXIO, `AIA CTRL attribute ${a.attr} cannot be read`);
      // falls through (fail never returns)
      case KVM_DEV_RISCV_AIA_GRP_APLIC: {
        const view = new UapiView(a.addr, 4, this.vm.endian, "AIA APLIC register");
        const off = this.aplicOffset(a);
        view.setU32(0, this.aplic!.read(off));
        return 0;
      }
      case KVM_DEV_RISCV_AIA_GRP_IMSIC: {
        const view = new UapiView(a.addr, 8, this.vm.endian, "AIA IMSIC register");
        const { file, isel } = this.imsicReg(a);
        view.setU64(0, file.read(isel));
        return 0;
      }
      default:
        fail(Errno.ENXIO, `AIA has no attribute group ${a.group}`);
    }
  }

  hasAttr(a: DeviceAttr): number {
    switch (a.group) {
      case KVM_DEV_RISCV_AIA_GRP_CONFIG:
        if (a.attrIndex <= 6) return 0;
        fail(Errno.ENXIO, `AIA CONFIG has no attribute ${a.attr}`);
      // falls through
      case KVM_DEV_RISCV_AIA_GRP_ADDR:
        this.addrSlot(a);
        return 0;
      case KVM_DEV_RISCV_AIA_GRP_CTRL:
        if (a.attr === BigInt(KVM_DEV_RISCV_AIA_CTRL_INIT)) return 0;
        fail(Errno.ENXIO, `AIA CTRL has no attribute ${a.attr}`);
      // falls through
      case KVM_DEV_RISCV_AIA_GRP_APLIC:
        this.aplicOffset(a);
        return 0;
      case KVM_DEV_RISCV_AIA_GRP_IMSIC:
        this.imsicReg(a);
        return 0;
      default:
        fail(Errno.ENXIO, `AIA has no attribute group ${a.group}`);
    }
  }

  /** -1 for the APLIC, else the vCPU index of an IMSIC address; ENXIO out of range. */
  private addrSlot(a: DeviceAttr): number {
    const n = this.vcpus.length;
    if (a.attrIndex === KVM_DEV_RISCV_AIA_ADDR_APLIC) return -1;
    if (a.attrIndex >= 1 && a.attrIndex < 1 + n) return a.attrIndex - 1;
    fail(Errno.ENXIO, `AIA ADDR attr ${a.attr}: not the APLIC (0) nor an IMSIC of the ${n} vCPUs (1..${n})`);
  }

  /** The APLIC register offset of a GRP_APLIC attribute, checked in KVM's order. */
  private aplicOffset(a: DeviceAttr): number {
    if (this.aplic === null) fail(Errno.ENODEV, "AIA APLIC: no APLIC state (before CTRL_INIT, or SRCS 0)");
    if ((a.attr & 3n) !== 0n) fail(Errno.EOPNOTSUPP, `AIA APLIC offset 0x${a.attr.toString(16)} is not 4-byte aligned`);
    const off = a.attrIndex;
    if (!(off < KVM_DEV_RISCV_APLIC_SIZE) || !this.aplic.isRegister(off)) {
      fail(Errno.ENODEV, `AIA APLIC offset 0x${a.attr.toString(16)} is not an emulated register`);
    }
    return off;
  }

  /** The IMSIC file and iselect of a GRP_IMSIC attribute, checked in KVM's order. */
  private imsicReg(a: DeviceAttr): { file: ImsicFile; isel: number } {
    if (!this.initialized) fail(Errno.ENODEV, "AIA IMSIC: the device is not initialized");
    const id = a.attr >> 12n;
    const isel = Number(a.attr & 0xfffn);
    if (id >= BigInt(this.vcpus.length)) fail(Errno.ENODEV, `AIA IMSIC: no vCPU with id ${id}`);
    const file = this.imsics[Number(id)];
    if (!file) fail(Errno.ENODEV, `AIA IMSIC: vCPU ${id} has no IMSIC`);
    const r = file.checkIsel(isel);
    if (r < 0) fail(-r, `AIA IMSIC: iselect 0x${isel.toString(16)} ${r === -Errno.ENOENT ? "is not an IMSIC register" : "is odd or beyond nr_eix"}`);
    return { file, isel };
  }

  // ================================================================ CTRL_INIT

  /** §4, in order; on failure the IMSICs and APLIC go again (routing and hart indices stay). */
  private ctrlInit(): number {
    const c = this.config;
    if (this.initialized) fail(Errno.EBUSY, "AIA CTRL_INIT: already initialized");
    if (c.nrIds < c.nrSources) fail(Errno.EINVAL, `AIA CTRL_INIT: IDS ${c.nrIds} < SRCS ${c.nrSources}`);
    if (c.nrSources > 0 && this.aplicAddr === KVM_RISCV_AIA_UNDEF_ADDR) {
      fail(Errno.EINVAL, "AIA CTRL_INIT: SRCS > 0 but the APLIC address is not set");
    }
    const t = this.initTeardown;
    try {
      if (c.nrSources > 0) {
        const aplic = new Aplic(c.nrSources, (hart, guest, eiid) => this.aplicMsi(hart, guest, eiid));
        const region: MmioRegion = {
          read: (off, size) => this.aplicMmioRead(off, size),
          write: (off, size, value) => this.aplicMmioWrite(off, size, value),
        };
        this.vm.mmio.map(Number(this.aplicAddr), KVM_DEV_RISCV_APLIC_SIZE, region, "riscv-aplic");
        t.add(() => this.vm.mmio.unmap(region));
        this.aplic = aplic;
        t.add(() => {
          this.aplic = null;
        });
        this.installDefaultRouting(c.nrSources);
      }
      let base: bigint | null = null;
      const pages = new Map<bigint, number>();
      for (let i = 0; i < this.vcpus.length; i++) {
        const addr = this.imsicAddr[i];
        if (addr === KVM_RISCV_AIA_UNDEF_ADDR) fail(Errno.EINVAL, `AIA CTRL_INIT: vCPU ${i} has no IMSIC address`);
        const ppn = c.basePpn(addr);
        if (base === null) base = ppn;
        else if (ppn !== base) {
          fail(Errno.EINVAL, `AIA CTRL_INIT: vCPU ${i}'s IMSIC 0x${addr.toString(16)} differs from vCPU 0's outside the group/hart/guest fields`);
        }
        this.hartIndex[i] = c.hartIndex(addr);
        this.setupImsic(i, addr, pages);
      }
      this.buildHartMap();
    } catch (e) {
      t.run();
      throw e;
    }
    this.initialized = true;
    if (this.vm.tracer.enabled) {
      emit(this.vm.tracer, "aia.init", { sources: c.nrSources, ids: c.nrIds, vcpus: this.vcpus.length, mode: c.mode });
    }
    return 0;
  }

  private installDefaultRouting(nrSources: number): void {
    if (!this.vm.has(GsiRouting)) return;
    const entries: IrqchipEntry[] = [];
    for (let g = 0; g <= nrSources; g++) entries.push({ gsi: g, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin: g });
    this.vm.get(GsiRouting).setGsiRouting(entries);
  }

  private setupImsic(i: number, addr: bigint, pages: Map<bigint, number>): void {
    const t = this.initTeardown;
    const vcpu = this.vcpus[i];
    const file = new ImsicFile(this.config.nrIds + 1, (up) => vcpu.ext.set(up));
    this.imsics[i] = file;
    this.imsicPpn[i] = Number(addr >> 12n);
    t.add(() => {
      this.imsics[i] = null;
      this.imsicPpn[i] = -1;
      vcpu.ext.set(false);
    });
    // vCPUs with H = G = 0 share one page: one MMIO window serves them all (the write is an
    // MSI by absolute address either way, as in KVM).
    if (!pages.has(addr)) {
      const region: MmioRegion = {
        read: (off, size) => this.imsicMmioRead(off, size),
        write: (off, size, value) => this.imsicMmioWrite(addr, off, size, value),
      };
      this.vm.mmio.map(Number(addr), KVM_DEV_RISCV_IMSIC_SIZE, region, `riscv-imsic(vcpu ${i})`);
      pages.set(addr, i);
      t.add(() => this.vm.mmio.unmap(region));
    }
    this.registerCsrs(vcpu, file);
  }

  /** The guest's IMSIC CSRs: trapped for a SW-file, direct for a hardware VS-file. */
  private registerCsrs(vcpu: Vcpu, file: ImsicFile): void {
    const trapped = !this.config.vsFiles;
    const tracer = this.vm.tracer;
    const claim = (): number => {
      const v = file.claim();
      if (tracer.enabled && v !== 0) emit(tracer, "aia.imsic.claim", { vcpu: vcpu.id, id: v & 0xffff });
      return v;
    };
    const regs: Array<[number, string, (v: Vcpu) => number, (v: Vcpu, x: number | bigint) => void]> = [
      [CSR_STOPEI, "stopei", () => file.topei(), () => void claim()],
      [CSR_STOPEI | AIA_CSR_SWAP, "csrrw stopei", () => claim(), () => void claim()],
      [CSR_SISELECT, "siselect", (v) => Number(this.state.siselect(v.id) & 0x1ffn), (v, x) => this.state.setSiselect(v.id, BigInt(x))],
      [CSR_SIREG, "sireg", (v) => this.siregRead(v, file), (v, x) => this.siregWrite(v, file, BigInt(x))],
      [CSR_SIREG | AIA_CSR_SET, "csrrs sireg", (v) => this.siregRead(v, file), (v, x) => this.siregRmw(v, file, BigInt(x), true)],
      [CSR_SIREG | AIA_CSR_CLEAR, "csrrc sireg", (v) => this.siregRead(v, file), (v, x) => this.siregRmw(v, file, BigInt(x), false)],
    ];
    for (const [id, name, read, write] of regs) {
      vcpu.sysregs.register(id, { name, trapped, read, write });
      this.initTeardown.add(() => vcpu.sysregs.unregister(id));
    }
  }

  private siregIsel(v: Vcpu, file: ImsicFile): number {
    const isel = Number(this.state.siselect(v.id) & 0x1ffn);
    if (isel < IMSIC_EIDELIVERY || isel > 0xff) {
      this.vm.tracer.guestError("riscv-aia", `sireg with siselect 0x${isel.toString(16)}: not emulated in the kernel (exit to userspace)`);
      return -1;
    }
    const r = file.checkIsel(isel);
    if (r < 0) {
      this.vm.tracer.guestError("riscv-aia", `sireg with siselect 0x${isel.toString(16)}: ${r === -Errno.ENOENT ? "exit to userspace" : "illegal instruction"}`);
      return -1;
    }
    return isel;
  }

  private siregRead(v: Vcpu, file: ImsicFile): number {
    const isel = this.siregIsel(v, file);
    return isel < 0 ? 0 : Number(file.read(isel) & 0xffffffffffffn);
  }

  private siregWrite(v: Vcpu, file: ImsicFile, x: bigint): void {
    const isel = this.siregIsel(v, file);
    if (isel >= 0) file.write(isel, BigInt.asUintN(64, x));
  }

  /** csrrs / csrrc on sireg: the read-modify-write of one instruction. */
  private siregRmw(v: Vcpu, file: ImsicFile, bits: bigint, set: boolean): void {
    const isel = this.siregIsel(v, file);
    if (isel < 0) return;
    const cur = file.read(isel);
    const b = BigInt.asUintN(64, bits);
    file.write(isel, set ? cur | b : cur & ~b);
  }

  private buildHartMap(): void {
    let max = -1;
    for (let i = 0; i < this.vcpus.length; i++) if (this.imsics[i] && this.hartIndex[i] > max) max = this.hartIndex[i];
    const m = new Int32Array(max + 1).fill(-1);
    for (let i = this.vcpus.length - 1; i >= 0; i--) if (this.imsics[i]) m[this.hartIndex[i]] = i;
    this.byHart = m;
  }

  // ================================================================ delivery

  /** APLIC MSI by id (§5.5): the result is ignored by the APLIC. */
  private aplicMsi(hart: number, guest: number, eiid: number): void {
    const v = hart < this.byHart.length ? this.byHart[hart] : -1;
    if (this.vm.tracer.enabled) emit(this.vm.tracer, "aia.aplic.msi", { source: -1, hart, guest, eiid });
    if (v < 0) {
      this.msisDropped++;
      return;
    }
    const r = this.imsicInject(v, guest, 0, eiid);
    if (r < 0) this.msisDropped++;
  }

  /** §6.2: 0 or -errno. */
  private imsicInject(v: number, guest: number, offset: number, data: number): number {
    const file = this.imsics[v];
    let r: number;
    if (file === null) r = -Errno.ENODEV;
    else if (data === 0 || guest !== 0) r = -Errno.ENODEV;
    else r = file.inject(offset, data);
    this.msisIn++;
    if (this.vm.tracer.enabled) emit(this.vm.tracer, "aia.imsic.inject", { vcpu: v, id: data, result: r });
    return r;
  }

  /** §7.3 MSI decode (KVM_SIGNAL_MSI, MSI routes, IMSIC page writes): 0 or -errno. */
  injectMsi(addressHi: number, addressLo: number, data: number): number {
    if (!this.initialized) return -Errno.EBUSY;
    const U = this.config.guestBits;
    const ppn = (addressHi >>> 0) * 0x100000 + ((addressLo >>> 0) >>> 12);
    const guestSpan = 2 ** U;
    const guest = ppn % guestSpan;
    const tppn = ppn - guest;
    const v = this.vcpuOfPpn(tppn);
    if (v < 0) return 0;
    return this.imsicInject(v, guest, (addressLo >>> 0) & 0xfff, data >>> 0);
  }

  /** First vCPU (index order) whose IMSIC page is `ppn`, or -1. */
  private vcpuOfPpn(ppn: number): number {
    // Fast path: the hart index the page encodes names the candidate (O(1)); a mismatch
    // (duplicate hart indices, a vCPU whose own address has guest bits) falls back to the
    // kernel's linear search.
    const c = this.config;
    const hart = c.hartBits === 0 ? 0 : Math.floor(ppn / 2 ** c.guestBits) % 2 ** c.hartBits;
    const group = c.groupBits === 0 ? 0 : Math.floor(ppn / 2 ** (c.groupShift - 12)) % 2 ** c.groupBits;
    const h = group * 2 ** c.hartBits + hart;
    const pp = this.imsicPpn;
    const cand = h < this.byHart.length ? this.byHart[h] : -1;
    // A vCPU with the same page has the same hart index, so byHart's (lowest) one is first.
    if (cand >= 0 && pp[cand] === ppn) return cand;
    for (let i = 0; i < pp.length; i++) if (pp[i] === ppn) return i;
    return -1;
  }

  // ================================================================ MMIO

  private aplicMmioRead(off: number, size: number): number {
    const aplic = this.aplic;
    const v = size === 4 && (off & 3) === 0 && aplic !== null ? aplic.read(off) : APLIC_NO_REG;
    if (v === APLIC_NO_REG) {
      this.mmioExits++;
      this.vm.tracer.guestError("riscv-aplic", `read of ${size} bytes at 0x${off.toString(16)}: not emulated (exit to userspace)`);
      return 0;
    }
    return v;
  }

  private aplicMmioWrite(off: number, size: number, value: number): void {
    const aplic = this.aplic;
    if (size !== 4 || (off & 3) !== 0 || aplic === null || !aplic.write(off, value)) {
      this.mmioExits++;
      this.vm.tracer.guestError("riscv-aplic", `write of ${size} bytes at 0x${off.toString(16)}: not emulated (exit to userspace)`);
      return;
    }
    if (this.vm.tracer.enabled) emit(this.vm.tracer, "aia.aplic.write", { offset: off, value: value >>> 0, via: "mmio" });
  }

  private imsicMmioRead(off: number, size: number): number {
    if (size !== 4 || (off & 3) !== 0) {
      this.mmioExits++;
      this.vm.tracer.guestError("riscv-imsic", `read of ${size} bytes at 0x${off.toString(16)}: exit to userspace`);
    }
    return 0;
  }

  /** A 4-byte write anywhere in the page is an MSI to its absolute address; errors ignored. */
  imsicMmioWrite(page: bigint, off: number, size: number, value: number): void {
    if (size !== 4 || (off & 3) !== 0) {
      this.mmioExits++;
      this.vm.tracer.guestError("riscv-imsic", `write of ${size} bytes at 0x${off.toString(16)}: exit to userspace`);
      return;
    }
    const addr = page + BigInt(off);
    this.injectMsi(Number(addr >> 32n), Number(addr & 0xffffffffn), value);
  }

  // ================================================================ observability

  vseip(index: number): boolean {
    return this.imsics[index]?.line ?? false;
  }

  counters(): Record<string, number> {
    let injected = 0;
    let coalesced = 0;
    let claims = 0;
    for (const f of this.imsics) {
      if (!f) continue;
      injected += f.injected;
      coalesced += f.coalesced;
      claims += f.claims;
    }
    return {
      aplicInjections: this.aplic?.injections ?? 0,
      aplicMsis: this.aplic?.msis ?? 0,
      msis: this.msisIn,
      msisDropped: this.msisDropped,
      imsicInjected: injected,
      imsicCoalesced: coalesced,
      claims,
      mmioExits: this.mmioExits,
    };
  }

  dumpState(): string {
    const c = this.config;
    const hex = (v: bigint) => (v === KVM_RISCV_AIA_UNDEF_ADDR ? "unset" : `0x${v.toString(16)}`);
    const lines = [
      `riscv AIA ${this.initialized ? "initialized" : "not initialized"}: mode ${["EMUL", "HWACCEL", "AUTO"][c.mode]}` +
        `${c.vsFiles ? " (VS-files)" : " (SW-files)"}, IDS ${c.nrIds}, SRCS ${c.nrSources}, group bits ${c.groupBits} shift ${c.groupShift}, hart bits ${c.hartBits}, guest bits ${c.guestBits}`,
      `  APLIC at ${hex(this.aplicAddr)}`,
    ];
    if (this.aplic) lines.push(...this.aplic.describe().map((l) => `  ${l}`));
    for (let i = 0; i < this.vcpus.length; i++) {
      const f = this.imsics[i];
      const head = `  vCPU ${i}: IMSIC at ${hex(this.imsicAddr[i])}, hart index ${this.hartIndex[i]}`;
      if (!f) {
        lines.push(`${head} (no file)`);
        continue;
      }
      lines.push(
        `${head}, eidelivery ${f.eidelivery} eithreshold ${f.eithreshold} topei ${f.topeiId()} VSEIP ${f.line ? 1 : 0}` +
          ` pending [${f.list(f.eip).join(",")}] enabled [${f.list(f.eie).join(",")}]`,
      );
    }
    return lines.join("\n");
  }
}

/** What routing injects into: irqchip 0, pins 0..1023, IRQCHIP and MSI routes. No EOI path. */
export class AiaIrqChip implements IrqChip {
  readonly name = "riscv-aia";
  readonly index = 0;
  readonly pins = AIA_IRQCHIP_NUM_PINS;
  readonly routeTypes: readonly number[] = [KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI];

  constructor(private readonly d: AiaDevice) {}

  /** kvm_riscv_set_irq: the source id is ignored (one INPUT per source). 0 or -errno. */
  setIrq(pin: number, level: number, _sourceId: number): number {
    const d = this.d;
    if (!d.initialized) return -Errno.EBUSY;
    const aplic = d.aplic;
    if (aplic === null) return -Errno.ENODEV;
    return aplic.inject(pin, level);
  }

  /** kvm_set_msi: level 0 does nothing (-1); else the §7.3 decode. */
  deliverMsi(msg: MsiMessage, level: number, _sourceId: number): number {
    if (level === 0) return -1;
    return this.d.injectMsi(msg.addressHi, msg.addressLo, msg.data);
  }

  validateRoute(entry: { type: number; irqchip?: number; pin?: number }): void {
    if (entry.type === KVM_IRQ_ROUTING_IRQCHIP && ((entry.irqchip ?? 0) >= AIA_NR_IRQCHIPS || (entry.pin ?? 0) >= AIA_IRQCHIP_NUM_PINS)) {
      fail(Errno.EINVAL, `riscv IRQCHIP route irqchip ${entry.irqchip} pin ${entry.pin} (irqchip 0, pin < 1024)`);
    }
  }

  /** Nothing in the AIA ever runs ack notifiers: resamplefds never fire. */
  hasCapability(cap: string): boolean {
    return cap === "msi" || cap === "level";
  }
}

/** The AIA device of `vm`, if one was created. */
export function aiaDeviceOf(vm: Vm): AiaDevice | null {
  return (aiaVmState(vm)?.device as AiaDevice | null | undefined) ?? null;
}
