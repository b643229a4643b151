/**
 * Which spec rules decided a TCP bind() or listen() (Netns.lastCallRules): the explicit-port
 * check (R38 fast path, R31 and, per owner, the rule that lets it share or keeps it apart) and
 * the autobind search (R40 and what its window holds). They read the state, never change it.
 */
import { addressesOverlap, reuseAddrShares, reusePortShares } from './conflict.js';
import type { Core } from './core.js';
import { effectiveRange } from './effective-range.js';
import type { OwnerView, Socket } from './entities.js';
import { overlaps } from './overlap.js';
import type { Bucket } from './port-bucket.js';

/**
 * The explicit-port check on bucket `b` for `n` (R31-R38): R38 whenever the port has other
 * owners; when the fast path did not decide, R31 and per owner R32/R33 (an exemption applies),
 * R35 (the addresses do not overlap), R36 (the other family) and R64 (a TIME_WAIT entry).
 */
export function recordExplicitPortRules(
  core: Core,
  n: OwnerView,
  self: Socket,
  b: Bucket | undefined,
  fastPath: boolean,
): void {
  if (!b || b.owners.size === 0 || (b.owners.size === 1 && b.owners.has(self))) return;
  const log = core.rules;
  log.add('R38');
  if (fastPath) {
    // The summary flags proved N compatible: SO_REUSEADDR or SO_REUSEPORT on every owner.
    if (n.reuseAddr && !n.listening) log.add('R32');
    if (n.reusePort) log.add('R33');
    return;
  }
  log.add('R31');
  for (const e of b.owners) {
    if (e === self) continue;
    if (!addressesOverlap(n, e)) log.add('R35');
    if (e.family !== n.family) log.add('R36');
    if (reuseAddrShares(n, e)) log.add('R32');
    if (reusePortShares(n, e)) log.add('R33');
    if (e.isTimeWait) log.add('R64');
  }
}

/**
 * A bind(0) or listen() autobind search for `n` (R40): R5 and R41 with ip_autobind_reuse's
 * relaxed round, R45 for a per-socket range, and what lies in the window: R44/R2 reserved ports,
 * R41 owners whose address overlaps (strict rounds never share), R42 owners on other addresses
 * (they do not count), R64 TIME_WAIT entries (ordinary owners).
 */
export function recordAutobindRules(core: Core, s: Socket, n: OwnerView): void {
  const log = core.rules;
  log.add('R40');
  if (core.sysctl.autobindReuse === 1) {
    log.add('R5');
    log.add('R41');
  }
  if (s.lpr !== 0) log.add('R45');
  if (s.family === 6) log.add('R36');
  const { lo, hi } = effectiveRange(s, core.sysctl);
  const ports = core.ports;
  if (ports.reserved.anyIn(lo, hi)) {
    log.add('R44');
    log.add('R2');
  }
  for (const g of ports.byAddress.values()) {
    if (g.ports.anyIn(lo, hi)) log.add(overlaps(n, g.view) ? 'R41' : 'R42');
  }
  for (const tw of core.timewaits.values()) {
    if (lo <= tw.lport && tw.lport <= hi) {
      log.add('R64');
      break;
    }
  }
}
