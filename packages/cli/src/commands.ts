/**
 * The command-line interface declared once, as data: commands, arguments, options, defaults
 * and examples. `bin.ts` builds the commander program from these tables and `gen-docs.ts`
 * renders the README's CLI reference from the same tables (a test keeps them in sync), so
 * help text and documentation cannot drift apart (patterns.md, pattern 19).
 */
import { COST_DOCS, COST_KEYS, DEFAULT_COSTS } from "./sim/cost-model.js";

/** How an option's text value becomes a typed value. */
export type OptionParse = "int" | "ns" | "list" | "cost" | "string";

export interface OptionDef {
  /** Commander flags, e.g. "-w, --workload <name|file>". */
  readonly flags: string;
  readonly description: string;
  /** Default shown in help and docs (and applied by commander). */
  readonly defaultValue?: string | boolean;
  readonly parse?: OptionParse;
  /** May be given several times (values collected in order). */
  readonly repeatable?: boolean;
}

export interface ArgDef {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  readonly variadic?: boolean;
}

export interface CommandDef {
  readonly name: string;
  readonly summary: string;
  /** Longer text for `irqlab help <command>` and the docs. */
  readonly details: string;
  readonly args: readonly ArgDef[];
  readonly options: readonly OptionDef[];
  readonly examples: readonly { readonly cmd: string; readonly what: string }[];
}

const PLUGIN_OPTIONS: readonly OptionDef[] = [
  {
    flags: "--plugin <module>",
    description: "load another controller plugin (package name or path to an ES module default-exporting a ContainerModule); repeatable",
    repeatable: true,
    parse: "string",
  },
  { flags: "-v, --verbose", description: "print plugin loading notes (skipped or unbuilt plugins) and stack traces on stderr" },
];

const COST_OPTIONS: readonly OptionDef[] = COST_KEYS.map((k) => ({
  flags: `${COST_DOCS[k].option} <ns>`,
  description: `simulated cost of ${COST_DOCS[k].what}`,
  defaultValue: String(DEFAULT_COSTS[k]),
  parse: "cost" as const,
}));

export const COMMANDS: readonly CommandDef[] = [
  {
    name: "compare",
    summary: "run one workload on every registered controller and print a side-by-side table",
    details:
      "Each controller runs the same workload (same arrivals: same seed) in its own simulated VM, through GSI routing and irqfds, with its own guest driver handling the interrupts the way Linux's driver for it does. Metrics: interrupts raised, delivered, coalesced, lost (checked: must be 0), guest exits per interrupt by kind, direct-mapped accesses, latency from raise to handler (p50/p99, simulated ns under the cost model) and host throughput (the only wall-clock figure). Controllers that cannot run part of a workload show n/a with the reason. Exits with status 1 if a controller lost an interrupt.",
    args: [],
    options: [
      { flags: "-w, --workload <name|file>", description: "built-in workload (see --list-workloads) or workload JSON file (format: packages/cli/README.md)", defaultValue: "default", parse: "string" },
      { flags: "-c, --controllers <list>", description: "comma-separated controller ids, e.g. xics,mpic-4.2 (see --list-controllers; default: all registered); id:profile runs that column in a behaviour profile, e.g. xics:kvm,xics:qemu-7.2", parse: "list" },
      { flags: "--profile <name>", description: "behaviour profile of every column without its own: kvm (default) or qemu-7.2 (irqlab replay --list-quirks)", parse: "string" },
      { flags: "--seed <n>", description: "seed of the arrival generators, 0 to 4294967295 (overrides the workload's, which defaults to 1)", parse: "int" },
      { flags: "--duration <time>", description: 'simulated time during which events arrive, with a unit: "500us", "20ms", "1s" (overrides the workload\'s; at most 10s)', parse: "ns" },
      { flags: "--json", description: "print the results as JSON on stdout instead of the table" },
      { flags: "--deterministic", description: "leave the wall-clock host throughput out (byte-identical output for a given seed)" },
      { flags: "-o, --out <dir>", description: "also write DIR/report.html (inline SVG charts) and DIR/results.json", parse: "string" },
      { flags: "--strict", description: "create strict VMs (every call answered exactly as the architecture's kernel would)" },
      { flags: "--no-progress", description: "never show the progress bar (it is shown on stderr only when stderr is a terminal)" },
      { flags: "--list-workloads", description: "list the built-in workloads and exit" },
      { flags: "--list-controllers", description: "list the registered controllers (guest drivers) and exit" },
      ...COST_OPTIONS,
      ...PLUGIN_OPTIONS,
    ],
    examples: [
      { cmd: "irqlab compare", what: "the default workload on every controller" },
      { cmd: "irqlab compare -w ipi-storm -c xics,mpic-4.2", what: "a built-in workload on two controllers" },
      { cmd: "irqlab compare -c xics:kvm,xics:qemu-7.2", what: "KVM's and QEMU 7.2's XICS side by side" },
      { cmd: "irqlab compare -w my-workload.json --json --deterministic", what: "your own workload, machine-readable" },
      { cmd: "irqlab compare --cost-hcall 300 --out report/", what: "cheaper hypercalls, HTML report with charts" },
    ],
  },
  {
    name: "replay",
    summary: "replay QEMU qtest traces against the matching irqlab model and compare step by step",
    details:
      "Reads traces in the oracle format (shared/oracle/qemu/README.md): ppce500 -> MPIC 4.2 at 0xFE0040000, mpc8544ds -> MPIC 2.0 at 0xE0040000, pseries ic-mode=xics -> XICS (RTAS and the guest agent's hypercalls), pseries ic-mode=xive -> XIVE native (ESB pages, the TIMA OS view, hypercalls; powernv9's XIVE is another device: its accesses are counted unmodelled). The model runs in the trace's behaviour profile (qemu-7.2 for QEMU traces: every known KVM-vs-QEMU difference is a quirk the profile switches on), so every compared step must agree. Every step is reported as agree, disagree, or n/a (nothing to compare). --explain also runs the kvm profile and names, per step where KVM differs, the quirks that explain it. Traces of machines without a model are reported as such; an unreadable or truncated trace fails without stopping the others; a trace with more than 5% unmodelled controller accesses fails. A directory argument replays every *.jsonl file in it. Exits with status 3 if any trace fails.",
    args: [{ name: "trace", description: "trace files (.jsonl) or directories of traces", variadic: true }],
    options: [
      { flags: "--json", description: "print the step results as JSON" },
      { flags: "--summary", description: "print only one summary line per trace" },
      { flags: "--profile <name>", description: "run the model in this behaviour profile instead of the trace's (kvm, qemu-7.2)", parse: "string" },
      { flags: "--explain", description: "also run the kvm profile and name the quirk(s) behind each step where KVM differs" },
      { flags: "--list-quirks", description: "print every quirk per controller (KVM's and the other side's reference) and the profiles, and exit" },
      ...PLUGIN_OPTIONS,
    ],
    examples: [
      { cmd: "irqlab replay ../shared/oracle/qemu/traces/mpic42_delivery.jsonl", what: "one trace, step by step" },
      { cmd: "irqlab replay --summary ../shared/oracle/qemu/traces", what: "every trace, one line each" },
      { cmd: "irqlab replay --explain ../shared/oracle/qemu/traces/mpic42_timers.jsonl", what: "which quirks make KVM differ from QEMU, step by step" },
      { cmd: "irqlab replay --list-quirks", what: "the quirks and profiles the loaded plugins declare" },
    ],
  },
  {
    name: "inspect",
    summary: "build a VM from a small JSON description (or a workload) and print each controller's state",
    details:
      'The description names the vCPU count, the sources to configure (trigger, vCPU, priority), optionally the sources to raise, and optionally the controllers: {"vcpus": 2, "sources": [{"trigger": "edge", "vcpu": 1}], "raise": [0]}. With --workload the workload\'s sources are configured instead (and --run runs the workload first). Prints each controller\'s dumpState() (QEMU "info pic"-like words).',
    args: [{ name: "file", description: "VM description JSON file" }],
    options: [
      { flags: "-w, --workload <name|file>", description: "configure the sources of this workload instead of a description", parse: "string" },
      { flags: "--run", description: "with --workload: run the workload, then dump the state" },
      { flags: "-c, --controllers <list>", description: "comma-separated controller ids (default: the description's, else all)", parse: "list" },
      { flags: "--profile <name>", description: "behaviour profile of the VMs: kvm (default) or qemu-7.2", parse: "string" },
      { flags: "--json", description: "print the states as JSON" },
      ...PLUGIN_OPTIONS,
    ],
    examples: [
      { cmd: "irqlab inspect vm.json", what: "dump the state of the VM the file describes" },
      { cmd: "irqlab inspect -w default -c xics", what: "the default workload's sources on XICS" },
    ],
  },
];

export function commandDef(name: string): CommandDef {
  const c = COMMANDS.find((x) => x.name === name);
  if (!c) throw new Error(`no command ${name}`);
  return c;
}

export const PROGRAM = {
  name: "irqlab",
  summary: "a laboratory for hypervisor interrupt controllers (KVM's interrupt machinery, modelled in user space)",
} as const;
