// The API-contract fuzzer run on every controller plugin in the repository: 10^4 operations
// each, seeds printed (FUZZ_SEED overrides them; FUZZ_OPS the count). `pnpm fuzz` runs more.
import { describe, expect, it } from "vitest";
import { Errno, KvmError, errnoOf } from "@irqlab/core";
import { xicsFuzzTarget } from "@irqlab/xics";
import { xiveFuzzTarget, xicsOnXiveFuzzTarget } from "@irqlab/xive";
import { mpic20FuzzTarget, mpic42FuzzTarget } from "@irqlab/mpic";
import { flicFuzzTarget } from "@irqlab/flic";
import { gicFuzzTarget } from "@irqlab/gic";
import { aiaFuzzTarget } from "@irqlab/aia";
import { formatFuzzReport, fuzzController, FuzzFailure, genericEntries, regressionTest, replayFuzzCase, replayOps, type FuzzTarget } from "./index.js";

const OPS = Number(process.env.FUZZ_OPS ?? 10_000);
const targets: FuzzTarget[] = [xicsFuzzTarget, xiveFuzzTarget, xicsOnXiveFuzzTarget, mpic20FuzzTarget, mpic42FuzzTarget, flicFuzzTarget, gicFuzzTarget, aiaFuzzTarget];

describe("fuzzController: the API contract at volume", () => {
  targets.forEach((t, i) => {
    const seed = Number(process.env.FUZZ_SEED ?? 0x16000 + i);
    it(`${t.name}: ${OPS} random operations (seed ${seed}): only KvmErrors or documented faults, no change on failure, accounting balances`, () => {
      const r = fuzzController(t, { ops: OPS, seed });
      console.log(formatFuzzReport(r));
      expect(r.ops).toBe(OPS);
      // Every generic entry point was exercised.
      for (const e of Object.keys(genericEntries)) if (e !== "snapshot" || t.snapshot) expect(r.entries[e].calls, e).toBeGreaterThan(0);
    }, 120_000);
  });

  it("the same seed gives the same run (reproducible)", () => {
    const a = fuzzController(xicsFuzzTarget, { ops: 500, seed: 42 });
    const b = fuzzController(xicsFuzzTarget, { ops: 500, seed: 42 });
    expect(b.entries).toEqual(a.entries);
  });

  // A toy plugin with a planted defect: the fuzzer must find it, shrink it, and print a test.
  it("a violation is shrunk to a minimal case and printed as a ready-to-paste regression test", () => {
    const broken: FuzzTarget = {
      ...xicsFuzzTarget,
      name: "XICS with a planted bug",
      entries: {
        planted: {
          weight: 5,
          kind: "api",
          gen: (rng) => [["num", String(rng.int(4))]],
          run: (env, [n]) => {
            if (n === 3) {
              env.vm.vcpus[0].ext.assert(); // changes state, then fails with a KvmError
              throw new KvmError(Errno.EINVAL, "planted");
            }
          },
        },
      },
    };
    let failure: FuzzFailure | null = null;
    try {
      fuzzController(broken, { ops: 2000, seed: 5 });
    } catch (e) {
      if (e instanceof FuzzFailure) failure = e;
      else throw e;
    }
    expect(failure).not.toBeNull();
    expect(failure!.violation).toMatch(/planted failed \(EINVAL/);
    expect(failure!.ops).toEqual([{ e: "planted", a: [["num", "3"]] }]);
    expect(failure!.message).toContain("replayFuzzCase(target, [");
    expect(regressionTest(broken, 5, failure!.violation, failure!.ops)).toContain('{"e":"planted","a":[["num","3"]]}');
    expect(replayOps(broken, failure!.ops)).not.toBeNull();
    expect(() => replayFuzzCase(broken, failure!.ops)).toThrow(/violates the contract/);
  });

  it("a non-KvmError escaping an API call is a violation", () => {
    const t: FuzzTarget = {
      ...xicsFuzzTarget,
      entries: { typeError: { weight: 1, kind: "api", gen: () => [], run: () => { throw new TypeError("x"); } } },
    };
    expect(replayOps(t, [{ e: "typeError", a: [] }])?.violation).toMatch(/TypeError: x, not a KvmError/);
    expect(errnoOf(() => 0)).toBe(0);
  });
});
