// Test helpers: a ppc64 VM with the XIVE plugin, a device, connected vCPUs, a configured
// queue and targeted sources, plus attribute shorthands.
import { createVm, encodeU32, encodeU64, errnoOf, type DeviceHandle, type DeviceMapping, type Vm } from "@irqlab/core";
import { encodeEqId, encodeSourceConfig, encodeSourceValue, encodeXiveEq } from "./codecs.js";
import {
  KVM_CAP_PPC_IRQ_XIVE,
  KVM_DEV_TYPE_XIVE,
  KVM_DEV_XIVE_GRP_CTRL,
  KVM_DEV_XIVE_GRP_EQ_CONFIG,
  KVM_DEV_XIVE_GRP_SOURCE,
  KVM_DEV_XIVE_GRP_SOURCE_CONFIG,
  KVM_DEV_XIVE_NR_SERVERS,
  KVM_DEV_XIVE_RESET,
  KVM_XIVE_EQ_ALWAYS_NOTIFY,
  XIVE_PAGE_SIZE,
} from "./constants.js";
import type { XiveDevice } from "./device.js";
import { createXiveModule, type XiveModuleOptions } from "./module.js";

export const QBASE = 0x2000_0000;
export const qaddrOf = (server: number, prio: number) => QBASE + (server * 8 + prio) * 0x10000;

export interface Rig {
  vm: Vm;
  h: DeviceHandle;
  dev: XiveDevice;
  tima: DeviceMapping;
  esb: DeviceMapping;
}

export function rig(vcpus = 2, opts: XiveModuleOptions = {}, connect = true): Rig {
  const vm = createVm({ arch: "ppc64", vcpus, modules: [createXiveModule(opts)] });
  const h = vm.createDevice(KVM_DEV_TYPE_XIVE);
  if (connect) for (const v of vm.vcpus) v.enableCap(KVM_CAP_PPC_IRQ_XIVE, [h, v.id]);
  const tima = h.mmap(0, 4 * XIVE_PAGE_SIZE);
  const esb = h.mmap(4 * XIVE_PAGE_SIZE, 0);
  return { vm, h, dev: h.backend<XiveDevice>(), tima, esb };
}

export function createSource(r: Rig, irq: number | bigint, lsi = false, asserted = false): number {
  return errnoOf(() => r.h.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE, attr: irq, addr: encodeU64(encodeSourceValue({ levelSensitive: lsi, asserted }), r.vm.endian) }));
}

export function sourceConfig(r: Rig, irq: number | bigint, server: number, priority: number, eisn: number, masked = false): number {
  return errnoOf(() =>
    r.h.setAttr({ group: KVM_DEV_XIVE_GRP_SOURCE_CONFIG, attr: irq, addr: encodeU64(encodeSourceConfig({ server, priority, masked, eisn }), r.vm.endian) }),
  );
}

export function eqConfig(r: Rig, server: number, priority: number, eq: Partial<{ flags: number; qshift: number; qaddr: bigint; qtoggle: number; qindex: number }> = {}): number {
  const full = { flags: KVM_XIVE_EQ_ALWAYS_NOTIFY, qshift: 16, qaddr: BigInt(qaddrOf(server, priority)), qtoggle: 1, qindex: 0, ...eq };
  return errnoOf(() => r.h.setAttr({ group: KVM_DEV_XIVE_GRP_EQ_CONFIG, attr: encodeEqId({ server, priority }), addr: encodeXiveEq(full, r.vm.endian) }));
}

export function eqGet(r: Rig, server: number, priority: number, buf = new Uint8Array(64).fill(0xaa)): { rc: number; buf: Uint8Array } {
  const rc = errnoOf(() => r.h.getAttr({ group: KVM_DEV_XIVE_GRP_EQ_CONFIG, attr: encodeEqId({ server, priority }), addr: buf }));
  return { rc, buf };
}

export function ctrlReset(r: Rig): number {
  return errnoOf(() => r.h.setAttr({ group: KVM_DEV_XIVE_GRP_CTRL, attr: KVM_DEV_XIVE_RESET }));
}

export function nrServers(r: Rig, n: number): number {
  return errnoOf(() => r.h.setAttr({ group: KVM_DEV_XIVE_GRP_CTRL, attr: KVM_DEV_XIVE_NR_SERVERS, addr: encodeU32(n, r.vm.endian) }));
}

/** Offsets in the mappings. */
export const mgmt = (irq: number, off: number) => irq * 2 * XIVE_PAGE_SIZE + XIVE_PAGE_SIZE + off;
export const trig = (irq: number) => irq * 2 * XIVE_PAGE_SIZE;
export const OS = 2 * XIVE_PAGE_SIZE;

/** A targeted, enabled source with a configured queue on (server, prio). */
export function ready(r: Rig, irq: number, server = 0, prio = 6, eisn = irq + 1): void {
  if (createSource(r, irq)) throw new Error("create");
  if (!r.dev.xive.servers.get(server)!.queues.configured[prio] && eqConfig(r, server, prio)) throw new Error("eq");
  if (sourceConfig(r, irq, server, prio, eisn)) throw new Error("cfg");
  r.esb.read(mgmt(irq, 0xc00), 8);
}

/** Entry `i` of the queue (server, prio) in guest memory. */
export function entry(r: Rig, server: number, prio: number, i: number): number {
  return r.vm.memory.read(qaddrOf(server, prio) + 4 * i, 4, "be");
}
