/**
 * Save/restore of the MPIC through KVM's own interface: KVM_DEV_MPIC_BASE_ADDR, the register
 * group (KVM_DEV_MPIC_GRP_REGISTER) and KVM_DEV_MPIC_GRP_IRQ_ACTIVE. The snapshot is plain,
 * versioned JSON with sanity fields (BRR1 = model, FRR = NIRQ and CPU count).
 *
 * Restore order (into a freshly created MPIC of the same model, same vCPUs connected at the
 * same MPIC CPU numbers, no GCR reset since creation):
 *   1. sanity: BRR1 and FRR must match (EINVAL otherwise, nothing written);
 *   2. BASE_ADDR; GCR mode bits, SPVR, TFRR, GTBCR0-3;
 *   3. destinations: IDR (and v4.2 ILR) of sources 0..255, GTDR0-3 — before any IVPR, since
 *      IDR writes do not re-evaluate (quirk 6);
 *   4. CTPR of all 32 CPUs — before the IVPRs, so re-evaluation sees the final CTPR;
 *   5. inputs: IVPR of the external sources 0..15 with MASK forced (so their sense is known),
 *      IRQ_ACTIVE 0..256 (stored while every IVPR is still masked, so nothing is delivered
 *      yet), then MSIR bits as MSIIR writes;
 *   6. IVPR of sources 0..255, IPIVPR0-3, GTVPR0-3: each write re-evaluates its source
 *      (update), which rebuilds the raised queues, the A bits and the vCPU lines.
 *
 * What KVM's interface cannot carry (and this module therefore cannot either):
 *   - interrupts in service (the servicing queues): `saveMpicState` refuses with EBUSY while
 *     any CPU has one, unless `allowInService` is set;
 *   - IPI destination masks, which only IPIDR writes (OR) and IACKs (clear) change: after
 *     restore they are empty (their creation value), so an IPI dispatched but not yet taken
 *     by every target, or the CPU 0 bit a GCR reset leaves in an unused IPI (quirk 5),
 *     does not survive;
 *   - `pending` of sources 257..263 (IRQ_ACTIVE stops at 256) and level values other than
 *     0/1 (IRQ_ACTIVE accepts 0 or 1: a stored 2 is restored as 1);
 *   - a source left routed to its old CPUs after an IDR write without re-evaluation
 *     (quirk 6): restore evaluates it at its current IDR;
 *   - the counters of critical / machine-check outputs and the cached queue priorities
 *     beyond what re-evaluation recomputes;
 *   - a vCPU line held up with nothing deliverable (a stale raised entry such as a multicast
 *     edge another CPU already took, or a line a GCR reset or a CTPR write on cached
 *     priorities left up): restore brings it up low, so the guest misses one spurious IACK.
 * Saving reads MSIRn (read-to-clear) for each non-empty bank and writes the bits back through
 * MSIIR at once, which leaves the MPIC as it was.
 */
import { Errno, fail, KVM_CAP_IRQ_MPIC, parseSnapshot, restoreSnapshot, scratchVm, type DeviceHandle } from "@irqlab/core";
import { getMpicBaseAddr, getMpicIrqActive, readMpicRegister, setMpicBaseAddr, setMpicIrqActive, writeMpicRegister } from "./attributes.js";
import {
  CPU_CTPR,
  GT_GTBCR,
  GT_GTDR,
  GT_GTVPR,
  GT_STRIDE,
  MAX_CPU,
  MAX_MSI,
  MAX_SRC,
  MAX_TMR,
  MSIIR_IBS_SHIFT,
  MSIIR_SRS_SHIFT,
  REG_BRR1,
  REG_FRR,
  REG_GCR,
  REG_GT0,
  REG_MSIIR,
  REG_MSISR,
  REG_SPVR,
  REG_TFRR,
  cpuReg,
  ipiVpr,
  msir,
  srcIdr,
  srcIlr,
  srcIvpr,
  MAX_IPI,
  NUM_EXTERNAL,
  IVPR_MASK,
} from "./constants.js";
import { MpicDevice } from "./device.js";

export const MPIC_SNAPSHOT_FORMAT = "irqlab.mpic/1";

export interface MpicSnapshot {
  readonly format: typeof MPIC_SNAPSHOT_FORMAT;
  /** KVM_DEV_TYPE_FSL_MPIC_20 / _42. */
  readonly type: number;
  /** Sanity: must equal the target's BRR1 (same model) and FRR (same NIRQ, same CPU count). */
  readonly brr1: number;
  readonly frr: number;
  /** KVM_DEV_MPIC_BASE_ADDR as a hex string (a u64). */
  readonly baseAddr: string;
  readonly gcr: number;
  readonly spvr: number;
  readonly tfrr: number;
  /** Per timer 0..3: base count, vector/priority (IVPR of 260+n), destination (IDR of 260+n). */
  readonly timers: ReadonlyArray<{ readonly gtbcr: number; readonly gtvpr: number; readonly gtdr: number }>;
  /** IPIVPR0..3. */
  readonly ipiVpr: readonly number[];
  /** Sources 0..255. */
  readonly ivpr: readonly number[];
  readonly idr: readonly number[];
  /** v4.2 only: ILR outputs of sources 0..255. */
  readonly ilr?: readonly number[];
  /** CTPR of CPUs 0..31. */
  readonly ctpr: readonly number[];
  /** IRQ_ACTIVE of sources 0..256. */
  readonly irqActive: readonly number[];
  /** MSIR0..7. */
  readonly msir: readonly number[];
}

export interface SaveOptions {
  /** Save even though an interrupt is in service (it will be lost on restore). */
  allowInService?: boolean;
}

/** Timer registers as the kernel decodes reads (shifted by one register, §3.2) and writes. */
const gtRead = (n: number, reg: number) => REG_GT0 - 0x10 + GT_STRIDE * n + reg;
const gtWrite = (n: number, reg: number) => REG_GT0 + GT_STRIDE * n + reg;

export function saveMpicState(h: DeviceHandle, opts: SaveOptions = {}): MpicSnapshot {
  const dev = h.backend();
  if (!(dev instanceof MpicDevice)) fail(Errno.EINVAL, `descriptor ${h.fd} is not an MPIC`);
  if (!opts.allowInService) {
    for (let c = 0; c < MAX_CPU; c++) {
      if (!dev.pic.servicing.isEmpty(c)) {
        fail(Errno.EBUSY, `MPIC CPU ${c} has an interrupt in service; KVM's interface cannot save it (EOI first)`);
      }
    }
  }
  const rd = (off: number) => readMpicRegister(h, off);
  const ilr = dev.model.ilr;
  const timers = [];
  for (let n = 0; n < MAX_TMR; n++) {
    timers.push({ gtbcr: rd(gtRead(n, GT_GTBCR)), gtvpr: rd(gtRead(n, GT_GTVPR)), gtdr: rd(gtRead(n, GT_GTDR)) });
  }
  const ivpr: number[] = [];
  const idr: number[] = [];
  const ilrs: number[] = [];
  for (let s = 0; s < MAX_SRC; s++) {
    ivpr.push(rd(srcIvpr(s)));
    idr.push(rd(srcIdr(s)));
    if (ilr) ilrs.push(rd(srcIlr(s)));
  }
  const ctpr: number[] = [];
  for (let c = 0; c < MAX_CPU; c++) ctpr.push(rd(cpuReg(c, CPU_CTPR)));
  const irqActive: number[] = [];
  for (let s = 0; s <= MAX_SRC; s++) irqActive.push(getMpicIrqActive(h, s));
  const msisr = rd(REG_MSISR);
  const msirs: number[] = [];
  for (let b = 0; b < MAX_MSI; b++) {
    let bits = 0;
    if (msisr & (1 << b)) {
      bits = rd(msir(b));
      rewriteMsir(h, b, bits);
    }
    msirs.push(bits);
  }
  return {
    format: MPIC_SNAPSHOT_FORMAT,
    type: dev.model.type,
    brr1: rd(REG_BRR1),
    frr: rd(REG_FRR),
    baseAddr: `0x${getMpicBaseAddr(h).toString(16)}`,
    gcr: rd(REG_GCR),
    spvr: rd(REG_SPVR),
    tfrr: rd(REG_TFRR),
    timers,
    ipiVpr: [0, 1, 2, 3].map((n) => rd(ipiVpr(n))),
    ivpr,
    idr,
    ...(ilr ? { ilr: ilrs } : {}),
    ctpr,
    irqActive,
    msir: msirs,
  };
}

function rewriteMsir(h: DeviceHandle, bank: number, bits: number): void {
  for (let i = 0; i < 32; i++) {
    if (bits & (1 << i)) writeMpicRegister(h, REG_MSIIR, ((bank << MSIIR_SRS_SHIFT) | (i << MSIIR_IBS_SHIFT)) >>> 0);
  }
}

/**
 * Step 1 of the restore (core snapshot.ts): the whole snapshot read as plain JSON (own data
 * properties, no holes, no accessors) into a validated copy (EINVAL naming the bad field).
 */
export function parseMpicSnapshot(snap: unknown): MpicSnapshot {
  return parseSnapshot("MPIC", snap, (r, raw) => {
    const o = r.obj(raw, "snapshot");
    const g = (k: string) => r.get(o, k, "snapshot");
    const words = (k: string, len: number) => {
      const a = r.arr(g(k), k, (x, p) => r.u32(x, p), len);
      if (a.length !== len) r.bad(k, `has ${a.length} values, ${len} expected`);
      return a;
    };
    r.oneOf(g("format"), "format", [MPIC_SNAPSHOT_FORMAT]);
    const baseAddr = r.str(g("baseAddr"), "baseAddr", 18);
    if (!/^0x[0-9a-f]{1,16}$/i.test(baseAddr)) r.bad("baseAddr", "is not a 0x-hex u64");
    const timers = r.arr(g("timers"), "timers", (el, p) => {
      const t = r.obj(el, p);
      return { gtbcr: r.u32(r.get(t, "gtbcr", p), `${p}.gtbcr`), gtvpr: r.u32(r.get(t, "gtvpr", p), `${p}.gtvpr`), gtdr: r.u32(r.get(t, "gtdr", p), `${p}.gtdr`) };
    }, MAX_TMR);
    if (timers.length !== MAX_TMR) r.bad("timers", `has ${timers.length} entries, ${MAX_TMR} expected`);
    const ilr = g("ilr") === undefined ? undefined : words("ilr", MAX_SRC);
    return {
      format: MPIC_SNAPSHOT_FORMAT,
      type: r.u32(g("type"), "type"),
      brr1: r.u32(g("brr1"), "brr1"),
      frr: r.u32(g("frr"), "frr"),
      baseAddr,
      gcr: r.u32(g("gcr"), "gcr"),
      spvr: r.u32(g("spvr"), "spvr"),
      tfrr: r.u32(g("tfrr"), "tfrr"),
      timers,
      ipiVpr: words("ipiVpr", MAX_IPI),
      ivpr: words("ivpr", MAX_SRC),
      idr: words("idr", MAX_SRC),
      ...(ilr ? { ilr } : {}),
      ctpr: words("ctpr", MAX_CPU),
      irqActive: words("irqActive", MAX_SRC + 1),
      msir: words("msir", MAX_MSI),
    };
  });
}

/** Validates a snapshot's shape (EINVAL naming the bad field). */
export function validateMpicSnapshot(s: MpicSnapshot): void {
  parseMpicSnapshot(s);
}

/** Restores `snap` into the freshly created MPIC behind `h` (see the order above). */
export function restoreMpicState(h: DeviceHandle, raw: MpicSnapshot): void {
  const dev = h.backend();
  if (!(dev instanceof MpicDevice)) fail(Errno.EINVAL, `descriptor ${h.fd} is not an MPIC`);
  // core snapshot.ts: parse whole; rehearse on a scratch MPIC made like this one (same type,
  // same vCPUs connected) and refuse a snapshot that would not save back as itself (a value
  // the registers do not keep); then apply from the validated copy.
  const vm = h.kvmDevice.vm;
  restoreSnapshot({
    what: "MPIC",
    raw,
    parse: () => parseMpicSnapshot(raw),
    rehearse: (snap) => {
      const scratch = scratchVm(vm);
      try {
        const h2 = scratch.createDevice(h.type);
        for (const v of vm.vcpus) if (v.irqchipKind === "mpic") scratch.vcpu(v.id).enableCap(KVM_CAP_IRQ_MPIC, [h2, v.irqchipCpu]);
        applyMpic(h2, h2.backend<MpicDevice>(), snap);
        const back = parseMpicSnapshot(saveMpicState(h2, { allowInService: true }));
        const a = JSON.stringify(back);
        const b = JSON.stringify(snap);
        if (a !== b) {
          const field = (Object.keys(snap) as Array<keyof MpicSnapshot>).find((k) => JSON.stringify(back[k]) !== JSON.stringify(snap[k]));
          fail(Errno.EINVAL, `MPIC snapshot is inconsistent: ${String(field)} would not restore as saved`);
        }
      } finally {
        scratch.destroy();
      }
    },
    apply: (snap) => applyMpic(h, dev, snap),
  });
}

function applyMpic(h: DeviceHandle, dev: MpicDevice, snap: MpicSnapshot): void {
  const wr = (off: number, v: number) => writeMpicRegister(h, off, v);
  const rd = (off: number) => readMpicRegister(h, off);
  if (snap.type !== dev.model.type || rd(REG_BRR1) !== snap.brr1) {
    fail(Errno.EINVAL, `MPIC snapshot of type ${snap.type} (BRR1 0x${snap.brr1.toString(16)}) into MPIC v${dev.model.version}`);
  }
  if (rd(REG_FRR) !== snap.frr) {
    fail(Errno.EINVAL, `MPIC snapshot FRR 0x${snap.frr.toString(16)} != 0x${rd(REG_FRR).toString(16)}: connect the same vCPUs first`);
  }
  if ((snap.ilr !== undefined) !== dev.model.ilr) fail(Errno.EINVAL, "MPIC snapshot: ILR presence does not match the model");
  setMpicBaseAddr(h, BigInt(snap.baseAddr));
  wr(REG_GCR, snap.gcr & 0x7fffffff);
  wr(REG_SPVR, snap.spvr);
  wr(REG_TFRR, snap.tfrr);
  for (let n = 0; n < MAX_TMR; n++) wr(gtWrite(n, GT_GTBCR), snap.timers[n].gtbcr);
  for (let s = 0; s < MAX_SRC; s++) {
    wr(srcIdr(s), snap.idr[s]);
    if (snap.ilr) wr(srcIlr(s), snap.ilr[s]);
  }
  for (let n = 0; n < MAX_TMR; n++) wr(gtWrite(n, GT_GTDR), snap.timers[n].gtdr);
  for (let c = 0; c < MAX_CPU; c++) wr(cpuReg(c, CPU_CTPR), snap.ctpr[c]);
  // External sources take their sense (edge/level) from IVPR: set it, still masked, before
  // the input is stored, so a level input is not treated as an edge.
  for (let s = 0; s < NUM_EXTERNAL; s++) wr(srcIvpr(s), snap.ivpr[s] | IVPR_MASK);
  for (let s = 0; s <= MAX_SRC; s++) if (snap.irqActive[s] !== 0) setMpicIrqActive(h, s, 1);
  for (let b = 0; b < MAX_MSI; b++) rewriteMsir(h, b, snap.msir[b]);
  for (let s = 0; s < MAX_SRC; s++) wr(srcIvpr(s), snap.ivpr[s]);
  for (let n = 0; n < MAX_IPI; n++) wr(ipiVpr(n), snap.ipiVpr[n]);
  for (let n = 0; n < MAX_TMR; n++) wr(gtWrite(n, GT_GTVPR), snap.timers[n].gtvpr);
}
