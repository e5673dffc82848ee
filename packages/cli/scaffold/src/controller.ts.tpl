/**
 * The toy8 model: 8 pins with per-pin state in typed arrays, one IPI flag per vCPU, and the
 * external-interrupt line of every vCPU as its output. No allocation, no closure and no
 * exception on the interrupt path (setIrq, ack, eoi, ipi); tracing costs one boolean.
 *
 *   setIrq(pin, level, src) ─> edge: latch     level: line bit per source id
 *                                   │ presentable = pending & enabled & !in-service
 *                                   v
 *   updateLine(vcpu) ─> vcpu.ext.set(any presentable pin targeted here || IPI pending)
 *   ack(vcpu)  -> IPI (8) | lowest presentable pin (now in service) | 0xff spurious
 *   eoi(vcpu, v) -> in-service cleared; level pin: ackNotifiers.notify(chip, pin)
 */
import { traceEvents, type AckNotifiers, type IrqChip, type Tracer, type Vcpu } from "@irqlab/core";
import { TOY8_IPI, TOY8_PINS, TOY8_SPURIOUS } from "./constants.js";

/** toy8's typed trace-event catalogue (emit only under `if (tracer.enabled)`). */
export interface Toy8Events extends Record<string, Record<string, unknown>> {
  "toy8.irq.set": { pin: number; level: number; sourceId: number; status: number };
  "toy8.ack": { vcpu: number; value: number };
  "toy8.eoi": { vcpu: number; value: number };
  "toy8.ipi": { from: number; to: number };
}
const emit = traceEvents<Toy8Events>();

export class Toy8Controller {
  /** SRC_CFG: enabled, level-triggered, target vCPU. */
  readonly enabled = new Uint8Array(TOY8_PINS);
  readonly level = new Uint8Array(TOY8_PINS);
  readonly target = new Uint8Array(TOY8_PINS);
  /** Edge pins: latched until acknowledged. */
  readonly latched = new Uint8Array(TOY8_PINS);
  /** Level pins: one bit per source id asserting the line (KVM's irq_states). */
  readonly lineBits = new Uint32Array(TOY8_PINS);
  readonly inService = new Uint8Array(TOY8_PINS);
  /** Per vCPU: an IPI is pending. */
  readonly ipiPending: Uint8Array;
  /** Set by the device once its IrqChip exists (ack notifiers name the chip). */
  chip: IrqChip | null = null;

  // Counters (HasCounters): plain fields, no allocation.
  delivered = 0;
  coalesced = 0;
  acks = 0;
  eois = 0;
  spurious = 0;
  ipis = 0;
  resampled = 0;

  constructor(
    readonly vcpus: readonly Vcpu[],
    private readonly ackNotifiers: AckNotifiers,
    private readonly tracer: Tracer,
  ) {
    this.ipiPending = new Uint8Array(vcpus.length);
  }

  /** Latched (edge) or asserted (level). */
  pending(pin: number): boolean {
    return this.level[pin] ? this.lineBits[pin] !== 0 : this.latched[pin] !== 0;
  }

  private presentable(pin: number): boolean {
    return this.enabled[pin] !== 0 && this.inService[pin] === 0 && this.pending(pin);
  }

  /**
   * An input from routing (IrqChip.setIrq). Edge pins latch on any non-zero level; level pins
   * keep one bit per source id. Returns KVM's status: -1 bad pin, 0 coalesced or masked,
   * 1 delivered. Never throws.
   */
  setIrq(pin: number, level: number, sourceId: number): number {
    if (!(pin >= 0 && pin < TOY8_PINS) || !Number.isInteger(pin)) return -1;
    const on = level !== 0;
    let status = 0;
    if (this.level[pin]) {
      const bit = 1 << (sourceId & 31);
      const before = this.lineBits[pin] !== 0;
      this.lineBits[pin] = on ? this.lineBits[pin] | bit : this.lineBits[pin] & ~bit;
      if (on) status = !before && this.enabled[pin] ? 1 : 0;
    } else if (on) {
      if (this.latched[pin]) this.coalesced++;
      else {
        this.latched[pin] = 1;
        status = this.enabled[pin] ? 1 : 0;
      }
    }
    if (status > 0) this.delivered++;
    if (this.tracer.enabled) emit(this.tracer, "toy8.irq.set", { pin, level, sourceId, status });
    this.updateLine(this.target[pin]);
    return status;
  }

  /** The ACK register read by `vcpu`: IPI first, then the lowest presentable pin. */
  ack(vcpu: number): number {
    let value = TOY8_SPURIOUS;
    if (this.ipiPending[vcpu]) {
      this.ipiPending[vcpu] = 0;
      value = TOY8_IPI;
    } else {
      for (let p = 0; p < TOY8_PINS; p++) {
        if (this.target[p] === vcpu && this.presentable(p)) {
          this.inService[p] = 1;
          this.latched[p] = 0;
          value = p;
          break;
        }
      }
    }
    if (value === TOY8_SPURIOUS) this.spurious++;
    else this.acks++;
    if (this.tracer.enabled) emit(this.tracer, "toy8.ack", { vcpu, value });
    this.updateLine(vcpu);
    return value;
  }

  /** The EOI register written by `vcpu`. A level pin runs the ack notifiers (resamplefd). */
  eoi(vcpu: number, value: number): void {
    if (this.tracer.enabled) emit(this.tracer, "toy8.eoi", { vcpu, value });
    if (value === TOY8_IPI) {
      this.eois++;
      return;
    }
    if (!(value >= 0 && value < TOY8_PINS) || !this.inService[value]) {
      this.tracer.guestError("toy8", `EOI of ${value} from vCPU ${vcpu}: not in service`);
      return;
    }
    this.inService[value] = 0;
    this.eois++;
    if (this.level[value] && this.chip) {
      this.resampled++;
      // Routing maps (chip, pin) to the GSI, de-asserts it (source 1), signals resamplefds.
      this.ackNotifiers.notify(this.chip, value);
    }
    this.updateLine(this.target[value]);
  }

  /** The IPI register: raises an IPI on vCPU `to`. */
  ipi(from: number, to: number): void {
    if (!(to >= 0 && to < this.vcpus.length)) {
      this.tracer.guestError("toy8", `IPI to vCPU ${to} from vCPU ${from}: no such vCPU`);
      return;
    }
    this.ipis++;
    if (this.tracer.enabled) emit(this.tracer, "toy8.ipi", { from, to });
    this.ipiPending[to] = 1;
    this.updateLine(to);
  }

  /** SRC_CFG[pin] written: enable, trigger, target (the old target's line is re-evaluated too). */
  configure(pin: number, enabled: boolean, level: boolean, target: number): void {
    const old = this.target[pin];
    this.enabled[pin] = enabled ? 1 : 0;
    if ((this.level[pin] !== 0) !== level) {
      this.level[pin] = level ? 1 : 0;
      this.latched[pin] = 0;
      this.lineBits[pin] = 0;
    }
    this.target[pin] = target;
    if (old !== target) this.updateLine(old);
    this.updateLine(target);
  }

  /** Recomputes one vCPU's external-interrupt line (O(pins)). */
  updateLine(vcpu: number): void {
    const v = this.vcpus[vcpu];
    if (v === undefined) return;
    let up = this.ipiPending[vcpu] !== 0;
    for (let p = 0; !up && p < TOY8_PINS; p++) up = this.target[p] === vcpu && this.presentable(p);
    v.ext.set(up);
  }

  updateAllLines(): void {
    for (let i = 0; i < this.vcpus.length; i++) this.updateLine(i);
  }

  counters(): Record<string, number> {
    return {
      delivered: this.delivered,
      coalesced: this.coalesced,
      acks: this.acks,
      eois: this.eois,
      spurious: this.spurious,
      ipis: this.ipis,
      resampled: this.resampled,
    };
  }
}
