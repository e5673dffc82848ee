/**
 * Guest drivers for the comparison runner: what Linux's MPIC driver
 * (arch/powerpc/sysdev/mpic.c, with fsl_msi for MSIs) does on the QEMU e500 boards, all
 * through the MMIO bus so every register access counts as an exit.
 *
 *   attach     KVM_CREATE_DEVICE, BASE_ADDR (mpc8544ds 0xE0040000 / ppce500 0xFE0040000),
 *              KVM_ENABLE_CAP(KVM_CAP_IRQ_MPIC) per vCPU (cpu = vCPU id), then mpic_init:
 *              CTPR 15, timers and IPIs masked on their reserved vectors, every source
 *              masked with vector = source number and priority 8 aimed at CPU 0, SPVR,
 *              GCR |= 0x20000000 (8259 pass-through off = FSL mixed mode), CTPR 0 on
 *              every CPU, IPIs unmasked. No GCR reset: QEMU's device tree carries
 *              "pic-no-reset".
 *   configure  level sources -> their own MPIC input pin (IRQCHIP route); edge sources ->
 *              an MSI bank bit (MSI route, data = MSIIR value) grouped by (vCPU, priority),
 *              falling back to the 16 external edge-capable pins.
 *   service    one external exception: IACK -> handler -> EOI + WHOAMI read (mpic_eoi); an
 *              MSI bank's vector is demultiplexed by reading (and so clearing) its MSIR, as
 *              fsl_msi does. The exception is taken again while the line stays up.
 *   sendIpi    IPI 0 dispatch: write 1 << target into the sender's IPIDR0.
 *
 * CoreInt (`coreint: true`, v4.2 only): Linux's qemu_e500 platform (the ppce500 board)
 * allocates its MPIC with MPIC_ENABLE_COREINT, so mpic_alloc sets GCR |= 0x60000000
 * (external proxy) and get_irq is mpic_get_coreint_irq: the vector comes from the EPR
 * register, which KVM fills when it delivers the external interrupt (it performs the IACK
 * itself, kvmppc_mpic_set_epr), so taking an interrupt costs no IACK exit; EOI is still an
 * MMIO write, and a spurious EPR is not EOIed. The contributed "mpic-4.2" driver keeps the
 * IACK loop (mpc85xx boards without CoreInt) so its exit profile matches the other drivers'.
 *
 * As Linux does: one IACK read per external exception (the exception is taken again while
 * the line stays up), the EOI write followed by a WHOAMI read (mpic_eoi; `eoiReadback:
 * false` drops it). One simplification is an option: ppce500 guests use CoreInt
 * (`coreint`, EPR instead of IACK), off by default so both models run the same driver.
 */
import {
  Errno,
  fail,
  IPI_SOURCE,
  KVM_CAP_IRQ_MPIC,
  KVM_DEV_TYPE_FSL_MPIC_20,
  KVM_DEV_TYPE_FSL_MPIC_42,
  type DeviceHandle,
  type GuestDriver,
  type GuestDriverContribution,
  type MmioBus,
  type RouteSpec,
  type SourceSpec,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import { setMpicBaseAddr } from "./attributes.js";
import type { MpicDevice } from "./device.js";
import {
  CPU_CTPR,
  CPU_EOI,
  CPU_IACK,
  CPU_WHOAMI,
  CPU_IPIDR0,
  GT_GTDR,
  GT_GTVPR,
  GT_STRIDE,
  IRQ_MSI0,
  IVPR_MASK,
  IVPR_POLARITY,
  IVPR_SENSE,
  MAX_CPU,
  MAX_IPI,
  MAX_MSI,
  MAX_TMR,
  MSIIR_IBS_SHIFT,
  MSIIR_SRS_SHIFT,
  NUM_EXTERNAL,
  REG_FRR,
  REG_GCR,
  REG_GT0,
  REG_MSIIR,
  REG_SPVR,
  GCR_MODE_MIXED,
  GCR_MODE_PROXY,
  cpuReg,
  ipiVpr,
  msir,
  srcIdr,
  srcIvpr,
} from "./constants.js";

/** Base addresses of the QEMU boards (CCSRBAR + 0x40000). */
export const MPC8544DS_MPIC_BASE = 0xe0040000;
export const PPCE500_MPIC_BASE = 0xfe0040000;

/** Linux's vector layout with MPIC_LARGE_VECTORS (intvec_top = 2047). */
export const GUEST_SPURIOUS_VECTOR = 2047;
export const GUEST_IPI_VECTOR0 = 2043;
export const GUEST_TIMER_VECTOR0 = 2035;
/** Linux's default priorities: sources 8, timers 9, IPIs 10. */
export const GUEST_SOURCE_PRIORITY = 8;
export const GUEST_TIMER_PRIORITY = 9;
export const GUEST_IPI_PRIORITY = 10;

/** Level-capable pins, in allocation order: internal 16..223, 232..255 (not the MSI banks). */
function levelPins(): number[] {
  const pins: number[] = [];
  for (let p = NUM_EXTERNAL; p < 256; p++) if (p < IRQ_MSI0 || p >= IRQ_MSI0 + MAX_MSI) pins.push(p);
  return pins;
}

/**
 * An array whose elements V8 keeps as tagged values (it starts out holding a non-number), so
 * a stored double stays one heap object and reading it does not box it again.
 */
function boxedNumbers(n: number): number[] {
  const a: unknown[] = new Array<unknown>(n).fill(null);
  return a as number[];
}

export interface MpicGuestDriverOptions {
  type: typeof KVM_DEV_TYPE_FSL_MPIC_20 | typeof KVM_DEV_TYPE_FSL_MPIC_42;
  base: number;
  /** MPIC_ENABLE_COREINT (qemu_e500): proxy mode, vectors from EPR. v4.2 only (EINVAL on v2.0). */
  coreint?: boolean;
  /**
   * Linux's mpic_eoi: the EOI write is followed by a WHOAMI read of the same per-CPU block
   * ("(void)mpic_cpu_read(MPIC_INFO(CPU_WHOAMI))", a second exit per EOI). On by default.
   */
  eoiReadback?: boolean;
}

/** CPUs a v2.0 guest can target before IDR's critical bits overlap CPU bits (mpic.md §5). */
export const MPIC20_MAX_GUEST_CPUS = 15;

/** How a workload source was mapped (for tests and the CLI's explanations). */
export type SourceMapping =
  | { kind: "pin"; pin: number; level: boolean; priority: number; cpu: number }
  | { kind: "msi"; bank: number; bit: number; priority: number; cpu: number };

export class MpicGuestDriver implements GuestDriver {
  readonly controller: DeviceHandle;
  private readonly mmio: MmioBus;
  private readonly base: number;
  /** vector -> workload index (pins), -1 when unused. */
  private readonly vectorIndex = new Int32Array(0x10000).fill(-1);
  /** bank * 32 + bit -> workload index, -1 when unused. */
  private readonly msiIndex = new Int32Array(MAX_MSI * 32).fill(-1);
  /** MSI banks: key "cpu/priority" or null, and bits used. */
  private readonly bankKey: Array<string | null> = new Array<string | null>(MAX_MSI).fill(null);
  private readonly bankUsed = new Uint8Array(MAX_MSI);
  private readonly freeLevelPins = levelPins();
  private readonly freeEdgePins: number[] = Array.from({ length: NUM_EXTERNAL }, (_, i) => i);
  readonly mappings = new Map<number, SourceMapping>();
  /**
   * Per MPIC CPU: guest-physical IACK / EOI addresses, computed once. The addresses exceed
   * V8's small-integer range; these arrays hold them as boxed numbers (generic elements, see
   * `boxedNumbers`) so passing one to the bus does not allocate a new box per access.
   */
  private readonly iackAddr = boxedNumbers(MAX_CPU);
  private readonly eoiAddr = boxedNumbers(MAX_CPU);
  private readonly whoamiAddr = boxedNumbers(MAX_CPU);
  private readonly msirAddr = boxedNumbers(MAX_MSI);

  /** The MPIC whose proxy delivery fills EPR (CoreInt), else null. */
  private readonly eprSource: MpicDevice | null = null;

  constructor(
    readonly vm: Vm,
    readonly options: MpicGuestDriverOptions,
  ) {
    this.mmio = vm.mmio;
    this.base = options.base;
    if (vm.vcpus.length > MAX_CPU) fail(Errno.EPERM, `MPIC serves at most ${MAX_CPU} vCPUs (VM has ${vm.vcpus.length})`);
    // KVM's v2.0 IDR puts the critical-output bits at 31 - nb_cpus and up: from 16 CPUs on
    // they overlap CPU bits, and a source aimed at such a CPU raises only the (undelivered)
    // critical output. A guest on that MPIC cannot use more than 15 CPUs.
    if (options.type === KVM_DEV_TYPE_FSL_MPIC_20 && vm.vcpus.length > MPIC20_MAX_GUEST_CPUS) {
      fail(Errno.EINVAL, `MPIC 2.0 guests use at most ${MPIC20_MAX_GUEST_CPUS} vCPUs (IDR critical bits overlap CPU bits from 16 CPUs on); VM has ${vm.vcpus.length}`);
    }
    if (options.coreint && options.type !== KVM_DEV_TYPE_FSL_MPIC_42) {
      fail(Errno.EINVAL, `CoreInt (external proxy) needs the MPIC 4.2 model (type ${KVM_DEV_TYPE_FSL_MPIC_42}), not type ${options.type}`);
    }
    const h = vm.createDevice(options.type);
    this.controller = h;
    if (options.coreint) this.eprSource = h.backend<MpicDevice>();
    setMpicBaseAddr(h, options.base);
    for (const v of vm.vcpus) v.enableCap(KVM_CAP_IRQ_MPIC, [h, v.id]);
    for (let c = 0; c < MAX_CPU; c++) {
      this.iackAddr[c] = this.base + cpuReg(c, CPU_IACK);
      this.eoiAddr[c] = this.base + cpuReg(c, CPU_EOI);
      this.whoamiAddr[c] = this.base + cpuReg(c, CPU_WHOAMI);
    }
    for (let b = 0; b < MAX_MSI; b++) this.msirAddr[b] = this.base + msir(b);
    this.init();
  }

  private rd(off: number): number {
    return this.mmio.read(this.base + off, 4);
  }

  private wr(off: number, v: number): void {
    this.mmio.write(this.base + off, 4, v >>> 0);
  }

  /** mpic_alloc + mpic_init + mpic_setup_this_cpu + mpic_request_ipis, boot CPU 0. */
  private init(): void {
    // mpic_alloc: no GCR reset ("pic-no-reset"), then CoreInt if the platform asks for it.
    if (this.eprSource) this.wr(REG_GCR, this.rd(REG_GCR) | GCR_MODE_PROXY);
    const frr = this.rd(REG_FRR);
    const numSources = ((frr >>> 16) & 0x7ff) + 1;
    this.wr(cpuReg(0, CPU_CTPR), 0xf);
    for (let i = 0; i < MAX_TMR; i++) {
      this.wr(REG_GT0 + GT_STRIDE * i + GT_GTDR, 1 << 0);
      this.wr(REG_GT0 + GT_STRIDE * i + GT_GTVPR, IVPR_MASK | (GUEST_TIMER_PRIORITY << 16) | (GUEST_TIMER_VECTOR0 + i));
    }
    for (let i = 0; i < MAX_IPI; i++) this.wr(ipiVpr(i), IVPR_MASK | (GUEST_IPI_PRIORITY << 16) | (GUEST_IPI_VECTOR0 + i));
    for (let i = 0; i < numSources; i++) {
      this.wr(srcIvpr(i), IVPR_MASK | i | (GUEST_SOURCE_PRIORITY << 16));
      this.wr(srcIdr(i), 1 << 0);
    }
    this.wr(REG_SPVR, GUEST_SPURIOUS_VECTOR);
    this.wr(REG_GCR, this.rd(REG_GCR) | GCR_MODE_MIXED);
    this.wr(cpuReg(0, CPU_CTPR), 0);
    for (const v of this.vm.vcpus) if (v.irqchipCpu !== 0) this.wr(cpuReg(v.irqchipCpu, CPU_CTPR), 0);
    for (let i = 0; i < MAX_IPI; i++) this.wr(ipiVpr(i), this.rd(ipiVpr(i)) & ~IVPR_MASK);
  }

  private cpuOfVcpu(index: number): number {
    const v = this.vm.vcpus[index];
    if (!v) fail(Errno.EINVAL, `workload source targets vCPU ${index}, VM has ${this.vm.vcpus.length}`);
    return v.irqchipCpu;
  }

  configureSource(spec: SourceSpec): RouteSpec {
    const cpu = this.cpuOfVcpu(spec.vcpu);
    const priority = Math.max(1, GUEST_SOURCE_PRIORITY - Math.max(0, spec.priority ?? 0));
    if (spec.trigger === "edge") {
      const route = this.configureMsi(spec.index, cpu, priority);
      if (route) return route;
      const pin = this.freeEdgePins.shift();
      if (pin === undefined) fail(Errno.ENOSPC, `no MSI bank bit or edge-capable MPIC pin left for source ${spec.index}`);
      return this.configurePin(spec.index, pin, false, cpu, priority);
    }
    let pin = this.freeLevelPins.shift();
    if (pin === undefined) {
      pin = this.freeEdgePins.shift();
      if (pin === undefined) fail(Errno.ENOSPC, `no level-capable MPIC pin left for source ${spec.index}`);
    }
    return this.configurePin(spec.index, pin, true, cpu, priority);
  }

  private configurePin(index: number, pin: number, level: boolean, cpu: number, priority: number): RouteSpec {
    // mpic_set_irq_type + mpic_set_affinity + mpic_unmask_irq: vector = source number.
    this.wr(srcIdr(pin), 1 << cpu);
    this.wr(srcIvpr(pin), (level ? IVPR_POLARITY | (pin < NUM_EXTERNAL ? IVPR_SENSE : 0) : 0) | (priority << 16) | pin);
    this.vectorIndex[pin] = index;
    this.mappings.set(index, { kind: "pin", pin, level, priority, cpu });
    return { type: "irqchip", irqchip: 0, pin };
  }

  private configureMsi(index: number, cpu: number, priority: number): RouteSpec | null {
    const key = `${cpu}/${priority}`;
    let bank = -1;
    for (let b = 0; b < MAX_MSI; b++) if (this.bankKey[b] === key && this.bankUsed[b] < 32) bank = b;
    if (bank < 0) {
      bank = this.bankKey.indexOf(null);
      if (bank < 0) return null;
      this.bankKey[bank] = key;
      const src = IRQ_MSI0 + bank;
      this.wr(srcIdr(src), 1 << cpu);
      this.wr(srcIvpr(src), (priority << 16) | src);
    }
    const bit = this.bankUsed[bank]++;
    this.msiIndex[bank * 32 + bit] = index;
    this.mappings.set(index, { kind: "msi", bank, bit, priority, cpu });
    const addr = this.base + REG_MSIIR;
    return {
      type: "msi",
      msi: {
        addressLo: addr % 0x100000000,
        addressHi: Math.floor(addr / 0x100000000),
        data: ((bank << MSIIR_SRS_SHIFT) | (bit << MSIIR_IBS_SHIFT)) >>> 0,
        flags: 0,
        devid: 0,
      },
    };
  }

  /** One external exception (mpic_get_irq): one IACK (or EPR), handlers, EOI. */
  service(vcpu: Vcpu, handler: (source: number) => void): number {
    const cpu = vcpu.irqchipCpu;
    const mmio = this.mmio;
    const proxy = this.eprSource;
    let vec: number;
    if (proxy === null) vec = mmio.read(this.iackAddr[cpu], 4) & 0xffff;
    else {
      // An external exception is taken only while the line is up; KVM acknowledges on
      // delivery and the guest reads EPR (mfspr, no exit).
      if (!vcpu.ext.asserted) return 0;
      const epr = proxy.deliverExternal(vcpu);
      if (epr < 0) return 0; // the guest left proxy mode: no EPR delivery
      vec = epr & 0xffff;
    }
    if (vec === GUEST_SPURIOUS_VECTOR) return 0;
    let handled = 0;
    if (vec >= GUEST_IPI_VECTOR0 && vec < GUEST_IPI_VECTOR0 + MAX_IPI) {
      handler(IPI_SOURCE);
      handled++;
    } else if (vec >= IRQ_MSI0 && vec < IRQ_MSI0 + MAX_MSI && this.bankKey[vec - IRQ_MSI0] !== null) {
      // fsl_msi cascade: MSIRn (read clears) names every source of the bank.
      const bank = vec - IRQ_MSI0;
      let bits = mmio.read(this.msirAddr[bank], 4);
      while (bits !== 0) {
        const low = bits & -bits;
        bits = (bits ^ low) >>> 0;
        const idx = this.msiIndex[bank * 32 + (31 - Math.clz32(low))];
        if (idx >= 0) {
          handler(idx);
          handled++;
        }
      }
    } else {
      const idx = this.vectorIndex[vec];
      if (idx >= 0) {
        handler(idx);
        handled++;
      }
    }
    mmio.write(this.eoiAddr[cpu], 4, 0);
    if (this.options.eoiReadback !== false) mmio.read(this.whoamiAddr[cpu], 4);
    return handled;
  }

  sendIpi(from: Vcpu, to: number): void {
    const target = this.cpuOfVcpu(to);
    this.mmio.write(this.base + cpuReg(from.irqchipCpu, CPU_IPIDR0), 4, (1 << target) >>> 0);
  }
}

export const mpic20GuestDriver: GuestDriverContribution = {
  id: "mpic-2.0",
  label: "MPIC 2.0",
  arch: "ppc-booke",
  deviceType: KVM_DEV_TYPE_FSL_MPIC_20,
  attach: (vm: Vm) => new MpicGuestDriver(vm, { type: KVM_DEV_TYPE_FSL_MPIC_20, base: MPC8544DS_MPIC_BASE }),
};

export const mpic42GuestDriver: GuestDriverContribution = {
  id: "mpic-4.2",
  label: "MPIC 4.2",
  arch: "ppc-booke",
  deviceType: KVM_DEV_TYPE_FSL_MPIC_42,
  attach: (vm: Vm) => new MpicGuestDriver(vm, { type: KVM_DEV_TYPE_FSL_MPIC_42, base: PPCE500_MPIC_BASE }),
};
