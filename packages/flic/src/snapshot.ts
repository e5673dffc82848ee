/**
 * Save/restore of the FLIC through its own UAPI, the way QEMU migrates it (s390-flic-kvm):
 *
 *   save:    APF_DISABLE_WAIT (no async-fault completion may arrive while the list is read)
 *            -> GET_ALL_IRQS, retried with a doubled buffer on ENOMEM
 *            -> AISM_ALL get (when AIS is enabled)   -> adapters (userspace's own records)
 *   restore: ADAPTER_REGISTER (+ MODIFY MASK)  -> AISM_ALL set  -> ENQUEUE the list
 *            -> APF_ENABLE if it was enabled   -> vCPU control registers (CPU state)
 *
 * The snapshot is plain versioned JSON (no handles); the interrupt list is the GET_ALL_IRQS
 * buffer in hex with its byte order as a sanity field. ENQUEUE re-evaluates every vCPU, so
 * pending interrupts are re-presented on the restored VM.
 */
import { Errno, fail, type DeviceHandle, KvmError, type Endian } from "@irqlab/core";
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
  KVM_S390_IO_ADAPTER_MASK,
  SIZEOF_KVM_S390_IRQ,
} from "./constants.js";
import type { FlicDevice } from "./flic-device.js";
import { decodeAisAll, encodeAisAll, encodeIoAdapter, encodeIoAdapterReq } from "./structs.js";
import type { AdapterInfo } from "./adapters.js";

export const FLIC_SNAPSHOT_VERSION = 1;

export interface FlicVcpuSnapshot {
  cr0: string;
  cr6: string;
  cr14: string;
  ioEnabled: boolean;
  extEnabled: boolean;
  mcheckEnabled: boolean;
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
function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0) fail(Errno.EINVAL, "snapshot: irqs is not a hex string");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(s.charCodeAt(2 * i));
    const lo = nibble(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) fail(Errno.EINVAL, "snapshot: irqs is not a hex string");
    out[i] = (hi << 4) | lo;
  }
  return out;
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
      };
    });
  }
  // The source keeps running as before the save.
  if (apfEnabled) flic.setAttr({ group: KVM_DEV_FLIC_APF_ENABLE, attr: 0 });
  return snap;
}

/**
 * Restores `snap` into a fresh FLIC. Sanity checks first (EINVAL: version, byte order, record
 * count, vCPU count), so a refused snapshot changes nothing; then the documented order.
 */
export function restoreFlic(flic: DeviceHandle, snap: FlicSnapshot): void {
  const vm = flic.kvmDevice.vm;
  const dev = flic.backend<FlicDevice>();
  if (snap.version !== FLIC_SNAPSHOT_VERSION) fail(Errno.EINVAL, `FLIC snapshot version ${snap.version} (expected ${FLIC_SNAPSHOT_VERSION})`);
  if (snap.endian !== vm.endian) fail(Errno.EINVAL, `FLIC snapshot byte order ${snap.endian}, VM is ${vm.endian}`);
  const irqs = fromHex(snap.irqs);
  if (irqs.length !== snap.count * SIZEOF_KVM_S390_IRQ) fail(Errno.EINVAL, `FLIC snapshot: ${irqs.length} bytes for ${snap.count} records`);
  if (snap.vcpus && snap.vcpus.length !== vm.vcpus.length) {
    fail(Errno.EINVAL, `FLIC snapshot has ${snap.vcpus.length} vCPUs, the VM ${vm.vcpus.length}`);
  }
  if (snap.ais && !dev.aisEnabled) fail(Errno.EOPNOTSUPP, "FLIC snapshot carries AIS state, the destination has no AIS facility");
  for (const a of snap.adapters) {
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
  if (snap.ais) flic.setAttr({ group: KVM_DEV_FLIC_AISM_ALL, attr: 2, addr: encodeAisAll(snap.ais) });
  if (snap.count > 0) flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: irqs.length, addr: irqs });
  if (snap.apfEnabled) flic.setAttr({ group: KVM_DEV_FLIC_APF_ENABLE, attr: 0 });
  if (snap.vcpus) {
    snap.vcpus.forEach((c, i) =>
      dev.setVcpuControl(i, {
        cr0: BigInt(c.cr0),
        cr6: BigInt(c.cr6),
        cr14: BigInt(c.cr14),
        ioEnabled: c.ioEnabled,
        extEnabled: c.extEnabled,
        mcheckEnabled: c.mcheckEnabled,
      }),
    );
  }
}
