/**
 * The generic conformance suite: call `describeControllerConformance(plugin)` from a vitest
 * file and it registers the checks every controller plugin must pass, whatever its hardware.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  createVm,
  DeviceContribution,
  errnoOf,
  Errno,
  IPI_SOURCE,
  KvmError,
  type Arch,
  type ContainerModule,
  type SourceSpec,
  type Vm,
} from "@irqlab/core";
import { GuestHarness } from "./guest-harness.js";

export interface PluginUnderTest {
  /** Suite title, e.g. "XICS". */
  readonly name: string;
  readonly module: ContainerModule;
  readonly arch: Arch;
  /** KVM_CREATE_DEVICE type; absent for a controller created by a VM ioctl (then `createController`). */
  readonly deviceType?: number;
  /**
   * Creates the controller in `vm` when it is not a KVM_CREATE_DEVICE device (x86's
   * KVM_CREATE_IRQCHIP); a second call must fail with `secondInstanceErrno`.
   */
  readonly createController?: (vm: Vm) => void;
  /** vCPUs of the VMs the controller checks create it in (default 2; 0 where the ioctl refuses vCPUs). */
  readonly controllerVcpus?: number;
  /** Module for the guest-driver checks, when it differs from `module` (default `module`). */
  readonly driverModule?: ContainerModule;
  /** errno of a second KVM_CREATE_DEVICE in one VM (EEXIST for XICS, EINVAL for MPIC/FLIC). */
  readonly secondInstanceErrno: number;
  /** Checklist tag for the one-instance rule, e.g. "[devapi-9]". */
  readonly secondInstanceTag?: string;
  /** Whether the instance survives closing its descriptor (devices with destroy, no release). */
  readonly survivesClose: boolean;
  /** GuestDriverContribution id to run the lifecycle checks with. */
  readonly driverId: string;
  /** Whether the driver supports IPIs. */
  readonly ipis: boolean;
  /** Whether level sources are supported as level (resamplefd signalled on EOI). */
  readonly levelResample: boolean;
  /**
   * KVM's XICS re-presents a still-asserted level source at EOI *before* it runs the ack
   * notifiers (ics_eoi), so each device event is handled twice and acked twice.
   */
  readonly redeliversLevelBeforeAck?: boolean;
  /** Whether a source can target one vCPU (false for floating interrupts, e.g. s390). */
  readonly targeted: boolean;
}

export function describeControllerConformance(p: PluginUnderTest): void {
  const vmOf = () => createVm({ arch: p.arch, vcpus: p.controllerVcpus ?? 2, modules: [p.module] });
  if (p.deviceType === undefined) describeVmIoctlController(p, vmOf);
  else describeDeviceController({ ...p, deviceType: p.deviceType }, vmOf);
  describeDriverLifecycle({ ...p, module: p.driverModule ?? p.module });
}

/** The controller checks for a controller behind a VM ioctl (`createController`). */
function describeVmIoctlController(p: PluginUnderTest, vmOf: () => Vm): void {
  const create = p.createController;
  describe(`${p.name}: plugin conformance (controller created by a VM ioctl)`, () => {
    it("creates its controller through the VM ioctl and registers irqchips", () => {
      expect(create).toBeTypeOf("function");
      const vm = vmOf();
      expect(vm.irqchips.size).toBe(0);
      create!(vm);
      expect(vm.irqchips.size).toBeGreaterThan(0);
    });

    it(`${p.secondInstanceTag ?? ""} one instance per VM: a second create fails with ${new KvmError(p.secondInstanceErrno, "").code}`.trim(), () => {
      const vm = vmOf();
      create!(vm);
      const n = vm.irqchips.size;
      expect(errnoOf(() => create!(vm))).toBe(p.secondInstanceErrno);
      expect(vm.irqchips.size).toBe(n);
    });

    it("its IrqChips answer any pin and level with a number and never throw", () => {
      const vm = vmOf();
      create!(vm);
      for (const chip of vm.irqchips.list()) {
        fc.assert(
          fc.property(fc.oneof(fc.integer({ min: -5, max: chip.pins + 5 }), fc.integer()), fc.integer({ min: -1, max: 3 }), (pin, level) => {
            expect(typeof chip.setIrq(pin, level, 0)).toBe("number");
          }),
          { numRuns: 100 },
        );
        expect(chip.setIrq(chip.pins, 1, 0)).toBeLessThanOrEqual(0);
      }
    });

    it("a destroyed VM answers EIO", () => {
      const vm = vmOf();
      vm.destroy();
      expect(errnoOf(() => create!(vm))).toBe(Errno.EIO);
    });
  });
}

function describeDeviceController(p: PluginUnderTest & { readonly deviceType: number }, vmOf: () => Vm): void {
  describe(`${p.name}: plugin conformance`, () => {
    it("binds a DeviceContribution for its type on its architecture only", () => {
      const vm = vmOf();
      const mine = vm.getAll<DeviceContribution>(DeviceContribution).filter((c) => c.types.includes(p.deviceType));
      expect(mine).toHaveLength(1);
      expect(mine[0].arch).toContain(p.arch);
      expect(vm.supportsDevice(p.deviceType)).toBe(true);
      for (const other of ["ppc64", "ppc-booke", "s390x", "x86_64", "arm64", "riscv64"] as const) {
        if (mine[0].arch.includes(other)) continue;
        const ovm = createVm({ arch: other, modules: [p.module] });
        expect(errnoOf(() => ovm.createDevice(p.deviceType))).toBe(Errno.ENODEV);
      }
    });

    it("KVM_CREATE_DEVICE_TEST creates nothing", () => {
      const vm = vmOf();
      expect(vm.createDevice(p.deviceType, { test: true })).toBeUndefined();
      expect(vm.deviceList()).toHaveLength(0);
      expect(vm.irqchips.size).toBe(0);
    });

    it(`${p.secondInstanceTag ?? ""} one instance per VM: a second create fails with ${new KvmError(p.secondInstanceErrno, "").code}`.trim(), () => {
      const vm = vmOf();
      const h = vm.createDevice(p.deviceType);
      expect(vm.irqchips.size).toBeGreaterThan(0);
      expect(errnoOf(() => vm.createDevice(p.deviceType))).toBe(p.secondInstanceErrno);
      h.close();
      if (p.survivesClose) {
        expect(errnoOf(() => vm.createDevice(p.deviceType))).toBe(p.secondInstanceErrno);
        expect(vm.deviceList()).toHaveLength(1);
      } else {
        expect(vm.irqchips.size).toBe(0);
        vm.createDevice(p.deviceType);
      }
    });

    it("random attribute calls answer with a KvmError or a number, never crash", () => {
      const vm = vmOf();
      const h = vm.createDevice(p.deviceType);
      fc.assert(
        fc.property(
          fc.constantFrom("setAttr", "getAttr", "hasAttr" as const),
          fc.nat({ max: 20 }),
          fc.oneof(fc.nat({ max: 0x30000 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
          fc.option(fc.uint8Array({ maxLength: 80 }), { nil: null }),
          (op, group, attr, addr) => {
            try {
              const r = h[op]({ group, attr, addr });
              expect(typeof r).toBe("number");
            } catch (e) {
              expect(KvmError.is(e)).toBe(true);
            }
          },
        ),
        { numRuns: 400 },
      );
    });

    it("its IrqChip answers any pin and level with a number and never throws", () => {
      const vm = vmOf();
      vm.createDevice(p.deviceType);
      const chip = vm.irqchips.list()[0];
      fc.assert(
        fc.property(fc.oneof(fc.integer({ min: -5, max: chip.pins + 5 }), fc.integer()), fc.integer({ min: -1, max: 3 }), (pin, level) => {
          expect(typeof chip.setIrq(pin, level, 0)).toBe("number");
        }),
        { numRuns: 300 },
      );
      // Out-of-range pins deliver nothing (KVM's MPIC answers 0, others -1) and raise no line.
      const fresh = vmOf();
      fresh.createDevice(p.deviceType);
      expect(fresh.irqchips.list()[0].setIrq(chip.pins, 1, 0)).toBeLessThanOrEqual(0);
      expect(fresh.vcpus.some((v) => v.ext.asserted || v.crit.asserted)).toBe(false);
    });

    it("destroying the VM tears the device down; its descriptor then answers EIO", () => {
      const vm = vmOf();
      const h = vm.createDevice(p.deviceType);
      vm.destroy();
      expect(errnoOf(() => h.getAttr({ group: 1, attr: 0, addr: new Uint8Array(8) }))).toBe(Errno.EIO);
    });
  });
}

function describeDriverLifecycle(p: PluginUnderTest): void {
  describe(`${p.name}: guest driver lifecycle (configure -> trigger -> ack -> EOI -> idle)`, () => {
    const specs: SourceSpec[] = [
      { index: 0, trigger: "edge", vcpu: 0 },
      { index: 1, trigger: "edge", vcpu: 1 },
      { index: 2, trigger: p.levelResample ? "level" : "edge", vcpu: 0 },
    ];

    it("an edge irqfd is delivered once to its target vCPU, and the vCPU goes idle", () => {
      const g = new GuestHarness(p.module, p.arch, p.driverId);
      g.configure(specs);
      g.sources[1].efd.write(1);
      if (p.targeted) {
        expect(g.vm.vcpus[1].ext.asserted || g.vm.vcpus[1].crit.asserted).toBe(true);
        expect(g.vm.vcpus[0].ext.asserted).toBe(false);
      }
      expect(g.serviceAll()).toBe(1);
      if (p.targeted) expect(g.handled).toEqual([[], [1]]);
      else expect(g.handled.flat()).toEqual([1]);
      expect(g.vm.vcpus.every((v) => !v.ext.asserted && !v.crit.asserted)).toBe(true);
    });

    it("two sources on one vCPU are both handled, each once", () => {
      const g = new GuestHarness(p.module, p.arch, p.driverId);
      g.configure(specs);
      g.sources[0].efd.write(1);
      g.sources[2].efd.write(1);
      g.serviceAll();
      const seen = p.targeted ? g.handled[0] : g.handled.flat();
      const levelTimes = specs[2].trigger === "level" && p.redeliversLevelBeforeAck ? 2 : 1;
      expect([...seen].sort()).toEqual([0, ...Array(levelTimes).fill(2)]);
      if (p.targeted) expect(g.handled[1]).toEqual([]);
    });

    if (p.levelResample) {
      const perEvent = p.redeliversLevelBeforeAck ? 2 : 1;
      it(`a level irqfd stays asserted until EOI, then its resamplefd is signalled${p.redeliversLevelBeforeAck ? " (after one re-presentation, as KVM's ics_eoi does)" : " once"}`, () => {
        const g = new GuestHarness(p.module, p.arch, p.driverId);
        g.configure(specs);
        const s = g.sources[2];
        s.efd.write(1);
        expect(s.resamplefd!.counter).toBe(0);
        expect(g.vm.vcpus[0].ext.asserted).toBe(true);
        g.serviceAll();
        expect(g.handled[0]).toEqual(Array(perEvent).fill(2));
        expect(s.resamplefd!.counter).toBe(perEvent);
        expect(g.vm.vcpus[0].ext.asserted).toBe(false);
        // The device still has work: it re-signals and is delivered again.
        s.efd.write(1);
        g.serviceAll();
        expect(g.handled[0]).toEqual(Array(2 * perEvent).fill(2));
        expect(s.resamplefd!.counter).toBe(2 * perEvent);
        // Without a new signal nothing more arrives.
        expect(g.serviceAll()).toBe(0);
      });
    }

    if (p.ipis) {
      it("an IPI reaches its target vCPU and is handled as IPI_SOURCE", () => {
        const g = new GuestHarness(p.module, p.arch, p.driverId);
        g.configure(specs);
        g.driver.sendIpi(g.vm.vcpus[0], 1);
        expect(g.vm.vcpus[1].ext.asserted).toBe(true);
        g.serviceAll();
        expect(g.handled).toEqual([[], [IPI_SOURCE]]);
      });
    }

    it("the same run twice gives the same exits and the same order", () => {
      const run = () => {
        const g = new GuestHarness(p.module, p.arch, p.driverId);
        g.configure(specs);
        for (let i = 0; i < 20; i++) g.sources[i % 3].efd.write(1);
        g.serviceAll();
        return { handled: g.handled, exits: g.vm.exitStats.snapshot() };
      };
      expect(run()).toEqual(run());
    });
  });
}
