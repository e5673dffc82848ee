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
import { Errno, KVM_CAP_IRQ_XICS, KVM_DEV_TYPE_XICS, decodeU64, encodeU64, fail, type DeviceHandle, type Vm } from "@irqlab/core";
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
import { checkIcpStateWord, decodeIcpStateWord } from "./icp-state.js";
import { decodeSourceWord } from "./source-word.js";

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

function parseWord(s: string, what: string): bigint {
  if (typeof s !== "string" || !/^0x[0-9a-f]{1,16}$/i.test(s)) fail(Errno.EINVAL, `snapshot: ${what} "${String(s)}" is not a 64-bit hex word`);
  return BigInt(s);
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null;

/**
 * Checks a snapshot before anything is created (EINVAL naming the bad field): its shape, the
 * sanity fields, and everything the restore's KVM calls would refuse — a vCPU or server
 * number used twice (KVM_ENABLE_CAP: EBUSY / EEXIST), an unmasked source whose server has no
 * ICP in the snapshot (KVM_SET_DEVICE_ATTR: EINVAL), an inconsistent ICP word
 * (KVM_SET_ONE_REG: EINVAL).
 */
export function checkXicsSnapshot(vm: Vm, snap: XicsSnapshot): void {
  if (!isRecord(snap) || snap.format !== XICS_SNAPSHOT_FORMAT) fail(Errno.EINVAL, `snapshot: format ${String(isRecord(snap) ? snap.format : snap)} (expected ${XICS_SNAPSHOT_FORMAT})`);
  if (snap.version !== XICS_SNAPSHOT_VERSION) fail(Errno.EINVAL, `snapshot: version ${String(snap.version)} (expected ${XICS_SNAPSHOT_VERSION})`);
  if (snap.nrIrqs !== KVMPPC_XICS_NR_IRQS) fail(Errno.EINVAL, `snapshot: nrIrqs ${String(snap.nrIrqs)} != ${KVMPPC_XICS_NR_IRQS}`);
  if (!Array.isArray(snap.icps) || !Array.isArray(snap.sources)) fail(Errno.EINVAL, "snapshot: icps and sources must be arrays");
  const vcpus = new Set<number>();
  const servers = new Set<number>();
  for (const i of snap.icps as readonly unknown[]) {
    if (!isRecord(i)) fail(Errno.EINVAL, `snapshot: ICP entry ${String(i)} is not an object`);
    const { vcpu, server } = i;
    if (typeof vcpu !== "number" || !Number.isInteger(vcpu) || vcpu < 0 || vcpu >= vm.vcpus.length) fail(Errno.EINVAL, `snapshot: vCPU ${String(vcpu)} does not exist (VM has ${vm.vcpus.length})`);
    if (typeof server !== "number" || !Number.isInteger(server) || server < 0 || server > 0xffffffff) fail(Errno.EINVAL, `snapshot: server ${String(server)} of vCPU ${vcpu} is not a u32`);
    if (vcpus.has(vcpu)) fail(Errno.EINVAL, `snapshot: vCPU ${vcpu} has two ICP entries`);
    if (servers.has(server)) fail(Errno.EINVAL, `snapshot: server ${server} is used by two vCPUs`);
    vcpus.add(vcpu);
    servers.add(server);
  }
  const blocks = new Set<number>();
  for (const s of snap.sources as readonly unknown[]) {
    if (!isRecord(s)) fail(Errno.EINVAL, `snapshot: source entry ${String(s)} is not an object`);
    const irq = s.irq;
    if (typeof irq !== "number" || !Number.isInteger(irq) || irq < KVMPPC_XICS_FIRST_IRQ || irq >= KVMPPC_XICS_NR_IRQS) fail(Errno.EINVAL, `snapshot: source ${String(irq)} out of range`);
    const w = decodeSourceWord(parseWord(s.word as string, `word of source ${irq}`));
    if (w.priority !== MASKED && !servers.has(w.server)) fail(Errno.EINVAL, `snapshot: source 0x${irq.toString(16)} (priority 0x${w.priority.toString(16)}) targets server ${w.server}, which has no ICP`);
    blocks.add(irq >> KVMPPC_XICS_ICS_SHIFT);
  }
  for (const i of snap.icps) {
    // KVM_SET_ONE_REG would refuse it after the device exists: refuse before creating anything.
    const chk = checkIcpStateWord(decodeIcpStateWord(parseWord(i.state, `ICP state of vCPU ${i.vcpu}`)), (x) => blocks.has(x >> KVMPPC_XICS_ICS_SHIFT));
    if (chk.errno !== 0) fail(chk.errno, `snapshot: ICP state of vCPU ${i.vcpu}: ${"reason" in chk ? chk.reason : ""}`);
  }
}

/** Recreates the XICS of `snap` in `vm` (see the order above); returns the new descriptor. */
export function restoreXics(vm: Vm, snap: XicsSnapshot): DeviceHandle {
  checkXicsSnapshot(vm, snap);
  const device = vm.createDevice(KVM_DEV_TYPE_XICS);
  try {
    for (const i of snap.icps) vm.vcpu(i.vcpu).enableCap(KVM_CAP_IRQ_XICS, [device, i.server]);
    const presented = new Set<number>();
    for (const i of snap.icps) presented.add(decodeIcpStateWord(BigInt(i.state)).xisr);
    for (const s of snap.sources) {
      let word = BigInt(s.word);
      if (decodeSourceWord(word).levelSensitive && presented.has(s.irq)) word &= ~KVM_XICS_PENDING;
      device.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: s.irq, addr: encodeU64(word, vm.endian) });
    }
    for (const i of snap.icps) vm.vcpu(i.vcpu).setOneReg(KVM_REG_PPC_ICP_STATE, encodeU64(BigInt(i.state), vm.endian));
  } catch (e) {
    // What only KVM can refuse (a vCPU already attached elsewhere: EBUSY) fails before any ICP
    // word is set, so no EE line was raised: closing the descriptor undoes everything.
    device.close();
    throw e;
  }
  return device;
}
