/**
 * Tracks the interrupt pins of the CPU a trace intercepts (`irq_intercept_in`) the way QEMU
 * reports them: a change is reported only when the level differs from the last reported
 * level of that pin (initially 0), in the order the model produced them.
 */
import type { InterruptLine } from "@irqlab/core";
import type { IrqEvent } from "./trace.js";

export interface PinMapping {
  readonly line: InterruptLine;
  /** QEMU's pin number for this line (e500: 4 = INT, 3 = critical INT; POWER9: 0 = INT). */
  readonly pin: number;
}

export class PinTracker {
  private last = new Map<number, number>();
  private events: IrqEvent[] = [];
  private unsubscribe: (() => void)[] = [];

  intercept(mappings: readonly PinMapping[]): void {
    this.dispose();
    this.last.clear();
    this.events = [];
    for (const m of mappings) {
      this.unsubscribe.push(m.line.onChange((level) => this.record(m.pin, level ? 1 : 0)));
    }
  }

  private record(pin: number, level: number): void {
    if ((this.last.get(pin) ?? 0) === level) return;
    this.last.set(pin, level);
    this.events.push({ line: pin, level });
  }

  /**
   * The changes since the last call. With `net`, each pin's changes are reduced to its net
   * change over the step (a pin that went up and came back down reports nothing).
   */
  drain(net = false): IrqEvent[] {
    const e = this.events;
    this.events = [];
    if (!net) return e;
    const out: IrqEvent[] = [];
    const pins = [...new Set(e.map((x) => x.line))];
    for (const pin of pins) {
      const mine = e.filter((x) => x.line === pin);
      // Reported changes alternate, so the level before the step is the opposite of the first.
      const before = mine[0].level ? 0 : 1;
      const after = mine[mine.length - 1].level;
      if (after !== before) out.push({ line: pin, level: after });
    }
    return out;
  }

  dispose(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }
}
