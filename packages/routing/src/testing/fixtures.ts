/**
 * A VM with routing and (optionally) a RecordingChip, for tests of routing and of packages
 * built on it. Route-entry builders keep tests short.
 */
import {
  createVm,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_IRQ_ROUTING_S390_ADAPTER,
  type AdapterEntry,
  type AdapterRoute,
  type Arch,
  type ContainerModule,
  type IrqchipEntry,
  type MsiEntry,
  type Process,
  type Vm,
} from "@irqlab/core";
import { GsiRouting } from "../gsi-routing.js";
import { routingModule } from "../module.js";
import { RecordingChip, type RecordingChipOptions } from "./recording-chip.js";

export interface RoutingTestVmOptions {
  arch: Arch;
  strict?: boolean;
  vcpus?: number;
  /** A RecordingChip to attach now (default: one with index 0); false for none. */
  chip?: RecordingChipOptions | false;
  modules?: readonly ContainerModule[];
  memorySize?: number;
  process?: Process;
}

export interface RoutingTestVm {
  vm: Vm;
  routing: GsiRouting;
  chip: RecordingChip;
}

export function createRoutingTestVm(opts: RoutingTestVmOptions): RoutingTestVm {
  const vm = createVm({
    arch: opts.arch,
    strict: opts.strict,
    vcpus: opts.vcpus ?? 1,
    modules: [routingModule, ...(opts.modules ?? [])],
    memorySize: opts.memorySize,
    process: opts.process,
  });
  const routing = vm.get(GsiRouting);
  const chip = new RecordingChip(opts.chip === false ? {} : (opts.chip ?? {}));
  if (opts.chip !== false) chip.attach(vm);
  return { vm, routing, chip };
}

export function irqchipRoute(gsi: number, irqchip: number, pin: number, flags = 0): IrqchipEntry {
  return { gsi, type: KVM_IRQ_ROUTING_IRQCHIP, flags, irqchip, pin };
}

export function msiRoute(gsi: number, data: number, addressLo = 0xfee00000, flags = 0, devid = 0): MsiEntry {
  return { gsi, type: KVM_IRQ_ROUTING_MSI, flags, msi: { addressLo, addressHi: 0, data, flags, devid } };
}

export function adapterRoute(gsi: number, adapter: Partial<AdapterRoute> = {}, flags = 0): AdapterEntry {
  return {
    gsi,
    type: KVM_IRQ_ROUTING_S390_ADAPTER,
    flags,
    adapter: { indAddr: 0x1000, summaryAddr: 0x2000, indOffset: 0, summaryOffset: 0, adapterId: 0, ...adapter },
  };
}
