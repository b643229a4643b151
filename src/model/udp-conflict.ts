/**
 * R91: the UDP sharing rule, which is not TCP's (DESIGN idea 3). SO_REUSEADDR on both sockets
 * shares fully, in any state (UDP has no "listening" exception); SO_REUSEPORT on both shares
 * when the uid is the same; anything else on an overlapping address (D5) conflicts.
 */
import type { Socket } from './entities.js';
import { type AddrView, overlaps } from './overlap.js';

/** The attributes of a UDP socket the rule reads, for a socket about to take an address. */
export interface UdpView extends AddrView {
  readonly reuseAddr: boolean;
  readonly reusePort: boolean;
  readonly uid: number;
}

/** R91 udpConflict(N, E): N is the socket being checked (never in a group yet), E an owner. */
export function udpConflict(n: UdpView, e: Socket): boolean {
  if (n.reuseAddr && e.reuseAddr) return false;
  if (!overlaps(n, e)) return false;
  return !(n.reusePort && e.reusePort && n.uid === e.uid);
}

/** The owners of a port that block N (R91), in hash order. */
export function udpConflicts(n: UdpView, self: Socket | null, owners: readonly Socket[]): Socket[] {
  return owners.filter((e) => e !== self && udpConflict(n, e));
}
