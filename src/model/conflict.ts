/**
 * TCP sharing rules, one named predicate per rule (DESIGN idea 3), composed per caller:
 *  - R32 reuseAddrShares, R33 reusePortShares: the two exemptions a pair of owners may have;
 *  - R35/R36 addressesOverlap: only owners that claim a common local address can conflict;
 *  - R37: devices are not modelled (no SO_BINDTODEVICE): every owner is device-less, so every
 *    pair is on one device and the rule never separates two owners;
 *  - R31 pairConflicts / ownerBlocks / conflictingOwners: the decision, per caller (SharingMode).
 * The bucket's summary flags and the fast path (R38) are in bucket-flags.ts.
 */
import type { Owner, OwnerView } from './entities.js';
import { overlaps } from './overlap.js';
import type { Bucket } from './port-bucket.js';

/**
 * Which call asks, which decides how the exemptions combine (R31's relax and allowRP):
 *  - 'explicit-bind': bind() with a port, and listen()'s re-check (R51): either exemption,
 *    R32 or R33, lets the pair share (relax and allowRP both true);
 *  - 'autobind-strict': bind(0) and listen() autobind's ordinary rounds (R41): no pair shares,
 *    whatever their options (relax false);
 *  - 'autobind-reuse': the extra round of ip_autobind_reuse = 1 (R41): R32 shares, but never a
 *    pair that R33 would also exempt (relax true, allowRP false).
 */
export type SharingMode = 'explicit-bind' | 'autobind-strict' | 'autobind-reuse';

/**
 * R32 SO_REUSEADDR: both have it and E is not listening (a TIME_WAIT entry never listens and
 * carries its socket's option, R64).
 */
export function reuseAddrShares(n: OwnerView, e: OwnerView): boolean {
  return n.reuseAddr && e.reuseAddr && !e.listening;
}

/**
 * R33 SO_REUSEPORT: both have it, and E is a TIME_WAIT entry (no uid check) or has N's uid.
 * (R31's "N.group is none" always holds: N joins a reuseport group at listen(), after the check.)
 */
export function reusePortShares(n: OwnerView, e: OwnerView): boolean {
  return n.reusePort && e.reusePort && (e.isTimeWait || e.uid === n.uid);
}

/**
 * R35 address overlap, with R36's IPv4 / IPv6 / V6ONLY / v4-mapped table: D5 (overlap.ts).
 * Owners on addresses that do not overlap never conflict, whatever their options.
 */
export function addressesOverlap(n: OwnerView, e: OwnerView): boolean {
  return overlaps(n, e);
}

/** R31 pairConflicts(N, E) for two owners whose addresses overlap, as `mode`'s caller decides it. */
export function pairConflicts(n: OwnerView, e: OwnerView, mode: SharingMode): boolean {
  switch (mode) {
    case 'explicit-bind':
      return !reuseAddrShares(n, e) && !reusePortShares(n, e);
    case 'autobind-strict':
      return true;
    case 'autobind-reuse':
      return !reuseAddrShares(n, e) || reusePortShares(n, e);
  }
}

/** R31 portConflicts' term for one owner E: does E keep N off the port? (R35, then R31.) */
export function ownerBlocks(n: OwnerView, e: OwnerView, mode: SharingMode): boolean {
  return addressesOverlap(n, e) && pairConflicts(n, e, mode);
}

/** R31 portConflicts over a bucket: the owners (other than N itself) that block N on this port. */
export function conflictingOwners(
  n: OwnerView,
  self: Owner | null,
  b: Bucket | undefined,
  mode: SharingMode,
): Owner[] {
  const out: Owner[] = [];
  if (!b) return out;
  for (const e of b.owners) if (e !== self && ownerBlocks(n, e, mode)) out.push(e);
  return out;
}
