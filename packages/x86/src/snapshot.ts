/**
 * Save/restore of the whole x86 fabric through the state ioctls (KVM_GET/SET_IRQCHIP for the
 * three chips, KVM_GET/SET_LAPIC per vCPU), plus the line state KVM keeps outside the UAPI
 * (per-source pin levels, the IOAPIC's delivered-edge mask, RTC records, pending ExtINT/NMI):
 * a VMM re-drives its lines after migration; irqlab carries them so that a restored VM
 * continues exactly as the original. The whole snapshot is validated before anything is applied.
 */
import { Errno, fail, type Vm } from "@irqlab/core";
import {
  KVM_APIC_REG_SIZE,
  KVM_GET_IRQCHIP,
  KVM_GET_LAPIC,
  KVM_SET_IRQCHIP,
  KVM_SET_LAPIC,
  SIZEOF_KVM_IRQCHIP,
  type IrqchipMode,
} from "./constants.js";
import { IOAPIC_PINS } from "./ioapic.js";
import { decodeIoapicInto } from "./structs.js";
import { x86Of } from "./x86-irqchip.js";

export interface X86Snapshot {
  readonly mode: IrqchipMode;
  /** struct kvm_irqchip buffers of chips 0, 1, 2 (full mode), else []. */
  readonly irqchips: readonly Uint8Array[];
  /** struct kvm_lapic_state per vCPU (full and split mode). */
  readonly lapics: readonly Uint8Array[];
  /** State KVM keeps across SET_IRQCHIP but does not export. */
  readonly lines: {
    readonly pic: readonly number[];
    /** The PIC's output, which can be stale until its next update (§4.4). */
    readonly picOutput: boolean;
    readonly ioapic: readonly number[];
    readonly irrDelivered: number;
    /** The IOAPIC's IRR itself (GET_IRQCHIP reports it without the delivered edges). */
    readonly irr: number;
    readonly rtcVector: readonly number[];
    readonly rtcPendingEoi: number;
    readonly extint: readonly number[];
    readonly nmiPending: readonly number[];
  };
}

export function saveX86(vm: Vm): X86Snapshot {
  const x = x86Of(vm);
  const irqchips: Uint8Array[] = [];
  if (x.mode === "kernel") {
    for (let id = 0; id < 3; id++) {
      const b = new Uint8Array(SIZEOF_KVM_IRQCHIP);
      new DataView(b.buffer).setUint32(0, id, true);
      vm.ioctl(KVM_GET_IRQCHIP, b);
      irqchips.push(b);
    }
  }
  const lapics: Uint8Array[] = [];
  if (x.mode !== "none") {
    for (const v of vm.vcpus) {
      const b = new Uint8Array(KVM_APIC_REG_SIZE);
      v.ioctl(KVM_GET_LAPIC, b);
      // GET hides the stale-PPR detail only through the register; keep the live page.
      b.set(new Uint8Array(x.lapics[v.id].page.buffer.slice(0)));
      lapics.push(b);
    }
  }
  const io = x.ioapic;
  return {
    mode: x.mode,
    irqchips,
    lapics,
    lines: {
      pic: x.pic ? [...x.pic.irqStates] : [],
      picOutput: x.pic ? x.pic.output : false,
      ioapic: io ? [...io.irqStates] : [],
      irrDelivered: io ? io.irrDelivered : 0,
      irr: io ? io.irr : 0,
      rtcVector: io ? [...io.rtcVector] : [],
      rtcPendingEoi: io ? io.rtcPendingEoi : 0,
      extint: x.lapics.map((l) => l.extint),
      nmiPending: x.lapics.map((l) => l.nmiPending),
    },
  };
}

const isU32 = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/** Restores `s` into `vm` (same mode and vCPU count). EINVAL, with nothing applied, if it does not fit. */
export function restoreX86(vm: Vm, s: X86Snapshot): void {
  const x = x86Of(vm);
  const n = vm.vcpus.length;
  const bad = (why: string): never => fail(Errno.EINVAL, `x86 snapshot: ${why}`);
  if (typeof s !== "object" || s === null) bad("not an object");
  if (s.mode !== x.mode) bad(`mode ${String(s.mode)} into a ${x.mode} VM`);
  const chips = x.mode === "kernel" ? 3 : 0;
  if (!Array.isArray(s.irqchips) || s.irqchips.length !== chips) bad(`${chips} irqchip states expected`);
  s.irqchips.forEach((b, id) => {
    if (!(b instanceof Uint8Array) || b.byteLength < SIZEOF_KVM_IRQCHIP) bad(`irqchip ${id}: 520 bytes expected`);
    if (new DataView(b.buffer, b.byteOffset).getUint32(0, true) !== id) bad(`irqchip ${id}: chip_id mismatch`);
  });
  const lapics = x.mode === "none" ? 0 : n;
  if (!Array.isArray(s.lapics) || s.lapics.length !== lapics) bad(`${lapics} LAPIC states expected`);
  for (const b of s.lapics) if (!(b instanceof Uint8Array) || b.byteLength < KVM_APIC_REG_SIZE) bad("LAPIC state: 0x400 bytes expected");
  const l = s.lines;
  if (typeof l !== "object" || l === null) bad("lines missing");
  const arr = (a: unknown, len: number, what: string, ok: (v: unknown) => boolean) => {
    if (!Array.isArray(a) || a.length !== len || !a.every(ok)) bad(`${what}: ${len} values expected`);
  };
  arr(l.pic, x.pic ? 16 : 0, "pic lines", isU32);
  arr(l.ioapic, x.ioapic ? IOAPIC_PINS : 0, "ioapic lines", isU32);
  arr(l.rtcVector, x.ioapic ? x.ioapic.rtcVector.length : 0, "rtc records", (v) => Number.isInteger(v) && (v as number) >= -1 && (v as number) < 256);
  arr(l.extint, x.lapics.length, "extint", (v) => Number.isInteger(v) && (v as number) >= -1 && (v as number) < 256);
  arr(l.nmiPending, x.lapics.length, "nmi", (v) => Number.isInteger(v) && (v as number) >= 0);
  if (!isU32(l.irrDelivered) || !isU32(l.rtcPendingEoi) || !isU32(l.irr)) bad("ioapic counters");

  // Everything fits: apply (LAPICs first, so IOAPIC re-injection sees the restored LAPICs).
  s.lapics.forEach((b, i) => vm.vcpus[i].ioctl(KVM_SET_LAPIC, b.slice()));
  s.irqchips.forEach((b) => vm.ioctl(KVM_SET_IRQCHIP, b.slice()));
  if (x.pic) {
    // SET_IRQCHIP's pic_update_irq may have pulsed the cascade pin: the saved words are the truth.
    x.pic.restoreWords(0, s.irqchips[0].subarray(8));
    x.pic.restoreWords(1, s.irqchips[1].subarray(8));
    x.pic.irqStates.set(l.pic);
    x.pic.output = l.picOutput === true;
  }
  const io = x.ioapic;
  if (io) {
    io.irqStates.set(l.ioapic);
    // SET_IRQCHIP's re-injection may have serviced pins; the saved entries and IRR are the truth.
    decodeIoapicInto(io, s.irqchips[2].subarray(8));
    io.reindex();
    io.irrDelivered = l.irrDelivered;
    io.irr = l.irr;
    io.rtcVector.set(l.rtcVector);
    io.rtcPendingEoi = l.rtcPendingEoi;
  }
  x.lapics.forEach((lp, i) => {
    lp.extint = l.extint[i];
    lp.nmiPending = l.nmiPending[i];
    lp.page.set(new Uint32Array(s.lapics[i].buffer.slice(s.lapics[i].byteOffset, s.lapics[i].byteOffset + KVM_APIC_REG_SIZE)));
    lp.isrCount = lp.countIsr();
    lp.updateLine();
  });
}
