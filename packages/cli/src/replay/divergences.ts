/**
 * Where KVM (irqlab's reference) and QEMU 7.2's own device models genuinely differ. A
 * replayed step whose mismatches are all explained by rows of this table is reported as an
 * expected divergence, not as agreement; any other mismatch is a real disagreement.
 *
 * Two sources of rows:
 *  - a controller package may export its own table as `QEMU_DIVERGENCES` (the MPIC package
 *    does: entries keyed by trace scenario and record seq, field and register range);
 *    `importedRows` turns those into rows, so they are not duplicated here;
 *  - the rows below, for what the packages do not export: every row cites the spec section
 *    that specifies KVM's behaviour (shared/spec/*.md), and its matcher is as narrow as the
 *    documented difference (the call and argument, the source block, the exact records where
 *    a state difference it caused is read back).
 */
import type { StepRecord } from "./trace.js";
import type { DivergenceRow, MatchContext } from "./types.js";

const CLI = "@irqlab/cli";

/** The records (scenario -> seq numbers) where a row's consequences show. */
function atRecords(c: MatchContext, records: Readonly<Record<string, readonly number[]>>): boolean {
  return (records[c.meta.scenario] ?? []).includes(c.rec.seq);
}

function setIrqIn(rec: StepRecord): number | null {
  if (rec.type !== "qtest") return null;
  const m = /^set_irq_in\s+\S*\/pic\s+\S+\s+(\S+)\s+\S+/.exec(rec.cmd.trim());
  return m ? Number(m[1]) : null;
}

export const DIVERGENCES: readonly DivergenceRow[] = [
  {
    id: "mpic-no-input-for-ipi-timer-sources",
    controller: "mpic",
    spec: "mpic.md §9 (IRQCHIP routes: pin < 256), §7.3 (IRQ_ACTIVE attr <= 256), §2 and Known differences (timers never fire); routing-irqfd.md §1 (e500: 256 pins)",
    kvm: "Only the 256 SRC sources have inputs: KVM_IRQ_LINE of GSI 256-263 (what QEMU's kvm_openpic_set_irq sends for its IPI and timer inputs) finds no route, so an IPI or timer source cannot be raised from outside; its IACK then returns the spurious vector.",
    qemu: "The OpenPIC's GPIO inputs 256-263 drive the IPI and global-timer sources directly (set_irq_in ... 0x104 raises timer 0).",
    source: CLI,
    matches: (c) => {
      if (!c.controller.startsWith("mpic")) return false;
      const n = setIrqIn(c.rec);
      if (n !== null) return n >= 256 && c.check.field === "irq";
      // The IACK that would have acknowledged the timer interrupt raised that way.
      return atRecords(c, { mpic20_timers: [27], mpic42_timers: [27] }) && (c.check.field === "value" || c.check.field === "irq");
    },
  },
  {
    id: "xics-source-block-not-allocated",
    controller: "xics",
    spec: "xics.md §1 (blocks allocated only by KVM_DEV_XICS_GRP_SOURCES), §7.2; checklist 5, 28",
    kvm: "Sources live in 1024-entry blocks that exist only once userspace has written a source of the block (QEMU writes only its claimed sources, all in block 4 = 0x1000-0x13FF); an RTAS call on a number in another block fails with -3 and writes no other return word.",
    qemu: "Its ICS covers 0x1000-0x1FFF: RTAS calls on any number in that range succeed, claimed or not.",
    source: CLI,
    matches: (c) => {
      if (c.controller !== "xics" || c.rec.type !== "rtas" || !c.check.field.startsWith("rets[")) return false;
      const irq = c.rec.args[0];
      if (typeof irq !== "number" || irq < 0x1000 || irq > 0x1fff || irq >> 10 === 4) return false;
      return c.check.field !== "rets[0]" || (c.check.expected === 0 && c.check.got === -3);
    },
  },
  {
    id: "xics-set-xive-priority-unchecked",
    controller: "xics",
    spec: "xics.md §2.1 (priority is a u8), §7.2 (set-xive fails only for a missing block or a server without ICP)",
    kvm: "ibm,set-xive does not range-check the priority: kvmppc_xics_set_xive stores it in the u8 priority fields, so 0x100 succeeds and becomes priority 0.",
    qemu: "Refuses a priority above 0xFF with -3 and leaves the source unchanged.",
    source: CLI,
    matches: (c) => {
      if (c.controller !== "xics") return false;
      if (c.rec.type === "rtas" && c.rec.name === "ibm,set-xive" && (c.rec.args[2] ?? 0) > 0xff) {
        return c.check.field === "rets[0]" && c.check.expected === -3 && c.check.got === 0;
      }
      // The truncated priority read back later (info pic) until the source is rewritten.
      return atRecords(c, { xics_rtas: [27, 29] }) && c.check.field === "ics[0x1000].priority";
    },
  },
  {
    id: "xics-eoi-source-0",
    controller: "xics",
    spec: "xics.md §6.5 (corner case irq 0); checklist 17, 40",
    kvm: "H_EOI whose XISR field is 0 goes to ics_eoi(0): ICS block 0 does not exist, so H_EOI returns H_PARAMETER (-4) after applying the CPPR.",
    qemu: "H_EOI with XISR 0 finds no source and returns H_SUCCESS.",
    source: CLI,
    matches: (c) =>
      c.controller === "xics" &&
      c.rec.type === "guest" &&
      c.rec.opcode === 0x64 &&
      ((c.rec.args?.[0] ?? 0) & 0xffffff) === 0 &&
      c.check.field === "ret" &&
      c.check.expected === 0 &&
      c.check.got === -4,
  },
];

/** The rows that apply to a controller ("mpic" rows apply to both MPIC models). */
export function rowsFor(controller: string, rows: readonly DivergenceRow[] = DIVERGENCES): DivergenceRow[] {
  return rows.filter((r) => r.controller === controller || (r.controller === "mpic" && controller.startsWith("mpic")));
}

// ---- rows exported by controller packages --------------------------------------------

/** The MPIC package's entry shape (its `QemuDivergence`), as far as the replayer uses it. */
interface RecordKeyedDivergence {
  readonly id: string;
  readonly spec: string;
  readonly description: string;
  readonly match: {
    readonly setups: readonly string[];
    readonly records: Readonly<Record<string, readonly number[]>>;
    readonly fields: readonly string[];
    readonly ops: readonly string[];
    readonly offsets?: ReadonlyArray<readonly [number, number]>;
  };
}

function isRecordKeyed(x: unknown): x is RecordKeyedDivergence {
  const d = x as RecordKeyedDivergence;
  return (
    typeof d === "object" &&
    d !== null &&
    typeof d.id === "string" &&
    typeof d.spec === "string" &&
    typeof d.description === "string" &&
    typeof d.match === "object" &&
    d.match !== null &&
    Array.isArray(d.match.setups) &&
    typeof d.match.records === "object" &&
    Array.isArray(d.match.fields) &&
    Array.isArray(d.match.ops)
  );
}

/** Which of the entry's fields a replay check is ("handled": the MPIC left the access unhandled). */
function fieldOf(check: string): string | null {
  return check === "value" || check === "irq" || check === "handled" ? check : null;
}

function opOf(c: MatchContext): string | null {
  if (c.access) return c.access;
  return setIrqIn(c.rec) !== null ? "set_irq" : null;
}

/**
 * Rows from a package's QEMU_DIVERGENCES. Entries keyed by (scenario, seq, field, op,
 * register range) are accepted for the replay set-up this replayer uses (QEMU's: a GCR
 * reset after the vCPUs are attached, "reset"); rows already in DivergenceRow shape pass
 * through. `controller` is the controller family the package models.
 */
export function importedRows(exported: unknown, controller: string, pkg: string): { rows: DivergenceRow[]; skipped: number } {
  const rows: DivergenceRow[] = [];
  let skipped = 0;
  if (!Array.isArray(exported)) return { rows, skipped };
  for (const e of exported) {
    if (isRecordKeyed(e)) {
      if (!e.match.setups.includes("reset")) continue;
      const m = e.match;
      rows.push({
        id: e.id,
        controller,
        spec: e.spec,
        kvm: e.description,
        qemu: "",
        source: `${pkg} QEMU_DIVERGENCES`,
        matches: (c) => {
          const field = fieldOf(c.check.field);
          const op = opOf(c);
          if (!field || !m.fields.includes(field) || !op || !m.ops.includes(op)) return false;
          if (!atRecords(c, m.records)) return false;
          if (m.offsets && c.offset !== null) return m.offsets.some(([lo, hi]) => c.offset! >= lo && c.offset! <= hi);
          return true;
        },
      });
    } else skipped++;
  }
  return { rows, skipped };
}
