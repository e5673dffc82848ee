/**
 * Errors the CLI reports as one line on stderr: `CliError` carries the exit code
 * (1 = the command failed, 2 = bad usage). Anything else that escapes a command is a bug and
 * is reported the same way (one line, exit 1), with the stack under `--verbose`.
 */
import { KvmError, escapeControl } from "@irqlab/core";
import { FieldError } from "./workload/fields.js";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** `irqlab replay` found steps where the model and QEMU disagree (not a documented divergence). */
export const EXIT_DISAGREEMENT = 3;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** The prefix of every error line the CLI prints (its own and commander's). */
export const ERROR_PREFIX = "irqlab: ";

/**
 * The one line printed for an error (no "Error:" noise, no stack). Control characters are
 * escaped: a file name or a field value can never drive the terminal.
 */
export function errorLine(e: unknown): string {
  return escapeControl(rawErrorLine(e));
}

function rawErrorLine(e: unknown): string {
  if (e instanceof CliError || e instanceof FieldError) return e.message;
  if (KvmError.is(e)) return `${e.message}`;
  if (e instanceof Error) return `${e.name === "Error" ? "" : e.name + ": "}${e.message}`.split("\n")[0];
  try {
    return String(e);
  } catch {
    return "an exception that cannot be printed";
  }
}

export function exitCodeOf(e: unknown): number {
  return e instanceof CliError ? e.exitCode : EXIT_FAILURE;
}
