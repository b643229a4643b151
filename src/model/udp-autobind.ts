/**
 * R90: UDP autobind (bind(port 0), and the implicit bind of connect() and sendto() on an unbound
 * socket), as one phase for search.ts, so `outcomes`, `follow` and `trace` work as for TCP.
 *
 * The kernel draws a uniformly random start in the effective range (D7) and scans upwards with
 * wrap-around; there is no parity split and no half, and an owner that may share the port
 * (R91, e.g. two SO_REUSEADDR sockets) does not make it busy (R92). So every port that is free
 * for this socket is a possible result, and the search fails only when none is.
 *
 * When the range is larger than the UDP hash table (T = 16384 here), the kernel visits the ports
 * of one hash slot in a stride order before moving on; the set of outcomes is the same (the
 * start port itself is taken when free), only the model's own choice in default mode is the
 * ascending one.
 */
import type { Core } from './core.js';
import { effectiveRange } from './effective-range.js';
import type { Phase, PortJudge, Skip } from './search.js';
import { type UdpView, udpConflict } from './udp-conflict.js';

function verdict(core: Core, n: UdpView, port: number): Skip | null {
  if (core.sysctl.reserved.has(port)) return { reason: 'reserved', rule: 'R2', by: null };
  for (const e of core.udp.owners(port))
    if (udpConflict(n, e)) return { reason: 'conflict', rule: 'R91', by: e };
  return null;
}

function judge(core: Core, n: UdpView): PortJudge {
  return {
    first: (from, to, step) => {
      for (let p = from; p <= to; p += step) if (!verdict(core, n, p)) return p;
      return -1;
    },
    verdict: (port) => verdict(core, n, port),
  };
}

/** The one phase of a UDP autobind for socket view `n` with per-socket range `lpr` (R70). */
export function udpAutobindPhases(core: Core, n: UdpView, lpr: number): Phase[] {
  const { lo, hi } = effectiveRange({ lpr }, core.sysctl);
  const size = hi - lo + 1;
  return [
    {
      label: 'UDP autobind (random start, ascending with wrap)',
      window: { lo, end: hi + 1, remaining: size, step: 1 },
      judge: judge(core, n),
      // first = lo + floor(r * size / 2^32) for a random u32 r (R90).
      draw: () => Math.floor((core.host.entropy.u32() * size) / 4294967296),
      *offsets() {
        for (let o = 0; o < size; o++) yield o;
      },
      passDelta: 0,
    },
  ];
}
