import { fileURLToPath } from "node:url";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "./commands.js";
import { EventEmitter } from "node:events";
import { main, quietOnClosedPipe, type Io } from "./program.js";

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await main(argv, io);
  return { code, out, err };
}

/** The QEMU oracle traces: ../shared/oracle/qemu/traces beside the repository (IRQLAB_TRACES overrides). */
const TRACES = process.env.IRQLAB_TRACES ?? fileURLToPath(new URL("../../../../shared/oracle/qemu/traces", import.meta.url));

describe("irqlab command line: help", () => {
  it("irqlab --help lists every command", async () => {
    const r = await run("--help");
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toContain(c.name);
  });

  for (const c of COMMANDS) {
    it(`irqlab ${c.name} --help documents every option and shows examples`, async () => {
      const r = await run(c.name, "--help");
      expect(r.code).toBe(0);
      for (const o of c.options) {
        const long = /--[\w-]+/.exec(o.flags)![0];
        expect(r.out, long).toContain(long);
      }
      expect(r.out).toContain("Examples:");
      const viaHelp = await run("help", c.name);
      expect(viaHelp.out).toBe(r.out);
      expect(viaHelp.code, "[help-exit] irqlab help <command> succeeds").toBe(0);
    });
  }

  it("[help-exit] irqlab help exits 0; irqlab alone or help of an unknown command is a usage error (2)", async () => {
    expect((await run("help")).code).toBe(0);
    const bare = await run();
    expect(bare.code).toBe(2);
    expect(bare.err).toContain("Usage: irqlab");
    expect((await run("help", "bogus")).code).toBe(2);
  });

  it("--version prints the package version", async () => {
    const r = await run("--version");
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe("irqlab command line: errors are one clear line and a non-zero exit", () => {
  const oneLine = (s: string): void => expect(s.trim().split("\n")).toHaveLength(1);

  it("unknown option: usage error (2)", async () => {
    const r = await run("compare", "--bogus");
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toMatch(/unknown option '--bogus'/);
  });

  it("[epipe] irqlab ... | head: a reader that went away ends the command quietly with status 0", () => {
    const stream = new EventEmitter();
    const exits: number[] = [];
    quietOnClosedPipe(stream, (c) => exits.push(c));
    stream.emit("error", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    expect(exits).toEqual([0]);
    expect(() => stream.emit("error", Object.assign(new Error("disk full"), { code: "ENOSPC" }))).toThrow(/disk full/);
  });

  it("[json-position] a workload file with a syntax error: one line with the file, line and column", async () => {
    const dir = mkdtempSync(join(tmpdir(), "irqlab-"));
    try {
      const f = join(dir, "w.json");
      writeFileSync(f, '{\n  "devices": [\n    {"name": "a", "kind": "msi" "rate": 5}\n  ]\n}\n');
      const r = await run("compare", "-w", f);
      expect(r.code).toBe(1);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      // issue 16 #14: the one-line form file:line:col: what.
      expect(r.err).toBe(`irqlab: ${f}:3:33: invalid JSON: expected ',' or '}' in the object, found "\\""\n`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("[out-dir] --out that cannot be a directory fails at once with one line (Node's recursive mkdir never returns under /proc)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "irqlab-"));
    try {
      const file = join(dir, "f");
      writeFileSync(file, "x");
      const r = await run("compare", "-w", "ipi-storm", "--duration", "1ms", "--out", join(file, "sub"));
      expect(r.code).toBe(1);
      expect(r.out).toBe(""); // nothing ran
      expect(r.err).toMatch(/^irqlab: cannot write the report to .*f\/sub: ENOTDIR/);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      const onFile = await run("compare", "-w", "ipi-storm", "--duration", "1ms", "--out", file);
      expect(onFile.err).toBe(`irqlab: cannot write the report to ${file}: ${file} is not a directory\n`);
      if (process.platform === "linux") {
        const proc = await run("compare", "-w", "ipi-storm", "--duration", "1ms", "--out", "/proc/irqlab-no-such-dir");
        expect(proc.code).toBe(1);
        expect(proc.err).toMatch(/^irqlab: cannot write the report to \/proc\/irqlab-no-such-dir: ENOENT/);
      }
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("bad option value: usage error naming the option", async () => {
    const r = await run("compare", "--seed", "abc");
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toMatch(/option '--seed <n>' argument 'abc' is invalid/);
    const d = await run("compare", "--duration", "soon");
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/--duration <time>.*must be a duration with a unit/);
  });

  it("unknown command: usage error", async () => {
    const r = await run("frobnicate");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command 'frobnicate'/);
  });

  it("a bad workload file: exit 1, one line naming the file and the field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "irqlab-cli-"));
    try {
      const f = join(dir, "bad.json");
      writeFileSync(f, JSON.stringify({ name: "bad", devices: [{ name: "a", kind: "msi", rate: 1 }, { name: "b", kind: "msi", rate: 1 }, { name: "c", kind: "msi", rate: -5 }] }));
      const r = await run("compare", "-w", f);
      expect(r.code).toBe(1);
      oneLine(r.err);
      expect(r.err).toBe(`irqlab: ${f}: workload.devices[2].rate: must be a positive number (got -5)\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an unknown workload: usage error listing the built-ins", async () => {
    const r = await run("compare", "-w", "nope");
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toMatch(/built-ins: default, msi-many-queue, level-shared, ipi-storm/);
  });

  it("an unknown controller: usage error listing the registered ones", async () => {
    const r = await run("compare", "-c", "no-such-pic");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown controller "no-such-pic" \(available: [^)]*\bmpic-2\.0, mpic-4\.2\b[^)]*\bxics\b/);
  });

  it("replay: a missing file is one line, exit 1; no argument is a usage error", async () => {
    const r = await run("replay", "/no/such/trace.jsonl");
    expect(r.code).toBe(1);
    oneLine(r.err);
    expect(r.err).toMatch(/no such trace file or directory: \/no\/such\/trace\.jsonl/);
    const u = await run("replay");
    expect(u.code).toBe(2);
  });

  it("inspect: needs a file or --workload; --run needs --workload", async () => {
    expect((await run("inspect")).code).toBe(2);
    expect((await run("inspect", "--run")).code).toBe(2);
  });
});

describe("irqlab command line: commands", () => {
  it("compare --json --deterministic prints the results (parseable, no host figures)", async () => {
    const r = await run("compare", "-w", "ipi-storm", "--duration", "1ms", "--json", "--deterministic", "-c", "xics,mpic-4.2");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.tool).toBe("irqlab compare");
    expect(j.controllers.map((c: { id: string }) => c.id)).toEqual(["xics", "mpic-4.2"]);
    expect(r.out).not.toContain('"host"');
    expect(r.err).toBe("");
  });

  it("compare prints the table; --cost-* options reach the cost model", async () => {
    const r = await run("compare", "-w", "msi-many-queue", "--duration", "1ms", "--cost-mmio", "123", "-c", "mpic-2.0");
    expect(r.code).toBe(0);
    expect(r.out).toContain("MPIC 2.0");
    expect(r.out).toContain("MMIO 123");
  });

  it("compare --out writes report.html and results.json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "irqlab-out-"));
    try {
      const r = await run("compare", "-w", "ipi-storm", "--duration", "1ms", "--out", dir, "--deterministic");
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, "report.html"), "utf8")).toContain("<svg");
      expect(JSON.parse(readFileSync(join(dir, "results.json"), "utf8")).tool).toBe("irqlab compare");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("compare never draws a progress bar when stderr is not a terminal", async () => {
    let drawn = "";
    const fakeStream = { isTTY: false, write: (t: string) => void (drawn += t) } as unknown as NodeJS.WriteStream;
    const io: Io = { out: () => {}, err: () => {}, progressStream: fakeStream };
    expect(await main(["compare", "-w", "ipi-storm", "--duration", "1ms"], io)).toBe(0);
    expect(drawn).toBe("");
  });

  it("compare draws a progress bar on a terminal and erases it", async () => {
    let drawn = "";
    const tty = { isTTY: true, write: (t: string) => void (drawn += t) } as unknown as NodeJS.WriteStream;
    const io: Io = { out: () => {}, err: () => {}, progressStream: tty };
    expect(await main(["compare", "-w", "ipi-storm", "--duration", "1ms"], io)).toBe(0);
    expect(drawn).toMatch(/\r\[#*-*\] +\d+%/);
    expect(drawn.endsWith("\r\x1b[K")).toBe(true);
  });

  it("compare --list-workloads and --list-controllers", async () => {
    const w = await run("compare", "--list-workloads");
    expect(w.out).toMatch(/^default\s+2 vCPUs/m);
    const c = await run("compare", "--list-controllers");
    expect(c.out).toMatch(/^xics\s+XICS\s+ppc64\s+@irqlab\/xics$/m);
  });

  it("replay of an MPIC trace: step by step, exit 0", async () => {
    const r = await run("replay", join(TRACES, "mpic42_delivery.jsonl"));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^== mpic42_delivery \(ppce500\) -> MPIC 4\.2/m);
    expect(r.out).toMatch(/mpic42_delivery \[qemu-7\.2\]: \d+ agree, 0 disagree/);
  });

  it("replay --summary of the whole directory: one line per trace and a total", async () => {
    const r = await run("replay", "--summary", TRACES);
    // Two traces fail loudly with their count of unmodelled accesses (TIMA HW/HV/user views,
    // powernv9's XIVE); no step disagrees.
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/2 trace\(s\) failed \(0 step\(s\) disagree\)/);
    expect(r.out).toMatch(/^xive_spapr_tima\s+pseries,ic-mode=xive\s+qemu-7\.2\s+\d+\s+0\s+\d+\s+UNMODELLED$/m);
    expect(r.out).toMatch(/^probe_powernv9_xive\s+powernv9\s+qemu-7\.2\s+0\s+0\s+6\s+UNMODELLED$/m);
    expect(r.out).toMatch(/^xics_hcalls\s+pseries,ic-mode=xics\s+qemu-7\.2\s+\d+\s+0\s+\d+\s+ok$/m);
    expect(r.out).toMatch(/^probe_s390_flic\s+s390-ccw-virtio\s+qemu-7\.2(\s+-){3}\s+no model$/m);
    expect(r.out).toMatch(/^total\s/m);
  });

  it("replay --list-quirks prints every quirk per controller with both references", async () => {
    const r = await run("replay", "--list-quirks");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^xics:$/m);
    expect(r.out).toMatch(/^ {2}xics\.eoi-without-source-succeeds \(in qemu-7\.2\)$/m);
    expect(r.out).toMatch(/^ {2}mpic\.timer-reads-architected \(in qemu-7\.2\)$/m);
    expect(r.out).toMatch(/KVM: {3}.*xics\.md §6\.5/);
    expect(r.out).toMatch(/^ {2}qemu-7\.2: /m);
  });

  it("replay --profile: an unknown profile is a usage error; kvm makes QEMU's trace fail (exit 3)", async () => {
    const u = await run("replay", "--profile", "nope", join(TRACES, "mpic42_timers.jsonl"));
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/unknown profile "nope" \(known: kvm, qemu-7\.2\)/);
    const k = await run("replay", "--profile", "kvm", join(TRACES, "mpic42_timers.jsonl"));
    expect(k.code).toBe(3);
    expect(k.out).toMatch(/mpic42_timers \[kvm\]: \d+ agree, [1-9]\d* disagree/);
  });

  it("inspect a VM description: each controller's dumpState", async () => {
    const dir = mkdtempSync(join(tmpdir(), "irqlab-vm-"));
    try {
      const f = join(dir, "vm.json");
      writeFileSync(f, JSON.stringify({ vcpus: 2, controllers: ["xics", "mpic-4.2"], sources: [{ trigger: "edge", vcpu: 1 }], raise: [0] }));
      const r = await run("inspect", f);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^== XICS \(xics, ppc64\)/m);
      expect(r.out).toMatch(/^== MPIC 4\.2 \(mpic-4\.2, ppc-booke\)/m);
      const bad = join(dir, "bad.json");
      writeFileSync(bad, JSON.stringify({ vcpus: 2, sources: [{ trigger: "both" }] }));
      const b = await run("inspect", bad);
      expect(b.code).toBe(1);
      expect(b.err).toBe(`irqlab: ${bad}: vm.sources[0].trigger: must be one of "edge", "level" (got "both")\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("inspect --workload --run --json dumps the state each controller ends in", async () => {
    const r = await run("inspect", "-w", "ipi-storm", "--run", "-c", "xics", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.controllers[0].state).toMatch(/^XICS/);
  });
});
