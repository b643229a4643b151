// DESIGN idea 12: random call sequences over the whole TCP model; after every step
// checkInvariants() rebuilds each index from the flat socket list and must find no difference.
// A model that throws on any sequence fails here too (exceptions are for bugs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Netns, type SockId } from '../../src/model/index.js';
import { coreOf } from '../../src/model/netns.js';
import { apply, opArb, tinyNetns } from './random-ops.js';

test('D3/D4 indexes match the socket list after every step of random call sequences', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 80 }), fc.integer(), (ops, seed) => {
      const ns = tinyNetns((s) => new Netns({ seed: s }), seed);
      const socks: SockId[] = [];
      for (const [i, o] of ops.entries()) {
        apply(ns, socks, o);
        const problems = ns.checkInvariants();
        assert.deepEqual(problems, [], `after step ${i} ${JSON.stringify(o)}`);
      }
    }),
    { numRuns: 400 },
  );
});

test('checkInvariants notices a corrupted index (the checker can fail)', () => {
  const ns = new Netns({ seed: 1 });
  const s = ns.socket('tcp4');
  assert.ok(s.ok);
  assert.ok(ns.bind(s.sock, '127.0.0.1', 40000).ok);
  assert.deepEqual(ns.checkInvariants(), []);
  coreOf(ns).ports.bindOwned.delete(40000); // break one index behind the model's back
  assert.match(ns.checkInvariants().join('\n'), /port 40000: bindOwned index disagrees/);
});

test('R11/R40 every random choice lies in the outcome set computed beforehand', () => {
  // outcomes() is what the kernel checks rely on; the model's own choices must respect it.
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer(), (ops, seed) => {
      const ns = tinyNetns((s) => new Netns({ seed: s }), seed);
      const socks: SockId[] = [];
      for (const o of ops) {
        const s = socks.length && 's' in o ? socks[o.s % socks.length] : undefined;
        const call =
          s === undefined
            ? null
            : o.op === 'connect'
              ? ({ op: 'connect', addr: o.addr, port: o.port } as const)
              : o.op === 'bind'
                ? ({ op: 'bind', addr: o.addr, port: o.port } as const)
                : o.op === 'listen'
                  ? ({ op: 'listen' } as const)
                  : null;
        const possible = s !== undefined && call ? ns.outcomes(s, call) : null;
        if (possible && s !== undefined && call) {
          const r =
            call.op === 'connect'
              ? ns.connect(s, call.addr, call.port)
              : call.op === 'bind'
                ? ns.bind(s, call.addr, call.port)
                : ns.listen(s);
          if (r.ok)
            assert.ok(
              possible.ports.includes(r.port),
              `${JSON.stringify(call)} -> ${r.port} not in ${possible.ports}`,
            );
          else if (r.errno === 'EADDRINUSE' || r.errno === 'EADDRNOTAVAIL')
            assert.ok(possible.mayFail, `${JSON.stringify(call)} failed but outcomes said it cannot`);
        } else apply(ns, socks, o);
      }
    }),
    { numRuns: 300 },
  );
});
