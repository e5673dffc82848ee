/**
 * A device model in a worker thread, for tests and benchmarks: signals an eventfd `count`
 * times (in `batch`-sized writes) through its shareable descriptor, then posts
 * `{ sent, hungUp }`. Run the built file: `new Worker(".../dist/testing/signal-worker.js",
 * { workerData: { shareable: efd.shareable(), count, batch } })`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { EventFdSignaller, type EventFdShareable } from "../eventfd-signaller.js";

interface SignalWorkerData {
  shareable: EventFdShareable;
  count: number;
  batch?: number;
}

if (parentPort !== null && workerData !== null && typeof workerData === "object" && "shareable" in workerData) {
  const data = workerData as SignalWorkerData;
  const signaller = EventFdSignaller.fromShareable(data.shareable);
  const batch = data.batch ?? 1;
  let sent = 0;
  while (sent < data.count) {
    const n = Math.min(batch, data.count - sent);
    if (!signaller.signal(n)) break;
    sent += n;
  }
  parentPort.postMessage({ sent, hungUp: signaller.hungUp });
}
