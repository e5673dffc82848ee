/**
 * The VM-descriptor calls of s390 that touch the floating-interrupt state without the FLIC:
 * KVM_ENABLE_CAP(KVM_CAP_S390_AIS) and KVM_S390_INTERRUPT. (Core has no VM-level enableCap
 * yet, so these are functions taking the VM.)
 */
import { Errno, fail, type UserPtr, type Vm } from "@irqlab/core";
import { KVM_CAP_S390_AIS, KVM_S390_INT_IO_MAX, KVM_S390_INT_PFAULT_DONE, KVM_S390_INT_SERVICE, KVM_S390_INT_VIRTIO, KVM_S390_MCHK } from "./constants.js";
import { S390Interrupts, S390InterruptsToken } from "./s390-interrupts.js";
import { decodeS390Interrupt } from "./structs.js";

/** The VM's s390 interrupt state (requires the FLIC module; setup-time lookup). */
export function s390InterruptsOf(vm: Vm): S390Interrupts {
  if (vm.arch !== "s390x" || !vm.has(S390InterruptsToken)) {
    fail(Errno.ENOTTY, `${vm.arch} VM without the FLIC module has no s390 interrupt state`);
  }
  return vm.get<S390Interrupts>(S390InterruptsToken);
}

/**
 * KVM_ENABLE_CAP on an s390 VM for the capabilities this package owns. KVM_CAP_S390_AIS:
 * EBUSY once vCPUs exist (irqlab creates them with the VM: use `createFlicModule({ ais: true })`
 * for a VM with vCPUs, or a VM with `vcpus: 0`), else facility 72 is enabled.
 */
export function enableS390Cap(vm: Vm, cap: number, flags = 0): void {
  vm.checkCaller();
  if (flags !== 0) fail(Errno.EINVAL, `KVM_ENABLE_CAP flags 0x${flags.toString(16)} (must be 0)`);
  const s = s390InterruptsOf(vm);
  switch (cap) {
    case KVM_CAP_S390_AIS:
      if (vm.vcpus.length > 0) fail(Errno.EBUSY, `KVM_CAP_S390_AIS: ${vm.vcpus.length} vCPU(s) already created`);
      s.aisFacility = true;
      return;
    default:
      fail(Errno.EINVAL, `capability ${cap} cannot be enabled on this s390 VM`);
  }
}

/**
 * KVM_S390_INTERRUPT on the VM descriptor: struct kvm_s390_interrupt converted to a floating
 * interrupt (VIRTIO, SERVICE, PFAULT_DONE, MCHK, I/O) and injected. EINVAL for other types,
 * EBUSY at the queue limits.
 */
export function kvmS390Interrupt(vm: Vm, arg: UserPtr): number {
  vm.checkCaller();
  const s = s390InterruptsOf(vm);
  const i = decodeS390Interrupt(arg, vm.endian);
  const hi = Number(i.parm64 >> 32n);
  const lo = Number(i.parm64 & 0xffffffffn);
  let r: number;
  if (i.type <= KVM_S390_INT_IO_MAX) r = s.injectIo(i.type, i.parm, hi, lo);
  else if (i.type === KVM_S390_INT_VIRTIO) r = s.injectVirtio(i.parm, 0, hi, lo);
  else if (i.type === KVM_S390_INT_SERVICE) r = s.injectService(i.parm);
  else if (i.type === KVM_S390_INT_PFAULT_DONE) r = s.injectPfaultDone(0, 0, hi, lo);
  else if (i.type === KVM_S390_MCHK) r = s.injectMchk(BigInt(i.parm), i.parm64);
  else fail(Errno.EINVAL, `KVM_S390_INTERRUPT: type 0x${i.type.toString(16)} is not a floating interrupt`);
  if (r !== 0) fail(r, `KVM_S390_INTERRUPT: type 0x${i.type.toString(16)} refused`);
  return 0;
}
