#!/usr/bin/env node
/**
 * The `irqlab` executable: argv in, exit code out. Everything else lives in program.ts
 * (commander wiring from the tables in commands.ts) and cli-api.ts (the commands as
 * functions).
 */
// reflect-metadata must load before any decorated class: @irqlab/core's entry imports it first.
import "@irqlab/core";
import { main, quietOnClosedPipe } from "./program.js";

// Node exits with 13, silently, when the event loop empties while a top-level await is
// pending: here that is a plugin module whose own top-level await never settles. Say so
// (one line) and exit 1, the command failed.
let finished = false;
process.on("beforeExit", () => {
  if (!finished) {
    process.stderr.write("irqlab: a plugin module never finished loading (its top-level await never settles)\n");
    process.exit(1);
  }
});
quietOnClosedPipe(process.stdout);
quietOnClosedPipe(process.stderr);
process.exitCode = await main(process.argv.slice(2));
finished = true;
