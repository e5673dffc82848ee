#!/usr/bin/env node
/**
 * Seeded random scenario generator for the QEMU 7.2 qtest oracle
 * (../shared/oracle/qemu/qtest_oracle.py, scenario format in its README).
 *
 *   node packages/cli/oracle/gen-scenario.mjs FAMILY SEED STEPS > x.qts
 *
 * FAMILY: mpic20 (mpc8544ds), mpic42 (ppce500), xics (pseries,ic-mode=xics + guest agent),
 * xive (pseries,ic-mode=xive: ESB pages from qtest, the TIMA OS view through the guest agent).
 * The same (FAMILY, SEED, STEPS) always gives the same scenario. Every line is one record
 * of the trace (no includes), so a scenario is self-contained.
 */

/** mulberry32: small, fast, seeded. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  /** Weighted choice over [weight, value] pairs. */
  const weighted = (pairs) => {
    let total = 0;
    for (const [w] of pairs) total += w;
    let r = next() * total;
    for (const [w, v] of pairs) if ((r -= w) < 0) return v;
    return pairs[pairs.length - 1][1];
  };
  return { next, int, pick, weighted, chance: (p) => next() < p };
}

const hex = (n) => `0x${(typeof n === "bigint" ? n : BigInt(n >>> 0)).toString(16)}`;

/**
 * QEMU's edu PCI device on the pseries PHB (BUID 0x800000020000000, slot 0 -> LSI 0x1200):
 * BAR0 placed at PCI 0x80000000 (CPU 0x200080000000) and memory decoding enabled through the
 * RTAS PCI config calls; then its interrupt registers raise (0x60) and ack (0x64) INTA.
 */
const EDU_BAR = 0x200080000000;
const eduSetup = () => [
  "@rtas ibm,write-pci-config 1 0x10 0x8000000 0x20000000 4 0x80000000",
  "@rtas ibm,write-pci-config 1 0x4 0x8000000 0x20000000 2 0x6",
];
function eduOp(r) {
  const bit = 1 << r.weighted([[6, 0], [2, 1], [1, r.int(2, 31)]]);
  return r.weighted([
    [4, `writel 0x${(EDU_BAR + 0x60).toString(16)} ${hex(bit)}`],
    [4, `writel 0x${(EDU_BAR + 0x64).toString(16)} ${hex(r.chance(0.3) ? 0xffffffff : bit)}`],
    [1, `readl 0x${(EDU_BAR + 0x24).toString(16)}`],
  ]);
}

function mpic(model, seed, steps) {
  const r = rng(seed);
  const v42 = model === "mpic42";
  const base = v42 ? 0xfe0040000 : 0xe0040000;
  const a = (off) => `0x${(base + off).toString(16)}`;
  const cpus = r.chance(0.5) ? 2 : 1;
  const watch = cpus === 2 ? r.int(0, 1) : 0;
  const out = [];
  out.push(`@description random ${model} scenario (seed ${seed}, ${steps} steps, ${cpus} CPU${cpus > 1 ? "s" : ""}, pins of CPU ${watch})`);
  out.push("@binary qemu-system-ppc");
  out.push(`@machine ${v42 ? "ppce500" : "mpc8544ds"}`);
  if (cpus > 1) out.push(`@args -smp ${cpus}`);
  out.push("@firmware spin-ppc32");
  out.push(`irq_intercept_in /machine/unattached/device[${watch}]`);
  // A small working set of sources so that interactions happen.
  const srcs = [r.int(0, 15), r.int(0, 15), r.int(16, 40), r.int(16, 223), 224 + r.int(0, 7), r.int(0, 255)];
  const cpu = () => (r.chance(0.9) ? r.int(0, cpus - 1) : r.int(0, 3));
  const vec = () => r.weighted([[6, r.int(0, 0xff)], [1, r.int(0, 0xffff)]]);
  const prio = () => r.weighted([[8, r.int(1, 15)], [1, 0]]);
  const ivpr = () => {
    let v = (prio() << 16) | vec();
    if (r.chance(0.25)) v |= 0x80000000; // MSK
    if (r.chance(0.4)) v |= 0x00400000; // SENSE (level)
    if (r.chance(0.2)) v |= 0x00800000; // POL
    if (r.chance(0.1)) v |= 0x20000000; // MODE
    if (r.chance(0.05)) v |= 0x40000000; // A (read-only)
    return v >>> 0;
  };
  const idr = () => {
    let v = r.weighted([[6, 1 << watch], [2, (1 << cpus) - 1], [1, r.int(0, 15)], [1, 0]]);
    if (!v42 && r.chance(0.1)) v |= 1 << (30 - r.int(0, cpus - 1)); // CI bits (2.0)
    if (r.chance(0.05)) v |= r.int(0, 0xffff) << 16;
    return v >>> 0;
  };
  const regs = [0x0, 0x1000, 0x1020, 0x1080, 0x1090, 0x10a0, 0x10b0, 0x10c0, 0x10d0, 0x10e0, 0x10f0, 0x1600, 0x1610, 0x1720, 0x3800];
  for (let i = 0; i < steps; i++) {
    const kind = r.weighted([
      [10, "ivpr"], [5, "idr"], [v42 ? 2 : 1, "ilr"], [14, "input"], [12, "iack"], [10, "eoi"], [5, "ctpr"],
      [6, "read-src"], [4, "ipi"], [3, "ipivpr"], [3, "msi"], [2, "msir"], [2, "timer"], [4, "read-reg"],
      [2, "percpu-read"], [1, "svr"], [1, "pir"], [0.3, "reset"], [1, "big-input"], [1, "timer-run"], [0.5, "msi-misaligned"],
    ]);
    const s = r.pick(srcs);
    const c = cpu();
    switch (kind) {
      case "ivpr":
        out.push(`writel ${a(0x10000 + s * 0x20)} ${hex(ivpr())}`);
        break;
      case "idr":
        out.push(`writel ${a(0x10010 + s * 0x20)} ${hex(idr())}`);
        break;
      case "ilr":
        out.push(`writel ${a(0x10018 + s * 0x20)} ${hex(r.weighted([[5, 0], [3, 1], [1, 2], [1, r.int(3, 0xff)]]))}`);
        if (r.chance(0.3)) out.push(`readl ${a(0x10018 + s * 0x20)}`);
        break;
      case "input":
        out.push(`set_irq_in /machine/pic unnamed-gpio-in ${s} ${r.int(0, 1)}`);
        break;
      case "big-input":
        out.push(`set_irq_in /machine/pic unnamed-gpio-in ${r.int(256, 263)} ${r.int(0, 1)}`);
        break;
      case "iack":
        out.push(`readl ${a(0x20000 + c * 0x1000 + 0xa0)}`);
        break;
      case "eoi":
        out.push(`writel ${a(0x20000 + c * 0x1000 + 0xb0)} 0x0`);
        break;
      case "ctpr":
        out.push(`writel ${a(0x20000 + c * 0x1000 + 0x80)} ${hex(r.weighted([[6, r.int(0, 15)], [1, r.int(16, 0xffff)]]))}`);
        break;
      case "read-src":
        out.push(`readl ${a(0x10000 + s * 0x20 + r.pick([0, 0x10, ...(v42 ? [0x18] : [])]))}`);
        break;
      case "ipi":
        out.push(`writel ${a(0x20000 + c * 0x1000 + 0x40 + 0x10 * r.int(0, 3))} ${hex(r.weighted([[4, 1 << r.int(0, cpus - 1)], [2, (1 << cpus) - 1], [1, r.int(0, 15)]]))}`);
        break;
      case "ipivpr":
        out.push(`writel ${a(0x10a0 + 0x10 * r.int(0, 3))} ${hex(ivpr())}`);
        break;
      case "msi":
        out.push(`writel ${a(0x1740)} ${hex(((r.int(0, 7) << 29) | (r.int(0, 31) << 24)) >>> 0)}`);
        break;
      case "msir":
        out.push(`readl ${a(r.pick([0x1600 + 0x10 * r.int(0, 7), 0x1720]))}`);
        break;
      case "timer": {
        const t = 0x1100 + 0x40 * r.int(0, 3);
        const reg = r.pick([0, 0x10, 0x20, 0x30]);
        if (r.chance(0.5)) out.push(`readl ${a(t + reg)}`);
        else {
          const v = reg === 0x10 ? (r.chance(0.5) ? 0x80000000 : 0) | r.int(0, 5000) : reg === 0x20 ? ivpr() : reg === 0x30 ? 1 << r.int(0, cpus - 1) : r.int(0, 100);
          out.push(`writel ${a(t + reg)} ${hex(v)}`);
        }
        break;
      }
      case "timer-run": {
        // count inhibit on, a base count, inhibit off (starts the frozen count), read back
        const t = 0x1100 + 0x40 * r.int(0, 3);
        const base = r.weighted([[5, r.int(1, 100000)], [1, 0]]);
        out.push(`writel ${a(t + 0x10)} ${hex((0x80000000 | base) >>> 0)}`);
        out.push(`writel ${a(t + 0x10)} ${hex(base)}`);
        out.push(`readl ${a(t)}`);
        if (r.chance(0.5)) out.push(`writel ${a(t + 0x10)} ${hex((0x80000000 | base) >>> 0)}`, `readl ${a(t)}`);
        break;
      }
      case "msi-misaligned":
        out.push(`readl ${a(0x1600 + 4 * r.int(1, 3) + 0x10 * r.int(0, 7))}`);
        break;
      case "read-reg":
        out.push(`readl ${a(r.pick(regs))}`);
        break;
      case "percpu-read":
        out.push(`readl ${a(0x20000 + r.int(0, 3) * 0x1000 + r.pick([0x40, 0x80, 0x90, 0xb0]))}`);
        break;
      case "svr":
        out.push(`writel ${a(0x10e0)} ${hex(r.int(0, 0xffff))}`);
        break;
      case "pir":
        out.push(`writel ${a(0x1090)} ${hex(r.int(0, (1 << cpus) - 1))}`);
        break;
      case "reset":
        out.push(`writel ${a(0x1020)} 0x80000000`);
        break;
    }
  }
  return out;
}

function xics(seed, steps) {
  const r = rng(seed);
  const cpus = r.chance(0.5) ? 2 : 1;
  const H = { EOI: 0x64, CPPR: 0x68, IPI: 0x6c, IPOLL: 0x70, XIRR: 0x74 };
  const claimed = [0x1000, 0x1001, 0x1100, 0x1200, 0x1201, 0x1202, 0x1203];
  const out = [];
  out.push(`@description random XICS scenario (seed ${seed}, ${steps} steps, ${cpus} vCPU${cpus > 1 ? "s" : ""})`);
  out.push("@binary qemu-system-ppc64");
  out.push("@machine pseries,ic-mode=xics");
  out.push(`@args -device edu${cpus > 1 ? ` -smp ${cpus}` : ""}`);
  out.push("@firmware spapr-agent");
  out.push("irq_intercept_in /machine/unattached/device[0]/thread[0]");
  out.push(...eduSetup());
  const server = () => r.weighted([[8, r.int(0, cpus - 1)], [1, r.int(0, 3)]]);
  const prio = () => r.weighted([[8, r.int(0, 7)], [3, r.int(0, 0xff)], [1, 0xff], [0.3, r.int(0x100, 0x1ff)]]);
  const irq = () => r.weighted([[10, 0x1000], [6, 0x1200], [3, r.pick(claimed)], [1, r.int(0x1000, 0x1fff)], [0.3, r.int(0, 0x2fff)]]);
  let lastXisr = 0x1000;
  for (let i = 0; i < steps; i++) {
    const kind = r.weighted([
      [8, "set-xive"], [3, "get-xive"], [2, "int-off"], [2, "int-on"], [8, "epow"], [7, "cppr"], [10, "xirr"], [9, "eoi"],
      [5, "ipi"], [4, "ipoll"], [1.5, "info"], [8, "edu"],
    ]);
    switch (kind) {
      case "set-xive":
        out.push(`@rtas ibm,set-xive 1 ${hex(irq())} ${server()} ${prio()}`);
        break;
      case "get-xive":
        out.push(`@rtas ibm,get-xive 3 ${hex(irq())}`);
        break;
      case "int-off":
        out.push(`@rtas ibm,int-off 1 ${hex(irq())}`);
        break;
      case "int-on":
        out.push(`@rtas ibm,int-on 1 ${hex(irq())}`);
        break;
      case "epow":
        out.push('@qmp {"execute":"system_powerdown"}');
        break;
      case "cppr":
        out.push(`@guest hcall 0 ${hex(H.CPPR)} ${hex(r.weighted([[6, r.pick([0, 0xff, r.int(0, 7)])], [2, r.int(0, 0xff)], [0.3, r.int(0x100, 0xffff)]]))}`);
        break;
      case "xirr":
        out.push(`@guest hcall 1 ${hex(H.XIRR)}`);
        break;
      case "eoi": {
        const xisr = r.weighted([[6, lastXisr], [3, 2], [2, r.pick(claimed)], [2, 0x1200], [0.5, 0]]);
        lastXisr = r.chance(0.3) ? r.pick([0x1000, 2]) : lastXisr;
        const cppr = r.weighted([[6, 0xff], [3, r.int(0, 7)], [1, r.int(0, 0xff)]]);
        out.push(`@guest hcall 0 ${hex(H.EOI)} ${hex(((cppr << 24) | xisr) >>> 0)}`);
        break;
      }
      case "ipi":
        out.push(`@guest hcall 0 ${hex(H.IPI)} ${server()} ${hex(r.weighted([[5, r.int(0, 7)], [4, 0xff], [1, r.int(0, 0xff)], [0.3, r.int(0x100, 0xffff)]]))}`);
        break;
      case "ipoll":
        out.push(`@guest hcall 2 ${hex(H.IPOLL)} ${server()}`);
        break;
      case "info":
        out.push("@hmp info pic");
        break;
      case "edu":
        out.push(eduOp(r));
        break;
    }
  }
  out.push("@hmp info pic");
  return out;
}

function xive(seed, steps) {
  const r = rng(seed);
  const ESB = 0x0006010000000000n;
  const TIMA = 0x0006030203180000n;
  const out = [];
  out.push(`@description random sPAPR XIVE scenario (seed ${seed}, ${steps} steps): ESB pages, TIMA OS view through the guest agent`);
  out.push("@binary qemu-system-ppc64");
  out.push("@machine pseries,ic-mode=xive");
  // No edu here: its BAR is placed through RTAS, and qtest's rtas command crashes QEMU 7.2
  // in XIVE mode (probe_xive_spapr_rtas), so XIVE LSIs are driven through their ESB pages.
  out.push("@firmware spapr-agent");
  out.push("irq_intercept_in /machine/unattached/device[1]/thread[0]");
  out.push("@hmp info pic");
  const claimed = [0, 0x1000, 0x1001, 0x1100, 0x1200, 0x1201, 0x1202, 0x1203];
  const lisn = () => r.weighted([[8, r.pick(claimed)], [2, r.int(0x1000, 0x1fff)], [0.5, r.int(1, 0xfff)]]);
  const esb = (l, page, off) => `0x${(ESB + BigInt(l) * 0x20000n + BigInt(page) * 0x10000n + BigInt(off)).toString(16)}`;
  const tima = (off) => `0x${(TIMA + 0x20000n + BigInt(off)).toString(16)}`;
  for (let i = 0; i < steps; i++) {
    const kind = r.weighted([
      [10, "esb-load"], [6, "esb-set-pq"], [6, "trigger"], [2, "esb-store"], [1, "trigger-load"], [3, "epow"],
      [4, "cppr"], [4, "pending"], [4, "ack"], [4, "tima-read"], [1, "tima-raw-store"], [1, "info"],
    ]);
    const l = lisn();
    switch (kind) {
      case "esb-load":
        out.push(`readq ${esb(l, 1, r.pick([0x000, 0x800, 0x800, 0x400]))}`);
        break;
      case "esb-set-pq":
        out.push(`readq ${esb(l, 1, 0xc00 + 0x100 * r.int(0, 3))}`);
        break;
      case "trigger":
        out.push(`writeq ${esb(l, 0, 0)} 0x0`);
        break;
      case "esb-store":
        out.push(`writeq ${esb(l, 1, r.pick([0x400, 0xc00, 0xd00]))} 0x0`);
        break;
      case "trigger-load":
        out.push(`readq ${esb(l, 0, 0x800)}`);
        break;
      case "epow":
        out.push('@qmp {"execute":"system_powerdown"}');
        break;
      case "cppr":
        out.push(`@guest st1 ${tima(0x11)} ${hex(r.weighted([[6, r.int(0, 7)], [2, 0xff], [1, r.int(8, 0xfe)]]))}`);
        break;
      case "pending":
        out.push(`@guest st1 ${tima(0x812)} ${hex(r.weighted([[6, r.int(0, 7)], [1, r.int(8, 0xff)]]))}`);
        break;
      case "ack":
        out.push(`@guest ld2 ${tima(0x810)}`);
        break;
      case "tima-read":
        out.push(`@guest ${r.pick(["ld8 " + tima(0x10), "ld4 " + tima(0x10), "ld1 " + tima(0x10 + r.int(0, 7)), "ld8 " + tima(0x18)])}`);
        break;
      case "tima-raw-store":
        out.push(`@guest st1 ${tima(0x10 + r.int(0, 7))} ${hex(r.int(0, 0xff))}`);
        break;
      case "info":
        out.push("@hmp info pic");
        break;
    }
  }
  out.push("@hmp info pic");
  return out;
}

const [family, seedArg, stepsArg] = process.argv.slice(2);
const seed = Number(seedArg);
const steps = Number(stepsArg ?? 400);
if (!["mpic20", "mpic42", "xics", "xive"].includes(family) || !Number.isInteger(seed) || !Number.isInteger(steps) || steps < 1) {
  process.stderr.write("usage: gen-scenario.mjs mpic20|mpic42|xics|xive SEED [STEPS]\n");
  process.exit(2);
}
const lines = family === "xics" ? xics(seed, steps) : family === "xive" ? xive(seed, steps) : mpic(family, seed, steps);
process.stdout.write(`${lines.join("\n")}\n`);
