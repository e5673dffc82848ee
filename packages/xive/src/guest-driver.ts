/**
 * A guest XIVE driver that drives the device the way Linux's sPAPR exploitation-mode driver
 * does (arch/powerpc/sysdev/xive/spapr.c + common.c), with QEMU's H_INT_* hcalls between
 * the guest and the device attributes:
 *
 *   attach     (QEMU) KVM_CREATE_DEVICE(XIVE); KVM_ENABLE_CAP(KVM_CAP_PPC_IRQ_XIVE, server =
 *              vCPU id) per vCPU; mmap TIMA + ESB; claim one IPI LISN per vCPU (= its id).
 *              (guest) H_INT_RESET; per CPU: H_INT_GET_QUEUE_INFO + H_INT_SET_QUEUE_CONFIG
 *              (one 64 KiB queue at priority 6), its IPI: H_INT_GET_SOURCE_INFO,
 *              ESB SET_PQ_01, H_INT_SET_SOURCE_CONFIG(eisn = IPI virq), ESB SET_PQ_00;
 *              OS CPPR := 0xFF (TIMA store)
 *   configure  (QEMU) claim LISN 0x1000 + i (KVM SOURCE, LSI flag); (guest) GET_SOURCE_INFO,
 *              SET_PQ_01, SET_SOURCE_CONFIG(target, prio 6, eisn = virq 16 + i), SET_PQ_00
 *   service    xive_get_irq: ACK_OS_REG load (TIMA) -> pending priorities -> scan the queue
 *              in guest memory -> handler -> EOI: MSI SET_PQ_00 load (+ trigger-page store if Q
 *              was set), LSI H_INT_ESB(LOAD_EOI) (QEMU flags LSIs H_INT_ESB); IPI SET_PQ_00;
 *              when the queue is empty, CPPR := 0xFF (TIMA store)
 *   sendIpi    store to the target CPU's IPI trigger page
 *
 * ESB and TIMA accesses go through the device mapping (direct, no exit); only hcalls exit.
 */
import {
  Errno,
  IPI_SOURCE,
  encodeU64,
  fail,
  type DeviceHandle,
  type DeviceMapping,
  type GuestDriver,
  type GuestDriverContribution,
  type RouteSpec,
  type SourceSpec,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import {
  H_INT_ESB,
  H_INT_GET_QUEUE_INFO,
  H_INT_GET_SOURCE_INFO,
  H_INT_RESET,
  H_INT_SET_QUEUE_CONFIG,
  H_INT_SET_SOURCE_CONFIG,
  H_SUCCESS,
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_DEV_TYPE_XIVE,
  KVM_DEV_XIVE_GRP_SOURCE,
  KVM_XIVE_ESB_PAGE_OFFSET,
  KVM_XIVE_LEVEL_SENSITIVE,
  KVMPPC_XIVE_NR_IRQS,
  LINUX_XIVE_PRIORITY,
  SPAPR_XIVE_END_ALWAYS_NOTIFY,
  SPAPR_XIVE_IPI_LISNS,
  SPAPR_XIVE_SRC_H_INT_ESB,
  SPAPR_XIVE_SRC_SET_EISN,
  TM_CPPR,
  TM_QW1_NSR_EO,
  TM_QW1_OS,
  TM_SPC_ACK_OS_REG,
  XIVE_ESB_LOAD_EOI,
  XIVE_ESB_SET_PQ_00,
  XIVE_ESB_SET_PQ_01,
  XIVE_ESB_VAL_Q,
  XIVE_EQ_QSHIFT,
  XIVE_PAGE_SIZE,
  XIVE_TIMA_MAX_PAGES,
  XIVE_TM_OS_PAGE,
} from "./constants.js";
import { EqReader } from "./event-queue.js";
import { XIVE_IRQCHIP_INDEX } from "./irqchip.js";

/** Guest physical address of vCPU n's event queue page (64 KiB aligned). */
export const GUEST_EQ_BASE = 0x1000_0000;
/** Linux virq of the XIVE IPI (one virq for every CPU's IPI source). */
export const XIVE_IPI_VIRQ = 1;
/** Interrupts one `service` call handles at most before returning (a storm guard). */
export const XIVE_MAX_PER_ENTRY = 64;
/** Linux virq of workload source i. */
export const XIVE_VIRQ_BASE = 16;

const TIMA_OS = XIVE_TM_OS_PAGE * XIVE_PAGE_SIZE;

export class XiveGuestDriver implements GuestDriver {
  readonly controller: DeviceHandle;
  readonly tima: DeviceMapping;
  readonly esb: DeviceMapping;
  /** Per vCPU (index = vCPU id): the queue reader, pending priorities and CPPR (struct xive_cpu). */
  readonly readers: EqReader[] = [];
  readonly pendingPrio: Uint8Array;
  readonly cppr: Uint8Array;
  /** LISN -> H_INT_GET_SOURCE_INFO flags. */
  private readonly srcFlags = new Map<number, number>();
  /** virq -> LISN, and virq -> workload index. */
  private readonly virqLisn = new Int32Array(XIVE_VIRQ_BASE + 0x10000).fill(-1);
  private readonly virqIndex = new Int32Array(XIVE_VIRQ_BASE + 0x10000).fill(-1);

  constructor(readonly vm: Vm) {
    this.controller = vm.createDevice(KVM_DEV_TYPE_XIVE);
    for (const v of vm.vcpus) v.enableCap(KVM_CAP_PPC_IRQ_XIVE, [this.controller, v.id]);
    this.tima = this.controller.mmap(0, XIVE_TIMA_MAX_PAGES * XIVE_PAGE_SIZE);
    this.esb = this.controller.mmap(KVM_XIVE_ESB_PAGE_OFFSET * XIVE_PAGE_SIZE, 0);
    this.pendingPrio = new Uint8Array(vm.vcpus.length);
    this.cppr = new Uint8Array(vm.vcpus.length).fill(0xff);
    // QEMU machine init: one IPI LISN per vCPU.
    for (const v of vm.vcpus) this.claim(v.id, false);
    const boot = vm.vcpus[0];
    if (boot.hcall(H_INT_RESET, 0) !== H_SUCCESS) fail(Errno.EIO, "XIVE guest driver: H_INT_RESET refused");
    for (const v of vm.vcpus) this.setupCpu(v);
  }

  /** QEMU spapr_irq_claim: KVM_DEV_XIVE_GRP_SOURCE (a userspace ioctl, not a guest exit). */
  private claim(lisn: number, lsi: boolean): void {
    this.controller.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE, attr: lisn, addr: encodeU64(lsi ? KVM_XIVE_LEVEL_SENSITIVE : 0n, this.vm.endian) });
  }

  private setupCpu(v: Vcpu): void {
    const qpage = GUEST_EQ_BASE + v.id * (1 << XIVE_EQ_QSHIFT);
    v.hcall(H_INT_GET_QUEUE_INFO, 0, v.id, LINUX_XIVE_PRIORITY);
    const rc = v.hcall(H_INT_SET_QUEUE_CONFIG, SPAPR_XIVE_END_ALWAYS_NOTIFY, v.id, LINUX_XIVE_PRIORITY, qpage, XIVE_EQ_QSHIFT);
    if (rc !== H_SUCCESS) fail(Errno.EIO, `XIVE guest driver: H_INT_SET_QUEUE_CONFIG for CPU ${v.id} returned ${rc}`);
    this.readers[v.id] = new EqReader(this.vm.memory, qpage, XIVE_EQ_QSHIFT);
    this.startSource(v, v.id, v.id, XIVE_IPI_VIRQ);
    this.tima.write(TIMA_OS + TM_QW1_OS + TM_CPPR, 1, 0xff, v);
  }

  /** populate_irq_data + mask + configure_irq + unmask, from vCPU `v`. */
  private startSource(v: Vcpu, lisn: number, server: number, virq: number): void {
    if (v.hcall(H_INT_GET_SOURCE_INFO, 0, lisn) !== H_SUCCESS) fail(Errno.EIO, `XIVE guest driver: no source info for LISN 0x${lisn.toString(16)}`);
    this.srcFlags.set(lisn, v.hret[0]);
    this.esbLoad(v, lisn, XIVE_ESB_SET_PQ_01);
    const rc = v.hcall(H_INT_SET_SOURCE_CONFIG, SPAPR_XIVE_SRC_SET_EISN, lisn, server, LINUX_XIVE_PRIORITY, virq);
    if (rc !== H_SUCCESS) fail(Errno.EIO, `XIVE guest driver: H_INT_SET_SOURCE_CONFIG(0x${lisn.toString(16)}) returned ${rc}`);
    this.esbLoad(v, lisn, XIVE_ESB_SET_PQ_00);
  }

  /** xive_esb_read: through H_INT_ESB for sources flagged so (LSIs), else a direct ESB load. */
  private esbLoad(v: Vcpu, lisn: number, offset: number): number {
    if ((this.srcFlags.get(lisn) ?? 0) & SPAPR_XIVE_SRC_H_INT_ESB) {
      v.hcall(H_INT_ESB, 0, lisn, offset, 0);
      return v.hret[0];
    }
    return this.esb.read(lisn * 2 * XIVE_PAGE_SIZE + XIVE_PAGE_SIZE + offset, 8, v);
  }

  /** LISN of workload source `index` (QEMU sPAPR numbering: device interrupts from 0x1000). */
  static lisnOf(index: number): number {
    return SPAPR_XIVE_IPI_LISNS + index;
  }

  configureSource(spec: SourceSpec): RouteSpec {
    const lisn = XiveGuestDriver.lisnOf(spec.index);
    if (!Number.isInteger(spec.index) || spec.index < 0 || spec.index >= 0x10000 || lisn >= KVMPPC_XIVE_NR_IRQS) {
      fail(Errno.EINVAL, `XIVE guest driver: source index ${spec.index} (0..65535)`);
    }
    const target = this.vm.vcpu(spec.vcpu);
    if (target.irqchipKind !== "xive") fail(Errno.EINVAL, `vCPU ${spec.vcpu} is not connected to the XIVE`);
    this.claim(lisn, spec.trigger === "level");
    const virq = XIVE_VIRQ_BASE + spec.index;
    this.virqLisn[virq] = lisn;
    this.virqIndex[virq] = spec.index;
    this.startSource(this.vm.vcpus[0], lisn, target.irqchipCpu, virq);
    return { type: "irqchip", irqchip: XIVE_IRQCHIP_INDEX, pin: lisn };
  }

  /** xive_scan_interrupts: the next EISN of a pending priority, adjusting CPPR as Linux does. */
  private scan(v: Vcpu): number {
    const id = v.id;
    let irq = 0;
    let prio = 0;
    while (this.pendingPrio[id] !== 0) {
      prio = 31 - Math.clz32(this.pendingPrio[id] & -this.pendingPrio[id]);
      irq = prio === LINUX_XIVE_PRIORITY ? this.readers[id].read() : 0;
      if (irq) break;
      this.pendingPrio[id] &= ~(1 << prio);
    }
    if (irq === 0) prio = 0xff;
    if (prio !== this.cppr[id]) {
      this.cppr[id] = prio;
      this.tima.write(TIMA_OS + TM_QW1_OS + TM_CPPR, 1, prio, v);
    }
    return irq;
  }

  /** xive_get_irq: ACK_OS_REG then scan. */
  private getIrq(v: Vcpu): number {
    const ack = this.tima.read(TIMA_OS + TM_SPC_ACK_OS_REG, 2, v);
    const cppr = ack & 0xff;
    if (((ack >> 8) & TM_QW1_NSR_EO) !== 0 && cppr !== 0xff) {
      this.pendingPrio[v.id] |= 1 << cppr;
      this.cppr[v.id] = cppr;
    }
    return this.scan(v);
  }

  service(vcpu: Vcpu, handler: (source: number) => void): number {
    let n = 0;
    for (;;) {
      if (n === XIVE_MAX_PER_ENTRY) {
        // Storm guard (a level source nobody deasserts re-presents at every EOI): end this
        // entry as Linux ends one interrupt; CPPR 0xFF re-signals what is still pending.
        this.cppr[vcpu.id] = 0xff;
        this.tima.write(TIMA_OS + TM_QW1_OS + TM_CPPR, 1, 0xff, vcpu);
        return n;
      }
      const virq = this.getIrq(vcpu);
      if (virq === 0) return n;
      if (virq === XIVE_IPI_VIRQ) {
        handler(IPI_SOURCE);
        this.sourceEoi(vcpu, vcpu.id); // xive_ipi_eoi: the IPI's own ESB (re-trigger if Q)
      } else {
        const lisn = virq < this.virqLisn.length ? this.virqLisn[virq] : -1;
        if (lisn < 0) {
          this.vm.tracer.guestError("xive.driver", `unexpected EISN ${virq}`);
          continue;
        }
        handler(this.virqIndex[virq]);
        this.sourceEoi(vcpu, lisn);
      }
      n++;
    }
  }

  /** xive_do_source_eoi. */
  private sourceEoi(v: Vcpu, lisn: number): void {
    const flags = this.srcFlags.get(lisn) ?? 0;
    if (flags & SPAPR_XIVE_SRC_H_INT_ESB) {
      // LSI: the "EOI cycle" load, which QEMU emulates (re-trigger while asserted).
      this.esbLoad(v, lisn, XIVE_ESB_LOAD_EOI);
      return;
    }
    const eoi = this.esb.read(lisn * 2 * XIVE_PAGE_SIZE + XIVE_PAGE_SIZE + XIVE_ESB_SET_PQ_00, 8, v);
    if (eoi & XIVE_ESB_VAL_Q) this.esb.write(lisn * 2 * XIVE_PAGE_SIZE, 8, 0, v);
  }

  sendIpi(from: Vcpu, to: number): void {
    const target = this.vm.vcpu(to);
    if (target.irqchipKind !== "xive") fail(Errno.EINVAL, `vCPU ${to} is not connected to the XIVE`);
    this.esb.write(target.id * 2 * XIVE_PAGE_SIZE, 8, 0, from);
  }
}

/** The GuestDriverContribution of the plugin. */
export const xiveGuestDriverContribution: GuestDriverContribution = {
  id: "xive",
  label: "XIVE",
  arch: "ppc64",
  deviceType: KVM_DEV_TYPE_XIVE,
  attach: (vm: Vm) => new XiveGuestDriver(vm),
};
