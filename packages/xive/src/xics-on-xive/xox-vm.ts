/**
 * What the XICS-on-XIVE plugin keeps per VM (kvm->arch): the device slot and ONE_REG
 * KVM_REG_PPC_ICP_STATE on every ppc64 vCPU (the generic book3s code answers ENXIO for a
 * vCPU with neither an ICP nor a XIVE vCPU before the device code runs).
 *
 * kvm->arch.xive is shared with the native XIVE device: when @irqlab/xive's default module is
 * loaded too, its `XiveVm.device` slot is used, so either device's create answers EEXIST
 * while the other exists.
 */
import { Errno, fail, type Vcpu, type Vm, type VmExtension } from "@irqlab/core";
import { KVM_CAP_PPC_RTAS, KVM_REG_PPC_ICP_STATE, RtasTokens, type Xics } from "@irqlab/xics";
import { XiveVmToken, type XiveBackedDevice, type XiveVm } from "../xive-vm.js";
import type { XicsOnXive } from "./xics-on-xive.js";
import type { XoxVcpu } from "./xox-state.js";

/** DI token of the per-VM XICS-on-XIVE context. */
export const XoxVmToken = Symbol.for("irqlab.xive.XicsOnXiveVm");

/** The device half the slot holds (the XICS-on-XIVE device backend). */
export interface XoxBackedDevice extends XiveBackedDevice {
  readonly xox: XicsOnXive;
}

export class XoxVm implements VmExtension {
  readonly extensionName = "xics-on-xive";
  private own: XiveBackedDevice | null = null;
  /**
   * kvm->arch.rtas_tokens and H_RTAS: @irqlab/xics's transport (KVM_PPC_RTAS_DEFINE_TOKEN,
   * struct rtas_args in guest memory) in front of this device's four RTAS functions.
   */
  readonly rtasTokens: RtasTokens;

  constructor(readonly vm: Vm) {
    this.rtasTokens = new RtasTokens(() => this.rtasTarget());
    if (vm.arch !== "ppc64") return;
    for (const vcpu of vm.vcpus) {
      if (vcpu.oneReg.ids().includes(KVM_REG_PPC_ICP_STATE)) continue;
      vcpu.oneReg.register(KVM_REG_PPC_ICP_STATE, {
        name: "KVM_REG_PPC_ICP_STATE",
        get: () => this.getIcpState(vcpu),
        set: (v) => this.setIcpState(vcpu, v),
      });
    }
  }

  extensions(): Readonly<Record<number, number>> {
    return this.vm.arch === "ppc64" ? { [KVM_CAP_PPC_RTAS]: 1 } : {};
  }

  private shared(): XiveVm | null {
    return this.vm.has(XiveVmToken) ? this.vm.get<XiveVm>(XiveVmToken) : null;
  }

  /** kvm->arch.xive. */
  get device(): XiveBackedDevice | null {
    const s = this.shared();
    return s !== null ? s.device : this.own;
  }

  set device(d: XiveBackedDevice | null) {
    const s = this.shared();
    if (s !== null) s.device = d;
    else this.own = d;
  }

  /** The XICS-on-XIVE model of the VM, or null. */
  get xox(): XicsOnXive | null {
    const d = this.device;
    return d !== null && d.kind === "xics-on-xive" ? (d as XoxBackedDevice).xox : null;
  }

  /**
   * The object @irqlab/xics's RTAS handlers call (setXive / getXive / intOff / intOn /
   * guestError, with the kernel functions' 0 / -errno contract). Those handlers are typed
   * against the legacy `Xics` class; this adapter provides exactly the members they use.
   */
  private rtasTarget(): Xics | null {
    const x = this.xox;
    if (x === null || !x.alive) return null;
    const target = {
      setXive: (irq: number, server: number, prio: number) => x.setXive(irq, server, prio),
      getXive: (irq: number) => {
        const r = x.getXive(irq);
        return typeof r === "number" ? null : r;
      },
      intOff: (irq: number) => x.intOff(irq),
      intOn: (irq: number) => x.intOn(irq),
      guestError: (msg: string) => x.guestError(msg),
    };
    return target as unknown as Xics;
  }

  private xvcpu(vcpu: Vcpu): XoxVcpu {
    const xv = this.xox?.xvcpuOf(vcpu) ?? null;
    if (xv === null) fail(Errno.ENXIO, `KVM_REG_PPC_ICP_STATE: vCPU ${vcpu.id} has no XICS-on-XIVE vCPU`);
    return xv;
  }

  /** kvmppc_xive_get_icp. */
  getIcpState(vcpu: Vcpu): bigint {
    return this.xox!.getIcp(this.xvcpu(vcpu));
  }

  /** kvmppc_xive_set_icp. */
  setIcpState(vcpu: Vcpu, value: bigint): void {
    const xv = this.xvcpu(vcpu);
    this.xox!.setIcp(xv, value);
  }
}
