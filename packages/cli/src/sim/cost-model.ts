/**
 * The cost model: what each guest-side operation costs in simulated time. The runner charges
 * these costs for every exit ExitStats counts while a vCPU services interrupts, so the
 * latency from raise to handler reflects how many exits (and which kinds) a controller's
 * guest driver needs.
 *
 * The defaults are order-of-magnitude illustrations for a modern host, not measurements:
 * change them with the `--cost-*` options to explore what a faster or slower exit path would
 * do to each controller. Only ratios matter for a comparison.
 */

export interface CostModel {
  /** One hypercall: guest exit, in-kernel handler, guest entry (ns). */
  readonly hcallNs: number;
  /** One trapped MMIO access (load or store) to an in-kernel device (ns). */
  readonly mmioNs: number;
  /** One RTAS call (an H_RTAS hypercall plus argument buffer handling) (ns). */
  readonly rtasNs: number;
  /** One other instruction intercept handled in the kernel (s390 SIGP for an IPI) (ns). */
  readonly interceptNs: number;
  /** One trapped I/O-port access (x86 IN/OUT to the i8259 or ELCR) (ns). */
  readonly pioNs: number;
  /** One trapped system-register / CSR access (a software CPU interface: GICv3 ICC_*, an emulated IMSIC file) (ns). */
  readonly sysregNs: number;
  /** One load or store on a direct-mapped device page (no exit, e.g. XIVE ESB/TIMA) (ns). */
  readonly directNs: number;
  /** External-interrupt entry: exception vector, register save, dispatch to the driver (ns). */
  readonly entryNs: number;
  /** Handler body: the device's own work per handler invocation (ns). */
  readonly handlerNs: number;
}

export const DEFAULT_COSTS: CostModel = {
  hcallNs: 1000,
  mmioNs: 1500,
  rtasNs: 4000,
  interceptNs: 1000,
  pioNs: 1500,
  sysregNs: 1000,
  directNs: 50,
  entryNs: 300,
  handlerNs: 1000,
};

/** What each cost means, for help text and the README (keys as in CostModel). */
export const COST_DOCS: Readonly<Record<keyof CostModel, { option: string; what: string }>> = {
  hcallNs: { option: "--cost-hcall", what: "one hypercall (guest exit + in-kernel handler + re-entry)" },
  mmioNs: { option: "--cost-mmio", what: "one trapped MMIO load or store" },
  rtasNs: { option: "--cost-rtas", what: "one RTAS call" },
  interceptNs: { option: "--cost-intercept", what: "one other instruction intercept (s390 SIGP for an IPI)" },
  pioNs: { option: "--cost-pio", what: "one trapped I/O-port access (x86 IN/OUT)" },
  sysregNs: { option: "--cost-sysreg", what: "one trapped system-register or CSR access (software CPU interface)" },
  directNs: { option: "--cost-direct", what: "one access to a direct-mapped page (no exit)" },
  entryNs: { option: "--cost-entry", what: "external-interrupt entry into the guest driver" },
  handlerNs: { option: "--cost-handler", what: "handler body per invocation (device work)" },
};

export const COST_KEYS = Object.keys(DEFAULT_COSTS) as (keyof CostModel)[];

/** Exit counters as the runner reads them from ExitStats. */
export interface ExitCounts {
  hcalls: number;
  rtasCalls: number;
  intercepts: number;
  mmioReads: number;
  mmioWrites: number;
  pioReads: number;
  pioWrites: number;
  sysregTraps: number;
  directAccesses: number;
}

export function exitCost(c: CostModel, e: ExitCounts): number {
  return (
    e.hcalls * c.hcallNs +
    e.rtasCalls * c.rtasNs +
    e.intercepts * c.interceptNs +
    (e.mmioReads + e.mmioWrites) * c.mmioNs +
    (e.pioReads + e.pioWrites) * c.pioNs +
    e.sysregTraps * c.sysregNs +
    e.directAccesses * c.directNs
  );
}
