// The per (source, destination) port pool: O(1) take and give back, no port handed out twice,
// TIME_WAIT recycled oldest first only when allowed (R63), refused ports held then retried.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PortPool } from '../../src/connector/port-pool.js';

const ports = (lo: number, hi: number) => Uint16Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

test('pool: fresh ports from the start offset, wrapping, each once; then null', () => {
  const p = new PortPool(ports(100, 104), 3, 60_000, 60_000);
  const got: number[] = [];
  for (let i = 0; i < 5; i++) got.push(p.take(0, true)?.port ?? -1);
  assert.deepEqual(got, [103, 104, 100, 101, 102]);
  assert.equal(p.take(0, true), null);
  assert.deepEqual([p.inUse, p.headroom(true), p.capacity], [5, 0, 5]);
});

test('pool: freed ports come back first (FIFO); TIME_WAIT ones last, oldest first (R63)', () => {
  const p = new PortPool(ports(100, 103), 0, 60_000, 60_000);
  for (let i = 0; i < 4; i++) p.take(0, true);
  p.give(101, 'timewait', 10);
  p.give(100, 'timewait', 20);
  p.give(103, 'free', 30);
  assert.deepEqual([p.timeWait, p.headroom(true), p.headroom(false)], [2, 3, 1]);
  assert.deepEqual(p.take(40, true), { port: 103, recycled: false });
  assert.deepEqual(p.take(40, true), { port: 101, recycled: true });
  // Without timestamps a TIME_WAIT entry is not recyclable (R63): nothing until it expires.
  assert.equal(p.take(40, false), null);
  assert.deepEqual(p.take(60_020, false), { port: 100, recycled: false });
});

test('pool: a refused port is held for holdMs, and a port held before use is skipped by the fresh cursor', () => {
  const p = new PortPool(ports(100, 102), 0, 60_000, 5_000);
  p.holdUntaken(101, 0);
  assert.deepEqual([p.onHold, p.headroom(true)], [1, 2]);
  assert.equal(p.take(0, true)?.port, 100);
  assert.equal(p.take(0, true)?.port, 102);
  assert.equal(p.take(0, true), null);
  p.give(100, 'held', 1_000);
  assert.equal(p.take(5_999, true)?.port, 101);
  assert.equal(p.take(5_999, true), null);
  assert.equal(p.take(6_000, true)?.port, 100);
});

test('pool: a port given back twice is a bug, reported as such', () => {
  const p = new PortPool(ports(100, 100), 0, 60_000, 60_000);
  p.take(0, true);
  p.give(100, 'free', 0);
  assert.throws(() => p.give(100, 'free', 0), /given back twice/);
});

test('pool: 60,000 ports taken and given back in any order never repeat a port in use', () => {
  const n = 60_000;
  const p = new PortPool(ports(1024, 1024 + n - 1), 12_345, 60_000, 60_000);
  const inUse = new Set<number>();
  let seed = 42;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const held: number[] = [];
  for (let step = 0; step < 200_000; step++) {
    if (held.length === 0 || (rnd() < 0.6 && held.length < n)) {
      const t = p.take(step, true);
      if (t === null) continue;
      assert.ok(!inUse.has(t.port), `port ${t.port} handed out twice`);
      inUse.add(t.port);
      held.push(t.port);
    } else {
      const i = Math.floor(rnd() * held.length);
      const port = held[i] as number;
      held[i] = held[held.length - 1] as number;
      held.pop();
      inUse.delete(port);
      p.give(port, rnd() < 0.5 ? 'timewait' : 'free', step);
    }
  }
  assert.equal(p.inUse, held.length);
  assert.equal(p.headroom(true) + p.inUse + p.onHold, n);
});
