/**
 * The OpenPIC state machine of arch/powerpc/kvm/mpic.c: 264 sources feeding 32 destination
 * CPUs, each with a CTPR and the raised/servicing queues (mpic.md §5–§6). Every algorithm is
 * the kernel's, step for step, including the quirks of §12 (cached queue priorities, stale
 * IACK entries, EOI re-raising without CTPR, the reset that keeps `pending`).
 *
 * Per-source state lives in typed arrays indexed by source number; nothing on the interrupt
 * path (setIrq -> IACK -> EOI) allocates.
 */
import type { Tracer, Vcpu } from "@irqlab/core";
import {
  ALL_ONES,
  FRR_NCPU_SHIFT,
  FRR_NIRQ_SHIFT,
  GCR_MODE_PROXY,
  GCR_RESET,
  IRQ_IPI0,
  IRQ_MSI0,
  IRQ_TIM0,
  IVPR_ACTIVITY,
  IVPR_MASK,
  IVPR_MODE,
  IVPR_POLARITY,
  IVPR_PRIORITY_SHIFT,
  IVPR_RESET,
  IVPR_VECTOR_MASK,
  MAX_CPU,
  MAX_IPI,
  MAX_IRQ,
  MAX_MSI,
  MAX_TMR,
  MSIIR_IBS_SHIFT,
  MSIIR_SRS_SHIFT,
  OUTPUT_CINT,
  OUTPUT_INT,
  OUTPUT_MCP,
  TBCR_CI,
  TCCR_TOG,
  VECTOR_MASK,
  VID_REVISION_1_2,
} from "./constants.js";
import { IrqQueues } from "./irq-queue.js";
import type { MpicModel } from "./model.js";
import { MpicQuirkSet } from "./quirks.js";
import { idrWrite, ilrWrite, ivprWrite, SourceKind, sourceKind, sourceName } from "./source.js";
import { emit } from "./trace.js";

/**
 * What the critical and machine-check outputs do. "kvm" (default, the reference): KVM counts
 * them but never signals the vCPU (mpic_irq_raise returns for non-INT outputs). "vcpu-lines":
 * an experiment knob that drives vcpu.crit / vcpu.mcheck as the hardware (and QEMU) does.
 */
export type CriticalOutputMode = "kvm" | "vcpu-lines";

/** Outputs counted per CPU: ILR stores any 8-bit value, so keep a counter for each. */
const OUTPUTS = 256;

export class OpenPic {
  // ---- global registers ----
  gcr = 0;
  /** FRR without the NCPU field (added at read time). */
  frr = 0;
  pir = 0;
  spve = VECTOR_MASK;
  tfrr = 0;
  /** Number of CPUs: 1 + the highest attached MPIC CPU number (never shrinks). */
  nbCpus = 0;

  // ---- sources (0..263) ----
  readonly ivpr = new Uint32Array(MAX_IRQ);
  readonly idr = new Uint32Array(MAX_IRQ);
  readonly destmask = new Uint32Array(MAX_IRQ);
  readonly lastCpu = new Uint8Array(MAX_IRQ);
  readonly output = new Uint8Array(MAX_IRQ);
  /** The stored input: a level source's last level (any int), an edge source's latch. */
  readonly pending = new Int32Array(MAX_IRQ);
  readonly level = new Uint8Array(MAX_IRQ);
  readonly nomask = new Uint8Array(MAX_IRQ);
  readonly kind = new Uint8Array(MAX_IRQ);

  // ---- destinations (0..31) ----
  readonly ctpr = new Int32Array(MAX_CPU);
  readonly raised = new IrqQueues();
  readonly servicing = new IrqQueues();
  readonly outputsActive = new Uint32Array(MAX_CPU * OUTPUTS);
  /** The vCPU attached at each MPIC CPU number. */
  readonly vcpus: Array<Vcpu | null> = new Array<Vcpu | null>(MAX_CPU).fill(null);

  // ---- timers and MSI ----
  readonly tccr = new Uint32Array(MAX_TMR);
  readonly tbcr = new Uint32Array(MAX_TMR);
  readonly msir = new Uint32Array(MAX_MSI);

  criticalOutputs: CriticalOutputMode = "kvm";

  /** Called after an effective EOI of `source` (kvm_notify_acked_irq). */
  onEoi: (source: number) => void = () => {};

  // ---- counters ----
  setIrqs = 0;
  ignoredInputs = 0;
  raises = 0;
  lowers = 0;
  iacks = 0;
  spurious = 0;
  staleIacks = 0;
  eois = 0;
  emptyEois = 0;
  msis = 0;
  ipis = 0;
  resets = 0;

  constructor(
    readonly model: MpicModel,
    readonly tracer: Tracer,
    /** Behaviour-profile switches (quirks.ts); all off = KVM. */
    readonly quirks: MpicQuirkSet = new MpicQuirkSet(),
  ) {
    for (let i = 0; i < MAX_IRQ; i++) {
      const k = sourceKind(i);
      this.kind[i] = k;
      this.level[i] = k === SourceKind.FslInt ? 1 : 0;
    }
    // mpic_create runs openpic_reset once, before any vCPU can be attached.
    this.reset();
  }

  // ------------------------------------------------------------------ outputs

  private raise(cpu: number, output: number): void {
    const v = this.vcpus[cpu];
    if (v === null) return;
    if (this.tracer.enabled) emit(this.tracer, "mpic.cpu.raise", { cpu, output });
    if (output !== OUTPUT_INT) {
      if (this.criticalOutputs === "vcpu-lines" || this.quirks.criticalOutputs) {
        if (output === OUTPUT_CINT) v.crit.set(true);
        else if (output === OUTPUT_MCP) v.mcheck.set(true);
      }
      return;
    }
    this.raises++;
    v.ext.set(true);
  }

  private lower(cpu: number, output: number): void {
    const v = this.vcpus[cpu];
    if (v === null) return;
    if (this.tracer.enabled) emit(this.tracer, "mpic.cpu.lower", { cpu, output });
    if (output !== OUTPUT_INT) {
      if (this.criticalOutputs === "vcpu-lines" || this.quirks.criticalOutputs) {
        if (output === OUTPUT_CINT) v.crit.set(false);
        else if (output === OUTPUT_MCP) v.mcheck.set(false);
      }
      return;
    }
    this.lowers++;
    v.ext.set(false);
  }

  priorityOf(irq: number): number {
    return (this.ivpr[irq] >>> IVPR_PRIORITY_SHIFT) & 0xf;
  }

  // ------------------------------------------------------------------ delivery

  /** IRQ_local_pipe: deliver a change of `irq` to CPU `cpu` (mpic.md §6.4). */
  private pipe(cpu: number, irq: number, active: boolean, wasActive: boolean): void {
    const out = this.output[irq];
    if (out !== OUTPUT_INT) {
      const i = cpu * OUTPUTS + out;
      if (active) {
        if (!wasActive && this.outputsActive[i]++ === 0) this.raise(cpu, out);
      } else if (wasActive && --this.outputsActive[i] === 0) {
        this.lower(cpu, out);
      }
      return;
    }
    const priority = (this.ivpr[irq] >>> IVPR_PRIORITY_SHIFT) & 0xf;
    const raised = this.raised;
    const servicing = this.servicing;
    if (active) raised.set(cpu, irq);
    else raised.reset(cpu, irq);
    raised.check(cpu, this.ivpr);
    if (active && priority <= this.ctpr[cpu]) active = false;
    if (active) {
      if (servicing.check(cpu, this.ivpr) >= 0 && priority <= servicing.priority[cpu]) {
        // hidden behind an in-service interrupt
      } else {
        this.raise(cpu, OUTPUT_INT);
      }
    } else {
      servicing.check(cpu, this.ivpr);
      const rp = raised.priority[cpu];
      if (!(rp > this.ctpr[cpu] && rp > servicing.priority[cpu])) this.lower(cpu, OUTPUT_INT);
    }
  }

  /** openpic_update_irq: re-evaluate `irq` after its registers or input changed (§6.3). */
  updateIrq(irq: number): void {
    const ivpr = this.ivpr[irq];
    let active = this.pending[irq] !== 0;
    if ((ivpr & IVPR_MASK) !== 0 && this.nomask[irq] === 0) active = false;
    const wasActive = (ivpr & IVPR_ACTIVITY) !== 0;
    if (!active && !wasActive) return;
    this.ivpr[irq] = active ? (ivpr | IVPR_ACTIVITY) >>> 0 : (ivpr & ~IVPR_ACTIVITY) >>> 0;
    const dm = this.destmask[irq];
    if (dm === 0) return;
    const last = this.lastCpu[irq];
    if (dm === (1 << last) >>> 0) {
      this.pipe(last, irq, active, wasActive);
    } else if ((this.ivpr[irq] & IVPR_MODE) === 0) {
      const n = this.nbCpus;
      for (let i = 0; i < n; i++) if ((dm & (1 << i)) !== 0) this.pipe(i, irq, active, wasActive);
    }
    // Distributed delivery (IVPR[MODE] = 1) is unreachable: no IVPR write keeps MODE (§12.2).
  }

  /** openpic_set_irq: an input change on source `irq` (§6.2). Out-of-range numbers are ignored. */
  setIrq(irq: number, level: number): void {
    if (!(irq >= 0 && irq < MAX_IRQ)) {
      this.ignoredInputs++;
      return;
    }
    irq |= 0;
    level |= 0;
    this.setIrqs++;
    if (this.tracer.enabled) emit(this.tracer, "mpic.irq.set", { source: irq, level });
    if (this.level[irq] !== 0) {
      this.pending[irq] = level;
      this.updateIrq(irq);
    } else {
      if (level !== 0) {
        this.pending[irq] = 1;
        this.updateIrq(irq);
      }
      if (this.output[irq] !== OUTPUT_INT) {
        // edges on critical / machine-check outputs auto-clear
        this.pending[irq] = 0;
        this.updateIrq(irq);
      }
    }
  }

  /** openpic_iack (§6.7): the vector of the interrupt CPU `cpu` acknowledges, or SPVR. */
  iack(cpu: number): number {
    this.iacks++;
    this.lower(cpu, OUTPUT_INT);
    const irq = this.raised.check(cpu, this.ivpr);
    if (irq === -1) {
      this.spurious++;
      if (this.tracer.enabled) emit(this.tracer, "mpic.iack", { cpu, source: -1, vector: this.spve });
      return this.spve;
    }
    let ret: number;
    const ivpr = this.ivpr[irq];
    if ((ivpr & IVPR_ACTIVITY) === 0 || !(((ivpr >>> IVPR_PRIORITY_SHIFT) & 0xf) > this.ctpr[cpu])) {
      this.staleIacks++;
      this.spurious++;
      this.tracer.guestError(
        "mpic",
        `IACK on CPU ${cpu}: bad raised IRQ ${irq} (ctpr ${this.ctpr[cpu]}, ivpr 0x${ivpr.toString(16).padStart(8, "0")})`,
      );
      this.updateIrq(irq);
      ret = this.spve;
    } else {
      this.servicing.set(cpu, irq);
      ret = ivpr & IVPR_VECTOR_MASK;
    }
    if (this.level[irq] === 0) {
      this.ivpr[irq] = (this.ivpr[irq] & ~IVPR_ACTIVITY) >>> 0;
      this.pending[irq] = 0;
      this.raised.reset(cpu, irq);
    }
    // Quirk timerMulticast: QEMU 7.2 re-triggers timers on the remaining CPUs as IPIs.
    if ((irq >= IRQ_IPI0 && irq < IRQ_IPI0 + MAX_IPI) || (this.quirks.timerMulticast && irq >= IRQ_TIM0 && irq < IRQ_TIM0 + MAX_TMR)) {
      this.destmask[irq] = (this.destmask[irq] & ~(1 << cpu)) >>> 0;
      if (this.destmask[irq] !== 0 && this.level[irq] === 0) {
        // trigger on the CPUs that have not taken it yet, then set A again
        this.setIrq(irq, 1);
        this.setIrq(irq, 0);
        this.ivpr[irq] = (this.ivpr[irq] | IVPR_ACTIVITY) >>> 0;
      }
    }
    if (this.tracer.enabled) emit(this.tracer, "mpic.iack", { cpu, source: irq, vector: ret });
    return ret;
  }

  /** EOI write on CPU `cpu` (§6.8). Notifies acknowledge listeners after the state change. */
  eoi(cpu: number): void {
    const servicing = this.servicing;
    const s = servicing.check(cpu, this.ivpr);
    if (s < 0) {
      this.emptyEois++;
      if (this.tracer.enabled) emit(this.tracer, "mpic.eoi", { cpu, source: -1 });
      return;
    }
    this.eois++;
    servicing.reset(cpu, s);
    const s2 = servicing.check(cpu, this.ivpr);
    const n = this.raised.check(cpu, this.ivpr);
    if (n !== -1 && (s2 === -1 || ((this.ivpr[n] >>> IVPR_PRIORITY_SHIFT) & 0xf) > servicing.priority[cpu])) {
      this.raise(cpu, OUTPUT_INT);
    }
    if (this.tracer.enabled) emit(this.tracer, "mpic.eoi", { cpu, source: s });
    this.onEoi(s);
  }

  /** CTPR write (§6.6): uses the cached queue priorities, no rescan. */
  writeCtpr(cpu: number, value: number): void {
    const ctpr = value & 0xf;
    this.ctpr[cpu] = ctpr;
    if (this.tracer.enabled) emit(this.tracer, "mpic.ctpr", { cpu, ctpr });
    const rp = this.raised.priority[cpu];
    if (rp <= ctpr) this.lower(cpu, OUTPUT_INT);
    else if (rp > this.servicing.priority[cpu]) this.raise(cpu, OUTPUT_INT);
  }

  /** IPIDRn write (§6.9): OR the mask into IPI n's destinations and pulse it. */
  dispatchIpi(n: number, mask: number): void {
    const irq = IRQ_IPI0 + n;
    this.ipis++;
    if (this.tracer.enabled) emit(this.tracer, "mpic.ipi", { ipi: n, mask: mask >>> 0 });
    this.destmask[irq] = (this.destmask[irq] | mask) >>> 0;
    this.setIrq(irq, 1);
    this.setIrq(irq, 0);
  }

  /** MSIIR write (§6.11): bank = value >> 29, bit = value[28:24]; asserts source 224 + bank. */
  writeMsiir(value: number): void {
    const srs = value >>> MSIIR_SRS_SHIFT;
    const ibs = (value >>> MSIIR_IBS_SHIFT) & 0x1f;
    this.msis++;
    if (this.tracer.enabled) emit(this.tracer, "mpic.msi", { bank: srs, bit: ibs });
    this.msir[srs] = (this.msir[srs] | (1 << ibs)) >>> 0;
    this.setIrq(IRQ_MSI0 + srs, 1);
  }

  /** MSIRn read: returns the bank's bits, clears them, de-asserts source 224 + n. */
  readMsir(n: number): number {
    const r = this.msir[n];
    this.msir[n] = 0;
    this.setIrq(IRQ_MSI0 + n, 0);
    return r;
  }

  /** MSISR: bit n set iff MSIR n is non-zero. */
  readMsisr(): number {
    let r = 0;
    for (let i = 0; i < MAX_MSI; i++) if (this.msir[i] !== 0) r |= 1 << i;
    return r;
  }

  // ------------------------------------------------------------------ registers

  writeIvpr(irq: number, value: number): void {
    const w = ivprWrite(this.kind[irq] as SourceKind, this.ivpr[irq], value >>> 0, this.level[irq] !== 0);
    this.ivpr[irq] = w.ivpr;
    this.level[irq] = w.level ? 1 : 0;
    this.updateIrq(irq);
  }

  writeIdr(irq: number, value: number): void {
    const w = idrWrite(this.model.idrCrit, this.nbCpus, value >>> 0);
    this.idr[irq] = w.idr;
    this.destmask[irq] = w.destmask;
    if (w.output !== null) this.output[irq] = w.output;
    if (w.nomask !== null) this.nomask[irq] = w.nomask ? 1 : 0;
  }

  readIlr(irq: number): number {
    return this.model.ilr ? this.output[irq] : ALL_ONES;
  }

  writeIlr(irq: number, value: number): void {
    if (!this.model.ilr) return;
    const out = ilrWrite(value);
    // Quirk ilrUnsupported: an INTTGT other than INT/CINT/MCP means INT (and reads back 0).
    this.output[irq] = this.quirks.ilrUnsupported && out > OUTPUT_MCP ? OUTPUT_INT : out;
  }

  writeGcr(value: number): void {
    if ((value & GCR_RESET) !== 0) {
      this.reset();
      return;
    }
    const m = this.model.modeMask;
    this.gcr = ((this.gcr & ~m) | (value & m)) >>> 0;
  }

  /** FRR as read: NIRQ/VID plus (nb_cpus - 1) << 8 in 32-bit arithmetic (quirk 4). */
  readFrr(): number {
    return (this.frr | ((this.nbCpus - 1) << FRR_NCPU_SHIFT)) >>> 0;
  }

  /** GTBCR write: only the toggle-bit side effect (counting is not emulated, §3.2). */
  writeTbcr(n: number, value: number): void {
    if (this.quirks.timerCounting) {
      // Quirk timerCounting: CI 1->0 loads the count from the base (a zero base is not
      // started), CI 0->1 keeps only the toggle bit of the (frozen) count.
      const wasInhibited = (this.tbcr[n] & TBCR_CI) !== 0;
      const inhibited = (value & TBCR_CI) !== 0;
      if (wasInhibited && !inhibited && (value & ~TBCR_CI) !== 0) this.tccr[n] = (value & ~TBCR_CI) >>> 0;
      else if (!wasInhibited && inhibited) this.tccr[n] = (this.tccr[n] & TCCR_TOG) >>> 0;
      this.tbcr[n] = value >>> 0;
      return;
    }
    if ((this.tccr[n] & TCCR_TOG) !== 0 && (value & TBCR_CI) === 0 && (this.tbcr[n] & TBCR_CI) !== 0) {
      this.tccr[n] = (this.tccr[n] & ~TCCR_TOG) >>> 0;
    }
    this.tbcr[n] = value >>> 0;
  }

  /** Whether GCR selects external proxy (only reachable on v4.2). */
  get proxyMode(): boolean {
    return (this.gcr & this.model.modeMask) >>> 0 === GCR_MODE_PROXY;
  }

  /**
   * openpic_reset (§6.12), also run once at creation. Keeps `pending`, MSIR, ILR outputs,
   * outputs_active, last_cpu, nb_cpus, the attached vCPUs; issues no raise/lower.
   */
  reset(): void {
    this.resets++;
    this.gcr = GCR_RESET;
    this.frr = (((this.model.nbIrqs - 1) << FRR_NIRQ_SHIFT) | VID_REVISION_1_2) >>> 0;
    this.pir = 0;
    this.spve = VECTOR_MASK;
    this.tfrr = 0;
    for (let i = 0; i < MAX_IRQ; i++) {
      this.ivpr[i] = IVPR_RESET;
      switch (this.kind[i]) {
        case SourceKind.Normal:
          this.level[i] = 0;
          break;
        case SourceKind.FslInt:
          this.ivpr[i] = (this.ivpr[i] | IVPR_POLARITY) >>> 0;
          break;
      }
      // Quirk ipiDestinationReset: the IPIs start with no destination.
      this.writeIdr(i, this.quirks.ipiDestinationReset && i >= IRQ_IPI0 && i < IRQ_IPI0 + MAX_IPI ? 0 : 1);
    }
    for (let c = 0; c < MAX_CPU; c++) {
      this.ctpr[c] = 15;
      this.raised.clear(c);
      this.servicing.clear(c);
    }
    for (let t = 0; t < MAX_TMR; t++) {
      this.tccr[t] = 0;
      this.tbcr[t] = TBCR_CI;
    }
    this.gcr = 0;
    if (this.tracer.enabled) emit(this.tracer, "mpic.reset", { nbCpus: this.nbCpus });
  }

  /** Attaches a vCPU at MPIC CPU `cpu` (checks are the caller's). */
  attach(cpu: number, vcpu: Vcpu): void {
    this.vcpus[cpu] = vcpu;
    if (cpu + 1 > this.nbCpus) this.nbCpus = cpu + 1;
  }

  detach(cpu: number): void {
    this.vcpus[cpu] = null;
  }

  counters(): Record<string, number> {
    return {
      setIrqs: this.setIrqs,
      ignoredInputs: this.ignoredInputs,
      raises: this.raises,
      lowers: this.lowers,
      iacks: this.iacks,
      spurious: this.spurious,
      staleIacks: this.staleIacks,
      eois: this.eois,
      emptyEois: this.emptyEois,
      msis: this.msis,
      ipis: this.ipis,
      resets: this.resets,
    };
  }

  /** Human description of a source (for dumps). */
  describeSource(irq: number): string {
    const v = this.ivpr[irq];
    const flags = [
      v & IVPR_MASK ? "M" : "-",
      v & IVPR_ACTIVITY ? "A" : "-",
      this.level[irq] ? "level" : "edge",
    ].join(" ");
    const out = this.output[irq];
    const outName = out === OUTPUT_INT ? "INT" : out === OUTPUT_CINT ? "CINT" : out === OUTPUT_MCP ? "MCP" : `out${out}`;
    return (
      `${sourceName(irq)}: ivpr 0x${hex8(v)} (${flags}, prio ${this.priorityOf(irq)}, vec 0x${(v & 0xffff).toString(16)}) ` +
      `idr 0x${hex8(this.idr[irq])} dest 0x${this.destmask[irq].toString(16)} ${outName}${this.nomask[irq] ? " nomask" : ""} pending ${this.pending[irq]}`
    );
  }
}

export function hex8(v: number): string {
  return (v >>> 0).toString(16).padStart(8, "0");
}

