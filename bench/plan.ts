/**
 * bench:plan: how fast the planner replays connection lifecycles (socket, connect, close,
 * TIME_WAIT). The 10,000,000-attempt plan runs on the fast engine (goal: >= 1,000,000 lifecycles
 * per second, the whole plan within 10 s); the headline plan (90,000 attempts) runs on both
 * engines side by side for the ratio. Not a test: numbers vary with the machine.
 *
 *   npm run bench:plan            human-readable
 *   npm run bench:plan -- --json  {"big": {...}, "headline": {...}}
 */
import { performance } from 'node:perf_hooks';
import { runExact } from '../src/planner/exact-engine.js';
import { HEADLINE_PLAN } from '../src/planner/example.js';
import { runFast } from '../src/planner/fast-engine.js';
import type { PlanConfig, StrategyResult } from '../src/planner/plan-types.js';

const headline: PlanConfig = HEADLINE_PLAN;

// 10M attempts: 100,000 new connections/s for 100 s from 4 sources to 16 destinations, each open
// 50 ms, the client closing first; TIME_WAIT capped only by a large tcp_max_tw_buckets.
const big: PlanConfig = {
  ...headline,
  sources: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'],
  destinations: Array.from({ length: 16 }, (_, k) => ({ addr: `10.1.1.${k + 1}`, port: 5432 })),
  range: [1024, 65535],
  maxTwBuckets: 10_000_000,
  rate: 100_000,
  holdMs: 50,
  durationMs: 100_000,
  strategy: 'noport',
};

function timed(run: () => StrategyResult): { ms: number; r: StrategyResult } {
  const t0 = performance.now();
  const r = run();
  return { ms: performance.now() - t0, r };
}

function summary(ms: number, r: StrategyResult) {
  return {
    attempts: r.attempts,
    failed: r.failed,
    seconds: Number((ms / 1000).toFixed(3)),
    lifecyclesPerSec: Math.round(r.attempts / (ms / 1000)),
    peakTimeWait: r.peakTimeWait,
  };
}

runFast(headline); // warm-up
const bigRun = timed(() => runFast(big));
const fastHeadline = timed(() => runFast(headline));
const exactHeadline = timed(() => runExact(headline));
const result = {
  big: { engine: 'fast', strategy: big.strategy, ...summary(bigRun.ms, bigRun.r) },
  headline: {
    fast: summary(fastHeadline.ms, fastHeadline.r),
    exact: summary(exactHeadline.ms, exactHeadline.r),
    fastOverExact: Number((exactHeadline.ms / fastHeadline.ms).toFixed(1)),
    sameAnswer:
      fastHeadline.r.failed === exactHeadline.r.failed &&
      fastHeadline.r.firstFailureAtSec === exactHeadline.r.firstFailureAtSec,
  },
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  const b = result.big;
  console.log(
    `fast engine, ${b.attempts.toLocaleString('en-US')} attempts (${b.strategy}, 4 sources x 16 destinations): ${b.seconds} s, ${b.lifecyclesPerSec.toLocaleString('en-US')} lifecycles/s`,
  );
  const h = result.headline;
  console.log(
    `headline plan (${h.fast.attempts.toLocaleString('en-US')} attempts): fast ${h.fast.seconds} s (${h.fast.lifecyclesPerSec.toLocaleString('en-US')}/s), exact ${h.exact.seconds} s (${h.exact.lifecyclesPerSec.toLocaleString('en-US')}/s): fast is ${h.fastOverExact}x; same answer: ${h.sameAnswer}`,
  );
}
