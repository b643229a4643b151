// Several processes on one host with the same sources: with shards each owns a slice of the
// ports and nothing collides; without, collisions (EADDRNOTAVAIL, R20) are retried on other
// ports, and together they still reach exactly the capacity (2 sources x 10 ports).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inNetns } from './netns.js';

interface Child {
  count: number;
  collisions: number;
  error: string;
  ports: string[];
}

test('two processes, shards { index, count }: 10 connections each, no collision', async (t) => {
  const r = await inNetns<Child[]>(t, './shard-worker.ts', { sharded: true });
  if (r === null) return;
  assert.deepEqual(
    r.map((c) => [c.count, c.collisions, c.error]),
    [
      [10, 0, 'PORTSPACE_PORTS_EXHAUSTED'],
      [10, 0, 'PORTSPACE_PORTS_EXHAUSTED'],
    ],
  );
  // Shard 0 owns 20000-20004, shard 1 owns 20005-20009, on both sources.
  for (const p of r[0]?.ports ?? []) assert.ok(Number(p.split(':')[1]) <= 20004, p);
  for (const p of r[1]?.ports ?? []) assert.ok(Number(p.split(':')[1]) >= 20005, p);
});

test('two processes without shards: collisions retried, exactly 20 connections in total, none shared', async (t) => {
  const r = await inNetns<Child[]>(t, './shard-worker.ts', { sharded: false });
  if (r === null) return;
  const all = r.flatMap((c) => c.ports);
  assert.equal(all.length, 20);
  assert.equal(new Set(all).size, 20);
  for (const c of r) assert.equal(c.error, 'PORTSPACE_PORTS_EXHAUSTED');
});
