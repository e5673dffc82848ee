import { defineConfig } from "vitest/config";

// Decorator metadata: vitest 4's Oxc transform must emit it (esbuild#257, vitest#708).
export default defineConfig({
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
