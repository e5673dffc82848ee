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
      { flags: "-c, --controllers <list>", description: "comma-separated controller ids, e.g. xics,mpic-4.2 (see --list-controllers; default: all registered)", parse: "list" },
      { flags: "--seed <n>", description: "seed of the arrival generators, 0 to 4294967295 (overrides the workload's, which defaults to 1)", parse: "int" },
      { flags: "--duration <time>", description: 'simulated time during which events arrive, with a unit: "500us", "20ms", "1s" (overrides the workload\'s; at most 10s)', parse: "ns" },
      { flags: "--json", description: "print the results as JSON on stdout instead of the table" },
      { flags: "--deterministic", description: "leave the wall-clock host throughput out (byte-identical output for a given seed)" },
      { flags: "-o, --out <dir>", description: "also write DIR/report.html (inline SVG charts) and DIR/results.json", parse: "string" },
      { flags: "--strict", description: "create strict VMs (every call answered exactly as the architecture's kernel would)" },
      { flags: "--no-progress", description: "never show the progress bar (it is shown on stderr only when stderr is a terminal)" },
      { flags: "-j, --jobs <n|auto>", description: "controllers run at once on worker threads (results identical to a serial run); auto: one per core when the run is estimated to take a second or more", defaultValue: "auto", parse: "string" },
      { flags: "--max-seconds <s>", description: "run-time budget in wall seconds: a run estimated longer is refused before it starts, and one still going then stops (its controllers reported as failed)", defaultValue: "600", parse: "string" },
      { flags: "--list-workloads", description: "list the built-in workloads and exit" },
      { flags: "--list-controllers", description: "list the registered controllers (guest drivers) and exit" },
      ...COST_OPTIONS,
      ...PLUGIN_OPTIONS,
    ],
    examples: [
      { cmd: "irqlab compare", what: "the default workload on every controller" },
      { cmd: "irqlab compare -w ipi-storm -c xics,mpic-4.2", what: "a built-in workload on two controllers" },
      { cmd: "irqlab compare -w my-workload.json --json --deterministic", what: "your own workload, machine-readable" },
      { cmd: "irqlab compare --cost-hcall 300 --out report/", what: "cheaper hypercalls, HTML report with charts" },
    ],
  },
  {
    name: "sweep",
    summary: "run one workload over a grid of parameters on every controller; JSON lines per cell and a report with curves",
    details:
      'The grid file names a workload (built-in, file or inline), optionally the controllers, and axes: {"workload": "default", "axes": {"rate": [0.5, 1, 2, 4, 8], "vcpus": [2, 4, 8]}}. Axes: rate (multiplies every device and IPI rate), vcpus (affinities taken modulo), vectors (MSI vectors per MSI device), duration, seed, and cost.<name> for any cost-model value (cost.hcallNs, ...). Cells (every combination, in a fixed order, the controller innermost) run in parallel on worker threads; each finished cell is appended to the output as one JSON line with a content-hash cell id, so an interrupted sweep resumes from its output file. --report writes DIR/sweep.html: p99 latency and exits per interrupt against offered load, one curve per controller, per combination of the other axes.',
    args: [{ name: "grid", description: "grid JSON file", required: true }],
    options: [
      { flags: "-o, --out <file>", description: "JSON-lines output (appended; cells already in it are not run again)", parse: "string" },
      { flags: "--report <dir>", description: "write DIR/sweep.html (inline SVG charts) from every cell of the grid", parse: "string" },
      { flags: "-j, --jobs <n>", description: "cells run at once on worker threads (default: one per core)", parse: "int" },
      { flags: "--no-progress", description: "never show the progress bar (shown on stderr only when it is a terminal)" },
      ...PLUGIN_OPTIONS,
    ],
    examples: [
      { cmd: "irqlab sweep grid.json -o cells.jsonl --report sweep/", what: "run (or resume) a grid and chart it" },
    ],
  },
  {
    name: "replay",
    summary: "replay QEMU qtest traces against the matching irqlab model and compare step by step",
    details:
      "Reads traces in the oracle format (shared/oracle/qemu/README.md): ppce500 -> MPIC 4.2 at 0xFE0040000, mpc8544ds -> MPIC 2.0 at 0xE0040000, pseries ic-mode=xics -> XICS (RTAS and the guest agent's hypercalls). Every step is reported as agree, divergence (a documented KVM vs QEMU 7.2 difference, with its spec reference), disagree, or n/a (nothing to compare). Traces of machines without a model are reported as such. A directory argument replays every *.jsonl file in it. Exits with status 3 if any step disagrees.",
    args: [{ name: "trace", description: "trace files (.jsonl) or directories of traces", variadic: true }],
    options: [
      { flags: "--json", description: "print the step results as JSON" },
      { flags: "--summary", description: "print only one summary line per trace" },
      { flags: "--list-divergences", description: "print the table of documented KVM vs QEMU divergences and exit" },
      ...PLUGIN_OPTIONS,
    ],
    examples: [
      { cmd: "irqlab replay ../shared/oracle/qemu/traces/mpic42_delivery.jsonl", what: "one trace, step by step" },
      { cmd: "irqlab replay --summary ../shared/oracle/qemu/traces", what: "every trace, one line each" },
      { cmd: "irqlab replay --list-divergences", what: "the documented divergences and their spec references" },
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
