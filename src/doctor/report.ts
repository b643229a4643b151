/**
 * The doctor's report: per (source, destination) counts and headroom, the tightest first, the
 * host-wide facts behind them (range, reserved, bind-owned ports), what connect() to a named
 * destination would do now, and the warnings with their fixes (warnings.ts). A plain JSON-ready
 * value: the CLI prints it as a table, as JSON or as Prometheus text.
 */
import { type Snapshot, ST, stateName, type UnreadableLine } from '../procnet/index.js';
import { type Aggregate, aggregate, type Triple, tripleKey } from './aggregate.js';
import { type Candidates, candidates, type HeadroomParams, headroomOf } from './headroom.js';
import { type Rates, rateKey, type Warning, warningsFor } from './warnings.js';

export interface DestinationRow {
  readonly source: string;
  readonly destination: string;
  readonly established: number;
  readonly timeWait: number;
  /** Sockets per state name (only states present). */
  readonly states: Readonly<Record<string, number>>;
  /** Candidate ports held by this destination's 4-tuples. */
  readonly held: number;
  /** TIME_WAIT entries a new connect may recycle now (R62). */
  readonly recyclableTimeWait: number;
  /** Sockets of this destination on ports they bound before connect (R23). */
  readonly bindHeld: number;
  /** More connect()s that will surely succeed (R14). */
  readonly headroom: number;
  /** More than headroom only with an odd-sized range (R11). */
  readonly headroomMax: number;
  /** headroom / candidate ports: 0 = exhausted. */
  readonly headroomRatio: number;
}

export interface ConnectPrediction {
  readonly source: string;
  readonly destination: string;
  readonly headroom: number;
  readonly headroomMax: number;
  /** The ports the next connect could take from (the range minus everything in the way). */
  readonly candidates: number;
  readonly result: 'ok' | 'EADDRNOTAVAIL' | 'EADDRNOTAVAIL-possible';
  readonly explanation: string;
}

export interface DoctorReport {
  readonly range: readonly [number, number];
  readonly rangeSize: number;
  readonly reservedInRange: number;
  /** Range ports some socket listens on (R12: no connect takes them). */
  readonly listeningInRange: number;
  /** Range ports held by sockets that bound before connect (R23). */
  readonly bindHeldInRange: number;
  /** Ports an autoselecting connect can choose from, for a destination with no 4-tuple yet. */
  readonly candidatePorts: number;
  /** Headroom towards a destination nobody connects to yet (odd ranges: guaranteed). */
  readonly freshHeadroom: number;
  readonly sysctls: {
    readonly twReuse: number;
    readonly twReuseDelayMs: number;
    readonly timestamps: number;
    readonly reserved: readonly number[];
  };
  readonly tcp: {
    readonly sockets: number;
    readonly states: Readonly<Record<string, number>>;
    readonly accepted: number;
  };
  readonly udp: { readonly sockets: number; readonly connected: number };
  readonly sources: readonly {
    readonly source: string;
    readonly destinations: number;
    readonly bindHeld: number;
  }[];
  /** Every destination, tightest first. */
  readonly destinations: readonly DestinationRow[];
  readonly to: readonly ConnectPrediction[] | null;
  /** With --watch from the second sample on: per destination, per second over the interval. */
  readonly rates: {
    readonly intervalSec: number;
    readonly destinations: readonly {
      readonly source: string;
      readonly destination: string;
      readonly timeWaitPerSec: number;
      readonly establishedPerSec: number;
    }[];
  } | null;
  readonly warnings: readonly Warning[];
  readonly unreadable: { readonly count: number; readonly examples: readonly UnreadableLine[] };
  readonly notes: readonly string[];
}

export interface ReportOptions {
  readonly to?: { readonly addr: string; readonly port: number };
  /** From --watch: the rates measured between two samples. */
  readonly rates?: Rates;
}

export function paramsOf(snap: Snapshot): HeadroomParams {
  const s = snap.sysctls.values;
  return {
    range: s.range,
    reserved: s.reserved,
    twReuse: s.twReuse,
    twReuseDelayMs: s.twReuseDelayMs,
    timestamps: s.timestamps,
  };
}

function statesOf(counts: Uint32Array): Record<string, number> {
  const out: Record<string, number> = {};
  counts.forEach((n, st) => {
    if (n > 0 && st > 0) out[stateName(st)] = n;
  });
  return out;
}

export function destinationRow(agg: Aggregate, c: Candidates, tr: Triple): DestinationRow {
  const h = headroomOf(agg, c, tr);
  return {
    source: agg.snap.addrs.text(tr.laddr),
    destination: agg.snap.addrs.endpoint(tr.raddr, tr.rport),
    established: tr.states[ST.ESTABLISHED] ?? 0,
    timeWait: tr.states[ST.TIME_WAIT] ?? 0,
    states: statesOf(tr.states),
    held: h.heldByTuples,
    recyclableTimeWait: h.recyclableTimeWait,
    bindHeld: tr.bindHeld,
    headroom: h.headroom,
    headroomMax: h.headroomMax,
    headroomRatio: c.count === 0 ? 0 : h.headroom / c.count,
  };
}

function predict(agg: Aggregate, c: Candidates, to: { addr: string; port: number }): ConnectPrediction[] {
  const addrs = agg.snap.addrs;
  const dst = addrs.idOfText(to.addr);
  if (dst === null) return [];
  const dstText = addrs.endpoint(dst, to.port);
  // The sources connect() could use: every local address that already has outgoing connections
  // (R10 picks one by route, which a /proc copy does not show), and for a loopback destination
  // the one R10 always picks: 127.0.0.1 for 127.0.0.0/8, ::1 for ::1.
  // Only sources of the destination's family can reach it (a v4-mapped source counts as IPv4).
  const info = addrs.info(dst);
  const sources = [...agg.bySource.keys()].filter(
    (s) => !addrs.info(s).wildcard && addrs.info(s).family === info.family,
  );
  if (info.loopback) {
    const own = addrs.idOfText(info.family === 4 ? '127.0.0.1' : '::1');
    if (own !== null && !sources.includes(own)) sources.unshift(own);
  }
  const rows = sources.length > 0 ? sources : [null];
  return rows.map((s) => {
    const tr = s === null ? null : (agg.bySource.get(s)?.get(tripleKey(dst, to.port)) ?? null);
    const h = headroomOf(agg, c, tr);
    const source = s === null ? '(chosen by route)' : addrs.text(s);
    const result = h.headroomMax === 0 ? 'EADDRNOTAVAIL' : h.headroom === 0 ? 'EADDRNOTAVAIL-possible' : 'ok';
    const explanation =
      result === 'ok'
        ? `connect() takes one of ${h.headroomMax} free ports (${h.headroom} more connects surely succeed)`
        : result === 'EADDRNOTAVAIL'
          ? `every candidate port is held (R14): connect() fails with EADDRNOTAVAIL`
          : `one free port left at an end of an odd-sized range: this attempt may miss it (R11) and fail with EADDRNOTAVAIL`;
    return {
      source,
      destination: dstText,
      headroom: h.headroom,
      headroomMax: h.headroomMax,
      candidates: h.headroomMax,
      result,
      explanation,
    };
  });
}

function ratesOf(rows: readonly DestinationRow[], rates: Rates): DoctorReport['rates'] {
  return {
    intervalSec: rates.intervalSec,
    destinations: rows.map((d) => {
      const key = rateKey(d.source, d.destination);
      return {
        source: d.source,
        destination: d.destination,
        timeWaitPerSec: rates.timeWaitPerSec.get(key) ?? 0,
        establishedPerSec: rates.establishedPerSec.get(key) ?? 0,
      };
    }),
  };
}

export function buildReport(snap: Snapshot, opts: ReportOptions = {}): DoctorReport {
  const agg = aggregate(snap);
  const params = paramsOf(snap);
  const c = candidates(agg, params);
  const [lo, hi] = params.range;
  const pairs = agg.triples.map((tr) => ({ row: destinationRow(agg, c, tr), tr }));
  pairs.sort(
    ({ row: a }, { row: b }) =>
      a.headroom - b.headroom ||
      b.timeWait - a.timeWait ||
      (a.source < b.source ? -1 : a.source > b.source ? 1 : 0) ||
      (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0),
  );
  const rows = pairs.map((p) => p.row);
  let reservedInRange = 0;
  for (const p of params.reserved) if (p >= lo && p <= hi) reservedInRange++;
  let listeningInRange = 0;
  let bindHeldInRange = 0;
  for (let p = lo; p <= hi; p++) {
    listeningInRange += agg.listening[p] ?? 0;
    if (agg.listening[p] === 0) bindHeldInRange += agg.bindHeld[p] ?? 0;
  }
  const fresh = headroomOf(agg, c, null);
  const sources = [...agg.bySource.entries()].map(([s, m]) => ({
    source: snap.addrs.text(s),
    destinations: m.size,
    bindHeld: agg.bindHeldBySource.get(s) ?? 0,
  }));
  let udpConnected = 0;
  for (let i = 0; i < snap.udp.count; i++) if (snap.udp.state[i] === ST.ESTABLISHED) udpConnected++;
  const notes = [...snap.sysctls.notes];
  for (const f of snap.missingFiles) notes.push(`${f}: not found (no sockets of that kind read)`);
  notes.push(
    'sockets that are only bound (no listen, no connect) do not appear in /proc/net/tcp; their ports are not counted',
  );
  const report: Omit<DoctorReport, 'warnings'> = {
    range: [lo, hi],
    rangeSize: hi - lo + 1,
    reservedInRange,
    listeningInRange,
    bindHeldInRange,
    candidatePorts: c.count,
    freshHeadroom: fresh.headroom,
    sysctls: {
      twReuse: params.twReuse,
      twReuseDelayMs: params.twReuseDelayMs,
      timestamps: params.timestamps,
      reserved: params.reserved,
    },
    tcp: { sockets: snap.tcp.count, states: statesOf(agg.states), accepted: agg.serverSide },
    udp: { sockets: snap.udp.count, connected: udpConnected },
    sources,
    destinations: rows,
    to: opts.to ? predict(agg, c, opts.to) : null,
    rates: opts.rates ? ratesOf(rows, opts.rates) : null,
    unreadable: { count: snap.issues.unreadable, examples: snap.issues.examples },
    notes,
  };
  return { ...report, warnings: warningsFor(agg, c, report, pairs, opts.rates ?? null) };
}
