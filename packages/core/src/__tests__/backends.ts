/** Test-only device backends for the generic device-control tests. */
import { ContainerModule } from "inversify";
import type { Arch } from "../constants.js";
import { DeviceContribution, type DeviceAttr, type DeviceBackend, type KvmDevice } from "../device.js";
import { Errno, fail } from "../kvm-error.js";
import type { VcpuCapHandler } from "../vcpu.js";

export interface CallLog {
  calls: string[];
}

/** A backend with every accessor; records calls; get returns `attr + 100`, has returns 0. */
export function fullBackend(log: CallLog, id: string): DeviceBackend {
  return {
    init: () => log.calls.push(`${id}.init`),
    setAttr: (a: DeviceAttr) => {
      log.calls.push(`${id}.set:${a.group}:${a.attr}`);
      if (a.addr === null) fail(Errno.EFAULT, "payload");
      return 0;
    },
    getAttr: (a: DeviceAttr) => {
      log.calls.push(`${id}.get:${a.group}:${a.attr}`);
      return a.attrIndex + 100;
    },
    hasAttr: (a: DeviceAttr) => {
      log.calls.push(`${id}.has:${a.group}:${a.attr}`);
      return a.group === 1 ? 0 : fail(Errno.ENXIO, `group ${a.group}`);
    },
    destroy: () => log.calls.push(`${id}.destroy`),
  };
}

export interface TestPluginOptions {
  log: CallLog;
  arch?: Arch[];
  /** type -> behaviour */
  types?: number[];
  /** Refuse creation with this errno. */
  failCreate?: number;
  /** Backend has no accessors and uses release (like kvm-vfio without get_attr). */
  bare?: boolean;
  release?: boolean;
  caps?: VcpuCapHandler[];
}

export function testPlugin(o: TestPluginOptions): ContainerModule {
  let n = 0;
  return new ContainerModule(({ bind }) => {
    bind<DeviceContribution>(DeviceContribution).toConstantValue({
      name: "kvm-test",
      types: o.types ?? [6],
      arch: o.arch ?? ["ppc64", "ppc-booke", "s390x"],
      vcpuCaps: o.caps,
      extensions: { 4242: 7 },
      create: ({ type, device }: { type: number; device: KvmDevice }) => {
        o.log.calls.push(`create:${type}`);
        if (o.failCreate) fail(o.failCreate, "test backend refuses");
        const id = `d${++n}`;
        device.backend; // the generic object exists before create returns
        if (o.bare) return o.release ? { release: () => o.log.calls.push(`${id}.release`) } : {};
        const b = fullBackend(o.log, id);
        if (o.release) {
          delete b.destroy;
          b.release = () => o.log.calls.push(`${id}.release`);
        }
        return b;
      },
    });
  });
}
