/**
 * `portspace plan --concurrent N`: the common question "I need N connections open at once to one
 * destination: what does it take?". No simulation is needed: an open connection holds its port
 * for as long as it is open, and each (source address, destination ip:port) has one range of
 * candidate ports (R14; R1, R2; an odd-sized range loses one per attempt, R11). So N needs
 * ceil(N / ports per unit) source addresses, each chosen with IP_BIND_ADDRESS_NO_PORT + bind(ip, 0)
 * (plain connect() takes the route's one source, R10; bind(ip, 0) before connect without the
 * option spends each source's range for every destination, R23), or a wider range.
 */
import { FULL_RANGE } from './advice.js';
import type { PlanConfig } from './plan-types.js';
import { endpoint } from './recorder.js';
import { capacityOf } from './workload.js';

export interface ConcurrentAnswer {
  readonly concurrent: number;
  readonly destination: string;
  readonly range: readonly [number, number];
  /** Connections one (source, destination) can hold open at once (R14). */
  readonly perSource: number;
  readonly sourcesGiven: number;
  /** With the sources given. */
  readonly fits: boolean;
  readonly sourcesNeeded: number;
  /** The same with ip_local_port_range 1024 65535. */
  readonly wideRange: { readonly perSource: number; readonly sourcesNeeded: number };
}

export function answerConcurrent(cfg: PlanConfig, n: number): ConcurrentAnswer {
  const perSource = capacityOf({ ...cfg, strategy: 'noport' });
  const wide = capacityOf({ ...cfg, range: FULL_RANGE, strategy: 'noport' });
  const d = cfg.destinations[0];
  return {
    concurrent: n,
    destination: d === undefined ? '?' : endpoint(d),
    range: cfg.range,
    perSource,
    sourcesGiven: cfg.sources.length,
    fits: perSource * cfg.sources.length >= n,
    sourcesNeeded: perSource === 0 ? Number.POSITIVE_INFINITY : Math.ceil(n / perSource),
    wideRange: {
      perSource: wide,
      sourcesNeeded: wide === 0 ? Number.POSITIVE_INFINITY : Math.ceil(n / wide),
    },
  };
}
