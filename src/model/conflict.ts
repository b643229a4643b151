/**
 * TCP sharing rules, one pure predicate per rule (DESIGN idea 3).
 *  - R31 pairConflicts / portConflicts: may a new socket N share a port with an existing owner E?
 *  - R38 reuseportMatch / updateFlags: the bucket's summary flags, which connect() (R12) and the
 *    release rule (R15) read, and which let a bind skip the pairwise check.
 */
import type { Owner, OwnerView } from './entities.js';
import { overlaps } from './overlap.js';
import { type Bucket, RP_ANY, RP_STRICT, type TcpPorts } from './tcp-ports.js';

/**
 * R31. `relax` and `allowRP` select the caller: explicit bind and listen() re-check use
 * (true, true); bind(0)'s strict rounds (false, false) make every overlapping owner a conflict;
 * the ip_autobind_reuse round (true, false) shares only RA-with-RA, never RP pairs (R41).
 * N is never in a reuseport group when this runs (groups form at listen, after the check).
 */
export function pairConflicts(n: OwnerView, e: OwnerView, relax: boolean, allowRP: boolean): boolean {
  const rpExempt = n.reusePort && e.reusePort && (e.isTimeWait || e.uid === n.uid);
  if (n.reuseAddr && e.reuseAddr && !e.listening) return !relax || (!allowRP && rpExempt);
  return !(allowRP && rpExempt);
}

/** R31 over a bucket: the owners (other than N itself) that block N on this port. */
export function conflictingOwners(
  n: OwnerView,
  self: Owner | null,
  b: Bucket | undefined,
  relax: boolean,
  allowRP: boolean,
  firstOnly = false,
): Owner[] {
  const out: Owner[] = [];
  if (!b) return out;
  for (const e of b.owners) {
    if (e === self) continue;
    if (overlaps(n, e) && pairConflicts(n, e, relax, allowRP)) {
      out.push(e);
      if (firstOnly) break;
    }
  }
  return out;
}

/** The stored fast address covers N: a wildcard of N's family view (honouring v6only), or N's own address. */
function fastAddrCovers(b: Bucket, n: OwnerView): boolean {
  const f = b.fastAddr;
  if (!f) return false;
  if (f.laddr.wildcard) return overlaps(n, f) && (f.family === n.family || !f.v6only);
  return f.laddr.key === n.laddr.key && f.family === n.family;
}

/** R38 reuseportMatch(B, N). */
export function reuseportMatch(b: Bucket, n: OwnerView): boolean {
  if (b.rp !== RP_ANY && b.rp !== RP_STRICT) return false;
  if (!n.reusePort || b.fastUid !== n.uid) return false;
  return b.rp === RP_ANY || fastAddrCovers(b, n);
}

/** R38: does the bucket summary alone prove N compatible (no pairwise check)? */
export function fastPathAccepts(b: Bucket | undefined, n: OwnerView): boolean {
  if (!b || b.owners.size === 0) return false;
  return (b.ra > 0 && n.reuseAddr && !n.listening) || reuseportMatch(b, n);
}

/**
 * R38 updateFlags, run when N joins (or re-joins at listen(), R51) a bucket through bind()/listen().
 * `first` is true when the bucket had no owner before N. Any such join makes the bucket bind-owned.
 */
export function updateFlags(ports: TcpPorts, b: Bucket, n: OwnerView, first: boolean): void {
  const r = n.reuseAddr && !n.listening;
  let ra = b.ra;
  let rp = b.rp;
  if (first) {
    ra = r ? 1 : 0;
    if (n.reusePort) {
      rp = RP_ANY;
      b.fastUid = n.uid;
      b.fastAddr = { family: n.family, laddr: n.laddr, v6only: n.v6only };
    } else rp = 0;
  } else {
    if (!r) ra = 0;
    if (n.reusePort) {
      if (!reuseportMatch(b, n)) {
        rp = RP_STRICT;
        b.fastUid = n.uid;
        b.fastAddr = { family: n.family, laddr: n.laddr, v6only: n.v6only };
      }
    } else rp = 0;
  }
  ports.setFlags(b, ra, rp);
}
