import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ContainerModule } from "inversify";
import {
  createVm,
  errnoOf,
  Errno,
  DeviceContribution,
  KVM_PROFILE,
  ProfileCatalogue,
  ProfileContribution,
  profileCatalogue,
  quirksOf,
  type DeviceBackend,
} from "./index.js";

const quirk = (id: string, controller = "toy") => ({ id, controller, summary: id, kvm: "KVM does A (toy.md §1)", other: "the other does B (hw/intc/toy.c)" });

/** A toy plugin: one device whose backend records the quirk it saw at creation. */
function toyPlugin(seen: boolean[]) {
  return new ContainerModule(({ bind }) => {
    bind<ProfileContribution>(ProfileContribution).toConstantValue({
      quirks: [quirk("toy.a"), quirk("toy.b")],
      profiles: [{ name: "other-1", description: "the other implementation", quirks: ["toy.a"] }],
    });
    bind<DeviceContribution>(DeviceContribution).toConstantValue({
      name: "toy",
      types: [9],
      arch: ["ppc64"],
      create: (ctx): DeviceBackend => {
        seen.push(quirksOf(ctx.vm).has("toy.a"));
        return {};
      },
    });
  });
}

/** A second plugin adding its own quirk to the same profile name. */
const second = new ContainerModule(({ bind }) => {
  bind<ProfileContribution>(ProfileContribution).toConstantValue({
    quirks: [quirk("other.x", "other")],
    profiles: [{ name: "other-1", description: "ignored: the first description wins", quirks: ["other.x"] }],
  });
});

describe("behaviour profiles (profile.ts)", () => {
  it("default is kvm: no quirk; a device reads the VM's quirks once at creation", () => {
    const seen: boolean[] = [];
    const vm = createVm({ arch: "ppc64", modules: [toyPlugin(seen)] });
    expect(quirksOf(vm).profile).toBe(KVM_PROFILE);
    vm.createDevice(9);
    const q = createVm({ arch: "ppc64", modules: [toyPlugin(seen)], profile: "other-1" });
    q.createDevice(9);
    const custom = createVm({ arch: "ppc64", modules: [toyPlugin(seen)], profile: { quirks: ["toy.a"] } });
    custom.createDevice(9);
    expect(seen).toEqual([false, true, true]);
    expect(quirksOf(q).list()).toEqual(["toy.a"]);
    expect(quirksOf(custom).profile).toBe("custom");
  });

  it("profiles of one name from several plugins merge; kvm is always there and empty", () => {
    const c = profileCatalogue([toyPlugin([]), second]);
    expect(c.profiles.map((p) => p.name)).toEqual(["kvm", "other-1"]);
    expect(c.profile("other-1")!.quirks).toEqual(["toy.a", "other.x"]);
    expect(c.profile("other-1")!.description).toBe("the other implementation");
    expect(c.quirks.map((q) => q.id)).toEqual(["toy.a", "toy.b", "other.x"]);
    expect(c.quirk("toy.b")!.other).toMatch(/hw\/intc/);
  });

  it("an unknown profile or quirk is EINVAL and creates no VM", () => {
    expect(errnoOf(() => createVm({ arch: "ppc64", modules: [toyPlugin([])], profile: "nope" }))).toBe(Errno.EINVAL);
    expect(errnoOf(() => createVm({ arch: "ppc64", modules: [toyPlugin([])], profile: { quirks: ["toy.zzz"] } }))).toBe(Errno.EINVAL);
    fc.assert(
      fc.property(fc.oneof(fc.constant(null), fc.integer(), fc.constant({}), fc.constant({ quirks: "toy.a" }), fc.constant({ quirks: [1] })), (bad) => {
        expect(errnoOf(() => createVm({ arch: "ppc64", modules: [toyPlugin([])], profile: bad as never }))).toBe(Errno.EINVAL);
      }),
    );
  });

  it("a profile naming an undeclared quirk is refused when chosen", () => {
    const c = new ProfileCatalogue([{ quirks: [], profiles: [{ name: "broken", description: "", quirks: ["nobody.declares"] }] }]);
    expect(errnoOf(() => c.resolve("broken"))).toBe(Errno.EINVAL);
    expect(c.resolve(undefined).list()).toEqual([]);
  });
});
