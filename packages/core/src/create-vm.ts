/**
 * The one composition root. `createVm` builds an inversify container per VM, loads the core
 * module and the given plugin modules, and returns the Vm. Plugins bind
 * `DeviceContribution` (and optionally `GuestDriverContribution`, `VmExtension`) with
 * `toConstantValue` / `toService`; core collects them by multi-injection.
 */
import "reflect-metadata";
import { Container, ContainerModule } from "inversify";
import { SimClock } from "./clock.js";
import { ARCHES, defaultEndian, type Arch, type Endian } from "./constants.js";
import { ExitStats } from "./exit-stats.js";
import { Process } from "./files.js";
import { GuestMemory } from "./guest-memory.js";
import { HcallTable, RtasTable } from "./guest-calls.js";
import { AckNotifiers, IrqChipRegistry } from "./irqchip.js";
import { Errno, fail } from "./kvm-error.js";
import { intArg, show } from "./validate.js";
import { MmioBus } from "./mmio-bus.js";
import { QuirksToken, catalogueOf, type ProfileOption } from "./profile.js";
import {
  AckNotifiersToken,
  ClockToken,
  ContainerToken,
  ExitStatsToken,
  GuestMemoryToken,
  HcallTableToken,
  IrqChipRegistryToken,
  MmioBusToken,
  PioBusToken,
  RtasTableToken,
  TracerToken,
  VmExtension,
  VmOptions,
} from "./tokens.js";
import { Tracer } from "./tracer.js";
import { Vm } from "./vm.js";

export interface CreateVmOptions {
  arch: Arch;
  /** Number of vCPUs (0..1024, default 1). */
  vcpus?: number;
  /** Plugin modules: controllers, routing. */
  modules?: readonly ContainerModule[];
  strict?: boolean;
  endian?: Endian;
  /** Guest physical memory size in bytes (default 4 GiB, sparse). */
  memorySize?: number;
  /** The owning process (default: Process.current()). */
  process?: Process;
  /**
   * Behaviour profile (profile.ts): a name a plugin declares ("qemu-7.2"), or an explicit
   * quirk set; default "kvm" (no quirk). Unknown names are EINVAL.
   */
  profile?: ProfileOption;
}

export const MAX_VCPUS = 1024;

/** Binds the core services (one instance per VM). */
export const coreModule = new ContainerModule(({ bind }) => {
  bind(ClockToken).toDynamicValue(() => new SimClock()).inSingletonScope();
  bind(TracerToken).toDynamicValue(() => new Tracer()).inSingletonScope();
  bind(ExitStatsToken).toDynamicValue(() => new ExitStats()).inSingletonScope();
  bind(GuestMemoryToken)
    .toDynamicValue((ctx) => new GuestMemory(ctx.get<VmOptions>(VmOptions).memorySize))
    .inSingletonScope();
  bind(MmioBusToken)
    .toDynamicValue((ctx) => new MmioBus(ctx.get<ExitStats>(ExitStatsToken)))
    .inSingletonScope();
  bind(PioBusToken)
    .toDynamicValue((ctx) => new MmioBus(ctx.get<ExitStats>(ExitStatsToken), "pio"))
    .inSingletonScope();
  bind(HcallTableToken)
    .toDynamicValue((ctx) => new HcallTable(ctx.get<ExitStats>(ExitStatsToken)))
    .inSingletonScope();
  bind(RtasTableToken)
    .toDynamicValue((ctx) => new RtasTable(ctx.get<ExitStats>(ExitStatsToken)))
    .inSingletonScope();
  bind(AckNotifiersToken).toDynamicValue(() => new AckNotifiers()).inSingletonScope();
  bind(IrqChipRegistryToken).toDynamicValue(() => new IrqChipRegistry()).inSingletonScope();
  bind(Vm).toSelf().inSingletonScope();
});

/** How each VM was made, for scratchVm. */
const recipes = new WeakMap<Vm, VmOptions & { modules: readonly ContainerModule[] }>();

/**
 * A fresh VM made like `vm` (arch, vCPUs, endian, memory size, strict, the same plugin
 * modules) in a process of its own, so nothing it does is visible in `vm` or its process.
 * For rehearsing an operation that must not fail halfway (snapshot restore: snapshot.ts);
 * the caller destroys it.
 */
export function scratchVm(vm: Vm): Vm {
  const r = recipes.get(vm);
  if (!r) fail(Errno.EINVAL, "scratchVm: the VM was not made by createVm");
  return createVm({ arch: r.arch, vcpus: r.vcpus, strict: r.strict, endian: r.endian, memorySize: r.memorySize, modules: r.modules, process: new Process() });
}

export function createVm(options: CreateVmOptions): Vm {
  if (typeof options !== "object" || options === null) {
    fail(Errno.EINVAL, `createVm options ${show(options)} (an object with arch, one of ${ARCHES.join(", ")})`);
  }
  const arch = options.arch;
  if (!ARCHES.includes(arch)) fail(Errno.EINVAL, `arch ${show(arch)} (one of ${ARCHES.join(", ")})`);
  const vcpus = intArg(options.vcpus ?? 1, 0, MAX_VCPUS, "vcpus");
  const memorySize = intArg(options.memorySize ?? 2 ** 32, 1, Number.MAX_SAFE_INTEGER, "memorySize");
  const modules = options.modules ?? [];
  if (!Array.isArray(modules)) fail(Errno.EINVAL, `modules ${show(modules)} (an array of ContainerModule)`);
  modules.forEach((m, i) => {
    // Duck-typed: a plugin built against another copy of inversify still loads.
    const ok = m instanceof ContainerModule || (typeof m === "object" && m !== null && typeof (m as { load?: unknown }).load === "function");
    if (!ok) fail(Errno.EINVAL, `modules[${i}] ${show(m)} is not an inversify ContainerModule`);
  });
  const endian = options.endian ?? defaultEndian(arch);
  if (endian !== "le" && endian !== "be") fail(Errno.EINVAL, `endian ${show(endian)} ("le" or "be")`);
  const vmOptions: VmOptions = {
    arch,
    vcpus,
    strict: options.strict === true,
    endian,
    memorySize,
    process: options.process ?? Process.current(),
  };
  const container = new Container({ defaultScope: "Singleton" });
  container.bind(VmOptions).toConstantValue(vmOptions);
  container.bind(ContainerToken).toConstantValue(container);
  container.load(coreModule, ...modules);
  container.bind(QuirksToken).toConstantValue(catalogueOf(container).resolve(options.profile));
  const vm = container.get(Vm);
  recipes.set(vm, { ...vmOptions, modules });
  // Extensions (routing ...) attach now: they subscribe to ack notifiers and chip changes.
  if (container.isBound(VmExtension)) {
    for (const ext of container.getAll<VmExtension>(VmExtension)) {
      for (const [k, v] of Object.entries(ext.extensions?.() ?? {})) vm.provideExtension(Number(k), v);
    }
  }
  // VM contributions (arch-level plugins) attach last, when routing and the rest are bound.
  vm.attachContributions();
  return vm;
}
