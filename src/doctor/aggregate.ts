/**
 * Groups a snapshot's TCP sockets the way connect() sees them (spec R11-R14): by the triple
 * (source address, destination address, destination port) whose 4-tuples compete for one range,
 * and by the ports that no autoselecting connect may take at all.
 *
 * What /proc/net/tcp cannot show, and how this file infers it:
 * - which connected sockets hold a *bind-owned* port (bind() before connect(), R23: that port is
 *   then skipped by every autoselecting connect towards every destination, R12). Connect's search
 *   takes ports of the parity of the range's low end first and only moves to the other parity
 *   once that class is used up for its triple (R11); bind(0) does the opposite (R40). So a client
 *   socket on an other-parity port, in a triple that still has first-parity ports to spare, *may*
 *   have got its port from bind(): it is counted as bind-held, and this is a GUESS. The other
 *   reading: connect() took it after the first-parity ports of its triple were used up, and the
 *   sockets on those ports have since closed without leaving TIME_WAIT (a reset, or the peer
 *   closed first), which the table cannot show. `missingFirst` is how many such sockets that
 *   reading needs; the report shows both readings (headroom surely / at most), never one as fact.
 *   (Sockets with a per-socket IP_LOCAL_PORT_RANGE take either parity, R71, and would be counted
 *   too.)
 *   What makes the guess rarer: a port that the same source address uses towards two or more
 *   destinations is connect-owned. bind(ip, 0) never takes a port an overlapping socket holds
 *   (R41), and connect() never takes a bind-owned one (R12); only connect() shares a port between
 *   destinations. Such ports are never counted as bind-held (`clearedBySharing`).
 * - sockets that are only bound (state CLOSE) are not listed in /proc/net/tcp at all (the file
 *   walks the listening and established tables only), so their ports look free.
 * A connection whose local port is a listening port is the server side of an accepted
 * connection; it does not compete for the ephemeral range and is not a destination.
 */
import type { Snapshot } from '../procnet/index.js';
import { holdsFourTuple, ST } from '../procnet/index.js';

/** Sockets of one (source, destination address, destination port) triple. */
export interface Triple {
  readonly laddr: number;
  readonly raddr: number;
  readonly rport: number;
  /** Sockets per state code (index = /proc state code). */
  readonly states: Uint32Array;
  /** Indexes into snapshot.tcp of the triple's sockets. */
  readonly sockets: number[];
  /** Of them, on bind-held ports (a guess by parity, see the header). */
  bindHeld: number;
  /**
   * For the other reading of those ports (connect() took them): how many first-parity sockets of
   * this triple must have closed without TIME_WAIT. 0 when nothing is guessed.
   */
  missingFirst: number;
}

export interface Aggregate {
  readonly snap: Snapshot;
  /** 1 for a port some socket listens on (any address): bind-owned for every connect (R12, R15). */
  readonly listening: Uint8Array;
  /** 1 for a port held by a socket inferred to have bound before connect (R23). */
  readonly bindHeld: Uint8Array;
  /** Bind-held sockets per source address id. */
  readonly bindHeldBySource: Map<number, number>;
  /** Other-parity ports not guessed bind-held because their source shares them between destinations. */
  clearedBySharing: number;
  /** Distinct ports guessed bind-held (not listening ones). */
  bindHeldPorts: number;
  readonly triples: Triple[];
  readonly bySource: Map<number, Map<number, Triple>>;
  /** Accepted (server-side) connections per listening port. */
  readonly serverSide: number;
  /** TCP sockets per state over the whole table. */
  readonly states: Uint32Array;
}

export function tripleKey(raddr: number, rport: number): number {
  return raddr * 65536 + rport;
}

export function aggregate(snap: Snapshot): Aggregate {
  const t = snap.tcp;
  const listening = new Uint8Array(65536);
  const states = new Uint32Array(16);
  for (let i = 0; i < t.count; i++) {
    const st = t.state[i] ?? 0;
    states[st] = (states[st] ?? 0) + 1;
    if (st === ST.LISTEN) listening[t.lport[i] ?? 0] = 1;
  }
  const bySource = new Map<number, Map<number, Triple>>();
  const triples: Triple[] = [];
  let serverSide = 0;
  let lastL = -1;
  let lastMap: Map<number, Triple> | undefined;
  for (let i = 0; i < t.count; i++) {
    const st = t.state[i] ?? 0;
    if (!holdsFourTuple(st)) continue;
    const lport = t.lport[i] ?? 0;
    if (listening[lport] === 1) {
      serverSide++;
      continue;
    }
    const l = t.laddr[i] ?? 0;
    if (l !== lastL) {
      lastMap = bySource.get(l);
      if (lastMap === undefined) {
        lastMap = new Map();
        bySource.set(l, lastMap);
      }
      lastL = l;
    }
    const m = lastMap as Map<number, Triple>;
    const r = t.raddr[i] ?? 0;
    const rp = t.rport[i] ?? 0;
    const key = tripleKey(r, rp);
    let tr = m.get(key);
    if (tr === undefined) {
      tr = {
        laddr: l,
        raddr: r,
        rport: rp,
        states: new Uint32Array(12),
        sockets: [],
        bindHeld: 0,
        missingFirst: 0,
      };
      m.set(key, tr);
      triples.push(tr);
    }
    tr.states[st] = (tr.states[st] ?? 0) + 1;
    tr.sockets.push(i);
  }
  const agg: Aggregate = {
    snap,
    listening,
    bindHeld: new Uint8Array(65536),
    bindHeldBySource: new Map(),
    clearedBySharing: 0,
    bindHeldPorts: 0,
    triples,
    bySource,
    serverSide,
    states,
  };
  inferBindHeld(agg);
  return agg;
}

/** The parity inference described in the header (R11 vs R40). */
function inferBindHeld(agg: Aggregate): void {
  const { snap, listening } = agg;
  const [lo, hi] = snap.sysctls.values.range;
  const size = hi - lo + 1;
  if (size < 2) return;
  const reserved = new Uint8Array(65536);
  for (const p of snap.sysctls.values.reserved) reserved[p] = 1;
  // First-parity ports an autoselecting connect can reach in one attempt (R11: an odd-sized
  // range leaves one end out of each attempt).
  let firstClass = 0;
  for (let p = lo; p <= hi; p += 2) if (reserved[p] === 0 && listening[p] === 0) firstClass++;
  if (size % 2 === 1) firstClass--;
  const parity = lo & 1;
  const t = snap.tcp;
  let users: Map<number, number> | null = null;
  for (const tr of agg.triples) {
    let first = 0;
    let other = 0;
    for (const i of tr.sockets) {
      const p = t.lport[i] ?? 0;
      if (p < lo || p > hi || reserved[p] === 1) continue;
      if ((p & 1) === parity) first++;
      else other++;
    }
    if (other === 0 || first >= firstClass) continue;
    users ??= portUsers(agg);
    for (const i of tr.sockets) {
      const p = t.lport[i] ?? 0;
      if (p < lo || p > hi || reserved[p] === 1 || (p & 1) === parity) continue;
      // R41 + R12: a port this source uses towards another destination too is connect-owned.
      if ((users.get(tr.laddr * 65536 + p) ?? 0) > 1) {
        agg.clearedBySharing++;
        continue;
      }
      if (agg.bindHeld[p] === 0) agg.bindHeldPorts++;
      agg.bindHeld[p] = 1;
      tr.bindHeld++;
      agg.bindHeldBySource.set(tr.laddr, (agg.bindHeldBySource.get(tr.laddr) ?? 0) + 1);
    }
    if (tr.bindHeld > 0) tr.missingFirst = firstClass - first;
  }
}

/**
 * Client sockets per (source address id, local port), built once and only when some triple has
 * an other-parity socket to judge (most hosts have none: this costs nothing there).
 */
function portUsers(agg: Aggregate): Map<number, number> {
  const m = new Map<number, number>();
  const t = agg.snap.tcp;
  for (const tr of agg.triples)
    for (const i of tr.sockets) {
      const key = tr.laddr * 65536 + (t.lport[i] ?? 0);
      m.set(key, (m.get(key) ?? 0) + 1);
    }
  return m;
}
