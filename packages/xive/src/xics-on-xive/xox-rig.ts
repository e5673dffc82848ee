// Test helpers for XICS-on-XIVE: a ppc64 VM with the plugin, the device, connected vCPUs,
// source words and queue inspection.
import { createVm, encodeU64, decodeU64, type DeviceHandle, type Vm, type ContainerModule } from "@irqlab/core";
import { KVM_CAP_IRQ_XICS, KVM_DEV_TYPE_XICS } from "@irqlab/core";
import { KVM_DEV_XICS_GRP_SOURCES, encodeSourceWord, decodeSourceWord, type SourceWord, H_CPPR, KVM_REG_PPC_ICP_STATE } from "@irqlab/xics";
import { createXicsOnXiveModule, type XicsOnXiveModuleOptions } from "./module.js";
import type { XicsOnXiveDevice } from "./device.js";
import type { XicsOnXive } from "./xics-on-xive.js";
import type { XoxVcpu } from "./xox-state.js";

export interface XRig {
  vm: Vm;
  h: DeviceHandle;
  dev: XicsOnXiveDevice;
  x: XicsOnXive;
}

export function xrig(vcpus = 2, opts: XicsOnXiveModuleOptions = {}, connect = true, extra: ContainerModule[] = []): XRig {
  const vm = createVm({ arch: "ppc64", vcpus, modules: [...extra, createXicsOnXiveModule(opts)] });
  const h = vm.createDevice(KVM_DEV_TYPE_XICS);
  if (connect) for (const v of vm.vcpus) v.enableCap(KVM_CAP_IRQ_XICS, [h, v.id]);
  const dev = h.backend<XicsOnXiveDevice>();
  return { vm, h, dev, x: dev.xox };
}

export function xv(r: XRig, cpu: number): XoxVcpu {
  return r.x.xvcpuOf(r.vm.vcpus[cpu])!;
}

export function setSrc(r: XRig, irq: number, w: Partial<SourceWord> & { server: number; priority: number }): void {
  r.h.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: irq, addr: encodeU64(encodeSourceWord(w), r.vm.endian) });
}

export function getSrc(r: XRig, irq: number): SourceWord {
  const buf = new Uint8Array(8);
  r.h.getAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: irq, addr: buf });
  return decodeSourceWord(decodeU64(buf, r.vm.endian));
}

/** A source created masked, then targeted and unmasked through RTAS (as Linux does). */
export function ready(r: XRig, irq: number, server = 0, prio = 5, lsi = false): void {
  setSrc(r, irq, { server, priority: 0xff, masked: true, levelSensitive: lsi });
  expect0(r.vm.vcpus[0].rtas("ibm,set-xive", [irq, server, prio], 1)[0]);
}

function expect0(v: number): void {
  if (v !== 0) throw new Error(`RTAS status ${v}`);
}

/** Opens every vCPU's CPPR (H_CPPR 0xFF). */
export function openCppr(r: XRig): void {
  for (const v of r.vm.vcpus) v.hcall(H_CPPR, 0xff);
}

/** Valid entries of queue `prio` of `cpu` from the reader position (not consumed). */
export function queued(r: XRig, cpu: number, prio: number): number[] {
  const q = xv(r, cpu).queues;
  const out: number[] = [];
  if (!q.configured[prio]) return out;
  let idx = q.readIdx[prio];
  let tog = q.readToggle[prio];
  for (;;) {
    const e = q.peekAt(r.x.hostMemory, prio, idx, tog);
    if (e === 0) return out;
    out.push(e);
    idx = q.scanIdx;
    tog = q.scanToggle;
  }
}

export function icpWord(r: XRig, cpu: number): bigint {
  return r.vm.vcpus[cpu].getOneRegU64(KVM_REG_PPC_ICP_STATE);
}
