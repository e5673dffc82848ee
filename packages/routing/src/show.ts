/** Message rendering is core's (validate.ts): no user code runs, control characters escaped. */
export { show, showFlags } from "@irqlab/core";
