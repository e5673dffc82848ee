/** QEMU-style `info pic` / `info lapic` text of the x86 fabric. */
import { APIC_ISR, APIC_IRR, APIC_TMR } from "./constants.js";
import { PIC_ELCR, PIC_IMR, PIC_IRQ_BASE, PIC_IRR, PIC_ISR, PIC_PRIORITY_ADD } from "./i8259.js";
import { IOAPIC_PINS } from "./ioapic.js";
import type { X86Irqchip } from "./x86-irqchip.js";

const hex = (v: number, w = 2) => v.toString(16).padStart(w, "0");

function vectors(page: Uint32Array, base: number): string {
  const out: number[] = [];
  for (let v = 0; v < 256; v++) if (page[(base >> 2) + ((v >> 5) << 2)] & (1 << (v & 31))) out.push(v);
  return out.length ? out.map((v) => `0x${hex(v)}`).join(" ") : "(none)";
}

export function dumpX86(x: X86Irqchip): string {
  const lines: string[] = [`x86 irqchip: ${x.mode}${x.mode === "split" ? ` (${x.splitPins} reserved IOAPIC pins)` : ""}, x2APIC API flags 0x${x.x2apicFlags.toString(16)}`];
  if (x.pic !== null) {
    x.pic.chips.forEach((s, c) => {
      lines.push(
        `pic${c}: irr=${hex(s[PIC_IRR])} imr=${hex(s[PIC_IMR])} isr=${hex(s[PIC_ISR])} hprio=${s[PIC_PRIORITY_ADD]} ` +
          `irq_base=${hex(s[PIC_IRQ_BASE])} elcr=${hex(s[PIC_ELCR])}`,
      );
    });
    lines.push(`pic output: ${x.pic.output ? "high" : "low"}`);
  }
  if (x.ioapic !== null) {
    const io = x.ioapic;
    lines.push(`ioapic0: ver=0x11 id=0x${hex(io.id)} sel=0x${hex(io.ioregsel)} irr=0x${io.reportedIrr.toString(16).padStart(8, "0")} rtc pending_eoi=${io.rtcPendingEoi}`);
    for (let p = 0; p < IOAPIC_PINS; p++) {
      const lo = io.lo[p];
      if (lo === 0x10000 && io.hi[p] === 0) continue;
      lines.push(
        `  pin ${String(p).padStart(2)} 0x${io.hi[p].toString(16).padStart(8, "0")}${lo.toString(16).padStart(8, "0")} dest=${io.hi[p] >>> 24} ` +
          `vec=0x${hex(lo & 0xff)} ${lo & 0x8000 ? "level" : "edge "} ${lo & 0x10000 ? "masked" : "active"} ${lo & 0x800 ? "logical" : "physical"}` +
          `${lo & 0x4000 ? " remote-irr" : ""}`,
      );
    }
  }
  for (const l of x.lapics) {
    if (l === undefined) continue;
    lines.push(
      `CPU#${l.id} LAPIC id=0x${hex(l.xapicId)} base=0x${l.apicBase.toString(16)} svr=0x${l.reg(0xf0).toString(16)} ` +
        `(${l.swEnabled ? "enabled" : "sw-disabled"}) tpr=0x${hex(l.reg(0x80))} ppr=0x${hex(l.computePpr())} ldr=0x${l.ldr.toString(16)} ` +
        `lint0=0x${l.reg(0x350).toString(16)}`,
    );
    lines.push(`  ISR ${vectors(l.page, APIC_ISR)}  IRR ${vectors(l.page, APIC_IRR)}  TMR ${vectors(l.page, APIC_TMR)}`);
  }
  return lines.join("\n");
}
