/**
 * The QEMU divergence table against the oracle traces themselves: replays every mpic*.jsonl
 * trace on this model (the "reset" set-up the table assumes) and checks that each record an
 * entry lists really differs in the entry's field. A listed record that agrees would let a
 * later model regression at that record pass as a "documented divergence"; this test keeps
 * the table exactly as wide as the differences. Reads of records no entry lists must agree.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import mpicModule from "./module.js";
import { QEMU_DIVERGENCES, setUpMpicForQemuReplay, type DivergenceField, type ReplaySetup } from "./divergences.js";

/** ../shared/oracle/qemu/traces beside the repository (IRQLAB_TRACES overrides), as the CLI tests. */
const TRACES = process.env.IRQLAB_TRACES ?? fileURLToPath(new URL("../../../../shared/oracle/qemu/traces", import.meta.url));
const HAVE_TRACES = existsSync(TRACES);

interface Rec {
  type: string;
  seq?: number;
  cmd?: string;
  value?: number;
  irq?: Array<{ line: number; level: number }>;
  machine?: string;
  qemu_args?: string[];
}

/** QEMU's IPI / timer inputs (>= 256) have no KVM route: the CLI's own row covers these. */
const CLI_ROW_RECORDS: Record<string, number[]> = { mpic20_timers: [24, 27], mpic42_timers: [24, 27] };

interface Outcome {
  mismatches: Map<number, Set<DivergenceField>>;
  reads: number[];
}

function replay(file: string, setup: ReplaySetup = "reset"): { scenario: string; out: Outcome } {
  const recs = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Rec);
  const meta = recs[0] as Rec & { scenario: string };
  const smp = Number(meta.qemu_args?.[(meta.qemu_args?.indexOf("-smp") ?? -2) + 1] ?? 1) || 1;
  const r = setUpMpicForQemuReplay(meta.machine as "ppce500" | "mpc8544ds", smp, [mpicModule], setup);
  const out: Outcome = { mismatches: new Map(), reads: [] };
  let pins: Array<{ line: number; level: number }> = [];
  const off: Array<() => void> = [];
  const miss = (seq: number, f: DivergenceField) => {
    const s = out.mismatches.get(seq) ?? new Set<DivergenceField>();
    s.add(f);
    out.mismatches.set(seq, s);
  };
  for (const rec of recs.slice(1)) {
    if (rec.type !== "qtest" || rec.seq === undefined || !rec.cmd) continue;
    const w = rec.cmd.trim().split(/\s+/);
    pins = [];
    const unhandled = r.vm.exitStats.mmioUnhandled;
    if (w[0] === "irq_intercept_in") {
      const cpu = Number(/device\[(\d+)\]/.exec(w[1])?.[1] ?? 0);
      const v = r.vm.vcpus[cpu];
      off.push(v.ext.onChange((a) => pins.push({ line: 4, level: a ? 1 : 0 })));
      off.push(v.crit.onChange((a) => pins.push({ line: 3, level: a ? 1 : 0 })));
      continue;
    } else if (w[0] === "readl") {
      out.reads.push(rec.seq);
      const got = r.vm.mmio.read(Number(w[1]), 4);
      if (rec.value !== undefined && got !== rec.value) miss(rec.seq, "value");
    } else if (w[0] === "writel") {
      r.vm.mmio.write(Number(w[1]), 4, Number(BigInt.asUintN(32, BigInt(w[2]))));
    } else if (w[0] === "set_irq_in" && w[1].endsWith("/pic")) {
      const n = Number(w[3]);
      if (n < 256) r.device.chip.setIrq(n, Number(w[4]), 0);
    } else continue;
    if (r.vm.exitStats.mmioUnhandled !== unhandled) miss(rec.seq, "handled");
    if (JSON.stringify(pins) !== JSON.stringify(rec.irq ?? [])) miss(rec.seq, "irq");
  }
  for (const f of off) f();
  return { scenario: meta.scenario, out };
}

describe.skipIf(!HAVE_TRACES)("QEMU divergence table vs the oracle traces (skipped when the traces are absent)", () => {
  const files = HAVE_TRACES ? readdirSync(TRACES).filter((f) => /^mpic(20|42)_.*\.jsonl$/.test(f)) : [];
  const runs = files.map((f) => replay(`${TRACES}/${f}`));

  it("replays all sixteen MPIC traces", () => {
    expect(runs).toHaveLength(16);
  });

  /** "id scenario#seq" of each record the entries of `setup` list that does not differ in their fields. */
  function agreeingRecords(setup: ReplaySetup): string[] {
    const agreeing: string[] = [];
    for (const d of QEMU_DIVERGENCES) {
      // entries that also apply to "reset" are checked on the reset replay only
      if (setup === "reset" ? !d.match.setups.includes("reset") : d.match.setups.includes("reset")) continue;
      for (const [scenario, seqs] of Object.entries(d.match.records)) {
        const file = files.find((f) => f === `${scenario}.jsonl`);
        expect(file, `${d.id}: trace ${scenario}`).toBeDefined();
        const out = setup === "reset" ? runs.find((x) => x.scenario === scenario)!.out : replay(`${TRACES}/${file}`, setup).out;
        for (const seq of seqs) {
          const m = out.mismatches.get(seq);
          if (!m || !d.match.fields.some((f) => m.has(f))) agreeing.push(`${d.id} ${scenario}#${seq}`);
        }
      }
    }
    return agreeing;
  }

  it("every record a reset-set-up entry lists differs in one of the entry's fields (no entry widens past its difference)", () => {
    expect(agreeingRecords("reset")).toEqual([]);
  });

  it("every record a creation-only entry lists differs when the replay skips the post-connect reset", () => {
    expect(agreeingRecords("creation")).toEqual([]);
  });

  it("every mismatch is listed by an entry (or by the CLI's no-input row for sources >= 256)", () => {
    const unexplained: string[] = [];
    for (const { scenario, out } of runs) {
      for (const [seq, fields] of out.mismatches) {
        if ((CLI_ROW_RECORDS[scenario] ?? []).includes(seq)) continue;
        for (const f of fields) {
          const ok = QEMU_DIVERGENCES.some(
            (d) => d.match.setups.includes("reset") && d.match.fields.includes(f) && (d.match.records[scenario] ?? []).includes(seq),
          );
          if (!ok) unexplained.push(`${scenario}#${seq} ${f}`);
        }
      }
    }
    expect(unexplained).toEqual([]);
  });
});
