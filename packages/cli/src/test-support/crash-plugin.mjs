// A plugin whose guest driver ends the thread it runs on (process.exit in a worker thread ends
// only that thread): the parallel runner must report it as one failed controller. Never load
// it on the main thread.
import { ContainerModule, GuestDriverContribution } from "@irqlab/core";

export default new ContainerModule(({ bind }) => {
  bind(GuestDriverContribution).toConstantValue({
    id: "crash",
    label: "Crash",
    arch: "ppc64",
    deviceType: 15,
    attach() {
      return {
        controller: null,
        configureSource() {
          throw new Error("no sources");
        },
        service() {
          return 0;
        },
        sendIpi() {
          process.exit(7);
        },
      };
    },
  });
});
