/**
 * What each architecture's kernel does with routing, in faithful (`strict`) and generalised
 * mode. Strict answers every call as that kernel would; generalised keeps one KVM-style
 * routing table on every architecture, so any controller's pins can be re-routed.
 *
 *                         ppc64 (book3s XICS/XIVE)       ppc-booke (e500 MPIC)   s390x (FLIC)
 *  KVM_SET_GSI_ROUTING    strict: ENOTTY (not built)     yes                     yes
 *                         generalised: yes
 *  table at VM creation   identity GSI n -> chip 0 pin n empty; MPIC create     empty
 *                                                        installs empty again
 *  route types            IRQCHIP (generalised)          IRQCHIP (pin < 256),    S390_ADAPTER
 *                                                        MSI                     (addresses mapped)
 *  KVM_IRQ_LINE(_STATUS)  needs a controller (ENXIO)     needs a controller      ENOTTY
 *  KVM_SIGNAL_MSI         strict: ENOTTY; generalised    needs a controller      ENOTTY
 *                         when a chip accepts MSI        (EINVAL)
 *  irqfd before a chip    EAGAIN                         EAGAIN                  allowed
 *  status of an injection strict: chip's raw result      sum rule                sum rule
 *                         (book3s kvm_set_irq)
 *  irqfd signal           strict: one level-1 assert     pulse 1,0 (source 0) or assert on source 1
 *                         (atomic fast path)             (resample)
 */
import {
  KVM_CAP_IOEVENTFD,
  KVM_CAP_IRQFD,
  KVM_CAP_IRQFD_RESAMPLE,
  KVM_CAP_IRQ_INJECT_STATUS,
  KVM_CAP_IRQ_ROUTING,
  KVM_CAP_SIGNAL_MSI,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  KVM_IRQ_ROUTING_S390_ADAPTER,
  type Arch,
  type RoutingEntry,
  type Vm,
} from "@irqlab/core";
import {
  KVM_CAP_IOEVENTFD_ANY_LENGTH,
  KVM_CAP_MSI_DEVID,
  KVM_MAX_IRQ_ROUTES,
  MPIC_NUM_PINS,
  PPC64_MAX_PINS,
} from "./constants.js";

export interface ArchProfile {
  readonly arch: Arch;
  readonly strict: boolean;
  /** KVM_SET_GSI_ROUTING is compiled in (book3s: no, the VM ioctl falls through to ENOTTY). */
  readonly routingIoctl: boolean;
  /** KVM_IRQ_LINE(_STATUS) is compiled in (s390: no, ENOTTY). */
  readonly irqLine: boolean;
  /** KVM_SIGNAL_MSI is compiled in (CONFIG_HAVE_KVM_MSI; s390 and book3s: no, ENOTTY). */
  readonly signalMsi: boolean;
  /** PowerPC: KVM_IRQ_LINE needs a controller (ENXIO), irqfd assign too (EAGAIN). */
  readonly needsIrqchip: boolean;
    /** The table a VM starts with. */
  readonly defaultTable: "empty" | "identity";
  /** book3s kvm_set_irq(): the chip's raw result is the status (no sum, no -1 folding). */
  readonly rawStatus: boolean;
  /**
   * kvm_arch_set_irq_inatomic() handles every route (book3s; riscv, where a GSI has at most
   * one route): an irqfd signal is one level-1 assert on source 0, never a de-assert.
   */
  readonly atomicAssert: boolean;
  /**
   * KVM's failure path of a RESAMPLE assign (EBUSY after the resampler was created) shuts the
   * new resampler down, which de-asserts the GSI on source 1. Reproduced in strict mode only;
   * generalised mode keeps "a failed call changes nothing".
   */
  readonly failedAssignDeasserts: boolean;
  /** Route types kvm_set_routing_entry() accepts on this architecture. */
  readonly routeTypes: readonly number[];
  /** IRQCHIP routes: irqchip numbers 0..n-1 accepted without a registered chip of that index. */
  readonly nrIrqchips: number;
  /** IRQCHIP routes: pin bound used by the architecture rule (KVM_IRQCHIP_NUM_PINS). */
  readonly irqchipPins: number;
  /** Generalised mode: registered chips widen the route types and irqchip numbers accepted. */
  readonly chipsWiden: boolean;
  /** KVM_CHECK_EXTENSION answers. */
  readonly extensions: Readonly<Record<number, number>>;
  /**
   * KVM_IRQ_LINE on architectures whose `irq` field is not a GSI (arm64 packs type / vCPU /
   * id): returns the call's status when the architecture handles the line itself, or
   * `undefined` to inject `irq` through the routing table as a GSI. Throws a KvmError for
   * an `irq` the kernel refuses.
   */
  readonly decodeIrqLine?: (vm: Vm, irq: number, level: number) => number | undefined;
  /**
   * kvm_arch_can_set_irq_routing(): throws a KvmError (EINVAL) when the architecture refuses
   * KVM_SET_GSI_ROUTING in the VM's present state (checked after the header is copied, before
   * `nr` and `flags`). Absent: always allowed.
   */
  readonly routingAllowed?: (vm: Vm) => void;
  /**
   * The architecture part of kvm_set_routing_entry() for one entry, run before the owning
   * chip's `validateRoute`: throws a KvmError (its errno is the call's) to refuse it.
   */
  readonly checkRoute?: (vm: Vm, entry: RoutingEntry) => void;
  /**
   * kvm_arch_irqfd_allowed(): throws a KvmError (EINVAL) when the architecture refuses an
   * irqfd assign (`resample`: KVM_IRQFD_FLAG_RESAMPLE) in the VM's present state; checked after
   * the EAGAIN readiness check and before any descriptor is looked up.
   */
  readonly irqfdAllowed?: (vm: Vm, resample: boolean) => void;
  /**
   * kvm_arch_intc_initialized(): whether the in-kernel interrupt controller is ready for
   * irqfds; false makes KVM_IRQFD assign EAGAIN. Without it, `needsIrqchip` decides (a
   * registered chip is enough). arm64 answers "vGIC initialised" (CTRL_INIT done).
   */
  readonly intcInitialized?: (vm: Vm) => boolean;
}

/**
 * Routing's behaviour on an architecture, contributed by the plugin that brings the
 * architecture's interrupt fabric (routing has built-in profiles only for ppc64, ppc-booke and
 * s390x). A plugin module binds one with
 * `bind(ArchRoutingContribution).toConstantValue({ arch: "x86_64", profile: (strict) => ({...}) })`.
 * Without one, an architecture gets `genericArchProfile` (asm-generic KVM: routing table,
 * KVM_IRQ_LINE and KVM_SIGNAL_MSI compiled in, an empty table, IRQCHIP and MSI routes).
 */
export const ArchRoutingContribution = Symbol.for("irqlab.routing.ArchRoutingContribution");
export interface ArchRoutingContribution {
  readonly arch: Arch;
  profile(strict: boolean): ArchProfile;
}

/** KVM_IRQCHIP_NUM_PINS of asm-generic KVM (used by the generic profile). */
export const GENERIC_IRQCHIP_PINS = 1024;

/** What an architecture without a contributed profile gets (see ArchRoutingContribution). */
export function genericArchProfile(arch: Arch, strict: boolean): ArchProfile {
  return {
    arch,
    strict,
    routingIoctl: true,
    irqLine: true,
    signalMsi: true,
    needsIrqchip: true,
    defaultTable: "empty",
    rawStatus: false,
    atomicAssert: false,
    failedAssignDeasserts: strict,
    routeTypes: [KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI],
    nrIrqchips: 1,
    irqchipPins: GENERIC_IRQCHIP_PINS,
    chipsWiden: !strict,
    extensions: {
      [KVM_CAP_IRQ_ROUTING]: KVM_MAX_IRQ_ROUTES,
      [KVM_CAP_IRQFD]: 1,
      [KVM_CAP_IRQFD_RESAMPLE]: 1,
      [KVM_CAP_SIGNAL_MSI]: 1,
      [KVM_CAP_IRQ_INJECT_STATUS]: 1,
      [KVM_CAP_IOEVENTFD]: 1,
      [KVM_CAP_IOEVENTFD_ANY_LENGTH]: 1,
      [KVM_CAP_MSI_DEVID]: 0,
    },
  };
}

/** The built-in profile of `arch`, or the generic one (contributions are applied by GsiRouting). */
export function archProfile(arch: Arch, strict: boolean): ArchProfile {
  switch (arch) {
    case "ppc64":
      return {
        arch,
        strict,
        routingIoctl: !strict,
        irqLine: true,
        signalMsi: !strict,
        needsIrqchip: true,
        defaultTable: "identity",
        rawStatus: strict,
        atomicAssert: strict,
        failedAssignDeasserts: strict,
        routeTypes: [KVM_IRQ_ROUTING_IRQCHIP],
        nrIrqchips: 1,
        irqchipPins: PPC64_MAX_PINS,
        chipsWiden: !strict,
        extensions: {
          [KVM_CAP_IRQ_ROUTING]: strict ? 0 : KVM_MAX_IRQ_ROUTES,
          [KVM_CAP_IRQFD]: 1,
          // powerpc.c: !xive_enabled(); irqlab models a host whose KVM_CAP answers for XICS.
          [KVM_CAP_IRQFD_RESAMPLE]: 1,
          [KVM_CAP_SIGNAL_MSI]: strict ? 0 : 1,
          [KVM_CAP_IRQ_INJECT_STATUS]: strict ? 0 : 1,
          [KVM_CAP_IOEVENTFD]: 1,
          [KVM_CAP_IOEVENTFD_ANY_LENGTH]: 1,
          [KVM_CAP_MSI_DEVID]: 0,
        },
      };
    case "ppc-booke": {
      // e500 is asm-generic KVM (routing table, IRQCHIP and MSI routes) with the MPIC's pins.
      const g = genericArchProfile(arch, strict);
      return {
        ...g,
        irqchipPins: MPIC_NUM_PINS,
        // powerpc.c does not report it although KVM_IRQ_LINE_STATUS works.
        extensions: { ...g.extensions, [KVM_CAP_IRQ_INJECT_STATUS]: strict ? 0 : 1 },
      };
    }
    case "s390x":
      return {
        arch,
        strict,
        routingIoctl: true,
        irqLine: false,
        signalMsi: false,
        needsIrqchip: false,
        defaultTable: "empty",
        rawStatus: false,
        atomicAssert: false,
        failedAssignDeasserts: strict,
        routeTypes: [KVM_IRQ_ROUTING_S390_ADAPTER],
        nrIrqchips: 0,
        irqchipPins: 1,
        chipsWiden: !strict,
        extensions: {
          [KVM_CAP_IRQ_ROUTING]: KVM_MAX_IRQ_ROUTES,
          [KVM_CAP_IRQFD]: 1,
          [KVM_CAP_IRQFD_RESAMPLE]: 1,
          [KVM_CAP_SIGNAL_MSI]: 0,
          [KVM_CAP_IRQ_INJECT_STATUS]: 0,
          [KVM_CAP_IOEVENTFD]: 1,
          [KVM_CAP_IOEVENTFD_ANY_LENGTH]: 1,
          [KVM_CAP_MSI_DEVID]: 0,
        },
      };
    default:
      return genericArchProfile(arch, strict);
  }
}
