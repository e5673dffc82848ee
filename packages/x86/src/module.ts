/**
 * The plugin: an inversify ContainerModule binding the x86 VM contribution (ioctls, caps,
 * extensions), routing's x86_64 profile, and two guest drivers ("x86", "x86 APICv").
 */
import {
  ContainerModule,
  Errno,
  GuestDriverContribution,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  VmContribution,
  fail,
  type GuestDriver,
  type Vm,
} from "@irqlab/core";
import { ArchRoutingContribution, KVM_CAP_MSI_DEVID, genericArchProfile, type ArchProfile } from "@irqlab/routing";
import {
  KVM_CAP_IOAPIC_POLARITY_IGNORED,
  KVM_CAP_IRQCHIP,
  KVM_CAP_SPLIT_IRQCHIP,
  KVM_CAP_X2APIC_API,
  KVM_CREATE_IRQCHIP,
  KVM_GET_IRQCHIP,
  KVM_GET_LAPIC,
  KVM_INTERRUPT,
  KVM_IOAPIC_NUM_PINS,
  KVM_NR_IRQCHIPS,
  KVM_SET_IRQCHIP,
  KVM_SET_LAPIC,
  KVM_X2APIC_API_VALID_FLAGS,
  KVM_X2APIC_ENABLE_SUPPRESS_EOI_BROADCAST,
  type IrqchipMode,
} from "./constants.js";
import { X86GuestDriver } from "./guest-driver.js";
import { X86Irqchip, x86Maybe, x86Of } from "./x86-irqchip.js";

export interface X86ModuleOptions {
  /**
   * The irqchip the VMM sets up before it creates the VM's vCPUs (QEMU's
   * `kernel-irqchip=on|split|off`): "kernel" issues KVM_CREATE_IRQCHIP, "split"
   * KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP, splitPins). Default "none": the VM is as KVM creates
   * it, and the ioctls are yours to issue (with `vcpus: 0`, since they refuse once vCPUs exist).
   */
  readonly irqchip?: IrqchipMode;
  /** Reserved IOAPIC pins for "split" (default 24). */
  readonly splitPins?: number;
}

function mode(vm: Vm): IrqchipMode {
  return x86Maybe(vm)?.mode ?? "none";
}

/** Routing's x86_64 profile (virt/kvm + arch/x86/kvm/irq.c rules; routing-irqfd.md §4.2). */
export function x86RoutingProfile(strict: boolean): ArchProfile {
  const g = genericArchProfile("x86_64", strict);
  return {
    ...g,
    // KVM_IRQ_LINE's ENXIO and irqfd's EINVAL depend on the mode, checked by the hooks below.
    needsIrqchip: false,
    routeTypes: [KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI],
    nrIrqchips: KVM_NR_IRQCHIPS,
    irqchipPins: KVM_IOAPIC_NUM_PINS,
    chipsWiden: false,
    extensions: { ...g.extensions, [KVM_CAP_MSI_DEVID]: 0 },
    decodeIrqLine: (vm) => {
      if (mode(vm) === "none") fail(Errno.ENXIO, "KVM_IRQ_LINE: no in-kernel irqchip");
      return undefined;
    },
    routingAllowed: (vm) => {
      if (mode(vm) === "none") fail(Errno.EINVAL, "KVM_SET_GSI_ROUTING: no in-kernel irqchip (full or split)");
    },
    checkRoute: (vm, e) => x86Of(vm).checkRoute(e),
    irqfdAllowed: (vm, resample) => {
      const m = mode(vm);
      if (m === "none") fail(Errno.EINVAL, "KVM_IRQFD: no in-kernel irqchip");
      if (resample && m !== "kernel") fail(Errno.EINVAL, "KVM_IRQFD: resampling needs the full in-kernel irqchip");
    },
  };
}

/** The x86 plugin; see X86ModuleOptions. */
export function x86Module(options: X86ModuleOptions = {}): ContainerModule {
  const preset = options.irqchip ?? "none";
  if (preset !== "none" && preset !== "kernel" && preset !== "split") fail(Errno.EINVAL, `x86 irqchip option ${String(preset)}`);
  const contribution: VmContribution = {
    name: "x86",
    arch: ["x86_64"],
    extensions: {
      [KVM_CAP_IRQCHIP]: 1,
      [KVM_CAP_IOAPIC_POLARITY_IGNORED]: 1,
      [KVM_CAP_SPLIT_IRQCHIP]: 1,
      [KVM_CAP_X2APIC_API]: KVM_X2APIC_API_VALID_FLAGS & ~KVM_X2APIC_ENABLE_SUPPRESS_EOI_BROADCAST,
    },
    vmIoctls: [
      { cmd: KVM_CREATE_IRQCHIP, name: "KVM_CREATE_IRQCHIP", handle: (vm) => x86Of(vm).createIrqchip() },
      { cmd: KVM_GET_IRQCHIP, name: "KVM_GET_IRQCHIP", handle: (vm, arg) => x86Of(vm).getIrqchip(arg) },
      { cmd: KVM_SET_IRQCHIP, name: "KVM_SET_IRQCHIP", handle: (vm, arg) => x86Of(vm).setIrqchip(arg) },
    ],
    vcpuIoctls: [
      { cmd: KVM_GET_LAPIC, name: "KVM_GET_LAPIC", handle: (vcpu, arg) => x86Of(vcpu.vm).getLapic(vcpu.id, arg) },
      { cmd: KVM_SET_LAPIC, name: "KVM_SET_LAPIC", handle: (vcpu, arg) => x86Of(vcpu.vm).setLapic(vcpu.id, arg) },
      { cmd: KVM_INTERRUPT, name: "KVM_INTERRUPT", handle: (vcpu, arg) => x86Of(vcpu.vm).interrupt(vcpu.id, arg) },
    ],
    vmCaps: [
      { cap: KVM_CAP_SPLIT_IRQCHIP, name: "KVM_CAP_SPLIT_IRQCHIP", enable: (vm, args, flags) => x86Of(vm).enableSplit(args, flags) },
      { cap: KVM_CAP_X2APIC_API, name: "KVM_CAP_X2APIC_API", enable: (vm, args, flags) => x86Of(vm).enableX2apicApi(args, flags) },
    ],
    attach(vm: Vm) {
      const x = new X86Irqchip(vm);
      if (preset === "kernel") x.createIrqchip(true);
      else if (preset === "split") x.enableSplit([BigInt(options.splitPins ?? 24), 0n, 0n, 0n], 0, true);
      if (preset !== "none") x.createLapics();
    },
  };
  const driver = (id: string, label: string, apicv: boolean): GuestDriverContribution => ({
    id,
    label,
    arch: "x86_64",
    deviceType: 0,
    attach: (vm: Vm): GuestDriver => new X86GuestDriver(vm, { apicv }),
  });
  return new ContainerModule(({ bind }) => {
    bind<VmContribution>(VmContribution).toConstantValue(contribution);
    bind<ArchRoutingContribution>(ArchRoutingContribution).toConstantValue({ arch: "x86_64", profile: x86RoutingProfile });
    bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(driver("x86", "x86", false));
    bind<GuestDriverContribution>(GuestDriverContribution).toConstantValue(driver("x86-apicv", "x86 APICv", true));
  });
}

/** The default plugin: a VMM that creates the full in-kernel irqchip before its vCPUs. */
export const x86KernelIrqchipModule = x86Module({ irqchip: "kernel" });
