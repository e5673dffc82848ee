/**
 * Where KVM's in-kernel XICS (arch/powerpc/kvm/book3s_xics.c, the reference) and QEMU 7.2's
 * user-space XICS (hw/intc/xics.c, hw/intc/xics_spapr.c) differ, as quirks: switches the
 * model reads at creation (core's profile contract). Off = KVM. The "qemu-7.2" profile
 * turns all of them on; qemu-rules.ts holds QEMU's algorithms the switches select.
 */
import type { ProfileContribution, QuirkDeclaration, Quirks } from "@irqlab/core";

export const XICS_QUIRK = {
  icsRange: "xics.ics-covers-0x1000-0x1fff",
  setXivePriorityChecked: "xics.set-xive-priority-checked",
  eoiWithoutSource: "xics.eoi-without-source-succeeds",
  acceptEmptySetsCppr: "xics.empty-xirr-sets-cppr",
  msiNoCoalescing: "xics.msi-no-coalescing",
  qemuResend: "xics.resend-on-relax-all-sources",
  eoiSetsCpprOnly: "xics.eoi-sets-cppr-only",
  ipiYieldsAtEqualPriority: "xics.ipi-yields-at-equal-priority",
  hcallArgsU8: "xics.hcall-args-u8",
  lsiAssertedSent: "xics.lsi-asserted-sent",
} as const;

const Q = XICS_QUIRK;

export const XICS_QUIRKS: readonly QuirkDeclaration[] = [
  {
    id: Q.icsRange,
    controller: "xics",
    summary: "every number in 0x1000-0x1FFF is a source (no 1024-source blocks to allocate)",
    kvm: "sources live in blocks that exist once userspace wrote a source of the block; RTAS on a number of a missing block answers -3 (xics.md §1, §7.2; book3s_xics.c kvmppc_xics_find_ics)",
    other: "pseries' ICS covers XICS_IRQ_BASE 0x1000 .. +nr_irqs 0x1000: ics_valid_irq accepts any number in range, unclaimed ones read server 0 priority 0xFF (hw/intc/xics_spapr.c rtas_*_xive)",
  },
  {
    id: Q.setXivePriorityChecked,
    controller: "xics",
    summary: "ibm,set-xive refuses a priority above 0xFF",
    kvm: "kvmppc_xics_set_xive stores the priority in a u8 unchecked: 0x100 succeeds as priority 0 (xics.md §2.1, §7.2)",
    other: "rtas_set_xive: priority > 0xff answers RTAS_OUT_PARAM_ERROR (-3), source unchanged (hw/intc/xics_spapr.c)",
  },
  {
    id: Q.eoiWithoutSource,
    controller: "xics",
    summary: "H_EOI of a number that is no source (XISR 0, outside the ICS) succeeds",
    kvm: "ics_eoi finds no ICS block: H_EOI returns H_PARAMETER after applying the CPPR (xics.md §6.5; book3s_xics.c kvmppc_h_eoi)",
    other: "icp_eoi: ics_get finds no ICS, nothing happens, H_SUCCESS (hw/intc/xics.c)",
  },
  {
    id: Q.acceptEmptySetsCppr,
    controller: "xics",
    summary: "H_XIRR with nothing pending sets CPPR to the pending priority (0xFF)",
    kvm: "kvmppc_h_xirr with XISR 0 leaves the state unchanged (xics.md §6.2)",
    other: "icp_accept always does xirr = pending_priority << 24; pending_priority = 0xff (hw/intc/xics.c)",
  },
  {
    id: Q.msiNoCoalescing,
    controller: "xics",
    summary: "an MSI that fires again while presented is sent again (no P/Q coalescing)",
    kvm: "MSIs have P/Q state: a trigger while P is set only sets Q, re-presented once at EOI (xics.md §5; book3s_xics.c ics_deliver_irq)",
    other: "set_irq_msi calls icp_irq on every trigger; a second one is rejected and resent later (hw/intc/xics.c)",
  },
  {
    id: Q.qemuResend,
    controller: "xics",
    summary: "rejected sources are resent to their server whenever an ICP relaxes CPPR or EOIs with XISR empty",
    kvm: "a refused source sets the ICP's need_resend and its block's resend bit; only that ICP rescans, when MFRR/CPPR become less favoured with need_resend set; unmasking resends rejected sources too (xics.md §4.3, §4.4)",
    other: "ics_reject marks REJECTED; icp_resend (H_CPPR not more favoured with XISR empty, icp_eoi with XISR empty) checks the IPI and resends every REJECTED MSI of the ICS to its own server; H_IPI never resends; write_xive resends only MASKED_PENDING; a masked rejected MSI is dropped (hw/intc/xics.c resend_msi, icp_set_cppr, icp_eoi, write_xive_msi)",
  },
  {
    id: Q.eoiSetsCpprOnly,
    controller: "xics",
    summary: "H_EOI only stores the CPPR (no IPI check, no withdrawal)",
    kvm: "H_EOI runs icp_down_cppr: the IPI is presented if MFRR is more favoured than the new CPPR and not less than what is pending (xics.md §6.5, §4.4)",
    other: "icp_eoi: xirr = (xirr & ~CPPR_MASK) | (eoi & CPPR_MASK), the IPI is only checked by the resend when XISR is empty (hw/intc/xics.c)",
  },
  {
    id: Q.ipiYieldsAtEqualPriority,
    controller: "xics",
    summary: "an IPI at the priority of the pending interrupt does not replace it",
    kvm: "icp_set_mfrr/icp_down_cppr present the IPI when mfrr <= pending_pri, rejecting the pending source (xics.md §6.6)",
    other: "icp_check_ipi returns when XISR is set and pending_priority <= mfrr (hw/intc/xics.c)",
  },
  {
    id: Q.hcallArgsU8,
    controller: "xics",
    summary: "H_CPPR and H_IPI take the low byte of the register",
    kvm: "kvmppc_h_cppr/kvmppc_h_ipi compare the full unsigned register (0x100 is less favoured than any u8) and store its low byte (xics.md §6.4, §6.6)",
    other: "h_cppr/h_ipi pass the register to icp_set_cppr(uint8_t)/icp_set_mfrr(uint8_t): truncated first (hw/intc/xics_spapr.c)",
  },
  {
    id: Q.lsiAssertedSent,
    controller: "xics",
    summary: "LSIs follow QEMU's ASSERTED/SENT state: presented once per assertion until EOI or reject, resent by every ICS resend",
    kvm: "LSIs use P/Q: a presented LSI is P until EOI, the EOI re-presents it while the line is asserted; a masked assertion is remembered (xics.md §5, §6.5)",
    other: "set_irq_lsi/resend_lsi: present when priority != 0xff, ASSERTED and not SENT; ics_eoi and ics_reject clear SENT (an LSI is never REJECTED); write_xive and every ics_resend re-run resend_lsi (hw/intc/xics.c)",
  },
];

export const XICS_PROFILES: ProfileContribution = {
  quirks: XICS_QUIRKS,
  profiles: [{ name: "qemu-7.2", description: "QEMU 7.2's user-space device models", quirks: XICS_QUIRKS.map((q) => q.id) }],
};

/** The switches as booleans (read once at creation). */
export class XicsQuirkSet {
  icsRange = false;
  setXivePriorityChecked = false;
  eoiWithoutSource = false;
  acceptEmptySetsCppr = false;
  msiNoCoalescing = false;
  qemuResend = false;
  eoiSetsCpprOnly = false;
  ipiYieldsAtEqualPriority = false;
  hcallArgsU8 = false;
  lsiAssertedSent = false;

  static from(q: Quirks): XicsQuirkSet {
    const s = new XicsQuirkSet();
    for (const k of Object.keys(XICS_QUIRK) as (keyof typeof XICS_QUIRK)[]) s[k] = q.has(XICS_QUIRK[k]);
    return s;
  }
}
