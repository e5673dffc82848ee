/**
 * What XICS keeps per VM outside the device (kvm->arch): the current XICS instance
 * (kvm->arch.xics, null when none), the RTAS token table, and the per-vCPU ONE_REG
 * KVM_REG_PPC_ICP_STATE, which every book3s vCPU knows whether or not it has an ICP
 * (no ICP: ENXIO both ways). Bound as a VmExtension, so it exists from VM creation on.
 */
import { Errno, fail, type Vcpu, type Vm, type VmExtension } from "@irqlab/core";
import { KVM_CAP_PPC_RTAS, KVM_REG_PPC_ICP_STATE } from "./constants.js";
import { RtasTokens } from "./rtas.js";
import type { Xics } from "./xics.js";

/** DI token of the per-VM XICS context. */
export const XicsVmToken = Symbol.for("irqlab.xics.XicsVm");

export class XicsVm implements VmExtension {
  readonly extensionName = "xics";
  /** kvm->arch.xics. */
  xics: Xics | null = null;
  /** kvm->arch.rtas_tokens and H_RTAS. */
  readonly rtasTokens: RtasTokens;

  constructor(readonly vm: Vm) {
    this.rtasTokens = new RtasTokens(() => this.xics);
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

  private icpOrEnxio(vcpu: Vcpu) {
    const icp = this.xics?.icpOf(vcpu) ?? null;
    if (icp === null) fail(Errno.ENXIO, `KVM_REG_PPC_ICP_STATE: vCPU ${vcpu.id} has no XICS ICP`);
    return icp;
  }

  /** kvmppc_get_one_reg(KVM_REG_PPC_ICP_STATE). */
  getIcpState(vcpu: Vcpu): bigint {
    const icp = this.icpOrEnxio(vcpu);
    return this.xics!.getIcpWord(icp);
  }

  /** kvmppc_set_one_reg(KVM_REG_PPC_ICP_STATE) -> kvmppc_xics_set_icp. */
  setIcpState(vcpu: Vcpu, value: bigint): void {
    const icp = this.icpOrEnxio(vcpu);
    this.xics!.setIcpWord(icp, value);
  }
}
