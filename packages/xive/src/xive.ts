/**
 * The native XIVE model: KVM's control plane (book3s_xive_native.c + the shared parts of
 * book3s_xive.c) over the hardware behaviour the guest reaches through its mapped pages
 * (QEMU hw/intc/xive.c semantics):
 *
 *   trigger (kvm_set_irq / trigger page) -> ESB PQ -> notify -> EAS (act_server, act_priority,
 *   EISN) -> END queue entry in guest memory -> presenter (TCTX IPB/PIPR/NSR) -> vcpu.ext
 *
 * Everything per interrupt is O(1) over typed arrays; API-boundary errors are KvmErrors
 * raised before anything changes, in KVM's order.
 */
import { Errno, UapiView, fail, quirksOf, type UserPtr, type Vcpu, type Vm } from "@irqlab/core";
import { decodeEqId, decodeSourceConfig, decodeXiveEq, writeXiveEq, type XiveEq } from "./codecs.js";
import {
  KVM_MAX_VCPU_IDS,
  KVM_MAX_VCPUS,
  KVM_XIVE_EQ_ALWAYS_NOTIFY,
  KVM_XIVE_ESB_PAGE_OFFSET,
  KVM_XIVE_LEVEL_ASSERTED,
  KVM_XIVE_LEVEL_SENSITIVE,
  KVMPPC_XIVE_NR_IRQS,
  KVMPPC_XIVE_Q_COUNT,
  MASKED,
  PQ_OFF,
  PQ_PENDING,
  SIZEOF_KVM_PPC_XIVE_EQ,
  XIVE_BLOCK_MASK,
  XIVE_EQ_QSHIFT,
  XIVE_INVALID_VP,
  XIVE_PAGE_SIZE,
  XIVE_TM_OS_PAGE,
  TM_QW1_NSR_EO,
  TM_QW1_OS,
  TM_NSR,
} from "./constants.js";
import { ESB_NOTIFY, ESB_PQ_MASK, ESB_VALUE_SHIFT, esbManagementLoad, esbSetPqOf, esbStoreOp, esbTrigger } from "./esb.js";
import { EventQueues } from "./event-queue.js";
import { SRC_ASSERTED, SRC_LSI, SRC_PT, SRC_VALID, SourceBlocks, applySourceLevel, type SourceBlock } from "./source-blocks.js";
import {
  TCTX_SIZE,
  TM_OP_ACK_OS_REG,
  TM_OP_RAW,
  TM_OP_SET_OS_CPPR,
  TM_OP_SET_OS_PENDING,
  allOnes,
  priorityToIpb,
  tctxAccept,
  tctxInit,
  tctxIpbUpdate,
  tctxSetCppr,
  timaDecode,
  timaRawRead,
  timaRawWrite,
} from "./tima.js";
import { XiveCounters, emit } from "./trace.js";
import { SPAPR_XIVE_NR_IRQS, XiveQuirkSet } from "./quirks.js";
import type { SpaprXiveHcalls } from "./hcalls.js";

/**
 * A host fault on a device mapping: the kernel's fault handler answered VM_FAULT_SIGBUS
 * (TIMA pages other than the OS view, ESB pages of a missing or invalid source). Not a
 * guest-visible value: the accessing process gets SIGBUS.
 */
export class XiveSigbus extends Error {
  constructor(message: string) {
    super(`SIGBUS: ${message}`);
    this.name = "XiveSigbus";
  }
}

/** kvmppc_pack_vcpu_id: the VP offset of a server number. */
export function packVcpuId(id: number, emulSmtMode = 1): number {
  const order = [0, 4, 2, 6, 1, 5, 3, 7];
  const stride = emulSmtMode;
  const block = Math.floor(id / KVM_MAX_VCPUS) * (8 / stride);
  if (block >= 8) return 0;
  const packed = (id % KVM_MAX_VCPUS) + order[block];
  return packed >= KVM_MAX_VCPUS ? 0 : packed;
}

/** xive_prio_from_guest: 0xFF and 0..5 unchanged, anything else 6. */
export function prioFromGuest(p: number): number {
  return p === MASKED || p < 6 ? p : 6;
}

/** The VP block the model's "firmware" hands out (deterministic). */
export const XIVE_VP_BASE = 0x400;

/** kvmppc_xive_vcpu plus the thread context the hardware keeps for it. */
export class XiveVcpu {
  /** TIMA register image (four rings; the OS ring at 0x10). */
  readonly regs = new Uint8Array(TCTX_SIZE);
  readonly queues = new EventQueues();
  /** Native-mode vCPU (false would be a vCPU of the XICS-on-XIVE device: VP_STATE EPERM). */
  native = true;
  /** Model flag: the context is pushed on a physical thread (inside KVM_RUN): VP_STATE set is EBUSY. */
  pushed = false;
  /** Whether the vCPU is dispatched; events for an undispatched VP go to its NVT and escalate. */
  dispatched = true;
  /** IPB the firmware recorded in the NVT while the VP was not dispatched. */
  nvtIpb = 0;
  /** Escalations fired for this vCPU. */
  escalations = 0;
  valid = true;

  constructor(
    readonly xive: XiveNative,
    readonly vcpu: Vcpu,
    readonly server: number,
    readonly vpId: number,
  ) {
    tctxInit(this.regs, 0, vpId);
    if (xive.quirks.osRingReset) {
      // Quirk: QEMU's xive_tctx_reset OS ring (LSMFB, AGE, PIPR 0xFF besides ACK#).
      this.regs[TM_QW1_OS + 3] = 0xff;
      this.regs[TM_QW1_OS + 6] = 0xff;
      this.regs[TM_QW1_OS + 7] = 0xff;
    }
  }

  /** The vCPU stops running (H_CEDE / exit): the context is pulled, events now escalate. */
  undispatch(): void {
    this.dispatched = false;
  }

  /** The vCPU runs again: the hardware merges the NVT's IPB into the pushed context. */
  dispatch(): void {
    this.dispatched = true;
    const ipb = this.nvtIpb;
    this.nvtIpb = 0;
    if (tctxIpbUpdate(this.regs, 0, ipb)) this.xive.signal(this, this.regs[TM_QW1_OS + 7]);
  }
}

export interface XiveOptions {
  /** Whether the host has XIVE (xive_enabled()): connect and VP_STATE answer ENXIO otherwise. */
  hostXive: boolean;
  /** kvm->arch.emul_smt_mode (1, 2, 4 or 8). */
  emulSmtMode: number;
  /** Host single-escalation support (queue 7 reserved, one escalation per vCPU). */
  singleEscalation: boolean;
}

export class XiveNative {
  readonly sources = new SourceBlocks();
  /** Connected vCPUs by server number (kvmppc_xive_find_server). */
  readonly servers = new Map<number, XiveVcpu>();
  nrServers = KVM_MAX_VCPUS;
  vpBase = XIVE_INVALID_VP;
  readonly counters = new XiveCounters();
  alive = true;
  /** Whether the device was ever mmapped (reset_mapped has something to unmap). */
  mapped = false;
  /** Pages "unmapped" by reset_mapped (pass-through changes), for observation. */
  resetMappedCount = 0;
  /** EQ_SYNC calls (the model has no dirty log: queue entries are written synchronously). */
  eqSyncs = 0;
  /** The userspace (QEMU) half registered with the device: H_INT_* hcalls and its tables. */
  hcalls: SpaprXiveHcalls | null = null;
  private readonly mem;
  private readonly tracer;

  /** Behaviour-profile switches (quirks.ts); all off = KVM. */
  readonly quirks: XiveQuirkSet;

  constructor(
    readonly vm: Vm,
    readonly options: XiveOptions,
  ) {
    this.mem = vm.memory;
    this.tracer = vm.tracer;
    this.quirks = XiveQuirkSet.from(quirksOf(vm));
  }

  /** Connected vCPUs in vCPU-index order (kvm_for_each_vcpu). */
  xvcpus(): XiveVcpu[] {
    const out: XiveVcpu[] = [];
    for (const v of this.vm.vcpus) {
      const s = v.irqchipState;
      if (s instanceof XiveVcpu && s.xive === this) out.push(s);
    }
    return out;
  }

  xvcpuOf(vcpu: Vcpu | null | undefined): XiveVcpu | null {
    if (!vcpu) return null;
    const s = vcpu.irqchipState;
    return s instanceof XiveVcpu && s.xive === this ? s : null;
  }

  // ---------------------------------------------------------------- vCPU connect

  /** kvmppc_xive_native_connect_vcpu after the device checks: VP id, then attach. */
  connect(vcpu: Vcpu, server: number): XiveVcpu {
    if (vcpu.irqchipKind !== null) fail(Errno.EBUSY, `vCPU ${vcpu.id} is already connected to ${vcpu.irqchipKind}`);
    // kvmppc_xive_compute_vp_id
    const packed = packVcpuId(server, this.options.emulSmtMode);
    if (packed >= this.nrServers) fail(Errno.EINVAL, `server ${server}: packed VP offset ${packed} >= nr_servers ${this.nrServers}`);
    const vpBase = this.vpBase === XIVE_INVALID_VP ? XIVE_VP_BASE : this.vpBase;
    const vpId = vpBase + packed;
    for (const xv of this.xvcpus()) {
      if (xv.vpId === vpId) fail(Errno.EEXIST, `server ${server}: VP 0x${vpId.toString(16)} is used by vCPU ${xv.vcpu.id}`);
    }
    this.vpBase = vpBase;
    const xv = new XiveVcpu(this, vcpu, server, vpId);
    vcpu.attachIrqchip("xive", server, xv);
    this.servers.set(server, xv);
    return xv;
  }

  /** vCPU cleanup on release: mask its sources, free queues, detach. */
  disconnectAll(): void {
    for (const xv of this.xvcpus()) {
      xv.valid = false;
      xv.vcpu.ext.deassert();
      xv.vcpu.detachIrqchip();
    }
    this.servers.clear();
  }

  // ---------------------------------------------------------------- attributes

  /** KVM_DEV_XIVE_GRP_SOURCE (kvmppc_xive_native_set_source). */
  setSource(attr: bigint, addr: UserPtr): void {
    const asLong = BigInt.asIntN(64, attr);
    if (asLong >= BigInt(KVMPPC_XIVE_NR_IRQS)) fail(Errno.E2BIG, `source ${attr} >= 0x${KVMPPC_XIVE_NR_IRQS.toString(16)}`);
    const irq = Number(BigInt.asUintN(32, attr));
    // KVM indexes its block table with the u32-truncated number; beyond the table it would
    // read out of bounds. The model refuses those as out of range.
    if (irq >= KVMPPC_XIVE_NR_IRQS) fail(Errno.E2BIG, `source ${attr} (u32 ${irq}) is out of range`);
    // The block is allocated before the value is read (a later EFAULT leaves it allocated).
    const b = this.sources.create(irq);
    const val = new UapiView(addr, 8, this.vm.endian, "KVM_DEV_XIVE_GRP_SOURCE value").u64(0);
    const i = irq & XIVE_BLOCK_MASK;
    let f = b.flags[i];
    if (val & KVM_XIVE_LEVEL_SENSITIVE) {
      f |= SRC_LSI;
      if (val & KVM_XIVE_LEVEL_ASSERTED) f |= SRC_ASSERTED;
    }
    b.actServer[i] = 0;
    b.actPriority[i] = MASKED;
    b.pq[i] = PQ_OFF;
    if (!(f & SRC_VALID)) this.sources.count++;
    b.flags[i] = f | SRC_VALID;
    if (this.tracer.enabled) emit(this.tracer, "xive.source.config", { irq, server: 0, priority: MASKED, eisn: b.eisn[i] });
  }

  /** Re-creates a valid source as SOURCE does (QEMU's kvmppc_xive_source_reset_one). */
  recreateSource(b: SourceBlock, i: number, lsi: boolean, asserted: boolean): void {
    const v = (lsi ? KVM_XIVE_LEVEL_SENSITIVE : 0n) | (asserted ? KVM_XIVE_LEVEL_ASSERTED : 0n);
    const buf = new Uint8Array(8);
    new UapiView(buf, 8, this.vm.endian, "value").setU64(0, v);
    this.setSource(BigInt(b.number(i)), buf);
  }

  /** Block and index of a valid source for SOURCE_CONFIG / SOURCE_SYNC (ENOENT, EINVAL). */
  private validSource(attr: bigint, what: string): [SourceBlock, number, number] {
    const irq = Number(BigInt.asUintN(32, attr));
    const b = this.sources.find(irq);
    if (!b) fail(Errno.ENOENT, `${what}: source 0x${irq.toString(16)} has no source block`);
    const i = irq & XIVE_BLOCK_MASK;
    if (!(b.flags[i] & SRC_VALID)) fail(Errno.EINVAL, `${what}: source 0x${irq.toString(16)} was never created`);
    return [b, i, irq];
  }

  /** KVM_DEV_XIVE_GRP_SOURCE_CONFIG (set_source_config + update_source_config). */
  setSourceConfig(attr: bigint, addr: UserPtr): void {
    const [b, i, irq] = this.validSource(attr, "SOURCE_CONFIG");
    const word = new UapiView(addr, 8, this.vm.endian, "KVM_DEV_XIVE_GRP_SOURCE_CONFIG value").u64(0);
    const cfg = decodeSourceConfig(word);
    if (cfg.priority !== prioFromGuest(cfg.priority)) fail(Errno.EINVAL, `SOURCE_CONFIG 0x${irq.toString(16)}: priority ${cfg.priority} is reserved`);
    this.updateSourceConfig(b, i, cfg.server, cfg.priority, cfg.masked, cfg.eisn);
  }

  /** SOURCE_CONFIG after the word was read (QEMU's kvmppc_xive_set_source_config path). */
  updateSourceConfigChecked(b: SourceBlock, i: number, server: number, priority: number, masked: boolean, eisn: number): void {
    if (!(b.flags[i] & SRC_VALID)) fail(Errno.EINVAL, `SOURCE_CONFIG: source 0x${b.number(i).toString(16)} was never created`);
    const prio = priority & 7;
    if (prio !== prioFromGuest(prio)) fail(Errno.EINVAL, `SOURCE_CONFIG: priority ${prio} is reserved`);
    this.updateSourceConfig(b, i, server & 0x1fffffff, prio, masked, eisn & 0x7fffffff);
  }

  /** kvmppc_xive_native_update_source_config. */
  updateSourceConfig(b: SourceBlock, i: number, server: number, priority: number, masked: boolean, eisn: number): void {
    if (b.actServer[i] === server && b.actPriority[i] === priority && b.eisn[i] === eisn) return;
    if (priority !== MASKED && !masked) {
      const chosen = this.selectTarget(server, priority);
      b.actPriority[i] = priority;
      b.actServer[i] = chosen;
      b.eisn[i] = eisn;
      b.hwEisn[i] = eisn;
    } else {
      b.actPriority[i] = MASKED;
      b.actServer[i] = 0;
      b.eisn[i] = 0;
      b.hwEisn[i] = 0;
    }
    if (this.tracer.enabled) {
      emit(this.tracer, "xive.source.config", { irq: b.number(i), server: b.actServer[i], priority: b.actPriority[i], eisn: b.eisn[i] });
    }
  }

  /** kvmppc_xive_select_target: the server actually used (EINVAL unknown, EBUSY none). */
  selectTarget(server: number, priority: number): number {
    const xv = this.servers.get(server);
    if (!xv) fail(Errno.EINVAL, `SOURCE_CONFIG: no vCPU has server number ${server}`);
    if (xv.valid && xv.queues.tryPick(priority) === 0) return server;
    for (const other of this.xvcpus()) {
      if (other.valid && other.queues.tryPick(priority) === 0) return other.server;
    }
    return fail(Errno.EBUSY, `SOURCE_CONFIG: no connected vCPU has a configured, non-full queue at priority ${priority}`);
  }

  /** KVM_DEV_XIVE_GRP_SOURCE_SYNC. */
  sourceSync(attr: bigint): void {
    this.validSource(attr, "SOURCE_SYNC");
  }

  private eqTarget(server: number, priority: number, what: string): [XiveVcpu, number] {
    const xv = this.servers.get(server);
    if (!xv) fail(Errno.ENOENT, `${what}: no vCPU has server number ${server}`);
    if (priority !== prioFromGuest(priority)) fail(Errno.EINVAL, `${what}: priority ${priority} is reserved`);
    return [xv, priority];
  }

  /** KVM_DEV_XIVE_GRP_EQ_CONFIG set (kvmppc_xive_native_set_queue_config). */
  setQueueConfig(attr: bigint, addr: UserPtr): void {
    const eq = decodeXiveEq(addr, this.vm.endian);
    const { server, priority } = decodeEqId(attr);
    this.setQueueConfigValue(server, priority, eq);
  }

  /** EQ_CONFIG set after the struct was copied in: ENOENT, EINVAL (prio, flags, qshift, alignment, page). */
  setQueueConfigValue(server: number, priority: number, eq: XiveEq): void {
    const [xv, prio] = this.eqTarget(server, priority, "EQ_CONFIG");
    const q = xv.queues;
    if (eq.qshift === 0) {
      q.disable(prio);
      return;
    }
    if (eq.flags !== KVM_XIVE_EQ_ALWAYS_NOTIFY) fail(Errno.EINVAL, `EQ_CONFIG: flags 0x${eq.flags.toString(16)} (must be KVM_XIVE_EQ_ALWAYS_NOTIFY)`);
    if (eq.qshift !== XIVE_EQ_QSHIFT) fail(Errno.EINVAL, `EQ_CONFIG: qshift ${eq.qshift} (only ${XIVE_EQ_QSHIFT} is supported)`);
    const size = 2 ** eq.qshift;
    const qaddrBig = BigInt.asUintN(64, eq.qaddr);
    if (qaddrBig % BigInt(size) !== 0n) fail(Errno.EINVAL, `EQ_CONFIG: qaddr 0x${qaddrBig.toString(16)} is not ${size}-byte aligned`);
    const qaddr = qaddrBig <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(qaddrBig) : -1;
    if (qaddr < 0 || !this.mem.isMapped(qaddr, size)) fail(Errno.EINVAL, `EQ_CONFIG: no guest page of ${size} bytes at 0x${qaddrBig.toString(16)}`);
    q.configure(prio, qaddr, eq.qshift);
    if (eq.qtoggle !== 1 || eq.qindex !== 0) {
      q.toggle[prio] = eq.qtoggle & 1;
      q.index[prio] = eq.qindex & q.msk[prio];
    }
    if (this.tracer.enabled) emit(this.tracer, "xive.eq.config", { server: xv.server, priority: prio, qaddr, qshift: eq.qshift });
  }

  /** KVM_DEV_XIVE_GRP_EQ_CONFIG get. */
  getQueueConfig(attr: bigint, addr: UserPtr): void {
    const { server, priority } = decodeEqId(attr);
    const [xv, prio] = this.eqTarget(server, priority, "EQ_CONFIG get");
    const q = xv.queues;
    if (!q.configured[prio]) return;
    const v = new UapiView(addr, SIZEOF_KVM_PPC_XIVE_EQ, this.vm.endian, "struct kvm_ppc_xive_eq");
    writeXiveEq(v, {
      flags: KVM_XIVE_EQ_ALWAYS_NOTIFY,
      qshift: q.qshift[prio],
      qaddr: BigInt(q.qaddr[prio]),
      qtoggle: q.toggle[prio],
      qindex: q.index[prio],
    });
  }

  /** KVM_DEV_XIVE_RESET (kvmppc_xive_reset). */
  reset(): void {
    const last = this.options.singleEscalation ? KVMPPC_XIVE_Q_COUNT - 1 : KVMPPC_XIVE_Q_COUNT;
    for (const xv of this.xvcpus()) {
      for (const [b, i] of this.sources.each()) {
        if (b.actPriority[i] !== MASKED && b.actServer[i] === xv.server) this.maskSource(b, i);
      }
      for (let p = 0; p < last; p++) xv.queues.disable(p);
    }
    for (const [b, i] of this.sources.each()) {
      if (b.actPriority[i] === MASKED) continue;
      b.eisn[i] = 0;
      b.actServer[i] = 0;
      this.maskSource(b, i);
    }
    if (this.tracer.enabled) emit(this.tracer, "xive.ctrl.reset", { sources: this.sources.count });
  }

  /** act_priority = 0xFF, IPI (and pass-through) PQ = 01, EAS masked. */
  private maskSource(b: SourceBlock, i: number): void {
    b.actPriority[i] = MASKED;
    b.pq[i] = PQ_OFF;
    if (b.flags[i] & SRC_PT) b.ptPq[i] = PQ_OFF;
  }

  /** KVM_DEV_XIVE_EQ_SYNC: sync every targeted source and mark every EQ page dirty. */
  eqSync(): void {
    this.eqSyncs++;
  }

  /** KVM_DEV_XIVE_NR_SERVERS (kvmppc_xive_set_nr_servers). */
  setNrServers(addr: UserPtr): void {
    const n = new UapiView(addr, 4, this.vm.endian, "KVM_DEV_XIVE_NR_SERVERS value").u32(0);
    if (n === 0 || n > KVM_MAX_VCPU_IDS) fail(Errno.EINVAL, `NR_SERVERS ${n} (1..${KVM_MAX_VCPU_IDS})`);
    if (this.vpBase !== XIVE_INVALID_VP) fail(Errno.EBUSY, "NR_SERVERS: the VP block is allocated (a vCPU is connected)");
    this.nrServers = Math.min(n, KVM_MAX_VCPUS);
  }

  // ---------------------------------------------------------------- pass-through

  /**
   * kvmppc_xive_set_mapped in native mode: host interrupt `hwIrq` now backs guest source `irq`.
   * The native device never sets guest_priority (0xFF), so lock_and_mask does nothing: the IPI
   * is turned off (01), the PT interrupt is left as the host's irq_set_vcpu_affinity leaves it
   * (PQ 10: not EOI'd), and its EAS gets EISN = the source number (xics-on-xive.md §7.3).
   */
  setMapped(irq: number, hwIrq: number): void {
    const b = this.sources.find(irq);
    const i = irq & XIVE_BLOCK_MASK;
    if (!b || !(b.flags[i] & SRC_VALID)) fail(Errno.EINVAL, `set_mapped: source 0x${irq.toString(16)} is not valid`);
    if (!Number.isInteger(hwIrq) || hwIrq <= 0 || hwIrq > 0xffffffff) fail(Errno.EINVAL, `set_mapped: host interrupt ${hwIrq}`);
    b.ptPq[i] = PQ_PENDING;
    b.pq[i] = PQ_OFF;
    this.resetMapped(irq);
    b.flags[i] |= SRC_PT;
    b.ptNumber[i] = hwIrq;
    b.hwEisn[i] = irq;
  }

  /**
   * kvmppc_xive_clr_mapped in native mode: the IPI backs the source again, its EAS
   * reprogrammed with EISN = the source number, PQ 10 (guest_priority is 0xFF).
   */
  clrMapped(irq: number): void {
    const b = this.sources.find(irq);
    const i = irq & XIVE_BLOCK_MASK;
    if (!b || !(b.flags[i] & SRC_VALID) || !(b.flags[i] & SRC_PT)) fail(Errno.EINVAL, `clr_mapped: source 0x${irq.toString(16)} is not mapped`);
    b.flags[i] &= ~SRC_PT;
    b.ptNumber[i] = 0;
    b.ptPq[i] = PQ_OFF;
    this.resetMapped(irq);
    b.hwEisn[i] = irq;
    b.pq[i] = PQ_PENDING;
  }

  /**
   * kvmppc_xive_native_reset_mapped: unmap the two ESB pages of `irq` from the device file,
   * pages KVM_XIVE_ESB_PAGE_OFFSET + 2n and + 2n + 1 (the next access faults and maps the
   * right hardware pages); recorded in `resetMappedPages`.
   */
  resetMapped(irq: number): void {
    if (irq >= KVMPPC_XIVE_NR_IRQS) fail(Errno.EINVAL, `reset_mapped: source ${irq} out of range`);
    if (!this.mapped || !this.alive) return;
    this.resetMappedCount++;
    const first = KVM_XIVE_ESB_PAGE_OFFSET + 2 * irq;
    this.resetMappedPages.push(first, first + 1);
  }

  /** Device-file page offsets invalidated by reset_mapped, in order. */
  readonly resetMappedPages: number[] = [];

  /** The host device behind a passed-through source fires (its ESB trigger). */
  hostDeviceTrigger(irq: number): boolean {
    const b = this.sources.find(irq);
    const i = irq & XIVE_BLOCK_MASK;
    if (!b || !(b.flags[i] & SRC_PT)) return false;
    const r = esbTrigger(b.ptPq[i]);
    b.ptPq[i] = r & ESB_PQ_MASK;
    if (r & ESB_NOTIFY) this.route(b, i);
    return true;
  }

  // ---------------------------------------------------------------- injection

  /**
   * kvmppc_xive_set_irq (kvm_set_irq for the native device): -EINVAL (-22) for a missing,
   * invalid or passed-through source; level 0 / UNSET only clears `asserted`; otherwise the
   * IPI's ESB is triggered. Returns 0 (book3s has no delivered count).
   */
  setIrq(pin: number, level: number): number {
    if (!Number.isInteger(pin) || pin < 0 || pin >= KVMPPC_XIVE_NR_IRQS) return -22;
    const b = this.sources.blocks[pin >>> 10];
    if (b === null) return -22;
    const i = pin & XIVE_BLOCK_MASK;
    const f = b.flags[i];
    if (!(f & SRC_VALID) || f & SRC_PT) return -22;
    if (applySourceLevel(b, i, level)) this.triggerIpi(b, i);
    return 0;
  }

  /** A trigger of the source's IPI ESB (xive_irq_trigger / trigger-page store). */
  triggerIpi(b: SourceBlock, i: number): void {
    const before = b.pq[i];
    const r = esbTrigger(before);
    b.pq[i] = r & ESB_PQ_MASK;
    this.countTrigger(b, i, before, r);
  }

  private countTrigger(b: SourceBlock, i: number, before: number, r: number): void {
    const c = this.counters;
    c.triggers++;
    if (this.tracer.enabled) emit(this.tracer, "xive.esb.trigger", { irq: b.number(i), pq: r & ESB_PQ_MASK, notify: (r & ESB_NOTIFY) !== 0 });
    if (r & ESB_NOTIFY) this.route(b, i);
    else if (before === PQ_OFF) c.off++;
    else c.coalesced++;
  }

  /** The router: EAS -> END queue entry -> presenter. */
  route(b: SourceBlock, i: number): void {
    const c = this.counters;
    c.forwarded++;
    const prio = b.actPriority[i];
    if (prio === MASKED) return this.drop(b, i, "masked EAS");
    const xv = this.servers.get(b.actServer[i]);
    if (xv === undefined || !xv.valid) return this.drop(b, i, "no vCPU");
    const q = xv.queues;
    const index = q.index[prio];
    const toggle = q.toggle[prio];
    const eisn = b.hwEisn[i];
    if (!q.push(this.mem, prio, eisn)) return this.drop(b, i, "no queue page");
    c.enqueued++;
    if (this.tracer.enabled) {
      emit(this.tracer, "xive.router.enqueue", { irq: b.number(i), server: xv.server, priority: prio, eisn, index, toggle });
    }
    this.present(xv, prio);
  }

  private drop(b: SourceBlock, i: number, reason: string): void {
    this.counters.dropped++;
    if (this.tracer.enabled) emit(this.tracer, "xive.router.drop", { irq: b.number(i), reason });
  }

  /** The presenter: IPB/PIPR update and the OS line; NVT + escalation when not dispatched. */
  present(xv: XiveVcpu, prio: number): void {
    if (!xv.dispatched) {
      xv.nvtIpb |= priorityToIpb(prio);
      xv.escalations++;
      this.counters.escalations++;
      if (this.tracer.enabled) emit(this.tracer, "xive.tctx.escalate", { server: xv.server, priority: prio });
      return;
    }
    if (tctxIpbUpdate(xv.regs, 0, priorityToIpb(prio))) this.signal(xv, prio);
  }

  /** Raise the vCPU's OS line (NSR[EO] is set). */
  signal(xv: XiveVcpu, prio: number): void {
    this.counters.signals++;
    if (this.tracer.enabled) emit(this.tracer, "xive.tctx.signal", { server: xv.server, priority: prio });
    xv.vcpu.ext.assert();
  }

  // ---------------------------------------------------------------- ESB pages

  /** The block of the source whose ESB pages hold `offset`; SIGBUS for a missing/invalid one. */
  private esbBlock(offset: number): SourceBlock {
    const page = Math.floor(offset / XIVE_PAGE_SIZE);
    const irq = Math.floor(page / 2);
    const b = irq < KVMPPC_XIVE_NR_IRQS ? this.sources.find(irq) : null;
    if (this.quirks.esbEveryLisn && irq < SPAPR_XIVE_NR_IRQS && (!b || !(b.flags[irq & XIVE_BLOCK_MASK] & SRC_VALID))) {
      // Quirk: QEMU's XIVE source has ESB pages for every LISN it numbers, claimed or not
      // (reset to PQ 01, its EAS invalid): the source exists from its first ESB access.
      const nb = this.sources.create(irq);
      const i = irq & XIVE_BLOCK_MASK;
      nb.actServer[i] = 0;
      nb.actPriority[i] = MASKED;
      nb.pq[i] = PQ_OFF;
      nb.flags[i] |= SRC_VALID;
      this.sources.count++;
      return nb;
    }
    if (!b) throw new XiveSigbus(`ESB page ${page}: source 0x${irq.toString(16)} has no block`);
    if (!(b.flags[irq & XIVE_BLOCK_MASK] & SRC_VALID)) throw new XiveSigbus(`ESB page ${page}: source 0x${irq.toString(16)} is not valid`);
    return b;
  }

  private guestError(msg: string): void {
    this.counters.guestErrors++;
    this.tracer.guestError("xive", msg);
  }

  /** A load from the ESB mapping (offset relative to its start). */
  esbRead(offset: number, size: number): number {
    const b = this.esbBlock(offset);
    const page = Math.floor(offset / XIVE_PAGE_SIZE);
    const i = (page >>> 1) & XIVE_BLOCK_MASK;
    const trigger = (page & 1) === 0;
    if (size !== 8) {
      this.guestError(`invalid ESB load size ${size} on IRQ 0x${b.number(i).toString(16)}`);
      return allOnes(size);
    }
    if (trigger) {
      this.guestError(`invalid load on IRQ 0x${b.number(i).toString(16)} trigger page at 0x${(offset % XIVE_PAGE_SIZE).toString(16)}`);
      return allOnes(8);
    }
    const pt = (b.flags[i] & SRC_PT) !== 0;
    const before = pt ? b.ptPq[i] : b.pq[i];
    const r = esbManagementLoad(offset, before);
    const after = r & ESB_PQ_MASK;
    if (pt) b.ptPq[i] = after;
    else b.pq[i] = after;
    if ((before & PQ_PENDING) !== 0 && (after & PQ_PENDING) === 0) this.counters.eois++;
    if (this.tracer.enabled) emit(this.tracer, "xive.esb.mgmt", { irq: b.number(i), offset: offset % XIVE_PAGE_SIZE, store: false, before, after });
    if (r & ESB_NOTIFY) this.route(b, i);
    return r >>> ESB_VALUE_SHIFT;
  }

  /** A store to the ESB mapping. */
  esbWrite(offset: number, size: number): void {
    const b = this.esbBlock(offset);
    const page = Math.floor(offset / XIVE_PAGE_SIZE);
    const i = (page >>> 1) & XIVE_BLOCK_MASK;
    const trigger = (page & 1) === 0;
    if (size !== 8) return this.guestError(`invalid ESB store size ${size} on IRQ 0x${b.number(i).toString(16)}`);
    const pt = (b.flags[i] & SRC_PT) !== 0;
    const op = trigger ? "trigger" : esbStoreOp(offset);
    const before = pt ? b.ptPq[i] : b.pq[i];
    switch (op) {
      case "trigger": {
        const r = esbTrigger(before);
        if (pt) b.ptPq[i] = r & ESB_PQ_MASK;
        else b.pq[i] = r & ESB_PQ_MASK;
        this.countTrigger(b, i, before, r);
        return;
      }
      case "store-eoi":
        return this.guestError(`invalid Store EOI for IRQ 0x${b.number(i).toString(16)} (not advertised)`);
      case "inject":
        return this.route(b, i);
      case "set-pq": {
        const after = esbSetPqOf(offset);
        if (pt) b.ptPq[i] = after;
        else b.pq[i] = after;
        if (this.tracer.enabled) emit(this.tracer, "xive.esb.mgmt", { irq: b.number(i), offset: offset % XIVE_PAGE_SIZE, store: true, before, after });
        return;
      }
    }
  }

  /** The PQ the guest currently sees for `irq` (pass-through ESB when mapped), or -1. */
  esbPq(irq: number): number {
    const b = this.sources.find(irq);
    if (!b) return -1;
    const i = irq & XIVE_BLOCK_MASK;
    if (!(b.flags[i] & SRC_VALID)) return -1;
    return b.flags[i] & SRC_PT ? b.ptPq[i] : b.pq[i];
  }

  /** Sets the guest-visible PQ of `irq` (restore path, as QEMU's SET_PQ loads do). */
  setEsbPq(irq: number, pq: number): number {
    const b = this.sources.find(irq);
    if (!b || !(b.flags[irq & XIVE_BLOCK_MASK] & SRC_VALID)) return -1;
    return this.esbRead(irq * 2 * XIVE_PAGE_SIZE + XIVE_PAGE_SIZE + 0xc00 + ((pq & 3) << 8), 8);
  }

  /** The LSI EOI QEMU emulates for H_INT_ESB (kvmppc_xive_esb_eoi): PQ=00, re-trigger if asserted. */
  lsiEoi(irq: number): number {
    const b = this.sources.find(irq);
    const i = irq & XIVE_BLOCK_MASK;
    if (!b || !(b.flags[i] & SRC_VALID)) return 0;
    const base = irq * 2 * XIVE_PAGE_SIZE;
    this.esbRead(base + XIVE_PAGE_SIZE + 0xc00, 8);
    if (b.flags[i] & SRC_ASSERTED) this.esbWrite(base, 8);
    return 0;
  }

  // ---------------------------------------------------------------- TIMA page

  /** A load from the TIMA mapping by `vcpu` (its thread context). */
  timaRead(offset: number, size: number, vcpu: Vcpu | null | undefined): number {
    const page = Math.floor(offset / XIVE_PAGE_SIZE);
    if (page !== XIVE_TM_OS_PAGE) throw new XiveSigbus(`TIMA page ${page} is not mappable (only the OS view, page 2)`);
    const xv = this.xvcpuOf(vcpu);
    const o = offset % XIVE_PAGE_SIZE;
    if (xv === null) {
      this.guestError(`TIMA load at 0x${o.toString(16)} from a vCPU with no XIVE context`);
      return allOnes(size);
    }
    switch (timaDecode(o, size, false)) {
      case TM_OP_ACK_OS_REG: {
        const eo = (xv.regs[TM_QW1_OS + TM_NSR] & TM_QW1_NSR_EO) !== 0;
        xv.vcpu.ext.deassert();
        const v = tctxAccept(xv.regs, 0);
        if (eo) this.counters.acks++;
        else this.counters.spuriousAcks++;
        if (this.tracer.enabled) emit(this.tracer, "xive.tctx.ack", { server: xv.server, value: v });
        return v;
      }
      case TM_OP_RAW:
        return timaRawRead(xv.regs, 0, o, size);
      default:
        this.guestError(`invalid read access at TIMA @0x${offset.toString(16)} size ${size}`);
        return allOnes(size);
    }
  }

  /** A store to the TIMA mapping by `vcpu`. */
  timaWrite(offset: number, size: number, value: number, vcpu: Vcpu | null | undefined): void {
    const page = Math.floor(offset / XIVE_PAGE_SIZE);
    if (page !== XIVE_TM_OS_PAGE) throw new XiveSigbus(`TIMA page ${page} is not mappable (only the OS view, page 2)`);
    const xv = this.xvcpuOf(vcpu);
    const o = offset % XIVE_PAGE_SIZE;
    if (xv === null) return this.guestError(`TIMA store at 0x${o.toString(16)} from a vCPU with no XIVE context`);
    switch (timaDecode(o, size, true)) {
      case TM_OP_SET_OS_CPPR: {
        if (this.tracer.enabled) emit(this.tracer, "xive.tctx.cppr", { server: xv.server, cppr: value & 0xff });
        if (tctxSetCppr(xv.regs, 0, value & 0xff)) this.signal(xv, xv.regs[TM_QW1_OS + 7]);
        return;
      }
      case TM_OP_SET_OS_PENDING:
        if (tctxIpbUpdate(xv.regs, 0, priorityToIpb(value & 0xff))) this.signal(xv, xv.regs[TM_QW1_OS + 7]);
        return;
      case TM_OP_RAW:
        return timaRawWrite(xv.regs, 0, o, size, value);
      default:
        return this.guestError(`invalid write access at TIMA @0x${offset.toString(16)} size ${size}`);
    }
  }

  /** Device release: vCPUs cleaned up, sources freed. */
  release(): void {
    if (!this.alive) return;
    this.disconnectAll();
    this.sources.clear();
    this.alive = false;
    this.mapped = false;
  }
}
