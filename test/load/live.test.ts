// `portspace load` for real, small: a few hundred connections over a 100-port range and three
// source addresses, each strategy in a private network namespace of its own (unshare -n, lo
// only), with three client workers and four cluster server workers. What each strategy reaches
// must equal the model's prediction and the kernel's own count of ESTABLISHED entries in the
// namespace's /proc/net/tcp, and the numbers are the rules' (R14: one range per (source,
// destination); R40/R42: bind(ip, 0) one range per source address; the connector: sources x
// its shard of ports). Then everything must close.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { loadAvailability } from '../../src/load/availability.js';
import { runLoad } from '../../src/load/run-load.js';
import type { LoadOptions, Strategy } from '../../src/load/types.js';

const base: LoadOptions = {
  to: { addr: '127.0.0.1', port: 9000 },
  connections: 400,
  sources: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
  strategies: [],
  rate: null,
  holdSeconds: 0,
  range: [40000, 40099],
  timeoutSeconds: 60,
  perWorker: 150,
};

function skip(t: TestContext): boolean {
  const a = loadAvailability();
  if (a.ok) return false;
  t.skip(a.reason);
  console.log(`skipped: ${a.reason}`);
  return true;
}

async function one(strategy: Strategy, o: Partial<LoadOptions> = {}) {
  const r = await runLoad({ ...base, ...o, strategies: [strategy] });
  const s = r.strategies[0];
  assert.ok(s, 'a report for the strategy');
  assert.equal(s.error, null, `the run failed: ${s.error}`);
  assert.equal(s.unavailable, null);
  const clients = Math.ceil((o.connections ?? base.connections) / base.perWorker);
  assert.deepEqual(s.workers, { clients, servers: clients + 1 }, 'at most 150 connections per worker');
  // The kernel's count, the model's and ours agree.
  assert.equal(s.proc.clientEstablished, s.reached, 'client ends in /proc');
  assert.equal(s.proc.serverEstablished, s.reached, 'server ends in /proc');
  assert.equal(s.predicted.reached, s.reached, 'the model predicted it');
  // Everything closed; the client ends (they close first) wait in TIME_WAIT (R60).
  const closed = {
    closeSeconds: s.closeSeconds,
    leftAfterClose: s.leftAfterClose,
    timeWaitAfterClose: s.timeWaitAfterClose,
    timeWaitEntered: s.timeWaitEntered,
    lost: s.lost,
  };
  const seen = JSON.stringify(closed);
  assert.notEqual(s.closeSeconds, null, `closed within the bound: ${seen}`);
  assert.equal(s.lost, 0, `no connection ended before the close phase: ${seen}`);
  assert.equal(s.leftAfterClose, 0, `nothing left open or closing: ${seen}`);
  // R60 by the kernel's own count of entries made. The table shows them too, except that on these
  // machines a few entries now and then leave it within a second (no reset, no TWKilled: seen in
  // CI as 261-299 of 300; docs/load.md), so the table's count is only bounded by it.
  assert.equal(s.timeWaitEntered, s.reached, `every client end entered TIME_WAIT: ${seen}`);
  assert.ok(s.timeWaitAfterClose <= s.reached, `no TIME_WAIT entry the run did not make: ${seen}`);
  assert.equal(
    s.tenths.reduce((a, t) => a + (t.to - t.from), 0),
    s.reached,
  );
  // The client workers' CPU over the connect phase was measured (process.cpuUsage in each).
  const cpu = s.cpu.clientUserSeconds + s.cpu.clientSystemSeconds;
  assert.ok(cpu > 0, `client CPU measured: ${JSON.stringify(s.cpu)}`);
  assert.ok(Math.abs((s.cpu.perConnectionMicros ?? 0) - (cpu * 1e6) / s.reached) < 1e-6 * cpu * 1e6);
  assert.equal(r.ok, true);
  return s;
}

test('load kernel R14: plain connect() stops at the range size, EADDRNOTAVAIL as the model says', async (t) => {
  if (skip(t)) return;
  const s = await one('kernel');
  assert.equal(s.reached, 100, 'ip_local_port_range 40000-40099: 100 ports towards 127.0.0.1:9000');
  assert.equal(s.firstError?.code, 'EADDRNOTAVAIL');
  assert.equal(s.firstError?.modelAgrees, true);
  assert.match(s.firstError?.explanation ?? '', /^R14: /);
});

test('load bind R40/R42: bind(ip, 0) gets one range per source address, then EADDRINUSE', async (t) => {
  if (skip(t)) return;
  const s = await one('bind');
  assert.equal(s.reached, 300, '3 sources x 100 ports');
  assert.equal(s.firstError?.code, 'EADDRINUSE');
  assert.equal(s.firstError?.modelAgrees, true);
});

test('load userspace: the connector fills sources x ports, each worker in its own shard', async (t) => {
  if (skip(t)) return;
  const s = await one('userspace');
  assert.equal(s.reached, 300, '3 sources x 100 ports, shared out in 3 disjoint shards');
  assert.equal(s.firstError?.code, 'PORTSPACE_PORTS_EXHAUSTED');
  assert.equal(s.firstError?.errnoName, 'EADDRNOTAVAIL');
  assert.equal(s.firstError?.modelAgrees, true);
  // Under capacity: every connection made, no error at all.
  const fits = await one('userspace', { connections: 290 });
  assert.equal(fits.reached, 290);
  assert.equal(fits.firstError, null);
  assert.equal(fits.failed, 0);
});
