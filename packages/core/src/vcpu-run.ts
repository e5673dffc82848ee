/**
 * KVM_RUN as far as interrupt controllers see it: the first entry of a vCPU into the guest is
 * where KVM finishes setting up in-kernel devices (arm64: kvm_vgic_map_resources() checks the
 * vGIC's addresses and maps its frames) and after which some creations are refused (arm64:
 * KVM_CREATE_DEVICE of a vGIC is EBUSY once a vCPU has run). A plugin registers a hook with
 * `onVcpuRun(vm, hook)`; `runVcpu(vcpu)` is KVM_RUN's entry: hooks run in registration order,
 * a KvmError from one is the ioctl's errno (the vCPU does not count as having run), otherwise
 * the vCPU has run. Guest execution itself is the caller's (drivers, the comparison runner).
 */
import type { Vcpu } from "./vcpu.js";
import type { Vm } from "./vm.js";

/** `first`: this is the vCPU's first successful KVM_RUN. Throw a KvmError to fail the call. */
export type VcpuRunHook = (vcpu: Vcpu, first: boolean) => void;

interface RunState {
  hooks: VcpuRunHook[];
  ran: Set<Vcpu>;
}

const states = new WeakMap<Vm, RunState>();

function stateOf(vm: Vm): RunState {
  let s = states.get(vm);
  if (s === undefined) {
    s = { hooks: [], ran: new Set() };
    states.set(vm, s);
  }
  return s;
}

/** Registers a KVM_RUN hook for `vm`; the returned function removes it. */
export function onVcpuRun(vm: Vm, hook: VcpuRunHook): () => void {
  const s = stateOf(vm);
  s.hooks.push(hook);
  return () => {
    s.hooks = s.hooks.filter((h) => h !== hook);
  };
}

/** KVM_RUN on `vcpu`: runs the hooks (their KvmError is the call's), then marks it as run. */
export function runVcpu(vcpu: Vcpu): void {
  vcpu.vm.checkCaller();
  const s = stateOf(vcpu.vm);
  const first = !s.ran.has(vcpu);
  const hooks = s.hooks;
  for (let i = 0; i < hooks.length; i++) hooks[i](vcpu, first);
  s.ran.add(vcpu);
}

/** Whether `vcpu` (or, without it, any vCPU of `vm`) has completed a KVM_RUN entry. */
export function vcpuHasRun(vm: Vm, vcpu?: Vcpu): boolean {
  const s = states.get(vm);
  if (s === undefined) return false;
  return vcpu === undefined ? s.ran.size > 0 : s.ran.has(vcpu);
}
