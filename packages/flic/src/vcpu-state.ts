/**
 * The per-vCPU side the FLIC needs (a minimal but faithful slice of the SIE control block):
 * the PSW interruption masks, CR0/CR6/CR14, the local emergency-signal state (SIGP emergency
 * signal, the s390 IPI), and the record of the last delivered interruption.
 *
 * Line mapping: `vcpu.ext` is asserted while an external (service signal, virtio, pfault done,
 * emergency signal) or I/O interruption is deliverable to this vCPU; `vcpu.mcheck` while the
 * repressible machine check is.
 */
import type { Vcpu } from "@irqlab/core";
import { enabledClasses } from "./priority.js";

/** Control-register and PSW settings, as given to `setVcpuControl` (omitted = unchanged). */
export interface VcpuControl {
  /** 64-bit control registers (only the low 32 bits gate interruptions). */
  cr0?: bigint | number;
  cr6?: bigint | number;
  cr14?: bigint | number;
  /** PSW I/O, external and machine-check masks. */
  ioEnabled?: boolean;
  extEnabled?: boolean;
  mcheckEnabled?: boolean;
}

/** The settings in force (all fields present). */
export interface VcpuControlState {
  cr0: bigint;
  cr6: bigint;
  cr14: bigint;
  ioEnabled: boolean;
  extEnabled: boolean;
  mcheckEnabled: boolean;
}

export type DeliveredKind = "io" | "service" | "virtio" | "pfault-done" | "mchk" | "emergency";

/**
 * What a delivery wrote to the guest (lowcore fields), owned by the vCPU state and overwritten
 * by the next delivery on that vCPU (no allocation per interrupt): copy it to keep it.
 */
export class DeliveredIrq {
  kind: DeliveredKind = "io";
  /** Priority class (priority.ts). */
  cls = 0;
  /** KVM type code of what was delivered (KVM_S390_INT_IO(...), KVM_S390_INT_SERVICE ...). */
  type = 0;
  /** External interruption: code and CPU-address field; params (u32) and params2 (u64). */
  extCode = 0;
  cpuAddr = 0;
  extParams = 0;
  extParams2Hi = 0;
  extParams2Lo = 0;
  /** I/O interruption: subchannel id/nr, interruption parameter and word; isc from the word. */
  subchannelId = 0;
  subchannelNr = 0;
  ioIntParm = 0;
  ioIntWord = 0;
  isc = 0;
  /** Adapter (AI) I/O interruption. */
  adapter = false;
  /** Machine check: merged cr14 and mcic. */
  mchkCr14 = 0n;
  mchkMcic = 0n;

  get extParams2(): bigint {
    return (BigInt(this.extParams2Hi) << 32n) | BigInt(this.extParams2Lo);
  }

  /** A plain copy (for tests and logs; allocates). */
  toJSON(): Record<string, unknown> {
    switch (this.kind) {
      case "io":
        return {
          kind: this.kind,
          type: this.type,
          subchannelId: this.subchannelId,
          subchannelNr: this.subchannelNr,
          ioIntParm: this.ioIntParm,
          ioIntWord: this.ioIntWord,
          isc: this.isc,
          adapter: this.adapter,
        };
      case "mchk":
        return { kind: this.kind, type: this.type, cr14: this.mchkCr14, mcic: this.mchkMcic };
      default:
        return {
          kind: this.kind,
          type: this.type,
          extCode: this.extCode,
          cpuAddr: this.cpuAddr,
          extParams: this.extParams,
          extParams2: this.extParams2,
        };
    }
  }
}

export class FlicVcpu {
  cr0 = 0n;
  cr6 = 0n;
  cr14 = 0n;
  ioEnabled = false;
  extEnabled = false;
  mcheckEnabled = false;
  /** Classes this vCPU accepts (enabledClasses of the settings above). */
  enabled = 0;
  /** Low 32 bits of CR14, for the repressible machine-check test. */
  cr14Low = 0;
  /** Local pending classes (only the emergency signal is modelled). */
  localPending = 0;
  /** sigp_emerg_pending: one flag per source CPU address. */
  readonly emergencyFrom: Uint8Array;
  emergencyCount = 0;
  readonly last = new DeliveredIrq();
  /** Deliveries taken by this vCPU. */
  delivered = 0;

  constructor(
    readonly vcpu: Vcpu,
    nrVcpus: number,
  ) {
    this.emergencyFrom = new Uint8Array(Math.max(1, nrVcpus));
    this.recompute();
  }

  apply(c: VcpuControl): void {
    if (c.cr0 !== undefined) this.cr0 = BigInt.asUintN(64, BigInt(c.cr0));
    if (c.cr6 !== undefined) this.cr6 = BigInt.asUintN(64, BigInt(c.cr6));
    if (c.cr14 !== undefined) this.cr14 = BigInt.asUintN(64, BigInt(c.cr14));
    if (c.ioEnabled !== undefined) this.ioEnabled = c.ioEnabled;
    if (c.extEnabled !== undefined) this.extEnabled = c.extEnabled;
    if (c.mcheckEnabled !== undefined) this.mcheckEnabled = c.mcheckEnabled;
    this.recompute();
  }

  state(): VcpuControlState {
    return {
      cr0: this.cr0,
      cr6: this.cr6,
      cr14: this.cr14,
      ioEnabled: this.ioEnabled,
      extEnabled: this.extEnabled,
      mcheckEnabled: this.mcheckEnabled,
    };
  }

  private recompute(): void {
    const low = (v: bigint): number => Number(v & 0xffffffffn);
    this.enabled = enabledClasses({
      extEnabled: this.extEnabled,
      ioEnabled: this.ioEnabled,
      mcheckEnabled: this.mcheckEnabled,
      cr0: low(this.cr0),
      cr6: low(this.cr6),
    });
    this.cr14Low = low(this.cr14);
  }
}
