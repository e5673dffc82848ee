/**
 * The routing plugin module: binds GsiRouting (its own token, one per VM) and registers it
 * as a core VmExtension, so createVm instantiates it at VM creation (it subscribes to ack
 * notifiers and controller changes, and answers its KVM_CHECK_EXTENSION capabilities).
 */
import { ContainerModule, VmExtension } from "@irqlab/core";
import { GsiRouting } from "./gsi-routing.js";

export const routingModule = new ContainerModule(({ bind }) => {
  bind(GsiRouting).toSelf().inSingletonScope();
  bind<VmExtension>(VmExtension).toService(GsiRouting);
});

export default routingModule;
