/**
 * Where QEMU 7.2's TCG GICv3 (`-M virt,gic-version=3`) and KVM's vGIC differ (spec "How QEMU
 * 7.2 differs"), as named switches read inside the model. The `kvm` profile (every switch
 * off) is the default; `qemu-7.2` is what a replay of QEMU traces runs in.
 */
export interface GicQuirks {
  /** GICD/GICR/GITS_IIDR read 0x0000043B (KVM: product 0x4B, revision 3 / 0). */
  readonly iidrArm: boolean;
  /** GICD_TYPER sets A3V (bit 24) and No1N (bit 25). */
  readonly typerA3vNo1n: boolean;
  /** GICD_STATUSR reads 0 (KVM 0xFFFFFFFF). */
  readonly statusrZero: boolean;
  /** GICD_CTLR keeps EnableGrp0 (bit 0) and gates group 0 with it (KVM: one enable, bit 1). */
  readonly enableGrp0: boolean;
  /** SPIs, SGIs and PPIs reset to group 0 (KVM: group 1). */
  readonly resetGroup0: boolean;
  /** SPIs reset level-sensitive (KVM: edge). */
  readonly resetSpisLevel: boolean;
  /** SGIs reset disabled (KVM: GICR_ISENABLER0 0xFFFF). */
  readonly resetSgisDisabled: boolean;
  /** GICR_WAKER models ProcessorSleep/ChildrenAsleep: reads 0x6 at reset (KVM: always 0). */
  readonly waker: boolean;
  /** GICR_CTLR reads CES only (0x2; KVM revision 3: CES | IR = 0x6). */
  readonly gicrCtlrCesOnly: boolean;
  /** PENDBASER resets to 0 (KVM: 0x580 from CTRL_INIT). */
  readonly pendbaserResetZero: boolean;
  /** All 8 priority bits are kept (KVM: & 0xF8). */
  readonly fullPriority: boolean;
  /** GICD_IROUTER keeps every bit, including the high word and Interrupt_Routing_Mode. */
  readonly fullIrouter: boolean;
  /** GICR_ICFGR1 (PPI configuration) is writable (KVM: PPIs stay level, reads 0). */
  readonly ppiConfigWritable: boolean;
  /** PROPBASER/PENDBASER are stored as written (KVM sanitises cacheability/shareability). */
  readonly noBaserSanitise: boolean;
  /** GICR_TYPER: CommonLPIAff = 1 (bit 24) and PLPIS even without an ITS. */
  readonly gicrTyperQemu: boolean;
}

export const KVM_QUIRKS: GicQuirks = {
  iidrArm: false,
  typerA3vNo1n: false,
  statusrZero: false,
  enableGrp0: false,
  resetGroup0: false,
  resetSpisLevel: false,
  resetSgisDisabled: false,
  waker: false,
  gicrCtlrCesOnly: false,
  pendbaserResetZero: false,
  fullPriority: false,
  fullIrouter: false,
  ppiConfigWritable: false,
  noBaserSanitise: false,
  gicrTyperQemu: false,
};

export const QEMU_72_QUIRKS: GicQuirks = Object.fromEntries(Object.keys(KVM_QUIRKS).map((k) => [k, true])) as unknown as GicQuirks;

export const GIC_PROFILES: Readonly<Record<string, GicQuirks>> = { kvm: KVM_QUIRKS, "qemu-7.2": QEMU_72_QUIRKS };
