/**
 * Generates the CLI reference in packages/cli/README.md from the same tables commander is
 * built from (commands.ts), plus the built-in workloads and the cost defaults. The README
 * part between the markers is generated; everything else is hand-written.
 *
 *   node dist/gen-docs.js          rewrite the generated part of README.md
 *   node dist/gen-docs.js --check  exit 1 if README.md is out of date
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { COMMANDS, PROGRAM } from "./commands.js";
import { COST_DOCS, COST_KEYS, DEFAULT_COSTS } from "./sim/cost-model.js";
import { BUILTIN_WORKLOADS, builtinWorkload } from "./workload/builtins.js";
import { formatNs } from "./workload/fields.js";

export const BEGIN = "<!-- cli-reference:begin (generated from src/commands.ts by `pnpm --filter @irqlab/cli docs`; do not edit by hand) -->";
export const END = "<!-- cli-reference:end -->";

const cell = (s: string): string => s.replace(/\|/g, "\\|");

export function renderCliReference(): string {
  const out: string[] = [BEGIN, "", "## CLI reference", ""];
  out.push(`\`${PROGRAM.name}\`: ${PROGRAM.summary}.`, "");
  out.push("Global options: `-h, --help` (also `irqlab help <command>`), `-V, --version`.", "");
  for (const c of COMMANDS) {
    const args = c.args.map((a) => (a.required ? `<${a.name}${a.variadic ? "..." : ""}>` : `[${a.name}${a.variadic ? "..." : ""}]`)).join(" ");
    out.push(`### \`irqlab ${c.name} [options]${args ? " " + args : ""}\``, "");
    out.push(`${c.summary[0].toUpperCase()}${c.summary.slice(1)}.`, "");
    out.push(c.details, "");
    if (c.args.length) {
      out.push("| Argument | Description |", "|---|---|");
      for (const a of c.args) out.push(`| \`${a.name}${a.variadic ? "..." : ""}\` | ${cell(a.description)} |`);
      out.push("");
    }
    out.push("| Option | Description | Default |", "|---|---|---|");
    for (const o of c.options) {
      const def = o.defaultValue === undefined ? "" : `\`${String(o.defaultValue)}\``;
      out.push(`| \`${cell(o.flags)}\` | ${cell(o.description)} | ${def} |`);
    }
    out.push("", "Examples:", "", "```sh");
    const width = Math.max(...c.examples.map((e) => e.cmd.length));
    for (const e of c.examples) out.push(`${e.cmd.padEnd(width)}   # ${e.what}`);
    out.push("```", "");
  }
  out.push("### Built-in workloads", "", "| Name | vCPUs | Arrival period | Description |", "|---|---|---|---|");
  for (const name of BUILTIN_WORKLOADS) {
    const w = builtinWorkload(name)!;
    out.push(`| \`${name}\` | ${w.vcpus} | ${formatNs(w.durationNs)} | ${cell(w.description)} |`);
  }
  out.push("", "### Cost model defaults (simulated ns)", "", "| Option | Default | What it costs |", "|---|---|---|");
  for (const k of COST_KEYS) out.push(`| \`${COST_DOCS[k].option}\` | ${DEFAULT_COSTS[k]} | ${cell(COST_DOCS[k].what)} |`);
  out.push("", END);
  return out.join("\n");
}

export function readmePath(): string {
  return fileURLToPath(new URL("../README.md", import.meta.url));
}

/** The README with its generated part replaced (or appended when the markers are missing). */
export function updatedReadme(text: string): string {
  const ref = renderCliReference();
  const a = text.indexOf(BEGIN.slice(0, 30));
  const b = text.indexOf(END);
  if (a < 0 || b < 0) return `${text.trimEnd()}\n\n${ref}\n`;
  return text.slice(0, a) + ref + text.slice(b + END.length);
}

function main(args: readonly string[]): number {
  const path = readmePath();
  const text = readFileSync(path, "utf8");
  const next = updatedReadme(text);
  if (args.includes("--check")) {
    if (next !== text) {
      process.stderr.write(`${path} is out of date: run pnpm --filter @irqlab/cli docs\n`);
      return 1;
    }
    return 0;
  }
  if (next !== text) writeFileSync(path, next);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
