// Small plans whose answers follow from the rules by hand, checked on both engines: the
// per-destination capacity of connect (R14), the per-source cap of bind(ip, 0) (R23, R42),
// IP_BIND_ADDRESS_NO_PORT with several sources (R22), the closer (R60), tcp_tw_reuse and its
// delay (R62), SO_REUSEADDR with userspace ports (R63), reserved ports (R2), tcp_max_tw_buckets (R6).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExact } from '../../src/planner/exact-engine.js';
import { runFast } from '../../src/planner/fast-engine.js';
import type { PlanConfig, StrategyResult } from '../../src/planner/plan-types.js';
import { capacityOf } from '../../src/planner/workload.js';

const base: PlanConfig = {
  sources: ['10.0.0.1'],
  destinations: [{ addr: '10.1.1.1', port: 80 }],
  range: [40000, 40003],
  reserved: [],
  twReuse: 0,
  twReuseDelayMs: 1000,
  maxTwBuckets: 131072,
  rate: 1,
  holdMs: 1_000_000,
  closer: 'client',
  durationMs: 20_000,
  strategy: 'connect',
};

function both(cfg: PlanConfig, check: (r: StrategyResult) => void): void {
  check(runFast(cfg));
  check(runExact(cfg));
}

const TWO_DESTS = [
  { addr: '10.1.1.1', port: 80 },
  { addr: '10.1.1.2', port: 80 },
];

test('R14: plain connect holds range-size connections per destination, EADDRNOTAVAIL after', () => {
  // 4 ports, 2 destinations used in turn, nothing closes: 8 connects, the 9th (t = 8 s) fails.
  both({ ...base, destinations: TWO_DESTS }, (r) => {
    assert.equal(r.firstFailureAtSec, 8);
    assert.equal(r.errno, 'EADDRNOTAVAIL');
    assert.equal(r.failed, 20 - 8);
    assert.equal(r.peakInUse, 4);
  });
});

test('R23 R42: bind(ip, 0) caps the source at range size whatever the destinations, EADDRINUSE at bind', () => {
  both({ ...base, destinations: TWO_DESTS, strategy: 'bind0' }, (r) => {
    assert.equal(r.firstFailureAtSec, 4);
    assert.equal(r.errno, 'EADDRINUSE');
    assert.equal(r.failedCall, 'bind');
    assert.equal(r.capacityUnit, 'source');
  });
  // A second source address brings its own range (R42): 8 before the first failure.
  both({ ...base, sources: ['10.0.0.1', '10.0.0.2'], destinations: TWO_DESTS, strategy: 'bind0' }, (r) =>
    assert.equal(r.firstFailureAtSec, 8),
  );
});

test('R22 R10: IP_BIND_ADDRESS_NO_PORT multiplies capacity by sources; plain connect uses the route source only', () => {
  const two = { ...base, sources: ['10.0.0.1', '10.0.0.2'] };
  both({ ...two, strategy: 'noport' }, (r) => assert.equal(r.firstFailureAtSec, 8));
  both({ ...two, strategy: 'connect' }, (r) => assert.equal(r.firstFailureAtSec, 4));
});

test('R60: the client closing first leaves TIME_WAIT; the server closing first leaves none', () => {
  const churn = { ...base, holdMs: 0, rate: 10, durationMs: 10_000 };
  // 4 ports, each held 60 s in TIME_WAIT: attempts 0..3 succeed, every later one fails.
  both(churn, (r) => {
    assert.equal(r.firstFailureAtSec, 0.4);
    assert.equal(r.failed, 100 - 4);
    assert.equal(r.peakTimeWait, 4);
  });
  both({ ...churn, closer: 'server' }, (r) => {
    assert.equal(r.failed, 0);
    assert.equal(r.peakTimeWait, 0);
  });
});

test('R62: tcp_tw_reuse=1 recycles a TIME_WAIT older than tcp_tw_reuse_delay; 2 means loopback only', () => {
  // 2 ports, one connection per second closed at once: at t = 2 s both ports are in TIME_WAIT
  // (created at 0 s and 1 s). Recycling needs now > created + delay.
  const tw = { ...base, range: [40000, 40001] as const, holdMs: 0, durationMs: 10_000, twReuse: 1 as const };
  both({ ...tw, twReuseDelayMs: 1000 }, (r) => assert.equal(r.failed, 0));
  // Delay 2000 ms: at 2 s the entry from 0 s is exactly 2000 ms old, not older: it fails. At 3 s
  // it is recycled (entries now from 1 s and 3 s), at 4 s the one from 1 s (entries 3 s, 4 s);
  // at 5 s the oldest is again exactly 2000 ms old: it fails. So one attempt in three: 2, 5, 8 s.
  both({ ...tw, twReuseDelayMs: 2000 }, (r) => {
    assert.equal(r.firstFailureAtSec, 2);
    assert.deepEqual(
      r.series.filter((b) => b.failed > 0).map((b) => b.startMs),
      [2000, 5000, 8000],
    );
  });
  // tcp_tw_reuse=2 between non-loopback addresses recycles nothing: 8 of 10 fail.
  both({ ...tw, twReuse: 2 }, (r) => assert.equal(r.failed, 8));
});

test('R20 R63: SO_REUSEADDR with userspace round-robin: TIME_WAIT of the same 4-tuple is recycled at once', () => {
  const ra = { ...base, range: [40000, 40001] as const, holdMs: 0, rate: 10, durationMs: 10_000 };
  both({ ...ra, strategy: 'reuseaddr' }, (r) => {
    assert.equal(r.failed, 0);
    assert.equal(r.peakTimeWait, 2);
  });
  // With both ports open, the next connect meets an open 4-tuple: EADDRNOTAVAIL (R20).
  both({ ...ra, holdMs: 1_000_000, strategy: 'reuseaddr' }, (r) => {
    assert.equal(r.firstFailureAtSec, 0.2);
    assert.equal(r.errno, 'EADDRNOTAVAIL');
  });
});

test('R2 R6: reserved ports are never chosen; tcp_max_tw_buckets=0 frees ports at close', () => {
  assert.equal(capacityOf({ range: [40000, 40003], reserved: [40001, 50000], strategy: 'connect' }), 3);
  both({ ...base, reserved: [40001] }, (r) => assert.equal(r.firstFailureAtSec, 3));
  both({ ...base, holdMs: 0, rate: 10, durationMs: 10_000, maxTwBuckets: 0 }, (r) => {
    assert.equal(r.failed, 0);
    assert.equal(r.peakTimeWait, 0);
  });
});

test('R11 R40: an odd-sized range counts one port less (the lower bound); userspace uses all', () => {
  assert.equal(capacityOf({ range: [40000, 40002], reserved: [], strategy: 'connect' }), 2);
  assert.equal(capacityOf({ range: [40000, 40002], reserved: [], strategy: 'bind0' }), 2);
  assert.equal(capacityOf({ range: [40000, 40002], reserved: [], strategy: 'reuseaddr' }), 3);
  assert.equal(capacityOf({ range: [40000, 40000], reserved: [], strategy: 'connect' }), 1);
});
