// Regression tests for issue 16, CLI items 13 (--out) and 14 (input handling), each named
// after the defect.
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main, type Io } from "./program.js";
import { MAX_INPUT_BYTES } from "./workload/input-file.js";
import { checkOutDir, writeAtomically } from "./out-dir.js";

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await main(argv, io);
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), "irqlab-issue16-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const SHORT = ["--duration", "1ms", "--deterministic", "--no-progress"];

describe("issue 16 #13: --out", () => {
  it("issue-16 #13: a target that cannot be written is found before the simulation, nothing is written", async () => {
    const blocker = file("blocker", "a file, not a directory");
    const r = await run("compare", ...SHORT, "--out", join(blocker, "sub"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^irqlab: cannot write the report to .*not a directory.*\n$/);
    expect(r.out).toBe("");
  });

  it('issue-16 #13: --out "", --out - and --out --json are refused clearly (no directory of that name)', async () => {
    for (const v of ["", "-", "--json"]) {
      const r = await run("compare", ...SHORT, "--out", v);
      expect(r.code, v).toBe(2);
      expect(r.err, v).toMatch(/^irqlab: cannot write the report to /);
      expect(r.out).toBe("");
    }
    expect(() => checkOutDir("")).toThrow(/empty one would write into the current directory/);
  });

  it("issue-16 #13: a planted symlink OUT/report.html is replaced, its target is not overwritten", async () => {
    const out = join(dir, "out-symlink");
    mkdirSync(out);
    const victim = file("victim.txt", "precious");
    symlinkSync(victim, join(out, "report.html"));
    const r = await run("compare", ...SHORT, "--out", out);
    expect(r.code).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(lstatSync(join(out, "report.html")).isSymbolicLink()).toBe(false);
    expect(JSON.parse(readFileSync(join(out, "results.json"), "utf8")).tool).toBeDefined();
  });

  it("issue-16 #13: writes are atomic: temporaries renamed into place, none left behind, old files kept on failure", () => {
    const out = join(dir, "out-atomic");
    writeAtomically(out, [
      { name: "a.json", content: "old-a" },
      { name: "b.html", content: "old-b" },
    ]);
    writeAtomically(out, [
      { name: "a.json", content: "new-a" },
      { name: "b.html", content: "new-b" },
    ]);
    expect(readFileSync(join(out, "a.json"), "utf8")).toBe("new-a");
    expect(readdirSync(out).sort()).toEqual(["a.json", "b.html"]);
    // A file that cannot be written (a directory sits at its name): neither file changes.
    mkdirSync(join(out, "c.txt"));
    expect(() => writeAtomically(out, [{ name: "a.json", content: "x" }, { name: "c.txt", content: "y" }])).toThrow(/cannot write the report/);
    expect(readFileSync(join(out, "a.json"), "utf8")).toBe("new-a");
    expect(readdirSync(out).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("issue 16 #14: input files and options", () => {
  it("issue-16 #14: a JSON syntax error is one line file:line:col: what", async () => {
    const p = file("syntax.json", '{\n  "name": "x",\n  "vcpus": ,\n}');
    const r = await run("compare", ...SHORT, "--workload", p);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`irqlab: ${p}:3:12: invalid JSON: unexpected ",", a value was expected\n`);
    const v = file("vm-syntax.json", '{"vcpus": 2,}');
    const i = await run("inspect", v);
    expect(i.err).toMatch(new RegExp(`^irqlab: ${v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1:13: invalid JSON: expected a property name`));
  });

  it("issue-16 #14: a UTF-8 byte-order mark is accepted by compare (as replay accepts it)", async () => {
    const p = file("bom.json", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"bom","vcpus":1,"duration":"1ms","devices":[{"name":"d","kind":"msi","rate":1000}]}')]));
    const r = await run("compare", "--deterministic", "--no-progress", "--workload", p);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });

  it("issue-16 #14: invalid UTF-8 is refused with its position, not turned into U+FFFD", async () => {
    const p = file("utf8.json", Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]));
    const r = await run("compare", ...SHORT, "--workload", p);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`irqlab: ${p}:1:7: invalid UTF-8 (byte 0xff at offset 6)\n`);
  });

  it("issue-16 #14: terminal escape sequences in a workload's name never reach the terminal raw", async () => {
    const p = file("esc.json", JSON.stringify({ name: "evil\u001b]0;pwned\u0007", vcpus: 1, duration: "1ms", devices: [{ name: "d", kind: "msi", rate: 1000 }] }));
    const r = await run("compare", ...SHORT, "--workload", p);
    expect(r.code).toBe(1);
    expect(r.err).toContain("must not contain control characters");
    expect(r.err + r.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const weird = file("name\u001b[31m.json", "{");
    const w = await run("compare", ...SHORT, "--workload", weird);
    expect(w.err).toContain("name\\u001b[31m.json");
    expect(w.err).not.toContain("\u001b");
  });

  it("issue-16 #14: an input larger than the cap is refused before it is read", async () => {
    const p = join(dir, "huge.json");
    writeFileSync(p, "");
    // A sparse file: its size is over the cap without writing the bytes.
    const fd = (await import("node:fs")).openSync(p, "r+");
    (await import("node:fs")).ftruncateSync(fd, MAX_INPUT_BYTES + 1);
    (await import("node:fs")).closeSync(fd);
    const r = await run("compare", ...SHORT, "--workload", p);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/:1:1: the file is \d+ bytes; input files are limited to/);
  });

  it("issue-16 #14: numeric options are parsed consistently (--cost-hcall 0x10 is refused as --seed 0x10 is)", async () => {
    for (const [opt, v] of [["--cost-hcall", "0x10"], ["--seed", "0x10"], ["--cost-hcall", " 5"], ["--seed", "1e3"], ["--cost-hcall", "1e3"]] as const) {
      const r = await run("compare", ...SHORT, opt, v);
      expect(r.code, `${opt} ${v}`).toBe(2);
      expect(r.err).toMatch(/^irqlab: option .* is invalid\. must be a (non-negative decimal integer|decimal number)/);
    }
    expect((await run("compare", ...SHORT, "--cost-hcall", "12.5", "--seed", "16")).code).toBe(0);
  });

  it("issue-16 #14: --list-workloads --json prints JSON", async () => {
    const r = await run("compare", "--list-workloads", "--json");
    expect(r.code).toBe(0);
    const list = JSON.parse(r.out) as Array<{ name: string; vcpus: number }>;
    expect(list.map((w) => w.name)).toContain("default");
  });

  it("issue-16 #14: one error prefix everywhere (commander's own errors too)", async () => {
    for (const argv of [["compare", "--bogus"], ["compare", "--seed"], ["nosuch"], ["compare", "--workload", join(dir, "missing.json")]]) {
      const r = await run(...argv);
      expect(r.err, argv.join(" ")).toMatch(/^irqlab: /);
      expect(r.err).not.toMatch(/^error: /m);
    }
  });

  it("issue-16 #14: inspect that fails says why on stderr", async () => {
    const p = file("vm.json", JSON.stringify({ vcpus: 2, sources: [{ trigger: "edge", vcpu: 1 }] }));
    const r = await run("inspect", p, "--controllers", "xics");
    if (r.code !== 0) expect(r.err).toMatch(/^irqlab: .+/);
    else expect(r.err).toBe("");
  });

  it('issue-16 #14: a plugin path containing "#" is a path, not pkg#export', async () => {
    const sub = join(dir, "with#hash");
    mkdirSync(sub);
    const p = join(sub, "plugin#1.mjs");
    // A ContainerModule-shaped object that binds nothing (it needs no package to import).
    writeFileSync(p, "export default { id: 1, load() {} };\n");
    // Through the built executable (vitest's module loader does not take %23 file: URLs).
    const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
    const r = spawnSync(process.execPath, [bin, "compare", "--plugin", p, "--list-controllers"], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("skipped");
  });

  it("issue-16 #14: a plugin whose top-level await never settles is one line and exit 1, not a silent exit 13", () => {
    const tla = file("tla.mjs", "await new Promise(() => {});\nexport default {};\n");
    const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
    const r = spawnSync(process.execPath, [bin, "compare", "--plugin", tla, ...SHORT], { encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("irqlab: a plugin module never finished loading (its top-level await never settles)\n");
  });
});
