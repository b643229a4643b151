/**
 * The workload both engines replay, so they see the same events in the same order:
 *  - attempt i happens at floor(i * 1000 / rate) ms (whole ms keep virtual time exact), or,
 *    for Poisson arrivals, at the floor of a sum of exponential gaps of mean 1000 / rate ms
 *    drawn from a seeded generator (the same seed gives both engines the same times);
 *  - it goes to destination i mod D, from source floor(i / D) mod S (every destination once,
 *    then the next source; plain connect ignores the source, the route picks it, R10);
 *  - a successful connection closes at its time + hold; closes due at or before an attempt's
 *    time happen before it, TIME_WAIT expiries due by then before those (R6: 60 s).
 * And the port arithmetic the fast engine counts with (capacity per unit, R11/R40/R2).
 */
import { parseAddr, seededEntropy, TIME_WAIT_MS, twReuseAllows } from '../model/index.js';
import type { PlanConfig, StrategyName } from './plan-types.js';

export function attemptTime(i: number, rate: number): number {
  return Math.floor((i * 1000) / rate);
}

/** The attempt times in order, in whole ms: `next()` returns the time of the next attempt. */
export interface ArrivalClock {
  next(): number;
}

export function arrivalClock(cfg: Pick<PlanConfig, 'rate' | 'arrivals'>): ArrivalClock {
  const spec = cfg.arrivals ?? { kind: 'even' };
  const rate = cfg.rate;
  if (spec.kind === 'even') {
    let i = 0;
    return { next: () => attemptTime(i++, rate) };
  }
  const random = seededEntropy(spec.seed);
  const meanGapMs = 1000 / rate;
  let t = 0;
  return {
    next: () => {
      // 1 - u lies in (0, 1]: the logarithm is finite.
      t += -Math.log(1 - random.u32() / 4294967296) * meanGapMs;
      return Math.floor(t);
    },
  };
}

/** Number of attempts with a time below durationMs (the expected number for Poisson arrivals). */
export function attemptCount(cfg: Pick<PlanConfig, 'rate' | 'durationMs'>): number {
  let n = Math.ceil((cfg.durationMs * cfg.rate) / 1000);
  while (n > 0 && attemptTime(n - 1, cfg.rate) >= cfg.durationMs) n--;
  while (attemptTime(n, cfg.rate) < cfg.durationMs) n++;
  return n;
}

/** The source index attempt i uses (0 for plain connect: the route's source). */
export function sourceIndex(i: number, cfg: PlanConfig): number {
  if (cfg.strategy === 'connect') return 0;
  return Math.floor(i / cfg.destinations.length) % cfg.sources.length;
}

export function destinationIndex(i: number, cfg: PlanConfig): number {
  return i % cfg.destinations.length;
}

/** How long one connection keeps its port: hold, plus TIME_WAIT when the client closes first. */
export function portLifetimeMs(cfg: Pick<PlanConfig, 'holdMs' | 'closer'>): number {
  return cfg.holdMs + (cfg.closer === 'client' ? TIME_WAIT_MS : 0);
}

/** Whether the kernel's search reaches every port of the range (even size, or a single port). */
export function rangeIsExact(range: readonly [number, number]): boolean {
  const size = range[1] - range[0] + 1;
  return size === 1 || size % 2 === 0;
}

/**
 * Ports one capacity unit can hold. connect (R11) and bind(0) (R40) scan the range rounded down
 * to an even count in two parity passes: with an even size every port is a candidate once,
 * minus the reserved ones (R2, R44). With an odd size one port (which one depends on the random
 * start) is out of reach on each attempt: the count here is then the lower bound (size - 1 minus
 * reserved). Userspace choice (reuseaddr) walks every non-reserved port of the range itself.
 */
export function capacityOf(cfg: Pick<PlanConfig, 'range' | 'reserved' | 'strategy'>): number {
  const usable = capacityMaxOf(cfg);
  if (cfg.strategy === 'reuseaddr' || rangeIsExact(cfg.range)) return usable;
  return Math.max(0, usable - 1);
}

/**
 * The most ports one unit can ever hold: every non-reserved port of the range. Equal to
 * capacityOf for even-sized ranges; one more for odd ones, whose last port some searches reach
 * (R11, R40), so a run on the full model can hold capacityOf + 1.
 */
export function capacityMaxOf(cfg: Pick<PlanConfig, 'range' | 'reserved'>): number {
  const [lo, hi] = cfg.range;
  return hi - lo + 1 - new Set(cfg.reserved.filter((p) => p >= lo && p <= hi)).size;
}

/** The non-reserved ports of the range in ascending order: the userspace round-robin of reuseaddr. */
export function userspacePorts(cfg: Pick<PlanConfig, 'range' | 'reserved'>): Int32Array {
  const [lo, hi] = cfg.range;
  const reserved = new Set(cfg.reserved);
  const out: number[] = [];
  for (let p = lo; p <= hi; p++) if (!reserved.has(p)) out.push(p);
  return Int32Array.from(out);
}

/**
 * R62: does autoselecting connect() recycle TIME_WAIT entries of this (source, destination)?
 * tcp_tw_reuse decides (the model's twReuseAllows); never for the bind strategies: an explicit
 * or bind(0) port never meets its own 4-tuple in TIME_WAIT here.
 */
export function autoselectRecycles(cfg: PlanConfig, src: string, dst: string): boolean {
  if (!autoselects(cfg.strategy)) return false;
  return twReuseAllows(cfg.twReuse, isLoopback(src), isLoopback(dst));
}

/** Does the strategy let connect() pick the port (R11), so that R62 (not R63) judges TIME_WAIT? */
export function autoselects(strategy: StrategyName): boolean {
  return strategy === 'connect' || strategy === 'noport';
}

/** spec R62 isLoopback of an address given as text (false when it is not one). */
export function isLoopback(addr: string): boolean {
  return parseAddr(addr)?.loopback ?? false;
}

/** The unit whose ports run out: (source, destination) pairs, or the source for bind(0) (R23). */
export function capacityUnit(strategy: StrategyName): 'source-destination' | 'source' {
  return strategy === 'bind0' ? 'source' : 'source-destination';
}
