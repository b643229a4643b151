/**
 * R81 on the real kernel, through the helper's delivery probe: what the model cannot predict
 * (which member a flow lands on) but must respect structurally. Removing the LAST member of a
 * group of n moves a flow from slot k only to slot floor(k(n-1)/n) or floor((k+1)(n-1)/n) (the
 * scale is monotone); removing a MIDDLE member behaves as if the last member had moved into its
 * slot (exp_reuseport › index = scale(hash, n); › closing a MIDDLE listener). Also checks the
 * probe itself: a queued connection survives a TCP delivery to its listener, and a probe from a
 * wildcard source never leaves its own connection queued.
 * Skips with the printed reason where kernel runs are impossible.
 */
import assert from 'node:assert/strict';
import type { Call } from '../../src/calls/index.js';
import type { KernelBackend } from '../../src/kernel/kernel-backend.js';
import { openGroup } from '../../src/kernel/reuseport-spread.js';
import { kernelTest } from './kernel-test.js';

const FLOWS = 80;

function group(k: KernelBackend, proto: 'tcp' | 'udp', n: number): Promise<string[]> {
  return openGroup(k, proto, n, 5000);
}

async function members(k: KernelBackend, proto: 'tcp' | 'udp'): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < FLOWS; i++) {
    const r = await k.exec({
      op: 'deliver',
      proto,
      from: { addr: '127.0.0.2', port: 30000 + i },
      to: { addr: '127.0.0.1', port: 5000 },
    });
    assert.ok(r.ok && r.member !== undefined, `flow ${i}: ${JSON.stringify(r)}`);
    out.push(r.member);
  }
  return out;
}

/** Slots a flow on slot k of n may move to when the group shrinks to n - 1 (R81). */
function allowed(k: number, n: number): number[] {
  return [Math.floor((k * (n - 1)) / n), Math.floor(((k + 1) * (n - 1)) / n)];
}

for (const proto of ['tcp', 'udp'] as const) {
  for (const which of ['last', 'middle'] as const) {
    kernelTest(
      `R81 ${proto}: removing the ${which} member of 4 remaps flows as the slot structure says`,
      async (k) => {
        const names = await group(k, proto, 4);
        const before = await members(k, proto);
        const again = await members(k, proto);
        assert.deepEqual(
          again,
          before,
          'the same 4-tuple reaches the same member while the group is unchanged',
        );
        const gone = which === 'last' ? 'm3' : 'm1';
        assert.equal((await k.exec({ op: 'close', sock: gone, rst: false })).ok, true);
        // Slot order after the leave: the last member takes the hole (R81).
        const slots = which === 'last' ? ['m0', 'm1', 'm2'] : ['m0', 'm3', 'm2'];
        const after = await members(k, proto);
        let violations = 0;
        before.forEach((m, i) => {
          const oldSlot = names.indexOf(m);
          const ok = allowed(oldSlot, 4).map((s) => slots[s]);
          if (!ok.includes(after[i])) violations++;
        });
        assert.equal(
          violations,
          0,
          `flows that moved where the slot structure does not allow: ${violations} of ${FLOWS}`,
        );
        assert.ok(!after.includes(gone));
      },
      { timeout: 60_000 },
    );
  }
}

kernelTest(
  'R80 the TCP delivery probe leaves a queued connection in place for accept()',
  async (k) => {
    await group(k, 'tcp', 1);
    const c: Call[] = [
      { op: 'socket', name: 'c', kind: 'tcp4' },
      { op: 'bind', sock: 'c', addr: '127.0.0.1', port: 41000 },
      { op: 'connect', sock: 'c', addr: '127.0.0.1', port: 5000 },
    ];
    for (const call of c) assert.equal((await k.exec(call)).ok, true, call.op);
    const d = await k.exec({
      op: 'deliver',
      proto: 'tcp',
      from: { addr: '127.0.0.3', port: 42000 },
      to: { addr: '127.0.0.1', port: 5000 },
    });
    assert.deepEqual(d, { ok: true, member: 'm0' });
    const a = await k.exec({ op: 'accept', sock: 'm0', name: 'a' });
    assert.deepEqual(a, { ok: true, peer: { addr: '127.0.0.1', port: 41000 } });
    assert.deepEqual(await k.exec({ op: 'accept', sock: 'm0', name: 'b' }), { ok: false, errno: 'EAGAIN' });
  },
  { timeout: 30_000 },
);

kernelTest(
  'R80 the TCP delivery probe knows its connection by its real source, not a wildcard FROM',
  async (k) => {
    await group(k, 'tcp', 1);
    // From 0.0.0.0 the probe's connection comes from 127.0.0.1: it must be taken back, not left
    // queued for the script's next accept() (the protocol still accepts such a FROM).
    const d = await k.exec({
      op: 'deliver',
      proto: 'tcp',
      from: { addr: '0.0.0.0', port: 42001 },
      to: { addr: '127.0.0.1', port: 5000 },
    });
    assert.deepEqual(d, { ok: true, member: 'm0' });
    assert.deepEqual(await k.exec({ op: 'accept', sock: 'm0', name: 'a' }), { ok: false, errno: 'EAGAIN' });
  },
  { timeout: 30_000 },
);
