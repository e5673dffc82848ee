/**
 * A Linux-like riscv guest for `compare` (drivers/irqchip/irq-riscv-imsic-*.c and
 * irq-riscv-aplic-msi.c): what the guest pays for each interrupt.
 *
 *   MSI device (workload edge source)  ── MSI route ──> IMSIC page of the target vCPU
 *   wired line (workload level source) ── irqchip route ──> APLIC source (level-high)
 *                                          ──> MSI (target: hart index, EIID) ──> IMSIC
 *   IMSIC: VSEIP ──> service(): while (id = csrrw stopei, 0) handler(id)   (claim = swap)
 *          level source: after the handler the device has lowered its line (the VMM's
 *          KVM_IRQ_LINE(pin, 0)), then Linux's aplic_msi_irq_eoi writes setipnum_le = pin
 *          (a trapped APLIC MMIO write; nothing reaches KVM's ack notifiers)
 *   IPI: a write of identity 1 to the target's IMSIC page (seteipnum_le)
 *
 * Costs: APLIC MMIO always traps. IMSIC CSRs and the IMSIC page trap with a SW-file ("AIA
 * EMUL") and are direct with a hardware VS-file ("AIA HWACCEL").
 */
import {
  Errno,
  IPI_SOURCE,
  KVM_DEV_TYPE_RISCV_AIA,
  encodeU32,
  encodeU64,
  fail,
  type DeviceHandle,
  type GuestDriver,
  type GuestDriverContribution,
  type RouteSpec,
  type SourceSpec,
  type Vcpu,
  type Vm,
} from "@irqlab/core";
import { GsiRouting } from "@irqlab/routing";
import {
  AIA_CSR_SET,
  AIA_CSR_SWAP,
  APLIC_DOMAINCFG,
  APLIC_DOMAINCFG_IE,
  APLIC_SETIENUM,
  APLIC_SETIPNUM_LE,
  APLIC_SM_LEVEL_HIGH,
  APLIC_SOURCECFG_BASE,
  APLIC_TARGET_BASE,
  APLIC_TARGET_HART_IDX_SHIFT,
  CSR_SIREG,
  CSR_SISELECT,
  CSR_STOPEI,
  IMSIC_EIDELIVERY,
  IMSIC_EIE0,
  IMSIC_EITHRESHOLD,
  KVM_DEV_RISCV_AIA_ADDR_APLIC,
  KVM_DEV_RISCV_AIA_ADDR_IMSIC,
  KVM_DEV_RISCV_AIA_CONFIG_HART_BITS,
  KVM_DEV_RISCV_AIA_CONFIG_IDS,
  KVM_DEV_RISCV_AIA_CONFIG_MODE,
  KVM_DEV_RISCV_AIA_CONFIG_SRCS,
  KVM_DEV_RISCV_AIA_CTRL_INIT,
  KVM_DEV_RISCV_AIA_GRP_ADDR,
  KVM_DEV_RISCV_AIA_GRP_CONFIG,
  KVM_DEV_RISCV_AIA_GRP_CTRL,
  KVM_DEV_RISCV_AIA_MODE_EMUL,
  KVM_DEV_RISCV_AIA_MODE_HWACCEL,
  TOPEI_ID_SHIFT,
} from "./constants.js";
import { aiaDeviceOf, type AiaDevice } from "./device.js";

/** Guest physical layout (QEMU virt's): APLIC-S and the S-level IMSIC pages. */
export const GUEST_APLIC_BASE = 0x0c000000;
export const GUEST_IMSIC_BASE = 0x28000000;
/** Linux's IMSIC_IPI_ID. */
export const IMSIC_IPI_ID = 1;
const GUEST_IDS = 255;
const GUEST_SRCS = 64;

export class AiaGuestDriver implements GuestDriver {
  readonly controller: DeviceHandle;
  private readonly dev: AiaDevice;
  private readonly routing: GsiRouting | null;
  /** Per vCPU: identity -> workload source index (-1 none), APLIC pin of a level source (0 none). */
  private readonly sourceOf: Int32Array[];
  private readonly pinOf: Int32Array[];
  private readonly nextId: Int32Array;
  private nextPin = 1;
  private readonly pages: number[];

  private constructor(
    readonly vm: Vm,
    readonly hwaccel: boolean,
  ) {
    const n = vm.vcpus.length;
    const h = vm.createDevice(KVM_DEV_TYPE_RISCV_AIA);
    this.controller = h;
    const set = (group: number, attr: number, bytes: Uint8Array) => h.setAttr({ group, attr, addr: bytes });
    const cfg = (attr: number, v: number) => set(KVM_DEV_RISCV_AIA_GRP_CONFIG, attr, encodeU32(v, vm.endian));
    cfg(KVM_DEV_RISCV_AIA_CONFIG_MODE, hwaccel ? KVM_DEV_RISCV_AIA_MODE_HWACCEL : KVM_DEV_RISCV_AIA_MODE_EMUL);
    cfg(KVM_DEV_RISCV_AIA_CONFIG_IDS, GUEST_IDS);
    cfg(KVM_DEV_RISCV_AIA_CONFIG_SRCS, GUEST_SRCS);
    const hartBits = n <= 1 ? 0 : 32 - Math.clz32(n - 1);
    cfg(KVM_DEV_RISCV_AIA_CONFIG_HART_BITS, hartBits);
    set(KVM_DEV_RISCV_AIA_GRP_ADDR, KVM_DEV_RISCV_AIA_ADDR_APLIC, encodeU64(GUEST_APLIC_BASE, vm.endian));
    this.pages = [];
    for (let i = 0; i < n; i++) {
      const page = GUEST_IMSIC_BASE + i * 0x1000;
      this.pages.push(page);
      set(KVM_DEV_RISCV_AIA_GRP_ADDR, KVM_DEV_RISCV_AIA_ADDR_IMSIC(i), encodeU64(page, vm.endian));
    }
    h.setAttr({ group: KVM_DEV_RISCV_AIA_GRP_CTRL, attr: KVM_DEV_RISCV_AIA_CTRL_INIT });
    this.dev = aiaDeviceOf(vm)!;
    this.routing = vm.has(GsiRouting) ? vm.get(GsiRouting) : null;
    this.sourceOf = vm.vcpus.map(() => new Int32Array(GUEST_IDS + 1).fill(-1));
    this.pinOf = vm.vcpus.map(() => new Int32Array(GUEST_IDS + 1));
    this.nextId = new Int32Array(n).fill(IMSIC_IPI_ID + 1);
    // imsic_local_init: delivery on, threshold 0, the IPI identity enabled.
    for (const v of vm.vcpus) {
      this.csrWriteIndirect(v, IMSIC_EIDELIVERY, 1);
      this.csrWriteIndirect(v, IMSIC_EITHRESHOLD, 0);
      this.enableId(v, IMSIC_IPI_ID);
    }
    // aplic_msi_setup: domaincfg.IE (DM reads 1: MSI mode).
    if (n > 0) vm.vcpus[0].mmioWrite(GUEST_APLIC_BASE + APLIC_DOMAINCFG, 4, APLIC_DOMAINCFG_IE);
  }

  static attach(vm: Vm, hwaccel: boolean): AiaGuestDriver {
    return new AiaGuestDriver(vm, hwaccel);
  }

  private csrWriteIndirect(v: Vcpu, isel: number, value: number): void {
    v.sysregWrite(CSR_SISELECT, isel);
    v.sysregWrite(CSR_SIREG, value);
  }

  /** imsic_csr_set(IMSIC_EIE0 + 2 * (id / 64), bit): siselect, then csrrs sireg. */
  private enableId(v: Vcpu, id: number): void {
    v.sysregWrite(CSR_SISELECT, IMSIC_EIE0 + 2 * (id >>> 6));
    v.sysregWrite(CSR_SIREG | AIA_CSR_SET, 1n << BigInt(id & 63));
  }

  configureSource(spec: SourceSpec): RouteSpec {
    const n = this.vm.vcpus.length;
    if (!(Number.isInteger(spec.vcpu) && spec.vcpu >= 0 && spec.vcpu < n)) fail(Errno.EINVAL, `AIA guest: no vCPU ${spec.vcpu}`);
    const v = this.vm.vcpus[spec.vcpu];
    const id = this.nextId[spec.vcpu];
    if (id > GUEST_IDS) fail(Errno.ENOSPC, `AIA guest: vCPU ${spec.vcpu} has no free IMSIC identity (IDS ${GUEST_IDS})`);
    if (spec.trigger === "level" && this.nextPin > GUEST_SRCS) fail(Errno.ENOSPC, `AIA guest: no free APLIC source (SRCS ${GUEST_SRCS})`);
    this.nextId[spec.vcpu] = id + 1;
    this.sourceOf[spec.vcpu][id] = spec.index;
    this.enableId(v, id);
    if (spec.trigger === "edge") {
      return { type: "msi", msi: { addressLo: this.pages[spec.vcpu], addressHi: 0, data: id, flags: 0, devid: 0 } };
    }
    const pin = this.nextPin++;
    this.pinOf[spec.vcpu][id] = pin;
    const boot = this.vm.vcpus[0];
    boot.mmioWrite(GUEST_APLIC_BASE + APLIC_SOURCECFG_BASE + 4 * (pin - 1), 4, APLIC_SM_LEVEL_HIGH);
    boot.mmioWrite(GUEST_APLIC_BASE + APLIC_TARGET_BASE + 4 * (pin - 1), 4, ((this.dev.hartIndex[spec.vcpu] << APLIC_TARGET_HART_IDX_SHIFT) | id) >>> 0);
    boot.mmioWrite(GUEST_APLIC_BASE + APLIC_SETIENUM, 4, pin);
    return { type: "irqchip", irqchip: 0, pin };
  }

  /** imsic_handle_irq: claim by swapping stopei until it reads 0; no EOI reaches KVM. */
  service(vcpu: Vcpu, handler: (source: number) => void): number {
    const sources = this.sourceOf[vcpu.id];
    const pins = this.pinOf[vcpu.id];
    let handled = 0;
    for (;;) {
      const v = vcpu.sysregRead(CSR_STOPEI | AIA_CSR_SWAP);
      if (v === 0) break;
      const id = v >>> TOPEI_ID_SHIFT;
      if (id === IMSIC_IPI_ID) {
        handler(IPI_SOURCE);
        handled++;
        continue;
      }
      const src = id < sources.length ? sources[id] : -1;
      if (src < 0) {
        this.vm.tracer.guestError("aia-guest", `vCPU ${vcpu.id}: identity ${id} has no handler`);
        continue;
      }
      handler(src);
      handled++;
      const pin = pins[id];
      if (pin !== 0) {
        // The handler serviced the device, which lowered its line (the VMM's KVM_IRQ_LINE).
        this.routing?.irqLine(pin, 0);
        // aplic_msi_irq_eoi -> aplic_msi_irq_retrigger_level: setipnum_le = pin.
        vcpu.mmioWrite(GUEST_APLIC_BASE + APLIC_SETIPNUM_LE, 4, pin);
      }
    }
    return handled;
  }

  /** imsic_ipi_send: identity 1 to the target's IMSIC page (trapped SW-file, direct VS-file). */
  sendIpi(from: Vcpu, to: number): void {
    if (!(Number.isInteger(to) && to >= 0 && to < this.pages.length)) fail(Errno.EINVAL, `AIA guest: no vCPU ${to}`);
    if (this.hwaccel) {
      // The guest's IMSIC page is mapped onto the hardware VS-file: no exit.
      this.vm.exitStats.directAccesses++;
      this.dev.imsicMmioWrite(BigInt(this.pages[to]), 0, 4, IMSIC_IPI_ID);
    } else {
      from.mmioWrite(this.pages[to], 4, IMSIC_IPI_ID);
    }
  }
}

export const aiaEmulGuestDriver: GuestDriverContribution = {
  id: "aia-emul",
  label: "AIA EMUL",
  arch: "riscv64",
  deviceType: KVM_DEV_TYPE_RISCV_AIA,
  attach: (vm) => AiaGuestDriver.attach(vm, false),
};

export const aiaHwaccelGuestDriver: GuestDriverContribution = {
  id: "aia-hwaccel",
  label: "AIA HWACCEL",
  arch: "riscv64",
  deviceType: KVM_DEV_TYPE_RISCV_AIA,
  attach: (vm) => AiaGuestDriver.attach(vm, true),
};
