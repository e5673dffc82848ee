/**
 * Save/restore of the FLIC through its own UAPI, the way QEMU migrates it (s390-flic-kvm):
 *
 *   save:    APF_DISABLE_WAIT (no async-fault completion may arrive while the list is read)
 *            -> GET_ALL_IRQS, retried with a doubled buffer on ENOMEM
 *            -> AISM_ALL get (when AIS is enabled)   -> adapters (userspace's own records)
 *            -> vCPU control registers and pending SIGP emergency signals (CPU state: the
 *               vCPU-local interrupts KVM_S390_GET_IRQ_STATE reports, migrated with the CPUs)
 *   restore: whole snapshot validated first (EINVAL; a FLIC already holding adapters or
 *            interrupts: EBUSY), so a refused snapshot changes nothing; then
 *            ADAPTER_REGISTER (+ MODIFY MASK)  -> AISM_ALL set  -> ENQUEUE the list
 *            -> APF_ENABLE if it was enabled   -> vCPU control registers, emergency signals
 *
 * The snapshot is plain versioned JSON (no handles); the interrupt list is the GET_ALL_IRQS
 * buffer in hex with its byte order as a sanity field. ENQUEUE re-evaluates every vCPU, so
 * pending interrupts are re-presented on the restored VM.
 */
import { Errno, fail, parseSnapshot, type DeviceHandle, KvmError, type Endian } from "@irqlab/core";
import {
  KVM_DEV_FLIC_ADAPTER_MODIFY,
  KVM_DEV_FLIC_ADAPTER_REGISTER,
  KVM_DEV_FLIC_AISM_ALL,
  KVM_DEV_FLIC_APF_DISABLE_WAIT,
  KVM_DEV_FLIC_APF_ENABLE,
  KVM_DEV_FLIC_ENQUEUE,
  KVM_DEV_FLIC_GET_ALL_IRQS,
  KVM_S390_ADAPTER_SUPPRESSIBLE,
  KVM_S390_FLIC_MAX_BUFFER,
  KVM_S390_INT_PFAULT_DONE,
  KVM_S390_INT_PFAULT_INIT,
  KVM_S390_INT_VIRTIO,
  KVM_S390_IO_ADAPTER_MASK,
  KVM_S390_MAX_FLOAT_IRQS,
  KVM_S390_MAX_PFAULT_IRQS,
  KVM_S390_MAX_VIRTIO_IRQS,
  MAX_S390_IO_ADAPTERS,
  SIZEOF_KVM_S390_IRQ,
} from "./constants.js";
import type { FlicDevice } from "./flic-device.js";
import { decodeAisAll, encodeAisAll, encodeIoAdapter, encodeIoAdapterReq, irqPayloadOf } from "./structs.js";
import type { AdapterInfo } from "./adapters.js";

export const FLIC_SNAPSHOT_VERSION = 1;

export interface FlicVcpuSnapshot {
  cr0: string;
  cr6: string;
  cr14: string;
  ioEnabled: boolean;
  extEnabled: boolean;
  mcheckEnabled: boolean;
  /**
   * Pending SIGP emergency signals, as source CPU addresses in ascending order (what
   * KVM_S390_GET_IRQ_STATE reports as KVM_S390_INT_EMERGENCY items). Absent = none.
   */
  emergency?: number[];
}

export interface FlicSnapshot {
  version: number;
  /** Byte order of `irqs` (must match the destination VM). */
  endian: Endian;
  /** Number of struct kvm_s390_irq records in `irqs`. */
  count: number;
  /** The GET_ALL_IRQS buffer, hex. */
  irqs: string;
  /** AISM_ALL state, present when the AIS facility is enabled. */
  ais?: { simm: number; nimm: number };
  adapters: AdapterInfo[];
  apfEnabled: boolean;
  /** vCPU control registers (CPU state, migrated with the CPUs); present when requested. */
  vcpus?: FlicVcpuSnapshot[];
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
function toHex(b: Uint8Array): string {
  const parts = new Array<string>(b.length);
  for (let i = 0; i < b.length; i++) parts[i] = HEX[b[i]];
  return parts.join("");
}
/** Reads the whole floating list with GET_ALL_IRQS, growing the buffer on ENOMEM. */
export function getAllIrqs(flic: DeviceHandle): { count: number; bytes: Uint8Array } {
  let size = 64 * SIZEOF_KVM_S390_IRQ;
  for (;;) {
    const buf = new Uint8Array(size);
    try {
      const count = flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: size, addr: buf });
      return { count, bytes: buf.slice(0, count * SIZEOF_KVM_S390_IRQ) };
    } catch (e) {
      if (!KvmError.is(e, Errno.ENOMEM) || size >= KVM_S390_FLIC_MAX_BUFFER) throw e;
      size = Math.min(size * 2, Math.floor(KVM_S390_FLIC_MAX_BUFFER / SIZEOF_KVM_S390_IRQ) * SIZEOF_KVM_S390_IRQ);
    }
  }
}

export function saveFlic(flic: DeviceHandle, opts: { vcpus?: boolean } = {}): FlicSnapshot {
  const dev = flic.backend<FlicDevice>();
  const apfEnabled = dev.apfEnabled;
  flic.setAttr({ group: KVM_DEV_FLIC_APF_DISABLE_WAIT, attr: 0 });
  const { count, bytes } = getAllIrqs(flic);
  const snap: FlicSnapshot = {
    version: FLIC_SNAPSHOT_VERSION,
    endian: flic.kvmDevice.vm.endian,
    count,
    irqs: toHex(bytes),
    adapters: dev.adapters(),
    apfEnabled,
  };
  if (dev.aisEnabled) {
    const ais = new Uint8Array(2);
    flic.getAttr({ group: KVM_DEV_FLIC_AISM_ALL, attr: 2, addr: ais });
    snap.ais = decodeAisAll(ais);
  }
  if (opts.vcpus ?? true) {
    snap.vcpus = flic.kvmDevice.vm.vcpus.map((v) => {
      const c = dev.vcpuControl(v);
      return {
        cr0: c.cr0.toString(),
        cr6: c.cr6.toString(),
        cr14: c.cr14.toString(),
        ioEnabled: c.ioEnabled,
        extEnabled: c.extEnabled,
        mcheckEnabled: c.mcheckEnabled,
        emergency: dev.pendingEmergencySignals(v),
      };
    });
  }
  // The source keeps running as before the save.
  if (apfEnabled) flic.setAttr({ group: KVM_DEV_FLIC_APF_ENABLE, attr: 0 });
  return snap;
}

interface CheckedSnapshot {
  irqs: Uint8Array;
  adapters: AdapterInfo[];
  ais: { simm: number; nimm: number } | null;
  apfEnabled: boolean;
  vcpus: Array<{ cr0: bigint; cr6: bigint; cr14: bigint; io: boolean; ext: boolean; mchk: boolean; emergency: number[] }> | null;
}

/**
 * Step 1 of the restore (core snapshot.ts): everything restoreFlic will hand to the FLIC,
 * checked and copied before anything is changed. A snapshot a FLIC cannot have produced is
 * EINVAL here (sparse arrays, accessors, null-prototype objects are read as plain JSON)
 * instead of failing halfway through the restore.
 */
function checkSnapshot(snap: unknown, flic: DeviceHandle, dev: FlicDevice): CheckedSnapshot {
  const vm = flic.kvmDevice.vm;
  return parseSnapshot("FLIC", snap, (r, raw) => {
    const o = r.obj(raw, "snapshot");
    const g = (k: string) => r.get(o, k, "snapshot");
    r.oneOf(g("version"), "version", [FLIC_SNAPSHOT_VERSION]);
    r.oneOf(g("endian"), "endian (byte order of the VM)", [vm.endian]);
    const irqs = r.hex(g("irqs"), "irqs");
    const count = r.int(g("count"), "count", 0, Number.MAX_SAFE_INTEGER);
    if (irqs.length !== count * SIZEOF_KVM_S390_IRQ) r.bad("count", `${count} records, irqs holds ${irqs.length} bytes`);
    // The records ENQUEUE would refuse (unknown or vCPU-only types, more than the queues hold).
    const dv = new DataView(irqs.buffer, irqs.byteOffset, irqs.byteLength);
    const le = vm.endian === "le";
    let io = 0;
    let virtio = 0;
    let pfault = 0;
    for (let off = 0; off < irqs.length; off += SIZEOF_KVM_S390_IRQ) {
      const type = dv.getBigUint64(off, le);
      const kind = irqPayloadOf(type);
      if (kind === "invalid" || type === BigInt(KVM_S390_INT_PFAULT_INIT)) {
        r.bad(`irqs record ${off / SIZEOF_KVM_S390_IRQ}`, `has type 0x${type.toString(16)}, not a floating interrupt`);
      }
      if (kind === "io") io++;
      else if (type === BigInt(KVM_S390_INT_VIRTIO)) virtio++;
      else if (type === BigInt(KVM_S390_INT_PFAULT_DONE)) pfault++;
    }
    if (io > KVM_S390_MAX_FLOAT_IRQS || virtio > KVM_S390_MAX_VIRTIO_IRQS || pfault > KVM_S390_MAX_PFAULT_IRQS) {
      r.bad("irqs", `${io} I/O, ${virtio} virtio, ${pfault} pfault-done records exceed the queue limits`);
    }
    const ids = new Set<number>();
    const adapters = r.arr(g("adapters"), "adapters", (el, path) => {
      const a = r.obj(el, path);
      const f = (k: string) => r.get(a, k, path);
      const id = r.unique(ids, r.int(f("id"), `${path}.id`, 0, MAX_S390_IO_ADAPTERS - 1), `${path}.id`);
      const isc = r.u8(f("isc"), `${path}.isc`);
      const maskable = r.bool(f("maskable"), `${path}.maskable`);
      const masked = r.bool(f("masked"), `${path}.masked`);
      if (masked && !maskable) r.bad(path, "is masked but not maskable");
      return { id, isc, maskable, masked, swap: r.bool(f("swap"), `${path}.swap`), suppressible: r.bool(f("suppressible"), `${path}.suppressible`) };
    }, MAX_S390_IO_ADAPTERS);
    let ais: CheckedSnapshot["ais"] = null;
    if (g("ais") !== undefined) {
      const a = r.obj(g("ais"), "ais");
      ais = { simm: r.u8(r.get(a, "simm", "ais"), "ais.simm"), nimm: r.u8(r.get(a, "nimm", "ais"), "ais.nimm") };
      if (!dev.aisEnabled) fail(Errno.EOPNOTSUPP, "FLIC snapshot carries AIS state, the destination has no AIS facility");
    }
    const apfEnabled = r.bool(g("apfEnabled"), "apfEnabled");
    let vcpus: CheckedSnapshot["vcpus"] = null;
    if (g("vcpus") !== undefined) {
      vcpus = r.arr(g("vcpus"), "vcpus", (el, path) => {
        const c = r.obj(el, path);
        const f = (k: string) => r.get(c, k, path);
        const em = f("emergency");
        const emergency = em === undefined ? [] : r.arr(em, `${path}.emergency`, (x, p) => r.int(x, p, 0, vm.vcpus.length - 1));
        return {
          cr0: r.u64(f("cr0"), `${path}.cr0`),
          cr6: r.u64(f("cr6"), `${path}.cr6`),
          cr14: r.u64(f("cr14"), `${path}.cr14`),
          io: r.bool(f("ioEnabled"), `${path}.ioEnabled`),
          ext: r.bool(f("extEnabled"), `${path}.extEnabled`),
          mchk: r.bool(f("mcheckEnabled"), `${path}.mcheckEnabled`),
          emergency,
        };
      });
      if (vcpus.length !== vm.vcpus.length) r.bad("vcpus", `has ${vcpus.length} vCPUs, the VM ${vm.vcpus.length}`);
    }
    return { irqs, adapters, ais, apfEnabled, vcpus };
  });
}

/**
 * Restores `snap` into a fresh FLIC. The whole snapshot is checked first (EINVAL: version,
 * byte order, shape, record count and types, adapters, vCPUs; EOPNOTSUPP: AIS state without the
 * facility; EBUSY: the destination already holds adapters or floating interrupts), so a refused
 * snapshot changes nothing; then the documented order.
 */
export function restoreFlic(flic: DeviceHandle, snap: FlicSnapshot): void {
  const vm = flic.kvmDevice.vm;
  const dev = flic.backend<FlicDevice>();
  const checked = checkSnapshot(snap, flic, dev);
  if (dev.adapters().length > 0 || dev.state.floating.itemCount() > 0) {
    fail(Errno.EBUSY, "FLIC restore needs a fresh FLIC: the destination already holds adapters or floating interrupts");
  }
  for (const a of checked.adapters) {
    flic.setAttr({
      group: KVM_DEV_FLIC_ADAPTER_REGISTER,
      attr: 0,
      addr: encodeIoAdapter(
        { id: a.id, isc: a.isc, maskable: a.maskable ? 1 : 0, swap: a.swap ? 1 : 0, flags: a.suppressible ? KVM_S390_ADAPTER_SUPPRESSIBLE : 0 },
        vm.endian,
      ),
    });
    if (a.masked) {
      flic.setAttr({
        group: KVM_DEV_FLIC_ADAPTER_MODIFY,
        attr: 0,
        addr: encodeIoAdapterReq({ id: a.id, type: KVM_S390_IO_ADAPTER_MASK, mask: 1, addr: 0n }, vm.endian),
      });
    }
  }
  if (checked.ais) flic.setAttr({ group: KVM_DEV_FLIC_AISM_ALL, attr: 2, addr: encodeAisAll(checked.ais) });
  const irqs = checked.irqs;
  if (irqs.length > 0) flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: irqs.length, addr: irqs });
  if (checked.apfEnabled) flic.setAttr({ group: KVM_DEV_FLIC_APF_ENABLE, attr: 0 });
  if (checked.vcpus) {
    checked.vcpus.forEach((c, i) => {
      dev.setVcpuControl(i, { cr0: c.cr0, cr6: c.cr6, cr14: c.cr14, ioEnabled: c.io, extEnabled: c.ext, mcheckEnabled: c.mchk });
      for (const from of c.emergency) dev.emergencySignal(from, i);
    });
  }
}
