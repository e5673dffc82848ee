/**
 * The interrupt state s390 KVM keeps per VM (kvm->arch.float_int, kvm->arch.adapters, the AIS
 * facility) and per vCPU (the slice in vcpu-state.ts), with the kernel's injection, adapter and
 * delivery algorithms. The FLIC device, the IrqChip and the guest driver are views on it.
 * Per-interrupt paths (injectIo, injectAirq, setAdapterInt, deliver) return numbers, never throw,
 * never allocate.
 */
import { Errno, type AdapterRoute, type Vcpu, type Vm } from "@irqlab/core";
import { aisSuppresses } from "./ais.js";
import { AdapterTable, indicatorByte } from "./adapters.js";
import {
  aisModeMask,
  EXT_IRQ_CP_SERVICE,
  EXT_IRQ_EMERGENCY_SIG,
  EXT_IRQ_SERVICE_SIG,
  intWordToIsc,
  iscToIntWord,
  KVM_S390_INT_EMERGENCY,
  KVM_S390_INT_IO,
  KVM_S390_INT_IO_AI_MASK,
  KVM_S390_INT_PFAULT_DONE,
  KVM_S390_INT_SERVICE,
  KVM_S390_INT_VIRTIO,
  KVM_S390_MCHK,
  PFAULT_DONE,
  SCCB_EVENT_PENDING,
  VIRTIO_PARAM,
} from "./constants.js";
import { EXT_P2_HI, EXT_P2_LO, EXT_PARAMS, FloatingInterrupts, IO_PARM, IO_SCHID, IO_TYPE, IO_WORD } from "./floating.js";
import {
  deliverableClasses,
  IRQ_PEND_EXT_EMERGENCY,
  IRQ_PEND_EXT_MASK,
  IRQ_PEND_EXT_SERVICE,
  IRQ_PEND_EXT_SERVICE_EV,
  IRQ_PEND_IO_ISC_0,
  IRQ_PEND_IO_ISC_7,
  IRQ_PEND_IO_MASK,
  IRQ_PEND_MCHK_MASK,
  IRQ_PEND_MCHK_REP,
  IRQ_PEND_PFAULT_DONE,
  IRQ_PEND_VIRTIO,
  highestClass,
  irqTypeToIsc,
} from "./priority.js";
import { emitFlic } from "./trace.js";
import { DeliveredIrq, FlicVcpu, type VcpuControl } from "./vcpu-state.js";

/** DI token of the per-VM state (bound by the FLIC module, one per VM container). */
export const S390InterruptsToken = Symbol.for("irqlab.flic.S390Interrupts");

export interface S390InterruptsOptions {
  /** AIS facility (72) enabled when the VM is created, before any vCPU (as QEMU does). */
  ais?: boolean;
}

const EXT_OR_IO = IRQ_PEND_EXT_MASK | IRQ_PEND_IO_MASK;

export class S390Interrupts {
  readonly floating = new FloatingInterrupts();
  readonly adapters = new AdapterTable();
  /** AIS masks: bit 0x80 >> isc. */
  simm = 0;
  nimm = 0;
  /** Facility 72 (KVM_CAP_S390_AIS enabled). */
  aisFacility: boolean;
  /** gmap->pfault_enabled (APF_ENABLE / APF_DISABLE_WAIT). */
  apfEnabled = false;
  /** The VM's FLIC device, if one was created (kvm->arch.flic). */
  flicDevice: unknown = null;
  readonly vcpuStates: FlicVcpu[];

  /** Counters (HasCounters). */
  injected = 0;
  rejected = 0;
  delivered = 0;
  adapterInjections = 0;
  adapterCoalesced = 0;
  adapterMasked = 0;
  adapterErrors = 0;
  aisSuppressed = 0;

  /**
   * Line groups: vCPUs with the same enabled classes and CR14 see the same floating
   * contribution to their lines, so a change of the floating state that leaves a group's
   * contribution alone changes no line of that group and is skipped (refreshAll visits only
   * the vCPUs of groups whose contribution changed). Slots of emptied groups are reused.
   */
  private readonly groupEnabled: number[] = [];
  private readonly groupCr14: number[] = [];
  private readonly groupSize: number[] = [];
  private readonly groupChanged: Uint8Array;
  private readonly groupIds = new Map<string, number>();
  private readonly groupOf: Int32Array;
  /** The floating state (pending & ~masked, mchk cr14) the lines were last computed from. */
  private linesPending = 0;
  private linesMchkCr14 = 0;
  /** vCPUs refreshAll re-evaluated (the work of floating changes; not a KVM counter). */
  refreshVisits = 0;

  private readonly word = new Uint32Array(4);
  private readonly where = new Float64Array(2);

  constructor(
    readonly vm: Vm,
    options: S390InterruptsOptions = {},
  ) {
    this.aisFacility = options.ais ?? false;
    this.vcpuStates = vm.vcpus.map((v) => new FlicVcpu(v, vm.vcpus.length));
    const n = this.vcpuStates.length;
    this.groupOf = new Int32Array(n).fill(-1);
    this.groupChanged = new Uint8Array(n + 1);
    for (let i = 0; i < n; i++) this.regroup(i);
    this.linesPending = this.floating.pending & ~this.floating.masked;
    this.linesMchkCr14 = this.floating.mchkCr14;
  }

  /** Moves vCPU `i` to the group of its current settings (setup path: one map lookup). */
  private regroup(i: number): void {
    const s = this.vcpuStates[i];
    const key = `${s.enabled}:${s.cr14Low}`;
    let g = this.groupIds.get(key);
    if (g === undefined) {
      g = this.groupSize.indexOf(0);
      if (g < 0) g = this.groupSize.length;
      this.groupEnabled[g] = s.enabled;
      this.groupCr14[g] = s.cr14Low;
      this.groupSize[g] = 0;
      this.groupIds.set(key, g);
    }
    const old = this.groupOf[i];
    if (old === g) return;
    if (old >= 0 && --this.groupSize[old] === 0) this.groupIds.delete(`${this.groupEnabled[old]}:${this.groupCr14[old]}`);
    this.groupOf[i] = g;
    this.groupSize[g]++;
  }

  /** The per-vCPU state of `vcpu` (a Vcpu or its index). */
  vcpuState(vcpu: Vcpu | number): FlicVcpu | undefined {
    if (typeof vcpu === "number") return this.vcpuStates[vcpu];
    const s = this.vcpuStates[vcpu.id];
    return s !== undefined && s.vcpu === vcpu ? s : undefined;
  }

  // ---------------------------------------------------------------- injection (__inject_vm)

  /** __inject_io. 0 or EBUSY. */
  injectIo(type: number, schid: number, parm: number, word: number): number {
    const f = this.floating;
    const before = f.pending;
    const r = f.injectIo(type, schid, parm, word);
    return this.afterInject(r, type, before);
  }

  injectVirtio(params: number, pad: number, p2hi: number, p2lo: number): number {
    const before = this.floating.pending;
    return this.afterInject(this.floating.injectVirtio(params, pad, p2hi, p2lo), KVM_S390_INT_VIRTIO, before);
  }

  injectPfaultDone(params: number, pad: number, p2hi: number, p2lo: number): number {
    const before = this.floating.pending;
    return this.afterInject(this.floating.injectPfaultDone(params, pad, p2hi, p2lo), KVM_S390_INT_PFAULT_DONE, before);
  }

  injectService(params: number): number {
    const before = this.floating.pending;
    return this.afterInject(this.floating.injectService(params), KVM_S390_INT_SERVICE, before);
  }

  injectMchk(cr14: bigint, mcic: bigint): number {
    const before = this.floating.pending;
    const cr14Before = this.floating.mchkCr14;
    const r = this.floating.injectMchk(cr14, mcic);
    if (this.floating.mchkCr14 !== cr14Before) this.refreshAll();
    return this.afterInject(r, KVM_S390_MCHK, before);
  }

  private afterInject(r: number, type: number, before: number): number {
    if (r !== 0) {
      this.rejected++;
      if (this.vm.tracer.enabled) emitFlic(this.vm.tracer, "flic.inject.busy", { type });
      return r;
    }
    this.injected++;
    if (this.vm.tracer.enabled) emitFlic(this.vm.tracer, "flic.inject", { type });
    // The kick: every vCPU re-evaluates what it can take (only when the pending set changed).
    if (this.floating.pending !== before) this.refreshAll();
    return 0;
  }

  // --------------------------------------------------------------------------- adapters

  /** kvm_s390_inject_airq: an adapter I/O interrupt, subject to AIS. 0 or an errno. */
  injectAirq(id: number): number {
    const isc = this.adapters.isc[id];
    const word = iscToIntWord(isc);
    if (!this.aisFacility || this.adapters.suppressible[id] === 0) {
      this.adapterInjections++;
      return this.injectIo(KVM_S390_INT_IO_AI_MASK, 0, 0, word);
    }
    if (aisSuppresses(this, isc)) {
      this.aisSuppressed++;
      if (this.vm.tracer.enabled) emitFlic(this.vm.tracer, "flic.ais.suppressed", { adapter: id, isc });
      return 0;
    }
    this.adapterInjections++;
    // SINGLE -> NO after a successful injection (aisAfterInjection, inlined: no allocation).
    // KVM holds ais_lock across the injection and the nimm update, so an AISM re-arm can only
    // come after both: nimm is set before the injection (whose vCPU-line callbacks may run
    // guest code synchronously) and taken back if the injection fails.
    const m = aisModeMask(isc);
    const arm = (this.simm & m) !== 0;
    const nimmBefore = this.nimm;
    if (arm) this.aisMode(isc, this.simm, this.nimm | m);
    const r = this.injectIo(KVM_S390_INT_IO_AI_MASK, 0, 0, word);
    if (r !== 0 && arm) this.aisMode(isc, this.simm, nimmBefore);
    return r;
  }

  /** Sets the AIS masks after AISM or SINGLE -> NO and traces the change of `isc` (AISM_ALL has no trace in KVM). */
  aisMode(isc: number, simm: number, nimm: number): void {
    this.simm = simm & 0xff;
    this.nimm = nimm & 0xff;
    if (this.vm.tracer.enabled) emitFlic(this.vm.tracer, "flic.ais.mode", { isc, simm: this.simm, nimm: this.nimm });
  }

  /**
   * set_adapter_int (the S390_ADAPTER route callback): < 0 not injected (adapter unknown,
   * indicator pages inaccessible, or the injection's -errno), 0 coalesced (summary already
   * set) or level 0, 1 injected (or masked adapter: indicators set, no interrupt).
   */
  setAdapterInt(route: AdapterRoute, level: number): number {
    if (!level) return 0;
    const id = route.adapterId;
    const ad = this.adapters;
    if (!ad.has(id)) {
      this.adapterErrors++;
      return -1;
    }
    const mem = this.vm.memory;
    const swap = ad.swap[id] === 1;
    const w = this.where;
    indicatorByte(route.indAddr, route.indOffset, swap, w);
    const indByte = w[0];
    const indMask = w[1];
    indicatorByte(route.summaryAddr, route.summaryOffset, swap, w);
    const sumByte = w[0];
    const sumMask = w[1];
    if (!mem.isMapped(route.indAddr) || !mem.isMapped(route.summaryAddr) || !mem.isMapped(indByte) || !mem.isMapped(sumByte)) {
      this.adapterErrors++;
      return -1;
    }
    mem.writeByte(indByte, mem.readByte(indByte) | indMask);
    const old = mem.readByte(sumByte);
    mem.writeByte(sumByte, old | sumMask);
    let r: number;
    if (old & sumMask) {
      this.adapterCoalesced++;
      r = 0;
    } else if (ad.masked[id] === 1) {
      this.adapterMasked++;
      r = 1;
    } else {
      const e = this.injectAirq(id);
      r = e === 0 ? 1 : -e;
    }
    if (this.vm.tracer.enabled) emitFlic(this.vm.tracer, "flic.adapter.set", { adapter: id, result: r });
    return r;
  }

  // --------------------------------------------------------------------------- vCPU side

  /** Sets PSW masks / control registers of a vCPU and re-evaluates its lines. */
  setVcpuControl(vcpu: Vcpu | number, c: VcpuControl): void {
    const s = this.vcpuState(vcpu);
    if (!s) return;
    s.apply(c);
    this.regroup(s.vcpu.id);
    this.refresh(s);
  }

  /** The classes `vcpu` could take now (deliverable_irqs). */
  deliverableMask(s: FlicVcpu): number {
    const f = this.floating;
    return deliverableClasses((f.pending & ~f.masked) | s.localPending, s.enabled, s.cr14Low, f.mchkCr14);
  }

  /**
   * Delivers the highest-priority deliverable interruption to `vcpu` (one PSW swap: the new
   * PSW a guest loads normally disables further interruptions, so one per call), removing it
   * from the floating state. Returns the vCPU's delivery record, or null.
   */
  deliver(vcpu: Vcpu | number): DeliveredIrq | null {
    const s = this.vcpuState(vcpu);
    if (!s) return null;
    const mask = this.deliverableMask(s);
    if (mask === 0) return null;
    const cls = highestClass(mask);
    const f = this.floating;
    const d = s.last;
    const before = f.pending;
    const w = this.word;
    let ok = true;
    d.cls = cls;
    if (cls >= IRQ_PEND_IO_ISC_7 && cls <= IRQ_PEND_IO_ISC_0) {
      ok = f.takeIo(irqTypeToIsc(cls), w);
      d.kind = "io";
      d.type = w[IO_TYPE];
      d.subchannelId = w[IO_SCHID] >>> 16;
      d.subchannelNr = w[IO_SCHID] & 0xffff;
      d.ioIntParm = w[IO_PARM];
      d.ioIntWord = w[IO_WORD];
      d.isc = intWordToIsc(w[IO_WORD]);
      d.adapter = (w[IO_TYPE] & KVM_S390_INT_IO_AI_MASK) !== 0;
    } else if (cls === IRQ_PEND_VIRTIO) {
      ok = f.takeVirtio(w);
      this.ext(d, "virtio", KVM_S390_INT_VIRTIO, EXT_IRQ_CP_SERVICE, VIRTIO_PARAM, w[EXT_PARAMS], w[EXT_P2_HI], w[EXT_P2_LO]);
    } else if (cls === IRQ_PEND_PFAULT_DONE) {
      ok = f.takePfaultDone(w);
      this.ext(d, "pfault-done", KVM_S390_INT_PFAULT_DONE, EXT_IRQ_CP_SERVICE, PFAULT_DONE, 0, w[EXT_P2_HI], w[EXT_P2_LO]);
    } else if (cls === IRQ_PEND_EXT_SERVICE) {
      const p = f.takeService();
      ok = p >= 0;
      this.ext(d, "service", KVM_S390_INT_SERVICE, EXT_IRQ_SERVICE_SIG, 0, p, 0, 0);
    } else if (cls === IRQ_PEND_EXT_SERVICE_EV) {
      ok = f.takeServiceEv();
      this.ext(d, "service", KVM_S390_INT_SERVICE, EXT_IRQ_SERVICE_SIG, 0, SCCB_EVENT_PENDING, 0, 0);
    } else if (cls === IRQ_PEND_MCHK_REP) {
      const cr14 = f.mchkCr14;
      const mcic = f.mchkMcic;
      ok = f.takeMchk();
      f.mchkCr14 = 0;
      f.mchkMcic = 0n;
      d.kind = "mchk";
      d.type = KVM_S390_MCHK;
      d.mchkCr14 = BigInt(cr14);
      d.mchkMcic = mcic;
    } else if (cls === IRQ_PEND_EXT_EMERGENCY) {
      let from = 0;
      while (from < s.emergencyFrom.length && s.emergencyFrom[from] === 0) from++;
      s.emergencyFrom[from] = 0;
      s.emergencyCount--;
      if (s.emergencyCount === 0) s.localPending &= ~(1 << IRQ_PEND_EXT_EMERGENCY);
      this.ext(d, "emergency", KVM_S390_INT_EMERGENCY, EXT_IRQ_EMERGENCY_SIG, from, 0, 0, 0);
    } else {
      ok = false;
    }
    if (f.pending !== before) this.refreshAll();
    else this.refresh(s);
    if (!ok) return null;
    s.delivered++;
    this.delivered++;
    if (this.vm.tracer.enabled) emitFlic(this.vm.tracer, "flic.deliver", { vcpu: s.vcpu.id, kind: d.kind, type: d.type });
    return d;
  }

  private ext(
    d: DeliveredIrq,
    kind: DeliveredIrq["kind"],
    type: number,
    code: number,
    cpuAddr: number,
    params: number,
    p2hi: number,
    p2lo: number,
  ): void {
    d.kind = kind;
    d.type = type;
    d.extCode = code;
    d.cpuAddr = cpuAddr;
    d.extParams = params >>> 0;
    d.extParams2Hi = p2hi >>> 0;
    d.extParams2Lo = p2lo >>> 0;
    d.adapter = false;
  }

  /**
   * __inject_sigp_emergency: an emergency signal from CPU `from` pending at vCPU `to`.
   * EINVAL when the sending CPU does not exist (or the target is unknown).
   */
  injectEmergency(to: Vcpu | number, from: number): number {
    const s = this.vcpuState(to);
    if (!s || !Number.isInteger(from) || from < 0 || from >= this.vcpuStates.length) return Errno.EINVAL;
    if (s.emergencyFrom[from] === 0) {
      s.emergencyFrom[from] = 1;
      s.emergencyCount++;
    }
    s.localPending |= 1 << IRQ_PEND_EXT_EMERGENCY;
    this.refresh(s);
    return 0;
  }

  /**
   * Re-evaluates the lines of every vCPU they can have changed for (after the floating
   * pending set or the floating machine check's CR14 changed), in vCPU order: the vCPUs of
   * the groups whose floating contribution changed. A vCPU of another group would compute
   * the lines it already has (its local classes and settings are unchanged), so skipping it
   * changes nothing; the work is the number of groups plus the vCPUs whose lines change.
   */
  refreshAll(): void {
    const f = this.floating;
    const p = f.pending & ~f.masked;
    const mc = f.mchkCr14;
    const p0 = this.linesPending;
    const mc0 = this.linesMchkCr14;
    this.linesPending = p;
    this.linesMchkCr14 = mc;
    const sizes = this.groupSize;
    const changed = this.groupChanged;
    let any = 0;
    for (let g = 0; g < sizes.length; g++) {
      const e = this.groupEnabled[g];
      const c = this.groupCr14[g];
      const d = sizes[g] !== 0 && floatingLines(p0, e, c, mc0) !== floatingLines(p, e, c, mc) ? 1 : 0;
      changed[g] = d;
      any |= d;
    }
    if (any === 0) return;
    const vs = this.vcpuStates;
    const of = this.groupOf;
    for (let i = 0; i < vs.length; i++) {
      if (changed[of[i]] === 0) continue;
      this.refreshVisits++;
      this.refresh(vs[i]);
    }
  }

  private refresh(s: FlicVcpu): void {
    const m = this.deliverableMask(s);
    s.vcpu.ext.set((m & EXT_OR_IO) !== 0);
    s.vcpu.mcheck.set((m & IRQ_PEND_MCHK_MASK) !== 0);
  }

  // ----------------------------------------------------------------------- bookkeeping

  /** kvm_s390_clear_float_irqs. */
  clearFloating(): void {
    this.floating.clear();
    if (this.vm.tracer.enabled) emitFlic(this.vm.tracer, "flic.clear", {});
    this.refreshAll();
  }

  counters(): Record<string, number> {
    return {
      injected: this.injected,
      rejected: this.rejected,
      delivered: this.delivered,
      adapterInjections: this.adapterInjections,
      adapterCoalesced: this.adapterCoalesced,
      adapterMasked: this.adapterMasked,
      adapterErrors: this.adapterErrors,
      aisSuppressed: this.aisSuppressed,
      queuedIo: this.floating.ioCount,
      queuedVirtio: this.floating.virtioCount,
      queuedPfault: this.floating.pfaultCount,
    };
  }
}

/** The lines the floating classes `pending` alone raise for a group: 1 = ext / I/O, 2 = machine check. */
function floatingLines(pending: number, enabled: number, cr14: number, mchkCr14: number): number {
  const m = deliverableClasses(pending, enabled, cr14, mchkCr14);
  return ((m & EXT_OR_IO) !== 0 ? 1 : 0) | ((m & IRQ_PEND_MCHK_MASK) !== 0 ? 2 : 0);
}

/** KVM_S390_INT_IO(1, 0, 0, 0): the type of every adapter interruption. */
export const ADAPTER_IO_TYPE = KVM_S390_INT_IO(1, 0, 0, 0);
