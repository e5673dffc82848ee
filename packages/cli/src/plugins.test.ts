import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configuredPlugins, loadPluginSet, pluginSetFrom, selectDrivers } from "./plugins.js";
import { fakeControllerModule } from "./test-support/fake-controller.js";
import { fakeRoutingLib } from "./test-support/fake-routing.js";

describe("plugin registry", () => {
  it("the plugin list is read from package.json (no controller named in code)", () => {
    const c = configuredPlugins();
    expect(c.plugins).toEqual(expect.arrayContaining(["@irqlab/xics", "@irqlab/mpic"]));
    expect(c.routing).toBe("@irqlab/routing");
  });

  it("a missing or unbuilt plugin is skipped with a note, the others load", async () => {
    const set = await loadPluginSet({ plugins: ["@irqlab/no-such-controller", "@irqlab/xics"] });
    expect(set.drivers.map((d) => d.id)).toEqual(["xics"]);
    expect(set.notes.join("\n")).toMatch(/plugin @irqlab\/no-such-controller skipped: /);
  });

  it("pkg#name takes a named export; modules claiming one device type run in VMs of their own", async () => {
    const set = await loadPluginSet({ plugins: ["@irqlab/xics", "@irqlab/xive#xicsOnXiveModule", "@irqlab/xive#nope"] });
    expect(set.drivers.map((d) => d.id)).toEqual(["xics", "xics-on-xive"]);
    expect(set.notes.join("\n")).toMatch(/plugin @irqlab\/xive#nope skipped: its export "nope" is not an inversify ContainerModule/);
    // XICS and XICS-on-XIVE both claim KVM_DEV_TYPE_XICS: never in one VM.
    const [xics, xox] = set.plugins.map((p) => p.module);
    expect(set.modules).toEqual([xics]);
    expect(set.notes.join("\n")).toMatch(/xicsOnXiveModule cannot share a VM/);
    expect(set.modulesFor(set.drivers[1])).toEqual([xox]);
    expect(set.modulesFor(set.drivers[0])).toEqual([xics]);
  });

  it("a module whose default export is not a ContainerModule is skipped with a note", async () => {
    const set = await loadPluginSet({ plugins: ["commander"] });
    expect(set.drivers).toHaveLength(0);
    expect(set.notes.join("\n")).toMatch(/plugin commander skipped: its default export is not an inversify ContainerModule/);
  });

  it("--plugin loads a module by path; a --plugin that fails is an error, not a note", async () => {
    const path = fileURLToPath(new URL("./test-support/fixture-plugin.mjs", import.meta.url));
    const set = await loadPluginSet({ plugins: [], extra: [path] });
    expect(set.drivers.map((d) => d.id)).toEqual(["fixture"]);
    await expect(loadPluginSet({ plugins: [], extra: ["./no/such/plugin.mjs"] })).rejects.toThrow(/plugin \.\/no\/such\/plugin\.mjs skipped/);
  });

  it("a guest driver id registered twice is kept once (the first)", () => {
    const set = pluginSetFrom(
      [
        { specifier: "a", module: fakeControllerModule({ id: "same", type: 10 }) },
        { specifier: "b", module: fakeControllerModule({ id: "same", type: 11 }) },
      ],
      fakeRoutingLib,
    );
    expect(set.drivers).toHaveLength(1);
    expect(set.notes.join("\n")).toMatch(/guest driver id "same" already registered/);
  });

  it("selectDrivers keeps the order asked for", () => {
    const set = pluginSetFrom(
      [
        { specifier: "a", module: fakeControllerModule({ id: "a", type: 10 }) },
        { specifier: "b", module: fakeControllerModule({ id: "b", type: 11 }) },
      ],
      fakeRoutingLib,
    );
    expect(selectDrivers(set, ["b", "a"]).map((d) => d.id)).toEqual(["b", "a"]);
    expect(selectDrivers(set, undefined).map((d) => d.id)).toEqual(["a", "b"]);
  });
});
