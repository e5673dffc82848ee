/**
 * Save/restore through KVM's own interfaces: every existing source's word
 * (KVM_GET/SET_DEVICE_ATTR, KVM_DEV_XICS_GRP_SOURCES) and every ICP's word
 * (KVM_GET/SET_ONE_REG, KVM_REG_PPC_ICP_STATE), as plain versioned JSON.
 *
 * Restore order (into a VM without an XICS):
 *   1. create the device; connect each vCPU with its saved server number (fresh ICPs, CPPR 0);
 *   2. set the source words, ascending. A PENDING word attempts delivery, which a fresh ICP
 *      (CPPR 0) always refuses: the source is marked resend and its ICP need_resend — what
 *      the original had for a refused source. A level source whose number sits in a saved
 *      XISR is written without PENDING (its PRESENTED bit keeps P), since it is presented,
 *      not waiting: writing PENDING would leave a stale resend behind;
 *   3. set the ICP words (this needs the XISR's block to exist, hence after the sources);
 *      MFRR only becomes more favoured than the fresh 0xFF, so need_resend is kept.
 *
 * What KVM's words cannot carry (so no restore can reproduce it): need_resend, the resend
 * map, the resend / masked-pending flags of level sources (their PENDING bit is P) and of
 * sources whose P was cleared by an EOI, a raised EE line whose state no longer calls for
 * it, RTAS settings of sources that were never created, blocks with no created source, and
 * an ICP whose pending priority is not below its CPPR (KVM_SET_ONE_REG refuses that word;
 * restore then fails with EINVAL before creating anything). See the package README.
 */
import { Errno, KVM_CAP_IRQ_XICS, KVM_DEV_TYPE_XICS, decodeU64, encodeU64, fail, parseSnapshot, restoreSnapshot, scratchVm, type DeviceHandle, type Vm } from "@irqlab/core";
import {
  KVM_DEV_XICS_GRP_SOURCES,
  KVM_REG_PPC_ICP_STATE,
  KVM_XICS_PENDING,
  KVMPPC_XICS_FIRST_IRQ,
  KVMPPC_XICS_ICS_SHIFT,
  KVMPPC_XICS_NR_IRQS,
  MASKED,
} from "./constants.js";
import { XicsDevice } from "./device.js";
import { checkIcpStateWord, decodeIcpStateWord, encodeIcpStateWord } from "./icp-state.js";
import { decodeSourceWord, encodeSourceWord } from "./source-word.js";

export const XICS_SNAPSHOT_FORMAT = "irqlab.xics";
export const XICS_SNAPSHOT_VERSION = 1;

export interface XicsSnapshot {
  readonly format: typeof XICS_SNAPSHOT_FORMAT;
  readonly version: typeof XICS_SNAPSHOT_VERSION;
  /** KVMPPC_XICS_NR_IRQS of the saving side; must match on restore. */
  readonly nrIrqs: number;
  /** vCPU id -> server number and KVM_REG_PPC_ICP_STATE (hex). */
  readonly icps: ReadonlyArray<{ readonly vcpu: number; readonly server: number; readonly state: string }>;
  /** Existing sources, ascending, with their KVM_DEV_XICS_GRP_SOURCES word (hex). */
  readonly sources: ReadonlyArray<{ readonly irq: number; readonly word: string }>;
}

const hex64 = (v: bigint) => "0x" + v.toString(16).padStart(16, "0");

/** Reads the whole XICS state through the device descriptor and the vCPUs' ONE_REG. */
export function saveXics(vm: Vm, device: DeviceHandle): XicsSnapshot {
  // KVM_HAS_DEVICE_ATTR first: the descriptor checks (EBADF closed, EIO other process) before anything is read.
  device.hasAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: KVMPPC_XICS_FIRST_IRQ });
  const backend = device.backend();
  if (!(backend instanceof XicsDevice) || device.kvmDevice.vm !== vm) fail(Errno.EINVAL, "saveXics: the descriptor is not this VM's XICS device");
  const buf = new Uint8Array(8);
  const sources: Array<{ irq: number; word: string }> = [];
  for (const irq of backend.xics.ics.existing()) {
    device.getAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: irq, addr: buf });
    sources.push({ irq, word: hex64(decodeU64(buf, vm.endian)) });
  }
  const icps: Array<{ vcpu: number; server: number; state: string }> = [];
  for (const v of vm.vcpus) {
    if (v.irqchipKind !== "xics") continue;
    v.getOneReg(KVM_REG_PPC_ICP_STATE, buf);
    icps.push({ vcpu: v.id, server: v.irqchipCpu, state: hex64(decodeU64(buf, vm.endian)) });
  }
  return { format: XICS_SNAPSHOT_FORMAT, version: XICS_SNAPSHOT_VERSION, nrIrqs: KVMPPC_XICS_NR_IRQS, icps, sources };
}

/** The validated plan restoreXics applies: every word decoded, every cross-check done. */
export interface XicsRestorePlan {
  icps: Array<{ vcpu: number; server: number; state: bigint }>;
  sources: Array<{ irq: number; word: bigint }>;
}

/**
 * Step 1 of the restore (core snapshot.ts): the whole snapshot checked before anything is
 * created (EINVAL naming the bad field): its shape (plain JSON, no holes, no accessors), the
 * sanity fields, and everything the restore's KVM calls would refuse — a vCPU or server
 * number used twice (KVM_ENABLE_CAP: EBUSY / EEXIST), an unmasked source whose server has no
 * ICP in the snapshot (KVM_SET_DEVICE_ATTR: EINVAL), an inconsistent ICP word
 * (KVM_SET_ONE_REG: EINVAL).
 */
export function parseXicsSnapshot(vm: Vm, snap: unknown): XicsRestorePlan {
  return parseSnapshot("XICS", snap, (r, raw) => {
    const o = r.obj(raw, "snapshot");
    r.oneOf(r.get(o, "format", "snapshot"), "format", [XICS_SNAPSHOT_FORMAT]);
    r.oneOf(r.get(o, "version", "snapshot"), "version", [XICS_SNAPSHOT_VERSION]);
    r.oneOf(r.get(o, "nrIrqs", "snapshot"), "nrIrqs", [KVMPPC_XICS_NR_IRQS]);
    const lastVcpu = { key: -1 };
    const servers = new Set<number>();
    const icps = r.arr(r.get(o, "icps", "snapshot"), "icps", (el, path) => {
      const i = r.obj(el, path);
      const vcpu = r.ascending(lastVcpu, r.int(r.get(i, "vcpu", path), `${path}.vcpu`, 0, vm.vcpus.length - 1), `${path}.vcpu`);
      const server = r.unique(servers, r.u32(r.get(i, "server", path), `${path}.server`), `${path}.server`);
      const state = r.u64(r.get(i, "state", path), `${path}.state`);
      // The snapshot is canonical: bits the ICP does not keep must be 0 (else it would not
      // save back as itself).
      if (encodeIcpStateWord(decodeIcpStateWord(state)) !== state) r.bad(`${path}.state`, "has reserved bits set");
      return { vcpu, server, state };
    });
    const blocks = new Set<number>();
    const lastIrq = { key: -1 };
    const sources = r.arr(r.get(o, "sources", "snapshot"), "sources", (el, path) => {
      const x = r.obj(el, path);
      const irq = r.ascending(lastIrq, r.int(r.get(x, "irq", path), `${path}.irq`, KVMPPC_XICS_FIRST_IRQ, KVMPPC_XICS_NR_IRQS - 1), `${path}.irq`);
      const word = r.u64(r.get(x, "word", path), `${path}.word`);
      const w = decodeSourceWord(word);
      if (encodeSourceWord(w) !== word) r.bad(`${path}.word`, "has reserved bits set");
      if (w.priority !== MASKED && !servers.has(w.server)) r.bad(`${path}.word`, `(priority 0x${w.priority.toString(16)}) targets server ${w.server}, which has no ICP`);
      blocks.add(irq >> KVMPPC_XICS_ICS_SHIFT);
      return { irq, word };
    });
    for (const i of icps) {
      // KVM_SET_ONE_REG would refuse it after the device exists: refuse before creating anything.
      const chk = checkIcpStateWord(decodeIcpStateWord(i.state), (x) => blocks.has(x >> KVMPPC_XICS_ICS_SHIFT));
      if (chk.errno !== 0) fail(chk.errno, `XICS snapshot: ICP state of vCPU ${i.vcpu}: ${"reason" in chk ? chk.reason : ""}`);
    }
    return { icps, sources };
  });
}

/** The checks of parseXicsSnapshot, for callers that only validate. */
export function checkXicsSnapshot(vm: Vm, snap: XicsSnapshot): void {
  parseXicsSnapshot(vm, snap);
}

function applyXics(vm: Vm, plan: XicsRestorePlan): DeviceHandle {
  const device = vm.createDevice(KVM_DEV_TYPE_XICS);
  try {
    for (const i of plan.icps) vm.vcpu(i.vcpu).enableCap(KVM_CAP_IRQ_XICS, [device, i.server]);
    const presented = new Set<number>();
    for (const i of plan.icps) presented.add(decodeIcpStateWord(i.state).xisr);
    for (const s of plan.sources) {
      let word = s.word;
      if (decodeSourceWord(word).levelSensitive && presented.has(s.irq)) word &= ~KVM_XICS_PENDING;
      device.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: s.irq, addr: encodeU64(word, vm.endian) });
    }
    for (const i of plan.icps) vm.vcpu(i.vcpu).setOneReg(KVM_REG_PPC_ICP_STATE, encodeU64(i.state, vm.endian));
  } catch (e) {
    // Not reached for a plan that passed the rehearsal; kept as the last line of defence:
    // closing the descriptor undoes the device (no ICP word was set before a failure).
    device.close();
    throw e;
  }
  return device;
}

/**
 * Recreates the XICS of `snap` in `vm` (see the order above); returns the new descriptor.
 * Parse whole (EINVAL), check the destination (EBUSY: a vCPU of the snapshot is already
 * connected), rehearse on a scratch VM made like `vm`, then apply: a refused snapshot leaves
 * `vm` exactly as it was.
 */
export function restoreXics(vm: Vm, snap: XicsSnapshot): DeviceHandle {
  let device: DeviceHandle | null = null;
  restoreSnapshot({
    what: "XICS",
    raw: snap,
    parse: () => parseXicsSnapshot(vm, snap),
    check: (plan) => {
      for (const i of plan.icps) {
        const v = vm.vcpu(i.vcpu);
        if (v.irqchipKind !== null) fail(Errno.EBUSY, `XICS restore: vCPU ${v.id} is already connected to ${v.irqchipKind}`);
      }
    },
    rehearse: (plan) => {
      // The apply on a scratch VM made like `vm`: what only the device refuses, refused here.
      // (No save-compare: KVM's words are lossy for some reachable states, see the "KVM
      // limits" test, and a real migration of such a state must still restore.)
      const scratch = scratchVm(vm);
      try {
        applyXics(scratch, plan);
      } finally {
        scratch.destroy();
      }
    },
    apply: (plan) => {
      device = applyXics(vm, plan);
    },
  });
  return device!;
}
