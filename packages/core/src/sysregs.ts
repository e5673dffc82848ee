/**
 * A vCPU's system registers as the guest reaches them: arm64 ICC_* (GICv3 CPU interface),
 * RISC-V CSRs (IMSIC's indirect registers). A controller plugin registers the registers it
 * implements when a vCPU is connected; each access costs what the registration says
 * (`trapped`: a guest exit counted in ExitStats.sysregTraps; direct: ExitStats.directAccesses).
 * Unregistered ids read as 0 and ignore writes (an UNDEFINED access the model does not raise),
 * counted as trapped.
 */
import type { ExitStats } from "./exit-stats.js";
import { Errno, fail } from "./kvm-error.js";
import type { Vcpu } from "./vcpu.js";
import { SYSREG_UNIMPLEMENTED, type Sysreg } from "./vm-contributions.js";

export class SysregTable {
  private readonly regs = new Map<number, Sysreg>();

  constructor(
    private readonly vcpu: Vcpu,
    private readonly stats: ExitStats,
  ) {}

  /** Registers `reg` under `id` (EEXIST when taken, EINVAL for a non-integer id). */
  register(id: number, reg: Sysreg): void {
    if (!Number.isSafeInteger(id) || id < 0) fail(Errno.EINVAL, `system register id ${String(id)}`);
    if (this.regs.has(id)) fail(Errno.EEXIST, `system register 0x${id.toString(16)} is registered (${this.regs.get(id)!.name})`);
    this.regs.set(id, reg);
  }

  unregister(id: number): void {
    this.regs.delete(id);
  }

  has(id: number): boolean {
    return this.regs.has(id);
  }

  /** The registration, for drivers that access one register in a loop (no lookup per access). */
  lookup(id: number): Sysreg | undefined {
    return this.regs.get(id);
  }

  ids(): number[] {
    return [...this.regs.keys()];
  }

  read(id: number): number {
    const r = this.regs.get(id);
    if (r === undefined) {
      this.stats.sysregTraps++;
      return SYSREG_UNIMPLEMENTED;
    }
    if (r.trapped) this.stats.sysregTraps++;
    else this.stats.directAccesses++;
    return r.read(this.vcpu);
  }

  write(id: number, value: number | bigint): void {
    const r = this.regs.get(id);
    if (r === undefined) {
      this.stats.sysregTraps++;
      return;
    }
    if (r.trapped) this.stats.sysregTraps++;
    else this.stats.directAccesses++;
    r.write(this.vcpu, value);
  }
}
