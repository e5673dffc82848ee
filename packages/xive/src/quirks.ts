/**
 * Where KVM's native XIVE device (arch/powerpc/kvm/book3s_xive_native.c, the reference) and
 * QEMU 7.2's emulated sPAPR XIVE (hw/intc/xive.c, hw/intc/spapr_xive.c) differ, as quirks:
 * switches the model reads at creation (core's profile contract). Off = KVM; the "qemu-7.2"
 * profile turns them on.
 */
import type { ProfileContribution, QuirkDeclaration, Quirks } from "@irqlab/core";

export const XIVE_QUIRK = {
  osRingReset: "xive.os-ring-reset-ff",
  esbEveryLisn: "xive.esb-pages-for-every-lisn",
  hcallsNeedCas: "xive.hcalls-need-cas",
} as const;

export const XIVE_QUIRKS: readonly QuirkDeclaration[] = [
  {
    id: XIVE_QUIRK.osRingReset,
    controller: "xive",
    summary: "a vCPU's OS ring starts with LSMFB, AGE and PIPR 0xFF",
    kvm: "kvmppc_xive_native_connect_vcpu: the context is 00 00 00 00 FF 00 00 00 (only ACK# 0xFF) (xive.md; book3s_xive_native.c)",
    other: "xive_tctx_reset: LSMFB, ACK#, AGE = 0xFF and PIPR = 0xFF (hw/intc/xive.c)",
  },
  {
    id: XIVE_QUIRK.esbEveryLisn,
    controller: "xive",
    summary: "every LISN below 0x2000 has ESB pages (unclaimed ones: PQ 01, triggers go nowhere)",
    kvm: "xive_native_esb_fault: a LISN without a source created by KVM_DEV_XIVE_GRP_SOURCE faults (SIGBUS) (xive.md; book3s_xive_native.c)",
    other: "the sPAPR XIVE source spans nr_irqs LISNs, all reset to PQ 01; an unclaimed LISN only has an invalid EAS (hw/intc/xive.c xive_source_reset, hw/intc/spapr_xive.c)",
  },
  {
    id: XIVE_QUIRK.hcallsNeedCas,
    controller: "xive",
    summary: "H_INT_* hypercalls answer H_FUNCTION (the replayed guest never negotiated XIVE through CAS)",
    kvm: "the model answers H_INT_* as QEMU does once exploitation mode is negotiated (xive.md; book3s_xive_native.c leaves H_INT_* to userspace)",
    other: "h_int_*: !spapr_ovec_test(spapr->ov5_cas, OV5_XIVE_EXPLOIT) answers H_FUNCTION (hw/intc/spapr_xive.c)",
  },
];

export const XIVE_PROFILES: ProfileContribution = {
  quirks: XIVE_QUIRKS,
  profiles: [{ name: "qemu-7.2", description: "QEMU 7.2's user-space device models", quirks: XIVE_QUIRKS.map((q) => q.id) }],
};

/** LISNs of QEMU's pseries XIVE source (SPAPR_XIRQ_BASE 0x1000 + 0x1000 device interrupts). */
export const SPAPR_XIVE_NR_IRQS = 0x2000;

/** The switches as booleans (read once at creation). */
export class XiveQuirkSet {
  osRingReset = false;
  esbEveryLisn = false;
  hcallsNeedCas = false;

  static from(q: Quirks): XiveQuirkSet {
    const s = new XiveQuirkSet();
    for (const k of Object.keys(XIVE_QUIRK) as (keyof typeof XIVE_QUIRK)[]) s[k] = q.has(XIVE_QUIRK[k]);
    return s;
  }
}
