/**
 * Tracing in three layers (DESIGN §2 "Tracing"):
 *  - typed events per package, sent to the injected Tracer; callers guard with
 *    `if (tracer.enabled)` so a disabled tracer costs one boolean check and no allocation;
 *  - counters, kept by each model as plain numeric fields (see `HasCounters`);
 *  - a guest-error channel (QEMU's LOG_GUEST_ERROR), separate from internal errors.
 */
import type { SimClock } from "./clock.js";

export interface TraceEvent {
  /** `<package>.<unit>.<what>`, e.g. `xics.icp.accept`. */
  readonly name: string;
  /** Simulated time (ns) when it happened. */
  readonly time: number;
  readonly data: Readonly<Record<string, unknown>>;
}

export type TraceSink = (event: TraceEvent) => void;

export interface GuestError {
  readonly time: number;
  readonly source: string;
  readonly message: string;
}

export class Tracer {
  /** The one check on hot paths. Turned on by `subscribe` / `record`. */
  enabled = false;
  private sinks: TraceSink[] = [];
  private clock: SimClock | null = null;
  readonly guestErrors: GuestError[] = [];
  /** Guest errors kept in `guestErrors` at most (the count goes on). */
  guestErrorLimit = 1000;
  guestErrorCount = 0;

  attachClock(clock: SimClock): void {
    this.clock = clock;
  }

  subscribe(sink: TraceSink): () => void {
    this.sinks.push(sink);
    this.enabled = true;
    return () => {
      this.sinks = this.sinks.filter((s) => s !== sink);
      this.enabled = this.sinks.length > 0;
    };
  }

  /** Collects events into an array until the returned `stop` is called. */
  record(filter?: (name: string) => boolean): { events: TraceEvent[]; stop: () => void } {
    const events: TraceEvent[] = [];
    const stop = this.subscribe((e) => {
      if (!filter || filter(e.name)) events.push(e);
    });
    return { events, stop };
  }

  emit(name: string, data: Record<string, unknown>): void {
    if (!this.enabled) return;
    const event: TraceEvent = { name, time: this.clock?.now ?? 0, data };
    for (const s of this.sinks) s(event);
  }

  /** Something the guest did wrong (bad register, bad argument): counted, never thrown. */
  guestError(source: string, message: string): void {
    this.guestErrorCount++;
    if (this.guestErrors.length < this.guestErrorLimit) {
      this.guestErrors.push({ time: this.clock?.now ?? 0, source, message });
    }
    this.emit("guest.error", { source, message });
  }
}

/**
 * A package's typed event catalogue: `const emit = traceEvents<XicsEvents>()` then
 * `if (tracer.enabled) emit(tracer, "xics.icp.accept", { server, irq })`.
 */
export function traceEvents<C extends Record<string, Record<string, unknown>>>() {
  return <K extends keyof C & string>(tracer: Tracer, name: K, data: C[K]): void =>
    tracer.emit(name, data);
}

/** Models that count what they do (delivered, coalesced, rejected, resampled, EOIs ...). */
export interface HasCounters {
  counters(): Record<string, number>;
}

/** Controllers describe their state in words, like QEMU's `info pic`. */
export interface HasDumpState {
  dumpState(): string;
}
