/**
 * The random-script actions of issue 10 (src/fuzz/random-calls.ts): generated scripts make
 * getsockopt calls, setsockopt calls with short and long buffers, and connect(AF_UNSPEC) on TCP
 * sockets, and every one of them parses (planToScript throws otherwise).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { callsActionToCall } from '../../src/fuzz/random-calls.js';
import { planArb, planToScript } from '../../src/fuzz/random-scripts.js';
import { callSteps } from '../../src/script/index.js';

test('random scripts exercise getsockopt, optlen 0..8 and TCP disconnect', () => {
  const seen = { getsockopt: 0, optlens: new Set<number>(), tcpDisconnect: 0 };
  for (const [i, plan] of fc.sample(planArb, { seed: 42, numRuns: 200 }).entries()) {
    const script = planToScript(plan, `r${i}.pst`);
    const kinds = new Map<string, string>();
    for (const step of callSteps(script.steps)) {
      const c = step.call;
      if (c.op === 'socket') kinds.set(c.name, c.kind);
      if (c.op === 'accept') kinds.set(c.name, kinds.get(c.sock) ?? '');
      if (c.op === 'getsockopt') seen.getsockopt++;
      if (c.op === 'setsockopt' && c.optlen !== undefined) seen.optlens.add(c.optlen);
      if (c.op === 'disconnect' && kinds.get(c.sock)?.startsWith('tcp')) seen.tcpDisconnect++;
    }
  }
  assert.ok(seen.getsockopt >= 20, `only ${seen.getsockopt} getsockopt calls in 200 scripts`);
  assert.ok(seen.tcpDisconnect >= 20, `only ${seen.tcpDisconnect} TCP disconnects in 200 scripts`);
  assert.deepEqual(
    [...seen.optlens].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 8],
  );
});

test('an IP_LOCAL_PORT_RANGE write with a buffer uses ports of the current range (reversed ones too)', () => {
  const sock = { name: 's1', kind: 'tcp4' as const };
  assert.deepEqual(callsActionToCall({ t: 'optlen', s: 0, opt: 4, len: 2, v: 3, w: 1 }, sock, 40000, 4), {
    op: 'setsockopt',
    sock: 's1',
    opt: 'IP_LOCAL_PORT_RANGE',
    value: [40003, 40001],
    optlen: 2,
  });
  assert.equal(callsActionToCall({ t: 'tcpDisconnect', s: 0 }, null, 40000, 4), null);
});
