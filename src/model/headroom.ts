/**
 * Headroom: how many more connect()s from one source address to one destination (address, port)
 * can succeed before EADDRNOTAVAIL (R14), counted from the rules rather than by trying, in
 * O(range + sockets of the triple):
 *
 *   candidates = ports of ip_local_port_range (R1)
 *                minus reserved ports (R2)
 *                minus bind-owned ports: listening, bound, or held by a bind-before-connect
 *                      socket, on any address (R12, R15, R23)
 *   free       = candidates whose 4-tuple (source, port, destination) is not held by a socket
 *                or by a TIME_WAIT entry that R62 does not let go (timewait-reuse.ts)
 *
 * An odd-sized range leaves one end (lo or hi) out of every attempt (R11: the scan covers size-1
 * positions): while one of those ends is free, the guaranteed headroom is free-1 and free is only
 * reachable with luck. `headroom` is the guaranteed number, `headroomMax` the most possible.
 *
 * `candidatePorts` and `settleHeadroom` are the counting itself, shared with the doctor, which
 * gathers the same facts from a /proc snapshot (a million sockets as typed arrays) instead of a
 * namespace.
 */
import type { Endpoint } from '../calls/index.js';
import type { Core } from './core.js';
import { fail, type Result } from './result.js';
import { mayReuseTimeWait } from './timewait-reuse.js';

export interface Headroom {
  /** More connect()s that surely succeed, whatever the kernel's random start (R11, R13). */
  readonly headroom: number;
  /** The most that may succeed (an odd-sized range's far end with luck). */
  readonly headroomMax: number;
  /** Candidate ports held by this triple's 4-tuples (sockets and TIME_WAIT entries R62 keeps). */
  readonly heldByTuples: number;
  /** TIME_WAIT entries of the triple an autoselecting connect() may recycle now (R62). */
  readonly recyclableTimeWait: number;
}

/** The ports an autoselecting connect() may take towards a destination it has no 4-tuple with. */
export interface CandidatePorts {
  /** ip_local_port_range (R1). */
  readonly range: readonly [number, number];
  /** 1 for a candidate port, by port. */
  readonly usable: Uint8Array;
  readonly count: number;
}

/** R1, R2, R12: the range minus reserved ports and the ports `bindOwned` says no connect() takes. */
export function candidatePorts(
  range: readonly [number, number],
  reserved: Iterable<number>,
  bindOwned: (port: number) => boolean,
): CandidatePorts {
  const [lo, hi] = range;
  const usable = new Uint8Array(65536);
  usable.fill(1, lo, hi + 1);
  for (const p of reserved) usable[p] = 0;
  let count = 0;
  for (let p = lo; p <= hi; p++) {
    if (bindOwned(p)) usable[p] = 0;
    count += usable[p] ?? 0;
  }
  return { range, usable, count };
}

/**
 * The headroom of one triple from its counts: `held` distinct candidate ports its 4-tuples keep,
 * `recyclable` TIME_WAIT entries R62 lets go, and `isHeld` to ask about the range's ends (R11).
 */
export function settleHeadroom(
  c: CandidatePorts,
  held: number,
  recyclable: number,
  isHeld: (port: number) => boolean,
): Headroom {
  const free = c.count - held;
  const [lo, hi] = c.range;
  const size = hi - lo + 1;
  let guaranteed = free;
  if (size > 1 && size % 2 === 1) {
    const endFree = (p: number) => c.usable[p] === 1 && !isHeld(p);
    if (endFree(lo) || endFree(hi)) guaranteed = free - 1;
  }
  return {
    headroom: Math.max(0, guaranteed),
    headroomMax: free,
    heldByTuples: held,
    recyclableTimeWait: recyclable,
  };
}

/** Netns.headroom: the namespace's own facts, counted as above. */
export function headroomOf(core: Core, source: string, destination: Endpoint): Result<Headroom> {
  const src = core.addrs.parse(source);
  const dst = core.addrs.parse(destination.addr);
  if (!src || !dst) return fail('EINVAL', 'R14', `not an IP address: ${src ? destination.addr : source}`);
  if (!Number.isInteger(destination.port) || destination.port < 0 || destination.port > 65535)
    return fail('EINVAL', 'R14', `port out of range: ${destination.port}`);
  const c = candidatePorts(core.sysctl.portRange, core.sysctl.reserved, (p) => core.ports.bindOwned.has(p));
  const slot = core.ports.tuples.get(src, dst, destination.port);
  let held = 0;
  let recyclable = 0;
  const kept = new Set<number>();
  for (const [p] of slot?.live.entries() ?? []) {
    if (c.usable[p] !== 1) continue;
    kept.add(p);
    held++;
  }
  for (const [p, e] of slot?.tw.entries() ?? []) {
    if (c.usable[p] !== 1) continue;
    if (e.kind === 'timewait' && mayReuseTimeWait(e, core.now, core.sysctl, 'AUTOSELECT')) {
      recyclable++;
      continue;
    }
    kept.add(p);
    held++;
  }
  return { ok: true, ...settleHeadroom(c, held, recyclable, (p) => kept.has(p)) };
}
