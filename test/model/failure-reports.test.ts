// What a failure reports besides its errno: the rule that decided it and the owners that stood
// in the way (`rule` and `conflictsWith`, result.ts), which explanations and the doctor print.
// One test per sharing and 4-tuple rule that names owners, and the exhaustion rules that do not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Failure, Netns, OwnerRef, Result, SockId } from '../../src/model/index.js';
import { asUid, bind, boundPair, connect, listen, listener, makeTimeWait, netns, sock } from './helpers.js';

function failure(r: Result): Failure {
  if (r.ok) return assert.fail('expected a failure, the call succeeded');
  return r;
}

/** The socket's own reference, as a failure names it (kind, id, label with its current state). */
function socketRef(ns: Netns, s: SockId): OwnerRef {
  const v = ns.inspect().sockets.find((x) => x.id === s);
  if (!v) return assert.fail(`socket #${s} is not in the namespace`);
  return { kind: 'socket', id: s, label: v.label };
}

function assertFailure(r: Result, errno: string, rule: string, conflictsWith: readonly OwnerRef[]): void {
  const f = failure(r);
  assert.deepEqual(
    { errno: f.errno, rule: f.rule, conflictsWith: f.conflictsWith },
    { errno, rule, conflictsWith },
  );
}

test('R31 an explicit bind on a held port names the owner that holds it', () => {
  const ns = netns();
  const a = sock(ns);
  assert.equal(bind(ns, a, '127.0.0.1', 40000), 40000);
  assertFailure(ns.bind(sock(ns), '127.0.0.1', 40000), 'EADDRINUSE', 'R31', [socketRef(ns, a)]);
});

test('R31 every blocking owner is named, in join order; owners that allow sharing are not', () => {
  const ns = netns();
  const a = sock(ns, { ra: true });
  const b = sock(ns, { ra: true });
  assert.equal(bind(ns, a, '127.0.0.1', 40000), 40000);
  assert.equal(bind(ns, b, '127.0.0.1', 40000), 40000);
  // Without SO_REUSEADDR the newcomer is blocked by both.
  assertFailure(ns.bind(sock(ns), '127.0.0.1', 40000), 'EADDRINUSE', 'R31', [
    socketRef(ns, a),
    socketRef(ns, b),
  ]);
});

test('R32 SO_REUSEADDR on both does not help against a listener: the listener is named', () => {
  const ns = netns();
  const l = listener(ns, '127.0.0.1', 40000, { ra: true });
  assertFailure(ns.bind(sock(ns, { ra: true }), '127.0.0.1', 40000), 'EADDRINUSE', 'R31', [socketRef(ns, l)]);
});

test('R33 SO_REUSEPORT on both with another uid: the owner of the other uid is named', () => {
  const ns = netns();
  const a = sock(ns, { rp: true });
  assert.equal(bind(ns, a, '127.0.0.1', 40000), 40000);
  const r = asUid(ns, 1000, () => ns.bind(sock(ns, { rp: true }), '127.0.0.1', 40000));
  assertFailure(r, 'EADDRINUSE', 'R31', [socketRef(ns, a)]);
});

test('R35 a wildcard owner blocks a specific address and is named; another specific address is free', () => {
  const ns = netns();
  const w = sock(ns);
  assert.equal(bind(ns, w, '0.0.0.0', 40000), 40000);
  assertFailure(ns.bind(sock(ns), '127.0.0.1', 40000), 'EADDRINUSE', 'R31', [socketRef(ns, w)]);
  const ns2 = netns();
  assert.equal(bind(ns2, sock(ns2), '127.0.0.1', 40000), 40000);
  assert.equal(bind(ns2, sock(ns2), '127.0.0.2', 40000), 40000);
});

test('R51 the second SO_REUSEADDR listener on one address fails at listen(), naming the first', () => {
  const ns = netns();
  const a = sock(ns, { ra: true });
  const b = sock(ns, { ra: true });
  assert.equal(bind(ns, a, '127.0.0.1', 40000), 40000);
  assert.equal(bind(ns, b, '127.0.0.1', 40000), 40000);
  assert.equal(listen(ns, a), 40000);
  assertFailure(ns.listen(b), 'EADDRINUSE', 'R51', [socketRef(ns, a)]);
});

test('R64 a TIME_WAIT entry holds its port against a bind and is named as a timewait owner', () => {
  const ns = netns();
  const p = boundPair(ns, listener(ns, '127.0.0.1', 5000), '127.0.0.1', 40000, 5000);
  makeTimeWait(ns, p.c, p.s);
  const f = failure(ns.bind(sock(ns), '127.0.0.1', 40000));
  assert.equal(f.rule, 'R31');
  assert.equal(f.conflictsWith.length, 1);
  const [tw] = f.conflictsWith;
  assert.equal(tw?.kind, 'timewait');
  assert.match(tw?.label ?? '', new RegExp(`^TIME_WAIT entry of socket #${p.c} 127\\.0\\.0\\.1:40000 -> `));
});

test('R20 connect() from a bound port whose 4-tuple is taken names the socket that has it', () => {
  const ns = netns();
  listener(ns, '127.0.0.1', 5000);
  const a = sock(ns, { ra: true });
  const b = sock(ns, { ra: true });
  assert.equal(bind(ns, a, '127.0.0.1', 40000), 40000);
  assert.equal(bind(ns, b, '127.0.0.1', 40000), 40000);
  assert.equal(connect(ns, a, '127.0.0.1', 5000), 40000);
  assertFailure(ns.connect(b, '127.0.0.1', 5000), 'EADDRNOTAVAIL', 'R20', [socketRef(ns, a)]);
});

test('R63 a TIME_WAIT entry without timestamps keeps its 4-tuple from a bound connect(), and is named', () => {
  const ns = netns({ sysctls: [['net.ipv4.tcp_timestamps', '0']] });
  const l = listener(ns, '127.0.0.1', 5000);
  const a = sock(ns, { ra: true });
  assert.equal(bind(ns, a, '127.0.0.1', 40000), 40000);
  assert.equal(connect(ns, a, '127.0.0.1', 5000), 40000);
  const s = ns.accept(l);
  if (!s.ok) return assert.fail(s.errno);
  makeTimeWait(ns, a, s.sock);
  const b = sock(ns, { ra: true });
  assert.equal(bind(ns, b, '127.0.0.1', 40000), 40000);
  const f = failure(ns.connect(b, '127.0.0.1', 5000));
  assert.deepEqual(
    [f.errno, f.rule, f.conflictsWith.map((o) => o.kind)],
    ['EADDRNOTAVAIL', 'R63', ['timewait']],
  );
});

test('R14 and R40: exhaustion names no single owner', () => {
  const ns = netns({ range: [40000, 40001], addrs: ['10.0.0.1/8'] });
  for (let k = 0; k < 2; k++) assert.equal(typeof connect(ns, sock(ns), '10.1.1.1', 80), 'number');
  assertFailure(ns.connect(sock(ns), '10.1.1.1', 80), 'EADDRNOTAVAIL', 'R14', []);
  const ns2 = netns({ range: [40000, 40001] });
  for (let k = 0; k < 2; k++) assert.equal(typeof bind(ns2, sock(ns2), '127.0.0.1', 0), 'number');
  assertFailure(ns2.bind(sock(ns2), '127.0.0.1', 0), 'EADDRINUSE', 'R40', []);
});

test('R61 a refused connect() names no owner', () => {
  const ns = netns();
  assertFailure(ns.connect(sock(ns), '127.0.0.1', 5000), 'ECONNREFUSED', 'R61', []);
});

test('R91 a UDP bind on a held port names the UDP owner', () => {
  const ns = netns();
  const a = sock(ns, { kind: 'udp4' });
  assert.equal(bind(ns, a, '127.0.0.1', 5000), 5000);
  assertFailure(ns.bind(sock(ns, { kind: 'udp4' }), '127.0.0.1', 5000), 'EADDRINUSE', 'R91', [
    socketRef(ns, a),
  ]);
});
