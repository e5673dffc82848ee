/**
 * @irqlab/cli — the `irqlab` command and its programmatic API.
 *
 *   workspace package.json "irqlabPlugin" / --plugin ──import()──> plugin ContainerModules ──> GuestDriverContribution[]
 *                                                                              │
 *   workload (JSON / built-in) ──plan──> sources + seeded arrival streams      │ attach(vm)
 *                                             │                                v
 *   compare:  per controller: createVm ──> routing (GSI -> route) ──> irqfd ──> controller
 *             arrivals on the SimClock ──eventfd.write──┘      vCPU line ──> driver.service()
 *             metrics (raised / delivered / coalesced / lost, exits, latency) ──> table, JSON, HTML
 *   replay:   QEMU qtest trace ──> machine adapter (MPIC 4.2 / 2.0, XICS) ──> step verdicts
 *             in the trace's behaviour profile (qemu-7.2): agree | disagree | n/a
 *   inspect:  VM description or workload ──> each controller's dumpState()
 *   new-controller NAME ──> a working plugin package from the toy8 templates (scaffold/)
 *
 * Glossary
 *   GSI      Global System Interrupt: the number routing maps to a controller input.
 *   irqfd    an eventfd bound to a GSI: writing it injects the interrupt.
 *   resamplefd  the eventfd a level irqfd signals when the guest's EOI de-asserts the line.
 *   MSI      Message Signalled Interrupt (edge); INTx: a legacy level-triggered PCI line.
 *   IPI      Inter-Processor Interrupt.
 *   EOI      End Of Interrupt; IACK: Interrupt ACKnowledge (MPIC register read).
 *   hcall    PAPR hypercall; RTAS: Run-Time Abstraction Services; MMIO: trapped register access.
 *   p50/p99  median / 99th-percentile latency (nearest rank).
 *   qtest    QEMU's test protocol; the oracle traces record QEMU's answers to qtest steps.
 */
export * from "./cli-api.js";
export { main, type Io } from "./program.js";
export { COMMANDS, type CommandDef, type OptionDef } from "./commands.js";
export { CliError, EXIT_DISAGREEMENT, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./errors.js";
export type { EventFdLike, GsiRoutingLike, LoadedPlugin, PluginModule, PluginRef, RoutingLib } from "./plugins.js";
export { discoverWorkspacePlugins, resolvePluginArg } from "./plugins.js";
export { scaffoldController, type ScaffoldOptions, type ScaffoldResult } from "./scaffold/scaffold.js";
export { RESULTS_SCHEMA_ID, WORKLOAD_SCHEMA_ID, toolVersion } from "./version.js";
export { DEFAULT_COSTS, COST_DOCS, type CostModel } from "./sim/cost-model.js";
export type { ControllerResult, ClassResult, ExitTotals, FeatureStatus, PerInterrupt } from "./sim/runner.js";
export type { CountsJson, LatencySummary, InterruptClass } from "./sim/metrics.js";
export { BUILTIN_WORKLOADS, builtinWorkload } from "./workload/builtins.js";
export { parseWorkloadText, validateWorkload, workloadToJson } from "./workload/validate.js";
export { FieldError } from "./workload/fields.js";
export type { Workload, DeviceSpec, IpiSpec, DeviceKind, ArrivalLaw, IpiPattern } from "./workload/types.js";
export type { StepResult, TraceResult, Verdict, Check } from "./replay/types.js";
export { parseTrace, readTrace, type Trace, type TraceMeta, type StepRecord } from "./replay/trace.js";
export { renderHtmlReport, writeReport } from "./report/html.js";
export { formatCompareMarkdown, formatCompareTable, type TableOptions } from "./report/table.js";
export { formatCompareCsv } from "./report/csv.js";
