/**
 * Encode/decode pairs for every XIVE device payload (UAPI layouts of
 * arch/powerpc/include/uapi/asm/kvm.h): the SOURCE value, the SOURCE_CONFIG word, the
 * EQ identifier, struct kvm_ppc_xive_eq, and the 128-bit KVM_REG_PPC_VP_STATE.
 */
import { newStruct, UapiView, type Endian, type UserPtr } from "@irqlab/core";
import {
  KVM_XIVE_EQ_PRIORITY_MASK,
  KVM_XIVE_EQ_SERVER_MASK,
  KVM_XIVE_EQ_SERVER_SHIFT,
  KVM_XIVE_LEVEL_ASSERTED,
  KVM_XIVE_LEVEL_SENSITIVE,
  KVM_XIVE_SOURCE_EISN_MASK,
  KVM_XIVE_SOURCE_EISN_SHIFT,
  KVM_XIVE_SOURCE_MASKED_MASK,
  KVM_XIVE_SOURCE_MASKED_SHIFT,
  KVM_XIVE_SOURCE_PRIORITY_MASK,
  KVM_XIVE_SOURCE_SERVER_MASK,
  KVM_XIVE_SOURCE_SERVER_SHIFT,
  SIZEOF_KVM_PPC_XIVE_EQ,
} from "./constants.js";

/** KVM_DEV_XIVE_GRP_SOURCE value. */
export interface SourceValue {
  levelSensitive: boolean;
  asserted: boolean;
}

export function encodeSourceValue(v: SourceValue): bigint {
  return (v.levelSensitive ? KVM_XIVE_LEVEL_SENSITIVE : 0n) | (v.asserted ? KVM_XIVE_LEVEL_ASSERTED : 0n);
}

export function decodeSourceValue(w: bigint): SourceValue {
  return { levelSensitive: (w & KVM_XIVE_LEVEL_SENSITIVE) !== 0n, asserted: (w & KVM_XIVE_LEVEL_ASSERTED) !== 0n };
}

/** KVM_DEV_XIVE_GRP_SOURCE_CONFIG word. */
export interface SourceConfig {
  /** 0..7 (3 bits). */
  priority: number;
  /** 29-bit server number. */
  server: number;
  masked: boolean;
  /** 31-bit EISN (event data written into the queue). */
  eisn: number;
}

export function encodeSourceConfig(c: SourceConfig): bigint {
  return (
    (BigInt(c.priority) & KVM_XIVE_SOURCE_PRIORITY_MASK) |
    ((BigInt(c.server) << KVM_XIVE_SOURCE_SERVER_SHIFT) & KVM_XIVE_SOURCE_SERVER_MASK) |
    (c.masked ? KVM_XIVE_SOURCE_MASKED_MASK : 0n) |
    ((BigInt(c.eisn) << KVM_XIVE_SOURCE_EISN_SHIFT) & KVM_XIVE_SOURCE_EISN_MASK)
  );
}

export function decodeSourceConfig(w: bigint): SourceConfig {
  const v = BigInt.asUintN(64, w);
  return {
    priority: Number(v & KVM_XIVE_SOURCE_PRIORITY_MASK),
    server: Number((v & KVM_XIVE_SOURCE_SERVER_MASK) >> KVM_XIVE_SOURCE_SERVER_SHIFT),
    masked: ((v & KVM_XIVE_SOURCE_MASKED_MASK) >> KVM_XIVE_SOURCE_MASKED_SHIFT) !== 0n,
    eisn: Number((v & KVM_XIVE_SOURCE_EISN_MASK) >> KVM_XIVE_SOURCE_EISN_SHIFT),
  };
}

/** KVM_DEV_XIVE_GRP_EQ_CONFIG attribute: the (server, priority) of one queue. */
export interface EqId {
  server: number;
  priority: number;
}

export function encodeEqId(id: EqId): bigint {
  return (BigInt(id.priority) & KVM_XIVE_EQ_PRIORITY_MASK) | ((BigInt(id.server) << KVM_XIVE_EQ_SERVER_SHIFT) & KVM_XIVE_EQ_SERVER_MASK);
}

export function decodeEqId(attr: bigint): EqId {
  const v = BigInt.asUintN(64, attr);
  return {
    priority: Number(v & KVM_XIVE_EQ_PRIORITY_MASK),
    server: Number((v & KVM_XIVE_EQ_SERVER_MASK) >> KVM_XIVE_EQ_SERVER_SHIFT),
  };
}

/** struct kvm_ppc_xive_eq (64 bytes; the 40 pad bytes are not represented). */
export interface XiveEq {
  flags: number;
  qshift: number;
  qaddr: bigint;
  qtoggle: number;
  qindex: number;
}

export function encodeXiveEq(eq: XiveEq, endian: Endian = "le"): Uint8Array {
  const { bytes, view } = newStruct(SIZEOF_KVM_PPC_XIVE_EQ, endian);
  writeXiveEq(view, eq);
  return bytes;
}

/** Reads struct kvm_ppc_xive_eq from user memory (EFAULT when short or null). */
export function decodeXiveEq(bytes: UserPtr, endian: Endian = "le"): XiveEq {
  const v = new UapiView(bytes, SIZEOF_KVM_PPC_XIVE_EQ, endian, "struct kvm_ppc_xive_eq");
  return { flags: v.u32(0), qshift: v.u32(4), qaddr: v.u64(8), qtoggle: v.u32(16), qindex: v.u32(20) };
}

/** Writes the struct (pad zeroed, as the kernel's memset + copy_to_user does). */
export function writeXiveEq(view: UapiView, eq: XiveEq): void {
  view.setU32(0, eq.flags);
  view.setU32(4, eq.qshift);
  view.setU64(8, eq.qaddr);
  view.setU32(16, eq.qtoggle);
  view.setU32(20, eq.qindex);
  for (let i = 24; i < SIZEOF_KVM_PPC_XIVE_EQ; i++) view.setU8(i, 0);
}

/** The OS-ring W0/W1 image of KVM_REG_PPC_VP_STATE (word 0), byte by byte in TIMA order. */
export interface VpState {
  nsr: number;
  cppr: number;
  ipb: number;
  lsmfb: number;
  ackCnt: number;
  inc: number;
  age: number;
  pipr: number;
}

const VP_FIELDS: readonly (keyof VpState)[] = ["nsr", "cppr", "ipb", "lsmfb", "ackCnt", "inc", "age", "pipr"];

/**
 * The 128-bit register value as core passes it (word 0 in the high 64 bits). The kernel
 * copies the big-endian W0/W1 image byte for byte into `val[0]`, so the 8 bytes in the user
 * buffer are NSR, CPPR, IPB, LSMFB, ACK_CNT, INC, AGE, PIPR; word 0 is those bytes read as
 * a host-order u64 (`endian` = the VM's UAPI byte order): on a little-endian host NSR is
 * bits 7..0, on a big-endian host bits 63..56. Word 1 is unused (0).
 */
export function encodeVpState(s: VpState, endian: Endian = "le"): bigint {
  const b = new Uint8Array(8);
  VP_FIELDS.forEach((f, i) => {
    b[i] = s[f] & 0xff;
  });
  return vpWord0FromBytes(b, 0, endian) << 64n;
}

export function decodeVpState(v: bigint, endian: Endian = "le"): VpState {
  const b = new Uint8Array(8);
  vpWord0ToBytes(BigInt.asUintN(64, BigInt.asUintN(128, v) >> 64n), b, 0, endian);
  const out = {} as VpState;
  VP_FIELDS.forEach((f, i) => {
    out[f] = b[i];
  });
  return out;
}

/** Word 0 of VP_STATE from the 8 image bytes (NSR first) in host order `endian`. */
export function vpWord0FromBytes(b: Uint8Array, off = 0, endian: Endian = "le"): bigint {
  let w = 0n;
  for (let i = 0; i < 8; i++) w = (w << 8n) | BigInt(b[off + (endian === "be" ? i : 7 - i)]);
  return w;
}

/** The 8 image bytes (NSR first) of word 0 in host order `endian`. */
export function vpWord0ToBytes(w0: bigint, out: Uint8Array, off = 0, endian: Endian = "le"): void {
  const v = BigInt.asUintN(64, w0);
  for (let i = 0; i < 8; i++) {
    const byte = Number((v >> BigInt(8 * (7 - i))) & 0xffn);
    out[off + (endian === "be" ? i : 7 - i)] = byte;
  }
}
