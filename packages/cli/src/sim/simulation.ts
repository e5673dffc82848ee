/**
 * One workload on one controller's VM, event by event in simulated time (see runner.ts for
 * the model of time). The runner's events (arrivals, IPI sends, service entries, ends of
 * service) live in its own typed-array queue (event-queue.ts), ordered by (time, sequence)
 * as SimClock orders timers; the loop merges it with the VM's clock, which is moved to each
 * event's time and fires the controllers' own timers (at an equal time, those run first).
 * Service entries, always due at the current time, wait in a FIFO instead. The per-event
 * path allocates nothing: typed arrays per source, stream and vCPU, the handler callbacks
 * made once, exit counters read into numbers.
 */
import {
  IPI_SOURCE,
  KVM_IRQ_ROUTING_IRQCHIP,
  KvmError,
  Errno,
  type GuestDriver,
  type GuestDriverContribution,
  type RouteSpec,
  type RoutingEntry,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import type { EventFdLike, GsiRoutingLike } from "../plugins.js";
import type { WorkloadPlan } from "../workload/plan.js";
import { range } from "../workload/validate.js";
import type { IpiSpec, Workload } from "../workload/types.js";
import type { CostModel, ExitCounts } from "./cost-model.js";
import { GSI_BASE, routeEntry, routeTypeName } from "./gsi-routes.js";
import { EventQueue } from "./event-queue.js";
import { CLASSES, ClassCounters, LatencyHistogram, countsJson, type InterruptClass } from "./metrics.js";
import { exponential, mulberry32, pick, type Rng } from "./prng.js";
import type { RunEnv, RunOptions } from "./runner.js";
import { reason, type ClassResult, type ControllerResult, type ExitTotals } from "./results.js";

function emptyClasses(): Record<InterruptClass, ClassCounters> {
  return { msi: new ClassCounters(), intx: new ClassCounters(), ipi: new ClassCounters() };
}

function aTrigger(trigger: "edge" | "level"): string {
  return trigger === "edge" ? "an edge" : "a level";
}

// Event codes: kind in the low 2 bits, argument (stream or vCPU) above.
const EV_ARRIVAL = 0;
const EV_END_BUSY = 1;
const EV_IPI = 2;
const EV_KIND_MASK = 3;
const EV_ARG_SHIFT = 2;

/** The run stopped before its end (the wall-clock budget); the message says why. */
export class RunStopped extends Error {}

/**
 * Where a plugin threw during the run: the message names the call and the simulated time,
 * so a failed column says what went wrong.
 */
function during(what: string, now: number, e: unknown): Error {
  return new Error(`${what} threw at simulated ${now} ns: ${reason(e)}`, { cause: e });
}

export class Simulation {
  private readonly w: Workload;
  private readonly plan: WorkloadPlan;
  private readonly cost: CostModel;
  private readonly routing: GsiRoutingLike;
  private readonly classes = emptyClasses();
  private readonly notes: string[] = [];
  private readonly unsupported: Partial<Record<InterruptClass, string>> = {};
  private readonly failedSources: Record<InterruptClass, number> = { msi: 0, intx: 0, ipi: 0 };

  // Per source.
  private readonly srcOk: boolean[];
  private readonly srcEfd: (EventFdLike | null)[];
  private readonly srcRfd: (EventFdLike | null)[];
  private readonly srcHeld: Uint8Array;
  /** Level semantics (resample irqfd): only for level sources routed to an irqchip pin. */
  private readonly srcLevel: Uint8Array;
  /** The sources with srcLevel set, ascending (the only ones a resample can concern). */
  private levelSources = new Int32Array(0);
  private readonly srcClass: InterruptClass[];
  private readonly srcCounters: ClassCounters[];
  /** Streams of each source: stream indices srcStreams[srcStreamStart[s] .. srcStreamStart[s + 1]). */
  private readonly srcStreamStart: Int32Array;
  private readonly srcStreams: Int32Array;
  // Per stream.
  private readonly stPending: Float64Array;
  private readonly stFirst: Float64Array;
  private readonly stRng: Rng[];
  private readonly stSource: Int32Array;
  private readonly stBurst: Float64Array;
  private readonly stMeanGap: Float64Array;
  private readonly stPeriodic: Uint8Array;
  /** Handler body cost per stream (the device's handlerNs, else the cost model's). */
  private readonly stHandlerNs: Float64Array;
  // Per vCPU (IPI "sources" and service state).
  private readonly ipiPending: Float64Array;
  private readonly ipiFirst: Float64Array;
  private readonly busy: Uint8Array;
  private readonly entryQueued: Uint8Array;
  private readonly stalled: Uint8Array;
  private stalledCount = 0;
  private readonly busyUntil: Float64Array;
  private readonly handlers: ((source: number) => void)[];
  private readonly events = new EventQueue();
  /**
   * Service entries due now, in the order they were queued (at most one per vCPU). Only
   * entries are ever scheduled at the current time, so they come after every queued event of
   * the same time: a FIFO keeps exactly the (time, sequence) order without heap operations.
   */
  private readonly entryFifo: Int32Array;
  private entryHead = 0;
  private entryCount = 0;
  private arrivalsEnd = 0;
  /** A vCPU whose service end the loop runs next without the queue (-1: none); see enter(). */
  private fastEnd = -1;
  private hardLimit = Number.POSITIVE_INFINITY;

  // The service call in progress: exit counters at its start.
  private svcT0 = 0;
  private svcHcalls = 0;
  private svcRtas = 0;
  private svcMmioReads = 0;
  private svcMmioWrites = 0;
  private svcDirect = 0;
  private svcIntercepts = 0;
  private svcPio = 0;
  private svcSysreg = 0;
  private svcHandlerNs = 0;

  private handled = 0;
  private spurious = 0;
  private unknownSource = 0;
  private ipiRng: Rng;
  private ipiRing = 0;
  private ipiEnabled: boolean;
  private readonly ipiSenders: readonly number[];
  private readonly ipiReceivers: readonly number[];

  constructor(
    private readonly contribution: GuestDriverContribution,
    private readonly vm: Vm,
    private readonly driver: GuestDriver,
    private readonly env: RunEnv,
    private readonly opts: RunOptions,
  ) {
    this.w = opts.workload;
    this.plan = opts.plan;
    this.cost = opts.cost;
    this.routing = vm.get(env.routing.GsiRouting);
    const ns = this.plan.sources.length;
    const nst = this.plan.streams.length;
    const nv = this.w.vcpus;
    this.srcOk = new Array<boolean>(ns).fill(false);
    this.srcEfd = new Array<EventFdLike | null>(ns).fill(null);
    this.srcRfd = new Array<EventFdLike | null>(ns).fill(null);
    this.srcHeld = new Uint8Array(ns);
    this.srcLevel = new Uint8Array(ns);
    this.srcClass = this.plan.sources.map((s) => s.kind);
    this.srcCounters = this.plan.sources.map((s) => this.classes[s.kind]);
    this.srcStreamStart = new Int32Array(ns + 1);
    this.srcStreams = new Int32Array(nst);
    let k = 0;
    for (let i = 0; i < ns; i++) {
      this.srcStreamStart[i] = k;
      for (const st of this.plan.sources[i].streams) this.srcStreams[k++] = st;
    }
    this.srcStreamStart[ns] = k;
    this.stPending = new Float64Array(nst);
    this.stFirst = new Float64Array(nst);
    this.stRng = this.plan.streams.map((s) => mulberry32(s.seed));
    this.stSource = Int32Array.from(this.plan.streams, (s) => s.source);
    this.stBurst = Float64Array.from(this.plan.streams, (s) => s.burst);
    this.stMeanGap = Float64Array.from(this.plan.streams, (s) => s.meanGapNs);
    this.stPeriodic = Uint8Array.from(this.plan.streams, (s) => (s.arrival === "periodic" ? 1 : 0));
    this.stHandlerNs = Float64Array.from(this.plan.streams, (s) => s.handlerNs ?? this.cost.handlerNs);
    this.ipiPending = new Float64Array(nv);
    this.ipiFirst = new Float64Array(nv);
    this.busy = new Uint8Array(nv);
    this.entryQueued = new Uint8Array(nv);
    this.entryFifo = new Int32Array(nv);
    this.stalled = new Uint8Array(nv);
    this.busyUntil = new Float64Array(nv);
    this.handlers = range(nv).map((v) => (source: number) => this.onHandler(v, source));
    this.ipiRng = mulberry32(this.plan.ipiSeed);
    this.ipiEnabled = this.w.ipis !== null;
    this.ipiSenders = this.w.ipis?.from ?? range(nv);
    this.ipiReceivers = this.w.ipis?.to ?? range(nv);
  }

  run(): ControllerResult {
    this.configure();
    const base = this.exitCounts();
    const clock = this.vm.clock;
    const t0 = clock.now;
    const end = t0 + this.w.durationNs;
    const hardLimit = end + Math.max(1e6, this.w.durationNs);

    for (const v of this.vm.vcpus) {
      const kick = (level: boolean): void => {
        if (!level) return;
        this.setStalled(v.id, 0);
        this.queueEntry(v.id);
      };
      v.ext.onChange(kick);
      v.crit.onChange(kick);
    }
    this.arrivalsEnd = end;
    for (const st of this.plan.streams) {
      if (!this.srcOk[st.source]) continue;
      this.scheduleArrival(st.index, t0);
    }
    if (this.ipiEnabled && this.w.ipis) this.scheduleIpi(t0);

    const wall0 = performance.now();
    const q = this.events;
    const onProgress = this.opts.onProgress;
    const deadline = this.opts.deadlineMs;
    let hitLimit = false;
    let steps = 0;
    this.hardLimit = hardLimit;
    // Every 1024 steps: progress, and the wall-clock budget.
    const checkpoint = (): void => {
      if (onProgress) onProgress(Math.min(1, (clock.now - t0) / this.w.durationNs));
      if (deadline !== undefined && performance.now() > deadline) {
        throw new RunStopped(
          `stopped by the run-time budget after ${Math.round(performance.now() - wall0)} ms wall at simulated ${clock.now - t0} ns of ${this.w.durationNs} (raise --max-seconds or shorten the workload)`,
        );
      }
    };
    for (;;) {
      const fast = this.fastEnd;
      if (fast >= 0) {
        // The end of a service that nothing else precedes (checked in enter): no heap round trip.
        this.fastEnd = -1;
        clock.advanceTo(this.busyUntil[fast]);
        this.endBusy(fast);
        if ((++steps & 1023) === 0) checkpoint();
        continue;
      }
      if (this.entryCount > 0 && q.peekTime() > clock.now && clock.nextDeadline() > clock.now) {
        const v = this.entryFifo[this.entryHead];
        this.entryHead = this.entryHead + 1 === this.entryFifo.length ? 0 : this.entryHead + 1;
        this.entryCount--;
        this.entryQueued[v] = 0;
        this.enter(v);
        if ((++steps & 1023) === 0) checkpoint();
        continue;
      }
      const mine = q.peekTime();
      const theirs = clock.nextDeadline();
      const next = theirs <= mine ? theirs : mine;
      if (next === Number.POSITIVE_INFINITY) break;
      if (next > hardLimit) {
        hitLimit = true;
        break;
      }
      // Moves the clock to the event's time (firing the controllers' timers due by then).
      clock.advanceTo(next);
      if (theirs > mine) {
        const code = q.peekCode();
        q.pop();
        this.dispatch(code & EV_KIND_MASK, code >>> EV_ARG_SHIFT, next);
      }
      if ((++steps & 1023) === 0) checkpoint();
    }
    const wallMs = performance.now() - wall0;
    this.opts.onProgress?.(1);

    const lineUp = this.vm.vcpus.some((v) => v.ext.asserted || v.crit.asserted);
    const quiescent = !hitLimit && !lineUp;
    this.settle(quiescent);

    const now = this.exitCounts();
    const hcalls = now.hcalls - base.hcalls;
    const rtasCalls = now.rtasCalls - base.rtasCalls;
    const intercepts = now.intercepts - base.intercepts;
    const mmioReads = now.mmioReads - base.mmioReads;
    const mmioWrites = now.mmioWrites - base.mmioWrites;
    const pioReads = now.pioReads - base.pioReads;
    const pioWrites = now.pioWrites - base.pioWrites;
    const sysregTraps = now.sysregTraps - base.sysregTraps;
    const exits: ExitTotals = {
      hcalls,
      rtasCalls,
      intercepts,
      mmioReads,
      mmioWrites,
      pioReads,
      pioWrites,
      sysregTraps,
      directAccesses: now.directAccesses - base.directAccesses,
      exits: hcalls + rtasCalls + intercepts + mmioReads + mmioWrites + pioReads + pioWrites + sysregTraps,
    };
    return this.result(exits, quiescent, clock.now - t0, wallMs);
  }

  // ---- setup -------------------------------------------------------------------------

  private markUnsupported(cls: InterruptClass, why: string): void {
    if (!this.unsupported[cls]) this.unsupported[cls] = why;
  }

  /** A source that could not be set up: its events are left out of the run. */
  private sourceFailed(source: number, why: string): void {
    const cls = this.plan.sources[source].kind;
    this.failedSources[cls]++;
    this.markUnsupported(cls, why);
  }

  private configure(): void {
    const routes: (RouteSpec | null)[] = [];
    for (const s of this.plan.sources) {
      try {
        routes.push(this.driver.configureSource({ index: s.index, trigger: s.trigger, vcpu: s.vcpu, priority: s.priority }));
      } catch (e) {
        routes.push(null);
        this.sourceFailed(s.index, `configuring ${aTrigger(s.trigger)} source failed: ${reason(e)}`);
      }
    }
    // Install the routes (replace-all); on refusal find and drop the refused entries (a
    // failed KVM_SET_GSI_ROUTING changes nothing, so the table ends as the last success).
    let entries = routes.flatMap((r, i) => (r ? [{ i, e: routeEntry(GSI_BASE + i, r) }] : []));
    try {
      this.routing.setGsiRouting(entries.map((x) => x.e));
    } catch (err) {
      if (KvmError.is(err, Errno.ENOTTY)) {
        entries = this.directGsis(entries, reason(err));
      } else {
        const kept: typeof entries = [];
        for (const x of entries) {
          try {
            this.routing.setGsiRouting([...kept, x].map((y) => y.e));
            kept.push(x);
          } catch (e) {
            const s = this.plan.sources[x.i];
            this.sourceFailed(s.index, `routing ${aTrigger(s.trigger)} source failed: ${reason(e)}`);
          }
        }
        entries = kept;
      }
    }
    const lib = this.env.routing;
    const edgeLevel = new Set<string>();
    for (const { i, e } of entries) {
      const s = this.plan.sources[i];
      const gsi = e.gsi;
      // resamplefd needs an ack notifier, i.e. an irqchip pin on a chip that runs them on
      // EOI: a level source the driver routes otherwise (s390 adapter routes), or on a chip
      // without "resample" (XIVE: the guest's ESB EOI never reaches KVM), is signalled per
      // event, like an edge.
      const onPin = e.type === KVM_IRQ_ROUTING_IRQCHIP;
      const chip = onPin ? this.vm.irqchips.byIndex(e.irqchip) : undefined;
      const resampling = onPin && (chip?.hasCapability?.("resample") ?? true);
      const level = s.trigger === "level" && resampling;
      if (s.trigger === "level" && !level) {
        edgeLevel.add(
          onPin
            ? `the ${chip?.name ?? "irqchip"} controller runs no ack notifiers when the guest EOIs`
            : `the guest driver routes them through ${routeTypeName(e.type)} routes, which have no irqchip pin for ack notifiers`,
        );
      }
      const efd = lib.EventFd.create();
      try {
        if (level) {
          const rfd = lib.EventFd.create();
          this.routing.irqfd({ fd: efd, gsi, flags: lib.KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rfd });
          this.srcRfd[i] = rfd;
        } else {
          this.routing.irqfd({ fd: efd, gsi });
        }
        this.srcEfd[i] = efd;
        this.srcLevel[i] = level ? 1 : 0;
        this.srcOk[i] = true;
      } catch (err) {
        efd.close();
        this.sourceFailed(s.index, `binding an irqfd failed: ${reason(err)}`);
      }
    }
    for (const t of edgeLevel) {
      this.notes.push(`level sources are signalled per event without resamplefd: ${t}`);
    }
    const level: number[] = [];
    for (let i = 0; i < this.srcLevel.length; i++) if (this.srcLevel[i]) level.push(i);
    this.levelSources = Int32Array.from(level);
  }

  /**
   * No routing table (book3s in strict mode: KVM_SET_GSI_ROUTING is ENOTTY): GSI n is
   * irqchip 0 pin n, so irqchip routes use their pin as GSI; other routes cannot be made.
   */
  private directGsis<T extends { i: number; e: RoutingEntry }>(entries: T[], why: string): T[] {
    const kept: T[] = [];
    for (const x of entries) {
      const s = this.plan.sources[x.i];
      if (x.e.type === KVM_IRQ_ROUTING_IRQCHIP && "pin" in x.e && x.e.irqchip === 0) {
        kept.push({ ...x, e: { ...x.e, gsi: x.e.pin } });
      } else {
        this.sourceFailed(s.index, `this VM has no GSI routing table (${why}) and the guest driver needs ${routeTypeName(x.e.type)} routes`);
      }
    }
    if (kept.length) this.notes.push(`no GSI routing table (${why}): irqchip sources use the direct GSI = pin mapping`);
    return kept;
  }

  private exitCounts(): ExitCounts {
    const s = this.vm.exitStats;
    return {
      hcalls: s.hcalls,
      rtasCalls: s.rtasCalls,
      intercepts: s.intercepts,
      mmioReads: s.mmioReads,
      mmioWrites: s.mmioWrites,
      pioReads: s.pioReads,
      pioWrites: s.pioWrites,
      sysregTraps: s.sysregTraps,
      directAccesses: s.directAccesses,
    };
  }

  /** Cost of the exits made since the counters read (hcalls, rtas, ...) (no allocation). */
  private costSince(hcalls: number, rtas: number, mmioReads: number, mmioWrites: number, direct: number, intercepts: number, pio: number, sysreg: number): number {
    const s = this.vm.exitStats;
    const c = this.cost;
    return (
      (s.hcalls - hcalls) * c.hcallNs +
      (s.rtasCalls - rtas) * c.rtasNs +
      (s.intercepts - intercepts) * c.interceptNs +
      (s.mmioReads - mmioReads + s.mmioWrites - mmioWrites) * c.mmioNs +
      (s.pioReads + s.pioWrites - pio) * c.pioNs +
      (s.sysregTraps - sysreg) * c.sysregNs +
      (s.directAccesses - direct) * c.directNs
    );
  }

  /** Cost of the exits made so far in the service call in progress. */
  private svcCost(): number {
    return this.costSince(this.svcHcalls, this.svcRtas, this.svcMmioReads, this.svcMmioWrites, this.svcDirect, this.svcIntercepts, this.svcPio, this.svcSysreg);
  }

  // ---- events ------------------------------------------------------------------------

  /** Schedules an event at `at` (never in the past, like SimClock.at). */
  private schedule(at: number, kind: number, arg: number): void {
    const now = this.vm.clock.now;
    this.events.push(at > now ? at : now, (arg << EV_ARG_SHIFT) | kind);
  }

  private dispatch(kind: number, arg: number, now: number): void {
    switch (kind) {
      case EV_ARRIVAL:
        this.arrive(arg, now);
        this.scheduleArrival(arg, now);
        break;
      case EV_END_BUSY:
        this.endBusy(arg);
        break;
      case EV_IPI:
        if (!this.ipiEnabled) return;
        this.sendIpis(this.w.ipis!, now);
        this.scheduleIpi(now);
        break;
    }
  }

  // ---- arrivals ----------------------------------------------------------------------

  private gap(rng: Rng, periodic: boolean, mean: number): number {
    return periodic ? Math.max(1, Math.round(mean)) : exponential(rng, mean);
  }

  private scheduleArrival(stream: number, from: number): void {
    const t = from + this.gap(this.stRng[stream], this.stPeriodic[stream] === 1, this.stMeanGap[stream]);
    if (t >= this.arrivalsEnd) return;
    this.schedule(t, EV_ARRIVAL, stream);
  }

  private arrive(stream: number, now: number): void {
    const src = this.stSource[stream];
    const burst = this.stBurst[stream];
    this.srcCounters[src].raised += burst;
    if (this.stPending[stream] === 0) this.stFirst[stream] = now;
    this.stPending[stream] += burst;
    this.unstall();
    const efd = this.srcEfd[src]!;
    if (!this.srcLevel[src]) {
      for (let b = 0; b < burst; b++) efd.write(1);
    } else if (!this.srcHeld[src]) {
      this.srcHeld[src] = 1;
      efd.write(1);
    }
  }

  private setStalled(v: number, value: 0 | 1): void {
    if (this.stalled[v] === value) return;
    this.stalled[v] = value;
    this.stalledCount += value ? 1 : -1;
  }

  /** New work: vCPUs whose last entry found nothing try again if their line is up. */
  private unstall(): void {
    if (this.stalledCount === 0) return;
    for (let v = 0; v < this.stalled.length; v++) {
      if (this.stalled[v]) {
        this.setStalled(v, 0);
        const vc = this.vm.vcpus[v];
        if (vc.ext.asserted || vc.crit.asserted) this.queueEntry(v);
      }
    }
  }

  // ---- IPIs --------------------------------------------------------------------------

  private scheduleIpi(from: number): void {
    const spec = this.w.ipis!;
    const t = from + this.gap(this.ipiRng, spec.arrival === "periodic", 1e9 / spec.rate);
    if (t >= this.arrivalsEnd) return;
    this.schedule(t, EV_IPI, 0);
  }

  /** Sends one IPI event's worth of IPIs (one target, or every other receiver for broadcast). */
  private sendIpis(spec: IpiSpec, now: number): void {
    const senders = this.ipiSenders;
    const receivers = this.ipiReceivers;
    const nr = receivers.length;
    let from: number;
    let target = -1; // the one target (ring, random); -1 = every receiver but the sender
    switch (spec.pattern) {
      case "ring": {
        from = senders[this.ipiRing++ % senders.length];
        // The first other receiver above the sender, else the first other receiver.
        let first = -1;
        for (let i = 0; i < nr; i++) {
          const r = receivers[i];
          if (r === from) continue;
          if (first < 0) first = r;
          if (r > from) {
            target = r;
            break;
          }
        }
        if (first < 0) return;
        if (target < 0) target = first;
        break;
      }
      case "broadcast":
        from = senders[pick(this.ipiRng, senders.length)];
        break;
      default: {
        from = senders[pick(this.ipiRng, senders.length)];
        let others = nr;
        for (let i = 0; i < nr; i++) if (receivers[i] === from) others--;
        if (others === 0) return;
        let k = pick(this.ipiRng, others);
        for (let i = 0; i < nr; i++) {
          const r = receivers[i];
          if (r === from) continue;
          if (k-- === 0) {
            target = r;
            break;
          }
        }
      }
    }
    const sender = this.vm.vcpus[from];
    const s = this.vm.exitStats;
    const h0 = s.hcalls;
    const r0 = s.rtasCalls;
    const mr0 = s.mmioReads;
    const mw0 = s.mmioWrites;
    const d0 = s.directAccesses;
    const i0 = s.intercepts;
    const p0 = s.pioReads + s.pioWrites;
    const sr0 = s.sysregTraps;
    if (target >= 0) {
      if (!this.sendIpi(sender, target, now)) return;
    } else {
      for (let i = 0; i < nr; i++) {
        const r = receivers[i];
        if (r !== from && !this.sendIpi(sender, r, now)) return;
      }
    }
    this.unstall();
    this.chargeSender(from, this.costSince(h0, r0, mr0, mw0, d0, i0, p0, sr0));
  }

  /** One IPI to `to`; false if the guest driver cannot send IPIs (then IPIs are n/a). */
  private sendIpi(sender: Vcpu, to: number, now: number): boolean {
    const c = this.classes.ipi;
    c.raised++;
    if (this.ipiPending[to] === 0) this.ipiFirst[to] = now;
    this.ipiPending[to]++;
    try {
      this.driver.sendIpi(sender, to);
      return true;
    } catch (e) {
      // The controller cannot send IPIs (e.g. EOPNOTSUPP): IPIs are n/a for it.
      c.raised--;
      this.ipiPending[to]--;
      this.ipiEnabled = false;
      const why = KvmError.is(e, Errno.EOPNOTSUPP) ? `the guest driver cannot send IPIs (${reason(e)})` : `sending an IPI failed: ${reason(e)}`;
      this.markUnsupported("ipi", why);
      return false;
    }
  }

  private chargeSender(v: number, ns: number): void {
    if (ns <= 0) return;
    if (this.busy[v]) {
      this.busyUntil[v] += ns;
      return;
    }
    this.busy[v] = 1;
    this.busyUntil[v] = this.vm.clock.now + ns;
    this.schedule(this.busyUntil[v], EV_END_BUSY, v);
  }

  // ---- service -----------------------------------------------------------------------

  private queueEntry(v: number): void {
    if (this.busy[v] || this.entryQueued[v] || this.stalled[v]) return;
    this.entryQueued[v] = 1;
    let tail = this.entryHead + this.entryCount;
    if (tail >= this.entryFifo.length) tail -= this.entryFifo.length;
    this.entryFifo[tail] = v;
    this.entryCount++;
  }

  private enter(v: number): void {
    if (this.busy[v]) return;
    const vcpu: Vcpu = this.vm.vcpus[v];
    if (!vcpu.ext.asserted && !vcpu.crit.asserted) return;
    const clock = this.vm.clock;
    // Busy from now on: line changes made by the driver itself do not queue another entry.
    this.busy[v] = 1;
    this.svcT0 = clock.now;
    const s = this.vm.exitStats;
    this.svcHcalls = s.hcalls;
    this.svcRtas = s.rtasCalls;
    this.svcMmioReads = s.mmioReads;
    this.svcMmioWrites = s.mmioWrites;
    this.svcDirect = s.directAccesses;
    this.svcIntercepts = s.intercepts;
    this.svcPio = s.pioReads + s.pioWrites;
    this.svcSysreg = s.sysregTraps;
    this.svcHandlerNs = 0;
    let n: number;
    try {
      n = this.driver.service(vcpu, this.handlers[v]);
    } catch (e) {
      throw during(`the guest driver's service() on vCPU ${v}`, clock.now, e);
    }
    const spent = Math.max(1, this.cost.entryNs + this.svcCost() + this.svcHandlerNs);
    if (n === 0) {
      this.spurious++;
      if (vcpu.ext.asserted || vcpu.crit.asserted) this.setStalled(v, 1);
    }
    const end = clock.now + spent;
    this.busyUntil[v] = end;
    // Nothing due before the end (no entry waiting now, no queued event or controller timer
    // at or before it): the loop ends the service next without queueing it. Identical order:
    // a queued event at the same time has the lower sequence number, so ties take the queue.
    if (this.entryCount === 0 && this.fastEnd < 0 && end < this.events.peekTime() && end < clock.nextDeadline() && end <= this.hardLimit) {
      this.fastEnd = v;
      return;
    }
    this.schedule(end, EV_END_BUSY, v);
  }

  private endBusy(v: number): void {
    const clock = this.vm.clock;
    if (clock.now < this.busyUntil[v]) {
      this.schedule(this.busyUntil[v], EV_END_BUSY, v);
      return;
    }
    this.busy[v] = 0;
    this.resample();
    const vcpu = this.vm.vcpus[v];
    if ((vcpu.ext.asserted || vcpu.crit.asserted) && !this.stalled[v]) this.enter(v);
  }

  /** Level sources whose resamplefd fired: the line dropped; re-signal if work remains. */
  private resample(): void {
    const level = this.levelSources;
    for (let i = 0; i < level.length; i++) {
      const s = level[i];
      if (!this.srcHeld[s]) continue;
      const rfd = this.srcRfd[s];
      if (!rfd || Number(rfd.counter) === 0) continue;
      rfd.read();
      this.srcHeld[s] = 0;
      for (let j = this.srcStreamStart[s], e = this.srcStreamStart[s + 1]; j < e; j++) {
        if (this.stPending[this.srcStreams[j]] > 0) {
          this.srcHeld[s] = 1;
          this.srcEfd[s]!.write(1);
          break;
        }
      }
    }
  }

  private onHandler(v: number, source: number): void {
    this.handled++;
    const t = this.svcT0 + this.cost.entryNs + this.svcCost() + this.svcHandlerNs;
    if (source === IPI_SOURCE) {
      const c = this.classes.ipi;
      const k = this.ipiPending[v];
      if (k > 0) {
        c.delivered++;
        c.coalesced += k - 1;
        c.latency.push(t - this.ipiFirst[v]);
        this.ipiPending[v] = 0;
      } else {
        c.redundant++;
      }
      this.svcHandlerNs += this.cost.handlerNs;
      return;
    }
    if (!(source >= 0 && source < this.srcOk.length) || !this.srcOk[source]) {
      this.unknownSource++;
      this.svcHandlerNs += this.cost.handlerNs;
      return;
    }
    const c = this.srcCounters[source];
    let any = false;
    let body = 0;
    for (let j = this.srcStreamStart[source], e = this.srcStreamStart[source + 1]; j < e; j++) {
      const sti = this.srcStreams[j];
      const k = this.stPending[sti];
      if (k === 0) continue;
      any = true;
      c.delivered++;
      c.coalesced += k - 1;
      c.latency.push(t - this.stFirst[sti]);
      this.stPending[sti] = 0;
      body += this.stHandlerNs[sti];
    }
    if (!any) {
      c.redundant++;
      body = this.cost.handlerNs;
    }
    this.svcHandlerNs += body;
  }

  // ---- results -----------------------------------------------------------------------

  /** Events never covered: lost if the system went quiet, else still pending. */
  private settle(quiescent: boolean): void {
    const lostBy = new Map<number, number>(); // source -> lost events
    for (const st of this.plan.streams) {
      const k = this.stPending[st.index];
      if (k === 0) continue;
      const c = this.classes[this.srcClass[st.source]];
      if (quiescent) {
        c.lost += k;
        lostBy.set(st.source, (lostBy.get(st.source) ?? 0) + k);
      } else c.pending += k;
    }
    const lostIpis: string[] = [];
    for (let v = 0; v < this.ipiPending.length; v++) {
      const k = this.ipiPending[v];
      if (k === 0) continue;
      if (quiescent) {
        this.classes.ipi.lost += k;
        lostIpis.push(`${k} IPI(s) to vCPU ${v}`);
      } else this.classes.ipi.pending += k;
    }
    // Say where the lost events went, so that the loss can be chased in the controller.
    if (lostBy.size || lostIpis.length) {
      const where = [...lostBy].map(([src, k]) => {
        const p = this.plan.sources[src];
        return `${k} on ${p.label} (${p.trigger}, vCPU ${p.vcpu})`;
      });
      const all = [...where, ...lostIpis];
      const shown = all.slice(0, 6).join(", ") + (all.length > 6 ? `, and ${all.length - 6} more` : "");
      this.notes.push(`lost events (raised, never handled, nothing left pending): ${shown}`);
    }
  }

  private feature(cls: InterruptClass): "ok" | "none" | `n/a: ${string}` {
    const present = cls === "ipi" ? this.w.ipis !== null : this.plan.sources.some((s) => s.kind === cls);
    if (!present) return "none";
    const why = this.unsupported[cls];
    if (!why) return "ok";
    const failed = this.failedSources[cls];
    const total = cls === "ipi" ? 0 : this.plan.sources.filter((s) => s.kind === cls).length;
    if (failed > 0 && failed < total) {
      return `n/a: ${failed} of ${total} ${cls} sources could not be set up, so the totals leave their events out (first failure: ${why})`;
    }
    return `n/a: ${why}`;
  }

  private result(exits: ExitTotals, quiescent: boolean, simulatedNs: number, wallMs: number): ControllerResult {
    const features = { msi: this.feature("msi"), intx: this.feature("intx"), ipi: this.feature("ipi") };
    const byClass = {} as Record<InterruptClass, ClassResult | null>;
    const total = { raised: 0, delivered: 0, coalesced: 0, redundant: 0, lost: 0, pending: 0 };
    const recorders: LatencyHistogram[] = [];
    for (const cls of CLASSES) {
      const c = this.classes[cls];
      if (features[cls] === "none" || (features[cls] !== "ok" && c.raised === 0)) {
        byClass[cls] = null;
        continue;
      }
      byClass[cls] = { counts: countsJson(c), latencyNs: c.latency.summary() };
      total.raised += c.raised;
      total.delivered += c.delivered;
      total.coalesced += c.coalesced;
      total.redundant += c.redundant;
      total.lost += c.lost;
      total.pending += c.pending;
      recorders.push(c.latency);
    }
    const all = LatencyHistogram.merge(recorders);
    const h = this.handled;
    const per = (x: number): number | null => (h === 0 ? null : Math.round((x / h) * 1000) / 1000);
    const notes = [...this.notes];
    if (this.unknownSource) notes.push(`the guest driver reported ${this.unknownSource} handler calls for unknown sources`);
    if (this.spurious) notes.push(`${this.spurious} interrupt entries found nothing to handle`);
    if (!quiescent) notes.push("the run did not drain to a quiescent state (a vCPU line is still asserted or the drain limit was hit)");
    return {
      id: this.contribution.id,
      label: this.contribution.label,
      arch: this.contribution.arch,
      status: "ok",
      features,
      notes,
      counts: countsJson(total),
      handled: h,
      spuriousEntries: this.spurious,
      byClass,
      exits,
      perInterrupt: {
        exits: per(exits.exits),
        hcalls: per(exits.hcalls),
        mmio: per(exits.mmioReads + exits.mmioWrites),
        rtas: per(exits.rtasCalls),
        intercepts: per(exits.intercepts),
        pio: per(exits.pioReads + exits.pioWrites),
        sysreg: per(exits.sysregTraps),
        direct: per(exits.directAccesses),
      },
      latencyNs: all.summary(),
      latencyCdf: all.cdf(),
      quiescent,
      simulatedNs,
      host: { wallMs: Math.round(wallMs * 1000) / 1000, interruptsPerSecond: wallMs > 0 ? Math.round(h / (wallMs / 1000)) : 0 },
    };
  }
}

