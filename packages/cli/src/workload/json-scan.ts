/**
 * Locating JSON syntax errors (Node's JSON.parse messages carry no position) and the one-line
 * `file:line:col: what` form, control characters escaped. Imports nothing of the CLI.
 */
import { escapeControl } from "@irqlab/core";

/** `file:line:col: what`, control characters of every part escaped. */
export function located(file: string, line: number, col: number, what: string): string {
  return `${escapeControl(file)}:${line}:${col}: ${escapeControl(what)}`;
}

/** Line and column (1-based, in characters) of offset `pos` of `text`. */
export function lineCol(text: string, pos: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, col: pos - start + 1 };
}

/**
 * Where JSON text first goes wrong, and what is wrong: a small scanner of the JSON grammar
 * (Node's JSON.parse messages carry no position). null when the text is valid JSON.
 */
export function jsonSyntaxError(text: string): { pos: number; what: string } | null {
  let i = 0;
  const n = text.length;
  class Bad {
    constructor(
      readonly pos: number,
      readonly what: string,
    ) {}
  }
  const ws = () => {
    while (i < n && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const shown = (p: number) => (p >= n ? "end of input" : `${JSON.stringify(text[p])}`);
  const value = (depth: number): void => {
    if (depth > 512) throw new Bad(i, "nesting deeper than 512 levels");
    ws();
    if (i >= n) throw new Bad(i, "unexpected end of input, a value was expected");
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Bad(i, `expected a property name in double quotes, found ${shown(i)}`);
        string();
        ws();
        if (text[i] !== ":") throw new Bad(i, `expected ':' after the property name, found ${shown(i)}`);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") return void i++;
        throw new Bad(i, `expected ',' or '}' in the object, found ${shown(i)}`);
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") return void i++;
        throw new Bad(i, `expected ',' or ']' in the array, found ${shown(i)}`);
      }
    }
    if (c === '"') return string();
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    for (const lit of ["true", "false", "null"]) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    throw new Bad(i, `unexpected ${shown(i)}, a value was expected`);
  };
  const string = () => {
    i++;
    for (;;) {
      if (i >= n) throw new Bad(i, "unterminated string");
      const ch = text.charCodeAt(i);
      if (ch === 34) return void i++;
      if (ch < 0x20) throw new Bad(i, `control character U+${ch.toString(16).padStart(4, "0")} in a string (escape it)`);
      if (ch === 92) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Bad(i, "bad \\u escape (four hex digits expected)");
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else throw new Bad(i, `bad escape ${shown(i + 1)} in a string`);
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === "-") throw new Bad(i, "malformed number");
    i += m[0].length;
  };
  try {
    value(0);
    ws();
    if (i < n) throw new Bad(i, `unexpected ${shown(i)} after the JSON value`);
    return null;
  } catch (e) {
    if (e instanceof Bad) return { pos: e.pos, what: e.what };
    throw e;
  }
}

