/**
 * One JSON line per sweep cell: what a chart or a later merge needs, deterministic (no
 * wall-clock figures), keys in a fixed order.
 */
import { expectedEvents } from "../sim/budget.js";
import type { ControllerResult } from "../sim/results.js";
import type { LatencySummary } from "../sim/metrics.js";
import type { AxisValue, Cell } from "./grid.js";

export interface CellRecord {
  readonly cell: string;
  readonly index: number;
  readonly controller: string;
  readonly params: Readonly<Record<string, AxisValue>>;
  readonly status: "ok" | "failed";
  readonly error?: string;
  /** Offered load: expected events per simulated second of arrivals. */
  readonly offeredPerSecond: number;
  readonly vcpus: number;
  readonly raised: number;
  readonly handled: number;
  readonly lost: number;
  readonly coalesced: number;
  /** Guest exits per handled interrupt (null when nothing was handled). */
  readonly exitsPerInterrupt: number | null;
  readonly latencyNs: LatencySummary;
  readonly quiescent: boolean;
}

export function cellRecord(cell: Cell, r: ControllerResult): CellRecord {
  return {
    cell: cell.id,
    index: cell.index,
    controller: cell.controller,
    params: cell.params,
    status: r.status,
    ...(r.error !== undefined ? { error: r.error } : {}),
    offeredPerSecond: Math.round(expectedEvents(cell.workload) / (cell.workload.durationNs / 1e9)),
    vcpus: cell.workload.vcpus,
    raised: r.counts.raised,
    handled: r.handled,
    lost: r.counts.lost,
    coalesced: r.counts.coalesced,
    exitsPerInterrupt: r.perInterrupt.exits,
    latencyNs: r.latencyNs,
    quiescent: r.quiescent,
  };
}

/** Parses the lines of a sweep output file; lines that are not whole records are skipped. */
export function readRecords(text: string): CellRecord[] {
  const out: CellRecord[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const r = JSON.parse(line) as CellRecord;
      if (r && typeof r.cell === "string" && typeof r.index === "number" && (r.status === "ok" || r.status === "failed")) out.push(r);
    } catch {
      // A line cut short by an interrupted run: the cell runs again.
    }
  }
  return out;
}
