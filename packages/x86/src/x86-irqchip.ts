/**
 * The x86 interrupt fabric of one VM: irqchip mode, the PIC pair and IOAPIC (full mode), a
 * LAPIC per vCPU, APIC message delivery (optimized map, then scan; spec §6.5), the EOI path
 * LAPIC -> IOAPIC -> ack notifiers, and the VM/vCPU ioctls of KVM_CREATE_IRQCHIP,
 * KVM_ENABLE_CAP(SPLIT_IRQCHIP / X2APIC_API), KVM_GET/SET_IRQCHIP, KVM_GET/SET_LAPIC and
 * KVM_INTERRUPT.
 */
import {
  Errno,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  UapiView,
  fail,
  type IrqChip,
  type MsiMessage,
  type RoutingEntry,
  type UserPtr,
  type Vm,
} from "@irqlab/core";
import { GsiRouting } from "@irqlab/routing";
import {
  APIC_BUS_IRQCHIP_INDEX,
  APIC_DFR_CLUSTER,
  APIC_DFR_FLAT,
  APIC_DM_FIXED,
  APIC_DM_LOWEST,
  APIC_LVR,
  APIC_PROCPRI,
  APIC_SPIV,
  APIC_SPIV_DIRECTED_EOI,
  APIC_TASKPRI,
  APIC_TMCCT,
  IOAPIC_DEFAULT_BASE,
  IOAPIC_MEM_LENGTH,
  IOAPIC_RTC_PIN,
  KVM_APIC_REG_SIZE,
  KVM_IRQCHIP_IOAPIC,
  KVM_IRQCHIP_PIC_MASTER,
  KVM_IRQCHIP_PIC_SLAVE,
  KVM_MAX_IRQ_ROUTES,
  KVM_NR_IRQCHIPS,
  KVM_X2APIC_API_USE_32BIT_IDS,
  KVM_X2APIC_API_VALID_FLAGS,
  KVM_X2APIC_DISABLE_SUPPRESS_EOI_BROADCAST,
  KVM_X2APIC_ENABLE_SUPPRESS_EOI_BROADCAST,
  KVM_CAP_X2APIC_API,
  LAPIC_DEFAULT_BASE,
  LAPIC_MMIO_LENGTH,
  PIC_ELCR_PORT,
  PIC_MASTER_PORT,
  PIC_SLAVE_PORT,
  SIZEOF_KVM_INTERRUPT,
  SIZEOF_KVM_IRQCHIP,
  type IrqchipMode,
} from "./constants.js";
import { I8259Pair } from "./i8259.js";
import { Ioapic, IOAPIC_PINS, RTE_LOGICAL, RTE_LEVEL } from "./ioapic.js";
import { Lapic } from "./lapic.js";
import { decodeIoapicInto, encodeIoapicFrom } from "./structs.js";
import { emitX86 } from "./trace.js";

const vms = new WeakMap<Vm, X86Irqchip>();

/** The x86 fabric of `vm` (created when the x86 plugin attaches); ENXIO without the plugin. */
export function x86Of(vm: Vm): X86Irqchip {
  const x = vms.get(vm);
  if (x === undefined) fail(Errno.ENXIO, "the x86 plugin is not loaded in this VM");
  return x;
}

/** @internal */
export function x86Maybe(vm: Vm): X86Irqchip | undefined {
  return vms.get(vm);
}

const LOG_NONE = 0;
const LOG_FLAT = 1;
const LOG_CLUSTER = 2;
const LOG_DISABLED = 3;

function popcount(x: number): number {
  x >>>= 0;
  let n = 0;
  while (x) {
    x &= x - 1;
    n++;
  }
  return n;
}

/** A split-mode EOI exit (KVM_EXIT_IOAPIC_EOI). */
export interface IoapicEoiExit {
  readonly vcpu: number;
  readonly vector: number;
}

export class X86Irqchip {
  mode: IrqchipMode = "none";
  /** KVM_CAP_SPLIT_IRQCHIP args[0]. */
  splitPins = 0;
  x2apicFlags = 0;
  pic: I8259Pair | null = null;
  ioapic: Ioapic | null = null;
  /** LAPIC of each vCPU (mode kernel or split), by vCPU index. */
  readonly lapics: Lapic[] = [];
  /** vCPUs created so far (the map excludes a vCPU at its own creation). */
  private visible = 0;
  /** Mode none: KVM_INTERRUPT queued per vCPU. */
  readonly userIrq: Int16Array;
  routing: GsiRouting | null = null;
  /** Split-mode EOI exits not yet taken by userspace. */
  readonly eoiExits: IoapicEoiExit[] = [];

  // Optimized APIC map.
  private mapExists = false;
  private physValid = false;
  private maxId = 255;
  private phys = new Int32Array(256).fill(-1);
  private logMode = LOG_NONE;
  private readonly flat = new Int32Array(8).fill(-1);
  private readonly cluster = new Int32Array(64).fill(-1);

  // Routing-facing chips.
  readonly picMaster: IrqChip;
  readonly picSlave: IrqChip;
  readonly ioapicChip: IrqChip;
  readonly apicBus: IrqChip;

  // Counters.
  msis = 0;
  ipis = 0;
  mapRebuilds = 0;

  constructor(readonly vm: Vm) {
    vms.set(vm, this);
    this.userIrq = new Int16Array(Math.max(1, vm.vcpus.length)).fill(-1);
    if (vm.has(GsiRouting)) this.routing = vm.get(GsiRouting);
    const self = this;
    this.picMaster = {
      name: "pic-master",
      index: KVM_IRQCHIP_PIC_MASTER,
      pins: 8,
      routeTypes: [KVM_IRQ_ROUTING_IRQCHIP],
      setIrq: (pin, level, sourceId) => (pin >= 0 && pin < 8 && self.pic !== null ? self.pic.setIrq(pin, level, sourceId) : -1),
    };
    this.picSlave = {
      name: "pic-slave",
      index: KVM_IRQCHIP_PIC_SLAVE,
      pins: 8,
      routeTypes: [KVM_IRQ_ROUTING_IRQCHIP],
      setIrq: (pin, level, sourceId) => (pin >= 0 && pin < 8 && self.pic !== null ? self.pic.setIrq(8 + pin, level, sourceId) : -1),
    };
    this.ioapicChip = {
      name: "ioapic",
      index: KVM_IRQCHIP_IOAPIC,
      pins: IOAPIC_PINS,
      routeTypes: [KVM_IRQ_ROUTING_IRQCHIP],
      setIrq: (pin, level, sourceId, lineStatus) =>
        self.ioapic !== null ? self.ioapic.setIrq(pin, level, sourceId, lineStatus === true) : -1,
    };
    this.apicBus = {
      name: "lapic",
      index: APIC_BUS_IRQCHIP_INDEX,
      pins: 0,
      routeTypes: [KVM_IRQ_ROUTING_MSI],
      setIrq: () => -1,
      deliverMsi: (msg, level) => self.deliverMsi(msg, level),
    };
  }

  // ------------------------------------------------------------------ modes

  private everCreatedVcpu(): boolean {
    return this.vm.vcpus.length > 0;
  }

  /** KVM_CREATE_IRQCHIP. `preset`: issued before the VM's vCPUs were created. */
  createIrqchip(preset = false): number {
    if (this.mode !== "none") fail(Errno.EEXIST, `KVM_CREATE_IRQCHIP: the VM already has a ${this.mode} irqchip`);
    if (!preset && this.everCreatedVcpu()) fail(Errno.EINVAL, "KVM_CREATE_IRQCHIP: vCPUs were already created");
    const pic = new I8259Pair({
      picAck: (chip, pin) => this.vm.ackNotifiers.notify(chip === 0 ? this.picMaster : this.picSlave, pin),
      picOutput: () => this.picOutputChanged(),
      picAccepted: () => this.lapics.some((l) => l.acceptsPic()),
    });
    const ioapic = new Ioapic(
      {
        deliver: (dest, logical, dm, vector, level, rtc) => this.deliver(dest, logical, dm, vector, level, dm === APIC_DM_LOWEST, rtc),
        ack: (pin) => this.vm.ackNotifiers.notify(this.ioapicChip, pin),
        notifyResampler: (pin) => this.routing?.notifyResampler(KVM_IRQCHIP_IOAPIC, pin) ?? false,
        schedule: (ns, fn) => void this.vm.clock.after(ns, () => fn()),
        directedEoi: (vcpu) => ((this.lapics[vcpu]?.reg(APIC_SPIV) ?? 0) & APIC_SPIV_DIRECTED_EOI) !== 0,
      },
      this.vm.vcpus.length,
    );
    const regions = [
      { bus: this.vm.pio, base: PIC_MASTER_PORT, size: 2, c: 0 },
      { bus: this.vm.pio, base: PIC_SLAVE_PORT, size: 2, c: 1 },
    ];
    const mapped: Array<() => void> = [];
    try {
      for (const r of regions) {
        const region = {
          read: (off: number, size: number) => (size === 1 && this.pic !== null ? this.pic.ioportRead(r.c, off & 1) : 0),
          write: (off: number, size: number, value: number) => {
            if (size === 1 && this.pic !== null) this.pic.ioportWrite(r.c, off & 1, value);
          },
        };
        r.bus.map(r.base, r.size, region, `i8259 ${r.c ? "slave" : "master"}`);
        mapped.push(() => r.bus.unmap(region));
      }
      const elcr = {
        read: (off: number, size: number) => (size === 1 && this.pic !== null ? this.pic.elcrRead(off & 1) : 0),
        write: (off: number, size: number, value: number) => {
          if (size === 1 && this.pic !== null) this.pic.elcrWrite(off & 1, value);
        },
      };
      this.vm.pio.map(PIC_ELCR_PORT, 2, elcr, "i8259 elcr");
      mapped.push(() => this.vm.pio.unmap(elcr));
      const io = {
        read: (off: number, size: number) => {
          const a = IOAPIC_DEFAULT_BASE + off;
          return this.ioapic !== null && this.ioapic.inWindow(a) ? this.ioapic.mmioRead(a & 0xff, size) : 0;
        },
        write: (off: number, size: number, value: number) => {
          const a = IOAPIC_DEFAULT_BASE + off;
          if (this.ioapic !== null && this.ioapic.inWindow(a)) this.ioapic.mmioWrite(a & 0xff, size, value);
        },
      };
      this.vm.mmio.map(IOAPIC_DEFAULT_BASE, IOAPIC_MEM_LENGTH, io, "ioapic");
      mapped.push(() => this.vm.mmio.unmap(io));
      this.mapLapicPage();
      this.pic = pic;
      this.ioapic = ioapic;
      this.mode = "kernel";
      this.vm.irqchips.register(this.picMaster);
      this.vm.irqchips.register(this.picSlave);
      this.vm.irqchips.register(this.ioapicChip);
      this.vm.irqchips.register(this.apicBus);
      this.routing?.setGsiRouting(defaultRouting());
    } catch (e) {
      for (const u of mapped) u();
      for (const c of [this.picMaster, this.picSlave, this.ioapicChip, this.apicBus]) this.vm.irqchips.unregister(c);
      this.pic = null;
      this.ioapic = null;
      this.mode = "none";
      throw e;
    }
    if (this.vm.tracer.enabled) emitX86(this.vm.tracer, "x86.irqchip.create", { mode: "kernel" });
    return 0;
  }

  private lapicPageMapped = false;
  private mapLapicPage(): void {
    if (this.lapicPageMapped) return;
    this.vm.mmio.map(
      LAPIC_DEFAULT_BASE,
      LAPIC_MMIO_LENGTH,
      {
        read: (off, size, vcpu) => {
          const l = vcpu === null ? undefined : this.lapics[vcpu.id];
          if (l === undefined) return 0;
          // KVM_X86_QUIRK_APIC_MMIO_HOLE: a hardware-disabled LAPIC's page reads as all ones.
          if (!l.hwEnabled) return size >= 4 ? 0xffffffff : (1 << (8 * size)) - 1;
          return l.mmioRead(off, size);
        },
        write: (off, size, value, vcpu) => {
          const l = vcpu === null ? undefined : this.lapics[vcpu.id];
          if (l !== undefined && l.hwEnabled) l.mmioWrite(off, size, value);
        },
      },
      "lapic",
    );
    this.lapicPageMapped = true;
  }

  /** KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP). */
  enableSplit(args: readonly bigint[], flags: number, preset = false): void {
    if (flags !== 0) fail(Errno.EINVAL, `KVM_CAP_SPLIT_IRQCHIP flags 0x${flags.toString(16)} (must be 0)`);
    if (args[0] > BigInt(KVM_MAX_IRQ_ROUTES)) fail(Errno.EINVAL, `KVM_CAP_SPLIT_IRQCHIP: ${args[0]} reserved pins > ${KVM_MAX_IRQ_ROUTES}`);
    if (this.mode !== "none") fail(Errno.EEXIST, `KVM_CAP_SPLIT_IRQCHIP: the VM already has a ${this.mode} irqchip`);
    if (!preset && this.everCreatedVcpu()) fail(Errno.EEXIST, "KVM_CAP_SPLIT_IRQCHIP: vCPUs were already created");
    this.mapLapicPage();
    this.splitPins = Number(args[0]);
    this.mode = "split";
    this.vm.irqchips.register(this.apicBus);
    this.vm.provideExtension(KVM_CAP_X2APIC_API, KVM_X2APIC_API_VALID_FLAGS);
    if (this.vm.tracer.enabled) emitX86(this.vm.tracer, "x86.irqchip.create", { mode: "split" });
  }

  /** KVM_ENABLE_CAP(KVM_CAP_X2APIC_API). */
  enableX2apicApi(args: readonly bigint[], flags: number): void {
    if (flags !== 0) fail(Errno.EINVAL, `KVM_CAP_X2APIC_API flags 0x${flags.toString(16)} (must be 0)`);
    const a = args[0];
    if (a & ~BigInt(KVM_X2APIC_API_VALID_FLAGS)) fail(Errno.EINVAL, `KVM_CAP_X2APIC_API: unknown flags 0x${a.toString(16)}`);
    const f = Number(a);
    const both = KVM_X2APIC_ENABLE_SUPPRESS_EOI_BROADCAST | KVM_X2APIC_DISABLE_SUPPRESS_EOI_BROADCAST;
    if ((f & both) === both) fail(Errno.EINVAL, "KVM_CAP_X2APIC_API: ENABLE and DISABLE_SUPPRESS_EOI_BROADCAST together");
    if (f & KVM_X2APIC_ENABLE_SUPPRESS_EOI_BROADCAST && this.mode !== "split") {
      fail(Errno.EINVAL, "KVM_X2APIC_ENABLE_SUPPRESS_EOI_BROADCAST needs a split irqchip");
    }
    const was = this.x2apicFlags;
    this.x2apicFlags |= f;
    if (this.x2apicFlags !== was && this.lapics.length > 0) this.rebuildMap();
  }

  /** Creates the LAPICs of the VM's vCPUs, in creation order (each reset before it is visible). */
  createLapics(): void {
    for (const vcpu of this.vm.vcpus) {
      const l = new Lapic(vcpu, this);
      this.lapics[vcpu.id] = l;
      l.reset(vcpu.id === 0);
      vcpu.attachIrqchip("lapic", vcpu.id, l);
      this.rebuildMap();
      this.visible = vcpu.id + 1;
      l.updatePpr();
    }
  }

  // ------------------------------------------------------------------ LapicHost

  get picOutput(): boolean {
    return this.pic !== null && this.pic.output;
  }

  picReadIrq(): number {
    return this.pic!.readIrq();
  }

  directedEoiAdvertised(): boolean {
    return this.mode === "split" && (this.x2apicFlags & KVM_X2APIC_DISABLE_SUPPRESS_EOI_BROADCAST) === 0;
  }

  mapDirty(): void {
    this.rebuildMap();
  }

  private picOutputChanged(): void {
    const ls = this.lapics;
    for (let i = 0; i < ls.length; i++) if (ls[i] !== undefined && ls[i].acceptsPic()) ls[i].updateLine();
  }

  eoiForward(l: Lapic, v: number, level: boolean): void {
    if (this.mode === "kernel") {
      const io = this.ioapic!;
      if (!this.ioapicHandled(io, l, v)) return;
      if (this.vm.tracer.enabled) emitX86(this.vm.tracer, "x86.ioapic.eoi", { vcpu: l.id, vector: v, level });
      io.eoi(l.id, v, level);
    } else if (this.mode === "split" && this.splitHandled(l, v)) {
      // Suppressed EOI broadcast (the guest EOIs its userspace IOAPIC directly): no exit.
      if (this.x2apicFlags & KVM_X2APIC_ENABLE_SUPPRESS_EOI_BROADCAST && l.reg(APIC_SPIV) & APIC_SPIV_DIRECTED_EOI) return;
      this.eoiExits.push({ vcpu: l.id, vector: v });
      if (this.vm.tracer.enabled) emitX86(this.vm.tracer, "x86.exit.ioapic_eoi", { vcpu: l.id, vector: v });
    }
  }

  /** Whether the EOI of `v` by `l` reaches the IOAPIC (the vCPU's EOI-exit bitmap, §6.7). */
  private ioapicHandled(io: Ioapic, l: Lapic, v: number): boolean {
    if (io.rtcVector[l.id] === v) return true;
    const pins = io.pinsByVector[v];
    if (pins === 0) return false;
    for (let rest = pins; rest !== 0; rest &= rest - 1) {
      const p = 31 - Math.clz32(rest & -rest);
      if (io.lo[p] & RTE_LEVEL || p === IOAPIC_RTC_PIN) return true;
      if (this.routing !== null && this.routing.hasAckNotifier(KVM_IRQCHIP_IOAPIC, p)) return true;
    }
    return false;
  }

  /** Split mode: a level-triggered MSI route among GSIs < splitPins with vector v targeting l. */
  private splitHandled(l: Lapic, v: number): boolean {
    if (this.routing === null || this.splitPins === 0) return false;
    for (const e of this.routing.getGsiRouting()) {
      if (e.gsi >= this.splitPins || e.type !== KVM_IRQ_ROUTING_MSI) continue;
      const m = (e as { msi: MsiMessage }).msi;
      if ((m.data & 0xff) !== v || (m.data & 0x8000) === 0) continue;
      if (this.matches(l, this.msiDest(m), (m.addressLo & 4) !== 0)) return true;
    }
    return false;
  }

  sendIpi(from: Lapic, lo: number, hi: number): void {
    this.ipis++;
    const vector = lo & 0xff;
    const dm = (lo >> 8) & 7;
    const logical = (lo & 0x800) !== 0;
    const level = (lo & 0x8000) !== 0;
    const sh = (lo >> 18) & 3;
    if (sh === 0) {
      this.deliver(hi >>> 24, logical, dm, vector, level, dm === APIC_DM_LOWEST, false);
      return;
    }
    if (sh === 1) {
      from.accept(dm, vector, level);
      return;
    }
    const ls = this.lapics;
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i];
      if (l === undefined || !l.hwEnabled || (sh === 3 && l === from)) continue;
      l.accept(dm, vector, level);
    }
  }

  // ------------------------------------------------------------------ delivery

  /** The optimized map (kvm_recalculate_apic_map) over the vCPUs created so far. */
  rebuildMap(): void {
    this.mapRebuilds++;
    const n = Math.min(this.visible, this.lapics.length);
    let maxId = 255;
    for (let i = 0; i < n; i++) if (this.lapics[i]?.hwEnabled && i > maxId) maxId = i;
    if (this.phys.length !== maxId + 1) this.phys = new Int32Array(maxId + 1);
    this.phys.fill(-1);
    this.maxId = maxId;
    this.physValid = true;
    this.flat.fill(-1);
    this.cluster.fill(-1);
    let mode = LOG_NONE;
    for (let i = 0; i < n; i++) {
      const l = this.lapics[i];
      if (l === undefined || !l.hwEnabled) continue;
      const id = l.xapicId;
      if (this.x2apicFlags & KVM_X2APIC_API_USE_32BIT_IDS) {
        // x2apic_format: the hotplug hack maps IDs > 0xff by x2APIC ID (= vCPU id) and
        // silently ignores aliased xAPIC IDs (kvm_recalculate_phys_map).
        if (i > 0xff) this.phys[i] = i;
        if (this.phys[id] < 0) this.phys[id] = i;
      } else if (this.phys[id] >= 0) this.physValid = false;
      else this.phys[id] = i;
      if (!l.swEnabled || l.ldr === 0 || mode === LOG_DISABLED) continue;
      const dfr = l.dfr >>> 0;
      const lm = dfr === APIC_DFR_FLAT ? LOG_FLAT : dfr === APIC_DFR_CLUSTER ? LOG_CLUSTER : LOG_DISABLED;
      if (mode === LOG_NONE) mode = lm;
      else if (mode !== lm) mode = LOG_DISABLED;
      if (mode === LOG_DISABLED) continue;
      const lid = l.ldr >>> 24;
      if (mode === LOG_FLAT) {
        if (popcount(lid) !== 1) {
          mode = LOG_DISABLED;
          continue;
        }
        const slot = 31 - Math.clz32(lid);
        if (this.flat[slot] >= 0) mode = LOG_DISABLED;
        else this.flat[slot] = i;
      } else {
        const m = lid & 0xf;
        if (popcount(m) !== 1) {
          mode = LOG_DISABLED;
          continue;
        }
        const slot = ((lid >> 4) << 2) + 31 - Math.clz32(m);
        if (this.cluster[slot] >= 0) mode = LOG_DISABLED;
        else this.cluster[slot] = i;
      }
    }
    this.logMode = mode;
    this.mapExists = true;
  }

  private acceptOne(i: number, dm: number, v: number, level: boolean, rtc: boolean): number {
    const r = this.lapics[i].accept(dm, v, level);
    if (rtc && r !== 0 && (dm === APIC_DM_FIXED || dm === APIC_DM_LOWEST)) this.ioapic!.rtcRecord(i, v);
    return r;
  }

  /** Whether present LAPIC `l` matches a destination (kvm_apic_match_dest, no shorthand). */
  matches(l: Lapic, dest: number, logical: boolean): boolean {
    if (!l.hwEnabled) return false;
    if (dest === 0xff) return true;
    if (!logical) return dest > 0xff ? dest === l.id : dest === l.xapicId;
    const lid = l.ldr >>> 24;
    const dfr = l.dfr >>> 0;
    if (dfr === APIC_DFR_FLAT) return (lid & dest) !== 0;
    if (dfr === APIC_DFR_CLUSTER) return lid >> 4 === (dest >> 4) && (lid & dest & 0xf) !== 0;
    return false;
  }

  /** kvm_irq_delivery_to_apic: the number of LAPICs that accepted, 0, or -1 (nothing matched). */
  deliver(dest: number, logical: boolean, dm: number, v: number, level: boolean, lowest: boolean, rtc: boolean): number {
    if (this.mapExists && this.physValid && dest !== 0xff && (!logical || this.logMode !== LOG_DISABLED)) {
      if (!logical) {
        if (dest > this.maxId) return 0;
        const i = this.phys[dest];
        return i >= 0 ? this.acceptOne(i, dm, v, level, rtc) : 0;
      }
      if (this.logMode === LOG_NONE) return 0;
      let slots: Int32Array;
      let base = 0;
      let mask: number;
      let width: number;
      if (this.logMode === LOG_FLAT) {
        slots = this.flat;
        mask = dest & 0xff;
        width = 8;
      } else {
        slots = this.cluster;
        base = ((dest >> 4) & 0xf) << 2;
        mask = dest & 0xf;
        width = 4;
      }
      if (!lowest) {
        let r = 0;
        for (let b = 0; b < width; b++) {
          if (mask & (1 << b) && slots[base + b] >= 0) r += this.acceptOne(slots[base + b], dm, v, level, rtc);
        }
        return r;
      }
      if (mask === 0) return 0;
      let idx = v % popcount(mask);
      for (let b = 0; b < width; b++) {
        if ((mask & (1 << b)) === 0) continue;
        if (idx-- === 0) return slots[base + b] >= 0 ? this.acceptOne(slots[base + b], dm, v, level, rtc) : 0;
      }
      return 0;
    }
    // Scan path.
    let r = -1;
    if (!logical && dest === 0xff && dm === APIC_DM_LOWEST) dm = APIC_DM_FIXED;
    const ls = this.lapics;
    let k = 0;
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i];
      if (l === undefined || !this.matches(l, dest, logical)) continue;
      if (!lowest) r = (r < 0 ? 0 : r) + this.acceptOne(i, dm, v, level, rtc);
      else if (l.swEnabled) k++;
    }
    if (lowest && k > 0) {
      let idx = v % k;
      for (let i = 0; i < ls.length; i++) {
        const l = ls[i];
        if (l === undefined || !this.matches(l, dest, logical) || !l.swEnabled) continue;
        if (idx-- === 0) return this.acceptOne(i, dm, v, level, rtc);
      }
    }
    return r;
  }

  msiDest(m: MsiMessage): number {
    const lo = (m.addressLo >>> 12) & 0xff;
    return this.x2apicFlags & KVM_X2APIC_API_USE_32BIT_IDS ? ((m.addressHi & 0xffffff00) | lo) >>> 0 : lo;
  }

  /** kvm_set_msi: -EINVAL for the x2APIC rule, -1 for level 0, else the delivery result. */
  deliverMsi(m: MsiMessage, level: number): number {
    if (this.x2apicFlags & KVM_X2APIC_API_USE_32BIT_IDS && m.addressHi & 0xff) return -Errno.EINVAL;
    if (level === 0) return -1;
    this.msis++;
    const lo = m.addressLo;
    const data = m.data;
    const dm = (data >> 8) & 7;
    const hint = (lo & 8) !== 0;
    return this.deliver(this.msiDest(m), (lo & 4) !== 0, dm, data & 0xff, (data & 0x8000) !== 0, hint || dm === APIC_DM_LOWEST, false);
  }

  // ------------------------------------------------------------------ routing profile hooks

  checkRoute(e: RoutingEntry): void {
    if (e.type === KVM_IRQ_ROUTING_IRQCHIP) {
      if (this.mode === "split") fail(Errno.EINVAL, "IRQCHIP routes are refused on a split irqchip");
      const limit = e.irqchip === 0 || e.irqchip === 1 ? 8 : e.irqchip === 2 ? IOAPIC_PINS : 0;
      if (e.irqchip >= KVM_NR_IRQCHIPS || e.pin >= limit) fail(Errno.EINVAL, `IRQCHIP route irqchip ${e.irqchip} pin ${e.pin}`);
    } else if (e.type === KVM_IRQ_ROUTING_MSI) {
      if (this.x2apicFlags & KVM_X2APIC_API_USE_32BIT_IDS && e.msi.addressHi & 0xff) {
        fail(Errno.EINVAL, `MSI route address_hi 0x${e.msi.addressHi.toString(16)}: low 8 bits must be 0 with 32-bit APIC IDs`);
      }
    }
  }

  // ------------------------------------------------------------------ state ioctls

  /** KVM_GET_IRQCHIP on a 520-byte struct kvm_irqchip. */
  getIrqchip(arg: UserPtr): number {
    const v = new UapiView(arg, SIZEOF_KVM_IRQCHIP, "le", "struct kvm_irqchip");
    if (this.mode !== "kernel") fail(Errno.ENXIO, "KVM_GET_IRQCHIP: no in-kernel PIC/IOAPIC");
    const id = v.u32(0);
    if (id > 2) fail(Errno.EINVAL, `KVM_GET_IRQCHIP chip_id ${id}`);
    const u = arg!.subarray(8, SIZEOF_KVM_IRQCHIP);
    if (id < 2) u.set(this.pic!.chips[id]);
    else encodeIoapicFrom(this.ioapic!, u);
    return 0;
  }

  /** KVM_SET_IRQCHIP. */
  setIrqchip(arg: UserPtr): number {
    const v = new UapiView(arg, SIZEOF_KVM_IRQCHIP, "le", "struct kvm_irqchip");
    if (this.mode !== "kernel") fail(Errno.ENXIO, "KVM_SET_IRQCHIP: no in-kernel PIC/IOAPIC");
    const pic = this.pic!;
    try {
      const id = v.u32(0);
      if (id > 2) fail(Errno.EINVAL, `KVM_SET_IRQCHIP chip_id ${id}`);
      const u = arg!.subarray(8, SIZEOF_KVM_IRQCHIP);
      if (id < 2) pic.setState(id, u);
      else this.setIoapicState(u);
    } finally {
      pic.update();
    }
    return 0;
  }

  private setIoapicState(u: Uint8Array): void {
    const io = this.ioapic!;
    const irr = decodeIoapicInto(io, u);
    io.irr = 0;
    io.irrDelivered = 0;
    io.rtcClear();
    io.reindex();
    for (let p = 0; p < IOAPIC_PINS; p++) if (irr & (1 << p)) io.pinLevel(p, true, true);
    this.rtcRestoreAll();
  }

  private rtcRestoreOne(l: Lapic): void {
    const io = this.ioapic;
    if (io === null) return;
    const lo = io.lo[IOAPIC_RTC_PIN];
    if (!this.matches(l, io.hi[IOAPIC_RTC_PIN] >>> 24, (lo & RTE_LOGICAL) !== 0)) return;
    const vec = lo & 0xff;
    const now = l.irrHas(vec) || l.isrHas(vec);
    const was = io.rtcVector[l.id] >= 0;
    if (now === was) return;
    if (now) {
      io.rtcVector[l.id] = vec;
      io.rtcPendingEoi++;
    } else {
      io.rtcVector[l.id] = -1;
      io.rtcPendingEoi--;
    }
  }

  private rtcRestoreAll(): void {
    this.ioapic!.rtcClear();
    for (const l of this.lapics) if (l !== undefined) this.rtcRestoreOne(l);
  }

  private lapicOf(vcpuId: number, what: string): Lapic {
    const l = this.mode === "none" ? undefined : this.lapics[vcpuId];
    if (l === undefined) fail(Errno.EINVAL, `${what}: vCPU ${vcpuId} has no in-kernel LAPIC`);
    return l;
  }

  /** KVM_GET_LAPIC: the 0x400-byte register page. */
  getLapic(vcpuId: number, arg: UserPtr): number {
    const l = this.lapicOf(vcpuId, "KVM_GET_LAPIC");
    const v = new UapiView(arg, KVM_APIC_REG_SIZE, "le", "struct kvm_lapic_state");
    for (let w = 0; w < 256; w++) v.setU32(w << 2, l.page[w]);
    v.setU32(APIC_TMCCT, 0);
    return 0;
  }

  /** KVM_SET_LAPIC (kvm_apic_set_state). */
  setLapic(vcpuId: number, arg: UserPtr): number {
    const l = this.lapicOf(vcpuId, "KVM_SET_LAPIC");
    const v = new UapiView(arg, KVM_APIC_REG_SIZE, "le", "struct kvm_lapic_state");
    const isrBefore = l.isrCount;
    const highestBefore = l.highestIsr();
    l.page[APIC_SPIV >> 2] = v.u32(APIC_SPIV);
    for (let w = 0; w < 256; w++) l.page[w] = v.u32(w << 2);
    l.page[APIC_LVR >> 2] = l.lvr();
    const tpr = l.page[APIC_TASKPRI >> 2] & 0xff;
    const isr = isrBefore === 0 || highestBefore < 0 ? 0 : highestBefore & 0xf0;
    l.page[APIC_PROCPRI >> 2] = (tpr & 0xf0) >= isr ? tpr : isr;
    l.isrCount = l.countIsr();
    l.arb = 0;
    this.visible = Math.max(this.visible, this.vm.vcpus.length);
    this.rebuildMap();
    this.rtcRestoreOne(l);
    l.updateLine();
    return 0;
  }

  /** KVM_INTERRUPT (struct kvm_interrupt, 4 bytes). */
  interrupt(vcpuId: number, arg: UserPtr): number {
    const v = new UapiView(arg, SIZEOF_KVM_INTERRUPT, "le", "struct kvm_interrupt");
    const irq = v.u32(0);
    if (irq >= 256) fail(Errno.EINVAL, `KVM_INTERRUPT irq ${irq} >= 256`);
    if (this.mode === "none") {
      this.userIrq[vcpuId] = irq;
      return 0;
    }
    if (this.mode === "kernel") fail(Errno.ENXIO, "KVM_INTERRUPT: the PIC is in the kernel");
    const l = this.lapics[vcpuId];
    if (l.extint >= 0) fail(Errno.EEXIST, `KVM_INTERRUPT: vCPU ${vcpuId} has ExtINT ${l.extint} pending`);
    l.extint = irq;
    l.updateLine();
    return 0;
  }

  // ------------------------------------------------------------------ guest operations

  /** The vCPU takes one interrupt; returns the vector or -1 (spec §9.1 guestAck). */
  guestAck(vcpuId: number): number {
    const l = this.lapics[vcpuId];
    if (l === undefined) return -1;
    const v = l.ack();
    if (v >= 0 && this.vm.tracer.enabled) emitX86(this.vm.tracer, "x86.lapic.ack", { vcpu: vcpuId, vector: v });
    return v;
  }

  /** A guest write of the LAPIC EOI register (without the MMIO exit accounting). */
  guestEoi(vcpuId: number): number {
    const l = this.lapics[vcpuId];
    return l === undefined ? -1 : l.eoi();
  }

  /** What KVM_GET_VCPU_EVENTS would report of NMI/INIT/SIPI/SMI state. */
  vcpuEvents(vcpuId: number): { nmiPending: number; initPending: boolean; sipiVector: number; smiPending: number } {
    const l = this.lapics[vcpuId];
    return l === undefined
      ? { nmiPending: 0, initPending: false, sipiVector: -1, smiPending: 0 }
      : { nmiPending: l.nmiPending, initPending: l.initPending, sipiVector: l.sipiVector, smiPending: l.smiPending };
  }

  // ------------------------------------------------------------------ observability

  counters(): Record<string, number> {
    let accepted = 0;
    let acks = 0;
    let eois = 0;
    for (const l of this.lapics) if (l) {
      accepted += l.accepted;
      acks += l.acks;
      eois += l.eois;
    }
    return {
      msis: this.msis,
      ipis: this.ipis,
      lapicAccepted: accepted,
      lapicAcks: acks,
      lapicEois: eois,
      mapRebuilds: this.mapRebuilds,
      picInta: this.pic?.inta ?? 0,
      ioapicDelivered: this.ioapic?.delivered ?? 0,
      ioapicCoalesced: this.ioapic?.coalesced ?? 0,
      ioapicEois: this.ioapic?.eois ?? 0,
    };
  }
}

/** KVM's default routing (kvm_setup_default_ioapic_and_pic_routing): 40 entries. */
export function defaultRouting(): RoutingEntry[] {
  const t: RoutingEntry[] = [];
  for (let g = 0; g < 24; g++) {
    t.push({ gsi: g, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: KVM_IRQCHIP_IOAPIC, pin: g });
    if (g < 8) t.push({ gsi: g, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: KVM_IRQCHIP_PIC_MASTER, pin: g });
    else if (g < 16) t.push({ gsi: g, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: KVM_IRQCHIP_PIC_SLAVE, pin: g - 8 });
  }
  return t;
}
