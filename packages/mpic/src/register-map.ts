/**
 * The register window decoder (mpic.md §3): which block an offset belongs to and what each
 * block's read and write handlers do, with KVM's per-block alignment rules and the timer
 * block's read/write asymmetry. Reads return the u32 value or `NOT_HANDLED` (-ENXIO in the
 * kernel: the attribute fails with ENXIO, guest MMIO is left to userspace); writes return 0
 * or `NOT_HANDLED`.
 *
 * `cpu` is the accessing CPU for the global per-CPU aliases (0x40..0xB0): the MPIC CPU number
 * of the vCPU making the access, or -1 for userspace (attribute) accesses, which makes the
 * aliases inert (§3.1).
 */
import {
  ALL_ONES,
  CPU_SIZE,
  CPU_START,
  GLB_SIZE,
  GLB_START,
  IRQ_IPI0,
  IRQ_TIM0,
  MSI_SIZE,
  MSI_START,
  SRC_SIZE,
  SRC_START,
  SUMMARY_SIZE,
  SUMMARY_START,
  TMR_SIZE,
  TMR_START,
  VECTOR_MASK,
} from "./constants.js";
import type { OpenPic } from "./openpic.js";

/** A handler error: the access is not handled (ENXIO). */
export const NOT_HANDLED = -1;

/** Register blocks, in the kernel's decode order. */
export const Block = { Global: 0, Timer: 1, Source: 2, Cpu: 3, Msi: 4, Summary: 5, None: -1 } as const;
export type Block = (typeof Block)[keyof typeof Block];

export const BLOCKS: ReadonlyArray<{ block: Block; name: string; start: number; size: number }> = [
  { block: Block.Global, name: "global", start: GLB_START, size: GLB_SIZE },
  { block: Block.Timer, name: "timer", start: TMR_START, size: TMR_SIZE },
  { block: Block.Source, name: "source", start: SRC_START, size: SRC_SIZE },
  { block: Block.Cpu, name: "per-cpu", start: CPU_START, size: CPU_SIZE },
  { block: Block.Msi, name: "msi", start: MSI_START, size: MSI_SIZE },
  { block: Block.Summary, name: "summary", start: SUMMARY_START, size: SUMMARY_SIZE },
];

/** The block containing `offset` (a window offset, any number), or Block.None. */
export function blockOf(offset: number): Block {
  if (offset >= GLB_START && offset < GLB_START + GLB_SIZE) return Block.Global;
  if (offset >= TMR_START && offset < TMR_START + TMR_SIZE) return Block.Timer;
  if (offset >= SRC_START && offset < SRC_START + SRC_SIZE) return Block.Source;
  if (offset >= CPU_START && offset < CPU_START + CPU_SIZE) return Block.Cpu;
  if (offset >= MSI_START && offset < MSI_START + MSI_SIZE) return Block.Msi;
  if (offset >= SUMMARY_START && offset < SUMMARY_START + SUMMARY_SIZE) return Block.Summary;
  return Block.None;
}

/** kvm_mpic_read_internal: decode and read (with side effects: IACK, MSIR clear). */
export function readRegister(opp: OpenPic, offset: number, cpu: number): number {
  if (offset >= GLB_START && offset < GLB_START + GLB_SIZE) return globalRead(opp, offset - GLB_START, cpu);
  if (offset >= TMR_START && offset < TMR_START + TMR_SIZE) return timerRead(opp, offset - TMR_START);
  if (offset >= SRC_START && offset < SRC_START + SRC_SIZE) return sourceRead(opp, offset - SRC_START);
  if (offset >= CPU_START && offset < CPU_START + CPU_SIZE) {
    const r = offset - CPU_START;
    return cpuRead(opp, r, (r & 0x1f000) >>> 12);
  }
  if (offset >= MSI_START && offset < MSI_START + MSI_SIZE) return msiRead(opp, offset - MSI_START);
  if (offset >= SUMMARY_START && offset < SUMMARY_START + SUMMARY_SIZE) return 0;
  return NOT_HANDLED;
}

/** kvm_mpic_write_internal. */
export function writeRegister(opp: OpenPic, offset: number, value: number, cpu: number): number {
  value = value >>> 0;
  if (offset >= GLB_START && offset < GLB_START + GLB_SIZE) return globalWrite(opp, offset - GLB_START, value, cpu);
  if (offset >= TMR_START && offset < TMR_START + TMR_SIZE) return timerWrite(opp, offset - TMR_START, value);
  if (offset >= SRC_START && offset < SRC_START + SRC_SIZE) return sourceWrite(opp, offset - SRC_START, value);
  if (offset >= CPU_START && offset < CPU_START + CPU_SIZE) {
    const r = offset - CPU_START;
    return cpuWrite(opp, r, value, (r & 0x1f000) >>> 12);
  }
  if (offset >= MSI_START && offset < MSI_START + MSI_SIZE) return msiWrite(opp, offset - MSI_START, value);
  if (offset >= SUMMARY_START && offset < SUMMARY_START + SUMMARY_SIZE) return 0;
  return NOT_HANDLED;
}

// ---------------------------------------------------------------- global block

/** 0x40..0xB0 (16-aligned): IPIDR0-3, CTPR, WHOAMI, IACK, EOI of the accessing CPU. */
const isCpuAlias = (a: number): boolean => a >= 0x40 && a <= 0xb0;

function globalRead(opp: OpenPic, a: number, cpu: number): number {
  if ((a & 0xf) !== 0) return ALL_ONES;
  if (isCpuAlias(a)) return cpuRead(opp, a, cpu);
  switch (a) {
    case 0x1000:
      return opp.readFrr();
    case 0x1020:
      return opp.gcr;
    case 0x1080: // VIR
      return 0;
    case 0x1090: // PIR
      return 0;
    case 0x00: // BRR1
      return opp.model.brr1;
    case 0x10a0:
    case 0x10b0:
    case 0x10c0:
    case 0x10d0:
      return opp.ivpr[IRQ_IPI0 + ((a - 0x10a0) >>> 4)];
    case 0x10e0:
      return opp.spve;
    default:
      return ALL_ONES;
  }
}

function globalWrite(opp: OpenPic, a: number, v: number, cpu: number): number {
  if ((a & 0xf) !== 0) return 0;
  if (isCpuAlias(a)) return cpuWrite(opp, a, v, cpu);
  switch (a) {
    case 0x1020:
      opp.writeGcr(v);
      return 0;
    case 0x1090: // PIR: CPU core reset belongs to userspace (quirk pirHandled: stored)
      if (!opp.quirks.pirHandled) return NOT_HANDLED;
      opp.pir = v;
      return 0;
    case 0x10a0:
    case 0x10b0:
    case 0x10c0:
    case 0x10d0:
      opp.writeIvpr(IRQ_IPI0 + ((a - 0x10a0) >>> 4), v);
      return 0;
    case 0x10e0:
      opp.spve = v & VECTOR_MASK;
      return 0;
    default: // BRR1, FRR, VIR and holes are read-only / ignored
      return 0;
  }
}

// ---------------------------------------------------------------- timer block

/** Reads decode the block-relative offset as is: one register off the architected layout. */
function timerRead(opp: OpenPic, r: number): number {
  if ((r & 0xf) !== 0) return ALL_ONES;
  if (r === 0) return opp.tfrr;
  // Quirk timerDecode: reads use the architected offsets, as writes do.
  if (opp.quirks.timerDecode) r += TMR_START;
  const idx = (r >>> 6) & 3;
  switch (r & 0x30) {
    case 0x00:
      return opp.tccr[idx];
    case 0x10:
      return opp.tbcr[idx];
    case 0x20:
      return opp.ivpr[IRQ_TIM0 + idx];
    default:
      return opp.idr[IRQ_TIM0 + idx];
  }
}

/** Writes re-base to the absolute offset first (the architected layout). */
function timerWrite(opp: OpenPic, r: number, v: number): number {
  const a = r + TMR_START;
  if ((a & 0xf) !== 0) return 0;
  if (a === TMR_START) {
    opp.tfrr = v;
    return 0;
  }
  const idx = (a >>> 6) & 3;
  switch (a & 0x30) {
    case 0x00: // GTCCR: read-only
      break;
    case 0x10:
      opp.writeTbcr(idx, v);
      break;
    case 0x20:
      opp.writeIvpr(IRQ_TIM0 + idx, v);
      break;
    default:
      opp.writeIdr(IRQ_TIM0 + idx, v);
      break;
  }
  return 0;
}

// ---------------------------------------------------------------- source block

function sourceRead(opp: OpenPic, r: number): number {
  const a = r & 0xffff;
  const idx = a >>> 5;
  switch (a & 0x1f) {
    case 0x00:
      return opp.ivpr[idx];
    case 0x10:
      return opp.idr[idx];
    case 0x18:
      return opp.readIlr(idx);
    default:
      return ALL_ONES;
  }
}

function sourceWrite(opp: OpenPic, r: number, v: number): number {
  const a = r & 0xffff;
  const idx = a >>> 5;
  switch (a & 0x1f) {
    case 0x00:
      opp.writeIvpr(idx, v);
      break;
    case 0x10:
      opp.writeIdr(idx, v);
      break;
    case 0x18:
      opp.writeIlr(idx, v);
      break;
  }
  return 0;
}

// ---------------------------------------------------------------- per-CPU block

/** openpic_cpu_read_internal: `a` is the offset inside the block (only bits 4..11 matter). */
export function cpuRead(opp: OpenPic, a: number, cpu: number): number {
  if (cpu < 0) return ALL_ONES;
  if (opp.quirks.absentCpu && cpu >= opp.nbCpus) return ALL_ONES;
  if ((a & 0xf) !== 0) return ALL_ONES;
  switch (a & 0xff0) {
    case 0x80:
      return opp.ctpr[cpu];
    case 0x90:
      return cpu;
    case 0xa0:
      return opp.iack(cpu);
    case 0xb0:
      return 0;
    default:
      return ALL_ONES;
  }
}

export function cpuWrite(opp: OpenPic, a: number, v: number, cpu: number): number {
  if (cpu < 0) return 0;
  if (opp.quirks.absentCpu && cpu >= opp.nbCpus) return 0;
  if ((a & 0xf) !== 0) return 0;
  switch (a & 0xff0) {
    case 0x40:
    case 0x50:
    case 0x60:
    case 0x70:
      opp.dispatchIpi(((a & 0xff0) - 0x40) >>> 4, v);
      break;
    case 0x80:
      opp.writeCtpr(cpu, v);
      break;
    case 0xb0:
      opp.eoi(cpu);
      break;
    default: // WHOAMI, IACK: read-only
      break;
  }
  return 0;
}

// ---------------------------------------------------------------- MSI block

function msiRead(opp: OpenPic, r: number): number {
  if ((r & 0xf) !== 0) return opp.quirks.msiMisaligned ? ALL_ONES : NOT_HANDLED;
  if (r <= 0x70) return opp.readMsir(r >>> 4);
  if (r === 0x120) return opp.readMsisr();
  return 0;
}

function msiWrite(opp: OpenPic, r: number, v: number): number {
  if ((r & 0xf) !== 0) return 0;
  if (r === 0x140) opp.writeMsiir(v);
  return 0;
}
