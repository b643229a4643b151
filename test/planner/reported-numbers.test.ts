// The numbers a plan reports stay inside what the rules allow: no advice, chart or capacity may
// claim more ports per unit than the unit has (R11, R14, R23), and advice runs on the engine it
// is given. Expectations come from the port arithmetic, not from the planner's output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advise } from '../../src/planner/advice.js';
import { svgChart } from '../../src/planner/chart-svg.js';
import { textChart } from '../../src/planner/chart-text.js';
import { runExact } from '../../src/planner/exact-engine.js';
import { HEADLINE_PLAN } from '../../src/planner/example.js';
import { runFast } from '../../src/planner/fast-engine.js';
import { type PlanConfig, STRATEGIES, type StrategyResult } from '../../src/planner/plan-types.js';
import { capacityMaxOf, capacityOf } from '../../src/planner/workload.js';

/** 32768-60999: 28,232 ports (R1's default, even-sized). */
const PORTS = 60999 - 32768 + 1;

test('R14 R23: keep-alive with a pool that does not fit says so, and what would fit', () => {
  // 500/s held 100 s: a pool of 50,000 connections, more than one (source, destination) holds.
  const cfg: PlanConfig = { ...HEADLINE_PLAN, holdMs: 100_000, durationMs: 120_000 };
  const pool = 500 * 100;
  const sources = Math.ceil(pool / PORTS); // 2
  for (const strategy of STRATEGIES) {
    const plan = { ...cfg, strategy };
    const keep = advise(plan, runFast(plan)).find((a) => a.id === 'keepalive');
    assert.ok(keep, strategy);
    const unit = strategy === 'bind0' ? 'source address' : '\\(source, destination\\)';
    assert.match(
      keep.text,
      new RegExp(
        `does not fit: it needs 50,000 ports per ${unit}, 28,232 available; spread over ${sources} source IPs`,
      ),
    );
    // Never more ports per unit than the unit has.
    assert.ok(keep.after.peakInUse <= capacityOf(plan), `${strategy}: ${keep.after.peakInUse}`);
    assert.equal(keep.after.peakInUse, Math.ceil(pool / sources));
    assert.equal(keep.after.failedFraction, 0);
  }
  // A pool that fits (500/s held 10 s: 5,000) keeps the plain numbers.
  const small = { ...cfg, holdMs: 10_000 };
  const keep = advise(small, runFast(small)).find((a) => a.id === 'keepalive');
  assert.equal(keep?.after.peakInUse, 5_000);
  assert.ok(!/does not fit/.test(keep?.text ?? ''));
});

/** Two sources, three destinations, 2,000/s, every connection in TIME_WAIT for 60 s (R60). */
const wide: PlanConfig = {
  ...HEADLINE_PLAN,
  sources: ['10.0.0.1', '10.0.0.2'],
  destinations: [
    { addr: '10.1.1.1', port: 5432 },
    { addr: '10.1.1.2', port: 5432 },
    { addr: '10.1.1.3', port: 80 },
  ],
  rate: 2000,
};

const maxOf = (r: StrategyResult, f: (b: StrategyResult['series'][number]) => number) =>
  Math.max(...r.series.map(f));

test('R14 R10: the chart draws the fullest unit (what runs out), not the namespace total', () => {
  for (const strategy of STRATEGIES) {
    const r = runFast({ ...wide, strategy });
    // The chart's peak is the table's peak, and never above what a unit holds.
    assert.equal(
      maxOf(r, (b) => b.unitInUse),
      r.peakInUse,
      strategy,
    );
    assert.ok(maxOf(r, (b) => b.unitInUse) <= r.capacityMax, strategy);
  }
  // Plain connect uses one source (R10): 2,000/3 per s x 60 s = 40,000 per destination > 28,232,
  // so each of the three destinations fills; the namespace holds three times a unit's capacity.
  const r = runFast(wide);
  assert.equal(r.peakInUse, PORTS);
  assert.equal(
    maxOf(r, (b) => b.inUse),
    3 * PORTS,
  );
  const lines = textChart(r.series, { durationMs: wide.durationMs, width: 60, capacity: r.capacity });
  assert.match(lines[0] ?? '', /^28,232 ┤/);
  const svg = svgChart([r], wide.durationMs, 'wide');
  assert.match(svg, /ports in use per \(source, destination\)/);
  assert.match(svg, new RegExp(`dashed: capacity ${PORTS}<`));
  assert.ok(!svg.includes(String(3 * PORTS)));
});

test('R14: a unit that is full and only fails still charts as full (sampled at the failures)', () => {
  // Four ports, each held for good from the first 0.4 s: every later slice shows 4, not 0.
  const tiny: PlanConfig = {
    ...HEADLINE_PLAN,
    range: [40000, 40003],
    rate: 10,
    holdMs: 1_000_000,
    durationMs: 12_000,
  };
  for (const r of [runFast(tiny), runExact(tiny, { seed: 1 })]) {
    assert.ok(r.series.filter((b) => b.startMs >= 1000).every((b) => b.unitInUse === 4));
  }
});

test('R11 R40: an odd-sized range holds 10 ports for sure and 11 at most; the full model stays within', () => {
  const odd: PlanConfig = { ...HEADLINE_PLAN, range: [40000, 40010], rate: 10 };
  assert.equal(capacityOf(odd), 10);
  assert.equal(capacityMaxOf(odd), 11);
  const fast = runFast(odd);
  assert.equal(fast.capacity, 10);
  assert.equal(fast.capacityMax, 11);
  for (const seed of [1, 2, 3]) {
    const exact = runExact(odd, { seed });
    assert.ok(exact.peakInUse >= 10 && exact.peakInUse <= 11, `seed ${seed}: ${exact.peakInUse}`);
    assert.ok(maxOf(exact, (b) => b.unitInUse) <= 11);
  }
  // Even-sized ranges: one number.
  assert.equal(capacityMaxOf(HEADLINE_PLAN), capacityOf(HEADLINE_PLAN));
});

test('advice re-simulates on the engine it is given', () => {
  const marker = 0.123;
  const fake = (c: PlanConfig): StrategyResult => ({ ...runFast(c), failed: 1, failedFraction: marker });
  const advice = advise(HEADLINE_PLAN, runFast(HEADLINE_PLAN), { name: 'exact', run: fake });
  const simulated = advice.filter((a) => a.id !== 'keepalive');
  assert.ok(simulated.length >= 3);
  for (const a of simulated) assert.equal(a.after.failedFraction, marker, a.id);
  // Only the fast engine's tcp_tw_reuse peaks are upper bounds (it takes free ports first, R13).
  const twReuse = advice.find((a) => a.id === 'tw-reuse');
  assert.ok(twReuse && !/upper bound/.test(twReuse.text));
  const fastTw = advise(HEADLINE_PLAN, runFast(HEADLINE_PLAN)).find((a) => a.id === 'tw-reuse');
  assert.match(fastTw?.text ?? '', /an upper bound/);
});
