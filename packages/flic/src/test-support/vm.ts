/** Test fixtures: an s390 VM with the FLIC, and terse wrappers around the attribute calls. */
import { createVm, errnoOf, KVM_DEV_TYPE_FLIC, type DeviceHandle, type Vm } from "@irqlab/core";
import {
  CR0_EMERGENCY_SIGNAL_SUBMASK,
  CR0_SERVICE_SIGNAL_SUBMASK,
  CR14_CHANNEL_REPORT_SUBMASK,
  KVM_DEV_FLIC_ADAPTER_MODIFY,
  KVM_DEV_FLIC_ADAPTER_REGISTER,
  KVM_DEV_FLIC_AISM,
  KVM_DEV_FLIC_AISM_ALL,
  KVM_DEV_FLIC_ENQUEUE,
  KVM_DEV_FLIC_GET_ALL_IRQS,
  SIZEOF_KVM_S390_IRQ,
} from "../constants.js";
import type { FlicDevice } from "../flic-device.js";
import { createFlicModule } from "../module.js";
import {
  decodeAisAll,
  decodeS390Irqs,
  encodeAisAll,
  encodeAisReq,
  encodeIoAdapter,
  encodeIoAdapterReq,
  encodeS390Irqs,
  type S390IoAdapter,
  type S390IoAdapterReq,
  type S390Irq,
} from "../structs.js";

export interface Fixture {
  vm: Vm;
  flic: DeviceHandle;
  dev: FlicDevice;
}

export function makeVm(opts: { vcpus?: number; ais?: boolean; memorySize?: number } = {}): Vm {
  return createVm({
    arch: "s390x",
    vcpus: opts.vcpus ?? 1,
    memorySize: opts.memorySize,
    modules: [createFlicModule({ ais: opts.ais ?? false })],
  });
}

export function fixture(opts: { vcpus?: number; ais?: boolean; memorySize?: number } = {}): Fixture {
  const vm = makeVm(opts);
  const flic = vm.createDevice(KVM_DEV_TYPE_FLIC);
  return { vm, flic, dev: flic.backend<FlicDevice>() };
}

export function enqueue(flic: DeviceHandle, irqs: readonly S390Irq[]): number {
  const buf = encodeS390Irqs(irqs);
  return flic.setAttr({ group: KVM_DEV_FLIC_ENQUEUE, attr: buf.length, addr: buf });
}

/** GET_ALL_IRQS with room for `room` records, decoded. */
export function getAll(flic: DeviceHandle, room = 64): S390Irq[] {
  const buf = new Uint8Array(room * SIZEOF_KVM_S390_IRQ);
  const n = flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: buf.length, addr: buf });
  return decodeS390Irqs(buf, n);
}

/** GET_ALL_IRQS raw bytes (n records). */
export function getAllBytes(flic: DeviceHandle, room = 64): Uint8Array {
  const buf = new Uint8Array(room * SIZEOF_KVM_S390_IRQ);
  const n = flic.getAttr({ group: KVM_DEV_FLIC_GET_ALL_IRQS, attr: buf.length, addr: buf });
  return buf.slice(0, n * SIZEOF_KVM_S390_IRQ);
}

export function register(flic: DeviceHandle, a: Partial<S390IoAdapter> & { id: number }): number {
  return flic.setAttr({
    group: KVM_DEV_FLIC_ADAPTER_REGISTER,
    attr: 0,
    addr: encodeIoAdapter({ isc: 0, maskable: 0, swap: 0, flags: 0, ...a }),
  });
}

export function modify(flic: DeviceHandle, r: Partial<S390IoAdapterReq> & { id: number; type: number }): number {
  return flic.setAttr({
    group: KVM_DEV_FLIC_ADAPTER_MODIFY,
    attr: 0,
    addr: encodeIoAdapterReq({ mask: 0, addr: 0n, ...r }),
  });
}

export function aism(flic: DeviceHandle, isc: number, mode: number): number {
  return flic.setAttr({ group: KVM_DEV_FLIC_AISM, attr: 0, addr: encodeAisReq({ isc, mode }) });
}

export function aisAllGet(flic: DeviceHandle): { simm: number; nimm: number } {
  const b = new Uint8Array(2);
  flic.getAttr({ group: KVM_DEV_FLIC_AISM_ALL, attr: 2, addr: b });
  return decodeAisAll(b);
}

export function aisAllSet(flic: DeviceHandle, simm: number, nimm: number): number {
  return flic.setAttr({ group: KVM_DEV_FLIC_AISM_ALL, attr: 2, addr: encodeAisAll({ simm, nimm }) });
}

/** Every vCPU enabled for everything the FLIC can deliver. */
export function enableAll(dev: FlicDevice, vm: Vm): void {
  for (const v of vm.vcpus) {
    dev.setVcpuControl(v, {
      cr0: CR0_SERVICE_SIGNAL_SUBMASK | CR0_EMERGENCY_SIGNAL_SUBMASK,
      cr6: 0xff000000,
      cr14: CR14_CHANNEL_REPORT_SUBMASK,
      ioEnabled: true,
      extEnabled: true,
      mcheckEnabled: true,
    });
  }
}

export { errnoOf };
