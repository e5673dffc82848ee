/**
 * The names a scaffolded controller package is written with, derived from the one NAME the
 * user gives (`irqlab new-controller toy8`): the id on the command line, the class prefix,
 * the constant prefix.
 */
import { CliError, EXIT_USAGE } from "../errors.js";

export interface ControllerNames {
  /** As given, lower case: the guest driver id, the trace-event prefix ("toy8", "my-pic"). */
  readonly id: string;
  /** Class prefix ("Toy8", "MyPic"). */
  readonly pascal: string;
  /** Constant infix ("TOY8", "MY_PIC"). */
  readonly upper: string;
  /** camelCase ("toy8", "myPic"), for values. */
  readonly camel: string;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export function controllerNames(name: string): ControllerNames {
  if (!NAME.test(name)) {
    throw new CliError(
      `controller name "${name}" must be lower case letters and digits, words joined by "-", starting with a letter (e.g. toy8, my-pic)`,
      EXIT_USAGE,
    );
  }
  const parts = name.split("-");
  const pascal = parts.map((p) => p[0].toUpperCase() + p.slice(1)).join("");
  return { id: name, pascal, upper: parts.map((p) => p.toUpperCase()).join("_"), camel: pascal[0].toLowerCase() + pascal.slice(1) };
}
