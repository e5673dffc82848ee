/**
 * Adapter-interruption suppression (AIS, facility 72), per ISC, as a pure state machine over
 * the two masks simm (single-interruption mode) and nimm (no-interruption mode):
 *
 *   simm nimm  mode                          adapter interrupt of a suppressible adapter
 *    0    0    ALL                           injected
 *    1    0    SINGLE                        injected; on success nimm is set  -> NO
 *    1    1    NO (reached from SINGLE)      suppressed (success for the caller)
 *    0    1    only via AISM_ALL             suppressed, never leaves by itself
 *
 * AISM moves an ISC to ALL or SINGLE; AISM_ALL writes both masks verbatim.
 */
import { aisModeMask, KVM_S390_AIS_MODE_ALL, KVM_S390_AIS_MODE_SINGLE } from "./constants.js";

export interface AisState {
  readonly simm: number;
  readonly nimm: number;
}

/** Whether an adapter interrupt on `isc` is suppressed in state `s` (suppressible adapters). */
export function aisSuppresses(s: AisState, isc: number): boolean {
  return (s.nimm & aisModeMask(isc)) !== 0;
}

/** The state after a successful injection on `isc` (SINGLE arms NO). */
export function aisAfterInjection(s: AisState, isc: number): AisState {
  const m = aisModeMask(isc);
  return s.simm & m ? { simm: s.simm, nimm: (s.nimm | m) & 0xff } : s;
}

/** AISM: the new state, or null for an unknown mode (EINVAL). `isc` must be 0..7. */
export function aisSetMode(s: AisState, isc: number, mode: number): AisState | null {
  const m = aisModeMask(isc);
  switch (mode) {
    case KVM_S390_AIS_MODE_ALL:
      return { simm: s.simm & ~m & 0xff, nimm: s.nimm & ~m & 0xff };
    case KVM_S390_AIS_MODE_SINGLE:
      return { simm: (s.simm | m) & 0xff, nimm: s.nimm & ~m & 0xff };
    default:
      return null;
  }
}

/** "ALL", "SINGLE", "NO" or "NO*" (nimm without simm) for one ISC. */
export function aisModeName(s: AisState, isc: number): string {
  const m = aisModeMask(isc);
  const si = (s.simm & m) !== 0;
  const ni = (s.nimm & m) !== 0;
  return si ? (ni ? "NO" : "SINGLE") : ni ? "NO*" : "ALL";
}
