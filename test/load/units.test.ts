// The pure parts of `portspace load`: how connections are split over worker processes (each
// under the 20,000-file limit), the connector's port shards, the rates per tenth, address
// parsing (loopback only), and the model's predictions for tiny ranges (R14, R40, R42).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDestination, parsePortRange, parseSources } from '../../src/load/addresses.js';
import { portShard, workerPlan } from '../../src/load/plan.js';
import { predict } from '../../src/load/prediction.js';
import { tenths } from '../../src/load/rates.js';
import { explainError, strategyReport } from '../../src/load/report.js';
import type { ConnectError, LoadOptions, StrategyRun } from '../../src/load/types.js';

const options = (o: Partial<LoadOptions>): LoadOptions => ({
  to: { addr: '127.0.0.1', port: 9000 },
  connections: 400,
  sources: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
  strategies: ['kernel'],
  rate: null,
  holdSeconds: 0,
  range: [40000, 40099],
  timeoutSeconds: 60,
  perWorker: 150,
  ...o,
});

test('workerPlan: shares sum to the total, none above perWorker, one spare server worker', () => {
  for (const [n, per] of [
    [1, 1],
    [100_000, 15_000],
    [400, 150],
    [15_000, 15_000],
    [15_001, 15_000],
  ] as const) {
    const p = workerPlan(n, per);
    assert.equal(
      p.clientShares.reduce((a, b) => a + b, 0),
      n,
    );
    assert.ok(p.clientShares.every((s) => s <= per && s >= Math.floor(n / p.clientShares.length)));
    assert.equal(p.clientShares.length, Math.ceil(n / per));
    assert.equal(p.serverWorkers, p.clientShares.length + 1);
    assert.ok(p.serverWorkers * p.serverCap >= n + per, 'the server side has room for a whole worker more');
  }
  assert.throws(() => workerPlan(10, 20_000), RangeError);
  assert.throws(() => workerPlan(0, 10), RangeError);
});

test('portShard: disjoint slices that cover the range exactly', () => {
  for (const count of [1, 3, 7, 64]) {
    const seen = new Set<number>();
    let next = 1024;
    for (let i = 0; i < count; i++) {
      const [lo, hi] = portShard([1024, 65535], i, count);
      assert.equal(lo, next, 'contiguous');
      for (let p = lo; p <= hi; p++) seen.add(p);
      next = hi + 1;
    }
    assert.equal(next, 65536);
    assert.equal(seen.size, 64512);
  }
});

test('tenths: ten parts by count, each timed from the end of the one before', () => {
  // 100 connections: the first 50 at 1 per ms, the last 50 at 1 per 10 ms.
  const times = [
    ...Array.from({ length: 50 }, (_, i) => 1000 + i + 1),
    ...Array.from({ length: 50 }, (_, i) => 1050 + (i + 1) * 10),
  ];
  const t = tenths([...times].reverse(), 1000);
  assert.equal(t.length, 10);
  assert.deepEqual(
    t.map((x) => [x.from, x.to]),
    Array.from({ length: 10 }, (_, k) => [k * 10, k * 10 + 10]),
  );
  assert.equal(t[0]?.perSecond, 1000);
  assert.equal(t[9]?.perSecond, 100);
  assert.deepEqual(tenths([], 0), []);
  assert.equal(tenths([5, 5, 5], 5).length, 3, 'fewer than ten connections: one part each');
});

test('addresses: loopback only, ranges expanded, the kernel range rules (R1)', () => {
  assert.deepEqual(parseSources('127.0.0.2-127.0.0.5'), {
    ok: true,
    value: ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'],
  });
  assert.deepEqual(parseSources('127.0.0.2,::1'), { ok: true, value: ['127.0.0.2', '::1'] });
  assert.equal(parseSources('10.0.0.1').ok, false);
  assert.equal(parseSources('127.0.0.5-127.0.0.2').ok, false);
  assert.equal(parseSources('127.0.0.1-127.0.1.1').ok, false, 'more than 64 addresses');
  assert.equal(parseSources('127.0.0.2,127.0.0.2').ok, false);
  assert.deepEqual(parseDestination('[::1]:80'), { ok: true, value: { addr: '::1', port: 80 } });
  assert.equal(parseDestination('192.168.1.1:80').ok, false);
  assert.equal(parseDestination('127.0.0.1:0').ok, false);
  assert.equal(parseDestination('127.0.0.1').ok, false);
  assert.deepEqual(parsePortRange('40000-40000'), { ok: true, value: [40000, 40000] });
  assert.equal(parsePortRange('1000-2000').ok, false, 'below ip_unprivileged_port_start (R1)');
  assert.equal(parsePortRange('5000-4000').ok, false);
});

test('prediction R14: plain connect() from the route source holds one range per destination', () => {
  const p = predict(options({}), 'kernel');
  assert.equal(p.reached, 100);
  assert.equal(p.capacity, 100);
  assert.equal(p.failure?.errno, 'EADDRNOTAVAIL');
  assert.equal(p.failure?.rule, 'R14');
  // The listener's port inside the range is skipped by connect() (R12): one fewer.
  const inside = predict(options({ to: { addr: '127.0.0.1', port: 40050 } }), 'kernel');
  assert.equal(inside.reached, 99);
});

test('prediction R40/R42: bind(ip, 0) has one range per source address', () => {
  const p = predict(options({}), 'bind');
  assert.equal(p.reached, 300);
  assert.equal(p.capacity, 300);
  assert.equal(p.failure?.errno, 'EADDRINUSE');
  assert.equal(p.failure?.rule, 'R40');
  const enough = predict(options({ connections: 250 }), 'bind');
  assert.deepEqual([enough.reached, enough.capacity, enough.failure], [250, null, null]);
});

test('prediction: the connector holds sources x its shard of ports per worker (R14)', () => {
  const p = predict(options({}), 'userspace');
  // Shards of 33, 33, 34 ports x 3 sources = 99, 99, 102 for shares 134, 133, 133.
  assert.equal(p.reached, 300);
  assert.equal(p.capacity, 300);
  assert.equal(p.failure?.errno, 'EADDRNOTAVAIL');
  const fits = predict(options({ connections: 297 }), 'userspace');
  assert.deepEqual([fits.reached, fits.failure], [297, null]);
});

test('explainError: the model explains an errno it met, and says so when it did not', () => {
  const e: ConnectError = {
    code: 'EADDRNOTAVAIL',
    errnoName: 'EADDRNOTAVAIL',
    rule: null,
    errno: -99,
    syscall: 'connect',
    address: '127.0.0.1',
    port: 9000,
    localAddress: null,
    localPort: null,
    message: 'connect EADDRNOTAVAIL',
    worker: 0,
    atMs: 0,
    afterConnections: 100,
  };
  const p = predict(options({}), 'kernel');
  const x = explainError(e, p);
  assert.equal(x.modelAgrees, true);
  assert.match(x.explanation, /^R14: /);
  const other = explainError({ ...e, code: 'ETIMEDOUT', errnoName: 'ETIMEDOUT' }, p);
  assert.equal(other.modelAgrees, false);
  assert.match(other.explanation, /expected EADDRNOTAVAIL/);
  const none = explainError(e, predict(options({ connections: 10 }), 'kernel'));
  assert.equal(none.modelAgrees, false);
  assert.match(none.explanation, /not a port-allocation limit/);
});

test('strategyReport: client CPU per connection is user + system time over the connections reached', () => {
  const run: StrategyRun = {
    strategy: 'userspace',
    target: 400,
    reached: 300,
    failed: 100,
    skipped: 0,
    procEstablished: 300,
    procServerEnds: 300,
    firstError: null,
    setupSeconds: 0.5,
    connectSeconds: 2,
    tenths: [],
    clientRssBefore: 1000,
    clientRssAfter: 4000,
    clientCpuUserMs: 45,
    clientCpuSystemMs: 15,
    closeSeconds: 1,
    leftAfterClose: 0,
    timeWaitAfterClose: 300,
    timeWaitEntered: 300,
    clientWorkers: 3,
    serverWorkers: 4,
    timedOut: false,
    interrupted: false,
    lost: 0,
    unavailable: null,
  };
  const r = strategyReport(run, predict(options({}), 'userspace'));
  // 60 ms over 300 connections: 200 us each; failed attempts count in the time, not the divisor.
  assert.deepEqual(r.cpu, { clientUserSeconds: 0.045, clientSystemSeconds: 0.015, perConnectionMicros: 200 });
  assert.equal(r.memory.perConnection, 10);
  const none = strategyReport({ ...run, reached: 0 }, predict(options({}), 'userspace'));
  assert.equal(none.cpu.perConnectionMicros, null);
});
