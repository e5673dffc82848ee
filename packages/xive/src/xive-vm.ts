/**
 * What XIVE keeps per VM outside the device (kvm->arch): the XIVE-backed device of the VM
 * (kvm->arch.xive, shared by the native and the XICS-on-XIVE devices: one at a time), the
 * host options, and ONE_REG KVM_REG_PPC_VP_STATE on every ppc64 vCPU. The generic
 * book3s ONE_REG code answers ENXIO for a vCPU with no XIVE vCPU structure or on a host
 * without XIVE before the device code runs (so the device's ENOENT is unreachable).
 */
import { Errno, fail, type Vcpu, type Vm, type VmExtension } from "@irqlab/core";
import { vpWord0FromBytes, vpWord0ToBytes } from "./codecs.js";
import { KVM_REG_PPC_VP_STATE, TM_IPB, TM_NSR, TM_QW1_NSR_EO, TM_QW1_OS } from "./constants.js";
import { XiveVcpu, type XiveOptions } from "./xive.js";
import { XoxVcpu } from "./xics-on-xive/xox-state.js";

/** DI token of the per-VM XIVE context. */
export const XiveVmToken = Symbol.for("irqlab.xive.XiveVm");

/** The device half kvm->arch.xive points at (native today; XICS-on-XIVE later). */
export interface XiveBackedDevice {
  readonly kind: "native" | "xics-on-xive";
}

export class XiveVm implements VmExtension {
  readonly extensionName = "xive";
  /** kvm->arch.xive. */
  device: XiveBackedDevice | null = null;

  constructor(
    readonly vm: Vm,
    readonly options: XiveOptions,
  ) {
    if (vm.arch !== "ppc64") return;
    for (const vcpu of vm.vcpus) {
      if (vcpu.oneReg.ids().includes(KVM_REG_PPC_VP_STATE)) continue;
      vcpu.oneReg.register(KVM_REG_PPC_VP_STATE, {
        name: "KVM_REG_PPC_VP_STATE",
        get: () => this.getVpState(vcpu),
        set: (v) => this.setVpState(vcpu, v),
      });
    }
  }

  private xiveVcpu(vcpu: Vcpu): XiveVcpu {
    const s = vcpu.irqchipState;
    // A vCPU of the XICS-on-XIVE device has a XIVE vCPU but is not in native mode.
    if (s instanceof XoxVcpu && this.options.hostXive) fail(Errno.EPERM, `KVM_REG_PPC_VP_STATE: vCPU ${vcpu.id} is in XICS-on-XIVE mode`);
    if (!(s instanceof XiveVcpu) || !this.options.hostXive) {
      fail(Errno.ENXIO, `KVM_REG_PPC_VP_STATE: vCPU ${vcpu.id} has no XIVE vCPU`);
    }
    if (!s.native) fail(Errno.EPERM, `KVM_REG_PPC_VP_STATE: vCPU ${vcpu.id} is not in XIVE native mode`);
    return s;
  }

  /** kvmppc_xive_native_get_vp: W0/W1 image with the NVT's IPB OR'ed into byte 2. */
  getVpState(vcpu: Vcpu): bigint {
    const xv = this.xiveVcpu(vcpu);
    const img = xv.regs.slice(TM_QW1_OS, TM_QW1_OS + 8);
    img[TM_IPB] |= xv.nvtIpb;
    return vpWord0FromBytes(img, 0, this.vm.endian) << 64n;
  }

  /** kvmppc_xive_native_set_vp: stores word 0 as the saved image (EBUSY when pushed). */
  setVpState(vcpu: Vcpu, value: bigint): void {
    const xv = this.xiveVcpu(vcpu);
    if (xv.pushed) fail(Errno.EBUSY, `KVM_REG_PPC_VP_STATE: vCPU ${vcpu.id} context is pushed`);
    vpWord0ToBytes(BigInt.asUintN(128, value) >> 64n, xv.regs, TM_QW1_OS, this.vm.endian);
    // The next dispatch pushes the image: an exception already signalled is signalled again.
    xv.vcpu.ext.set((xv.regs[TM_QW1_OS + TM_NSR] & TM_QW1_NSR_EO) !== 0);
  }
}
