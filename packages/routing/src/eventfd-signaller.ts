/**
 * The worker-thread side of an eventfd. A device model running in a `worker_threads` worker
 * cannot touch the main thread's objects; it gets a transferable descriptor
 * (`EventFd.shareable()`), wraps it with `EventFdSignaller.fromShareable()` and calls
 * `signal(n)`, which is eventfd's write(n): the value is added to a shared pending count
 * (Atomics.add) and the main thread is woken (Atomics.notify). The main thread folds the
 * pending count into the eventfd with `efd.poll()` / `routing.pollEventfds()` or an async
 * watcher (`efd.watch()`), and an irqfd bound to the eventfd then injects.
 *
 * This module imports nothing, so a worker can load it alone
 * (`import { EventFdSignaller } from "@irqlab/routing/signaller"`).
 *
 * Shared layout (24 bytes):
 *   BigInt64 [0] pending   count written by workers, not yet taken by the main thread
 *   BigInt64 [1] sent      every count ever written by workers (monotonic, for accounting)
 *   Int32    [4] seq       bumped on every signal (the Atomics.wait/notify word)
 *   Int32    [5] hungUp    1 once the eventfd's last descriptor closed
 */

export const SHARED_EVENTFD_BYTES = 24;
export const SLOT_PENDING = 0;
export const SLOT_SENT = 1;
/** Int32 indexes (byte offset 16 and 20). */
export const SLOT_SEQ = 4;
export const SLOT_HUNG_UP = 5;

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
  private readonly counts: BigInt64Array;
  private readonly words: Int32Array;

  private constructor(readonly id: number, buffer: SharedArrayBuffer) {
    this.counts = new BigInt64Array(buffer, 0, 2);
    this.words = new Int32Array(buffer, 0, 6);
  }

  static fromShareable(x: EventFdShareable): EventFdSignaller {
    if (!isEventFdShareable(x)) throw new TypeError("not an eventfd shareable descriptor (EventFd.shareable())");
    return new EventFdSignaller(x.id, x.buffer);
  }

  /** Whether the eventfd has been closed (its last descriptor): signals go nowhere then. */
  get hungUp(): boolean {
    return Atomics.load(this.words, SLOT_HUNG_UP) !== 0;
  }

  /**
   * write(n) from a worker: adds `n` (a positive safe integer) and wakes the main thread.
   * Returns false, adding nothing, when the eventfd has been closed.
   */
  signal(n = 1): boolean {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`eventfd signal ${n}: a positive safe integer`);
    if (Atomics.load(this.words, SLOT_HUNG_UP) !== 0) return false;
    const v = BigInt(n);
    Atomics.add(this.counts, SLOT_PENDING, v);
    Atomics.add(this.counts, SLOT_SENT, v);
    Atomics.add(this.words, SLOT_SEQ, 1);
    Atomics.notify(this.words, SLOT_SEQ);
    return true;
  }
}
