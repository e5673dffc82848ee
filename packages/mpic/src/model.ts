/**
 * The two FSL MPIC models KVM emulates and what differs between them (mpic.md §1):
 * block revision, the NIRQ count FRR reports, where critical routing lives (IDR CI bits on
 * v2.0, ILR on v4.2), the writable GCR mode bits and whether external proxy (EPR) exists.
 */
import { KVM_DEV_TYPE_FSL_MPIC_20, KVM_DEV_TYPE_FSL_MPIC_42 } from "@irqlab/core";
import { GCR_MODE_MIXED, GCR_MODE_PROXY } from "./constants.js";

export interface MpicModel {
  /** KVM_DEV_TYPE_FSL_MPIC_20 (1) or KVM_DEV_TYPE_FSL_MPIC_42 (2). */
  readonly type: number;
  /** "2.0" / "4.2". */
  readonly version: string;
  /** BRR1 (offset 0x0). */
  readonly brr1: number;
  /** nb_irqs as FRR[NIRQ] reports it (+1); the real source count is 264 for both. */
  readonly nbIrqs: number;
  /** IDR carries EP and critical-interrupt (CI) bits (v2.0). */
  readonly idrCrit: boolean;
  /** Sources have an ILR selecting the output (v4.2). */
  readonly ilr: boolean;
  /** GCR bits a write keeps. */
  readonly modeMask: number;
  /** External proxy delivery (EPR) is enabled on connected vCPUs (v4.2). */
  readonly proxyCapable: boolean;
}

export const MPIC_20: MpicModel = Object.freeze({
  type: KVM_DEV_TYPE_FSL_MPIC_20,
  version: "2.0",
  brr1: 0x00400200,
  nbIrqs: 80,
  idrCrit: true,
  ilr: false,
  modeMask: GCR_MODE_MIXED,
  proxyCapable: false,
});

export const MPIC_42: MpicModel = Object.freeze({
  type: KVM_DEV_TYPE_FSL_MPIC_42,
  version: "4.2",
  brr1: 0x00400402,
  nbIrqs: 196,
  idrCrit: false,
  ilr: true,
  modeMask: GCR_MODE_PROXY,
  proxyCapable: true,
});

/** The model for a device type, or undefined (mpic_create answers ENODEV). */
export function modelForType(type: number): MpicModel | undefined {
  return type === KVM_DEV_TYPE_FSL_MPIC_20 ? MPIC_20 : type === KVM_DEV_TYPE_FSL_MPIC_42 ? MPIC_42 : undefined;
}
