/**
 * A /proc snapshot as a model namespace: the sysctls, every listener, every connection with the
 * port it holds, and every TIME_WAIT entry with its age, so that the model's own questions
 * (`inspect()`, `headroom()`, `outcomes()`, what a next call would do) can be asked of a real host.
 *
 * It lives in doctor/ because it needs both the snapshot (procnet/) and the doctor's reading of it
 * (aggregate.ts): which ports a connected socket bound before connect() (R23) is not in /proc and
 * is the doctor's parity guess. One guess, one place: the loader binds those ports first, and lets
 * connect() take every other port itself (`follow`, R11-R13), so bind-owned and connect-owned
 * ports (R12, R14) are what the doctor counts.
 *
 * Everything is made through the model's public calls, the way the kernel got there:
 *  - a listener: bind() + listen();
 *  - a connection: bind(source, 0) with IP_BIND_ADDRESS_NO_PORT (R22) + connect() adopting the
 *    port /proc shows; a guessed bind-held port: bind(source, port) + connect() (R23). Towards a
 *    local listener the model makes the server side too (it is accepted, and its /proc row is the
 *    one already made); towards any other address the model's remote host accepts;
 *  - a TIME_WAIT entry: that connection closed by us first (R60); the entries are made oldest
 *    first with virtual time advanced between them, so each has its age (R6: 60 s minus the timer
 *    /proc shows) and R62 judges it as the kernel would;
 *  - the peer closed first (CLOSE_WAIT, R60) and orphaned FIN_WAIT2 entries of local connections.
 * What the model cannot make is reported in `skipped`, one line per row, never silently dropped:
 * an incoming connection from another host (its port is its listener's, which holds it for every
 * destination anyway, R12), a second listener of a SO_REUSEPORT group (/proc does not show the
 * option), a connection to a local port nobody listens on any more.
 */
import {
  type Endpoint,
  Netns,
  NotAnOutcomeError,
  type Result,
  type SockId,
  type SysctlSettings,
} from '../model/index.js';
import { holdsFourTuple, type Snapshot, ST, stateName, timeWaitAgeMs } from '../procnet/index.js';
import { aggregate } from './aggregate.js';

export interface LoadedNetns {
  readonly ns: Netns;
  /** Rows the model could not hold, one line each: `tcp 10.0.0.1:443 -> 1.2.3.4:5555 ESTABLISHED: why`. */
  readonly skipped: readonly string[];
  /** Rows placed on a different footing than /proc suggests, one line each, with why. */
  readonly approximated: readonly string[];
}

export interface LoadOptions {
  /** Seed of the model's entropy (default 1): the kernel's secret hash is not in /proc. */
  readonly seed?: number;
}

/** One TCP row to make. */
interface Job {
  readonly i: number;
  /** Age of a TIME_WAIT row (ms); 0 for the others. */
  readonly ageMs: number;
  /** A server-side row whose client end is not in the snapshot: made from that client's side. */
  readonly fromPeer: boolean;
}

export function netnsFromSnapshot(snap: Snapshot, opts: LoadOptions = {}): LoadedNetns {
  const agg = aggregate(snap);
  const t = snap.tcp;
  const a = snap.addrs;
  const v = snap.sysctls.values;
  const sysctls: SysctlSettings = {
    'net.ipv4.ip_unprivileged_port_start': v.unprivilegedPortStart,
    'net.ipv4.ip_local_port_range': v.range,
    'net.ipv4.ip_local_reserved_ports': v.reserved,
    'net.ipv4.tcp_tw_reuse': v.twReuse,
    'net.ipv4.tcp_tw_reuse_delay': v.twReuseDelayMs,
    'net.ipv4.tcp_timestamps': v.timestamps === 1 || v.timestamps === 2 ? v.timestamps : 0,
    'net.ipv4.tcp_max_tw_buckets': v.maxTwBuckets,
  };
  const ns = new Netns({ seed: opts.seed ?? 1, sysctls });
  const skipped: string[] = [];
  const approximated: string[] = [];
  const rowText = (i: number) =>
    `tcp${t.family[i] === 6 ? '6' : ''} ${a.endpoint(t.laddr[i] ?? 0, t.lport[i] ?? 0)}${
      holdsFourTuple(t.state[i] ?? 0) ? ` -> ${a.endpoint(t.raddr[i] ?? 0, t.rport[i] ?? 0)}` : ''
    } ${stateName(t.state[i] ?? 0)}`;
  const skip = (i: number, why: string) => skipped.push(`${rowText(i)}: ${why}`);
  // An address as a socket of this row's family names it (a v4-mapped one on tcp6).
  const addrOf = (i: number, id: number) => {
    const info = a.info(id);
    return t.family[i] === 6 && info.family === 4 ? `::ffff:${info.text}` : info.text;
  };
  const kindOf = (i: number): 'tcp4' | 'tcp6' => (t.family[i] === 6 ? 'tcp6' : 'tcp4');

  addLocalAddresses(ns, snap);

  // Listeners first: every connection to a local port needs its listener, and their ports are
  // bind-owned for every destination (R12).
  const listeners = new Map<number, SockId[]>();
  for (let i = 0; i < t.count; i++) {
    if (t.state[i] !== ST.LISTEN) continue;
    const port = t.lport[i] ?? 0;
    const s = listenOn(ns, kindOf(i), { addr: addrOf(i, t.laddr[i] ?? 0), port });
    if (s === null)
      skip(i, 'its port is taken: /proc does not show the SO_REUSEPORT a group of listeners shares');
    else listeners.set(port, [...(listeners.get(port) ?? []), s]);
  }

  // Server-side rows are made by their client's connect(); `made` holds the ones that were.
  const made = new Set<string>();
  const key = (l: number, lp: number, r: number, rp: number) => `${l}:${lp}>${r}:${rp}`;
  const localIds = localAddressIds(snap);
  const live: Job[] = [];
  const timeWait: Job[] = [];
  for (let i = 0; i < t.count; i++) {
    const st = t.state[i] ?? 0;
    if (!holdsFourTuple(st)) continue;
    const fromPeer = agg.listening[t.lport[i] ?? 0] === 1;
    if (st === ST.TIME_WAIT) timeWait.push({ i, ageMs: timeWaitAgeMs(t.whenMs[i] ?? 0), fromPeer });
    else live.push({ i, ageMs: 0, fromPeer });
  }
  // Connections first (client ends before server sides, which they mostly make), at time 0: a
  // TIME_WAIT row's port may be one connect() reaches only once they hold theirs (R11). Then the
  // TIME_WAIT entries, oldest first, time advancing so that each ends with its own age (R6).
  live.sort((x, y) => Number(x.fromPeer) - Number(y.fromPeer));
  timeWait.sort((x, y) => y.ageMs - x.ageMs);
  const oldest = timeWait[0]?.ageMs ?? 0;
  for (const j of [...live, ...timeWait]) {
    const i = j.i;
    const st = t.state[i] ?? 0;
    const [l, lp, r, rp] = [t.laddr[i] ?? 0, t.lport[i] ?? 0, t.raddr[i] ?? 0, t.rport[i] ?? 0];
    if (j.fromPeer && made.has(key(l, lp, r, rp))) continue;
    if (st === ST.TIME_WAIT) ns.advance(Math.max(0, oldest - j.ageMs - ns.now));
    const local = a.info(r).loopback || localIds.has(r);
    if (j.fromPeer && !(local && st === ST.TIME_WAIT)) {
      skip(i, local ? 'its client end is not in the snapshot' : 'an incoming connection from another host');
      continue;
    }
    // The client end: the row itself, or (the server closed first) its peer.
    const c = j.fromPeer ? { l: r, lp: rp, r: l, rp: lp } : { l, lp, r, rp };
    const bound = agg.bindHeld[c.lp] === 1;
    const to = { addr: addrOf(i, c.r), port: c.rp };
    let conn = connectAs(ns, kindOf(i), addrOf(i, c.l), c.lp, to, bound);
    let via = listeners.get(c.rp) ?? [];
    let temporary: SockId | null = null;
    if (!conn.ok && conn.errno === 'ECONNREFUSED' && local) {
      // Its listener has gone since (the connection outlives it): one made for the connect and
      // closed once it is accepted leaves the same connection (a listener's close resets only
      // connections it has not handed out, R61).
      temporary = listenOn(ns, kindOf(i), to);
      if (temporary !== null) {
        conn = connectAs(ns, kindOf(i), addrOf(i, c.l), c.lp, to, bound);
        via = [temporary];
        approximated.push(
          `${rowText(i)}: nothing listens on ${to.addr}:${to.port} any more; made through a listener closed after accept()`,
        );
      }
    }
    if (!conn.ok) {
      if (temporary !== null) ns.close(temporary);
      skip(i, `${conn.errno} (${conn.rule}): ${conn.reason}`);
      continue;
    }
    if (conn.placedByBind)
      approximated.push(
        `${rowText(i)}: bound before connect(): connect() could not have chosen port ${c.lp} in this state (R11)`,
      );
    const child = local ? acceptOn(ns, via) : null;
    if (temporary !== null) ns.close(temporary);
    if (local) made.add(key(c.r, c.rp, c.l, c.lp));
    if (!finish(ns, st, j.fromPeer, conn.sock, child))
      approximated.push(`${rowText(i)}: held as ESTABLISHED (the model cannot hold ${stateName(st)} here)`);
  }
  ns.advance(oldest - ns.now);
  loadUdp(ns, snap, skipped);
  return { ns, skipped, approximated };
}

/**
 * The state the row shows, reached by closing the right ends (R60): see the header. False when
 * the model has no such state for this connection (it stays ESTABLISHED, holding its 4-tuple).
 */
function finish(ns: Netns, st: number, serverFirst: boolean, client: SockId, child: SockId | null): boolean {
  if (st === ST.TIME_WAIT) {
    // We closed first; a local peer then closes too, which turns our FIN_WAIT2 into TIME_WAIT.
    const [first, second] = serverFirst ? [child, client] : [client, child];
    if (first !== null) ns.close(first);
    if (second !== null) ns.close(second);
    return true;
  }
  if (st === ST.FIN_WAIT2 && child !== null) return ns.close(client).ok;
  if (st === ST.CLOSE_WAIT) return (child !== null ? ns.close(child) : ns.remotePeerClosed(client)).ok;
  return st === ST.ESTABLISHED;
}

/**
 * A connected socket from source:port to `to`: the port taken by connect() itself (R22 + R13,
 * adopting it), or bound first when the doctor guesses so (R23) or connect() could not have
 * chosen it now (then `placedByBind`).
 */
function connectAs(
  ns: Netns,
  kind: 'tcp4' | 'tcp6',
  source: string,
  port: number,
  to: Endpoint,
  bindFirst: boolean,
): Result<{ sock: SockId; placedByBind: boolean }> {
  if (!bindFirst) {
    const s = open(ns, kind);
    ns.setsockopt(s, 'IP_BIND_ADDRESS_NO_PORT', 1);
    try {
      const r = then(ns.bind(s, source, 0), () => ns.connect(s, to.addr, to.port, { follow: port }));
      if (r.ok) return { ok: true, sock: s, placedByBind: false };
      ns.close(s);
      return r;
    } catch (e) {
      ns.close(s);
      if (!(e instanceof NotAnOutcomeError)) throw e;
    }
  }
  const s = open(ns, kind);
  const r = then(ns.bind(s, source, port), () => ns.connect(s, to.addr, to.port));
  if (r.ok) return { ok: true, sock: s, placedByBind: !bindFirst };
  ns.close(s);
  return r;
}

function open(ns: Netns, kind: 'tcp4' | 'tcp6' | 'udp4' | 'udp6'): SockId {
  const r = ns.socket(kind);
  if (!r.ok) throw new Error(`model bug: socket(${kind}) failed: ${r.reason}`);
  return r.sock;
}

/** A listening socket on `at`, or null when bind() or listen() refuses. */
function listenOn(ns: Netns, kind: 'tcp4' | 'tcp6', at: Endpoint): SockId | null {
  const s = open(ns, kind);
  if (then(ns.bind(s, at.addr, at.port), () => ns.listen(s)).ok) return s;
  ns.close(s);
  return null;
}

/** `first`, then `next` if it succeeded. */
function then(first: Result, next: () => Result): Result {
  return first.ok ? next() : first;
}

/** The connection just made towards a local listener, accepted (one of the port's listeners has it). */
function acceptOn(ns: Netns, listeners: readonly SockId[]): SockId | null {
  for (const l of listeners) {
    const r = ns.accept(l);
    if (r.ok) return r.sock;
  }
  return null;
}

/** The host's own addresses: the local address of some row. */
function localAddressIds(snap: Snapshot): Set<number> {
  const ids = new Set<number>();
  for (const table of [snap.tcp, snap.udp])
    for (let i = 0; i < table.count; i++) ids.add(table.laddr[i] ?? 0);
  return ids;
}

/**
 * Every non-loopback local address of the snapshot. The first of each family is added with
 * prefix 0: every other address of the family is then a remote host reached through it (R10).
 */
function addLocalAddresses(ns: Netns, snap: Snapshot): void {
  const seen = new Set<number>();
  const firstOf = new Set<4 | 6>();
  for (const table of [snap.tcp, snap.udp])
    for (let i = 0; i < table.count; i++) {
      const id = table.laddr[i] ?? 0;
      if (seen.has(id)) continue;
      seen.add(id);
      const info = snap.addrs.info(id);
      if (info.loopback || info.wildcard) continue;
      const len = firstOf.has(info.family) ? (info.family === 4 ? 32 : 128) : 0;
      firstOf.add(info.family);
      ns.addAddress(`${info.text}/${len}`);
    }
}

/** UDP sockets hold their ports in UDP's own space (R95): bound, and connected when /proc says so. */
function loadUdp(ns: Netns, snap: Snapshot, skipped: string[]): void {
  const u = snap.udp;
  const a = snap.addrs;
  for (let i = 0; i < u.count; i++) {
    const v6 = u.family[i] === 6;
    const text = (id: number) => (v6 && a.info(id).family === 4 ? `::ffff:${a.text(id)}` : a.text(id));
    const s = open(ns, v6 ? 'udp6' : 'udp4');
    const rid = u.raddr[i] ?? 0;
    const connected = !a.info(rid).wildcard && (u.rport[i] ?? 0) !== 0;
    const r = then(ns.bind(s, text(u.laddr[i] ?? 0), u.lport[i] ?? 0), () =>
      connected ? ns.connect(s, text(rid), u.rport[i] ?? 0) : { ok: true },
    );
    if (r.ok) continue;
    ns.close(s);
    skipped.push(
      `udp${v6 ? '6' : ''} ${a.endpoint(u.laddr[i] ?? 0, u.lport[i] ?? 0)}: ${r.errno} (${r.rule}): ${r.reason}`,
    );
  }
}
