/**
 * R38: the bucket's summary flags (D3 B.ra, B.rp, fastUid, fastAddr). A bind() or listen() join
 * updates them; the explicit-port check reads them to skip the pairwise check (the fast path),
 * and connect() (R12) and the release rule (R15) read whether they are set at all.
 */
import type { OwnerView } from './entities.js';
import { overlaps } from './overlap.js';
import type { Bucket } from './port-bucket.js';
import type { TcpPorts } from './tcp-ports.js';

/** The stored fast address covers N: a wildcard of N's family view (honouring v6only), or N's own address. */
function fastAddrCovers(b: Bucket, n: OwnerView): boolean {
  const f = b.fastAddr;
  if (!f) return false;
  if (f.laddr.wildcard) return overlaps(n, f) && (f.family === n.family || !f.v6only);
  return f.laddr.key === n.laddr.key && f.family === n.family;
}

/** R38 reuseportMatch(B, N). */
export function reuseportMatch(b: Bucket, n: OwnerView): boolean {
  if (b.rp !== 'any' && b.rp !== 'strict') return false;
  if (!n.reusePort || b.fastUid !== n.uid) return false;
  return b.rp === 'any' || fastAddrCovers(b, n);
}

/** R38 fast path: does the bucket summary alone prove N compatible (no pairwise check)? */
export function fastPathAccepts(b: Bucket | undefined, n: OwnerView): boolean {
  if (!b || b.owners.size === 0) return false;
  return (b.ra === 'yes' && n.reuseAddr && !n.listening) || reuseportMatch(b, n);
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
    ra = r ? 'yes' : 'no';
    if (n.reusePort) {
      rp = 'any';
      b.fastUid = n.uid;
      b.fastAddr = { family: n.family, laddr: n.laddr, v6only: n.v6only };
    } else rp = 'off';
  } else {
    if (!r) ra = 'no';
    if (n.reusePort) {
      if (!reuseportMatch(b, n)) {
        rp = 'strict';
        b.fastUid = n.uid;
        b.fastAddr = { family: n.family, laddr: n.laddr, v6only: n.v6only };
      }
    } else rp = 'off';
  }
  ports.setFlags(b, ra, rp);
}

/**
 * An owner that clears SO_REUSEADDR after taking its port: the kernel then re-reads the owners'
 * option, so the bucket's summary no longer vouches for sharing (R38). Found by the random
 * differential run: RA cleared on a bound socket, then an RA bind of its port is EADDRINUSE.
 */
export function forgetReuseAddrSummary(ports: TcpPorts, b: Bucket): void {
  if (b.ra === 'yes') ports.setFlags(b, 'no', b.rp);
}
