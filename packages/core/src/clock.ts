/**
 * Simulated time. Models never read wall-clock time: they read `clock.now` (nanoseconds)
 * and schedule timers that fire, in deadline order, when the owner advances the clock.
 */
export type TimerCallback = (now: number) => void;

interface Timer {
  id: number;
  at: number;
  seq: number;
  cb: TimerCallback;
}

export class SimClock {
  private t = 0;
  private seq = 0;
  private nextId = 1;
  private heap: Timer[] = [];
  private live = new Map<number, Timer>();

  /** Current simulated time in nanoseconds. */
  get now(): number {
    return this.t;
  }

  /** Calls `cb` when the clock reaches `at` (ns). Returns an id for `cancel`. */
  at(at: number, cb: TimerCallback): number {
    if (!Number.isFinite(at)) throw new RangeError(`timer deadline ${at} is not finite`);
    const timer: Timer = { id: this.nextId++, at: Math.max(at, this.t), seq: this.seq++, cb };
    this.live.set(timer.id, timer);
    this.push(timer);
    return timer.id;
  }

  /** Calls `cb` after `delay` ns. */
  after(delay: number, cb: TimerCallback): number {
    return this.at(this.t + Math.max(0, delay), cb);
  }

  cancel(id: number): boolean {
    return this.live.delete(id);
  }

  /** Deadline of the earliest pending timer, or Infinity. */
  nextDeadline(): number {
    this.dropCancelled();
    return this.heap.length ? this.heap[0].at : Number.POSITIVE_INFINITY;
  }

  pendingTimers(): number {
    return this.live.size;
  }

  /** Moves time to `t` (never backwards), firing every timer due on the way, in order. */
  advanceTo(t: number): void {
    if (t < this.t) return;
    for (;;) {
      this.dropCancelled();
      const top = this.heap[0];
      if (!top || top.at > t) break;
      this.pop();
      this.live.delete(top.id);
      this.t = top.at;
      top.cb(this.t);
    }
    this.t = t;
  }

  advance(dt: number): void {
    this.advanceTo(this.t + Math.max(0, dt));
  }

  private dropCancelled(): void {
    while (this.heap.length && !this.live.has(this.heap[0].id)) this.pop();
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(x: Timer): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
