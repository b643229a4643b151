/** D7 / R70: the ephemeral range a socket searches, narrowed by IP_LOCAL_PORT_RANGE. */
import type { Socket } from './entities.js';
import type { Sysctls } from './sysctl.js';

export interface EffectiveRange {
  readonly lo: number;
  readonly hi: number;
  /** IP_LOCAL_PORT_RANGE is set (even if both of its bounds were ignored): connect() drops the parity split (R71). */
  readonly perSocket: boolean;
}

export function effectiveRange(s: Pick<Socket, 'lpr'>, sysctl: Sysctls): EffectiveRange {
  let [lo, hi] = sysctl.portRange;
  if (s.lpr === 0) return { lo, hi, perSocket: false };
  const slo = s.lpr & 0xffff;
  const shi = s.lpr >>> 16;
  // A bound outside the namespace range is ignored, not clamped; hi is compared with the
  // already narrowed lo.
  if (lo <= slo && slo <= hi) lo = slo;
  if (lo <= shi && shi <= hi) hi = shi;
  return { lo, hi, perSocket: true };
}
