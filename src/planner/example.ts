/**
 * The headline plan (one source, one destination, 500 new connections/s closed at once
 * by the client, tcp_tw_reuse 0, the default range, 180 s): first EADDRNOTAVAIL at
 * 28,232 / 500 = 56.464 s, then 1,768 of every 30,000 attempts fail. Shared by the bench and
 * the tests as a known starting point.
 */
import type { PlanConfig } from './plan-types.js';

export const HEADLINE_PLAN: PlanConfig = {
  sources: ['10.0.0.1'],
  destinations: [{ addr: '10.1.1.1', port: 5432 }],
  range: [32768, 60999],
  reserved: [],
  twReuse: 0,
  twReuseDelayMs: 1000,
  maxTwBuckets: 131072,
  rate: 500,
  holdMs: 0,
  closer: 'client',
  durationMs: 180_000,
  strategy: 'connect',
};
