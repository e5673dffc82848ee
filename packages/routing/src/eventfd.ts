/**
 * eventfd(2): a 64-bit counter behind a file descriptor. write(n) adds n and wakes waiters;
 * read() takes the whole count (or 1 with EFD_SEMAPHORE); closing the last descriptor hangs
 * up (EPOLLHUP), which is how an irqfd learns that its eventfd is gone.
 *
 *   EventFd (FileHandle: fd number, dup, close)  ──>  EventFdFile (OpenFile: the counter)
 *        write/read/poll/shareable/watch                 priorityWaiter: the bound irqfd
 *                                                        shared: worker pending count
 *
 * KVM binds an irqfd as the eventfd's one *priority waiter*: it is woken synchronously inside
 * write(), and while it is bound no other waiter is woken (the kernel's exclusive priority
 * wait queue entry). `onReadable` listeners are ordinary waiters for unbound eventfds
 * (a device model watching its resamplefd).
 *
 * The simulation never blocks: a read of 0 or a write that would overflow answers EAGAIN,
 * as a non-blocking eventfd does, whatever EFD_NONBLOCK says.
 */
import { Errno, FileHandle, OpenFile, Process, fail } from "@irqlab/core";
import { show, showFlags } from "./show.js";
import { EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE, EVENTFD_MAX } from "./constants.js";
import {
  HUNG_UP,
  MAX_PENDING,
  SHARED_EVENTFD_BYTES,
  SLOT_PENDING,
  SLOT_SENT,
  SLOT_SEQ,
  type EventFdShareable,
} from "./eventfd-signaller.js";

/** What an eventfd wakes: KVM's irqfd is the one priority waiter. */
export interface EventFdWaiter {
  /** EPOLLIN: a write (or signal) happened. The waiter reads the count itself. */
  wakeup(file: EventFdFile): void;
  /** EPOLLHUP: the last descriptor closed. */
  hangup(file: EventFdFile): void;
}

export type EventFdListener = (event: "readable" | "hangup", file: EventFdFile) => void;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const waitAsync = Atomics.waitAsync;
let nextEventFdId = 1;

interface SharedState {
  readonly buffer: SharedArrayBuffer;
  readonly counts: BigUint64Array;
  readonly words: Int32Array;
}

/** The eventfd object (struct eventfd_ctx). */
export class EventFdFile extends OpenFile {
  readonly kind = "eventfd";
  readonly id = nextEventFdId++;
  readonly semaphore: boolean;
  readonly flags: number;
  /** The counter, exact while `big` is null (it fits a safe integer). */
  private count: number;
  private big: bigint | null = null;
  /** The bound irqfd (one across all VMs, as in current kernels), or null. */
  priorityWaiter: EventFdWaiter | null = null;
  private listeners: EventFdListener[] = [];
  private shared: SharedState | null = null;
  /** Live `watch()` loops. */
  watchers = 0;
  /** Every count added by write/signal/poll (main thread and workers), saturating at 2^53. */
  added = 0;
  /** Number of wakeups delivered (writes, signals, polls that found something). */
  wakeups = 0;

  constructor(initval: number, flags: number) {
    super();
    this.count = initval;
    this.flags = flags;
    this.semaphore = (flags & EFD_SEMAPHORE) !== 0;
  }

  /** The counter as a number (exact up to 2^53). */
  get counter(): number {
    return this.big === null ? this.count : Number(this.big);
  }

  /** The counter, exact. */
  get counterBig(): bigint {
    return this.big === null ? BigInt(this.count) : this.big;
  }

  /** write(2) of the 8-byte value `v`. EINVAL for ULLONG_MAX, EAGAIN when it would overflow. */
  write(v: number | bigint): void {
    if (typeof v === "number" && this.big === null && Number.isSafeInteger(v) && v >= 0 && this.count + v <= MAX_SAFE) {
      this.count += v;
      this.added = Math.min(MAX_SAFE, this.added + v);
      this.wake();
      return;
    }
    const n = toU64(v);
    if (n === 0xffffffffffffffffn) fail(Errno.EINVAL, `eventfd ${this.id}: write of ULLONG_MAX`);
    const total = this.counterBig + n;
    if (total > EVENTFD_MAX) {
      fail(Errno.EAGAIN, `eventfd ${this.id}: counter ${this.counterBig} + ${n} would exceed 0xfffffffffffffffe`);
    }
    this.set(total);
    this.added = Math.min(MAX_SAFE, this.added + Number(n));
    this.wake();
  }

  /** eventfd_signal(): the kernel's +n (n >= 1), saturating instead of failing; wakes waiters. */
  signal(n = 1): void {
    if (!Number.isSafeInteger(n) || n < 1) fail(Errno.EINVAL, `eventfd ${this.id}: signal of ${show(n)} (a positive integer)`);
    if (this.big === null && this.count + n <= MAX_SAFE) {
      this.count += n;
      this.added = Math.min(MAX_SAFE, this.added + n);
    } else {
      const cur = this.counterBig;
      const room = EVENTFD_MAX - cur;
      const add = BigInt(n) > room ? room : BigInt(n);
      this.set(cur + add);
      this.added = Math.min(MAX_SAFE, this.added + Number(add));
    }
    this.wake();
  }

  /**
   * eventfd_ctx_do_read(): takes the whole count, or 1 for EFD_SEMAPHORE (0 when empty);
   * returns what was taken. Used by the irqfd wakeup and shutdown.
   */
  take(): number {
    if (this.big === null) {
      const c = this.count;
      if (this.semaphore && c > 0) {
        this.count = c - 1;
        return 1;
      }
      this.count = 0;
      return c;
    }
    if (this.semaphore) {
      this.set(this.big - 1n);
      return 1;
    }
    const c = Number(this.big);
    this.set(0n);
    return c;
  }

  /** read(2): EAGAIN when the counter is 0. Returns what was taken (exact as bigint). */
  readBig(): bigint {
    this.poll();
    const cur = this.counterBig;
    if (cur === 0n) fail(Errno.EAGAIN, `eventfd ${this.id}: counter is 0`);
    if (this.semaphore) {
      this.set(cur - 1n);
      return 1n;
    }
    this.set(0n);
    return cur;
  }

  private set(v: bigint): void {
    if (v <= BigInt(MAX_SAFE)) {
      this.count = Number(v);
      this.big = null;
    } else {
      this.big = v;
    }
  }

  private wake(): void {
    this.wakeups++;
    const w = this.priorityWaiter;
    if (w !== null) {
      w.wakeup(this);
      return;
    }
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i]("readable", this);
  }

  /** Adds an ordinary waiter (not woken while an irqfd is bound). Returns its removal. */
  listen(fn: EventFdListener): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  protected override onRelease(): void {
    const s = this.shared;
    if (s !== null) {
      // Take what workers wrote and mark the hang-up in one atomic step: a signal either made
      // it before (and is delivered now, as the kernel's shutdown flushes a pending
      // injection) or sees the hang-up and adds nothing.
      const k = Atomics.exchange(s.counts, SLOT_PENDING, HUNG_UP);
      Atomics.notify(s.words, SLOT_SEQ);
      if (k !== 0n && this.counterBig + k <= EVENTFD_MAX) this.write(k);
    }
    const w = this.priorityWaiter;
    if (w !== null) w.hangup(this);
    for (const l of this.listeners) l("hangup", this);
    this.listeners = [];
  }

  // ---- worker threads ----------------------------------------------------------------

  /** Allocates the shared counter block on first use. */
  shareable(): EventFdShareable {
    if (this.shared === null) {
      const buffer = new SharedArrayBuffer(SHARED_EVENTFD_BYTES);
      this.shared = { buffer, counts: new BigUint64Array(buffer, 0, 2), words: new Int32Array(buffer, 0, 5) };
      if (this.released) Atomics.store(this.shared.counts, SLOT_PENDING, HUNG_UP);
    }
    return { kind: "irqlab.eventfd", id: this.id, buffer: this.shared.buffer };
  }

  get isShared(): boolean {
    return this.shared !== null;
  }

  /** Counts workers wrote that `poll` has not taken yet. */
  get pending(): number {
    return this.shared === null ? 0 : Number(Atomics.load(this.shared.counts, SLOT_PENDING) & MAX_PENDING);
  }

  /** Every count workers ever wrote. */
  get sentByWorkers(): number {
    return this.shared === null ? 0 : Number(Atomics.load(this.shared.counts, SLOT_SENT));
  }

  /**
   * Takes what workers wrote since the last poll and applies it as one write (one wakeup:
   * signals that arrived together coalesce, as eventfd wakeups do). Returns the count taken.
   * A count that would overflow the counter stays pending (the writer would block).
   */
  poll(): number {
    const s = this.shared;
    // Only the release sets HUNG_UP (on this thread), so while open the word is a plain count.
    if (s === null || this.released) return 0;
    const k = Atomics.exchange(s.counts, SLOT_PENDING, 0n);
    if (k === 0n) return 0;
    if (this.counterBig + k > EVENTFD_MAX) {
      // Put it back (saturating below HUNG_UP; workers may have added meanwhile).
      let cur = Atomics.load(s.counts, SLOT_PENDING);
      for (;;) {
        const next = cur + k > MAX_PENDING ? MAX_PENDING : cur + k;
        const seen = Atomics.compareExchange(s.counts, SLOT_PENDING, cur, next);
        if (seen === cur) break;
        cur = seen;
      }
      return 0;
    }
    this.write(k);
    return Number(k);
  }

  /**
   * Live use: polls whenever a worker signals (Atomics.waitAsync on the shared word) until
   * the returned stop function is called or the eventfd is closed. A pending watch does not
   * keep Node's event loop alive.
   */
  watch(): () => void {
    this.shareable();
    const s = this.shared!;
    let stopped = false;
    this.watchers++;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      this.watchers--;
      Atomics.notify(s.words, SLOT_SEQ);
    };
    const loop = (): void => {
      if (stopped) return;
      if (this.released) return stop();
      const seq = Atomics.load(s.words, SLOT_SEQ);
      this.poll();
      const w = waitAsync(s.words, SLOT_SEQ, seq);
      if (w.async) void w.value.then(loop);
      else setImmediate(loop);
    };
    loop();
    return stop;
  }
}

function toU64(v: number | bigint): bigint {
  if (typeof v === "bigint") {
    if (v < 0n || v > 0xffffffffffffffffn) fail(Errno.EINVAL, `eventfd write of ${v}: not a u64`);
    return v;
  }
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 2 ** 64) fail(Errno.EINVAL, `eventfd write of ${show(v)}: not a u64`);
  return v >= 2 ** 64 ? 0xffffffffffffffffn : BigInt(v);
}

/** An eventfd descriptor. Created with `EventFd.create()`; `dup()` keeps the file alive. */
export class EventFd extends FileHandle<EventFdFile> {
  /**
   * eventfd2(initval, flags) in `process` (default Process.current()). Flags other than
   * EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC, or an initval that is not a u32, are EINVAL.
   */
  static create(initval = 0, flags = 0, process: Process = Process.current()): EventFd {
    if (!Number.isInteger(flags) || flags < 0 || (flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC)) !== 0) {
      fail(Errno.EINVAL, `eventfd flags ${showFlags(flags)} (EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC)`);
    }
    if (!Number.isInteger(initval) || initval < 0 || initval > 0xffffffff) {
      fail(Errno.EINVAL, `eventfd initval ${show(initval)} is not an unsigned int`);
    }
    return process.install(new EventFdFile(initval, flags), (p, fd, f) => new EventFd(p, fd, f));
  }

  /** eventfd_ctx_fdget(): the eventfd behind descriptor `fd` (EBADF; EINVAL if not an eventfd). */
  static fromFd(fd: number, process: Process = Process.current()): EventFd {
    const h = process.get(fd);
    if (!(h.file instanceof EventFdFile)) fail(Errno.EINVAL, `descriptor ${fd} (${h.file.kind}) is not an eventfd`);
    return h as EventFd;
  }

  get counter(): number {
    return this.file.counter;
  }

  get counterBig(): bigint {
    return this.file.counterBig;
  }

  get semaphore(): boolean {
    return this.file.semaphore;
  }

  /** write(2) of 8 bytes. EBADF when closed. */
  write(v: number | bigint = 1): void {
    this.checkOpen();
    this.file.write(v);
  }

  /** read(2): the count (1 for a semaphore) as a number; EAGAIN when 0. */
  read(): number {
    return Number(this.readBig());
  }

  readBig(): bigint {
    this.checkOpen();
    return this.file.readBig();
  }

  /** Folds worker signals into the counter now (see EventFdFile.poll). */
  poll(): number {
    this.checkOpen();
    return this.file.poll();
  }

  /** The transferable descriptor a worker passes to `EventFdSignaller.fromShareable`. */
  shareable(): EventFdShareable {
    this.checkOpen();
    return this.file.shareable();
  }

  /** Async polling for live use (see EventFdFile.watch). */
  watch(): () => void {
    this.checkOpen();
    return this.file.watch();
  }

  /** Called on every write while no irqfd is bound, and on hang-up. */
  onReadable(fn: EventFdListener): () => void {
    return this.file.listen(fn);
  }
}
