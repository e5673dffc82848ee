/**
 * What every riscv64 vCPU of a VM with this plugin has, whether or not the AIA device exists
 * (a VmContribution attaches it at VM creation): the AIA CSR image behind the seven AIA CSR
 * ONE_REGs (spec §1.3, §8.4), the general CSR `sip` view of VSEIP, and whether the vCPU has
 * ever entered KVM_RUN (KVM_CREATE_DEVICE refuses with EBUSY afterwards).
 */
import { Errno, fail, type Vcpu, type Vm } from "@irqlab/core";
import { AIA_CSR_NAMES, KVM_REG_RISCV_CSR_AIA_REG, KVM_REG_RISCV_CSR_GENERAL_REG, KVM_RISCV_CSR_SIP_INDEX, SIP_SEIP } from "./constants.js";
import type { AiaHost } from "./config.js";

export interface AiaDeviceLike {
  /** VSEIP of vCPU `index` (false without an IMSIC). */
  vseip(index: number): boolean;
}

export class AiaVmState {
  /** 7 words per vCPU: siselect, iprio1, iprio2, sieh, siph, iprio1h, iprio2h. */
  readonly csrs: BigUint64Array[] = [];
  /** The device, once created (it survives closing its descriptor). */
  device: AiaDeviceLike | null = null;

  constructor(
    readonly vm: Vm,
    readonly host: AiaHost,
  ) {
    for (const v of vm.vcpus) this.registerOneRegs(v);
    // KVM_CREATE_VCPU later: the new vCPU has its AIA CSRs too (zero at creation).
    vm.onVcpuCreated((v) => this.registerOneRegs(v));
  }

  private registerOneRegs(v: Vcpu): void {
    const image = new BigUint64Array(AIA_CSR_NAMES.length);
    this.csrs[v.id] = image;
    AIA_CSR_NAMES.forEach((name, i) => {
      v.oneReg.register(KVM_REG_RISCV_CSR_AIA_REG(i), {
        name: `KVM_REG_RISCV_CSR_AIA(${name})`,
        get: () => image[i],
        set: (value) => {
          image[i] = BigInt.asUintN(64, value);
        },
      });
    });
    v.oneReg.register(KVM_REG_RISCV_CSR_GENERAL_REG(KVM_RISCV_CSR_SIP_INDEX), {
      name: "KVM_REG_RISCV_CSR_REG(sip)",
      // VSEIP shows as bit 9 (SEIP) of the guest's sip; no other bit is modelled.
      get: () => (this.device?.vseip(v.id) ? BigInt(SIP_SEIP) : 0n),
      set: () => fail(Errno.EINVAL, "sip: irqlab models only its VSEIP view (hvip is not modelled); writes are refused"),
    });
  }

  siselect(vcpu: number): bigint {
    return this.csrs[vcpu][0];
  }

  setSiselect(vcpu: number, v: bigint): void {
    this.csrs[vcpu][0] = BigInt.asUintN(64, v);
  }
}

const states = new WeakMap<Vm, AiaVmState>();

export function attachAiaVm(vm: Vm, host: AiaHost): AiaVmState {
  const s = new AiaVmState(vm, host);
  states.set(vm, s);
  return s;
}

export function aiaVmState(vm: Vm): AiaVmState | undefined {
  return states.get(vm);
}
