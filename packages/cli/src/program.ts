/**
 * The `irqlab` command line: builds the commander program from the declarative tables in
 * commands.ts, runs the chosen command through the programmatic API (cli-api.ts) and
 * prints. `main` returns the exit code instead of exiting, so tests can drive it.
 *
 * Exit codes: 0 ok, 1 the command failed (one line on stderr), 2 bad usage, 3 `replay`
 * found steps that disagree with QEMU.
 */
import { ARCHES, createVm, escapeControl, type Arch } from "@irqlab/core";
import { availableParallelism } from "node:os";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { COMMANDS, PROGRAM, type CommandDef, type OptionDef } from "./commands.js";
import { effectiveWorkload, resolveCosts, runCompareAsync } from "./compare.js";
import { CliError, ERROR_PREFIX, EXIT_DISAGREEMENT, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, errorLine, exitCodeOf } from "./errors.js";
import { formatInspect, readVmDescription, runInspect } from "./inspect.js";
import { loadPluginSet, type PluginSet } from "./plugins.js";
import { SWEEP_ACTIONS, clusterSweepAction } from "./sweep/cluster-command.js";
import { controllerNames } from "./scaffold/names.js";
import { scaffoldController } from "./scaffold/scaffold.js";
import { toolVersion } from "./version.js";
import { prepareOutDir, writeReport } from "./report/html.js";
import { NO_PROGRESS, progressBar } from "./report/progress.js";
import { profileCatalogue } from "@irqlab/core";
import { formatCompareCsv } from "./report/csv.js";
import { formatCompareMarkdown, formatCompareTable } from "./report/table.js";
import { formatQuirks, formatReplay } from "./replay/format.js";
import { runReplay } from "./replay/replay.js";
import { COST_DOCS, COST_KEYS, type CostModel } from "./sim/cost-model.js";
import { readGrid, writeSweepReport } from "./sweep/files.js";
import { sweepProgress } from "./sweep/progress.js";
import { runSweep } from "./sweep/run.js";
import { BUILTIN_WORKLOADS, builtinWorkload } from "./workload/builtins.js";
import { FieldError, duration, formatNs } from "./workload/fields.js";
import { WORKLOAD_LIMITS } from "./workload/types.js";

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Width of the terminal stdout is, if it is one (tables wrap to it; 80 otherwise). */
  readonly columns?: number;
  /** The workspace plugins are discovered in (default: the CLI's own; tests point elsewhere). */
  readonly workspace?: string;
  /** The stream the progress bar draws on (only if it is a terminal). */
  progressStream?: NodeJS.WriteStream;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  progressStream: process.stderr,
  get columns() {
    return process.stdout.isTTY ? process.stdout.columns : undefined;
  },
};

type Opts = Record<string, unknown>;

/** The table width when stdout is not a terminal (and COLUMNS is not set). */
export const DEFAULT_TABLE_WIDTH = 80;

/** --width, else the terminal's columns, else $COLUMNS, else 80. */
export function tableWidth(o: Opts, io: Io): number {
  if (typeof o.width === "number") return o.width;
  if (io.columns && io.columns > 0) return io.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : DEFAULT_TABLE_WIDTH;
}

const FORMATS = ["table", "json", "csv", "markdown"] as const;
type Format = (typeof FORMATS)[number];

function outputFormat(o: Opts): Format {
  const f = String(o.format ?? "table");
  if (!(FORMATS as readonly string[]).includes(f)) throw new CliError(`--format ${f}: one of ${FORMATS.join(", ")}`, EXIT_USAGE);
  if (o.json === true && f !== "json" && f !== "table") throw new CliError(`--json and --format ${f} contradict each other`, EXIT_USAGE);
  return o.json === true ? "json" : (f as Format);
}

/**
 * `irqlab ... | head`: once the reader has gone, writes fail with EPIPE. That is not an
 * error of the command: stop quietly (exit 0) instead of dying with a stack trace.
 */
export function quietOnClosedPipe(stream: NodeJS.EventEmitter, exit: (code: number) => void = (c) => process.exit(c)): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") exit(EXIT_OK);
    else throw e;
  });
}

export function version(): string {
  return toolVersion();
}

// ---- option parsing (from the declarative tables) ------------------------------------

function parser(o: OptionDef): ((value: string) => unknown) | null {
  switch (o.parse) {
    case "int":
      return (v) => {
        if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError("must be a non-negative decimal integer.");
        return Number(v);
      };
    case "ns":
      return (v) => {
        try {
          return duration(v, "duration", WORKLOAD_LIMITS.maxDurationNs);
        } catch (e) {
          throw new InvalidArgumentError(`${(e as FieldError).problem}.`);
        }
      };
    case "list":
      return (v) => {
        const list = v.split(",").map((s) => s.trim()).filter(Boolean);
        if (list.length === 0) throw new InvalidArgumentError("must be a comma-separated list.");
        return list;
      };
    case "cost":
      // The same decimal grammar as the integer options (no 0x, no exponents, no spaces):
      // "--cost-hcall 0x10" is refused as "--seed 0x10" is.
      return (v) => {
        const n = Number(v);
        if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n) || n > 1e9) throw new InvalidArgumentError("must be a decimal number of simulated ns (0 to 1e9).");
        return n;
      };
    case "string":
      return (v) => v;
    default:
      return null;
  }
}

function addOption(cmd: Command, o: OptionDef): void {
  const opt = new Option(o.flags, o.description);
  const parse = parser(o);
  if (parse) {
    if (o.repeatable) opt.argParser((v: string, prev: unknown[] | undefined) => [...(prev ?? []), parse(v)]);
    else opt.argParser((v: string) => parse(v));
  }
  if (o.defaultValue !== undefined && typeof o.defaultValue === "string") {
    opt.default(parse ? parse(o.defaultValue) : o.defaultValue, o.defaultValue);
  }
  cmd.addOption(opt);
}

function helpAfter(def: CommandDef): string {
  const ex = def.examples.map((e) => `  $ ${e.cmd}\n      ${e.what}`).join("\n");
  return `\n${wrap(def.details, 78)}\n\nExamples:\n${ex}\n`;
}

function wrap(text: string, width: number): string {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.join("\n");
}

// ---- actions -------------------------------------------------------------------------

async function plugins(o: Opts, io: Io): Promise<PluginSet> {
  const set = await loadPluginSet({ extra: (o.plugin as string[] | undefined) ?? [], ...(io.workspace ? { workspace: io.workspace } : {}) });
  // A plugin that was found but does not load is never skipped silently.
  for (const e of set.errors) io.err(`irqlab: warning: ${e}\n`);
  if (o.verbose) for (const n of set.notes) io.err(`irqlab: note: ${n}\n`);
  return set;
}

function costs(o: Opts): Partial<CostModel> {
  const out: { -readonly [K in keyof CostModel]?: number } = {};
  for (const k of COST_KEYS) {
    const attr = COST_DOCS[k].option.replace(/^--/, "").replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    if (typeof o[attr] === "number") out[k] = o[attr] as number;
  }
  return out;
}

function jobsOption(v: unknown): number | "auto" {
  if (v === undefined || v === "auto") return "auto";
  if (typeof v === "string" && /^\d+$/.test(v.trim())) return Number(v);
  throw new CliError(`--jobs must be a positive integer or auto (got ${String(v)})`, EXIT_USAGE);
}

function secondsOption(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!(n > 0 && Number.isFinite(n))) throw new CliError(`--max-seconds must be a positive number of seconds (got ${String(v)})`, EXIT_USAGE);
  return n;
}

async function compareAction(o: Opts, io: Io): Promise<number> {
  if (o.listWorkloads) {
    if (o.json === true) {
      const list = BUILTIN_WORKLOADS.map((name) => {
        const w = builtinWorkload(name)!;
        return { name, vcpus: w.vcpus, durationNs: w.durationNs, description: w.description };
      });
      io.out(JSON.stringify(list, null, 2) + "\n");
      return EXIT_OK;
    }
    for (const name of BUILTIN_WORKLOADS) {
      const w = builtinWorkload(name)!;
      io.out(`${name.padEnd(16)} ${w.vcpus} vCPUs, ${formatNs(w.durationNs)}: ${w.description}\n`);
    }
    return EXIT_OK;
  }
  // Bad workloads and options fail before the plugins are loaded.
  const format = outputFormat(o);
  if (!o.listControllers) {
    effectiveWorkload({ workload: o.workload as string, seed: o.seed as number | undefined, duration: o.duration as number | undefined });
    resolveCosts(costs(o));
  }
  const set = await plugins(o, io);
  if (o.listControllers) {
    if (set.drivers.length === 0) io.out("no controller registered (are the controller packages built? run: pnpm build)\n");
    const rows = set.plugins.flatMap((p) => p.contributions.map((c) => [c.id, c.label, c.arch, p.specifier]));
    const w = [0, 1, 2].map((i) => Math.max(0, ...rows.map((r) => r[i].length)));
    for (const r of rows) io.out(`${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padEnd(w[2])}  ${r[3]}\n`);
    // Listing is where a plugin author looks first: a plugin that failed is an error here.
    if (set.errors.length) {
      io.err(`irqlab: ${set.errors.length} plugin(s) failed to load (see the warnings above)\n`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  }
  // A bad --out fails now, not after the simulation.
  if (typeof o.out === "string") prepareOutDir(o.out);
  const progress = format !== "table" || o.progress === false || !io.progressStream ? NO_PROGRESS : progressBar(io.progressStream);
  let report;
  try {
    report = await runCompareAsync(set, {
      load: { extra: (o.plugin as string[] | undefined) ?? [] },
      jobs: jobsOption(o.jobs),
      maxSeconds: secondsOption(o.maxSeconds),
      onEstimate: (e) => {
        if (e.seconds >= 10 && format === "table") io.err(`irqlab: estimated about ${Math.ceil(e.seconds)} s wall (${e.controllers} controllers, ${e.jobs} at a time)\n`);
      },
      workload: o.workload as string,
      controllers: o.controllers as string[] | undefined,
      profile: o.profile as string | undefined,
      seed: o.seed as number | undefined,
      duration: o.duration as number | undefined,
      cost: costs(o),
      strict: o.strict === true,
      deterministic: o.deterministic === true,
      onProgress: (c, i, n, f) => progress.update(c.label, i, n, f),
    });
  } finally {
    progress.done();
  }
  if (typeof o.out === "string") {
    const files = writeReport(o.out, report);
    (format === "table" ? io.out : io.err)(`report written to ${files.html} and ${files.json}\n`);
  }
  if (format === "json") io.out(JSON.stringify(report, null, 2) + "\n");
  else if (format === "csv") io.out(formatCompareCsv(report));
  else if (format === "markdown") io.out(formatCompareMarkdown(report));
  else io.out(formatCompareTable(report, { width: tableWidth(o, io) }) + "\n");
  const losing = report.controllers.filter((r) => r.counts.lost !== 0 || r.counts.unaccounted !== 0);
  if (losing.length) {
    io.err(`irqlab: ${losing.map((r) => `${r.label} lost ${r.counts.lost} interrupt(s)`).join("; ")}\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

/** `sweep GRID` runs a grid here; `sweep plan|run|merge|status` are the sharded forms. */
async function sweepDispatch(first: string, paths: string[], o: Opts, io: Io): Promise<number> {
  if ((SWEEP_ACTIONS as readonly string[]).includes(first)) {
    return clusterSweepAction(first, paths, o, io, () => plugins(o, io), { extra: (o.plugin as string[] | undefined) ?? [] });
  }
  if (paths.length) throw new CliError(`sweep ${first}: a grid takes no further arguments (actions: ${SWEEP_ACTIONS.join(", ")})`, EXIT_USAGE);
  return sweepAction(first, o, io);
}

async function sweepAction(file: string, o: Opts, io: Io): Promise<number> {
  const grid = readGrid(file);
  if (typeof o.report === "string") prepareOutDir(o.report);
  const load = { extra: (o.plugin as string[] | undefined) ?? [] };
  const set = await plugins(o, io);
  const progress = o.progress === false ? sweepProgress(undefined) : sweepProgress(io.progressStream);
  let r;
  try {
    r = await runSweep(set, grid, {
      out: o.out as string | undefined,
      jobs: (o.jobs as number | undefined) ?? availableParallelism(),
      load,
      onProgress: (d, t, s) => progress.update(d, t, s),
    });
  } finally {
    progress.done();
  }
  const failed = r.records.filter((x) => x.status === "failed").length;
  if (typeof o.report === "string") {
    const html = writeSweepReport(o.report, `irqlab sweep ${file}`, r.records);
    io.err(`report written to ${html}\n`);
  }
  if (o.out === undefined) for (const rec of r.records) io.out(JSON.stringify(rec) + "\n");
  io.err(`irqlab: ${r.cells.length} cells (${r.resumed} resumed), ${failed} failed\n`);
  return r.records.some((x) => x.lost !== 0) ? EXIT_FAILURE : EXIT_OK;
}

async function replayAction(traces: string[], o: Opts, io: Io): Promise<number> {
  const set = await plugins(o, io);
  if (o.listQuirks) {
    io.out(formatQuirks(profileCatalogue([...(set.routing ? [set.routing.module] : []), ...set.modules])) + "\n");
    return EXIT_OK;
  }
  if (traces.length === 0) throw new CliError("replay needs at least one trace file or directory (or --list-quirks)", EXIT_USAGE);
  const catalogue = profileCatalogue([...(set.routing ? [set.routing.module] : []), ...set.modules]);
  if (o.profile !== undefined) {
    if (!catalogue.profile(String(o.profile))) {
      throw new CliError(`unknown profile ${JSON.stringify(o.profile)} (known: ${catalogue.profiles.map((p) => p.name).join(", ")})`, EXIT_USAGE);
    }
  }
  const report = runReplay(traces, set, { profile: o.profile as string | undefined, explain: o.explain === true });
  io.out(o.json ? JSON.stringify(report, null, 2) + "\n" : formatReplay(report, { summary: o.summary === true, catalogue }) + "\n");
  const unavailable = report.traces.filter((t) => t.status === "model-unavailable");
  if (unavailable.length) {
    io.err(`irqlab: no model available for ${unavailable.map((t) => `${t.scenario} (${t.reason})`).join("; ")}\n`);
    return EXIT_FAILURE;
  }
  if (report.totals.failedTraces) {
    io.err(`irqlab: ${report.totals.failedTraces} trace(s) failed (${report.totals.disagree} step(s) disagree)\n`);
    return EXIT_DISAGREEMENT;
  }
  return EXIT_OK;
}

async function inspectAction(file: string | undefined, o: Opts, io: Io): Promise<number> {
  if (file && o.workload) throw new CliError("give either a VM description file or --workload, not both", EXIT_USAGE);
  if (!file && !o.workload) throw new CliError("inspect needs a VM description file or --workload", EXIT_USAGE);
  if (o.run && !o.workload) throw new CliError("--run needs --workload", EXIT_USAGE);
  const description = file ? readVmDescription(file) : undefined;
  const set = await plugins(o, io);
  const report = runInspect(set, {
    description,
    workload: o.workload as string | undefined,
    run: o.run === true,
    controllers: o.controllers as string[] | undefined,
    profile: o.profile as string | undefined,
  });
  io.out(o.json ? JSON.stringify(report, null, 2) + "\n" : formatInspect(report) + "\n");
  const failed = report.controllers.filter((c) => c.error);
  if (failed.length) {
    // Exit 1 always says why on stderr.
    io.err(`${ERROR_PREFIX}${escapeControl(failed.map((c) => `${c.label}: ${c.error}`).join("; "))}\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

async function newControllerAction(name: string, o: Opts, io: Io): Promise<number> {
  const deviceType = o.deviceType as number;
  const arch = o.arch as string;
  const names = controllerNames(name);
  // The new controller must be able to share VMs with the others: no type or id clash.
  const set = await loadPluginSet(io.workspace ? { workspace: io.workspace } : {});
  const clash = set.drivers.find((d) => d.id === names.id);
  if (clash) throw new CliError(`a controller with id "${names.id}" is already registered (${clash.label}): choose another NAME`, EXIT_USAGE);
  if ((ARCHES as readonly string[]).includes(arch)) {
    const vm = createVm({ arch: arch as Arch, vcpus: 0, modules: [...(set.routing ? [set.routing.module] : []), ...set.modules] });
    try {
      if (vm.supportsDevice(deviceType)) {
        throw new CliError(`device type ${deviceType} is already claimed on ${arch} by a registered plugin: pick another with --device-type`, EXIT_USAGE);
      }
    } finally {
      vm.destroy();
    }
  }
  const r = scaffoldController({ name, dir: o.dir as string | undefined, arch, deviceType, packageName: o.package as string | undefined });
  io.out(`wrote ${r.packageName} (${r.mode === "workspace" ? "workspace package" : "standalone package"}, ${r.arch}, device type ${r.deviceType}) in ${r.dir}:\n`);
  for (const f of r.files) io.out(`  ${f}\n`);
  io.out(`next:\n${r.next.map((c) => `  ${c}\n`).join("")}`);
  return EXIT_OK;
}

// ---- the program ---------------------------------------------------------------------

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command(PROGRAM.name)
    .description(PROGRAM.summary)
    .version(version(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help for a command")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      // One error prefix everywhere: commander's "error: ..." becomes "irqlab: ...".
      outputError: (s, write) => write(s.replace(/^error: /, ERROR_PREFIX)),
    });
  for (const def of COMMANDS) {
    const cmd = program.command(def.name).summary(def.summary).description(def.summary);
    for (const a of def.args) {
      const name = a.variadic ? `${a.name}...` : a.name;
      cmd.argument(a.required ? `<${name}>` : `[${name}]`, a.description);
    }
    for (const o of def.options) addOption(cmd, o);
    cmd.addHelpText("after", helpAfter(def));
    cmd.action(async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const o = command.opts();
      const pos = command.processedArgs as unknown[];
      let code: number;
      if (def.name === "compare") code = await compareAction(o, io);
      else if (def.name === "sweep") code = await sweepDispatch(pos[0] as string, (pos[1] as string[] | undefined) ?? [], o, io);
      else if (def.name === "replay") code = await replayAction((pos[0] as string[] | undefined) ?? [], o, io);
      else if (def.name === "new-controller") code = await newControllerAction(pos[0] as string, o, io);
      else code = await inspectAction(pos[0] as string | undefined, o, io);
      setExit(code);
    });
  }
  return program;
}

/** Runs the command line; returns the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram(io, (c) => (code = c));
  const verbose = argv.includes("-v") || argv.includes("--verbose");
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT_OK;
      // `irqlab help [command]` (exit code 0); `irqlab` alone or `help` of an unknown command: usage.
      if (e.code === "commander.help") return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      // Commander already printed its one-line message.
      return EXIT_USAGE;
    }
    io.err(`${ERROR_PREFIX}${errorLine(e)}\n`);
    if (verbose && e instanceof Error && e.stack && !(e instanceof CliError)) io.err(`${e.stack}\n`);
    return exitCodeOf(e);
  }
}
