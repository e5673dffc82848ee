import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { EventFd, EventFdSignaller, createRoutingTestVm, irqchipRoute, isEventFdShareable } from "./index.js";

// Workers run plain JavaScript: the built worker (tsc -b runs before the tests).
const workerUrl = new URL("../dist/testing/signal-worker.js", import.meta.url);
const signallerBuilt = existsSync(fileURLToPath(workerUrl));

function runWorker(data: Record<string, unknown>): { worker: Worker; done: Promise<{ sent: number; hungUp: boolean }> } {
  const worker = new Worker(workerUrl, { workerData: data });
  const done = new Promise<{ sent: number; hungUp: boolean }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return { worker, done };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe("eventfd across worker threads", () => {
  it("the worker side needs the built package (pnpm build / tsc -b runs before the tests)", () => {
    expect(signallerBuilt).toBe(true);
  });

  it(
    "two workers signal one irqfd 10^6 times in total: injections + coalesced account for every signal, none lost",
    async () => {
      const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke", chip: { record: false } });
      routing.setGsiRouting([irqchipRoute(3, 0, 3)]);
      const efd = EventFd.create();
      routing.irqfd({ fd: efd, gsi: 3 });
      const total = 1_000_000;
      const shareable = efd.shareable();
      expect(isEventFdShareable(shareable)).toBe(true);
      const workers = [runWorker({ shareable, count: total / 2 }), runWorker({ shareable, count: total / 2 })];
      let finished = false;
      const all = Promise.all(workers.map((w) => w.done)).then((r) => {
        finished = true;
        return r;
      });
      // The main thread is the VM: it delivers at its own poll points.
      while (!finished || efd.file.pending > 0) {
        routing.pollEventfds();
        await tick();
      }
      const results = await all;
      routing.pollEventfds();
      expect(results.reduce((s, r) => s + r.sent, 0)).toBe(total);
      expect(efd.file.sentByWorkers).toBe(total);
      const c = routing.irqfdOf(efd)!.counters;
      expect(c.signals).toBe(total);
      expect(c.injections + c.coalesced).toBe(total);
      expect(c.injections).toBe(c.wakeups);
      // Each injection is one pulse (two set_irq calls) on the chip.
      expect(chip.irqCalls).toBe(2 * c.injections);
      expect(efd.counter).toBe(0);
      expect(efd.file.pending).toBe(0);
      expect(routing.counters()).toMatchObject({ irqfdSignals: total, irqfdInjections: c.injections, irqfdCoalesced: c.coalesced });
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
    60_000,
  );

  it("watch(): signals from a worker are delivered without explicit polls, and stop() ends the watch", async () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(4, 0, 4)]);
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 4 });
    const stop = efd.watch();
    expect(efd.file.watchers).toBe(1);
    const w = runWorker({ shareable: efd.shareable(), count: 1000, batch: 10 });
    await w.done;
    for (let i = 0; i < 1000 && routing.irqfdOf(efd)!.counters.signals < 1000; i++) await tick();
    expect(routing.irqfdOf(efd)!.counters.signals).toBe(1000);
    expect(chip.pinCalls(4).length).toBe(2 * routing.irqfdOf(efd)!.counters.injections);
    stop();
    expect(efd.file.watchers).toBe(0);
    await w.worker.terminate();
  });

  it("watch(): closing the eventfd ends the watch (the watcher count goes back to 0)", async () => {
    const efd = EventFd.create();
    efd.watch();
    expect(efd.file.watchers).toBe(1);
    efd.close();
    for (let i = 0; i < 5; i++) await tick();
    expect(efd.file.watchers).toBe(0);
  });

  it("a semaphore eventfd signalled by a worker gives one wakeup per poll, taking 1", () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(4, 0, 4)]);
    const efd = EventFd.create(0, 1);
    routing.irqfd({ fd: efd, gsi: 4 });
    const s = EventFdSignaller.fromShareable(efd.shareable());
    s.signal(3);
    expect(efd.file.pending).toBe(3);
    expect(routing.pollEventfds()).toBe(3);
    expect(efd.counter).toBe(2);
    expect(routing.irqfdOf(efd)!.counters).toMatchObject({ wakeups: 1, signals: 1 });
  });

  it("after the eventfd is closed the worker sees the hang-up and its signals go nowhere", async () => {
    const efd = EventFd.create();
    const sh = efd.shareable();
    const s = EventFdSignaller.fromShareable(sh);
    expect(s.signal(2)).toBe(true);
    expect(efd.poll()).toBe(2);
    efd.close();
    expect(s.hungUp).toBe(true);
    expect(s.signal(1)).toBe(false);
    const w = runWorker({ shareable: sh, count: 5 });
    expect(await w.done).toEqual({ sent: 0, hungUp: true });
    await w.worker.terminate();
    expect(() => EventFdSignaller.fromShareable({} as never)).toThrow(TypeError);
    expect(() => s.signal(0)).toThrow(RangeError);
  });

  it("worker signals pending up to 2^63 are folded exactly; one more adds nothing until a poll (no sign wrap, no loss)", () => {
    const efd = EventFd.create();
    const s = EventFdSignaller.fromShareable(efd.shareable());
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < 1024; i++) expect(s.signal(Number.MAX_SAFE_INTEGER)).toBe(true);
    // 1024 * (2^53 - 1) is just below 2^63: the next one would block, so it adds nothing.
    expect(s.signal(Number.MAX_SAFE_INTEGER)).toBe(false);
    efd.poll();
    expect(efd.counterBig).toBe(1024n * max);
    expect(efd.file.pending).toBe(0);
    expect(s.signal(Number.MAX_SAFE_INTEGER)).toBe(true);
    efd.poll();
    expect(efd.counterBig).toBe(1025n * max);
    expect(efd.file.sentByWorkers).toBe(Number(1025n * max));
  });

  it("a signal made before the last close reaches the bound irqfd: the close takes the pending count, then hangs up", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(4, 0, 4)]);
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 4 });
    const s = EventFdSignaller.fromShareable(efd.shareable());
    expect(s.signal(2)).toBe(true);
    efd.close();
    expect(chip.pinCalls(4)).toEqual([[1, 0], [0, 0]]);
    expect(routing.counters()).toMatchObject({ irqfds: 0, irqfdSignals: 2 });
    expect(s.hungUp).toBe(true);
    expect(s.signal(1)).toBe(false);
  });

  it("race: a worker signalling while the main thread closes the eventfd — every signal it was told went through is delivered", async () => {
    const { routing } = createRoutingTestVm({ arch: "ppc-booke", chip: { record: false } });
    routing.setGsiRouting([irqchipRoute(3, 0, 3)]);
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 3 });
    const w = runWorker({ shareable: efd.shareable(), count: 1e12 });
    // Let the worker run, poll a few times, then close while it is still signalling.
    const sleep = () => new Promise<void>((r) => setTimeout(r, 2));
    for (let i = 0; i < 2500 && efd.file.sentByWorkers < 10_000; i++) await sleep();
    routing.pollEventfds();
    for (let i = 0; i < 3; i++) await tick();
    efd.close();
    const { sent, hungUp } = await w.done;
    await w.worker.terminate();
    expect(hungUp).toBe(true);
    expect(sent).toBeGreaterThan(0);
    // Exactly what the worker's signal() calls reported as added, no more, no less.
    expect(routing.counters().irqfdSignals).toBe(sent);
  });

  it("assign sees what a worker signalled before it: one assign-time injection, the count stays (as [routing-26])", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(4, 0, 4)]);
    const efd = EventFd.create();
    EventFdSignaller.fromShareable(efd.shareable()).signal(3);
    routing.irqfd({ fd: efd, gsi: 4 });
    expect(chip.pinCalls(4)).toEqual([[1, 0], [0, 0]]);
    expect(efd.counter).toBe(3);
    expect(efd.file.pending).toBe(0);
  });

  it("de-assign first delivers what workers signalled before it", () => {
    const { routing, chip } = createRoutingTestVm({ arch: "ppc-booke" });
    routing.setGsiRouting([irqchipRoute(4, 0, 4)]);
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 4 });
    EventFdSignaller.fromShareable(efd.shareable()).signal(1);
    routing.irqfd({ fd: efd, gsi: 4, flags: 1 });
    expect(chip.pinCalls(4)).toEqual([[1, 0], [0, 0]]);
  });
});
