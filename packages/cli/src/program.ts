/**
 * The `irqlab` command line: builds the commander program from the declarative tables in
 * commands.ts, runs the chosen command through the programmatic API (cli-api.ts) and
 * prints. `main` returns the exit code instead of exiting, so tests can drive it.
 *
 * Exit codes: 0 ok, 1 the command failed (one line on stderr), 2 bad usage, 3 `replay`
 * found steps that disagree with QEMU.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { COMMANDS, PROGRAM, type CommandDef, type OptionDef } from "./commands.js";
import { effectiveWorkload, resolveCosts, runCompare } from "./compare.js";
import { escapeControl } from "@irqlab/core";
import { CliError, ERROR_PREFIX, EXIT_DISAGREEMENT, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, errorLine, exitCodeOf } from "./errors.js";
import { formatInspect, readVmDescription, runInspect } from "./inspect.js";
import { loadPluginSet, type PluginSet } from "./plugins.js";
import { prepareOutDir, writeReport } from "./report/html.js";
import { NO_PROGRESS, progressBar } from "./report/progress.js";
import { formatCompareTable } from "./report/table.js";
import { formatDivergences, formatReplay } from "./replay/format.js";
import { divergenceRows, runReplay } from "./replay/replay.js";
import { COST_DOCS, COST_KEYS, type CostModel } from "./sim/cost-model.js";
import { BUILTIN_WORKLOADS, builtinWorkload } from "./workload/builtins.js";
import { FieldError, duration, formatNs } from "./workload/fields.js";
import { WORKLOAD_LIMITS } from "./workload/types.js";

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** The stream the progress bar draws on (only if it is a terminal). */
  progressStream?: NodeJS.WriteStream;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  progressStream: process.stderr,
};

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
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string }).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
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

type Opts = Record<string, unknown>;

/**
 * A `--plugin` path that exists on disk is a path, even when it contains "#" (which would
 * otherwise split it as `pkg#export`): it is passed on as a file: URL, where "#" is %23.
 */
function pluginSpec(v: string): string {
  if (!v.includes("#") || !(v.startsWith(".") || isAbsolute(v)) || !existsSync(resolve(v))) return v;
  return pathToFileURL(resolve(v)).href;
}

async function plugins(o: Opts, io: Io): Promise<PluginSet> {
  const set = await loadPluginSet({ extra: ((o.plugin as string[] | undefined) ?? []).map(pluginSpec) });
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
  if (!o.listControllers) {
    effectiveWorkload({ workload: o.workload as string, seed: o.seed as number | undefined, duration: o.duration as number | undefined });
    resolveCosts(costs(o));
  }
  const set = await plugins(o, io);
  if (o.listControllers) {
    if (set.drivers.length === 0) io.out("no controller registered (are the controller packages built? try --verbose)\n");
    for (const p of set.plugins) {
      for (const c of p.contributions) io.out(`${c.id.padEnd(10)} ${c.label.padEnd(24)} ${c.arch.padEnd(10)} ${p.specifier}\n`);
    }
    return EXIT_OK;
  }
  // A bad --out fails now, not after the simulation.
  if (typeof o.out === "string") prepareOutDir(o.out);
  const json = o.json === true;
  const progress = json || o.progress === false || !io.progressStream ? NO_PROGRESS : progressBar(io.progressStream);
  let report;
  try {
    report = runCompare(set, {
      workload: o.workload as string,
      controllers: o.controllers as string[] | undefined,
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
    (json ? io.err : io.out)(`report written to ${files.html} and ${files.json}\n`);
  }
  io.out(json ? JSON.stringify(report, null, 2) + "\n" : formatCompareTable(report) + "\n");
  const losing = report.controllers.filter((r) => r.counts.lost !== 0 || r.counts.unaccounted !== 0);
  if (losing.length) {
    io.err(`irqlab: ${losing.map((r) => `${r.label} lost ${r.counts.lost} interrupt(s)`).join("; ")}\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

async function replayAction(traces: string[], o: Opts, io: Io): Promise<number> {
  const set = await plugins(o, io);
  if (o.listDivergences) {
    io.out(formatDivergences(divergenceRows(set)) + "\n");
    return EXIT_OK;
  }
  if (traces.length === 0) throw new CliError("replay needs at least one trace file or directory (or --list-divergences)", EXIT_USAGE);
  const report = runReplay(traces, set);
  io.out(o.json ? JSON.stringify(report, null, 2) + "\n" : formatReplay(report, { summary: o.summary === true }) + "\n");
  const unavailable = report.traces.filter((t) => t.status === "model-unavailable");
  if (unavailable.length) {
    io.err(`irqlab: no model available for ${unavailable.map((t) => `${t.scenario} (${t.reason})`).join("; ")}\n`);
    return EXIT_FAILURE;
  }
  if (report.totals.disagree) {
    io.err(`irqlab: ${report.totals.disagree} step(s) disagree with QEMU and are not documented divergences\n`);
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
      else if (def.name === "replay") code = await replayAction((pos[0] as string[] | undefined) ?? [], o, io);
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
