/**
 * The doctor's report: per (source, destination) counts and headroom, the tightest first, the
 * host-wide facts behind them (range, reserved, bind-owned ports), what connect() to a named
 * destination would do now, and the warnings with their fixes (warnings.ts). A plain JSON-ready
 * value: the CLI prints it as a table, as JSON or as Prometheus text.
 */
import { type Snapshot, ST, stateName, type UnreadableLine } from '../procnet/index.js';
import { type Aggregate, aggregate, type Triple, tripleKey } from './aggregate.js';
import { type Candidates, candidates, type HeadroomParams, headroomOf } from './headroom.js';
import { fmt, plural } from './text.js';
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
  /**
   * Sockets of this destination on ports guessed bound before connect (R23): a guess by parity
   * (aggregate.ts), never a fact; `bindHeldGuess` in the report says what else it could be.
   */
  readonly bindHeld: number;
  /** More connect()s that will surely succeed (R14), whichever reading of the guess is true. */
  readonly headroom: number;
  /**
   * The most connect()s that may succeed: more than headroom with an odd-sized range (R11, with
   * luck), or when the ports guessed bind-held were taken by connect() after all.
   */
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
  /** Range ports guessed held by sockets that bound before connect (R23): see bindHeldGuess. */
  readonly bindHeldInRange: number;
  /**
   * How the bind-held ports were told, and the other reading: null when none is guessed.
   * `needsClosed`: sockets of their destinations that must have closed without TIME_WAIT for the
   * other reading (connect() took the ports) to be the true one.
   */
  readonly bindHeldGuess: {
    readonly ports: number;
    readonly basis: string;
    readonly alternative: string;
    readonly needsClosed: number;
    /** Other-parity ports not counted because their source shares them between destinations. */
    readonly clearedBySharing: number;
  } | null;
  /** Ports an autoselecting connect can choose from, for a destination with no 4-tuple yet. */
  readonly candidatePorts: number;
  /** Headroom towards a destination nobody connects to yet (odd ranges: guaranteed). */
  readonly freshHeadroom: number;
  /** The most a new destination may get (odd range with luck, or the bind-held guess wrong). */
  readonly freshHeadroomMax: number;
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

/**
 * Headroom under both readings of the bind-held guess: `headroom` is the sure number (the ports
 * guessed bind-held are lost to connect), `headroomMax` the most (they are connect-owned, R12).
 */
function bothReadings(agg: Aggregate, c: Candidates, alt: Candidates | null, tr: Triple | null) {
  const h = headroomOf(agg, c, tr);
  if (alt === null) return { ...h, guessMax: h.headroomMax };
  const g = headroomOf(agg, alt, tr);
  return {
    ...h,
    headroom: Math.min(h.headroom, g.headroom),
    guessMax: Math.max(h.headroomMax, g.headroomMax),
  };
}

export function destinationRow(
  agg: Aggregate,
  c: Candidates,
  tr: Triple,
  alt: Candidates | null = null,
): DestinationRow {
  const h = bothReadings(agg, c, alt, tr);
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
    headroomMax: h.guessMax,
    headroomRatio: c.count === 0 ? 0 : h.headroom / c.count,
  };
}

function predict(
  agg: Aggregate,
  c: Candidates,
  alt: Candidates | null,
  to: { addr: string; port: number },
): ConnectPrediction[] {
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
    const h = bothReadings(agg, c, alt, tr);
    const source = s === null ? '(chosen by route)' : addrs.text(s);
    const result = h.guessMax === 0 ? 'EADDRNOTAVAIL' : h.headroom === 0 ? 'EADDRNOTAVAIL-possible' : 'ok';
    // The ports guessed bind-held (a parity guess, aggregate.ts) widen what is possible, never what is sure.
    const guessed = h.guessMax > h.headroomMax;
    const ifGuessWrong = guessed
      ? `; up to ${fmt(h.guessMax)} if the ${plural(agg.bindHeldPorts, 'port')} guessed bind-held (by parity) were taken by connect() instead`
      : '';
    const free = h.guessMax > h.headroom ? `${fmt(h.headroom)} to ${fmt(h.guessMax)}` : fmt(h.headroom);
    const explanation =
      result === 'ok'
        ? `connect() takes one of ${guessed ? free : fmt(h.headroomMax)} free ports (${fmt(h.headroom)} more connects surely succeed${ifGuessWrong})`
        : result === 'EADDRNOTAVAIL'
          ? `every candidate port is held (R14): connect() fails with EADDRNOTAVAIL`
          : guessed && h.headroomMax === 0
            ? `every candidate port is held if the ${plural(agg.bindHeldPorts, 'port')} guessed bind-held (by parity) are bind-owned (R12): connect() then fails with EADDRNOTAVAIL${ifGuessWrong}`
            : `one free port left at an end of an odd-sized range: this attempt may miss it (R11) and fail with EADDRNOTAVAIL${ifGuessWrong}`;
    return {
      source,
      destination: dstText,
      headroom: h.headroom,
      headroomMax: h.guessMax,
      candidates: h.guessMax,
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
  // The other reading of the bind-held guess: those ports are connect-owned (aggregate.ts).
  const alt = agg.bindHeldPorts > 0 ? candidates(agg, { ...params, ignoreBindHeld: true }) : null;
  const [lo, hi] = params.range;
  const pairs = agg.triples.map((tr) => ({ row: destinationRow(agg, c, tr, alt), tr }));
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
  const fresh = bothReadings(agg, c, alt, null);
  let needsClosed = 0;
  for (const tr of agg.triples) needsClosed += tr.missingFirst;
  const sources = [...agg.bySource.entries()].map(([s, m]) => ({
    source: snap.addrs.text(s),
    destinations: m.size,
    bindHeld: agg.bindHeldBySource.get(s) ?? 0,
  }));
  let udpConnected = 0;
  for (let i = 0; i < snap.udp.count; i++) if (snap.udp.state[i] === ST.ESTABLISHED) udpConnected++;
  const notes = [...snap.sysctls.notes];
  for (const f of snap.missingFiles) notes.push(`${f}: not found (no sockets of that kind read)`);
  for (const f of snap.provedEmptyFiles)
    notes.push(`${f}: not read: /proc/net/sockstat and sockstat6 show it has no socket`);
  notes.push(
    'sockets that are only bound (no listen, no connect) do not appear in /proc/net/tcp; their ports are not counted',
  );
  const report: Omit<DoctorReport, 'warnings'> = {
    range: [lo, hi],
    rangeSize: hi - lo + 1,
    reservedInRange,
    listeningInRange,
    bindHeldInRange,
    bindHeldGuess:
      bindHeldInRange === 0
        ? null
        : {
            ports: bindHeldInRange,
            basis:
              'by parity: connect() takes ports of the parity of the range start first (R11), bind(ip, 0) the other parity (R40); these sockets are on the other parity while their destination still has first-parity ports free',
            alternative: `connect() took them after the first-parity ports of their destination were used, by ${plural(needsClosed, 'socket')} that have since closed without TIME_WAIT (closed by a reset, or the peer closed first): /proc/net/tcp does not show closed sockets`,
            needsClosed,
            clearedBySharing: agg.clearedBySharing,
          },
    candidatePorts: c.count,
    freshHeadroom: fresh.headroom,
    freshHeadroomMax: fresh.guessMax,
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
    to: opts.to ? predict(agg, c, alt, opts.to) : null,
    rates: opts.rates ? ratesOf(rows, opts.rates) : null,
    unreadable: { count: snap.issues.unreadable, examples: snap.issues.examples },
    notes,
  };
  return { ...report, warnings: warningsFor(agg, c, report, pairs, opts.rates ?? null) };
}
