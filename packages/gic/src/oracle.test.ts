/**
 * Differential test against QEMU 7.2's TCG GICv3 (shared/oracle/qemu/traces/gicv3_*.jsonl):
 * each trace's inputs (MMIO accesses, GPIO inputs) are replayed on the model in the
 * `qemu-7.2` profile and every read must return what QEMU returned. The same replay in the
 * default `kvm` profile disagrees, and each disagreement disappears with one named quirk
 * (src/quirks.ts), never by record number.
 */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createVm, encodeU64, runVcpu } from "@irqlab/core";
import routingModule from "@irqlab/routing";
import { gicModuleFor } from "./module.js";
import type { GicV3Device } from "./gic-device.js";
import { KVM_QUIRKS, QEMU_72_QUIRKS, type GicQuirks } from "./quirks.js";
import { GRP_ADDR, GRP_CTRL, KVM_DEV_TYPE_ARM_VGIC_ITS, KVM_DEV_TYPE_ARM_VGIC_V3 } from "./constants.js";

const TRACES = join(dirname(fileURLToPath(import.meta.url)), "../../../../shared/oracle/qemu/traces");

interface Rec {
  type: string;
  cmd?: string;
  resp?: string;
  seq?: number;
}

function load(name: string): { meta: Record<string, unknown>; recs: Rec[] } {
  const lines = readFileSync(join(TRACES, name), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Rec & Record<string, unknown>);
  return { meta: lines[0], recs: lines.slice(1) };
}

const SIZES: Record<string, number> = { b: 1, w: 2, l: 4, q: 8 };

/** Replays the trace; returns the reads that differ from QEMU's ("cmd: qemu != model"). */
function replay(trace: { meta: Record<string, unknown>; recs: Rec[] }, quirks: GicQuirks): string[] {
  const machine = String(trace.meta.machine);
  const vm = createVm({ arch: "arm64", vcpus: 2, modules: [routingModule, gicModuleFor(quirks)] });
  const gic = vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_V3);
  if (!machine.includes("its=off")) {
    const its = vm.createDevice(KVM_DEV_TYPE_ARM_VGIC_ITS);
    its.setAttr({ group: GRP_ADDR, attr: 4, addr: encodeU64(0x08080000) });
  }
  gic.setAttr({ group: GRP_ADDR, attr: 2, addr: encodeU64(0x08000000) });
  gic.setAttr({ group: GRP_ADDR, attr: 3, addr: encodeU64(0x080a0000) });
  gic.setAttr({ group: GRP_CTRL, attr: 0 });
  runVcpu(vm.vcpus[0]);
  const g = gic.backend<GicV3Device>();
  const cpu = vm.vcpus[0];
  const diffs: string[] = [];
  for (const r of trace.recs) {
    if (r.type !== "qtest" || !r.cmd) continue;
    const [op, ...args] = r.cmd.split(/\s+/);
    const m = /^(read|write)([bwlq])$/.exec(op);
    if (m) {
      const addr = Number(args[0]);
      const size = SIZES[m[2]];
      if (m[1] === "write") {
        const v = BigInt(args[1]);
        if (size === 8) {
          cpu.mmioWrite(addr, 4, Number(v & 0xffffffffn));
          cpu.mmioWrite(addr + 4, 4, Number(v >> 32n));
        } else cpu.mmioWrite(addr, size, Number(v));
        continue;
      }
      const want = BigInt(r.resp!.split(/\s+/)[1]);
      const got = size === 8 ? BigInt(cpu.mmioRead(addr, 4) >>> 0) | (BigInt(cpu.mmioRead(addr + 4, 4) >>> 0) << 32n) : BigInt(cpu.mmioRead(addr, size) >>> 0);
      if (size === 8 && (addr & 0xffff) < 0x6000 && addr < 0x080a0000) {
        // 64-bit accesses to 32-bit distributor registers: both models read 0.
        const whole = BigInt(cpu.mmioRead(addr, 8));
        if (whole !== want) diffs.push(`${r.cmd}: qemu 0x${want.toString(16)} != model 0x${whole.toString(16)}`);
        continue;
      }
      if (got !== want) diffs.push(`${r.cmd}: qemu 0x${want.toString(16)} != model 0x${got.toString(16)}`);
      continue;
    }
    if (op === "set_irq_in") {
      // GPIO n < 256: SPI 32 + n; 256 + 32·c + p: PPI p of CPU c.
      const n = Number(args[2]);
      const level = Number(args[3]);
      if (n < 256) g.inject(32 + n, level, -1);
      else g.inject((n - 256) % 32, level, Math.floor((n - 256) / 32));
    }
  }
  return diffs;
}

const have = existsSync(join(TRACES, "gicv3_dist.jsonl"));

describe.skipIf(!have)("QEMU 7.2 GICv3 traces (oracle)", () => {
  for (const name of ["gicv3_dist.jsonl", "gicv3_redist.jsonl"]) {
    it(`${name}: every read agrees with QEMU in the qemu-7.2 profile`, () => {
      expect(replay(load(name), QEMU_72_QUIRKS)).toEqual([]);
    });

    it(`${name}: the kvm profile differs only where a named quirk says so`, () => {
      const trace = load(name);
      const at = (diffs: string[]) => new Set(diffs.map((d) => d.slice(0, d.indexOf(":"))));
      const kvm = at(replay(trace, KVM_QUIRKS));
      expect(kvm.size).toBeGreaterThan(0);
      const used: string[] = [];
      for (const q of Object.keys(KVM_QUIRKS) as Array<keyof GicQuirks>) {
        const without = at(replay(trace, { ...QEMU_72_QUIRKS, [q]: false }));
        if (without.size > 0) used.push(q);
        for (const cmd of without) expect(kvm.has(cmd), `${q}: ${cmd}`).toBe(true);
      }
      expect(used.length).toBeGreaterThan(0);
      if (process.env.GIC_ORACLE_VERBOSE) console.log(name, [...kvm], used);
    });
  }
});
