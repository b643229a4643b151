/**
 * connect(AF_UNSPEC) on TCP sockets (src/model/tcp-disconnect.ts). The spec has it for UDP only
 * (R94); these rules are measured, not in the spec (experiments/exp_tcp_disconnect.py TD1-TD7).
 * Related spec rules: R61 (a port the kernel chose goes back, getsockname keeps showing it), R21
 * (connect narrows a wildcard-bound port to the source address), R40 (the bind(0) search), R52
 * (listen() after a failed connect).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Netns, SockId } from '../../src/model/index.js';
import { bind, connect, inv, listen, listener, name, netns, okResult, sock } from './helpers.js';

function disconnect(ns: Netns, s: SockId): void {
  okResult(ns.disconnect(s), 'disconnect');
  inv(ns);
}

function accept(ns: Netns, l: SockId): SockId {
  const r = ns.accept(l);
  if (!r.ok) return assert.fail(`accept: ${r.errno}`);
  inv(ns);
  return r.sock;
}

function stateOf(ns: Netns, s: SockId): string | undefined {
  return ns.inspect().sockets.find((x) => x.id === s)?.state;
}

test('TD1: a socket that never connected nor listened keeps everything, even a bind(0) port', () => {
  const ns = netns({ range: [40000, 40001] });
  const u = sock(ns);
  disconnect(ns, u);
  assert.deepEqual(name(ns, u), ['0.0.0.0', 0]);
  const z = sock(ns);
  assert.equal(bind(ns, z, '127.0.0.1', 0), 40001);
  disconnect(ns, z);
  disconnect(ns, z);
  assert.deepEqual(name(ns, z), ['127.0.0.1', 40001]);
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 40001), 'EADDRINUSE');
  assert.equal(bind(ns, z, '127.0.0.1', 6000), 'EINVAL');
});

test('TD3, R61: a connected socket gives back the port connect chose, resets its peer, leaves no TIME_WAIT', () => {
  const ns = netns({ range: [40000, 40000] });
  const srv = listener(ns, '127.0.0.1', 5000);
  const c = sock(ns);
  assert.equal(connect(ns, c, '127.0.0.1', 5000), 40000);
  const a = accept(ns, srv);
  disconnect(ns, c);
  assert.deepEqual(name(ns, c), ['0.0.0.0', 40000], 'getsockname keeps the released port');
  assert.equal(stateOf(ns, a), 'CLOSE', 'the accepted end was reset');
  assert.equal(ns.inspect().timewaits.length, 0);
  assert.equal(connect(ns, sock(ns), '127.0.0.1', 5000), 40000, 'the port is free again');
  assert.equal(connect(ns, c, '127.0.0.1', 5000), 'EADDRNOTAVAIL');
});

test('TD3: a port bind() fixed stays; the same destination is reachable again from it at once', () => {
  const ns = netns();
  listener(ns, '127.0.0.1', 5000);
  const c = sock(ns);
  assert.equal(bind(ns, c, '127.0.0.1', 6020), 6020);
  assert.equal(connect(ns, c, '127.0.0.1', 5000), 6020);
  disconnect(ns, c);
  assert.deepEqual(name(ns, c), ['127.0.0.1', 6020]);
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 6020), 'EADDRINUSE');
  assert.equal(connect(ns, c, '127.0.0.1', 5000), 6020);
});

test('TD3, R21: a wildcard-bound port narrowed by connect widens again: every address is blocked', () => {
  const ns = netns();
  listener(ns, '127.0.0.1', 5000);
  const w = sock(ns);
  assert.equal(bind(ns, w, '0.0.0.0', 6021), 6021);
  assert.equal(connect(ns, w, '127.0.0.1', 5000), 6021);
  const p = sock(ns);
  assert.equal(bind(ns, p, '127.0.0.2', 6021), 6021, 'only 127.0.0.1:6021 is held while connected');
  okResult(ns.close(p), 'close');
  disconnect(ns, w);
  assert.deepEqual(name(ns, w), ['0.0.0.0', 6021]);
  assert.equal(bind(ns, sock(ns), '127.0.0.2', 6021), 'EADDRINUSE');
});

test('TD3: bind(addr, 0) keeps the address but not the port', () => {
  const ns = netns({ range: [40000, 40003] });
  listener(ns, '127.0.0.1', 5000);
  const c = sock(ns);
  const p = bind(ns, c, '127.0.0.1', 0);
  assert.equal(typeof p, 'number');
  assert.equal(connect(ns, c, '127.0.0.1', 5000), p);
  disconnect(ns, c);
  assert.deepEqual(name(ns, c), ['127.0.0.1', p]);
  assert.equal(bind(ns, sock(ns), '127.0.0.1', p as number), p, 'the port is free');
});

test('TD2: a listener stops; its queued connections are reset; a listen() port goes back', () => {
  const ns = netns({ range: [40000, 40000] });
  const l = listener(ns, '127.0.0.1', 6010);
  const q = sock(ns);
  assert.equal(connect(ns, q, '127.0.0.1', 6010), 40000);
  disconnect(ns, l);
  assert.deepEqual(name(ns, l), ['127.0.0.1', 6010]);
  assert.equal(stateOf(ns, q), 'CLOSE', 'the queued connection was reset');
  assert.equal(connect(ns, sock(ns), '127.0.0.1', 6010), 'ECONNREFUSED');
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 6010), 'EADDRINUSE', 'bind() fixed the port');
  assert.equal(listen(ns, l), 6010, 'it may listen again');

  const a = sock(ns);
  assert.equal(listen(ns, a), 40000, 'the reset client gave back the port its connect chose (R61)');
});

test('TD2, TD6: an autobound listener gives its port back and can never connect (EINVAL, no change)', () => {
  const ns = netns({ range: [40000, 40000] });
  const a = sock(ns);
  assert.equal(listen(ns, a), 40000);
  disconnect(ns, a);
  assert.deepEqual(name(ns, a), ['0.0.0.0', 40000]);
  listener(ns, '127.0.0.1', 5000);
  assert.equal(connect(ns, a, '127.0.0.1', 5000), 'EINVAL');
  assert.equal(connect(ns, a, '127.0.0.1', 0), 'EINVAL', 'before port 0 is refused');
  assert.equal(connect(ns, a, '10.9.9.9', 80), 'ENETUNREACH', 'after the route lookup');
  assert.deepEqual(name(ns, a), ['0.0.0.0', 40000]);
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 0), 40000, 'the port went back');
  assert.equal(listen(ns, a), 'EADDRINUSE');
});

test('TD6, R40: a once-connected socket cannot listen: EINVAL after a bind(0) search that keeps its port', () => {
  const ns = netns({ range: [40000, 40003] });
  listener(ns, '127.0.0.1', 5000);
  const c = sock(ns);
  assert.equal(typeof connect(ns, c, '127.0.0.1', 5000), 'number');
  disconnect(ns, c);
  assert.deepEqual(ns.outcomes(c, { op: 'listen' }), { ports: [40001, 40003], mayFail: false });
  assert.equal(listen(ns, c, { follow: 40003 }), 'EINVAL');
  assert.deepEqual(name(ns, c), ['0.0.0.0', 40003]);
  assert.equal(ns.makesChoice(c, { op: 'listen' }), false, 'it has a port now: no search');
  assert.equal(listen(ns, c), 'EINVAL');
  assert.equal(bind(ns, sock(ns), '0.0.0.0', 40003), 'EADDRINUSE', 'the port is held');
  assert.equal(connect(ns, c, '127.0.0.1', 5000), 40003, 'connect() starts from it as from a bound port');
});

test('TD7: a socket reset by its peer connects again after connect(AF_UNSPEC), and forgets its source', () => {
  const ns = netns({ range: [40000, 40003] });
  const srv = listener(ns, '127.0.0.1', 5000);
  const c = sock(ns);
  const p = connect(ns, c, '127.0.0.1', 5000);
  okResult(ns.close(accept(ns, srv), { rst: true }), 'close rst');
  assert.equal(connect(ns, c, '127.0.0.1', 5000), 'EISCONN', 'still connected for the socket layer');
  disconnect(ns, c);
  assert.deepEqual(name(ns, c), ['0.0.0.0', p]);
  assert.equal(typeof connect(ns, c, '127.0.0.1', 5000), 'number');
});

test('TD3: the accepted end may disconnect too; it then connects like any socket but never listens', () => {
  const ns = netns({ range: [40000, 40003] });
  const srv = listener(ns, '127.0.0.1', 5000);
  const c = sock(ns);
  assert.equal(typeof connect(ns, c, '127.0.0.1', 5000), 'number');
  const a = accept(ns, srv);
  disconnect(ns, a);
  assert.deepEqual(name(ns, a), ['127.0.0.1', 5000]);
  assert.equal(stateOf(ns, c), 'CLOSE', 'the client was reset');
  assert.equal(listen(ns, a), 'EINVAL');
  assert.equal(listen(ns, srv), 5000, 'the listener is untouched');
});
