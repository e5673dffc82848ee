/**
 * @irqlab/testkit — the conformance suite any controller plugin runs on itself.
 *
 *   plugin module ──> createVm({ arch, modules: [routing, plugin] })
 *        │
 *        ├─ device-control API: TEST flag, create, one-instance rule, attribute fuzz
 *        ├─ IrqChip contract: registered on create, any pin/level answers, never throws
 *        └─ guest-driver lifecycle through routing:
 *             configure ─> irqfd trigger ─> vCPU line ─> ack ─> handler ─> EOI ─> idle
 *             (edge: delivered once; level: resamplefd signalled on EOI; IPIs)
 *
 * Glossary
 *   irqfd       an eventfd bound to a GSI: writing it injects the interrupt.
 *   resamplefd  the eventfd KVM signals when the guest EOIs a level-triggered irqfd's line.
 *   GSI         Global System Interrupt: the routing table's input number.
 *   EOI         End Of Interrupt.
 *   IPI         Inter-Processor Interrupt.
 */
export { describeControllerConformance, type PluginUnderTest } from "./conformance.js";
export { GuestHarness, type HarnessSource } from "./guest-harness.js";
export {
  fuzzController,
  replayFuzzCase,
  replayOps,
  shrinkOps,
  regressionTest,
  formatFuzzReport,
  makeFuzzEnv,
  observeVm,
  genericEntries,
  FuzzFailure,
  Rng,
  type FuzzTarget,
  type FuzzEntry,
  type FuzzEnv,
  type FuzzOp,
  type FuzzOptions,
  type FuzzReport,
  type FuzzSnapshot,
  type FuzzAttrGroup,
  type V,
} from "./fuzz.js";
