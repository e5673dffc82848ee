/**
 * A Linux-like x86 guest driver for `irqlab compare`: edge sources as MSIs to the target's
 * APIC ID, level sources on IOAPIC pins (PCI INTx), one interrupt per entry (the CPU takes the
 * vector: IRR -> ISR), the handler, then EOI by a LAPIC register write. IPIs by ICR writes.
 * `apicv`: virtual-interrupt delivery, where an EOI of an edge vector (TMR clear) completes in
 * hardware without an exit, and ICR2 is a virtualised register; level EOIs still exit.
 */
import {
  Errno,
  IPI_SOURCE,
  fail,
  type GuestDriver,
  type RouteSpec,
  type SourceSpec,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import { APIC_EOI, APIC_ICR, APIC_ICR2, APIC_SPIV, IOAPIC_DEFAULT_BASE, LAPIC_DEFAULT_BASE } from "./constants.js";
import { dumpX86 } from "./dump.js";
import { x86Of, type X86Irqchip } from "./x86-irqchip.js";

/** CALL_FUNCTION_VECTOR. */
export const X86_IPI_VECTOR = 0xfb;
const FIRST_DEVICE_VECTOR = 0x21;
const LAST_DEVICE_VECTOR = 0xeb;
const NO_SOURCE = -2;
/** IOAPIC pins the driver hands to level sources: the PCI INTx pins first, then free ISA pins. */
const LEVEL_PINS = [16, 17, 18, 19, 20, 21, 22, 23, 1, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15];

export interface X86DriverOptions {
  readonly apicv: boolean;
}

export class X86GuestDriver implements GuestDriver {
  readonly controller = null;
  private readonly x: X86Irqchip;
  /** Source index per (vCPU, vector), NO_SOURCE none; IPI_SOURCE for the IPI vector. */
  private readonly sourceOf: Int32Array[];
  private readonly nextVector: Uint16Array;
  private nextPin = 0;

  constructor(
    private readonly vm: Vm,
    private readonly opts: X86DriverOptions,
  ) {
    const x = x86Of(vm);
    if (x.mode === "none") x.createIrqchip();
    if (x.mode !== "kernel") fail(Errno.EINVAL, "the x86 guest driver needs the full in-kernel irqchip");
    this.x = x;
    this.sourceOf = vm.vcpus.map(() => new Int32Array(256).fill(NO_SOURCE));
    this.nextVector = new Uint16Array(vm.vcpus.length).fill(FIRST_DEVICE_VECTOR);
    for (const v of vm.vcpus) {
      // Boot: software-enable the LAPIC; the BSP masks both PICs (Linux uses the IOAPIC).
      v.mmioWrite(LAPIC_DEFAULT_BASE + APIC_SPIV, 4, 0x1ff);
      this.sourceOf[v.id][X86_IPI_VECTOR] = IPI_SOURCE;
    }
    if (vm.vcpus.length > 0) {
      vm.vcpus[0].pioWrite(0x21, 1, 0xff);
      vm.vcpus[0].pioWrite(0xa1, 1, 0xff);
    }
  }

  configureSource(spec: SourceSpec): RouteSpec {
    const cpu = spec.vcpu;
    if (!(cpu >= 0 && cpu < this.vm.vcpus.length) || cpu > 0xfe) fail(Errno.EINVAL, `x86 driver: no vCPU ${cpu} for source ${spec.index}`);
    const vector = this.nextVector[cpu];
    if (vector > LAST_DEVICE_VECTOR) fail(Errno.ENOSPC, `x86 driver: vCPU ${cpu} has no free device vector`);
    this.nextVector[cpu] = vector + 1;
    this.sourceOf[cpu][vector] = spec.index;
    if (spec.trigger === "edge") {
      return { type: "msi", msi: { addressLo: (LAPIC_DEFAULT_BASE | (cpu << 12)) >>> 0, addressHi: 0, data: vector, flags: 0, devid: 0 } };
    }
    if (this.nextPin >= LEVEL_PINS.length) fail(Errno.ENOSPC, `x86 driver: no free IOAPIC pin for level source ${spec.index}`);
    const pin = LEVEL_PINS[this.nextPin++];
    const boot = this.vm.vcpus[0];
    boot.mmioWrite(IOAPIC_DEFAULT_BASE, 4, 0x11 + 2 * pin);
    boot.mmioWrite(IOAPIC_DEFAULT_BASE + 0x10, 4, (cpu << 24) >>> 0);
    boot.mmioWrite(IOAPIC_DEFAULT_BASE, 4, 0x10 + 2 * pin);
    boot.mmioWrite(IOAPIC_DEFAULT_BASE + 0x10, 4, vector | 0x8000);
    return { type: "irqchip", irqchip: 2, pin };
  }

  service(vcpu: Vcpu, handler: (source: number) => void): number {
    const v = this.x.guestAck(vcpu.id);
    if (v < 0) return 0;
    const src = this.sourceOf[vcpu.id][v];
    if (src !== NO_SOURCE) handler(src);
    const l = this.x.lapics[vcpu.id];
    if (this.opts.apicv && !l.tmrHas(v)) {
      // Virtual-interrupt delivery: the EOI of an edge vector never leaves the guest.
      this.vm.exitStats.directAccesses++;
      l.eoi();
    } else {
      vcpu.mmioWrite(LAPIC_DEFAULT_BASE + APIC_EOI, 4, 0);
    }
    return src === NO_SOURCE ? 0 : 1;
  }

  sendIpi(from: Vcpu, to: number): void {
    const l = this.x.lapics[from.id];
    if (this.opts.apicv) {
      this.vm.exitStats.directAccesses++;
      l.page[APIC_ICR2 >> 2] = (to << 24) >>> 0;
    } else {
      from.mmioWrite(LAPIC_DEFAULT_BASE + APIC_ICR2, 4, (to << 24) >>> 0);
    }
    from.mmioWrite(LAPIC_DEFAULT_BASE + APIC_ICR, 4, 0x4000 | X86_IPI_VECTOR);
  }

  dumpState(): string {
    return dumpX86(this.x);
  }
}
