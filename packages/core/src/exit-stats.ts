/**
 * What the guest's interrupt handling costs, counted by the guest-side entry points:
 * every hypercall, RTAS call, trapped MMIO access and other instruction intercept (s390 SIGP)
 * is a guest exit, and so are I/O-port accesses and trapped system-register accesses; a load
 * or store on a direct-mapped page (or a system register of a hardware-virtualised interface) (XIVE ESB/TIMA through `mmap`) is not. The comparison runner reads
 * these counters; controllers never need to touch them.
 */
export class ExitStats {
  hcalls = 0;
  rtasCalls = 0;
  /** Other instruction intercepts the guest's interrupt path causes (s390 SIGP for IPIs). */
  intercepts = 0;
  mmioReads = 0;
  mmioWrites = 0;
  /** I/O-port accesses (x86 IN/OUT): each one an exit. */
  pioReads = 0;
  pioWrites = 0;
  /** Trapped system-register / CSR accesses (a software CPU interface). */
  sysregTraps = 0;
  /** Accesses to direct-mapped device pages (no exit). */
  directAccesses = 0;
  /** MMIO accesses no region claimed (KVM would exit to userspace with KVM_EXIT_MMIO). */
  mmioUnhandled = 0;

  get exits(): number {
    return (
      this.hcalls + this.rtasCalls + this.intercepts + this.mmioReads + this.mmioWrites +
      this.pioReads + this.pioWrites + this.sysregTraps
    );
  }

  snapshot(): Record<string, number> {
    return {
      hcalls: this.hcalls,
      rtasCalls: this.rtasCalls,
      intercepts: this.intercepts,
      mmioReads: this.mmioReads,
      mmioWrites: this.mmioWrites,
      pioReads: this.pioReads,
      pioWrites: this.pioWrites,
      sysregTraps: this.sysregTraps,
      directAccesses: this.directAccesses,
      mmioUnhandled: this.mmioUnhandled,
      exits: this.exits,
    };
  }

  reset(): void {
    this.hcalls = this.rtasCalls = this.intercepts = this.mmioReads = this.mmioWrites = 0;
    this.pioReads = this.pioWrites = this.sysregTraps = 0;
    this.directAccesses = this.mmioUnhandled = 0;
  }
}
