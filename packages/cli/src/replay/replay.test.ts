import { fileURLToPath } from "node:url";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPluginSet, pluginSetFrom } from "../plugins.js";
import { DIVERGENCES, importedRows } from "./divergences.js";
import { PinTracker } from "./pins.js";
import { deepEqual, divergenceRows, judge, replayTrace, runReplay } from "./replay.js";
import { parseTrace, readTrace, traceCpus } from "./trace.js";
import { InterruptLine } from "@irqlab/core";

/** The QEMU oracle traces: ../shared/oracle/qemu/traces beside the repository (IRQLAB_TRACES overrides). */
const TRACES = process.env.IRQLAB_TRACES ?? fileURLToPath(new URL("../../../../../shared/oracle/qemu/traces", import.meta.url));
const plugins = await loadPluginSet();
const rows = divergenceRows(plugins);
const files = readdirSync(TRACES).filter((f) => f.endsWith(".jsonl")).sort();

describe("replay of every QEMU oracle trace", () => {
  it("finds the traces", () => {
    expect(files.filter((f) => f.startsWith("mpic"))).toHaveLength(16);
    expect(files).toEqual(expect.arrayContaining(["xics_rtas.jsonl", "xics_hcalls.jsonl"]));
  });

  for (const f of files) {
    it(`${f}: every step agrees or is a documented divergence`, () => {
      const r = replayTrace(readTrace(join(TRACES, f)), plugins, rows);
      const machine = r.machine.split(",")[0];
      if (/^mpic|^xics/.test(f) || (machine === "pseries" && r.machine.includes("ic-mode=xics"))) {
        expect(r.status, r.reason).toBe("replayed");
        const bad = r.steps.filter((s) => s.verdict === "disagree");
        expect(bad.map((s) => `${s.seq} ${s.what}: ${JSON.stringify(s.mismatches)}`)).toEqual([]);
        if (/^(mpic|xics)/.test(f)) expect(r.counts.agree).toBeGreaterThan(r.counts.divergence);
      } else {
        expect(r.status).toBe("no-model");
        expect(r.reason).toMatch(/^no model for this machine/);
      }
    });
  }

  it("documented divergences are reported as divergences, never as agreement (and cite a spec)", () => {
    const r = runReplay([TRACES], plugins);
    const divergent = r.traces.flatMap((t) => t.steps.filter((s) => s.verdict === "divergence"));
    expect(divergent.length).toBeGreaterThan(0);
    const used = new Set(divergent.flatMap((s) => s.mismatches.map((m) => m.divergence)));
    for (const id of used) {
      const row = rows.find((x) => x.id === id)!;
      expect(row.spec).toMatch(/\.md/);
    }
    // The MPIC rows come from the package's export, not from a copy here.
    expect(used).toContain("timer-read-decoding");
    expect(DIVERGENCES.some((d) => d.id === "timer-read-decoding")).toBe(false);
    expect(r.totals.disagree).toBe(0);
  });

  it("a crash step of QEMU compares nothing", () => {
    const r = replayTrace(readTrace(join(TRACES, "probe_xics_set_irq_in.jsonl")), plugins, rows);
    expect(r.steps.map((s) => s.verdict)).toEqual(["n/a"]);
    expect(r.steps[0].reason).toMatch(/QEMU crashed/);
  });

  it("a controller whose plugin is missing: model-unavailable, not agreement", () => {
    const none = pluginSetFrom([], null);
    const r = replayTrace(readTrace(join(TRACES, "mpic42_regs.jsonl")), none, rows);
    expect(r.status).toBe("model-unavailable");
    expect(r.reason).toMatch(/no plugin provides device type 2/);
  });
});

describe("replay framework", () => {
  const meta = '{"type":"meta","scenario":"t","machine":"ppce500","qemu_args":["-smp","2"]}';

  it("trace reader: meta first, -smp parsed, bad records named by file and line", () => {
    const t = parseTrace(`${meta}\n{"type":"qtest","cmd":"readl 0x0","seq":0}\n{"type":"end","crashed":false}\n`, "t.jsonl");
    expect(t.steps).toHaveLength(1);
    expect(traceCpus(t.meta)).toBe(2);
    expect(() => parseTrace('{"type":"qtest"}', "a.jsonl")).toThrow(/^a\.jsonl:1: the first record must have type "meta"/);
    expect(() => parseTrace(`${meta}\nnot json`, "a.jsonl")).toThrow(/^a\.jsonl:2: invalid JSON/);
    expect(() => parseTrace(`${meta}\n{"type":"bogus","seq":1}`, "a.jsonl")).toThrow(/^a\.jsonl:2: unknown record type "bogus"/);
    expect(() => parseTrace("", "e.jsonl")).toThrow(/empty trace/);
  });

  it("judge: agree, divergence only when every mismatch is explained, else disagree", () => {
    const c1 = { field: "value", expected: 1, got: 1 };
    const c2 = { field: "irq", expected: [{ line: 4, level: 1 }], got: [] };
    const c3 = { field: "value", expected: 2, got: 3 };
    expect(judge([c1], () => undefined).verdict).toBe("agree");
    expect(judge([c1, c2], (c) => (c.field === "irq" ? "row" : undefined)).verdict).toBe("divergence");
    const j = judge([c2, c3], (c) => (c.field === "irq" ? "row" : undefined));
    expect(j.verdict).toBe("disagree");
    expect(j.mismatches.map((m) => m.divergence)).toEqual(["row", undefined]);
    expect(deepEqual([{ line: 1, level: 0 }], [{ line: 1, level: 0 }])).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });

  it("pin tracker: QEMU-style change reports (repeats suppressed), net change on request", () => {
    const ext = new InterruptLine("ext");
    const p = new PinTracker();
    p.intercept([{ line: ext, pin: 0 }]);
    ext.set(true);
    ext.set(false);
    ext.set(true);
    expect(p.drain()).toEqual([
      { line: 0, level: 1 },
      { line: 0, level: 0 },
      { line: 0, level: 1 },
    ]);
    ext.set(false);
    ext.set(true);
    expect(p.drain(true)).toEqual([]);
    ext.set(false);
    expect(p.drain(true)).toEqual([{ line: 0, level: 0 }]);
    p.dispose();
    ext.set(true);
    expect(p.drain()).toEqual([]);
  });

  it("rows a package exports keyed by record become matchers on (scenario, seq, field, op, offset)", () => {
    const { rows: imported, skipped } = importedRows(
      [
        { id: "x", spec: "mpic.md §1", description: "d", match: { setups: ["reset"], records: { t: [3] }, fields: ["value"], ops: ["read"], offsets: [[0x10, 0x1f]] } },
        { id: "creation-only", spec: "s", description: "d", match: { setups: ["creation"], records: {}, fields: ["value"], ops: ["read"] } },
        { nonsense: true },
      ],
      "mpic",
      "@irqlab/mpic",
    );
    expect(skipped).toBe(1);
    expect(imported.map((r) => r.id)).toEqual(["x"]);
    const base = {
      meta: { type: "meta" as const, scenario: "t", machine: "ppce500" },
      rec: { type: "qtest" as const, cmd: "readl 0x10", seq: 3 },
      check: { field: "value", expected: 1, got: 2 },
      controller: "mpic-4.2",
      offset: 0x14,
      access: "read" as const,
      cpus: 1,
    };
    expect(imported[0].matches(base)).toBe(true);
    expect(imported[0].matches({ ...base, offset: 0x20 })).toBe(false);
    expect(imported[0].matches({ ...base, rec: { ...base.rec, seq: 4 } })).toBe(false);
    expect(imported[0].matches({ ...base, check: { ...base.check, field: "irq" } })).toBe(false);
  });
});
