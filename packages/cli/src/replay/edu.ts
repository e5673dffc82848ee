/**
 * QEMU's `edu` PCI test device as a source of LSI input changes on pseries (hw/misc/edu.c):
 * BAR0 (1 MiB of MMIO) is wherever the trace's own `ibm,write-pci-config` records put it; a
 * write to BAR0 + 0x60 (raise) ORs the value into its interrupt status, BAR0 + 0x64 (ack)
 * clears those bits, BAR0 + 0x24 reads the status; while the status is non-zero the device's
 * INTA line is asserted. On the pseries PHB (BUID 0x800000020000000) INTA of slot s is LSI
 * 0x1200 + (s % 4); the 32-bit MMIO window maps PCI address a to CPU address 0x200000000000 + a.
 *
 * Nothing else of the edu (factorial, DMA, MSI) is an interrupt-controller input: those
 * accesses are reported as not applicable, as are PCI config reads (QEMU's PCI core).
 */
import { checks, na, unmodelled } from "./adapter-base.js";
import type { RtasRecord } from "./trace.js";
import type { Execution } from "./types.js";

export const SPAPR_PHB0_BUID = 0x800000020000000n;
export const SPAPR_PCI_MEM_WIN = 0x200000000000;
export const SPAPR_PHB0_LSI_BASE = 0x1200;
const BAR0 = 0x10;
const EDU_BAR_SIZE = 0x100000;
const EDU_IRQ_STATUS = 0x24;
const EDU_IRQ_RAISE = 0x60;
const EDU_IRQ_ACK = 0x64;

interface EduFn {
  bar: number | null;
  status: number;
  lsi: number;
}

export type EduAccess =
  | { kind: "none" }
  | { kind: "level"; lsi: number; level: number }
  | { kind: "status"; value: number }
  | { kind: "other"; offset: number };

/** The edu devices of a trace, as far as their config writes and interrupt registers go. */
export class EduDevices {
  private readonly fns = new Map<number, EduFn>();

  /** Only the trace's machine has an edu when its argv says `-device edu`. */
  static present(args: readonly string[] | undefined): boolean {
    const a = args ?? [];
    return a.some((x, i) => x === "-device" && /^edu\b/.test(a[i + 1] ?? ""));
  }

  /** `ibm,write-pci-config(config_addr, buid_hi, buid_lo, size, value)`: tracks BAR0. */
  configWrite(rec: RtasRecord): void {
    const [addr, hi, lo, size, value] = rec.args;
    if (rec.args.length !== 5 || ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) !== SPAPR_PHB0_BUID) return;
    const reg = addr & 0xff;
    const fn = (addr >>> 8) & 0xffff;
    if (reg !== BAR0 || size !== 4) return;
    const f = this.fn(fn);
    const v = value >>> 0;
    // Sizing writes (all ones) read back the size mask; only an address maps the BAR.
    f.bar = v === 0xffffffff || v === 0 ? null : (v & ~(EDU_BAR_SIZE - 1)) >>> 0;
  }

  private fn(devfn: number): EduFn {
    let f = this.fns.get(devfn);
    if (!f) {
      const slot = (devfn >>> 3) & 0x1f;
      f = { bar: null, status: 0, lsi: SPAPR_PHB0_LSI_BASE + (slot % 4) };
      this.fns.set(devfn, f);
    }
    return f;
  }

  private at(addr: number): { f: EduFn; offset: number } | null {
    for (const f of this.fns.values()) {
      if (f.bar === null) continue;
      const base = SPAPR_PCI_MEM_WIN + f.bar;
      if (addr >= base && addr < base + EDU_BAR_SIZE) return { f, offset: addr - base };
    }
    return null;
  }

  /** A qtest MMIO write: the LSI level change it causes, if any. */
  write(addr: number, value: number): EduAccess {
    const hit = this.at(addr);
    if (!hit) return { kind: "none" };
    const { f, offset } = hit;
    const before = f.status !== 0;
    if (offset === EDU_IRQ_RAISE) f.status = (f.status | value) >>> 0;
    else if (offset === EDU_IRQ_ACK) f.status = (f.status & ~value) >>> 0;
    else return { kind: "other", offset };
    const after = f.status !== 0;
    // edu_raise_irq / edu_lower_irq -> pci_set_irq, which passes only changes of INTA on.
    if (!before && after) return { kind: "level", lsi: f.lsi, level: 1 };
    if (before && !after) return { kind: "level", lsi: f.lsi, level: 0 };
    return { kind: "level", lsi: f.lsi, level: -1 };
  }

  /** A qtest MMIO read. */
  read(addr: number): EduAccess {
    const hit = this.at(addr);
    if (!hit) return { kind: "none" };
    return hit.offset === EDU_IRQ_STATUS ? { kind: "status", value: hit.f.status } : { kind: "other", offset: hit.offset };
  }
}

/**
 * A qtest MMIO access on a machine with an edu device: its interrupt registers become LSI
 * level changes (KVM_IRQ_LINE, as QEMU's PHB passes INTx on); its status read is compared.
 */
export function eduAccess(
  edu: EduDevices,
  q: { kind: "read" | "write"; size: number; addr: number; value?: bigint },
  expected: number | undefined,
  irqLine: (irq: number, level: number) => void,
): Execution {
  if (q.kind === "write") {
    const r = edu.write(q.addr, Number(BigInt.asUintN(32, q.value ?? 0n)));
    if (r.kind === "none") return unmodelled(`write at 0x${q.addr.toString(16)}: neither the controller nor an edu BAR`);
    if (r.kind === "other") return na(`edu register 0x${r.offset.toString(16)}: not an interrupt input`);
    if (r.kind === "level" && r.level >= 0) irqLine(r.lsi, r.level);
    return checks();
  }
  const r = edu.read(q.addr);
  if (r.kind === "none") return unmodelled(`read at 0x${q.addr.toString(16)}: neither the controller nor an edu BAR`);
  if (r.kind === "other") return na(`edu register 0x${r.offset.toString(16)}: not an interrupt register`);
  if (r.kind === "status") return expected === undefined ? checks() : checks({ field: "edu.irq_status", expected, got: r.value });
  return checks();
}
