/**
 * KVM_ENABLE_CAP(KVM_CAP_IRQ_MPIC) on a vCPU (device-api.md §6): core has checked flags,
 * the capability and the descriptor (EINVAL / EBADF / EPERM for a non-device); this is
 * kvmppc_mpic_connect_vcpu's own order: not an MPIC -> EPERM, other VM -> EPERM,
 * CPU >= 32 -> EPERM, slot taken -> EEXIST, vCPU already attached -> EBUSY.
 */
import { Errno, fail, KVM_CAP_IRQ_MPIC, type KvmDevice, type Vcpu, type VcpuCapHandler } from "@irqlab/core";
import { MAX_CPU } from "./constants.js";
import { MpicDevice } from "./device.js";

export const mpicVcpuCap: VcpuCapHandler = {
  cap: KVM_CAP_IRQ_MPIC,
  connect(vcpu: Vcpu, device: KvmDevice, args: readonly bigint[]): void {
    const backend = device.backend;
    if (!(backend instanceof MpicDevice)) fail(Errno.EPERM, `device ${device.name} (type ${device.type}) is not an MPIC`);
    if (device.vm !== vcpu.vm) fail(Errno.EPERM, `the MPIC belongs to another VM than vCPU ${vcpu.id}`);
    // The connect function takes the CPU number as a u32.
    const cpu = Number((args[1] ?? 0n) & 0xffffffffn);
    if (cpu >= MAX_CPU) fail(Errno.EPERM, `MPIC CPU number ${cpu} (must be < ${MAX_CPU})`);
    backend.connectVcpu(vcpu, cpu);
  },
};
