#!/usr/bin/env node
/**
 * The `irqlab` executable: argv in, exit code out. Everything else lives in program.ts
 * (commander wiring from the tables in commands.ts) and cli-api.ts (the commands as
 * functions).
 */
// reflect-metadata must load before any decorated class: @irqlab/core's entry imports it first.
import "@irqlab/core";
import { main, quietOnClosedPipe } from "./program.js";

quietOnClosedPipe(process.stdout);
quietOnClosedPipe(process.stderr);
process.exitCode = await main(process.argv.slice(2));
