/**
 * The FLIC device (KVM_DEV_TYPE_FLIC, "kvm-flic"): kvm_flic_ops with set_attr / get_attr /
 * has_attr / destroy (no release: closing the descriptor keeps it, so a second create is EINVAL
 * for the VM's lifetime). Attribute groups, checks and their order follow
 * arch/s390/kvm/interrupt.c; unknown groups are EINVAL on set/get and ENXIO on has.
 * Also the guest-side API of the model: vCPU control registers, delivery, emergency signals,
 * dumpState and counters.
 */
import {
  Errno,
  fail,
  type DeviceAttr,
  type DeviceBackend,
  type HasCounters,
  type HasDumpState,
  type IrqChip,
  type KvmDevice,
  type UserPtr,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import { aisModeName, aisSetMode } from "./ais.js";
import type { AdapterInfo } from "./adapters.js";
import {
  KVM_DEV_FLIC_ADAPTER_MODIFY,
  KVM_DEV_FLIC_ADAPTER_REGISTER,
  KVM_DEV_FLIC_AIRQ_INJECT,
  KVM_DEV_FLIC_AISM,
  KVM_DEV_FLIC_AISM_ALL,
  KVM_DEV_FLIC_APF_DISABLE_WAIT,
  KVM_DEV_FLIC_APF_ENABLE,
  KVM_DEV_FLIC_CLEAR_IO_IRQ,
  KVM_DEV_FLIC_CLEAR_IRQS,
  KVM_DEV_FLIC_ENQUEUE,
  KVM_DEV_FLIC_GET_ALL_IRQS,
  KVM_S390_ADAPTER_SUPPRESSIBLE,
  KVM_S390_FLIC_MAX_BUFFER,
  KVM_S390_INT_IO_MAX,
  KVM_S390_INT_PFAULT_DONE,
  KVM_S390_INT_PFAULT_INIT,
  KVM_S390_INT_SERVICE,
  KVM_S390_INT_VIRTIO,
  KVM_S390_IO_ADAPTER_MAP,
  KVM_S390_IO_ADAPTER_MASK,
  KVM_S390_IO_ADAPTER_UNMAP,
  KVM_S390_MCHK,
  MAX_ISC,
  MAX_S390_IO_ADAPTERS,
  S390_IRQ_U_OFFSET,
  SIZEOF_KVM_S390_AIS_ALL,
  SIZEOF_KVM_S390_EXT_INFO,
  SIZEOF_KVM_S390_IO_INFO,
  SIZEOF_KVM_S390_IRQ,
  SIZEOF_KVM_S390_MCHK_INFO,
} from "./constants.js";
import { EXT_P2_HI, EXT_P2_LO, EXT_PAD, EXT_PARAMS, IO_PARM, IO_SCHID, IO_TYPE, IO_WORD } from "./floating.js";
import { classNames, IRQ_PEND_EXT_SERVICE, IRQ_PEND_EXT_SERVICE_EV, IRQ_PEND_MCHK_REP } from "./priority.js";
import { decodeAisAll, decodeAisReq, decodeIoAdapter, decodeIoAdapterReq, encodeAisAll } from "./structs.js";
import type { S390Interrupts } from "./s390-interrupts.js";
import type { DeliveredIrq, VcpuControl, VcpuControlState } from "./vcpu-state.js";

const hex = (n: number | bigint, w = 8): string => `0x${n.toString(16).padStart(w, "0")}`;

/** Unsigned 16/32/64-bit reads from a user buffer in the VM's byte order (bounds checked by the caller). */
function rd16(b: Uint8Array, at: number, le: boolean): number {
  return le ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1];
}
function rd32(b: Uint8Array, at: number, le: boolean): number {
  return le
    ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0
    : ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
function rd64(b: Uint8Array, at: number, le: boolean): bigint {
  const hi = rd32(b, at + (le ? 4 : 0), le);
  const lo = rd32(b, at + (le ? 0 : 4), le);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export class FlicDevice implements DeviceBackend, HasDumpState, HasCounters {
  constructor(
    readonly vm: Vm,
    readonly state: S390Interrupts,
    readonly device: KvmDevice,
    readonly irqchip: IrqChip,
  ) {}

  // ------------------------------------------------------------------ kvm_device_ops

  hasAttr(attr: DeviceAttr): number {
    if (attr.group >= KVM_DEV_FLIC_GET_ALL_IRQS && attr.group <= KVM_DEV_FLIC_AISM_ALL) return 0;
    fail(Errno.ENXIO, `FLIC has no attribute group ${attr.group} (groups 1..11)`);
  }

  getAttr(attr: DeviceAttr): number {
    switch (attr.group) {
      case KVM_DEV_FLIC_GET_ALL_IRQS:
        return this.getAllIrqs(attr);
      case KVM_DEV_FLIC_AISM_ALL:
        return this.aisModeGetAll(attr);
      default:
        fail(Errno.EINVAL, `FLIC get_attr: group ${attr.group} (only GET_ALL_IRQS 1 and AISM_ALL 11 can be read)`);
    }
  }

  setAttr(attr: DeviceAttr): number {
    const s = this.state;
    switch (attr.group) {
      case KVM_DEV_FLIC_ENQUEUE:
        return this.enqueue(attr);
      case KVM_DEV_FLIC_CLEAR_IRQS:
        s.clearFloating();
        return 0;
      case KVM_DEV_FLIC_APF_ENABLE:
        s.apfEnabled = true;
        return 0;
      case KVM_DEV_FLIC_APF_DISABLE_WAIT:
        // Disable, wait for in-flight async faults, drop the vCPUs' completion queues: no async
        // page faults are modelled, so only the flag changes.
        s.apfEnabled = false;
        return 0;
      case KVM_DEV_FLIC_ADAPTER_REGISTER:
        return this.registerAdapter(attr);
      case KVM_DEV_FLIC_ADAPTER_MODIFY:
        return this.modifyAdapter(attr);
      case KVM_DEV_FLIC_CLEAR_IO_IRQ:
        return this.clearIoIrq(attr);
      case KVM_DEV_FLIC_AISM:
        return this.modifyAisMode(attr);
      case KVM_DEV_FLIC_AIRQ_INJECT:
        return this.injectAirq(attr);
      case KVM_DEV_FLIC_AISM_ALL:
        return this.aisModeSetAll(attr);
      default:
        fail(Errno.EINVAL, `FLIC set_attr: group ${attr.group} (groups 2..11 can be written)`);
    }
  }

  destroy(): void {
    this.state.flicDevice = null;
    this.vm.irqchips.unregister(this.irqchip);
  }

  // ------------------------------------------------------------------------ groups

  /** KVM_DEV_FLIC_ENQUEUE: records injected one by one; the first failure stops (earlier stay). */
  private enqueue(attr: DeviceAttr): number {
    // int len = attr->attr; the remainder test converts len to u64, the size test is signed.
    const len = Number(BigInt.asIntN(32, attr.attr));
    if (BigInt.asUintN(64, BigInt(len)) % BigInt(SIZEOF_KVM_S390_IRQ) !== 0n) {
      fail(Errno.EINVAL, `ENQUEUE: length ${len} is not a multiple of ${SIZEOF_KVM_S390_IRQ}`);
    }
    if (len > KVM_S390_FLIC_MAX_BUFFER) fail(Errno.EINVAL, `ENQUEUE: length ${len} > ${KVM_S390_FLIC_MAX_BUFFER}`);
    // while (len >= sizeof) compares unsigned: a negative len runs until a record fails.
    let remaining = len;
    let off = 0;
    while (remaining < 0 || remaining >= SIZEOF_KVM_S390_IRQ) {
      const r = this.enqueueRecord(attr.addr, off);
      if (r !== 0) fail(r, `ENQUEUE: record ${off / SIZEOF_KVM_S390_IRQ} (byte ${off}) refused`);
      remaining -= SIZEOF_KVM_S390_IRQ;
      off += SIZEOF_KVM_S390_IRQ;
    }
    return 0;
  }

  /**
   * copy_irq_from_user + __inject_vm for the record at `off`: 0 or an errno. Reads the bytes
   * directly (no DataView, no allocation except the machine check's bigints): QEMU injects
   * every floating I/O and service interrupt through ENQUEUE, so this is a per-interrupt path.
   */
  private enqueueRecord(buf: UserPtr, off: number): number {
    if (buf === null || buf.byteLength < off + 8) return Errno.EFAULT;
    const le = this.vm.endian === "le";
    const hi = rd32(buf, off + (le ? 4 : 0), le);
    const type = rd32(buf, off + (le ? 0 : 4), le);
    let size: number;
    if (hi !== 0) return Errno.EINVAL;
    if (type <= KVM_S390_INT_IO_MAX) size = SIZEOF_KVM_S390_IO_INFO;
    else if (
      type === KVM_S390_INT_PFAULT_INIT ||
      type === KVM_S390_INT_PFAULT_DONE ||
      type === KVM_S390_INT_VIRTIO ||
      type === KVM_S390_INT_SERVICE
    )
      size = SIZEOF_KVM_S390_EXT_INFO;
    else if (type === KVM_S390_MCHK) size = SIZEOF_KVM_S390_MCHK_INFO;
    else return Errno.EINVAL;
    const u = off + S390_IRQ_U_OFFSET;
    if (buf.byteLength < u + size) return Errno.EFAULT;
    const s = this.state;
    if (type <= KVM_S390_INT_IO_MAX) {
      const schid = ((rd16(buf, u, le) << 16) | rd16(buf, u + 2, le)) >>> 0;
      return s.injectIo(type, schid, rd32(buf, u + 4, le), rd32(buf, u + 8, le));
    }
    if (type === KVM_S390_MCHK) return s.injectMchk(rd64(buf, u, le), rd64(buf, u + 8, le));
    const params = rd32(buf, u, le);
    const pad = rd32(buf, u + 4, le);
    const p2hi = rd32(buf, u + 8 + (le ? 4 : 0), le);
    const p2lo = rd32(buf, u + 8 + (le ? 0 : 4), le);
    switch (type) {
      case KVM_S390_INT_VIRTIO:
        return s.injectVirtio(params, pad, p2hi, p2lo);
      case KVM_S390_INT_SERVICE:
        return s.injectService(params);
      case KVM_S390_INT_PFAULT_DONE:
        return s.injectPfaultDone(params, pad, p2hi, p2lo);
      default:
        // PFAULT_INIT is a vCPU interrupt: __inject_vm refuses it.
        return Errno.EINVAL;
    }
  }

  /** KVM_DEV_FLIC_GET_ALL_IRQS: ENOMEM (nothing written) when the buffer is too small. */
  private getAllIrqs(attr: DeviceAttr): number {
    const len = attr.attr;
    if (len > BigInt(KVM_S390_FLIC_MAX_BUFFER) || len === 0n) {
      fail(Errno.EINVAL, `GET_ALL_IRQS: buffer length ${len} (1..${KVM_S390_FLIC_MAX_BUFFER})`);
    }
    const capacity = Math.floor(Number(len) / SIZEOF_KVM_S390_IRQ);
    const f = this.state.floating;
    const n = f.itemCount();
    if (n > capacity) {
      fail(Errno.ENOMEM, `GET_ALL_IRQS: ${n} interrupts pending, the buffer holds ${capacity}; retry with a larger one`);
    }
    if (n === 0) return 0;
    const buf = attr.addr;
    if (buf === null || buf.byteLength < n * SIZEOF_KVM_S390_IRQ) {
      fail(Errno.EFAULT, `GET_ALL_IRQS: cannot write ${n * SIZEOF_KVM_S390_IRQ} bytes to the buffer`);
    }
    buf.fill(0, 0, n * SIZEOF_KVM_S390_IRQ);
    const dv = new DataView(buf.buffer, buf.byteOffset, n * SIZEOF_KVM_S390_IRQ);
    const le = this.vm.endian === "le";
    const setU64 = (at: number, v: bigint): void => dv.setBigUint64(at, BigInt.asUintN(64, v), le);
    const setP2 = (at: number, hi: number, lo: number): void => {
      dv.setUint32(at + (le ? 4 : 0), hi, le);
      dv.setUint32(at + (le ? 0 : 4), lo, le);
    };
    let off = 0;
    for (const list of f.io) {
      for (let i = 0; i < list.length; i++, off += SIZEOF_KVM_S390_IRQ) {
        const u = off + S390_IRQ_U_OFFSET;
        setU64(off, BigInt(list.word(i, IO_TYPE)));
        const schid = list.word(i, IO_SCHID);
        dv.setUint16(u, schid >>> 16, le);
        dv.setUint16(u + 2, schid & 0xffff, le);
        dv.setUint32(u + 4, list.word(i, IO_PARM), le);
        dv.setUint32(u + 8, list.word(i, IO_WORD), le);
      }
    }
    const extList = (list: typeof f.pfault, type: number): void => {
      for (let i = 0; i < list.length; i++, off += SIZEOF_KVM_S390_IRQ) {
        const u = off + S390_IRQ_U_OFFSET;
        setU64(off, BigInt(type));
        dv.setUint32(u, list.word(i, EXT_PARAMS), le);
        dv.setUint32(u + 4, list.word(i, EXT_PAD), le);
        setP2(u + 8, list.word(i, EXT_P2_HI), list.word(i, EXT_P2_LO));
      }
    };
    extList(f.pfault, KVM_S390_INT_PFAULT_DONE);
    extList(f.virtio, KVM_S390_INT_VIRTIO);
    if (f.pending & ((1 << IRQ_PEND_EXT_SERVICE) | (1 << IRQ_PEND_EXT_SERVICE_EV))) {
      setU64(off, BigInt(KVM_S390_INT_SERVICE));
      dv.setUint32(off + S390_IRQ_U_OFFSET, f.srvParams, le);
      off += SIZEOF_KVM_S390_IRQ;
    }
    if (f.pending & (1 << IRQ_PEND_MCHK_REP)) {
      setU64(off, BigInt(KVM_S390_MCHK));
      setU64(off + S390_IRQ_U_OFFSET, BigInt(f.mchkCr14));
      setU64(off + S390_IRQ_U_OFFSET + 8, f.mchkMcic);
      off += SIZEOF_KVM_S390_IRQ;
    }
    return n;
  }

  /** KVM_DEV_FLIC_ADAPTER_REGISTER. */
  private registerAdapter(attr: DeviceAttr): number {
    const a = decodeIoAdapter(attr.addr, this.vm.endian);
    if (a.id >= MAX_S390_IO_ADAPTERS) fail(Errno.EINVAL, `ADAPTER_REGISTER: adapter id ${a.id} (0..${MAX_S390_IO_ADAPTERS - 1})`);
    const t = this.state.adapters;
    if (t.has(a.id)) fail(Errno.EINVAL, `ADAPTER_REGISTER: adapter ${a.id} is already registered`);
    t.register(a.id, a.isc, a.maskable !== 0, a.swap !== 0, (a.flags & KVM_S390_ADAPTER_SUPPRESSIBLE) !== 0);
    return 0;
  }

  /** KVM_DEV_FLIC_ADAPTER_MODIFY: MASK, or MAP/UNMAP (no-ops on current kernels). */
  private modifyAdapter(attr: DeviceAttr): number {
    const req = decodeIoAdapterReq(attr.addr, this.vm.endian);
    const t = this.state.adapters;
    if (!t.has(req.id)) fail(Errno.EINVAL, `ADAPTER_MODIFY: adapter ${req.id} is not registered`);
    switch (req.type) {
      case KVM_S390_IO_ADAPTER_MASK:
        if (t.maskable[req.id] === 0) fail(Errno.EINVAL, `ADAPTER_MODIFY: adapter ${req.id} is not maskable`);
        t.masked[req.id] = req.mask !== 0 ? 1 : 0;
        return 0;
      case KVM_S390_IO_ADAPTER_MAP:
      case KVM_S390_IO_ADAPTER_UNMAP:
        return 0;
      default:
        fail(Errno.EINVAL, `ADAPTER_MODIFY: request type ${req.type} (MASK 1, MAP 2, UNMAP 3)`);
    }
  }

  /** KVM_DEV_FLIC_CLEAR_IO_IRQ. */
  private clearIoIrq(attr: DeviceAttr): number {
    if (attr.flags !== 0) fail(Errno.EINVAL, `CLEAR_IO_IRQ: flags 0x${attr.flags.toString(16)} (must be 0)`);
    if (attr.attr !== 4n) fail(Errno.EINVAL, `CLEAR_IO_IRQ: attr ${attr.attr} (must be 4, the size of the word)`);
    const buf = attr.addr;
    if (buf === null || buf.byteLength < 4) fail(Errno.EFAULT, "CLEAR_IO_IRQ: unreadable subsystem-identification word");
    const schid = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, this.vm.endian === "le");
    if (schid === 0) fail(Errno.EINVAL, "CLEAR_IO_IRQ: subsystem-identification word 0");
    const before = this.state.floating.pending;
    this.state.floating.clearIo(schid);
    if (this.state.floating.pending !== before) this.state.refreshAll();
    return 0;
  }

  /** KVM_DEV_FLIC_AISM. */
  private modifyAisMode(attr: DeviceAttr): number {
    const s = this.state;
    if (!s.aisFacility) fail(Errno.EOPNOTSUPP, "AISM: the AIS facility is not enabled (KVM_CAP_S390_AIS)");
    const req = decodeAisReq(attr.addr, this.vm.endian);
    if (req.isc > MAX_ISC) fail(Errno.EINVAL, `AISM: isc ${req.isc} (0..${MAX_ISC})`);
    const next = aisSetMode(s, req.isc, req.mode);
    if (!next) fail(Errno.EINVAL, `AISM: mode ${req.mode} (ALL 0 or SINGLE 1)`);
    s.aisMode(req.isc, next.simm, next.nimm);
    return 0;
  }

  /** KVM_DEV_FLIC_AIRQ_INJECT: attr (32 bits) is the adapter id. */
  private injectAirq(attr: DeviceAttr): number {
    const id = Number(attr.attr & 0xffffffffn);
    const s = this.state;
    if (!s.adapters.has(id)) fail(Errno.EINVAL, `AIRQ_INJECT: adapter ${id} is not registered`);
    const r = s.injectAirq(id);
    if (r !== 0) fail(r, `AIRQ_INJECT: adapter ${id}: injection refused`);
    return 0;
  }

  /** KVM_DEV_FLIC_AISM_ALL get. */
  private aisModeGetAll(attr: DeviceAttr): number {
    if (attr.attr < BigInt(SIZEOF_KVM_S390_AIS_ALL)) fail(Errno.EINVAL, `AISM_ALL: attr ${attr.attr} (at least 2)`);
    const s = this.state;
    if (!s.aisFacility) fail(Errno.EOPNOTSUPP, "AISM_ALL: the AIS facility is not enabled (KVM_CAP_S390_AIS)");
    const buf = attr.addr;
    if (buf === null || buf.byteLength < SIZEOF_KVM_S390_AIS_ALL) fail(Errno.EFAULT, "AISM_ALL: unwritable buffer");
    buf.set(encodeAisAll({ simm: s.simm, nimm: s.nimm }));
    return 0;
  }

  /** KVM_DEV_FLIC_AISM_ALL set. */
  private aisModeSetAll(attr: DeviceAttr): number {
    const s = this.state;
    if (!s.aisFacility) fail(Errno.EOPNOTSUPP, "AISM_ALL: the AIS facility is not enabled (KVM_CAP_S390_AIS)");
    const a = decodeAisAll(attr.addr);
    s.simm = a.simm;
    s.nimm = a.nimm;
    return 0;
  }

  // ----------------------------------------------------------------- guest-side API

  /** Sets a vCPU's PSW interruption masks and control registers (omitted fields unchanged). */
  setVcpuControl(vcpu: Vcpu | number, control: VcpuControl): void {
    if (!this.state.vcpuState(vcpu)) fail(Errno.ENOENT, `no vCPU ${typeof vcpu === "number" ? vcpu : vcpu.id}`);
    // Validate every field before any is applied (a refused call changes nothing).
    for (const cr of ["cr0", "cr6", "cr14"] as const) {
      const v: unknown = control[cr];
      const ok =
        v === undefined ||
        (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) ||
        (typeof v === "bigint" && v >= 0n && v <= 0xffff_ffff_ffff_ffffn);
      if (!ok) fail(Errno.EINVAL, `setVcpuControl: ${cr} ${String(v)} is not a 64-bit control-register value`);
    }
    for (const m of ["ioEnabled", "extEnabled", "mcheckEnabled"] as const) {
      const v: unknown = control[m];
      if (v !== undefined && typeof v !== "boolean") fail(Errno.EINVAL, `setVcpuControl: ${m} ${String(v)} is not a boolean`);
    }
    this.state.setVcpuControl(vcpu, control);
  }

  vcpuControl(vcpu: Vcpu | number): VcpuControlState {
    const s = this.state.vcpuState(vcpu);
    if (!s) fail(Errno.ENOENT, `no vCPU ${typeof vcpu === "number" ? vcpu : vcpu.id}`);
    return s.state();
  }

  /**
   * Takes (dequeues) the highest-priority interruption deliverable to `vcpu` in KVM's order and
   * returns the vCPU's delivery record (overwritten by its next delivery), or null.
   */
  deliver(vcpu: Vcpu | number): DeliveredIrq | null {
    return this.state.deliver(vcpu);
  }

  /** Whether `vcpu` could take an interruption now. */
  hasDeliverable(vcpu: Vcpu | number): boolean {
    const s = this.state.vcpuState(vcpu);
    return s ? this.state.deliverableMask(s) !== 0 : false;
  }

  /** SIGP emergency signal from `from` to `to` (the s390 IPI). EINVAL for an unknown CPU. */
  emergencySignal(from: Vcpu | number, to: Vcpu | number): void {
    const f = typeof from === "number" ? from : from.id;
    const r = this.state.injectEmergency(to, f);
    if (r !== 0) fail(r, `emergency signal from CPU ${f} to ${typeof to === "number" ? to : to.id}`);
  }

  /**
   * Source CPU addresses of the SIGP emergency signals pending at `vcpu`, ascending (what
   * KVM_S390_GET_IRQ_STATE reports as KVM_S390_INT_EMERGENCY items).
   */
  pendingEmergencySignals(vcpu: Vcpu | number): number[] {
    const s = this.state.vcpuState(vcpu);
    if (!s) fail(Errno.ENOENT, `no vCPU ${typeof vcpu === "number" ? vcpu : vcpu.id}`);
    const out: number[] = [];
    for (let from = 0; from < s.emergencyFrom.length; from++) if (s.emergencyFrom[from]) out.push(from);
    return out;
  }

  /** The registered adapters (what a snapshot records; KVM has no read-back ioctl). */
  adapters(): AdapterInfo[] {
    return this.state.adapters.list();
  }

  get aisEnabled(): boolean {
    return this.state.aisFacility;
  }

  get apfEnabled(): boolean {
    return this.state.apfEnabled;
  }

  counters(): Record<string, number> {
    return this.state.counters();
  }

  dumpState(): string {
    const s = this.state;
    const f = s.floating;
    const lines: string[] = [];
    lines.push(
      `FLIC kvm-flic: ${f.itemCount()} floating interrupt(s); AIS ${s.aisFacility ? `on simm=${hex(s.simm, 2)} nimm=${hex(s.nimm, 2)}` : "off"}; APF ${s.apfEnabled ? "on" : "off"}`,
    );
    lines.push(`  pending: ${classNames(f.pending).join(" ") || "-"}`);
    for (let isc = 0; isc < f.io.length; isc++) {
      const list = f.io[isc];
      if (list.length === 0) continue;
      const shown: string[] = [];
      for (let i = 0; i < list.length && i < 4; i++) {
        const schid = list.word(i, IO_SCHID);
        shown.push(
          `type ${hex(list.word(i, IO_TYPE))} schid ${hex(schid >>> 16, 4)}.${hex(schid & 0xffff, 4)} parm ${hex(list.word(i, IO_PARM))} word ${hex(list.word(i, IO_WORD))}`,
        );
      }
      lines.push(`  ISC ${isc}: ${list.length} queued: ${shown.join("; ")}${list.length > 4 ? "; ..." : ""}`);
    }
    if (f.virtioCount) lines.push(`  virtio: ${f.virtioCount} queued`);
    if (f.pfaultCount) lines.push(`  pfault done: ${f.pfaultCount} queued`);
    if (f.pending & ((1 << IRQ_PEND_EXT_SERVICE) | (1 << IRQ_PEND_EXT_SERVICE_EV))) {
      lines.push(`  service signal: ext_params ${hex(f.srvParams)}`);
    }
    if (f.pending & (1 << IRQ_PEND_MCHK_REP)) lines.push(`  machine check: cr14 ${hex(f.mchkCr14)} mcic ${hex(f.mchkMcic, 16)}`);
    for (const a of s.adapters.list()) {
      lines.push(
        `  adapter ${a.id}: isc ${a.isc}${a.isc <= MAX_ISC && s.aisFacility ? ` (${aisModeName(s, a.isc)})` : ""}${a.maskable ? " maskable" : ""}${a.masked ? " MASKED" : ""}${a.swap ? " swap" : ""}${a.suppressible ? " suppressible" : ""}`,
      );
    }
    for (const v of s.vcpuStates) {
      const psw = [v.ioEnabled ? "io" : "", v.extEnabled ? "ext" : "", v.mcheckEnabled ? "mchk" : ""].filter(Boolean).join(",") || "disabled";
      lines.push(
        `  vcpu ${v.vcpu.id}: psw ${psw} cr0 ${hex(v.cr0, 16)} cr6 ${hex(v.cr6, 16)} cr14 ${hex(v.cr14, 16)} deliverable ${classNames(s.deliverableMask(v)).join(" ") || "-"} delivered ${v.delivered}`,
      );
    }
    return lines.join("\n");
  }
}
