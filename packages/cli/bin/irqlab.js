#!/usr/bin/env node
// The `irqlab` executable pnpm links into node_modules/.bin. It is plain JavaScript that
// exists before the build, so `pnpm install` can always link it (the root `prepare` script
// then builds); it runs the compiled CLI, or says how to build it.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/bin.js", import.meta.url);
if (!existsSync(entry)) {
  const root = fileURLToPath(new URL("../../..", import.meta.url));
  process.stderr.write(`irqlab: the CLI is not built yet (${fileURLToPath(entry)} is missing): run \`pnpm build\` in ${root}\n`);
  process.exit(1);
}
await import(entry.href);
