/**
 * Headroom from a /proc snapshot: how many more connect()s towards one destination (dst ip, dst
 * port) from one source address can succeed before EADDRNOTAVAIL (spec R14). The counting is the
 * model's (model/headroom.ts: candidates = range - reserved - bind-owned, R1, R2, R12, R23; free =
 * candidates whose 4-tuple is not held, R14; the odd-range end, R11), and so is the R62 verdict on
 * each TIME_WAIT entry (model/timewait-reuse.ts). This file gathers the facts from the snapshot's
 * columns, in O(sockets of the triple): bind-owned ports are the listening ones and those the
 * parity inference guesses bind-held (aggregate.ts); a TIME_WAIT row's age is 60 s minus the timer
 * the file shows (R6); an orphaned FIN_WAIT2 row is never recycled.
 */

import {
  type CandidatePorts,
  candidatePorts,
  type Headroom,
  mayReuseTimeWait,
  settleHeadroom,
  type TimeWaitFacts,
} from '../model/index.js';
import { type PortSysctls, ST, timeWaitAgeMs } from '../procnet/index.js';
import type { Aggregate, Triple } from './aggregate.js';

export type { Headroom };

/** The sysctls that decide headroom, and what-ifs for the fixes. */
export type HeadroomParams = Pick<
  PortSysctls,
  'range' | 'reserved' | 'twReuse' | 'twReuseDelayMs' | 'timestamps'
> & {
  /** Treat bind-held ports as connect-shareable (what IP_BIND_ADDRESS_NO_PORT would give). */
  readonly ignoreBindHeld?: boolean;
};

/** The candidate ports of a parameter set, shared by every triple. */
export interface Candidates extends CandidatePorts {
  readonly params: HeadroomParams;
}

export function candidates(agg: Aggregate, params: HeadroomParams): Candidates {
  const c = candidatePorts(
    params.range,
    params.reserved,
    (p) => agg.listening[p] === 1 || (!params.ignoreBindHeld && agg.bindHeld[p] === 1),
  );
  return { ...c, params };
}

/**
 * R62, asked of the model: may an autoselecting connect take over this row's TIME_WAIT entry now?
 * /proc cannot show whether the peer sends timestamps: the entry is taken to have them when
 * tcp_timestamps is on now (R4). The snapshot's moment is time 0, so the entry was made its age
 * before (R6: 60 s minus the timer the file shows).
 */
export function recyclable(agg: Aggregate, i: number, params: HeadroomParams): boolean {
  const t = agg.snap.tcp;
  if (t.state[i] !== ST.TIME_WAIT) return false;
  const a = agg.snap.addrs;
  const entry: TimeWaitFacts = {
    substate: 'TIME_WAIT',
    hasPeerTs: params.timestamps !== 0,
    laddr: a.info(t.laddr[i] ?? 0),
    raddr: a.info(t.raddr[i] ?? 0),
    entryMs: -timeWaitAgeMs(t.whenMs[i] ?? 0),
  };
  return mayReuseTimeWait(entry, 0, params, 'AUTOSELECT');
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
  return settleHeadroom(c, held, recyc, (p) => stamp[p] === stampNo);
}
