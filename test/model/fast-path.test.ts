// DESIGN idea 6 and issue 2's speed requirement: the indexed search must pick exactly the port
// the plain port-by-port scan picks, for the same start, on random states. Both connect() (R11,
// R12, R62) and bind(0)/listen autobind (R40-R42, including the relaxed round of R41) are checked
// for every possible start offset.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Addr } from '../../src/model/addr.js';
import type { Core } from '../../src/model/core.js';
import { describeOwner } from '../../src/model/entities.js';
import { Netns, type SockId } from '../../src/model/index.js';
import { coreOf } from '../../src/model/netns.js';
import { chooseFrom, isOutcome, outcomes, type Phase, walk } from '../../src/model/search.js';
import { autobindPhases } from '../../src/model/tcp-autobind.js';
import { viewAs } from '../../src/model/tcp-bind.js';
import { planConnect } from '../../src/model/tcp-connect.js';
import { apply, opArb, tinyNetns } from './random-ops.js';

/** An address interned in the namespace's table, as the model's entry points intern it. */
function intern(core: Core, text: string): Addr {
  const a = core.addrs.parse(text);
  if (a === null) throw new Error(`not an address: ${text}`);
  return a;
}

function compareAllStarts(phases: Phase[]): string | null {
  // Phases draw independently; try every offset of each phase with the other phases at offset
  // of the same index (enough to reach every phase and pass on these tiny ranges).
  const offsetLists = phases.map((p) => [...p.offsets()]);
  const longest = Math.max(...offsetLists.map((l) => l.length));
  for (let k = 0; k < longest; k++) {
    const starts = offsetLists.map((l) => l[k % l.length] ?? 0);
    const fast = chooseFrom(phases, starts);
    const plain = walk(phases, describeOwner, starts).found;
    if (fast?.port !== plain?.port || fast?.i !== plain?.i || fast?.phase !== plain?.phase) {
      return `starts ${starts.join(',')}: fast ${JSON.stringify(fast)} vs plain ${JSON.stringify(plain)}`;
    }
  }
  return null;
}

test('R11/R12 the fast connect search picks what the plain scan picks, on random states', () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { maxLength: 60 }),
      fc.integer(),
      fc.constantFrom('127.0.0.1', '10.0.0.9', '::1', '::ffff:127.0.0.1'),
      (ops, seed, dest) => {
        const ns = tinyNetns((s) => new Netns({ seed: s }), seed);
        const socks: SockId[] = [];
        for (const o of ops) apply(ns, socks, o);
        const fresh = ns.socket(dest.includes(':') ? 'tcp6' : 'tcp4');
        assert.ok(fresh.ok);
        const core = coreOf(ns);
        const s = core.socket(fresh.sock);
        assert.ok(s);
        const plan = planConnect(core, s, intern(core, dest), 5000);
        if ('ok' in plan || plan.kind !== 'auto') return;
        assert.equal(compareAllStarts(plan.phases), null);
      },
    ),
    { numRuns: 300 },
  );
});

test('R40-R42 the fast bind(0) search picks what the plain scan picks, on random states', () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { maxLength: 60 }),
      fc.integer(),
      fc.constantFrom('127.0.0.1', '0.0.0.0', '::', '::1'),
      fc.boolean(),
      fc.boolean(),
      (ops, seed, addr, reuseAddr, listening) => {
        const ns = tinyNetns((s) => new Netns({ seed: s }), seed);
        const socks: SockId[] = [];
        for (const o of ops) apply(ns, socks, o);
        const fresh = ns.socket(addr.includes(':') ? 'tcp6' : 'tcp4');
        assert.ok(fresh.ok);
        ns.setsockopt(fresh.sock, 'SO_REUSEADDR', reuseAddr ? 1 : 0);
        const core = coreOf(ns);
        const s = core.socket(fresh.sock);
        assert.ok(s);
        const phases = autobindPhases(core, viewAs(s, intern(core, addr), addr === '::1', listening), 0);
        assert.equal(compareAllStarts(phases), null);
      },
    ),
    { numRuns: 300 },
  );
});

test('R11 the fast search agrees with the plain scan on a full-size range with a wrap', () => {
  // The default range, 28,232 ports, filled except a few ports near both ends: the scan must
  // wrap from the top of the range to the bottom and land on the same port both ways.
  const ns = new Netns({ seed: 7 });
  ns.addAddress('10.0.0.1/8');
  const core = coreOf(ns);
  for (let i = 0; i < 28232 - 3; i++) {
    const s = ns.socket('tcp4');
    assert.ok(s.ok);
    assert.ok(ns.connect(s.sock, '10.1.1.1', 80).ok);
  }
  const s = ns.socket('tcp4');
  assert.ok(s.ok);
  const sock = core.socket(s.sock);
  assert.ok(sock);
  const plan = planConnect(core, sock, intern(core, '10.1.1.1'), 80);
  assert.ok(!('ok' in plan) && plan.kind === 'auto');
  const phase = plan.phases[0] as Phase;
  for (const start of [0, 2, 28230, 28228, 14116]) {
    const fast = chooseFrom([phase], [start]);
    const plain = walk([phase], describeOwner, [start]).found;
    assert.deepEqual(fast, plain, `start ${start}`);
  }
});

test('R11 isOutcome answers exactly like the listed outcomes, on random states', () => {
  // The differential runner asks "could the kernel have chosen this?" with isOutcome (O(1) on
  // full-size ranges); it must agree with outcomes() for every port and for failure.
  fc.assert(
    fc.property(
      fc.array(opArb, { maxLength: 60 }),
      fc.integer(),
      fc.constantFrom('127.0.0.1', '10.0.0.9', '::1'),
      fc.boolean(),
      (ops, seed, dest, lpr) => {
        const ns = tinyNetns((s) => new Netns({ seed: s }), seed);
        const socks: SockId[] = [];
        for (const o of ops) apply(ns, socks, o);
        const fresh = ns.socket(dest.includes(':') ? 'tcp6' : 'tcp4');
        assert.ok(fresh.ok);
        if (lpr) ns.setsockopt(fresh.sock, 'IP_LOCAL_PORT_RANGE', [40001, 40006]);
        const core = coreOf(ns);
        const s = core.socket(fresh.sock);
        assert.ok(s);
        const plan = planConnect(core, s, intern(core, dest), 5000);
        if ('ok' in plan || plan.kind !== 'auto') return;
        const listed = outcomes(plan.phases);
        for (let p = 39998; p <= 40010; p++)
          assert.equal(isOutcome(plan.phases, p), listed.ports.includes(p), `port ${p}`);
        assert.equal(isOutcome(plan.phases, 'fail'), listed.mayFail, 'fail');
      },
    ),
    { numRuns: 300 },
  );
});
