/**
 * A fake controller plugin for the CLI's tests: a recording IrqChip with a tiny MMIO
 * interface and its guest driver, simple enough that metrics can be computed by hand.
 *
 *   per vCPU v, at FAKE_BASE + 0x100 * v:  +0 ACK (read: pin, 0xFFFE = IPI, 0xFFFF = none)
 *                                          +4 EOI (write: ends the last acknowledged pin)
 *   hcall FAKE_H_IPI (a0 = target vCPU): sends an IPI
 *
 * service() = ACK, handler, EOI, repeated until ACK answers 0xFFFF, so one interrupt alone
 * costs 3 trapped MMIO accesses; sendIpi() costs 1 hcall. Edge pins latch one pending event
 * (later edges coalesce until ACK); level pins follow their input and notify the ack
 * notifiers at EOI.
 */
import {
  ContainerModule,
  DeviceContribution,
  Errno,
  GuestDriverContribution,
  IPI_SOURCE,
  KVM_IRQ_ROUTING_IRQCHIP,
  KVM_IRQ_ROUTING_MSI,
  fail,
  type Arch,
  type DeviceBackend,
  type GuestDriver,
  type IrqChip,
  type MsiMessage,
  type RouteSpec,
  type SourceSpec,
  type Vcpu,
  type Vm,
} from "@irqlab/core";

export const FAKE_BASE = 0x1000_0000;
export const FAKE_H_IPI = 0xf00;
export const ACK_IPI = 0xfffe;
export const ACK_NONE = 0xffff;
const PINS = 256;

export interface FakeOptions {
  id?: string;
  label?: string;
  arch?: Arch;
  type?: number;
  /** IPIs supported (else sendIpi throws EOPNOTSUPP). */
  ipi?: boolean;
  /** Level sources supported (else configureSource throws EOPNOTSUPP for them). */
  level?: boolean;
  /** Drop every Nth edge (a deliberately buggy controller). */
  dropEvery?: number;
  /** Each service() call appends the number of timers pending on the VM clock (hot-path probe). */
  clockTimersSeen?: number[];
  /** Workload source indices whose configuration fails (EBUSY), as a full controller would refuse them. */
  failSources?: number[];
  /** A controller timer on the VM clock: at `atNs`, `pin` becomes pending (like an MPIC timer). */
  timer?: { atNs: number; pin: number };
  /** service() throws a plain Error on its Nth call (1-based): a plugin bug during the run. */
  throwInService?: number;
}

export class FakePic implements IrqChip {
  readonly name = "fake";
  readonly index = 0;
  readonly pins = PINS;
  readonly routeTypes = [KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI];
  readonly level = new Uint8Array(PINS);
  readonly input = new Uint8Array(PINS);
  readonly pending = new Uint8Array(PINS);
  readonly target = new Int32Array(PINS);
  readonly ipi: Uint8Array;
  readonly inService: number[][];
  edges = 0;
  /** Every setIrq/deliverMsi call, for tests that look at what routing did. */
  readonly log: string[] = [];

  constructor(
    readonly vm: Vm,
    private readonly dropEvery: number,
  ) {
    this.ipi = new Uint8Array(vm.vcpus.length);
    this.inService = vm.vcpus.map(() => []);
  }

  setIrq(pin: number, level: number, sourceId: number): number {
    if (pin < 0 || pin >= PINS) return -1;
    this.input[pin] = level ? 1 : 0;
    if (this.level[pin]) {
      if (level && !this.pending[pin] && !this.inServiceAnywhere(pin)) this.pending[pin] = 1;
      if (!level) this.pending[pin] = 0;
      this.update();
      return 1;
    }
    if (!level) return 0;
    void sourceId;
    this.edges++;
    if (this.dropEvery && this.edges % this.dropEvery === 0) return 0;
    if (this.pending[pin]) return 0;
    this.pending[pin] = 1;
    this.update();
    return 1;
  }

  deliverMsi(msg: MsiMessage, level: number, sourceId: number): number {
    return this.setIrq(msg.data, level, sourceId);
  }

  private inServiceAnywhere(pin: number): boolean {
    return this.inService.some((s) => s.includes(pin));
  }

  update(): void {
    for (const v of this.vm.vcpus) {
      let want = this.ipi[v.id] === 1;
      for (let p = 0; p < PINS && !want; p++) if (this.pending[p] && this.target[p] === v.id) want = true;
      v.ext.set(want);
    }
  }

  ack(cpu: number): number {
    if (this.ipi[cpu]) {
      this.ipi[cpu] = 0;
      this.inService[cpu].push(ACK_IPI);
      this.update();
      return ACK_IPI;
    }
    for (let p = 0; p < PINS; p++) {
      if (this.pending[p] && this.target[p] === cpu) {
        this.pending[p] = 0;
        this.inService[cpu].push(p);
        this.update();
        return p;
      }
    }
    return ACK_NONE;
  }

  eoi(cpu: number): void {
    const p = this.inService[cpu].pop();
    if (p === undefined || p === ACK_IPI) return;
    if (this.level[p]) {
      this.vm.ackNotifiers.notify(this, p);
      if (this.input[p]) this.pending[p] = 1;
      this.update();
    }
  }

  dumpState(): string {
    const pend: number[] = [];
    for (let p = 0; p < PINS; p++) if (this.pending[p]) pend.push(p);
    return `fake pic: pending [${pend.join(",")}] ipi [${[...this.ipi].join(",")}]`;
  }
}

interface FakeBackend extends DeviceBackend {
  pic: FakePic;
  dumpState(): string;
}

export function fakeControllerModule(o: FakeOptions = {}): ContainerModule {
  const id = o.id ?? "fake";
  const arch = o.arch ?? "ppc64";
  const type = o.type ?? 10;
  const withIpi = o.ipi ?? true;
  const withLevel = o.level ?? true;
  const device: DeviceContribution = {
    name: `kvm-${id}`,
    types: [type],
    arch: [arch],
    create({ vm }): FakeBackend {
      const pic = new FakePic(vm, o.dropEvery ?? 0);
      vm.irqchips.register(pic);
      vm.mmio.map(
        FAKE_BASE,
        0x100 * Math.max(1, vm.vcpus.length),
        {
          read: (off) => (off % 0x100 === 0 ? pic.ack(off >> 8) : 0),
          write: (off) => {
            if (off % 0x100 === 4) pic.eoi(off >> 8);
          },
        },
        id,
      );
      vm.hcalls.register(FAKE_H_IPI, (_vcpu, to) => {
        pic.ipi[to] = 1;
        pic.update();
        return 0;
      });
      if (o.timer) {
        const { atNs, pin } = o.timer;
        vm.clock.at(atNs, () => {
          pic.pending[pin] = 1;
          pic.update();
        });
      }
      return { pic, dumpState: () => pic.dumpState() };
    },
  };
  const driver: GuestDriverContribution = {
    id,
    label: o.label ?? `Fake ${id}`,
    arch,
    deviceType: type,
    attach(vm: Vm): GuestDriver {
      const controller = vm.createDevice(type);
      const pic = controller.backend<FakeBackend>().pic;
      const sourceOfPin = new Int32Array(PINS).fill(-1);
      let serviceCalls = 0;
      return {
        controller,
        configureSource(spec: SourceSpec): RouteSpec {
          if (spec.trigger === "level" && !withLevel) fail(Errno.EOPNOTSUPP, "the fake controller has no level sources here");
          if (o.failSources?.includes(spec.index)) fail(Errno.EBUSY, `the fake controller refuses source ${spec.index}`);
          const pin = spec.index;
          pic.level[pin] = spec.trigger === "level" ? 1 : 0;
          pic.target[pin] = spec.vcpu;
          sourceOfPin[pin] = spec.index;
          return spec.trigger === "level"
            ? { type: "irqchip", irqchip: 0, pin }
            : { type: "msi", msi: { addressLo: 0xfee00000, addressHi: 0, data: pin, flags: 0, devid: 0 } };
        },
        service(vcpu: Vcpu, handler: (source: number) => void): number {
          const base = FAKE_BASE + 0x100 * vcpu.id;
          o.clockTimersSeen?.push(vm.clock.pendingTimers());
          if (o.throwInService !== undefined && ++serviceCalls === o.throwInService) throw new Error("fake plugin bug in service()");
          let n = 0;
          for (;;) {
            const v = vm.mmio.read(base, 4);
            if (v === ACK_NONE) break;
            handler(v === ACK_IPI ? IPI_SOURCE : sourceOfPin[v]);
            vm.mmio.write(base + 4, 4, 0);
            n++;
          }
          return n;
        },
        sendIpi(from: Vcpu, to: number): void {
          if (!withIpi) fail(Errno.EOPNOTSUPP, "the fake controller has no IPIs here");
          from.hcall(FAKE_H_IPI, to);
        },
      };
    },
  };
  return new ContainerModule(({ bind }) => {
    bind(DeviceContribution).toConstantValue(device);
    bind(GuestDriverContribution).toConstantValue(driver);
  });
}
