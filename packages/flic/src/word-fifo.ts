/**
 * A FIFO of fixed-size records of u32 words in a growable ring buffer: the kernel's
 * list_head queues of struct kvm_s390_interrupt_info, without a per-entry allocation.
 * Pushing and popping do not allocate once the ring has grown to the working-set size.
 */
export class WordFifo {
  private buf: Uint32Array;
  private head = 0;
  private count = 0;
  private cap: number;

  constructor(
    /** u32 words per record. */
    readonly width: number,
    initialCapacity = 16,
  ) {
    this.cap = Math.max(1, initialCapacity);
    this.buf = new Uint32Array(this.cap * width);
  }

  get length(): number {
    return this.count;
  }

  /** Appends a record of up to four words (the widths used here). */
  push(w0: number, w1: number, w2: number, w3: number): void {
    if (this.count === this.cap) this.grow();
    let at = this.head + this.count;
    if (at >= this.cap) at -= this.cap;
    const o = at * this.width;
    const b = this.buf;
    b[o] = w0;
    if (this.width > 1) b[o + 1] = w1;
    if (this.width > 2) b[o + 2] = w2;
    if (this.width > 3) b[o + 3] = w3;
    this.count++;
  }

  /** Word `w` of the record at position `i` (0 = oldest). */
  word(i: number, w: number): number {
    let at = this.head + i;
    if (at >= this.cap) at -= this.cap;
    return this.buf[at * this.width + w];
  }

  /** Copies the oldest record into `out` (from index 0) and removes it. False when empty. */
  shift(out: Uint32Array): boolean {
    if (this.count === 0) return false;
    const o = this.head * this.width;
    for (let w = 0; w < this.width; w++) out[w] = this.buf[o + w];
    this.head++;
    if (this.head === this.cap) this.head = 0;
    this.count--;
    if (this.count === 0) this.head = 0;
    return true;
  }

  /** Removes the record at position `i`, keeping the order of the others. */
  removeAt(i: number): void {
    if (i < 0 || i >= this.count) return;
    for (let k = i; k < this.count - 1; k++) {
      let dst = this.head + k;
      if (dst >= this.cap) dst -= this.cap;
      let src = dst + 1;
      if (src >= this.cap) src -= this.cap;
      for (let w = 0; w < this.width; w++) this.buf[dst * this.width + w] = this.buf[src * this.width + w];
    }
    this.count--;
    if (this.count === 0) this.head = 0;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const next = new Uint32Array(cap * this.width);
    for (let i = 0; i < this.count; i++) {
      let at = this.head + i;
      if (at >= this.cap) at -= this.cap;
      next.set(this.buf.subarray(at * this.width, (at + 1) * this.width), i * this.width);
    }
    this.buf = next;
    this.cap = cap;
    this.head = 0;
  }
}
