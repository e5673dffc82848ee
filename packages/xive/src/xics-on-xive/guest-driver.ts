/**
 * The guest driver for XICS-on-XIVE: the guest cannot tell the backends apart, so it is
 * Linux's pseries XICS driver (icp-hv.c + ics-rtas.c), i.e. @irqlab/xics's XicsGuestDriver,
 * registered under its own id for the comparison runner.
 */
import { KVM_DEV_TYPE_XICS, type GuestDriverContribution, type Vm } from "@irqlab/core";
import { XicsGuestDriver } from "@irqlab/xics";

export const xicsOnXiveGuestDriverContribution: GuestDriverContribution = {
  id: "xics-on-xive",
  label: "XICS on XIVE",
  arch: "ppc64",
  deviceType: KVM_DEV_TYPE_XICS,
  attach: (vm: Vm) => new XicsGuestDriver(vm),
};
