/**
 * One workload on one controller's VM, event by event on the VM's SimClock (see runner.ts
 * for the model of time). The hot paths (arrival, service entry, handler) use typed arrays
 * per source, stream and vCPU, and callbacks made once.
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
import { CLASSES, ClassCounters, LatencyRecorder, cdf, countsJson, summarize, type InterruptClass } from "./metrics.js";
import { exponential, mulberry32, pick, type Rng } from "./prng.js";
import type { RunEnv, RunOptions } from "./runner.js";
import { reason, type ClassResult, type ControllerResult, type ExitTotals } from "./results.js";

function emptyClasses(): Record<InterruptClass, ClassCounters> {
  return { msi: new ClassCounters(), intx: new ClassCounters(), ipi: new ClassCounters() };
}

export class Simulation {
  private readonly w: Workload;
  private readonly plan: WorkloadPlan;
  private readonly cost: CostModel;
  private readonly routing: GsiRoutingLike;
  private readonly classes = emptyClasses();
  private readonly notes: string[] = [];
  private readonly unsupported: Partial<Record<InterruptClass, string>> = {};

  // Per source.
  private readonly srcOk: boolean[];
  private readonly srcEfd: (EventFdLike | null)[];
  private readonly srcRfd: (EventFdLike | null)[];
  private readonly srcHeld: Uint8Array;
  /** Level semantics (resample irqfd): only for level sources routed to an irqchip pin. */
  private readonly srcLevel: Uint8Array;
  private readonly srcClass: InterruptClass[];
  // Per stream.
  private readonly stPending: Float64Array;
  private readonly stFirst: Float64Array;
  private readonly stRng: Rng[];
  // Per vCPU (IPI "sources" and service state).
  private readonly ipiPending: Float64Array;
  private readonly ipiFirst: Float64Array;
  private readonly busy: Uint8Array;
  private readonly entryQueued: Uint8Array;
  private readonly stalled: Uint8Array;
  private readonly busyUntil: Float64Array;
  private readonly handlers: ((source: number) => void)[];
  // Timer callbacks made once (the clock calls them with the current time).
  private readonly arrivalCbs: ((now: number) => void)[];
  private readonly endBusyCbs: (() => void)[];
  private readonly entryCbs: (() => void)[];
  private arrivalsEnd = 0;

  // The service call in progress.
  private svcT0 = 0;
  private svcBase: ExitCounts = { hcalls: 0, rtasCalls: 0, mmioReads: 0, mmioWrites: 0, directAccesses: 0 };
  private svcHandlerNs = 0;

  private handled = 0;
  private spurious = 0;
  private unknownSource = 0;
  private ipiRng: Rng;
  private ipiRing = 0;
  private ipiEnabled: boolean;

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
    this.stPending = new Float64Array(nst);
    this.stFirst = new Float64Array(nst);
    this.stRng = this.plan.streams.map((s) => mulberry32(s.seed));
    this.ipiPending = new Float64Array(nv);
    this.ipiFirst = new Float64Array(nv);
    this.busy = new Uint8Array(nv);
    this.entryQueued = new Uint8Array(nv);
    this.stalled = new Uint8Array(nv);
    this.busyUntil = new Float64Array(nv);
    this.handlers = range(nv).map((v) => (source: number) => this.onHandler(v, source));
    this.arrivalCbs = this.plan.streams.map((st) => (now: number) => {
      this.arrive(st.index, now);
      this.scheduleArrival(st.index, now);
    });
    this.endBusyCbs = range(nv).map((v) => () => this.endBusy(v));
    this.entryCbs = range(nv).map((v) => () => {
      this.entryQueued[v] = 0;
      this.enter(v);
    });
    this.ipiRng = mulberry32(this.plan.ipiSeed);
    this.ipiEnabled = this.w.ipis !== null;
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
        this.stalled[v.id] = 0;
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
    if (this.ipiEnabled && this.w.ipis) this.scheduleIpi(this.w.ipis, t0, end);

    const wall0 = performance.now();
    let hitLimit = false;
    let steps = 0;
    for (;;) {
      const next = clock.nextDeadline();
      if (next === Number.POSITIVE_INFINITY) break;
      if (next > hardLimit) {
        hitLimit = true;
        break;
      }
      clock.advanceTo(next);
      if (this.opts.onProgress && (++steps & 1023) === 0) this.opts.onProgress(Math.min(1, (clock.now - t0) / this.w.durationNs));
    }
    const wallMs = performance.now() - wall0;
    this.opts.onProgress?.(1);

    const lineUp = this.vm.vcpus.some((v) => v.ext.asserted || v.crit.asserted);
    const quiescent = !hitLimit && !lineUp;
    this.settle(quiescent);

    const now = this.exitCounts();
    const hcalls = now.hcalls - base.hcalls;
    const rtasCalls = now.rtasCalls - base.rtasCalls;
    const mmioReads = now.mmioReads - base.mmioReads;
    const mmioWrites = now.mmioWrites - base.mmioWrites;
    const exits: ExitTotals = {
      hcalls,
      rtasCalls,
      mmioReads,
      mmioWrites,
      directAccesses: now.directAccesses - base.directAccesses,
      exits: hcalls + rtasCalls + mmioReads + mmioWrites,
    };
    return this.result(exits, quiescent, clock.now - t0, wallMs);
  }

  // ---- setup -------------------------------------------------------------------------

  private markUnsupported(cls: InterruptClass, why: string): void {
    if (!this.unsupported[cls]) this.unsupported[cls] = why;
  }

  private configure(): void {
    const routes: (RouteSpec | null)[] = [];
    for (const s of this.plan.sources) {
      try {
        routes.push(this.driver.configureSource({ index: s.index, trigger: s.trigger, vcpu: s.vcpu, priority: s.priority }));
      } catch (e) {
        routes.push(null);
        this.markUnsupported(s.kind, `configuring a ${s.trigger} source failed: ${reason(e)}`);
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
            this.markUnsupported(s.kind, `routing a ${s.trigger} source failed: ${reason(e)}`);
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
      // resamplefd needs an ack notifier, i.e. an irqchip pin: a level source the driver
      // routes otherwise (s390 adapter routes) is signalled per event, like an edge.
      const level = s.trigger === "level" && e.type === KVM_IRQ_ROUTING_IRQCHIP;
      if (s.trigger === "level" && !level) edgeLevel.add(routeTypeName(e.type));
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
        this.markUnsupported(s.kind, `binding an irqfd failed: ${reason(err)}`);
      }
    }
    for (const t of edgeLevel) {
      this.notes.push(`level sources are signalled per event without resamplefd: the guest driver routes them through ${t} routes, which have no irqchip pin for ack notifiers`);
    }
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
        this.markUnsupported(s.kind, `this VM has no GSI routing table (${why}) and the guest driver needs a ${routeTypeName(x.e.type)} route`);
      }
    }
    if (kept.length) this.notes.push(`no GSI routing table (${why}): irqchip sources use the direct GSI = pin mapping`);
    return kept;
  }

  private exitCounts(): ExitCounts {
    const s = this.vm.exitStats;
    return { hcalls: s.hcalls, rtasCalls: s.rtasCalls, mmioReads: s.mmioReads, mmioWrites: s.mmioWrites, directAccesses: s.directAccesses };
  }

  /** Cost of the exits made since `base` (read straight from ExitStats, no allocation). */
  private costSince(base: ExitCounts): number {
    const s = this.vm.exitStats;
    const c = this.cost;
    return (
      (s.hcalls - base.hcalls) * c.hcallNs +
      (s.rtasCalls - base.rtasCalls) * c.rtasNs +
      (s.mmioReads - base.mmioReads + s.mmioWrites - base.mmioWrites) * c.mmioNs +
      (s.directAccesses - base.directAccesses) * c.directNs
    );
  }

  // ---- arrivals ----------------------------------------------------------------------

  private gap(rng: Rng, law: "poisson" | "periodic", mean: number): number {
    return law === "periodic" ? Math.max(1, Math.round(mean)) : exponential(rng, mean);
  }

  private scheduleArrival(stream: number, from: number): void {
    const st = this.plan.streams[stream];
    const t = from + this.gap(this.stRng[stream], st.arrival, st.meanGapNs);
    if (t >= this.arrivalsEnd) return;
    this.vm.clock.at(t, this.arrivalCbs[stream]);
  }

  private arrive(stream: number, now: number): void {
    const st = this.plan.streams[stream];
    const src = st.source;
    const cls = this.srcClass[src];
    this.classes[cls].raised += st.burst;
    if (this.stPending[stream] === 0) this.stFirst[stream] = now;
    this.stPending[stream] += st.burst;
    this.unstall();
    const efd = this.srcEfd[src]!;
    if (!this.srcLevel[src]) {
      for (let b = 0; b < st.burst; b++) efd.write(1);
    } else if (!this.srcHeld[src]) {
      this.srcHeld[src] = 1;
      efd.write(1);
    }
  }

  private unstall(): void {
    for (let v = 0; v < this.stalled.length; v++) {
      if (this.stalled[v]) {
        this.stalled[v] = 0;
        const vc = this.vm.vcpus[v];
        if (vc.ext.asserted || vc.crit.asserted) this.queueEntry(v);
      }
    }
  }

  // ---- IPIs --------------------------------------------------------------------------

  private scheduleIpi(spec: IpiSpec, from: number, end: number): void {
    const t = from + this.gap(this.ipiRng, spec.arrival, 1e9 / spec.rate);
    if (t >= end) return;
    this.vm.clock.at(t, (now) => {
      if (!this.ipiEnabled) return;
      this.sendIpis(spec, now);
      this.scheduleIpi(spec, now, end);
    });
  }

  private sendIpis(spec: IpiSpec, now: number): void {
    const senders = spec.from ?? range(this.w.vcpus);
    const receivers = spec.to ?? range(this.w.vcpus);
    let from: number;
    let targets: number[];
    switch (spec.pattern) {
      case "ring": {
        from = senders[this.ipiRing++ % senders.length];
        const others = receivers.filter((r) => r !== from);
        if (others.length === 0) return;
        const next = others.find((r) => r > from) ?? others[0];
        targets = [next];
        break;
      }
      case "broadcast":
        from = senders[pick(this.ipiRng, senders.length)];
        targets = receivers.filter((r) => r !== from);
        break;
      default: {
        from = senders[pick(this.ipiRng, senders.length)];
        const others = receivers.filter((r) => r !== from);
        if (others.length === 0) return;
        targets = [others[pick(this.ipiRng, others.length)]];
      }
    }
    const sender = this.vm.vcpus[from];
    const base = this.exitCounts();
    for (const to of targets) {
      const c = this.classes.ipi;
      c.raised++;
      if (this.ipiPending[to] === 0) this.ipiFirst[to] = now;
      this.ipiPending[to]++;
      try {
        this.driver.sendIpi(sender, to);
      } catch (e) {
        // The controller cannot send IPIs (e.g. EOPNOTSUPP): IPIs are n/a for it.
        c.raised--;
        this.ipiPending[to]--;
        this.ipiEnabled = false;
        const why = KvmError.is(e, Errno.EOPNOTSUPP) ? `the guest driver cannot send IPIs (${reason(e)})` : `sending an IPI failed: ${reason(e)}`;
        this.markUnsupported("ipi", why);
        return;
      }
    }
    this.unstall();
    this.chargeSender(from, this.costSince(base));
  }

  private chargeSender(v: number, ns: number): void {
    if (ns <= 0) return;
    const clock = this.vm.clock;
    if (this.busy[v]) {
      this.busyUntil[v] += ns;
      return;
    }
    this.busy[v] = 1;
    this.busyUntil[v] = clock.now + ns;
    clock.at(this.busyUntil[v], this.endBusyCbs[v]);
  }

  // ---- service -----------------------------------------------------------------------

  private queueEntry(v: number): void {
    if (this.busy[v] || this.entryQueued[v] || this.stalled[v]) return;
    this.entryQueued[v] = 1;
    this.vm.clock.at(this.vm.clock.now, this.entryCbs[v]);
  }

  private enter(v: number): void {
    if (this.busy[v]) return;
    const vcpu: Vcpu = this.vm.vcpus[v];
    if (!vcpu.ext.asserted && !vcpu.crit.asserted) return;
    const clock = this.vm.clock;
    // Busy from now on: line changes made by the driver itself do not queue another entry.
    this.busy[v] = 1;
    this.svcT0 = clock.now;
    this.svcBase = this.exitCounts();
    this.svcHandlerNs = 0;
    const n = this.driver.service(vcpu, this.handlers[v]);
    const spent = Math.max(1, this.cost.entryNs + this.costSince(this.svcBase) + this.svcHandlerNs);
    if (n === 0) {
      this.spurious++;
      if (vcpu.ext.asserted || vcpu.crit.asserted) this.stalled[v] = 1;
    }
    this.busyUntil[v] = clock.now + spent;
    clock.at(this.busyUntil[v], this.endBusyCbs[v]);
  }

  private endBusy(v: number): void {
    const clock = this.vm.clock;
    if (clock.now < this.busyUntil[v]) {
      clock.at(this.busyUntil[v], this.endBusyCbs[v]);
      return;
    }
    this.busy[v] = 0;
    this.resample();
    const vcpu = this.vm.vcpus[v];
    if ((vcpu.ext.asserted || vcpu.crit.asserted) && !this.stalled[v]) this.enter(v);
  }

  /** Level sources whose resamplefd fired: the line dropped; re-signal if work remains. */
  private resample(): void {
    for (let s = 0; s < this.srcHeld.length; s++) {
      if (!this.srcHeld[s]) continue;
      const rfd = this.srcRfd[s];
      if (!rfd || Number(rfd.counter) === 0) continue;
      rfd.read();
      this.srcHeld[s] = 0;
      const streams = this.plan.sources[s].streams;
      for (let i = 0; i < streams.length; i++) {
        if (this.stPending[streams[i]] > 0) {
          this.srcHeld[s] = 1;
          this.srcEfd[s]!.write(1);
          break;
        }
      }
    }
  }

  private onHandler(v: number, source: number): void {
    this.handled++;
    const t = this.svcT0 + this.cost.entryNs + this.costSince(this.svcBase) + this.svcHandlerNs;
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
    const src = this.plan.sources[source];
    if (!src || !this.srcOk[source]) {
      this.unknownSource++;
      this.svcHandlerNs += this.cost.handlerNs;
      return;
    }
    const c = this.classes[src.kind];
    let any = false;
    let body = 0;
    for (const sti of src.streams) {
      const k = this.stPending[sti];
      if (k === 0) continue;
      any = true;
      c.delivered++;
      c.coalesced += k - 1;
      c.latency.push(t - this.stFirst[sti]);
      this.stPending[sti] = 0;
      body += this.plan.streams[sti].handlerNs ?? this.cost.handlerNs;
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
    for (const st of this.plan.streams) {
      const k = this.stPending[st.index];
      if (k === 0) continue;
      const c = this.classes[this.srcClass[st.source]];
      if (quiescent) c.lost += k;
      else c.pending += k;
    }
    for (let v = 0; v < this.ipiPending.length; v++) {
      const k = this.ipiPending[v];
      if (k === 0) continue;
      if (quiescent) this.classes.ipi.lost += k;
      else this.classes.ipi.pending += k;
    }
  }

  private feature(cls: InterruptClass): "ok" | "none" | `n/a: ${string}` {
    const present = cls === "ipi" ? this.w.ipis !== null : this.plan.sources.some((s) => s.kind === cls);
    if (!present) return "none";
    const why = this.unsupported[cls];
    return why ? `n/a: ${why}` : "ok";
  }

  private result(exits: ExitTotals, quiescent: boolean, simulatedNs: number, wallMs: number): ControllerResult {
    const features = { msi: this.feature("msi"), intx: this.feature("intx"), ipi: this.feature("ipi") };
    const byClass = {} as Record<InterruptClass, ClassResult | null>;
    const total = { raised: 0, delivered: 0, coalesced: 0, redundant: 0, lost: 0, pending: 0 };
    const recorders: LatencyRecorder[] = [];
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
    const sorted = LatencyRecorder.mergeSorted(recorders);
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
        direct: per(exits.directAccesses),
      },
      latencyNs: summarize(sorted),
      latencyCdf: cdf(sorted),
      quiescent,
      simulatedNs,
      host: { wallMs: Math.round(wallMs * 1000) / 1000, interruptsPerSecond: wallMs > 0 ? Math.round(h / (wallMs / 1000)) : 0 },
    };
  }
}

