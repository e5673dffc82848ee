import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain ES module script without type declarations
import { parseBenchOutput, renderFigures, updateReadme } from "../scripts/bench-figures.mjs";

const OUT = `
# setup.bench.mjs
{"bench":"routing.setup.irqfdAssign","ns_per_op":250,"spread_pct":10,"params":{"irqfds":1024,"chip":"test"}}
{"bench":"routing.setup.irqfdAssign","ns_per_op":300,"spread_pct":12,"params":{"irqfds":65536,"chip":"test"}}
{"bench":"routing.setup.irqfdAssign.flatness","ratio":1.2,"params":{"sizes":"1024/65536"}}
{"bench":"routing.table.msi","ns_per_op":9.8,"spread_pct":3,"params":{"chip":"trivial"}}
{"bench":"routing.irqfd.xics","ns_per_op":274,"spread_pct":5,"params":{"route":"irqchip","serviced":true}}
{"bench":"cli.model.cycle","ns_per_op":195,"params":{"controller":"xics"}}
{"bench":"cli.runner","ns_per_op":390,"spread_pct":4,"params":{"controller":"xics","workload":"one-source"}}
{"bench":"cli.runner.vs_model","ratio":2,"params":{"controller":"xics"}}
{"bench":"cli.compare.e2e","ns_per_op":6000,"ms":600,"handled_per_cpu_s":100000,"params":{"argv":"compare","handled":58370}}
bench   params  ops/s
`;

describe("scripts/bench-figures.mjs", () => {
  it("turns bench JSON lines into README tables (figures taken from the output, not typed)", () => {
    const rows = parseBenchOutput(OUT);
    expect(rows.length).toBe(9);
    const md: string = renderFigures(rows);
    expect(md).toContain("| `irqfdAssign` | 250 ± 10% | 300 ± 12% | 1.2 |  |");
    expect(md).toContain("| `routing.table.msi` | trivial | 9.8 ± 3% |");
    expect(md).toContain("| `routing.irqfd.xics` | irqchip | 274 ± 5% |");
    expect(md).toContain("| xics | 195 | 390 ± 4% | 2 |  |");
    expect(md).toContain("| `irqlab compare` | 58,370 | 600 | 6,000 | 100,000 |");
  });

  it("replaces only the marked block, and refuses a README without one", () => {
    const text = "a\n<!-- bench-figures:begin -->\nold\n<!-- bench-figures:end -->\nb\n";
    expect(updateReadme(text, "new\n")).toBe("a\n<!-- bench-figures:begin -->\nnew\n<!-- bench-figures:end -->\nb\n");
    expect(() => updateReadme("no block", "x")).toThrow(/no <!-- bench-figures:begin -->/);
  });
});
