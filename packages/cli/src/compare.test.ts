import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadWorkload, resolveCosts, runCompare } from "./compare.js";
import { CliError } from "./errors.js";
import { loadPluginSet, pluginSetFrom, type PluginSet } from "./plugins.js";
import { renderHtmlReport } from "./report/html.js";
import { lineChart, niceScale, ninesScale } from "./report/svg.js";
import { formatCompareTable } from "./report/table.js";
import { fakeControllerModule } from "./test-support/fake-controller.js";
import { fakeRoutingLib } from "./test-support/fake-routing.js";
import { BUILTIN_WORKLOADS } from "./workload/builtins.js";
import { validateWorkload } from "./workload/validate.js";

const real: PluginSet = await loadPluginSet();

describe("compare on the registered controllers", () => {
  it("the configured plugins provide XICS and both MPICs (the README's demo table)", () => {
    const ids = real.drivers.map((d) => d.id);
    expect(ids).toEqual(expect.arrayContaining(["xics", "mpic-2.0", "mpic-4.2"]));
    expect(real.routing).not.toBeNull();
  });

  it("[determinism] two runs with the same seed give identical JSON (host throughput left out)", () => {
    const a = JSON.stringify(runCompare(real, { deterministic: true }));
    const b = JSON.stringify(runCompare(real, { deterministic: true }));
    expect(a).toBe(b);
    expect(a).not.toContain('"host"');
  });

  it("[determinism] only the host figures differ without --deterministic; another seed changes the numbers", () => {
    const strip = (r: ReturnType<typeof runCompare>) => JSON.stringify({ ...r, controllers: r.controllers.map(({ host, ...rest }) => (void host, rest)) });
    const a = runCompare(real, { workload: "ipi-storm", duration: "2ms" });
    const b = runCompare(real, { workload: "ipi-storm", duration: "2ms" });
    expect(a.controllers.every((c) => c.host && c.host.wallMs >= 0)).toBe(true);
    expect(strip(a)).toBe(strip(b));
    const c = runCompare(real, { workload: "ipi-storm", duration: "2ms", seed: 99 });
    expect(strip(c)).not.toBe(strip(a));
  });

  for (const name of BUILTIN_WORKLOADS) {
    it(`built-in workload ${name}: every controller runs it without losing an interrupt`, () => {
      const r = runCompare(real, { workload: name, duration: name === "default" ? undefined : "5ms", deterministic: true });
      expect(r.controllers.length).toBeGreaterThanOrEqual(3);
      for (const c of r.controllers) {
        expect(c.status, `${c.id}: ${c.error}`).toBe("ok");
        expect(c.counts.lost, c.id).toBe(0);
        expect(c.counts.unaccounted, c.id).toBe(0);
        expect(c.counts.raised, c.id).toBeGreaterThan(0);
        expect(c.quiescent, c.id).toBe(true);
      }
    });
  }

  it("the default workload prints a table with one column per controller", () => {
    const r = runCompare(real, { deterministic: true });
    const table = formatCompareTable(r);
    for (const c of r.controllers) expect(table).toContain(c.label);
    expect(table).toMatch(/lost \(checked, must be 0\)\s+(0 ok\s+)+/);
    expect(table).toContain("latency p99");
  });

  it("the exit path a guest driver takes shows in the per-interrupt exits: hcalls for XICS, MMIO for MPIC", () => {
    const r = runCompare(real, { controllers: ["xics", "mpic-4.2"], workload: "msi-many-queue", duration: "2ms", deterministic: true });
    const [xics, mpic] = r.controllers;
    expect(xics.perInterrupt.hcalls).toBeGreaterThan(0);
    expect(xics.perInterrupt.mmio).toBe(0);
    expect(mpic.perInterrupt.mmio).toBeGreaterThan(0);
    expect(mpic.perInterrupt.hcalls).toBe(0);
  });

  it("costs are options: a dearer hypercall raises XICS's latency, not MPIC's", () => {
    const base = runCompare(real, { controllers: ["xics", "mpic-4.2"], workload: "msi-many-queue", duration: "2ms", deterministic: true });
    const dear = runCompare(real, { controllers: ["xics", "mpic-4.2"], workload: "msi-many-queue", duration: "2ms", deterministic: true, cost: { hcallNs: 5000 } });
    expect(dear.controllers[0].latencyNs.p50!).toBeGreaterThan(base.controllers[0].latencyNs.p50!);
    expect(dear.controllers[1].latencyNs.p50).toBe(base.controllers[1].latencyNs.p50);
    expect(dear.cost.hcallNs).toBe(5000);
  });
});

describe("metrics on the real controllers, hand-computed (entry 100, MMIO 10, hcall 20, handler 1000)", () => {
  const cost = { entryNs: 100, mmioNs: 10, hcallNs: 20, handlerNs: 1000 };
  const one = (kind: "msi" | "intx") =>
    runCompare(real, {
      workload: validateWorkload({ name: "one", vcpus: 1, duration: "1ms", devices: [{ name: "d", kind, rate: 10000, arrival: "periodic" }] }),
      cost,
      deterministic: true,
      controllers: ["xics", "mpic-4.2"],
    }).controllers;

  it("an isolated MSI: XICS pays H_XIRR before the handler (120 ns) and 2 hcalls; MPIC pays IACK + MSIR (120 ns) and 4 MMIO", () => {
    const [xics, mpic] = one("msi");
    expect(xics.counts).toMatchObject({ raised: 9, delivered: 9, coalesced: 0, redundant: 0, lost: 0 });
    expect([xics.latencyNs.p50, xics.latencyNs.max]).toEqual([120, 120]);
    // One exception per interrupt (icp_hv_get_irq): H_XIRR (the MSI), H_EOI.
    expect(xics.exits).toMatchObject({ hcalls: 18, mmioReads: 0, mmioWrites: 0 });
    expect(mpic.counts).toMatchObject({ raised: 9, delivered: 9, redundant: 0, lost: 0 });
    expect([mpic.latencyNs.p50, mpic.latencyNs.max]).toEqual([120, 120]);
    // IACK (the MSI bank), MSIR read (which MSI), EOI, WHOAMI read-back (mpic_eoi).
    expect(mpic.exits).toMatchObject({ mmioReads: 27, mmioWrites: 9, hcalls: 0 });
    expect(mpic.perInterrupt.mmio).toBe(4);
  });

  it("an isolated INTx with resamplefd: XICS re-presents the LSI at H_EOI before the resample lowers it (one redundant delivery each); MPIC does not", () => {
    const [xics, mpic] = one("intx");
    expect(xics.counts).toMatchObject({ raised: 9, delivered: 9, redundant: 9, lost: 0 });
    expect(xics.latencyNs.max).toBe(120);
    // Per event: H_XIRR, H_EOI (re-presents the LSI), and a second exception: H_XIRR, H_EOI.
    expect(xics.exits.hcalls).toBe(36);
    expect(xics.handled).toBe(18);
    expect(mpic.counts).toMatchObject({ raised: 9, delivered: 9, redundant: 0, lost: 0 });
    expect(mpic.latencyNs.max).toBe(110);
    expect(mpic.perInterrupt.mmio).toBe(3);
  });
});

describe("compare invariants", () => {
  it("a chip without resample (native XIVE: no ack notifiers on EOI) gets its level sources signalled per event, and drains", () => {
    const r = runCompare(real, { controllers: ["xive"], workload: "level-shared", duration: "2ms", deterministic: true }).controllers[0];
    expect(r.status).toBe("ok");
    expect(r.notes.join("\n")).toMatch(/without resamplefd: the xive controller runs no ack notifiers/);
    expect(r.counts.lost).toBe(0);
    expect(r.quiescent).toBe(true);
    expect(r.counts.delivered).toBeGreaterThan(0);
  });

  it("strict VMs: book3s has no routing table, XICS sources use GSI = pin and give the same numbers", () => {
    const loose = runCompare(real, { controllers: ["xics"], workload: "level-shared", duration: "2ms", deterministic: true });
    const strict = runCompare(real, { controllers: ["xics"], workload: "level-shared", duration: "2ms", deterministic: true, strict: true });
    expect(strict.controllers[0].counts).toEqual(loose.controllers[0].counts);
    expect(strict.controllers[0].notes.join("\n")).toMatch(/no GSI routing table \(ENOTTY/);
  });

  it("random small workloads: every controller accounts for every event and loses none", () => {
    const device = fc.record({
      kind: fc.constantFrom("msi", "intx"),
      rate: fc.integer({ min: 1000, max: 400000 }),
      burst: fc.integer({ min: 1, max: 3 }),
      arrival: fc.constantFrom("poisson", "periodic"),
      line: fc.constantFrom("a", "b", undefined),
      priority: fc.integer({ min: 0, max: 7 }),
    });
    fc.assert(
      fc.property(fc.array(device, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.integer({ min: 0, max: 1000 }), (devs, vcpus, ipis, seed) => {
        const w = validateWorkload({
          name: "random",
          vcpus,
          duration: "300us",
          seed,
          devices: devs.map((d, i) => ({ name: `d${i}`, kind: d.kind, rate: d.rate, burst: d.burst, arrival: d.arrival, priority: d.priority, ...(d.kind === "intx" && d.line ? { line: d.line } : {}) })),
          ...(ipis && vcpus > 1 ? { ipis: { rate: 200000 } } : {}),
        });
        for (const c of runCompare(real, { workload: w, deterministic: true }).controllers) {
          expect(c.status, `${c.id}: ${c.error}`).toBe("ok");
          expect(c.counts.unaccounted, c.id).toBe(0);
          expect(c.counts.lost, `${c.id} lost events in ${JSON.stringify(w)}`).toBe(0);
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe("compare options and errors", () => {
  const fake = pluginSetFrom([{ specifier: "fake", module: fakeControllerModule() }], fakeRoutingLib);

  it("an unknown controller id is a usage error naming the available ones", () => {
    expect(() => runCompare(fake, { controllers: ["nope"] })).toThrow(/unknown controller "nope" \(available: fake\)/);
  });

  it("controller ids are matched ignoring case (the table prints XICS, the id is xics)", () => {
    const r = runCompare(real, { controllers: ["XICS", "Mpic-4.2"], workload: "ipi-storm", duration: "1ms", deterministic: true });
    expect(r.controllers.map((c) => c.id)).toEqual(["xics", "mpic-4.2"]);
  });

  it("an unknown workload name that is no file either is a usage error listing the built-ins", () => {
    try {
      loadWorkload("no-such-workload");
      throw new Error("expected an error");
    } catch (e) {
      expect(e).toBeInstanceOf(CliError);
      expect((e as CliError).exitCode).toBe(2);
      expect((e as Error).message).toMatch(/no built-in workload or file named "no-such-workload" \(built-ins: default, /);
    }
  });

  it("costs: unknown keys and negative values are refused", () => {
    expect(() => resolveCosts({ nope: 1 } as never)).toThrow(/unknown cost "nope"/);
    expect(() => resolveCosts({ mmioNs: -1 })).toThrow(/cost mmioNs must be a number/);
    expect(resolveCosts({ mmioNs: 7 }).mmioNs).toBe(7);
  });

  it("no routing package: a clear error", () => {
    const noRouting = pluginSetFrom([{ specifier: "fake", module: fakeControllerModule() }], null, ["routing @irqlab/routing not loaded: not built"]);
    expect(() => runCompare(noRouting, {})).toThrow(/the routing package is not available \(routing @irqlab\/routing not loaded: not built\)/);
  });

  it("the HTML report is self-contained: inline SVG charts, no scripts, no external resources", () => {
    const html = renderHtmlReport(runCompare(real, { workload: "ipi-storm", duration: "1ms", deterministic: true }));
    expect(html).toMatch(/^<!doctype html>/);
    expect((html.match(/<svg /g) ?? []).length).toBe(5);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain("Latency from raise to handler");
  });
});

describe("HTML report charts", () => {
  it("[report-overlap] a controller whose latency curve equals another's is drawn dashed and named in the legend", () => {
    const pts: [number, number][] = [
      [0, 100],
      [50, 200],
      [100, 900],
    ];
    const svg = lineChart({
      title: "t",
      series: [
        { name: "A", points: pts },
        { name: "B", points: pts.map(([p, v]) => [p, v]) },
      ],
      xLabel: "x",
      yLabel: "y",
      xTicks: [[0, "0"]],
    });
    expect(svg).toContain("B (= A)");
    expect(svg).toMatch(/stroke-dasharray="7 4"/);
  });

  it("[report-ticks] axes step by 1, 2 or 5 times a power of ten (no 1.25 or 3.75 ticks)", () => {
    expect(niceScale(3.8)).toEqual({ max: 4, step: 1 });
    expect(niceScale(11559)).toEqual({ max: 15000, step: 5000 });
    expect(niceScale(9610)).toEqual({ max: 10000, step: 2000 });
    expect(niceScale(0)).toEqual({ max: 1, step: 0.25 });
  });

  it("[report-tail] the latency distribution puts p90, p99 and p99.9 evenly apart (the tail is not squeezed into the right edge)", () => {
    expect(ninesScale(0)).toBe(0);
    expect(ninesScale(90)).toBeCloseTo(1);
    expect(ninesScale(99)).toBeCloseTo(2);
    expect(ninesScale(99.9)).toBeCloseTo(3);
    expect(ninesScale(100)).toBe(3.5);
  });

  it("[report-requests] the requests chart sums to raised; redundant handler calls are a chart of their own", () => {
    const report = runCompare(real, {
      workload: validateWorkload({ name: "t", vcpus: 1, duration: "1ms", devices: [{ name: "d", kind: "intx", rate: 10000, arrival: "periodic" }] }),
      controllers: ["xics"],
      deterministic: true,
    });
    const x = report.controllers[0];
    expect(x.counts.redundant).toBeGreaterThan(0);
    const html = renderHtmlReport(report);
    expect(html).toContain("Interrupt requests: delivered + coalesced + lost + pending = raised");
    // The request stack is labelled with the raised total, not raised + redundant.
    const requests = html.split("Interrupt requests:")[1].split("</svg>")[0];
    expect(requests).toContain(`>${x.counts.raised}</text>`);
    expect(requests).not.toContain("redundant");
    expect(html).toContain("Handler calls: delivering vs redundant");
  });

  it("[report-table] the percentiles are an HTML table (not a clipped pre line) and the table legend explains redundant deliveries", () => {
    const html = renderHtmlReport(runCompare(real, { workload: "ipi-storm", duration: "1ms", deterministic: true }));
    expect(html).toMatch(/<table class="pct"><tr><th>controller<\/th><th>p0<\/th>.*<th>p99\.9<\/th><th>max<\/th>/);
    expect(html).toContain("redundant deliveries: handler calls that found no new event");
  });
});
