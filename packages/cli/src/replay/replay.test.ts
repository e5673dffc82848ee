import { fileURLToPath } from "node:url";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InterruptLine, profileCatalogue } from "@irqlab/core";
import { loadPluginSet, pluginSetFrom } from "../plugins.js";
import { PinTracker } from "./pins.js";
import { deepEqual, judge, replayTrace, runReplay, traceFails } from "./replay.js";
import { parseTrace, readTrace, traceCpus, type Trace } from "./trace.js";

/** The QEMU oracle traces: ../shared/oracle/qemu/traces beside the repository (IRQLAB_TRACES overrides). */
const TRACES = process.env.IRQLAB_TRACES ?? fileURLToPath(new URL("../../../../../shared/oracle/qemu/traces", import.meta.url));
/** Random QEMU 7.2 traces recorded by packages/cli/oracle/record.sh (a committed sample). */
const FIXTURES = fileURLToPath(new URL("./fixtures", import.meta.url));
const plugins = await loadPluginSet();
const files = readdirSync(TRACES).filter((f) => f.endsWith(".jsonl")).sort();
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith(".jsonl")).sort();
const catalogue = profileCatalogue([...(plugins.routing ? [plugins.routing.module] : []), ...plugins.modules]);
const QEMU = catalogue.profile("qemu-7.2")!;

const traceCache = new Map<string, Trace>();
const load = (path: string): Trace => {
  let t = traceCache.get(path);
  if (!t) traceCache.set(path, (t = readTrace(path)));
  return t;
};
const modelled = [...files.filter((f) => /^(mpic|xics|xive)/.test(f)).map((f) => join(TRACES, f)), ...fixtures.map((f) => join(FIXTURES, f))];
const familyOf = (machine: string): string => (/^(ppce500|mpc8544ds)/.test(machine) ? "mpic" : machine.includes("ic-mode=xive") ? "xive" : "xics");

describe("replay of every QEMU oracle trace in the qemu-7.2 profile", () => {
  it("finds the traces and the committed random fixtures of each family", () => {
    expect(files.filter((f) => f.startsWith("mpic"))).toHaveLength(16);
    expect(files).toEqual(expect.arrayContaining(["xics_rtas.jsonl", "xics_hcalls.jsonl"]));
    for (const fam of ["mpic20", "mpic42", "xics", "xive"]) expect(fixtures.some((f) => f.startsWith(`${fam}-`))).toBe(true);
  });

  for (const f of files) {
    it(`${f}: every compared step agrees`, () => {
      const r = replayTrace(load(join(TRACES, f)), plugins);
      if (/^(ppce500|mpc8544ds|pseries,ic-mode=xics|pseries,ic-mode=xive|powernv9)/.test(r.machine)) {
        expect(r.status, r.reason).toBe("replayed");
        expect(r.profile).toBe("qemu-7.2");
        const bad = r.steps.filter((s) => s.verdict === "disagree");
        expect(bad.map((s) => `${s.seq} ${s.what}: ${JSON.stringify(s.mismatches)}`)).toEqual([]);
        if (f === "xive_spapr_tima.jsonl") {
          // The HW, HV and user TIMA views: KVM maps only the OS view for a guest (refused, counted).
          expect(r.failure).toBe("10 of 46 controller accesses (21.7%) are not modelled (limit 5%)");
        } else if (f === "probe_powernv9_xive.jsonl") {
          // PowerNV's XIVE is another device: nothing maps onto the sPAPR model, loudly.
          expect(r.failure).toBe("6 of 6 controller accesses (100.0%) are not modelled (limit 5%)");
        } else expect(traceFails(r), r.failure).toBe(false);
      } else {
        expect(r.status).toBe("no-model");
        expect(r.reason).toMatch(/^no model for this machine/);
      }
    });
  }

  for (const f of fixtures) {
    it(`random fixture ${f}: 400+ steps, 100% agreement`, () => {
      const r = replayTrace(load(join(FIXTURES, f)), plugins);
      expect(r.status, r.reason).toBe("replayed");
      expect(r.steps.length).toBeGreaterThanOrEqual(400);
      expect(r.counts.disagree).toBe(0);
      expect(r.counts.agree).toBeGreaterThan(r.steps.length * 0.95);
      expect(traceFails(r)).toBe(false);
    });
  }

  it("a crash step of QEMU compares nothing", () => {
    const r = replayTrace(load(join(TRACES, "probe_xics_set_irq_in.jsonl")), plugins);
    expect(r.steps.map((s) => s.verdict)).toEqual(["n/a"]);
    expect(r.steps[0].reason).toMatch(/QEMU crashed/);
  });

  it("a controller whose plugin is missing: model-unavailable, not agreement", () => {
    const none = pluginSetFrom([], null);
    const r = replayTrace(load(join(TRACES, "mpic42_regs.jsonl")), none);
    expect(r.status).toBe("model-unavailable");
    expect(r.reason).toMatch(/no plugin provides device type 2/);
  });
});

describe("profiles and quirks: KVM differs from QEMU only where a named quirk says so", () => {
  it("in the kvm profile the QEMU traces fail; --explain names a quirk for every step where kvm differs", () => {
    for (const path of modelled.filter((p) => /fixtures|timers|critical|xics_|xive_spapr_esb/.test(p))) {
      const kvm = replayTrace(load(path), plugins, { profile: "kvm" });
      expect(kvm.counts.disagree, path).toBeGreaterThan(0);
      const ex = replayTrace(load(path), plugins, { explain: true });
      expect(ex.counts.disagree).toBe(0);
      const differing = ex.steps.filter((s) => s.kvmDiffers);
      // Exactly the steps that disagree in kvm are marked, and each names its quirk(s).
      expect(differing.map((s) => s.seq)).toEqual(kvm.steps.filter((s) => s.verdict === "disagree").map((s) => s.seq));
      for (const s of differing) {
        expect(s.quirks?.length, `${path} ${s.seq} ${s.what}`).toBeGreaterThan(0);
        // A step only a combination explains names the pair as "a + b".
        for (const q of s.quirks!.flatMap((x) => x.split(" + "))) expect(QEMU.quirks).toContain(q);
      }
    }
  });

  // Every quirk of the qemu-7.2 profile is needed: turning it off alone changes the steps listed.
  for (const id of QEMU.quirks) {
    it(`quirk ${id}: turning it off changes steps of the traces`, () => {
      const decl = catalogue.quirk(id)!;
      expect(decl.kvm).toMatch(/\S/);
      expect(decl.other).toMatch(/hw\/intc\//);
      const changed: string[] = [];
      for (const path of modelled) {
        const t = load(path);
        if (familyOf(t.meta.machine) !== decl.controller) continue;
        const r = replayTrace(t, plugins);
        const off = replayTraceWithQuirks(t, QEMU.quirks.filter((q) => q !== id));
        off.steps.forEach((s, i) => {
          if (s.verdict === "disagree" && r.steps[i].verdict === "agree") changed.push(`${t.meta.scenario}#${s.seq} ${s.what}`);
        });
        if (changed.length >= 3) break;
      }
      // The first few steps it changes (shown on failure) must exist.
      expect(changed.length, `${id} changes no step`).toBeGreaterThan(0);
    });
  }

  it("--list-quirks data: every profile quirk is declared with both references", () => {
    expect(catalogue.profiles.map((p) => p.name)).toEqual(["kvm", "qemu-7.2"]);
    expect(catalogue.profile("kvm")!.quirks).toEqual([]);
    for (const id of QEMU.quirks) expect(catalogue.quirk(id)).toBeDefined();
  });
});

/** Replays with an explicit quirk set (what --explain does internally). */
function replayTraceWithQuirks(t: Trace, quirks: string[]) {
  return replayTrace(t, plugins, { profile: { quirks } });
}

describe("trace reader: malformed traces fail with one line file:line:col: what", () => {
  const meta = '{"type":"meta","format":1,"scenario":"t","machine":"ppce500","qemu_args":["-smp","2"]}';
  const end = '{"type":"end","crashed":false,"exit_status":0}';
  const ok = (body: string) => `${meta}\n${body}\n${end}\n`;

  it("meta first, -smp parsed, format 1 accepted", () => {
    const t = parseTrace(ok('{"type":"qtest","cmd":"readl 0x0","seq":0}'), "t.jsonl");
    expect(t.steps).toHaveLength(1);
    expect(traceCpus(t.meta)).toBe(2);
  });

  const cases: Array<[string, string, RegExp]> = [
    ["not meta first", '{"type":"qtest"}', /^a\.jsonl:1:2: the first record must have type "meta"/],
    ["invalid JSON", `${meta}\nnot json\n${end}`, /^a\.jsonl:2:\d+: invalid JSON/],
    ["unknown record type", `${meta}\n{"type":"bogus","seq":1}\n${end}`, /^a\.jsonl:2:2: unknown record type "bogus"/],
    ["args not an array", ok('{"type":"guest","op":"hcall","opcode":100,"args":{"a":1},"ret":0,"seq":0}'), /^a\.jsonl:2:\d+: args must be an array of integers \(got \{"a":1\}\)/],
    ["rets with a string", ok('{"type":"rtas","name":"ibm,get-xive","args":[4096],"nret":3,"found":true,"rets":[0,"x"],"seq":0}'), /^a\.jsonl:2:\d+: rets must be an array of integers/],
    ["cmd a number", ok('{"type":"qtest","cmd":5,"seq":0}'), /^a\.jsonl:2:\d+: cmd must be a string \(got 5\)/],
    ["seq missing", ok('{"type":"qtest","cmd":"readl 0x0"}'), /^a\.jsonl:2:1: record has no integer seq/],
    ["irq malformed", ok('{"type":"qtest","cmd":"readl 0x0","seq":0,"irq":[{"line":4,"level":7}]}'), /^a\.jsonl:2:\d+: irq must be a list/],
    ["format 99", `{"type":"meta","format":99,"machine":"ppce500"}\n{"type":"qtest","cmd":"readl 0x0","seq":0}\n${end}`, /^a\.jsonl:1:\d+: unsupported trace format 99/],
    ["no end record", `${meta}\n{"type":"qtest","cmd":"readl 0x0","seq":0}\n`, /^a\.jsonl:3:1: truncated trace: no end record/],
    ["meta only", `${meta}\n`, /^a\.jsonl:2:1: truncated trace: no end record \(only the meta record\)/],
    ["no steps", `${meta}\n${end}\n`, /^a\.jsonl:2:1: trace has no step records/],
    ["record after end", `${ok('{"type":"sync","seq":0}')}{"type":"sync","seq":1}\n`, /^a\.jsonl:4:1: record after the end record/],
    ["control characters escaped", `{"type":"meta","machine":7}\n`, /^a\.jsonl:1:\d+: meta\.machine must be a string \(got 7\)/],
    ["empty", "", /^a\.jsonl:1:1: empty trace/],
    ["info pic icp not a list", ok('{"type":"hmp","cmd":"info pic","parsed":{"icp":5},"seq":0}'), /^a\.jsonl:2:\d+: parsed icp must be a list of objects \(got 5\)/],
    ["info pic ring field", ok('{"type":"hmp","cmd":"info pic","parsed":{"tctx":{"0":{"OS":{"nsr":"x"}}}},"seq":0}'), /^a\.jsonl:2:\d+: parsed tctx\.0\.OS\.nsr must be an integer/],
  ];
  for (const [what, text, re] of cases) {
    it(`${what}: refused as one line`, () => {
      let msg = "";
      try {
        parseTrace(text, "a.jsonl");
      } catch (e) {
        msg = (e as Error).message;
        expect((e as Error).name).toBe("CliError");
      }
      expect(msg).toMatch(re);
      expect(msg).not.toMatch(/\n/);
      expect(msg).not.toMatch(/is not a function|Cannot read prop/);
    });
  }

  it("control characters in a value are escaped in the message", () => {
    expect(() => parseTrace(`{"type":"meta","machine":"x"}\n{"type":"bo\\u001bgus","seq":0}\n`, "a.jsonl")).toThrow(/"bo\\u001bgus"/);
  });

  it("a BOM is accepted", () => {
    expect(parseTrace(`\ufeff${ok('{"type":"sync","seq":0}')}`, "b.jsonl").steps).toHaveLength(1);
  });

  it("one bad file does not abort a directory replay; setup errors name the trace", () => {
    const dir = mkdtempSync(join(tmpdir(), "irqlab-replay-"));
    try {
      writeFileSync(join(dir, "a-bad.jsonl"), `${meta}\n{"type":"qtest","cmd":"readl 0x0","seq":0}\n`);
      writeFileSync(join(dir, "b-profile.jsonl"), `{"type":"meta","machine":"ppce500","profile":"nope"}\n{"type":"sync","seq":0}\n${end}\n`);
      writeFileSync(join(dir, "c-good.jsonl"), ok('{"type":"qtest","cmd":"readl 0xfe0041000","value":12779778,"seq":0}'));
      const r = runReplay([dir], plugins);
      expect(r.traces.map((t) => t.status)).toEqual(["invalid", "invalid", "replayed"]);
      expect(r.traces[0].reason).toMatch(/a-bad\.jsonl:3:1: truncated trace/);
      expect(r.traces[1].reason).toMatch(/b-profile\.jsonl: cannot set up the model: .*unknown profile "nope"/);
      expect(r.traces[2].counts).toEqual({ agree: 1, disagree: 0, na: 0 });
      expect(r.totals.failedTraces).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("more than 5% unmodelled controller accesses fails the trace with a count", () => {
    const body = [
      ...Array.from({ length: 18 }, (_, i) => `{"type":"qtest","cmd":"readl 0xfe0041000","value":12779778,"seq":${i}}`),
      '{"type":"qtest","cmd":"readw 0xfe0041000","value":0,"seq":18}',
      '{"type":"qtest","cmd":"readb 0xfe0041000","value":0,"seq":19}',
    ].join("\n");
    const r = replayTrace(parseTrace(ok(body), "u.jsonl"), plugins);
    expect(r.counts.disagree).toBe(0);
    expect(r.failure).toBe("2 of 20 controller accesses (10.0%) are not modelled (limit 5%)");
    expect(traceFails(r)).toBe(true);
  });

  it("pin changes during a step that is otherwise not compared are still checked", () => {
    const body = [
      '{"type":"qtest","cmd":"irq_intercept_in /machine/unattached/device[0]","seq":0}',
      '{"type":"qmp","cmd":{"execute":"query-status"},"seq":1,"irq":[{"line":4,"level":1}]}',
    ].join("\n");
    const r = replayTrace(parseTrace(ok(body), "p.jsonl"), plugins);
    expect(r.steps[1].verdict).toBe("disagree");
    expect(r.steps[1].mismatches[0].field).toBe("irq");
  });
});

describe("replay framework", () => {
  it("judge: agree only when every check matches", () => {
    const c1 = { field: "value", expected: 1, got: 1 };
    const c2 = { field: "irq", expected: [{ line: 4, level: 1 }], got: [] };
    expect(judge([c1]).verdict).toBe("agree");
    const j = judge([c1, c2]);
    expect(j.verdict).toBe("disagree");
    expect(j.mismatches).toEqual([c2]);
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
});
