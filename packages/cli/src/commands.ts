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
    flags: "--plugin <path|package>",
    description:
      'load another controller plugin: a package directory (its package.json "irqlabPlugin" exports), an ES module file, or a package name; "#name" picks a named export; repeatable; fatal if it cannot load (workspace packages with "irqlabPlugin" load without it)',
    repeatable: true,
    parse: "string",
  },
  { flags: "-v, --verbose", description: "print plugin loading notes (which plugins share a VM, device-only plugins) and stack traces on stderr" },
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
      { flags: "--format <format>", description: "output: table (fits the terminal width, see --width), json (the results document, schema packages/cli/schemas/results.schema.json), csv (one row per controller, raw numbers) or markdown", defaultValue: "table", parse: "string" },
      { flags: "--json", description: "same as --format json" },
      { flags: "--width <columns>", description: "table width in columns: wider tables are wrapped into blocks of controllers (default: the terminal's width, 80 when stdout is not a terminal; 0 = never wrap)", parse: "int" },
      { flags: "--deterministic", description: "leave the wall-clock host throughput out (byte-identical output for a given seed)" },
      { flags: "-o, --out <dir>", description: "also write DIR/report.html (inline SVG charts) and DIR/results.json", parse: "string" },
      { flags: "--strict", description: "create strict VMs (every call answered exactly as the architecture's kernel would)" },
      { flags: "--no-progress", description: "never show the progress bar (it is shown on stderr only when stderr is a terminal)" },
      { flags: "-j, --jobs <n|auto>", description: "controllers run at once on worker threads (results identical to a serial run); auto: one per core when the run is estimated to take a second or more", defaultValue: "auto", parse: "string" },
      { flags: "--max-seconds <s>", description: "run-time budget in wall seconds: a run estimated longer is refused before it starts, and one still going then stops (its controllers reported as failed)", defaultValue: "600", parse: "string" },
      { flags: "--list-workloads", description: "list the built-in workloads and exit" },
      { flags: "--list-controllers", description: "list the registered controllers (guest drivers) and their plugins, and exit (status 1 if a plugin failed to load)" },
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
    name: "sweep",
    summary: "run one workload over a grid of parameters on every controller: on this machine, or in shards on a batch engine (Slurm, Kubernetes, GNU parallel)",
    details:
      'The grid file names a workload (built-in, file or inline), optionally the controllers, and axes: {"workload": "default", "axes": {"rate": [0.5, 1, 2, 4, 8], "vcpus": [2, 4, 8]}}. Axes: rate (multiplies every device and IPI rate), vcpus (affinities taken modulo), vectors (MSI vectors per MSI device), duration, seed, and cost.<name> for any cost-model value (cost.hcallNs, ...); "cost" and "strict" set the base. Cells (every combination, in a fixed order, the controller innermost) have content-hash ids. `irqlab sweep GRID.json -o cells.jsonl` runs them on this machine on worker threads, appending one JSON line per finished cell (an interrupted sweep resumes from its output), and rewrites the file in cell order at the end. For a cluster: `sweep plan GRID.json -o plan.json` fixes the cells, the irqlab version and a plan hash; `sweep run plan.json --shard I/N --out DIR` (or --shard-from-env SLURM_ARRAY_TASK_ID | JOB_COMPLETION_INDEX | AWS_BATCH_JOB_ARRAY_INDEX, with ",1" for a 1-based array) runs the cells whose index is I mod N into a result file of its own, written atomically, skipping cells DIR already has; it exits 0 when done, 75 "retry me" (a cell could not finish), 65 "do not retry" (bad plan, version or plan-hash mismatch, bad shard, missing controller). `sweep merge DIR... -o results.jsonl` drops duplicate cells, fails when two copies of a cell disagree, lists missing cells (exit 4) and writes every cell in order: byte-identical to the one-machine run. `sweep status plan.json DIR...` shows done, failed and missing cells. --report DIR (one machine or merge) writes DIR/sweep.html: p99 latency and exits per interrupt against offered load, one curve per controller. Recipes: recipes/README.md.',
    args: [
      { name: "grid|action", description: "a grid JSON file (run it here), or plan | run | merge | status", required: true },
      { name: "paths", description: "plan: GRID.json; run: plan.json; merge: result directories; status: plan.json then result directories", variadic: true },
    ],
    options: [
      { flags: "-o, --out <path>", description: "grid: the JSON-lines output (resumed from); plan: the plan file; run: the results directory; merge: the merged results.jsonl", parse: "string" },
      { flags: "--report <dir>", description: "grid or merge: write DIR/sweep.html (inline SVG charts) from every cell", parse: "string" },
      { flags: "-j, --jobs <n>", description: "grid or run: cells run at once on worker threads (default: one per core)", parse: "int" },
      { flags: "--shard <I/N>", description: "run: shard I (0-based) of N", parse: "string" },
      { flags: "--shard-from-env <VAR[,OFFSET]>", description: "run: the shard index from an environment variable, minus OFFSET (1 for a 1-based array)", parse: "string" },
      { flags: "--shards <n>", description: "run: the number of shards with --shard-from-env (default: SLURM_ARRAY_TASK_COUNT or AWS_BATCH_JOB_ARRAY_SIZE)", parse: "int" },
      { flags: "--flush-ms <ms>", description: "run: how often this attempt's result file is rewritten while cells finish (0: after every cell)", defaultValue: "1000", parse: "int" },
      { flags: "--plan <file>", description: "merge: the plan (default: plan.json in the first directory that has one)", parse: "string" },
      { flags: "--allow-missing", description: "merge: write the merge even when cells have no result" },
      { flags: "--json", description: "status: print the counts as JSON" },
      { flags: "--no-progress", description: "never show the progress bar (shown on stderr only when it is a terminal)" },
      ...PLUGIN_OPTIONS,
    ],
    examples: [
      { cmd: "irqlab sweep grid.json -o cells.jsonl --report sweep/", what: "run (or resume) the README's grid here and chart it" },
      { cmd: "irqlab sweep plan grid.json -o plan.json", what: "the same grid as a plan for a cluster" },
      { cmd: "irqlab sweep run plan.json --shard 0/2 --out results/", what: "run shard 0 of 2 (any machine)" },
      { cmd: "irqlab sweep status plan.json results/", what: "done, failed and missing cells (half done here)" },
      { cmd: "irqlab sweep run plan.json --shard 1/2 --out results/", what: "the other shard (in a Slurm array: --shard-from-env SLURM_ARRAY_TASK_ID)" },
      { cmd: "irqlab sweep merge results/ --plan plan.json -o results.jsonl --report merged/", what: "every cell once, in order: the same bytes as cells.jsonl" },
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
      { cmd: "irqlab replay --summary packages/cli/src/replay/fixtures", what: "every trace of a directory, one line each" },
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
  {
    name: "new-controller",
    summary: "write a new controller plugin package (a working 8-pin toy to start from) that builds, passes the testkit and joins compare",
    details:
      'Writes module, device contribution, IrqChip, guest driver, a conformance test on @irqlab/testkit and a README with the tables to fill, from the toy8 example of docs/writing-a-controller.md. Inside an irqlab checkout the package goes to packages/NAME: `pnpm build` builds it and every command discovers it (package.json "irqlabPlugin"), with no other edit. Anywhere else it goes to ./NAME, linked to this checkout\'s packages (no install needed): `npm run build`, `npm test`, then `irqlab compare --plugin ./NAME`.',
    args: [{ name: "name", description: "controller name: lower case letters and digits, words joined by - (the guest driver id, e.g. toy8)", required: true }],
    options: [
      { flags: "--dir <dir>", description: "where to write the package (default: packages/NAME inside an irqlab checkout, else ./NAME)", parse: "string" },
      { flags: "--arch <arch>", description: "architecture of the device and its VMs (ppc64, ppc-booke, s390x, ...)", defaultValue: "ppc-booke", parse: "string" },
      { flags: "--device-type <n>", description: "KVM_CREATE_DEVICE type number, below KVM_DEV_TYPE_MAX and unclaimed on that architecture", defaultValue: "14", parse: "int" },
      { flags: "--package <name>", description: "package.json name (default: @irqlab/NAME)", parse: "string" },
    ],
    examples: [
      { cmd: "irqlab new-controller toy8", what: "packages/toy8 in this checkout; then pnpm build && irqlab compare -c toy8" },
      { cmd: "irqlab new-controller my-pic --dir ~/src/my-pic --arch ppc64 --device-type 12", what: "a standalone package outside the checkout" },
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
