/**
 * README code blocks as tests (used by readme-blocks.test.ts): extraction, and the rewriting
 * of commented results into assertions.
 *
 *   ```ts / ```js     executed; a trailing comment that states a result is asserted:
 *                       expr;            // 0x43 (text)        -> the statement's value equals 0x43
 *                       stmt;            // a.b[0] === true    -> after the statement, a.b[0] === true
 *                       expr;            // { kind: "x", ... } -> the value has at least these fields
 *                     any other comment is prose (not asserted)
 *   ```sh             each command line run: `irqlab ...`, `pnpm -s irqlab ...`, `pnpm exec
 *                     irqlab ...`, `pnpm demo`, `node packages/cli/dist/bin.js ...` run the CLI
 *                     (must exit 0); install, test, bench and shell-setup lines are checked
 *                     (the pnpm script they name exists) but not run
 *   ```json           parsed (a fragment such as `"key": value` is parsed inside {}); workloads
 *                     and VM descriptions are validated by the CLI's validators
 *   ``` (no tag), ```text   diagrams and sample output: not code, not run
 */
import { readdirSync, existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export interface CodeBlock {
  /** README path relative to the repository root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The info string's first word ("ts", "sh", "json", "" ...). */
  readonly lang: string;
  readonly code: string;
}

/** The READMEs whose blocks run: the root README and every packages/<name>/README.md. */
export function readmeFiles(root: string): string[] {
  const out = [join(root, "README.md")];
  const pk = join(root, "packages");
  for (const n of readdirSync(pk).sort()) {
    const f = join(pk, n, "README.md");
    if (existsSync(f)) out.push(f);
  }
  return out;
}

export function extractBlocks(root: string, path: string): CodeBlock[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*([\w+-]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[2];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].trimStart().startsWith(fence); j++) body.push(lines[j]);
    blocks.push({ file: relative(root, path), line: i + 1, lang: open[3].toLowerCase(), code: body.join("\n") });
    i = j;
  }
  return blocks;
}

/** Splits a line into code and trailing `//` comment (ignoring `//` inside string literals). */
export function splitComment(line: string): [string, string | null] {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "/" && line[i + 1] === "/") return [line.slice(0, i).trimEnd(), line.slice(i + 2).trim()];
  }
  return [line, null];
}

/** A JS literal at the start of `text` (number, string, boolean, null, or a balanced {...}/[...]), and its length. */
function leadingLiteral(text: string): string | null {
  const simple = /^(-?0x[0-9a-f]+n?|-?\d[\d_]*(\.\d+)?(e[+-]?\d+)?n?|true|false|null|undefined|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')(?![\w.])/i.exec(text);
  if (simple) return simple[1];
  if (text[0] !== "{" && text[0] !== "[") return null;
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return text.slice(0, i + 1);
    }
  }
  return null;
}

const DECLARATION = /^\s*(const|let|var|import|export|for|if|while|function|class|interface|type|return)\b/;

export interface Rewritten {
  readonly code: string;
  /** How many results the block states (and the rewritten code asserts). */
  readonly assertions: number;
}

/**
 * Rewrites a TypeScript block so that its commented results are asserted with
 * `__expect(actual, expected, partial, where)` (defined by the caller).
 */
export function rewriteTs(block: CodeBlock): Rewritten {
  const out: string[] = [];
  let assertions = 0;
  block.code.split("\n").forEach((raw, k) => {
    const where = JSON.stringify(`${block.file}:${block.line + 1 + k}`);
    const [code, comment] = splitComment(raw);
    if (comment === null || code.trim() === "") {
      out.push(raw);
      return;
    }
    // "stmt; // path.to[0] === VALUE ...": check after the statement.
    const eq = /^([A-Za-z_$][\w$]*(?:\.[\w$]+|\[\d+\]|\([^()]*\))*)\s*===\s*(.+)$/.exec(comment);
    if (eq) {
      const lit = leadingLiteral(eq[2].trim());
      if (lit !== null) {
        out.push(code, `__expect(${eq[1]}, ${lit}, false, ${where});`);
        assertions++;
        return;
      }
    }
    // "expr; // VALUE ...": the expression statement's value.
    const lit = leadingLiteral(comment);
    const expr = /^(.*?);?\s*$/.exec(code)![1];
    if (lit !== null && !DECLARATION.test(code) && !/[^=!<>]=[^=]/.test(expr.replace(/=>/g, ""))) {
      const partial = lit.startsWith("{") && /\.\.\./.test(lit);
      const expected = partial ? lit.replace(/,?\s*\.\.\.\s*/g, " ") : lit;
      out.push(`__expect(${expr.trim()}, ${expected}, ${partial}, ${where});`);
      assertions++;
      return;
    }
    out.push(raw);
  });
  return { code: out.join("\n"), assertions };
}

/** A shell line from a README: what to do with it. */
export type ShellStep =
  | { readonly kind: "irqlab"; readonly args: string[]; readonly text: string }
  | { readonly kind: "checked"; readonly text: string; readonly pnpmScript?: string; readonly why: string };

/** Splits a command line into words (double and single quotes; no expansion). */
export function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** The steps of a sh block: comments dropped, `&&` chains split. */
export function shellSteps(code: string): ShellStep[] {
  const steps: ShellStep[] = [];
  for (const raw of code.split("\n")) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) continue;
    for (const part of line.split("&&").map((p) => p.trim()).filter(Boolean)) {
      const w = words(part);
      const cli = (i: number): ShellStep => ({ kind: "irqlab", args: w.slice(i), text: part });
      if (w[0] === "irqlab") steps.push(cli(1));
      else if (w[0] === "pnpm" && w[1] === "-s" && w[2] === "irqlab") steps.push(cli(3));
      else if (w[0] === "pnpm" && w[1] === "irqlab") steps.push(cli(2));
      else if (w[0] === "pnpm" && w[1] === "exec" && w[2] === "irqlab") steps.push(cli(3));
      else if (w[0] === "node" && /packages\/cli\/(dist\/bin|bin\/irqlab)\.js$/.test(w[1] ?? "")) steps.push(cli(2));
      else if ((w[0] === "pnpm" && w[1] === "demo") || (w[0] === "corepack" && w[1] === "pnpm" && w[2] === "demo")) {
        steps.push({ kind: "irqlab", args: ["compare"], text: part });
      } else {
        const pnpm = w[0] === "corepack" ? w.slice(1) : w;
        const script = pnpm[0] === "pnpm" && pnpm[1] !== "install" && pnpm[1] !== "exec" ? pnpm[pnpm[1] === "-s" ? 2 : 1] : undefined;
        steps.push({ kind: "checked", text: part, pnpmScript: script, why: "installs, builds, tests or sets up the shell: checked, not run" });
      }
    }
  }
  return steps;
}
