/**
 * Headroom: how many more connect()s towards one destination (dst ip, dst port) from one source
 * address can succeed before EADDRNOTAVAIL (spec R14), computed from the rules rather than by
 * simulation, so that it costs O(sockets of the triple):
 *
 *   candidates = ports of ip_local_port_range (R1)
 *                minus reserved ports (R2)
 *                minus bind-owned ports: listening, or held by a bind-before-connect socket,
 *                      on any address (R12, R15, R23)
 *   free       = candidates whose 4-tuple (source, port, destination) is not held by a socket
 *                or by a TIME_WAIT entry that cannot be recycled (R12, R62)
 *
 * A TIME_WAIT entry is recyclable by an autoselecting connect when tcp_tw_reuse allows it for its
 * addresses (1 always, 2 only loopback), timestamps are on, and it is older than
 * tcp_tw_reuse_delay (R4, R62); its age is 60 s minus the timer the file shows (R6). An orphaned
 * FIN_WAIT2 entry is never recycled.
 *
 * An odd-sized range leaves one end (lo or hi) out of every attempt (R11: the scan covers size-1
 * positions): while one of those ends is free, the guaranteed headroom is free-1 and free is only
 * reachable with luck. `headroom` is the guaranteed number, `headroomMax` the most possible.
 */

import { type PortSysctls, ST } from '../procnet/index.js';
import type { Aggregate, Triple } from './aggregate.js';

/** The TIME_WAIT lifetime (R6). */
export const TIME_WAIT_MS = 60_000;

/** The sysctls that decide headroom, and what-ifs for the fixes. */
export type HeadroomParams = Pick<
  PortSysctls,
  'range' | 'reserved' | 'twReuse' | 'twReuseDelayMs' | 'timestamps'
> & {
  /** Treat bind-held ports as connect-shareable (what IP_BIND_ADDRESS_NO_PORT would give). */
  readonly ignoreBindHeld?: boolean;
};

export interface Headroom {
  readonly headroom: number;
  readonly headroomMax: number;
  /** Candidate ports held by this triple's 4-tuples (sockets and non-recyclable TIME_WAIT). */
  readonly heldByTuples: number;
  /** TIME_WAIT entries of the triple that an autoselecting connect may recycle now. */
  readonly recyclableTimeWait: number;
}

/** The candidate ports of a parameter set, shared by every triple. */
export interface Candidates {
  readonly params: HeadroomParams;
  readonly usable: Uint8Array;
  readonly count: number;
}

export function candidates(agg: Aggregate, params: HeadroomParams): Candidates {
  const [lo, hi] = params.range;
  const usable = new Uint8Array(65536);
  usable.fill(1, lo, hi + 1);
  for (const p of params.reserved) usable[p] = 0;
  let count = 0;
  for (let p = lo; p <= hi; p++) {
    if (agg.listening[p] === 1 || (!params.ignoreBindHeld && agg.bindHeld[p] === 1)) usable[p] = 0;
    count += usable[p] ?? 0;
  }
  return { params, usable, count };
}

/** R62: whether an autoselecting connect may take over this TIME_WAIT entry now. */
export function recyclable(agg: Aggregate, i: number, params: HeadroomParams): boolean {
  const t = agg.snap.tcp;
  if (t.state[i] !== ST.TIME_WAIT || params.timestamps === 0 || params.twReuse === 0) return false;
  if (params.twReuse === 2) {
    const a = agg.snap.addrs;
    if (!a.info(t.laddr[i] ?? 0).loopback && !a.info(t.raddr[i] ?? 0).loopback) return false;
  }
  const age = TIME_WAIT_MS - (t.whenMs[i] ?? 0);
  return age > params.twReuseDelayMs;
}

const stamp = new Uint32Array(65536);
let stampNo = 0;

/** Headroom of one triple (null: a destination with no socket yet). */
export function headroomOf(agg: Aggregate, c: Candidates, tr: Triple | null): Headroom {
  const t = agg.snap.tcp;
  stampNo++;
  if (stampNo === 0xffffffff) {
    stamp.fill(0);
    stampNo = 1;
  }
  let held = 0;
  let recyc = 0;
  for (const i of tr?.sockets ?? []) {
    const p = t.lport[i] ?? 0;
    if (c.usable[p] !== 1 || stamp[p] === stampNo) continue;
    if (recyclable(agg, i, c.params)) {
      recyc++;
      continue;
    }
    stamp[p] = stampNo;
    held++;
  }
  const free = c.count - held;
  const [lo, hi] = c.params.range;
  const size = hi - lo + 1;
  let guaranteed = free;
  if (size > 1 && size % 2 === 1) {
    const endFree = (p: number) => c.usable[p] === 1 && stamp[p] !== stampNo;
    if (endFree(lo) || endFree(hi)) guaranteed = free - 1;
  }
  return {
    headroom: Math.max(0, guaranteed),
    headroomMax: free,
    heldByTuples: held,
    recyclableTimeWait: recyc,
  };
}
