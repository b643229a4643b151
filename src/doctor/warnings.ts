/**
 * Warnings, each with the number behind it, and for each the fixes from the "bind before
 * connect" article's tweaks with what they would give: every "+N connections" is computed by
 * running the same headroom rules (headroom.ts) with the fix applied, never estimated by hand.
 * A fix for one destination is measured on it; a host-wide fix on the destination it gains most
 * (a new destination included; the tightest on a tie), which the fix names. A fix that gains
 * nothing anywhere is not offered.
 */
import { TIME_WAIT_MS } from '../model/index.js';
import { ST } from '../procnet/index.js';
import type { Aggregate, Triple } from './aggregate.js';
import { type Candidates, candidates, type HeadroomParams, headroomOf } from './headroom.js';
import type { DestinationRow, DoctorReport } from './report.js';
import { fmt, plural } from './text.js';

export interface Fix {
  /** What to do, as a command or a socket option. */
  readonly fix: string;
  /** More connections it gives (to `per`). */
  readonly gain: number;
  readonly per: string;
}

export type WarningCode =
  | 'RANGE_SMALL'
  | 'RANGE_PARITY'
  | 'BIND_BEFORE_CONNECT'
  | 'TIME_WAIT_PILEUP'
  | 'TW_REUSE_OFF'
  | 'TIMESTAMPS_OFF'
  | 'NEAR_EXHAUSTION'
  | 'UNREADABLE_LINES';

export interface Warning {
  readonly code: WarningCode;
  readonly severity: 'critical' | 'warning' | 'info';
  readonly message: string;
  /** The number behind the warning. */
  readonly value: number;
  readonly rule: string;
  readonly fixes: readonly Fix[];
  /**
   * Set when the cause is inferred, not read (the bind-held parity guess): the other reading of
   * the same table. Fixes of such a warning say that they apply only if the guess is right.
   */
  readonly guess?: { readonly basis: string; readonly alternative: string };
}

/** TIME_WAIT entries created per second, per destination key `source>destination`, from --watch. */
export interface Rates {
  readonly intervalSec: number;
  readonly timeWaitPerSec: ReadonlyMap<string, number>;
  readonly establishedPerSec: ReadonlyMap<string, number>;
}

/** The range a wide setting gives (the article's first tweak). */
export const WIDE_RANGE: readonly [number, number] = [1024, 65535];
/** Below the 6.18 default size (28,232 ports) a range is "small". */
const DEFAULT_RANGE_SIZE = 60999 - 32768 + 1;
/** A destination under this share of its candidate ports is near exhaustion. */
const NEAR = 0.1;
/** TIME_WAIT entries above this share of the candidates make a pile-up. */
const PILEUP = 0.25;

export function rateKey(source: string, destination: string): string {
  return `${source}>${destination}`;
}

/** A destination row with the triple behind it, tightest first. */
export interface RankedDestination {
  readonly row: DestinationRow;
  readonly tr: Triple;
}

/** Destinations listed one by one per kind of warning; the rest are summed up in one more. */
const LISTED = 5;

export function warningsFor(
  agg: Aggregate,
  c: Candidates,
  r: Omit<DoctorReport, 'warnings'>,
  ranked: readonly RankedDestination[],
  rates: Rates | null,
): Warning[] {
  const out: Warning[] = [];
  const p = c.params;
  /** What a change of the sysctls gives destination `d` (null: a new destination). */
  const gainOn = (cc: Candidates, d: RankedDestination | null): number =>
    headroomOf(agg, cc, d?.tr ?? null).headroom - (d === null ? r.freshHeadroom : d.row.headroom);
  const perOf = (d: RankedDestination | null) =>
    `per destination (${d === null ? 'a new destination' : `${d.row.source} -> ${d.row.destination}`})`;
  /** A fix for one destination, measured on it. */
  const fixOn = (fix: string, change: Partial<HeadroomParams>, d: RankedDestination | null): Fix => ({
    fix,
    gain: gainOn(candidates(agg, { ...p, ...change }), d),
    per: perOf(d),
  });
  /**
   * A host-wide fix, measured on the destination it gains most: the tightest destination may
   * gain nothing (its own 4-tuple holds the port the fix frees, or it has no TIME_WAIT entry a
   * tcp_tw_reuse change would recycle) while others, or a new destination, gain.
   */
  const bestFix = (
    fix: string,
    change: Partial<HeadroomParams>,
    among: readonly RankedDestination[] = ranked,
  ): Fix => {
    const cc = candidates(agg, { ...p, ...change });
    let best: RankedDestination | null = null;
    let gain = gainOn(cc, null);
    for (const d of among) {
      const g = gainOn(cc, d);
      // Ties go to the tighter destination: ranked is tightest first, a new destination last.
      if (g > gain || (g === gain && best === null && g > 0)) {
        gain = g;
        best = d;
      }
    }
    return { fix, gain, per: perOf(best) };
  };
  const widenText = `sysctl -w net.ipv4.ip_local_port_range="${WIDE_RANGE[0]} ${WIDE_RANGE[1]}"`;
  // R14 / A3: a new source address gives a destination a full set of candidates of its own.
  // A tcp_tw_reuse or tcp_timestamps change moves no candidate: only destinations with TIME_WAIT
  // entries can gain from it (R62).
  const withTimeWait = ranked.filter((d) => d.row.timeWait > 0);
  const anotherSource: Fix = {
    fix: 'add a source address and spread connects over it (bind(ip, 0) with IP_BIND_ADDRESS_NO_PORT)',
    gain: r.freshHeadroom,
    per: 'per destination for each address added',
  };

  if (r.unreadable.count > 0)
    out.push({
      code: 'UNREADABLE_LINES',
      severity: 'warning',
      message: `${plural(r.unreadable.count, 'line')} of /proc/net could not be read and were left out; the counts may be low`,
      value: r.unreadable.count,
      rule: '-',
      fixes: [],
    });

  const near = ranked.filter((d) => d.row.headroomRatio < NEAR);
  for (const d of near.slice(0, LISTED)) {
    const { source, destination, headroom } = d.row;
    out.push({
      code: 'NEAR_EXHAUSTION',
      severity: headroom === 0 ? 'critical' : 'warning',
      message:
        headroom === 0
          ? `connect() from ${source} to ${destination} fails now with EADDRNOTAVAIL: no candidate port left`
          : `connect() from ${source} to ${destination}: only ${fmt(headroom)} of ${fmt(r.candidatePorts)} ports left before EADDRNOTAVAIL`,
      value: headroom,
      rule: 'R14',
      fixes: [fixOn(widenText, { range: WIDE_RANGE }, d), anotherSource],
    });
  }
  if (near.length > LISTED)
    out.push({
      code: 'NEAR_EXHAUSTION',
      severity: near.some((d) => d.row.headroom === 0) ? 'critical' : 'warning',
      message: `${fmt(near.length - LISTED)} more destinations have less than ${NEAR * 100} % of their ports left (${fmt(near.filter((d) => d.row.headroom === 0).length)} of all ${fmt(near.length)} none)`,
      value: near.length - LISTED,
      rule: 'R14',
      fixes: [],
    });

  if (r.rangeSize < DEFAULT_RANGE_SIZE)
    out.push({
      code: 'RANGE_SMALL',
      severity: 'warning',
      message: `ip_local_port_range ${p.range[0]}-${p.range[1]} has ${fmt(r.rangeSize)} ports: at most that many connections per (source, destination, port)`,
      value: r.rangeSize,
      rule: 'R1, R14',
      fixes: [bestFix(widenText, { range: WIDE_RANGE }), anotherSource],
    });

  if (r.rangeSize > 1 && r.rangeSize % 2 === 1) {
    const [lo, hi] = p.range;
    const better: readonly [number, number] = hi < 65535 ? [lo, hi + 1] : [lo, hi - 1];
    out.push({
      code: 'RANGE_PARITY',
      severity: 'info',
      message: `ip_local_port_range ${lo}-${hi} has both ends of the same parity (${fmt(r.rangeSize)} ports): each connect() attempt reaches only ${fmt(r.rangeSize - 1)} of them`,
      value: r.rangeSize,
      rule: 'R1, R11',
      fixes: [
        bestFix(`sysctl -w net.ipv4.ip_local_port_range="${better[0]} ${better[1]}"`, { range: better }),
      ],
    });
  }

  if (r.bindHeldGuess !== null) {
    // A guess (aggregate.ts): said as one, with the other reading, and a fix only "if" it holds.
    const g = r.bindHeldGuess;
    const bySource = r.sources.filter((s) => s.bindHeld > 0).map((s) => `${s.source}: ${fmt(s.bindHeld)}`);
    const fix = bestFix(
      'if they did bind before connect: setsockopt(IP_BIND_ADDRESS_NO_PORT, 1) before bind(ip, 0)',
      { ignoreBindHeld: true },
    );
    out.push({
      code: 'BIND_BEFORE_CONNECT',
      severity: 'info',
      message: `${plural(g.ports, 'port')} may be held by sockets that bound before connect() (a guess ${g.basis}; ${bySource.join(', ')}). If so, no connect() to any destination may use them (R12) and bind(ip, 0) fails with EADDRINUSE once the range is spent for that address (R23). Or ${g.alternative}; then ${g.ports === 1 ? 'it is' : 'they are'} connect-owned and a new destination gets ${fmt(r.freshHeadroomMax)} instead of ${fmt(r.freshHeadroom)}`,
      value: g.ports,
      rule: 'R23, R12, R11, R40',
      // R23: the port a bind-before-connect socket holds is in its own 4-tuple too, so the
      // destinations of those sockets may gain nothing; every other one gains the port.
      fixes: [{ ...fix, per: `${fix.per}, only if the guess is right` }],
      guess: { basis: g.basis, alternative: g.alternative },
    });
  }

  const piled = ranked.filter((d) => {
    const blocking = d.row.timeWait - d.row.recyclableTimeWait;
    return blocking > 0 && blocking >= PILEUP * r.candidatePorts;
  });
  for (const d of piled.slice(0, LISTED)) {
    const { source, destination, timeWait, recyclableTimeWait, headroom } = d.row;
    const blocking = timeWait - recyclableTimeWait;
    const rate = rates?.timeWaitPerSec.get(rateKey(source, destination));
    // Without --watch: every entry is younger than 60 s (R6), so entries / 60 s is the rate.
    const perSec = rate ?? timeWait / (TIME_WAIT_MS / 1000);
    const steady = Math.round(perSec * (TIME_WAIT_MS / 1000));
    const how = rate === undefined ? 'about' : 'measured';
    const fixes: Fix[] = [];
    // R62: 2 recycles only entries with a loopback address; 1 every entry.
    if (p.twReuse === 0)
      fixes.push(fixOn('sysctl -w net.ipv4.tcp_tw_reuse=2 (loopback only)', { twReuse: 2 }, d));
    if (p.twReuse !== 1) fixes.push(fixOn('sysctl -w net.ipv4.tcp_tw_reuse=1', { twReuse: 1 }, d));
    fixes.push(anotherSource);
    out.push({
      code: 'TIME_WAIT_PILEUP',
      severity: headroom === 0 ? 'critical' : 'warning',
      message: `${fmt(blocking)} TIME_WAIT entries from ${source} to ${destination} hold their ports for up to 60 s; ${how} ${perSec.toFixed(1)} new per second (${fmt(steady)} held at this rate, of ${fmt(r.candidatePorts)} ports)`,
      value: blocking,
      rule: 'R62, R6',
      fixes,
    });
  }
  if (piled.length > LISTED)
    out.push({
      code: 'TIME_WAIT_PILEUP',
      severity: 'warning',
      message: `${fmt(piled.length - LISTED)} more destinations have TIME_WAIT entries holding over ${PILEUP * 100} % of their ports`,
      value: piled.length - LISTED,
      rule: 'R62, R6',
      fixes: [],
    });

  const twTotal = agg.states[ST.TIME_WAIT] ?? 0;
  if (p.twReuse === 0 && twTotal > 0)
    out.push({
      code: 'TW_REUSE_OFF',
      severity: 'info',
      message: `tcp_tw_reuse=0: no autoselecting connect() recycles any of the ${fmt(twTotal)} TIME_WAIT entries`,
      value: twTotal,
      rule: 'R4, R62',
      // R4, R62: 2 recycles only entries with a loopback address, 1 every entry: each is
      // measured with its own value, and 2 is offered only where it recycles something.
      fixes: [
        bestFix('sysctl -w net.ipv4.tcp_tw_reuse=2 (loopback only)', { twReuse: 2 }, withTimeWait),
        bestFix('sysctl -w net.ipv4.tcp_tw_reuse=1', { twReuse: 1 }, withTimeWait),
      ],
    });
  if (p.timestamps === 0)
    out.push({
      code: 'TIMESTAMPS_OFF',
      severity: 'info',
      message:
        'tcp_timestamps=0: TIME_WAIT entries made now carry no timestamps and are never recycled (tcp_tw_reuse has no effect on them)',
      value: 0,
      rule: 'R4',
      fixes: [bestFix('sysctl -w net.ipv4.tcp_timestamps=1', { timestamps: 1 }, withTimeWait)],
    });
  // A fix that gives no connection is no fix: never print "+0".
  return out.map((w) => ({ ...w, fixes: w.fixes.filter((f) => f.gain > 0) }));
}
