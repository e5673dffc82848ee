/**
 * The runner's own event queue: a binary min-heap over parallel typed arrays, ordered by
 * (time, insertion sequence), exactly like core's SimClock orders its timers, but with no
 * object, closure or Map entry per event. An event is a small integer code (kind + argument,
 * see `Simulation`); the runner merges this queue with the VM's SimClock (which then only
 * holds the controllers' own timers, if any) and moves the clock to each event's time.
 */
export class EventQueue {
  private at: Float64Array;
  private seq: Float64Array;
  private code: Int32Array;
  private n = 0;
  private nextSeq = 0;

  constructor(capacity = 256) {
    this.at = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.code = new Int32Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.n === 0 ? Number.POSITIVE_INFINITY : this.at[0];
  }

  /** Code of the earliest event (only when size > 0). */
  peekCode(): number {
    return this.code[0];
  }

  push(at: number, code: number): void {
    if (this.n === this.at.length) this.grow();
    const s = this.nextSeq++;
    const A = this.at;
    const S = this.seq;
    const C = this.code;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (A[p] < at || (A[p] === at && S[p] < s)) break;
      A[i] = A[p];
      S[i] = S[p];
      C[i] = C[p];
      i = p;
    }
    A[i] = at;
    S[i] = s;
    C[i] = code;
  }

  /** Removes the earliest event (only when size > 0). */
  pop(): void {
    const n = --this.n;
    if (n === 0) return;
    const A = this.at;
    const S = this.seq;
    const C = this.code;
    const at = A[n];
    const s = S[n];
    const code = C[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && (A[r] < A[l] || (A[r] === A[l] && S[r] < S[l]))) m = r;
      if (at < A[m] || (at === A[m] && s < S[m])) break;
      A[i] = A[m];
      S[i] = S[m];
      C[i] = C[m];
      i = m;
    }
    A[i] = at;
    S[i] = s;
    C[i] = code;
  }

  private grow(): void {
    const cap = this.at.length * 2;
    const a = new Float64Array(cap);
    const s = new Float64Array(cap);
    const c = new Int32Array(cap);
    a.set(this.at);
    s.set(this.seq);
    c.set(this.code);
    this.at = a;
    this.seq = s;
    this.code = c;
  }
}
