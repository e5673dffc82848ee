/**
 * Where this model (KVM's arch/powerpc/kvm/mpic.c, the reference) and QEMU 7.2's user-space
 * OpenPIC answer differently, keyed to the oracle traces in shared/oracle/qemu/traces
 * (mpic20_*.jsonl, mpic42_*.jsonl). A replayer drives the model from a trace and must accept
 * a mismatch exactly where an entry matches; every other read value and pin change agrees.
 *
 * Replay set-up the table assumes (`setUpMpicForQemuReplay`): create the MPIC of the board's
 * model (ppce500 -> v4.2 at 0xFE0040000, mpc8544ds -> v2.0 at 0xE0040000), set BASE_ADDR,
 * connect vCPU k at MPIC CPU k, then — as QEMU's kvm_openpic_reset does at machine reset —
 * write GCR = 0x80000000 (setup "reset"). A replayer that skips that reset (setup
 * "creation") sees the creation-time state instead; entries say which set-up they apply to.
 * Trace inputs: `readl`/`writel` -> 4-byte MMIO at the address, `set_irq_in ... N L` ->
 * the chip input N (0..263) at level L; outputs: pin 4 = vcpu.ext, pin 3 = vcpu.crit.
 */
import { createVm, KVM_CAP_IRQ_MPIC, type DeviceHandle, type Vm } from "@irqlab/core";
import { setMpicBaseAddr, writeMpicRegister } from "./attributes.js";
import { GCR_RESET, REG_GCR } from "./constants.js";
import { MpicDevice } from "./device.js";
import { MPC8544DS_MPIC_BASE, PPCE500_MPIC_BASE } from "./guest-driver.js";

/** What differs at a matched record. */
export type DivergenceField =
  /** the `value` of a read */
  | "value"
  /** the `irq` list of pin changes of the intercepted CPU */
  | "irq"
  /** KVM leaves the access unhandled (exitStats.mmioUnhandled); the value may coincide */
  | "handled";

export type ReplaySetup = "reset" | "creation";

export interface QemuDivergence {
  /** Stable identifier. */
  readonly id: string;
  /** Where the spec describes KVM's side (shared/spec/mpic.md sections, quirks, checklist). */
  readonly spec: string;
  readonly description: string;
  readonly match: {
    /** Replay set-ups the entry applies to. */
    readonly setups: readonly ReplaySetup[];
    /**
     * Trace scenario (file name without .jsonl) -> `seq` numbers of the records where the
     * difference shows. A listed record may also happen to match (noted in the description).
     */
    readonly records: Readonly<Record<string, readonly number[]>>;
    readonly fields: readonly DivergenceField[];
    /** Trace operations concerned: "read" (readl), "write" (writel), "set_irq" (set_irq_in). */
    readonly ops: readonly ("read" | "write" | "set_irq")[];
    /** Register offsets from the MPIC base the difference is about, as [first, last]. */
    readonly offsets?: ReadonlyArray<readonly [number, number]>;
  };
}

const both = (seqs: readonly number[], kind: string) => ({
  [`mpic20_${kind}`]: seqs,
  [`mpic42_${kind}`]: seqs,
});

export const QEMU_DIVERGENCES: ReadonlyArray<QemuDivergence> = Object.freeze([
  {
    id: "timer-read-decoding",
    spec: "mpic.md §3.2, §12 quirk 1, checklist 28/35",
    description:
      "Timer block reads decode the block-relative offset, one register off the architected layout: " +
      "0x1100 reads GTBCR0, 0x1110 GTVPR0, 0x1120 GTDR0, 0x1130 GTCCR1 ... 0x11F0 GTCCR0 (openpic_tmr_read); " +
      "writes use the architected offsets (openpic_tmr_write adds 0x10F0 back). QEMU 7.2 decodes both at the " +
      "architected offsets.",
    match: {
      setups: ["reset", "creation"],
      records: {
        ...both([39, 41, 42, 43, 45, 46], "regs"),
        ...both([6, 7, 9, 10, 12, 16, 18, 20, 22, 26, 31, 33], "timers"),
      },
      fields: ["value"],
      ops: ["read"],
      offsets: [[0x10f0, 0x130f]],
    },
  },
  {
    id: "timer-counting",
    spec: "mpic.md §3.2 (timer behaviour), §2 (timers never fire), checklist 35",
    description:
      "KVM does not count: a GTBCR write only stores the value (and clears the toggle bit on a count-inhibit " +
      "1->0 transition, which cannot happen since the toggle bit is never set); GTCCR stays 0 and sources " +
      "260-263 never fire by themselves. QEMU loads GTCCR from GTBCR when count-inhibit goes 1->0, keeps only " +
      "the toggle bit when it goes 0->1 and refuses a zero base count. In the traces every architected GTCCR0 " +
      "read (0x1100) also hits the read-decoding difference (KVM returns GTBCR0 there), so the two differences " +
      "show together at records 16, 18 and 20, where QEMU's counted GTCCR0 differs from KVM's GTBCR0. Records " +
      "13 and 14 are not listed: there QEMU's loaded count equals KVM's GTBCR0 (1000) and the values agree.",
    match: {
      setups: ["reset", "creation"],
      records: both([16, 18, 20], "timers"),
      fields: ["value"],
      ops: ["read"],
      offsets: [[0x1100, 0x11ff]],
    },
  },
  {
    id: "critical-outputs-not-delivered",
    spec: "mpic.md §6.4, §8, §12 quirk 9, checklist 36",
    description:
      "Sources on the critical output (v2.0 IDR CI bits, v4.2 ILR = 1) or machine check (ILR = 2) are counted " +
      "per CPU but never signalled: mpic_irq_raise/mpic_irq_lower return for non-INT outputs, so the vCPU's " +
      "critical input (QEMU pin 3) never changes. QEMU raises and lowers CINT (and on v4.2 keeps ILR-critical " +
      "sources maskable, so its CINT also follows IVPR[MASK]).",
    match: {
      setups: ["reset", "creation"],
      records: { mpic20_critical: [5, 11, 47, 50], mpic42_critical: [19, 22, 23, 24, 29, 47, 50] },
      fields: ["irq"],
      ops: ["set_irq", "write"],
    },
  },
  {
    id: "ilr-unsupported-inttgt",
    spec: "mpic.md §4 (ILR), §6.10, §12 quirk 9, checklist 34",
    description:
      "v4.2 ILR values other than 0-2: KVM stores value & 0xFF and reads it back unchanged (the source then " +
      "counts as a non-INT output); QEMU logs 'unsupported inttgt', uses INT and reads ILR back as 0.",
    match: {
      setups: ["reset", "creation"],
      records: { mpic42_critical: [39] },
      fields: ["value"],
      ops: ["read"],
      offsets: [[0x10018, 0x11ff8]],
    },
  },
  {
    id: "msi-misaligned-read",
    spec: "mpic.md §3.5, §7.2, §10, checklist 25",
    description:
      "A read in the MSI block that is not 16-byte aligned (0x1604) fails in KVM: openpic_msi_read returns " +
      "-ENXIO, so GET(GRP_REGISTER) answers ENXIO and guest MMIO is not handled (an exit to userspace; irqlab " +
      "counts it in exitStats.mmioUnhandled and the load floats to all ones). QEMU returns 0xFFFFFFFF as a " +
      "handled read, so the traced value agrees and only the handling differs.",
    match: {
      setups: ["reset", "creation"],
      records: both([93], "ipi_msi"),
      fields: ["handled"],
      ops: ["read"],
      offsets: [[0x1600, 0x17ff]],
    },
  },
  {
    id: "percpu-block-without-cpu",
    spec: "mpic.md §3.4, checklist 33",
    description:
      "KVM decodes per-CPU blocks 0..31 from address bits 12-16 whether or not a vCPU is attached there: " +
      "CTPR reads 15 after reset and WHOAMI reads the CPU number. QEMU reads blocks of absent CPUs as 0xFFFFFFFF.",
    match: {
      setups: ["reset", "creation"],
      records: { ...both([32, 33], "regs"), ...both([4], "smp_cpu0"), ...both([4], "smp_cpu1") },
      fields: ["value"],
      ops: ["read"],
      offsets: [[0x20000, 0x3f0ff]],
    },
  },
  {
    id: "pir-write-to-userspace",
    spec: "mpic.md §3.1 (PIR), §7.2, §10, checklist 8",
    description:
      "A PIR (0x1090) write is not handled by KVM: openpic_gbl_write returns -ENXIO so that userspace, which " +
      "owns CPU core reset, sees the access (SET(GRP_REGISTER, 0x1090) fails with ENXIO; guest MMIO exits; " +
      "irqlab counts it in exitStats.mmioUnhandled). QEMU handles it (PIR bits drive the per-CPU reset " +
      "outputs, unconnected on e500). Reads agree (0).",
    match: {
      setups: ["reset", "creation"],
      records: { ...both([87, 89], "smp_cpu0"), ...both([87, 89], "smp_cpu1") },
      fields: ["handled"],
      ops: ["write"],
      offsets: [[0x1090, 0x1093]],
    },
  },
  {
    id: "ipi-destination-after-reset",
    spec: "mpic.md §6.9, §6.12, §12 quirk 5, checklist 26",
    description:
      "KVM's reset writes IDR = 1 to all 264 sources including the IPIs, so after a reset with vCPUs attached " +
      "every IPI's destination mask already holds CPU 0 and its first dispatch also reaches CPU 0 (until CPU 0 " +
      "acknowledges it). QEMU 7.2 resets IPI destinations to none. In 'ipi-to-cpu1-only' IPI 1 therefore also " +
      "raises CPU 0 and CPU 0's IACK returns 0x71 instead of the spurious vector; the scenario never EOIs it on " +
      "CPU 0, so the priority-8 IPI stays in service there and hides the later priority-5 and -4 deliveries to " +
      "CPU 0 (records 37-66 of smp_cpu0).",
    match: {
      setups: ["reset"],
      records: { ...both([25, 26, 37, 40, 58, 60, 64, 66], "smp_cpu0"), ...both([26], "smp_cpu1") },
      fields: ["value", "irq"],
      ops: ["read", "write", "set_irq"],
    },
  },
  {
    id: "idr-after-creation",
    spec: "mpic.md §6.12, §11, §12 quirks 4-5, checklist 6/32",
    description:
      "mpic_create runs the reset while no vCPU is attached (nb_cpus = 0), so every IDR is stored as 0 " +
      "(and FRR read before any attach has bits 8-31 set); only a GCR reset after the vCPUs are connected " +
      "gives IDR = 1. QEMU's user-space MPIC resets with its CPUs known (IDR reads 1). Visible only when the " +
      "replay skips the post-connect reset.",
    match: {
      setups: ["creation"],
      records: both([13, 18, 21, 23], "regs"),
      fields: ["value"],
      ops: ["read"],
      offsets: [[0x10010, 0x11ff0]],
    },
  },
] satisfies QemuDivergence[]);

/** The divergence that explains a difference in `field` at trace record (scenario, seq), if any. */
export function findQemuDivergence(
  scenario: string,
  seq: number,
  field: DivergenceField,
  setup: ReplaySetup = "reset",
): QemuDivergence | undefined {
  return QEMU_DIVERGENCES.find(
    (d) => d.match.setups.includes(setup) && d.match.fields.includes(field) && (d.match.records[scenario] ?? []).includes(seq),
  );
}

/** The QEMU boards of the oracle traces. */
export const QEMU_MPIC_BOARDS = {
  ppce500: { type: 2, base: PPCE500_MPIC_BASE },
  mpc8544ds: { type: 1, base: MPC8544DS_MPIC_BASE },
} as const;

export interface ReplayMpic {
  readonly vm: Vm;
  readonly handle: DeviceHandle;
  readonly device: MpicDevice;
  readonly type: number;
  readonly base: number;
}

/**
 * A VM set up the way the divergence table assumes for a trace's `meta.machine` and `-smp`:
 * MPIC created, BASE_ADDR set, vCPU k connected at MPIC CPU k, then GCR reset unless
 * `setup` is "creation". `modules` must include this package's module.
 */
export function setUpMpicForQemuReplay(
  machine: keyof typeof QEMU_MPIC_BOARDS,
  vcpus: number,
  modules: Parameters<typeof createVm>[0]["modules"],
  setup: ReplaySetup = "reset",
): ReplayMpic {
  const board = QEMU_MPIC_BOARDS[machine];
  const vm = createVm({ arch: "ppc-booke", vcpus, modules });
  const handle = vm.createDevice(board.type);
  setMpicBaseAddr(handle, board.base);
  for (const v of vm.vcpus) v.enableCap(KVM_CAP_IRQ_MPIC, [handle, v.id]);
  if (setup === "reset") writeMpicRegister(handle, REG_GCR, GCR_RESET);
  return { vm, handle, device: handle.backend<MpicDevice>(), type: board.type, base: board.base };
}
