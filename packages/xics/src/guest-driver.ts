/**
 * A guest XICS driver that drives the controller the way Linux's pseries driver does
 * (arch/powerpc/sysdev/xics/icp-hv.c + ics-rtas.c):
 *
 *   attach     KVM_CREATE_DEVICE(XICS); KVM_ENABLE_CAP(KVM_CAP_IRQ_XICS, server = vCPU id)
 *              for every vCPU; each vCPU opens its CPPR (H_CPPR 0xff)
 *   configure  the platform creates the source (source word: masked, LSI flag), then the
 *              guest unmasks it: ibm,set-xive(irq, server, DEFAULT_PRIORITY 5) + ibm,int-on
 *   service    one external exception: H_XIRR -> handler -> H_EOI((old CPPR << 24) | source);
 *              an IPI is first cleared with H_IPI(self, 0xff), as icp_hv_ipi_action does
 *   sendIpi    H_IPI(server of the target, IPI_PRIORITY 4)
 *
 * Workload source i is XICS source 0x1000 + i (QEMU sPAPR's numbering). Linux gives every
 * device interrupt DEFAULT_PRIORITY, so the SourceSpec priority hint is not used.
 */
import {
  Errno,
  H_FUNCTION_UNHANDLED,
  IPI_SOURCE,
  KVM_CAP_IRQ_XICS,
  KVM_DEV_TYPE_XICS,
  encodeU64,
  fail,
  type DeviceHandle,
  type GuestDriver,
  type GuestDriverContribution,
  type RouteSpec,
  type SourceSpec,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import {
  DEFAULT_PRIORITY,
  GUEST_IRQ_BASE,
  H_CPPR,
  H_EOI,
  H_IPI,
  H_SUCCESS,
  H_XIRR,
  IPI_PRIORITY,
  KVM_DEV_XICS_GRP_SOURCES,
  KVMPPC_XICS_NR_IRQS,
  LOWEST_PRIORITY,
  MASKED,
  RTAS_IBM_INT_ON,
  RTAS_IBM_SET_XIVE,
  RTAS_SUCCESS,
  XICS_IPI,
} from "./constants.js";
import { XICS_IRQCHIP_INDEX } from "./irqchip.js";
import { encodeSourceWord } from "./source-word.js";

export class XicsGuestDriver implements GuestDriver {
  readonly controller: DeviceHandle;

  constructor(readonly vm: Vm) {
    this.controller = vm.createDevice(KVM_DEV_TYPE_XICS);
    for (const v of vm.vcpus) v.enableCap(KVM_CAP_IRQ_XICS, [this.controller, v.id]);
    for (const v of vm.vcpus) v.hcall(H_CPPR, LOWEST_PRIORITY);
  }

  /** XICS source number of workload source `index`. */
  static sourceNumber(index: number): number {
    return GUEST_IRQ_BASE + index;
  }

  configureSource(spec: SourceSpec): RouteSpec {
    const irq = XicsGuestDriver.sourceNumber(spec.index);
    if (!Number.isInteger(spec.index) || spec.index < 0 || irq >= KVMPPC_XICS_NR_IRQS) {
      fail(Errno.EINVAL, `XICS guest driver: source index ${spec.index} (0..${KVMPPC_XICS_NR_IRQS - GUEST_IRQ_BASE - 1})`);
    }
    const target = this.vm.vcpu(spec.vcpu);
    if (target.irqchipKind !== "xics") fail(Errno.EINVAL, `vCPU ${spec.vcpu} is not connected to the XICS`);
    const server = target.irqchipCpu;
    // Platform (QEMU ics_set_kvm_state): the source exists, masked, with its trigger type.
    const word = encodeSourceWord({ server, priority: MASKED, masked: true, levelSensitive: spec.trigger === "level" });
    this.controller.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: irq, addr: encodeU64(word, this.vm.endian) });
    // Guest (ics_rtas_unmask): target and priority, then on.
    const boot = this.vm.vcpus[0];
    const r1 = boot.rtas(RTAS_IBM_SET_XIVE, [irq, server, DEFAULT_PRIORITY], 1)[0];
    const r2 = boot.rtas(RTAS_IBM_INT_ON, [irq], 1)[0];
    if (r1 !== RTAS_SUCCESS || r2 !== RTAS_SUCCESS) fail(Errno.EIO, `XICS guest driver: RTAS refused source 0x${irq.toString(16)} (${r1}, ${r2})`);
    return { type: "irqchip", irqchip: XICS_IRQCHIP_INDEX, pin: irq };
  }

  /** One entry (icp_hv_get_irq): H_XIRR once; nothing pending is a spurious entry. */
  service(vcpu: Vcpu, handler: (source: number) => void): number {
    if (vcpu.hcall(H_XIRR) !== H_SUCCESS) return 0;
    const xirr = vcpu.hret[0];
    const src = xirr % 0x1000000;
    if (src === 0) return 0;
    if (src === XICS_IPI) {
      vcpu.hcall(H_IPI, vcpu.irqchipCpu, LOWEST_PRIORITY);
      handler(IPI_SOURCE);
    } else handler(src - GUEST_IRQ_BASE);
    vcpu.hcall(H_EOI, xirr);
    return 1;
  }

  sendIpi(from: Vcpu, to: number): void {
    const target = this.vm.vcpu(to);
    const rc = from.hcall(H_IPI, target.irqchipCpu, IPI_PRIORITY);
    if (rc === H_FUNCTION_UNHANDLED) fail(Errno.EINVAL, `vCPU ${from.id} is not connected to the XICS`);
  }
}

/** The GuestDriverContribution of the plugin. */
export const xicsGuestDriverContribution: GuestDriverContribution = {
  id: "xics",
  label: "XICS",
  arch: "ppc64",
  deviceType: KVM_DEV_TYPE_XICS,
  attach: (vm: Vm) => new XicsGuestDriver(vm),
};
