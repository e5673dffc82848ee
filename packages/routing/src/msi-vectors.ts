/**
 * MSI vectors through irqfds, done the way the pitfalls say (patterns.md 5 and 6):
 *
 *   GsiAllocator   GSIs come from a range and are taken on a vector's first unmask, given back
 *                  on dispose (eager per-vector allocation runs out of KVM_MAX_IRQ_ROUTES).
 *   MaskableIrqfd  one vector: its message, its eventfd, its GSI, masked or not.
 *                    mask:    detach the irqfd, then commit the routes (the route goes away);
 *                             signals while masked stay in the eventfd (pending, not lost)
 *                    unmask:  commit the routes, then attach the irqfd; a pending count is
 *                             injected once by the attach (KVM's assign-time injection)
 *
 * The allocator owns its GSI range in the VM's table: a commit keeps every entry outside the
 * range as it is and replaces the range's entries with the unmasked vectors' routes.
 */
import { Errno, KVM_IRQ_ROUTING_MSI, fail, type MsiMessage, type RoutingEntry } from "@irqlab/core";
import { KVM_MAX_IRQ_ROUTES } from "./constants.js";
import type { EventFd } from "./eventfd.js";
import type { GsiRouting } from "./gsi-routing.js";

export class GsiAllocator {
  private readonly used = new Set<number>();
  private readonly routes = new Map<number, RoutingEntry>();
  private nextHint: number;

  /** Owns GSIs [base, limit) of `routing`'s table. */
  constructor(
    readonly routing: GsiRouting,
    readonly base = 0,
    readonly limit = KVM_MAX_IRQ_ROUTES,
  ) {
    if (!Number.isInteger(base) || !Number.isInteger(limit) || base < 0 || limit > KVM_MAX_IRQ_ROUTES || base >= limit) {
      fail(Errno.EINVAL, `GSI range [${base}, ${limit}) (within 0..${KVM_MAX_IRQ_ROUTES})`);
    }
    this.nextHint = base;
  }

  /** A free GSI of the range; ENOSPC when all are taken. */
  allocate(): number {
    const span = this.limit - this.base;
    for (let i = 0; i < span; i++) {
      const g = this.base + ((this.nextHint - this.base + i) % span);
      if (!this.used.has(g)) {
        this.used.add(g);
        this.nextHint = g + 1 >= this.limit ? this.base : g + 1;
        return g;
      }
    }
    fail(Errno.ENOSPC, `all ${span} GSIs of [${this.base}, ${this.limit}) are allocated`);
  }

  /** Gives `gsi` back (its route, if any, leaves at the next commit). */
  free(gsi: number): void {
    this.used.delete(gsi);
    this.routes.delete(gsi);
  }

  get allocated(): number {
    return this.used.size;
  }

  /** Sets (or with null removes) the route of an allocated GSI; takes effect at `commit`. */
  setRoute(gsi: number, entry: RoutingEntry | null): void {
    if (!this.used.has(gsi)) fail(Errno.EINVAL, `GSI ${gsi} is not allocated here`);
    if (entry === null) this.routes.delete(gsi);
    else this.routes.set(gsi, entry);
  }

  /** KVM_SET_GSI_ROUTING with this range's routes and everyone else's entries unchanged. */
  commit(): void {
    const keep = this.routing.getGsiRouting().filter((e) => e.gsi < this.base || e.gsi >= this.limit) as RoutingEntry[];
    this.routing.setGsiRouting([...keep, ...this.routes.values()]);
  }
}

export class MaskableIrqfd {
  private gsi_ = -1;
  private masked_ = true;
  private disposed = false;

  constructor(
    readonly allocator: GsiAllocator,
    readonly eventfd: EventFd,
    private message: MsiMessage,
  ) {}

  /** The GSI, or -1 before the first unmask and after dispose. */
  get gsi(): number {
    return this.gsi_;
  }

  get masked(): boolean {
    return this.masked_;
  }

  /** Signals that arrived while masked and wait for the unmask. */
  get pending(): number {
    return this.masked_ ? this.eventfd.counter : 0;
  }

  /** Changes the message; an unmasked vector's route is committed now (a refused one changes nothing). */
  setMessage(msg: MsiMessage): void {
    const old = this.message;
    this.message = { ...msg };
    if (!this.masked_ && !this.disposed) {
      this.allocator.setRoute(this.gsi_, this.route(this.gsi_));
      try {
        this.allocator.commit();
      } catch (e) {
        this.message = old;
        this.allocator.setRoute(this.gsi_, this.route(this.gsi_));
        throw e;
      }
    }
  }

  /**
   * Routes first, then the irqfd (which injects a pending count once). A failure (the commit's
   * errno, or the irqfd's, e.g. EBUSY) undoes both and leaves the vector masked.
   */
  unmask(): void {
    if (this.disposed) fail(Errno.EBADF, "MSI vector is disposed");
    if (!this.masked_) return;
    const fresh = this.gsi_ < 0;
    const gsi = fresh ? this.allocator.allocate() : this.gsi_;
    this.allocator.setRoute(gsi, this.route(gsi));
    let committed = false;
    try {
      this.allocator.commit();
      committed = true;
      this.allocator.routing.irqfd({ fd: this.eventfd, gsi });
    } catch (e) {
      this.allocator.setRoute(gsi, null);
      if (committed) this.allocator.commit();
      if (fresh) this.allocator.free(gsi);
      throw e;
    }
    this.gsi_ = gsi;
    this.masked_ = false;
  }

  /** The irqfd first (signals now stay in the eventfd), then the routes. */
  mask(): void {
    if (this.masked_ || this.disposed) return;
    this.allocator.routing.irqfd({ fd: this.eventfd, gsi: this.gsi_, flags: 1 });
    this.masked_ = true;
    this.allocator.setRoute(this.gsi_, null);
    this.allocator.commit();
  }

  /** Masks and gives the GSI back. */
  dispose(): void {
    if (this.disposed) return;
    this.mask();
    if (this.gsi_ >= 0) this.allocator.free(this.gsi_);
    this.gsi_ = -1;
    this.disposed = true;
  }

  private route(gsi: number): RoutingEntry {
    const m = this.message;
    return {
      gsi,
      type: KVM_IRQ_ROUTING_MSI,
      flags: m.flags,
      msi: { addressLo: m.addressLo, addressHi: m.addressHi, data: m.data, flags: m.flags, devid: m.devid },
    };
  }
}
