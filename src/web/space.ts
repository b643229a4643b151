/**
 * The port space as the page draws it: the range, the ports no connect() may take whatever the
 * destination (reserved R2, bind-owned R12), and every socket or TIME_WAIT entry holding a port
 * of the range, with its source address and destination. The page colours one grid per source
 * address for the destination the user selects; the categories are decided in the browser from
 * these facts, so switching destinations needs no request.
 *
 * Two builders: from the model's state (a script step: the model knows every fact exactly) and
 * from a /proc snapshot (the live host: the doctor's aggregate supplies the listening ports, the
 * inferred bind-before-connect ports, R23, and which TIME_WAIT entries connect() may recycle, R62).
 */
import { type Aggregate, type HeadroomParams, recyclable } from '../doctor/index.js';
import { type NetnsView, parseAddr } from '../model/index.js';
import { holdsFourTuple, ST, stateName } from '../procnet/index.js';

/** One socket or TIME_WAIT entry on a port of the range. */
export interface HolderJson {
  readonly port: number;
  /** The local address as text ('0.0.0.0' or '::' for the wildcard). */
  readonly source: string;
  /** `ip:port` (`[v6]:port`) of the peer for a 4-tuple; null for a bound or listening socket. */
  readonly destination: string | null;
  readonly state: string;
  /** Who it is, as the model or /proc names it. */
  readonly label: string;
  /** Holds the port for every destination: listening, only bound, or bound before connect (R12, R23). */
  readonly bindOwned: boolean;
  /** A TIME_WAIT entry an autoselecting connect() may recycle now (R62). */
  readonly recyclable: boolean;
}

export interface SpaceJson {
  readonly range: readonly [number, number];
  /** Reserved ports inside the range (R2). */
  readonly reserved: readonly number[];
  /** Bind-owned ports inside the range (R12): no autoselecting connect() takes them. */
  readonly bindOwned: readonly number[];
  /** Source addresses with a grid, busiest first. */
  readonly sources: readonly string[];
  /** Destinations of the 4-tuples in the range, busiest first. */
  readonly destinations: readonly string[];
  /** Every holder of a range port, by port. */
  readonly holders: readonly HolderJson[];
  readonly sysctls: {
    readonly twReuse: number;
    readonly twReuseDelayMs: number;
    readonly timestamps: number;
  };
  /** What the reader must know about where the facts come from. */
  readonly notes: readonly string[];
}

/** Holders shown at most; a bigger table is cut (the counts say so). */
export const MAX_HOLDERS = 100_000;

function endpointText(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function byCount(values: Iterable<string>): string[] {
  const n = new Map<string, number>();
  for (const v of values) n.set(v, (n.get(v) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([v]) => v);
}

function isWildcard(addr: string): boolean {
  return parseAddr(addr)?.wildcard ?? false;
}

function finish(
  range: readonly [number, number],
  reserved: readonly number[],
  bindOwned: Iterable<number>,
  holders: HolderJson[],
  sysctls: SpaceJson['sysctls'],
  notes: string[],
): SpaceJson {
  const [lo, hi] = range;
  holders.sort((a, b) => a.port - b.port || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  if (holders.length > MAX_HOLDERS) {
    notes.push(`${holders.length} holders in the range; the first ${MAX_HOLDERS} by port are shown`);
    holders.length = MAX_HOLDERS;
  }
  const sources = byCount(holders.filter((h) => !isWildcard(h.source)).map((h) => h.source));
  return {
    range: [lo, hi],
    reserved: reserved.filter((p) => p >= lo && p <= hi),
    bindOwned: [...bindOwned].filter((p) => p >= lo && p <= hi).sort((a, b) => a - b),
    sources,
    destinations: byCount(holders.flatMap((h) => (h.destination === null ? [] : [h.destination]))),
    holders,
    sysctls,
    notes,
  };
}

/** The sysctls a TIME_WAIT verdict needs, read from the model (a missing one: the 6.18 default). */
function modelSysctls(read: (name: string) => string | null): SpaceJson['sysctls'] {
  const num = (name: string, dflt: number) => {
    const v = Number(read(name));
    return Number.isFinite(v) && read(name) !== null ? v : dflt;
  };
  return {
    twReuse: num('net.ipv4.tcp_tw_reuse', 2),
    twReuseDelayMs: num('net.ipv4.tcp_tw_reuse_delay', 1000),
    timestamps: num('net.ipv4.tcp_timestamps', 1),
  };
}

/** A script step's state: `read` is Netns.readSysctl's value (null when the profile lacks it). */
export function spaceFromModel(view: NetnsView, read: (name: string) => string | null): SpaceJson {
  const range = view.portRange;
  const [lo, hi] = range;
  const sysctls = modelSysctls(read);
  const bindOwned = new Set(view.bindOwnedPorts);
  const listening = new Set(view.sockets.filter((s) => s.state === 'LISTEN').map((s) => s.local.port));
  const holders: HolderJson[] = [];
  for (const s of view.sockets) {
    const p = s.local.port;
    if (p < lo || p > hi) continue;
    // The server side of an accepted connection sits on its listener's port: not a destination.
    const destination =
      s.remote !== null && !listening.has(p) ? endpointText(s.remote.addr, s.remote.port) : null;
    holders.push({
      port: p,
      source: s.local.addr,
      destination,
      state: s.state,
      label: s.label,
      bindOwned: bindOwned.has(p) && !s.connectBound,
      recyclable: false,
    });
  }
  for (const t of view.timewaits) {
    const p = t.local.port;
    if (p < lo || p > hi) continue;
    holders.push({
      port: p,
      source: t.local.addr,
      destination: endpointText(t.remote.addr, t.remote.port),
      state: t.substate,
      label: `${t.substate} entry ${endpointText(t.local.addr, p)} -> ${endpointText(t.remote.addr, t.remote.port)}, ${Math.max(0, Math.ceil((t.expiresMs - view.now) / 1000))} s left`,
      bindOwned: false,
      // The model's own R62 verdict (it knows whether the peer sent timestamps, R4).
      recyclable: t.recyclable,
    });
  }
  return finish(range, view.reserved, bindOwned, holders, sysctls, []);
}

/** The live host's (or a /proc copy's) state, through the doctor's aggregate. */
export function spaceFromAggregate(agg: Aggregate, params: HeadroomParams): SpaceJson {
  const [lo, hi] = params.range;
  const t = agg.snap.tcp;
  const addrs = agg.snap.addrs;
  const holders: HolderJson[] = [];
  const bindOwned: number[] = [];
  for (let p = lo; p <= hi; p++) if (agg.listening[p] === 1 || agg.bindHeld[p] === 1) bindOwned.push(p);
  for (let i = 0; i < t.count; i++) {
    const p = t.lport[i] ?? 0;
    if (p < lo || p > hi) continue;
    const st = t.state[i] ?? 0;
    const source = addrs.text(t.laddr[i] ?? 0);
    const remote = addrs.endpoint(t.raddr[i] ?? 0, t.rport[i] ?? 0);
    const tuple = holdsFourTuple(st) && agg.listening[p] !== 1;
    const name = stateName(st);
    const left =
      st === ST.TIME_WAIT || st === ST.FIN_WAIT2 ? `, ${Math.ceil((t.whenMs[i] ?? 0) / 1000)} s left` : '';
    const local = addrs.endpoint(t.laddr[i] ?? 0, p);
    holders.push({
      port: p,
      source,
      destination: tuple ? remote : null,
      state: name,
      label: `tcp${t.family[i] === 6 ? '6' : ''} ${local}${tuple ? ` -> ${remote}` : ''} ${name}${left}`,
      bindOwned: agg.listening[p] === 1 || (agg.bindHeld[p] === 1 && st !== ST.TIME_WAIT),
      recyclable: recyclable(agg, i, params),
    });
  }
  // The doctor's report already says that bound-only sockets are not in /proc/net/tcp.
  const notes = [
    'bind-before-connect ports are inferred from their parity (R11 vs R40), as portspace doctor does',
  ];
  return finish(
    [lo, hi],
    params.reserved,
    bindOwned,
    holders,
    { twReuse: params.twReuse, twReuseDelayMs: params.twReuseDelayMs, timestamps: params.timestamps },
    notes,
  );
}
