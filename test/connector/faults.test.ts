// Faults with real sockets in private namespaces (loopback only): refused, reset, the peer
// closing first, ports taken by other sockets after the connector started, a destination that
// stops accepting (connect timeout), abort through signal. After each: no reservation left in
// the model or the pools, no fd leaked, and the model's view of our sockets equals the kernel's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { inNetns } from './netns.js';

interface Step {
  result: unknown;
  view: { kernel: string[]; model: string[] };
  counts: { tracked: number; modelSockets: number; poolInUse: number };
  fds: number;
}
type FaultRun = Record<string, Step> & { fds0: number; fdsEnd: number };

const NONE = { tracked: 0, modelSockets: 0, poolInUse: 0 };

for (const dest of ['remote', 'local'] as const) {
  const [src1, src2, to] =
    dest === 'remote' ? ['10.0.0.1', '10.0.0.2', '10.1.1.1'] : ['127.0.0.2', '127.0.0.3', '127.0.0.1'];
  test(`connector faults, destination ${dest === 'remote' ? 'outside the model (10.1.1.1)' : 'local to the model (127.0.0.1)'}: no leaks, model = kernel`, async (t) => {
    if (spawnSync('python3', ['-c', 'pass']).status !== 0) {
      t.skip('python3 is not installed: it plays the destination that stops accepting');
      return;
    }
    const r = await inNetns<FaultRun>(t, './faults-worker.ts', { dest });
    if (r === null) return;
    const step = (name: string): Step => {
      const s = r[name] as Step | undefined;
      assert.ok(s, name);
      return s;
    };
    for (const name of ['refused', 'reset', 'peerClosedFirst', 'takenAfter', 'stopsAcceptingAfter']) {
      const s = step(name);
      assert.deepEqual(s.counts, NONE, name);
      assert.deepEqual(s.view.kernel, [], name);
      assert.deepEqual(s.view.model, [], name);
      assert.equal(s.fds, r.fds0, `${name}: fds`);
    }
    // Refused: Node's own error, with the source we chose (R61: the port is free again).
    assert.deepEqual(step('refused').result, {
      ok: false,
      code: 'ECONNREFUSED',
      name: 'Error',
      local: `${src1}:20000`,
      connectorError: false,
    });
    assert.deepEqual(step('reset').result, { ok: true, err: 'ECONNRESET', code: '' });
    assert.deepEqual(step('peerClosedFirst').result, { ok: true });
    // Taken: EADDRINUSE (a listener on our source port) and EADDRNOTAVAIL (a connection on our
    // 4-tuple), each retried on the next port; the other socket shows only in the kernel.
    const taken = step('taken');
    const tr = taken.result as {
      a: string;
      b: string;
      stats: { collisions: number; onHold: number; inUse: number }[];
    };
    assert.equal(tr.a, `${src1}:20001`);
    assert.equal(tr.b, `${src2}:20001`);
    assert.deepEqual(
      tr.stats.map((s) => [s.inUse, s.onHold, s.collisions]),
      [
        [1, 1, 1],
        [1, 1, 1],
      ],
    );
    assert.deepEqual(
      taken.view.kernel,
      [...taken.view.model, `${src2}:20000 -> ${to}:7004 ESTABLISHED`].sort(),
    );
    assert.deepEqual(taken.counts, { tracked: 2, modelSockets: 2, poolInUse: 2 });
    // Stops accepting: the first connect fills the accept queue, the next times out.
    const to1 = step('timeout');
    assert.deepEqual(to1.result, [
      { ok: true, code: 'connected' },
      { ok: false, code: 'PORTSPACE_CONNECT_TIMEOUT', errnoName: 'ETIMEDOUT' },
    ]);
    assert.deepEqual(to1.view.kernel, to1.view.model);
    assert.equal(to1.view.model.length, 1);
    assert.deepEqual(to1.counts, { tracked: 1, modelSockets: 1, poolInUse: 1 });
    const ab = step('abort');
    assert.deepEqual(ab.result, {
      aborted: { ok: false, name: 'AbortError' },
      pre: { ok: false, name: 'AbortError' },
    });
    assert.deepEqual(ab.view.kernel, ab.view.model);
    assert.deepEqual(ab.counts, { tracked: 1, modelSockets: 1, poolInUse: 1 });
    assert.equal(r.fdsEnd, r.fds0);
  });
}
