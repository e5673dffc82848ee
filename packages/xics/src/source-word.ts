/**
 * The 64-bit source word of KVM_DEV_XICS_GRP_SOURCES (uapi asm/kvm.h):
 *
 *   63      45 44 43 42 41 40 39     32 31                       0
 *   +---------+--+--+--+--+--+---------+--------------------------+
 *   | unused  |Q |P |PE|MK|LS| priority|  destination (server)    |
 *   +---------+--+--+--+--+--+---------+--------------------------+
 *   Q = QUEUED, P = PRESENTED, PE = PENDING, MK = MASKED (priority field = saved priority),
 *   LS = LEVEL_SENSITIVE
 *
 * `encodeSourceWord` / `decodeSourceWord` are a lossless pair over the defined bits; the
 * byte helpers put the word in UAPI layout for `setAttr` / `getAttr`.
 */
import { decodeU64, encodeU64, type Endian, type UserPtr } from "@irqlab/core";
import {
  KVM_XICS_DESTINATION_MASK,
  KVM_XICS_LEVEL_SENSITIVE,
  KVM_XICS_MASKED,
  KVM_XICS_PENDING,
  KVM_XICS_PRESENTED,
  KVM_XICS_PRIORITY_MASK,
  KVM_XICS_PRIORITY_SHIFT,
  KVM_XICS_QUEUED,
} from "./constants.js";

/** A decoded source word. */
export interface SourceWord {
  /** Destination server number (u32). */
  readonly server: number;
  /** Priority field (u8): the saved priority when `masked`. */
  readonly priority: number;
  readonly levelSensitive: boolean;
  readonly masked: boolean;
  readonly pending: boolean;
  readonly presented: boolean;
  readonly queued: boolean;
}

/** Every bit the word defines; the others are ignored by KVM. */
export const SOURCE_WORD_DEFINED_BITS =
  KVM_XICS_DESTINATION_MASK |
  (KVM_XICS_PRIORITY_MASK << KVM_XICS_PRIORITY_SHIFT) |
  KVM_XICS_LEVEL_SENSITIVE |
  KVM_XICS_MASKED |
  KVM_XICS_PENDING |
  KVM_XICS_PRESENTED |
  KVM_XICS_QUEUED;

/** Builds the word. `server` is truncated to u32 and `priority` to u8, as KVM reads them. */
export function encodeSourceWord(w: Partial<SourceWord> & { server: number; priority: number }): bigint {
  let v = BigInt(w.server >>> 0) | (BigInt(w.priority & 0xff) << KVM_XICS_PRIORITY_SHIFT);
  if (w.levelSensitive) v |= KVM_XICS_LEVEL_SENSITIVE;
  if (w.masked) v |= KVM_XICS_MASKED;
  if (w.pending) v |= KVM_XICS_PENDING;
  if (w.presented) v |= KVM_XICS_PRESENTED;
  if (w.queued) v |= KVM_XICS_QUEUED;
  return v;
}

/** Reads the word the way xics_set_source does (undefined bits are ignored). */
export function decodeSourceWord(word: bigint): SourceWord {
  const v = BigInt.asUintN(64, word);
  return {
    server: Number(v & KVM_XICS_DESTINATION_MASK),
    priority: Number((v >> KVM_XICS_PRIORITY_SHIFT) & KVM_XICS_PRIORITY_MASK),
    levelSensitive: (v & KVM_XICS_LEVEL_SENSITIVE) !== 0n,
    masked: (v & KVM_XICS_MASKED) !== 0n,
    pending: (v & KVM_XICS_PENDING) !== 0n,
    presented: (v & KVM_XICS_PRESENTED) !== 0n,
    queued: (v & KVM_XICS_QUEUED) !== 0n,
  };
}

/** The 8-byte payload for `setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: irq, addr })`. */
export function sourceWordBytes(word: bigint | SourceWord, endian: Endian = "le"): Uint8Array {
  return encodeU64(typeof word === "bigint" ? word : encodeSourceWord(word), endian);
}

/** Decodes the 8-byte payload `getAttr` wrote. EFAULT (KvmError) for a short/null buffer. */
export function sourceWordFromBytes(bytes: UserPtr, endian: Endian = "le"): SourceWord {
  return decodeSourceWord(decodeU64(bytes, endian));
}

/** One-line description, e.g. "server 0x1 prio 0x5 LSI MASKED PENDING P Q". */
export function formatSourceWord(w: SourceWord): string {
  const flags = [
    w.levelSensitive ? "LSI" : "MSI",
    w.masked ? "MASKED" : "",
    w.pending ? "PENDING" : "",
    w.presented ? "P" : "",
    w.queued ? "Q" : "",
  ].filter(Boolean);
  return `server 0x${w.server.toString(16)} prio 0x${w.priority.toString(16)} ${flags.join(" ")}`;
}
