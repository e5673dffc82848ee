// A plugin loaded by path in the plugin registry's tests: binds a guest driver only.
import { ContainerModule, GuestDriverContribution } from "@irqlab/core";

export default new ContainerModule(({ bind }) => {
  bind(GuestDriverContribution).toConstantValue({
    id: "fixture",
    label: "Fixture",
    arch: "ppc64",
    deviceType: 14,
    attach() {
      throw new Error("the fixture plugin only registers");
    },
  });
});
