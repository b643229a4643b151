/**
 * What a capacity plan asks and what it answers. A plan is a workload (new connections at a
 * constant rate, each held `holdMs` and then closed by one side) run for `durationMs` of
 * virtual time against one namespace's port rules, with one client strategy. Both engines
 * (exact and fast) take a PlanConfig and return a StrategyResult.
 */

/**
 * How the client gets its local port:
 *  - `connect`: plain connect(); the route picks the source (R10), connect picks the port per
 *    (source, destination) (R11-R14).
 *  - `bind0`: bind(src, 0) then connect(); the port comes from bind's search (R40), per source
 *    for every destination (R23, R42), EADDRINUSE at bind when the source runs out.
 *  - `noport`: IP_BIND_ADDRESS_NO_PORT + bind(src, 0) then connect(): the source is chosen,
 *    the port is chosen by connect per (source, destination) (R22).
 *  - `reuseaddr`: SO_REUSEADDR + bind(src, port) with a port userspace picks (round-robin over
 *    the range per (source, destination), skipping ip_local_reserved_ports and its own open
 *    connections), then connect(): 4-tuple uniqueness at connect (R20), a TIME_WAIT on the
 *    same 4-tuple is recycled at once (R63).
 */
export type StrategyName = 'connect' | 'bind0' | 'noport' | 'reuseaddr';
export const STRATEGIES: readonly StrategyName[] = ['connect', 'bind0', 'noport', 'reuseaddr'];

export interface Destination {
  readonly addr: string;
  readonly port: number;
}

/** When attempts happen: evenly spaced, or a Poisson process (exponential gaps, seeded). */
export type ArrivalSpec = { readonly kind: 'even' } | { readonly kind: 'poisson'; readonly seed: number };

export interface PlanConfig {
  /** Local source addresses (IPv4 or IPv6, all one family, not loopback). */
  readonly sources: readonly string[];
  /** Remote destinations, used round-robin. */
  readonly destinations: readonly Destination[];
  /** net.ipv4.ip_local_port_range, inclusive. */
  readonly range: readonly [number, number];
  /** net.ipv4.ip_local_reserved_ports, as a list of ports. */
  readonly reserved: readonly number[];
  /** net.ipv4.tcp_tw_reuse: 0, 1, or 2 (loopback only). */
  readonly twReuse: 0 | 1 | 2;
  /** net.ipv4.tcp_tw_reuse_delay in ms (1..60000). */
  readonly twReuseDelayMs: number;
  /** net.ipv4.tcp_max_tw_buckets. */
  readonly maxTwBuckets: number;
  /** New connections per second (> 0), the mean rate for Poisson arrivals. */
  readonly rate: number;
  /** Default: evenly spaced. */
  readonly arrivals?: ArrivalSpec;
  /** How long a connection stays open, in whole ms. */
  readonly holdMs: number;
  /** Who sends the first FIN: the client ends in TIME_WAIT (R60); the server leaves none here. */
  readonly closer: 'client' | 'server';
  /** Length of the run in whole ms: attempts happen at times < durationMs. */
  readonly durationMs: number;
  readonly strategy: StrategyName;
}

/** One column of the chart: the maxima (and failure counts) inside a time slice. */
export interface SeriesBin {
  readonly startMs: number;
  /**
   * Connections held in the whole namespace at once (open plus TIME_WAIT, every unit together),
   * the slice's maximum. Not what runs out: that is `unitInUse` against the capacity.
   */
  readonly inUse: number;
  /**
   * Ports held by the fullest capacity unit ((source, destination), or the source for bind0):
   * the slice's maximum of the level of the unit each attempt went to, sampled at the attempt
   * (after a successful connect, at the moment of a failure). A slice without attempts repeats
   * the last sample. This is the number compared with the capacity.
   */
  readonly unitInUse: number;
  readonly timeWait: number;
  readonly open: number;
  readonly attempts: number;
  readonly failed: number;
}

export interface PairPeak {
  readonly from: string;
  readonly to: string;
  /** Open connections plus TIME_WAIT entries of this (source, destination), at most at once. */
  readonly peakInUse: number;
}

export interface StrategyResult {
  readonly name: StrategyName;
  readonly attempts: number;
  readonly failed: number;
  /** failed / attempts over the whole run. */
  readonly failedFraction: number;
  /**
   * failed / attempts over the run's last cycle (one port lifetime: hold, plus 60 s of
   * TIME_WAIT when the client closes first), when the run lasts at least two cycles; else null.
   */
  readonly steadyFailedFraction: number | null;
  /** Virtual time of the first failed attempt, in seconds; null when none failed. */
  readonly firstFailureAtSec: number | null;
  /** errno of the first failure (EADDRNOTAVAIL from connect, EADDRINUSE from bind). */
  readonly errno: string | null;
  /** Which call failed first. */
  readonly failedCall: 'connect' | 'bind' | null;
  /** Peak ports held per capacity unit ((source, destination), or source for bind0). */
  readonly peakInUse: number;
  /** Peak TIME_WAIT entries in the namespace. */
  readonly peakTimeWait: number;
  /** Peak open connections in the namespace. */
  readonly peakOpen: number;
  /** Ports one capacity unit can hold for sure (the lower bound for an odd-sized range, R11). */
  readonly capacity: number;
  /** Ports one unit can hold at most: capacity, or capacity + 1 for an odd-sized range (R11, R40). */
  readonly capacityMax: number;
  readonly capacityUnit: 'source-destination' | 'source';
  readonly pairs: readonly PairPeak[];
  readonly series: readonly SeriesBin[];
}
