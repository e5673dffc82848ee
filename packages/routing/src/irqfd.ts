/**
 * irqfd (struct kvm_kernel_irqfd) and its resampler (struct kvm_kernel_irqfd_resampler).
 *
 *   eventfd.write(n) ──wakeup──> Irqfd: take the count (all, or 1 for EFD_SEMAPHORE)
 *        │                         └─> host.irqfdSignalled: inject
 *        │                               plain:     set_irq(src 0, gsi, 1); set_irq(src 0, gsi, 0)
 *        │                               resample:  set_irq(src 1, gsi, 1)   (line held)
 *        └─ close (last fd) ─hangup─> host.irqfdHangup: shut the irqfd down
 *
 *   guest EOI ─> ackNotifiers ─> (irqchip, pin) -> gsi ─> Resampler.ack:
 *        set_irq(src 1, gsi, 0) once, then +1 on every resamplefd of that GSI
 *
 * One Resampler per GSI per VM, shared by every RESAMPLE irqfd on that GSI (they share source
 * id 1); the last one leaving de-asserts the GSI on source 1 without signalling resamplefds.
 */
import type { EventFdFile, EventFdWaiter } from "./eventfd.js";

/** What an irqfd calls back into (GsiRouting). */
export interface IrqfdHost {
  irqfdSignalled(irqfd: Irqfd, signals: number): void;
  irqfdHangup(irqfd: Irqfd): void;
}

export class Resampler {
  /** RESAMPLE irqfds on this GSI (replaced, never mutated, so an ack can walk a stable list). */
  irqfds: readonly Irqfd[] = [];
  /** Acks seen (each de-asserts once and signals every resamplefd). */
  acks = 0;
  /** Removes the ack notifier. */
  unregister: () => void = () => {};

  constructor(readonly gsi: number) {}
}

export class Irqfd implements EventFdWaiter {
  /** False once de-assigned, hung up or its VM destroyed. */
  active = true;
  /** Wakeups handled (each injects once). */
  wakeups = 0;
  /** Counts consumed from the eventfd by those wakeups. */
  signals = 0;
  /** Signals merged into another signal's injection (signals - wakeups, over non-empty wakeups). */
  coalesced = 0;
  /** Injections performed (wakeups + the one for a count pending at assign). */
  injections = 0;

  constructor(
    readonly host: IrqfdHost,
    readonly eventfd: EventFdFile,
    readonly gsi: number,
    readonly resampler: Resampler | null,
    readonly resamplefd: EventFdFile | null,
  ) {}

  get resample(): boolean {
    return this.resampler !== null;
  }

  /** irqfd_wakeup(EPOLLIN): consume like read(), then inject. */
  wakeup(file: EventFdFile): void {
    const n = file.take();
    this.wakeups++;
    this.signals += n;
    if (n > 1) this.coalesced += n - 1;
    this.host.irqfdSignalled(this, n);
  }

  /** irqfd_wakeup(EPOLLHUP). */
  hangup(): void {
    this.host.irqfdHangup(this);
  }

  counters(): Record<string, number> {
    return {
      wakeups: this.wakeups,
      signals: this.signals,
      coalesced: this.coalesced,
      injections: this.injections,
    };
  }
}
