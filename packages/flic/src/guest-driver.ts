/**
 * The guest side for `irqlab compare`, shaped like Linux's s390 adapter-interrupt users
 * (drivers/s390/cio/airq.c, virtio_ccw's airq handler):
 *
 *   attach:   create the FLIC, register adapter 0 (ISC 3, swap, maskable), MAP its indicator
 *             and summary pages, enable ISC 3 in every vCPU's CR6 and the PSW I/O, external and
 *             machine-check masks (CR0: service signal, emergency signal, external call).
 *   source i: indicator bit i (MSB-0, swap) of its adapter's indicator page; one summary bit per
 *             adapter; the route is an S390_ADAPTER route. 32768 sources per adapter page, more
 *             sources register more adapters (ids 1, 2, ...) on the same ISC.
 *   service:  take one interruption (the next comes with the next entry); for an adapter I/O interruption,
 *             for every adapter: test-and-clear its summary bit, then clear and handle each set
 *             indicator bit; an emergency signal is an IPI.
 *
 * s390 has no interrupt lines and no level triggering: an adapter interrupt is a message
 * (indicator + summary bit) plus a floating I/O interruption. A "level" source is run as an
 * edge source whose indicator the driver clears when it handles it (no EOI, no resample:
 * adapter routes have no pin for ack notifiers). Floating interruptions cannot be aimed at a
 * vCPU: whichever enabled vCPU takes the I/O interruption handles every pending source, so
 * `spec.vcpu` and `spec.priority` are not used (Linux uses fixed ISCs).
 * IPIs are SIGP emergency signals, modelled as the vCPU-local EMERGENCY class.
 */
import {
  Errno,
  fail,
  IPI_SOURCE,
  KVM_DEV_TYPE_FLIC,
  type DeviceHandle,
  type GuestDriver,
  type GuestDriverContribution,
  type RouteSpec,
  type SourceSpec,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import {
  CR0_EMERGENCY_SIGNAL_SUBMASK,
  CR0_EXTERNAL_CALL_SUBMASK,
  CR0_SERVICE_SIGNAL_SUBMASK,
  CR14_CHANNEL_REPORT_SUBMASK,
  iscToIscBits,
  KVM_DEV_FLIC_ADAPTER_MODIFY,
  KVM_DEV_FLIC_ADAPTER_REGISTER,
  KVM_S390_IO_ADAPTER_MAP,
  MAX_S390_IO_ADAPTERS,
} from "./constants.js";
import { PAGE_SIZE } from "./adapters.js";
import type { FlicDevice } from "./flic-device.js";
import { encodeIoAdapter, encodeIoAdapterReq } from "./structs.js";

/** Linux's I/O subchannel / virtio adapter ISC. */
export const DRIVER_ISC = 3;
/** Guest-physical layout the driver uses. */
export const DRIVER_SUMMARY_PAGE = 0x10000;
export const DRIVER_INDICATOR_BASE = 0x11000;
export const SOURCES_PER_ADAPTER = PAGE_SIZE * 8;

export class FlicGuestDriver implements GuestDriver {
  readonly controller: DeviceHandle;
  readonly flic: FlicDevice;
  /** Indicator bytes in use per driver adapter (index = adapter id). */
  private readonly usedBytes = new Uint32Array(MAX_S390_IO_ADAPTERS);
  private adapterCount = 0;
  /** Summary and indicator words the scans read (their work; a test counter, not a guest exit). */
  scanReads = 0;
  private readonly vm: Vm;

  constructor(vm: Vm) {
    this.vm = vm;
    this.controller = vm.createDevice(KVM_DEV_TYPE_FLIC);
    this.flic = this.controller.backend<FlicDevice>();
    this.addAdapter();
    const control = {
      cr0: BigInt(CR0_SERVICE_SIGNAL_SUBMASK | CR0_EMERGENCY_SIGNAL_SUBMASK | CR0_EXTERNAL_CALL_SUBMASK),
      cr6: BigInt(iscToIscBits(DRIVER_ISC)),
      cr14: BigInt(CR14_CHANNEL_REPORT_SUBMASK),
      ioEnabled: true,
      extEnabled: true,
      mcheckEnabled: true,
    };
    for (const v of vm.vcpus) this.flic.setVcpuControl(v, control);
  }

  static indicatorPage(adapter: number): number {
    return DRIVER_INDICATOR_BASE + adapter * PAGE_SIZE;
  }

  private addAdapter(): number {
    const id = this.adapterCount;
    if (id >= MAX_S390_IO_ADAPTERS) fail(Errno.ENOSPC, `FLIC driver: all ${MAX_S390_IO_ADAPTERS} adapters in use`);
    const endian = this.vm.endian;
    this.controller.setAttr({
      group: KVM_DEV_FLIC_ADAPTER_REGISTER,
      attr: 0,
      addr: encodeIoAdapter({ id, isc: DRIVER_ISC, maskable: 1, swap: 1, flags: 0 }, endian),
    });
    for (const addr of [FlicGuestDriver.indicatorPage(id), DRIVER_SUMMARY_PAGE]) {
      this.controller.setAttr({
        group: KVM_DEV_FLIC_ADAPTER_MODIFY,
        attr: 0,
        addr: encodeIoAdapterReq({ id, type: KVM_S390_IO_ADAPTER_MAP, mask: 0, addr: BigInt(addr) }, endian),
      });
    }
    this.adapterCount++;
    return id;
  }

  configureSource(spec: SourceSpec): RouteSpec {
    if (!Number.isInteger(spec.index) || spec.index < 0) fail(Errno.EINVAL, `FLIC driver: source index ${spec.index}`);
    const adapter = Math.floor(spec.index / SOURCES_PER_ADAPTER);
    const bit = spec.index % SOURCES_PER_ADAPTER;
    // Checked before registering the adapters in between (a refused source registers none).
    if (adapter >= MAX_S390_IO_ADAPTERS) {
      fail(Errno.ENOSPC, `FLIC driver: source ${spec.index} needs adapter ${adapter}; ${MAX_S390_IO_ADAPTERS} adapters of ${SOURCES_PER_ADAPTER} sources exist`);
    }
    while (this.adapterCount <= adapter) this.addAdapter();
    const bytes = (bit >> 3) + 1;
    if (bytes > this.usedBytes[adapter]) this.usedBytes[adapter] = bytes;
    return {
      type: "adapter",
      adapter: {
        indAddr: FlicGuestDriver.indicatorPage(adapter),
        summaryAddr: DRIVER_SUMMARY_PAGE,
        indOffset: bit,
        summaryOffset: adapter,
        adapterId: adapter,
      },
    };
  }

  /**
   * One interruption: KVM delivers the highest-priority deliverable interrupt (the new PSW
   * then masks its class); an adapter I/O interrupt makes the handler scan every indicator.
   * The next interruption comes with the next entry while the line stays up.
   */
  service(vcpu: Vcpu, handler: (source: number) => void): number {
    const d = this.flic.deliver(vcpu);
    if (d === null) return 0;
    if (d.kind === "emergency") {
      handler(IPI_SOURCE);
      return 1;
    }
    return d.kind === "io" && d.adapter ? this.scan(handler) : 0;
  }

  /**
   * Summary first (test and clear), then the adapter's indicator bytes, adapters and bytes in
   * ascending order, bits MSB first. Like Linux's airq_iv_scan (find_next_bit over the vector)
   * the driver reads memory a word at a time and looks closer only at a non-zero word: eight
   * adapters' summary bits per summary byte, four indicator bytes per read. A zero word is
   * skipped whole (no handler runs in between, so reading it byte by byte would see the same
   * zeros); a non-zero one is handled byte by byte exactly as before, so a bit a handler sets
   * further on is still seen in this scan.
   */
  private scan(handler: (source: number) => void): number {
    const mem = this.vm.memory;
    let handled = 0;
    const count = this.adapterCount;
    for (let a = 0; a < count; a++) {
      const sumAddr = DRIVER_SUMMARY_PAGE + (a >> 3);
      if ((a & 7) === 0) {
        this.scanReads++;
        if (mem.readByte(sumAddr) === 0) {
          a += 7;
          continue;
        }
      }
      const sumMask = 0x80 >> (a & 7);
      const s = mem.readByte(sumAddr);
      if ((s & sumMask) === 0) continue;
      mem.writeByte(sumAddr, s & ~sumMask);
      handled += this.scanIndicators(mem, a, handler);
    }
    return handled;
  }

  /** The indicator bytes of adapter `a`: zero words skipped, each non-zero byte cleared, then its bits handled. */
  private scanIndicators(mem: Vm["memory"], a: number, handler: (source: number) => void): number {
    const page = FlicGuestDriver.indicatorPage(a);
    const n = this.usedBytes[a];
    const base = a * SOURCES_PER_ADAPTER;
    // Words only where the whole range reads without a fault (else byte by byte, faulting where it always did).
    const words = mem.isMapped(page, n) ? n & ~3 : 0;
    let handled = 0;
    for (let i = 0; i < n; i++) {
      if (i < words && (i & 3) === 0) {
        this.scanReads++;
        if (mem.read(page + i, 4) === 0) {
          i += 3;
          continue;
        }
      }
      if (i >= words) this.scanReads++;
      const b = mem.readByte(page + i);
      if (b === 0) continue;
      mem.writeByte(page + i, 0);
      for (let k = 0; k < 8; k++) {
        if (b & (0x80 >> k)) {
          handler(base + i * 8 + k);
          handled++;
        }
      }
    }
    return handled;
  }

  /** SIGP EMERGENCY SIGNAL: an instruction KVM intercepts and handles (one exit). */
  sendIpi(from: Vcpu, to: number): void {
    this.vm.exitStats.intercepts++;
    this.flic.emergencySignal(from, to);
  }
}

export const flicGuestDriverContribution: GuestDriverContribution = {
  id: "flic",
  label: "FLIC",
  arch: "s390x",
  deviceType: KVM_DEV_TYPE_FLIC,
  attach: (vm: Vm) => new FlicGuestDriver(vm),
};
