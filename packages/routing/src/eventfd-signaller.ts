/**
 * The worker-thread side of an eventfd. A device model running in a `worker_threads` worker
 * cannot touch the main thread's objects; it gets a transferable descriptor
 * (`EventFd.shareable()`), wraps it with `EventFdSignaller.fromShareable()` and calls
 * `signal(n)`, which is eventfd's write(n): the value is added to a shared pending count
 * (Atomics.compareExchange) and the main thread is woken (Atomics.notify). The main thread folds the
 * pending count into the eventfd with `efd.poll()` / `routing.pollEventfds()` or an async
 * watcher (`efd.watch()`), and an irqfd bound to the eventfd then injects.
 *
 * This module imports nothing, so a worker can load it alone
 * (`import { EventFdSignaller } from "@irqlab/routing/signaller"`).
 *
 * Shared layout (24 bytes):
 *   BigUint64 [0] pending   bits 0..62: count written by workers, not yet taken by the main
 *                           thread; bit 63 (HUNG_UP): the eventfd's last descriptor closed
 *   BigUint64 [1] sent      every count ever written by workers (monotonic, for accounting)
 *   Int32     [4] seq       bumped on every signal (the Atomics.wait/notify word)
 *
 * Race-freedom: a worker adds with a compare-exchange that fails once HUNG_UP is set; the main
 * thread takes the count with one exchange (poll: -> 0; last close: -> HUNG_UP, in the same
 * atomic step). So every signal either lands in exactly one take (signal() returned true) or
 * sees the hang-up and adds nothing (false): none is lost, none is counted twice. The main
 * thread reads `seq` before it takes, so a signal that lands after the take changes `seq` and
 * wakes a watcher's Atomics.waitAsync.
 */

export const SHARED_EVENTFD_BYTES = 24;
export const SLOT_PENDING = 0;
export const SLOT_SENT = 1;
/** Int32 index (byte offset 16). */
export const SLOT_SEQ = 4;
/** Bit 63 of the pending word: set (by the main thread, once) when the eventfd is released. */
export const HUNG_UP = 1n << 63n;
/** The largest pending count (a signal that would pass it adds nothing: the writer would block). */
export const MAX_PENDING = HUNG_UP - 1n;

/** What `EventFd.shareable()` returns: structured-cloneable, safe to post to a worker. */
export interface EventFdShareable {
  readonly kind: "irqlab.eventfd";
  /** Eventfd id (for messages). */
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
}

export function isEventFdShareable(x: unknown): x is EventFdShareable {
  return (
    typeof x === "object" &&
    x !== null &&
    (x as EventFdShareable).kind === "irqlab.eventfd" &&
    (x as EventFdShareable).buffer instanceof SharedArrayBuffer &&
    (x as EventFdShareable).buffer.byteLength >= SHARED_EVENTFD_BYTES
  );
}

export class EventFdSignaller {
  private readonly counts: BigUint64Array;
  private readonly words: Int32Array;

  private constructor(readonly id: number, buffer: SharedArrayBuffer) {
    this.counts = new BigUint64Array(buffer, 0, 2);
    this.words = new Int32Array(buffer, 0, 5);
  }

  static fromShareable(x: EventFdShareable): EventFdSignaller {
    if (!isEventFdShareable(x)) throw new TypeError("not an eventfd shareable descriptor (EventFd.shareable())");
    return new EventFdSignaller(x.id, x.buffer);
  }

  /** Whether the eventfd has been closed (its last descriptor): signals go nowhere then. */
  get hungUp(): boolean {
    return (Atomics.load(this.counts, SLOT_PENDING) & HUNG_UP) !== 0n;
  }

  /**
   * write(n) from a worker: adds `n` (a positive safe integer) and wakes the main thread.
   * Returns false, adding nothing, when the eventfd has been closed (or, absurdly, when 2^63
   * counts are already waiting for the main thread: the writer would block; poll, then retry).
   */
  signal(n = 1): boolean {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`eventfd signal ${n}: a positive safe integer`);
    const v = BigInt(n);
    const c = this.counts;
    let cur = Atomics.load(c, SLOT_PENDING);
    for (;;) {
      if ((cur & HUNG_UP) !== 0n || cur + v > MAX_PENDING) return false;
      const seen = Atomics.compareExchange(c, SLOT_PENDING, cur, cur + v);
      if (seen === cur) break;
      cur = seen;
    }
    Atomics.add(c, SLOT_SENT, v);
    Atomics.add(this.words, SLOT_SEQ, 1);
    Atomics.notify(this.words, SLOT_SEQ);
    return true;
  }
}
