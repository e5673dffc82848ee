/**
 * Where KVM's in-kernel MPIC (arch/powerpc/kvm/mpic.c, the reference) and QEMU 7.2's
 * user-space OpenPIC (hw/intc/openpic.c) differ, as quirks: switches the model reads at
 * creation (core's profile contract, @irqlab/core profile.ts). Off = KVM. The "qemu-7.2"
 * profile turns all of them on; `irqlab replay` replays QEMU traces in that profile.
 */
import type { ProfileContribution, QuirkDeclaration, Quirks } from "@irqlab/core";

export const MPIC_QUIRK = {
  criticalOutputs: "mpic.critical-outputs-signalled",
  timerDecode: "mpic.timer-reads-architected",
  timerCounting: "mpic.timer-count-loads",
  ipiDestinationReset: "mpic.ipi-destination-reset-none",
  ipiTimerInputs: "mpic.ipi-timer-inputs",
  ilrUnsupported: "mpic.ilr-unsupported-inttgt-int",
  pirHandled: "mpic.pir-write-handled",
  absentCpu: "mpic.absent-cpu-block-all-ones",
  msiMisaligned: "mpic.msi-misaligned-read-handled",
  timerMulticast: "mpic.timer-multicast",
} as const;

const Q = MPIC_QUIRK;

export const MPIC_QUIRKS: readonly QuirkDeclaration[] = [
  {
    id: Q.criticalOutputs,
    controller: "mpic",
    summary: "critical (and v4.2 ILR-critical) outputs drive the vCPU's critical input",
    kvm: "mpic_irq_raise/mpic_irq_lower return for non-INT outputs: the vCPU's critical input never changes (mpic.md §6.4, §12 quirk 9; arch/powerpc/kvm/mpic.c)",
    other: "openpic.c openpic_irq_raise/lower: qemu_irq_raise/lower(dst->irqs[output]) for CINT too; v4.2 ILR-critical sources stay maskable (hw/intc/openpic.c IRQ_local_pipe)",
  },
  {
    id: Q.timerDecode,
    controller: "mpic",
    summary: "timer block reads decode the architected offsets",
    kvm: "openpic_tmr_read decodes the block-relative offset, one register off (0x1100 reads GTBCR0, 0x11F0 GTCCR0); writes are architected (mpic.md §3.2, §12 quirk 1)",
    other: "openpic_tmr_read/openpic_tmr_write both decode addr + 0x10f0 (hw/intc/openpic.c)",
  },
  {
    id: Q.timerCounting,
    controller: "mpic",
    summary: "GTBCR count-inhibit 1->0 loads GTCCR; 0->1 keeps only the toggle bit",
    kvm: "no counting: a GTBCR write stores the value, GTCCR stays 0 (mpic.md §3.2)",
    other: "openpic_tmr_write TBCR: CI 1->0 with a non-zero base loads TCCR from TBCR (and starts the frozen timer), CI 0->1 keeps TCCR's toggle bit (hw/intc/openpic.c)",
  },
  {
    id: Q.ipiDestinationReset,
    controller: "mpic",
    summary: "reset gives IPIs no destination (IDR 0)",
    kvm: "openpic_reset writes IDR = 1 to all 264 sources, IPIs included: an IPI's first dispatch also reaches CPU 0 (mpic.md §6.9, §12 quirk 5)",
    other: "openpic_reset: IPI destinations start empty (QEMU 7.2 hw/intc/openpic.c resets src[IRQ_IPI0..] idr to 0)",
  },
  {
    id: Q.ipiTimerInputs,
    controller: "mpic",
    summary: "inputs 256-263 (IPIs, global timers) exist: the irqchip has 264 pins",
    kvm: "only the 256 SRC sources have inputs: KVM_IRQ_LINE/route pins >= 256 are refused (mpic.md §9; routing-irqfd.md §1)",
    other: "the OpenPIC's GPIO inputs 256-263 drive the IPI and timer sources (hw/intc/openpic.c openpic_set_irq, qdev_init_gpio_in(..., OPENPIC_MAX_IRQ))",
  },
  {
    id: Q.ilrUnsupported,
    controller: "mpic",
    summary: "v4.2 ILR values other than 0-2 mean INT and read back 0",
    kvm: "ILR stores value & 0xFF and reads it back (a non-INT output) (mpic.md §4, §12 quirk 9)",
    other: "inttgt_to_output logs 'unsupported inttgt' and uses INT; output_to_inttgt reads back 0 (hw/intc/openpic.c)",
  },
  {
    id: Q.pirHandled,
    controller: "mpic",
    summary: "PIR writes are handled by the controller",
    kvm: "openpic_gbl_write PIR returns -ENXIO: userspace owns CPU core reset, the access exits (mpic.md §3.1, §10)",
    other: "openpic_gbl_write PIR drives the per-CPU reset outputs (unconnected on e500) (hw/intc/openpic.c)",
  },
  {
    id: Q.absentCpu,
    controller: "mpic",
    summary: "per-CPU blocks of absent CPUs read all ones and ignore writes",
    kvm: "per-CPU blocks 0..31 decode whether or not a vCPU is attached: CTPR reads 15, WHOAMI the number (mpic.md §3.4)",
    other: "openpic_cpu_read_internal/write_internal: idx >= nb_cpus reads 0xFFFFFFFF, writes ignored (hw/intc/openpic.c)",
  },
  {
    id: Q.msiMisaligned,
    controller: "mpic",
    summary: "misaligned MSI-block reads are handled (all ones)",
    kvm: "openpic_msi_read returns -ENXIO for addr & 0xF: the access exits to userspace (mpic.md §3.5, §10)",
    other: "openpic_msi_read returns 0xFFFFFFFF (hw/intc/openpic.c)",
  },
  {
    id: Q.timerMulticast,
    controller: "mpic",
    summary: "an IACK of a global-timer source re-triggers it on the other destination CPUs (as for IPIs)",
    kvm: "openpic_iack multicasts IPIs only: a timer source routed to several CPUs is consumed by the first IACK (mpic.md §6.7, §6.9)",
    other: "openpic_iack: 'Timers and IPIs support multicast': destmask &= ~cpu, re-trigger on the remaining CPUs, A set again (hw/intc/openpic.c)",
  },
];

export const MPIC_PROFILES: ProfileContribution = {
  quirks: MPIC_QUIRKS,
  profiles: [{ name: "qemu-7.2", description: "QEMU 7.2's user-space device models", quirks: MPIC_QUIRKS.map((q) => q.id) }],
};

/** The switches as booleans (read once at creation; nothing is looked up per interrupt). */
export class MpicQuirkSet {
  criticalOutputs = false;
  timerDecode = false;
  timerCounting = false;
  ipiDestinationReset = false;
  ipiTimerInputs = false;
  ilrUnsupported = false;
  pirHandled = false;
  absentCpu = false;
  msiMisaligned = false;
  timerMulticast = false;

  static from(q: Quirks): MpicQuirkSet {
    const s = new MpicQuirkSet();
    for (const k of Object.keys(MPIC_QUIRK) as (keyof typeof MPIC_QUIRK)[]) s[k] = q.has(MPIC_QUIRK[k]);
    return s;
  }
}
