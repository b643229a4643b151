/**
 * The 'linux-4.1' profile (spec section 10, first row: the 2014 article's kernel), one test per
 * rule it changes; everything else is 6.18 and covered by the rules-*.test.ts files. Expected
 * values follow from section 10's description (port = low + (i + hint + hash) % range, step 1,
 * one global hint advanced after each success; bind(0) random start, sequential, least-used
 * shareable port when exhausted), never from the model's own output.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Netns } from '../../src/model/index.js';
import { bind, close, connect, connects, inv, listen, listener, okResult, sock } from './helpers.js';

/** The first three results as ascending ports (the order inside a search is hash-dependent). */
function firstThreeSorted(got: readonly (number | string)[]): number[] {
  return got
    .slice(0, 3)
    .map(Number)
    .sort((x, y) => x - y);
}

function ns41(range?: readonly [number, number], seed = 1): Netns {
  const ns = new Netns({ profile: 'linux-4.1', seed });
  if (range) okResult(ns.sysctl('ip_local_port_range', `${range[0]} ${range[1]}`), 'range');
  okResult(ns.addAddress('10.0.0.1/24'), 'addAddress');
  return ns;
}

test('linux-4.1 R1, R4: default range 32768-61000 and tcp_tw_reuse 0', () => {
  const ns = new Netns({ profile: 'linux-4.1' });
  assert.equal(ns.profile, 'linux-4.1');
  assert.deepEqual(ns.readSysctl('net.ipv4.ip_local_port_range'), { ok: true, value: '32768\t61000' });
  assert.deepEqual(ns.readSysctl('net.ipv4.tcp_tw_reuse'), { ok: true, value: '0' });
  assert.equal(new Netns().profile, 'linux-6.18');
});

test('linux-4.1 knobs that came later: sysctls ENOENT, options ENOPROTOOPT, tcp_tw_reuse = 2 EINVAL', () => {
  const ns = new Netns({ profile: 'linux-4.1' });
  for (const n of ['ip_autobind_reuse', 'ip_unprivileged_port_start', 'tcp_tw_reuse_delay']) {
    const w = ns.sysctl(n, '1');
    assert.equal(w.ok ? 'ok' : w.errno, 'ENOENT', `write ${n}`);
    const r = ns.readSysctl(n);
    assert.equal(r.ok ? 'ok' : r.errno, 'ENOENT', `read ${n}`);
  }
  const s = ns.socket('tcp4');
  if (!s.ok) return assert.fail('socket');
  for (const [opt, v] of [
    ['IP_BIND_ADDRESS_NO_PORT', 1],
    ['IP_LOCAL_PORT_RANGE', [40000, 40010]],
  ] as const) {
    const r = ns.setsockopt(s.sock, opt, v);
    assert.equal(r.ok ? 'ok' : r.errno, 'ENOPROTOOPT', opt);
  }
  okResult(ns.setsockopt(s.sock, 'SO_REUSEADDR', 1), 'SO_REUSEADDR still exists');
  const two = ns.sysctl('tcp_tw_reuse', '2');
  assert.equal(two.ok ? 'ok' : two.errno, 'EINVAL');
  okResult(ns.sysctl('tcp_tw_reuse', '1'), 'tcp_tw_reuse = 1');
  inv(ns);
});

test('linux-4.1 R13-era global hint: successive connects to one destination take consecutive ports', () => {
  const ns = ns41([40000, 40999]);
  const ports = connects(ns, 6, '10.0.0.2', 80);
  for (let k = 1; k < ports.length; k++) {
    const prev = ports[k - 1] as number;
    // Step 1 with the hint advanced by one: the next port, wrapping at the top of the range.
    assert.equal(ports[k], prev === 40999 ? 40000 : prev + 1, `ports ${ports.join(', ')}`);
  }
  inv(ns);
});

test('linux-4.1 R13-era global hint: one hint for every destination, so a connect elsewhere moves it on', () => {
  const ns = ns41([40000, 40999]);
  const a1 = connect(ns, sock(ns), '10.0.0.2', 80) as number;
  connect(ns, sock(ns), '10.0.0.3', 80);
  connect(ns, sock(ns), '10.0.0.2', 81);
  const a2 = connect(ns, sock(ns), '10.0.0.2', 80) as number;
  // Three successes with i = 0 moved the hint by 3: the same destination starts 3 ports further on.
  assert.equal((a2 - 40000 + 1000 - (a1 - 40000)) % 1000, 3);
  inv(ns);
});

test('linux-4.1 R11 step 1, no parity split: a 3-port range gives all three ports, then EADDRNOTAVAIL', () => {
  const ns = ns41([40000, 40002]);
  const got = connects(ns, 4, '10.0.0.2', 80);
  assert.deepEqual(firstThreeSorted(got), [40000, 40001, 40002]);
  assert.equal(got[3], 'EADDRNOTAVAIL');
  inv(ns);
});

test('linux-4.1 connect: every port of the range is a possible first choice (the hash is secret)', () => {
  const ns = ns41([40000, 40007]);
  const o = ns.outcomes(sock(ns), { op: 'connect', addr: '10.0.0.2', port: 80 });
  assert.deepEqual(o, { ports: [40000, 40001, 40002, 40003, 40004, 40005, 40006, 40007], mayFail: false });
});

test('linux-4.1 R12, R14: connect still skips bind-owned ports and used 4-tuples', () => {
  const ns = ns41([40000, 40003]);
  bind(ns, sock(ns), '10.0.0.1', 40001);
  const got = connects(ns, 4, '10.0.0.2', 80);
  assert.deepEqual(firstThreeSorted(got), [40000, 40002, 40003]);
  assert.equal(got[3], 'EADDRNOTAVAIL');
  inv(ns);
});

test('linux-4.1 R40-era bind(0): random start, step 1, no halves or parity: every port is a possible first choice', () => {
  const ns = ns41([40000, 40003]);
  const s = sock(ns, { ra: true });
  assert.deepEqual(ns.outcomes(s, { op: 'bind', addr: '127.0.0.1', port: 0 }), {
    ports: [40000, 40001, 40002, 40003],
    mayFail: false,
  });
});

test('linux-4.1 R41-era bind(0) sharing: with SO_REUSEADDR the exhausted range shares the least-used port', () => {
  const ns = ns41([40000, 40001]);
  const a = bind(ns, sock(ns, { ra: true }), '127.0.0.1', 0);
  const b = bind(ns, sock(ns, { ra: true }), '127.0.0.1', 0);
  assert.deepEqual([a, b].sort(), [40000, 40001], 'free ports first');
  const c = bind(ns, sock(ns, { ra: true }), '127.0.0.1', 0);
  assert.ok(c === 40000 || c === 40001, `shared a port: ${c}`);
  // Now c's port has two owners and the other one: the fewest owners decide.
  const d = bind(ns, sock(ns, { ra: true }), '127.0.0.1', 0);
  assert.equal(d, c === 40000 ? 40001 : 40000);
  inv(ns);
});

test('linux-4.1 bind(0) never shares without SO_REUSEADDR, nor with a listener', () => {
  const ns = ns41([40000, 40000]);
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 0), 40000);
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 0), 'EADDRINUSE', 'no SO_REUSEADDR: nothing to share');
  const ns2 = ns41([40000, 40000]);
  const l = sock(ns2, { ra: true });
  assert.equal(bind(ns2, l, '127.0.0.1', 0), 40000);
  assert.equal(listen(ns2, l), 40000);
  assert.equal(
    bind(ns2, sock(ns2, { ra: true }), '127.0.0.1', 0),
    'EADDRINUSE',
    'a listener defeats SO_REUSEADDR',
  );
  inv(ns);
  inv(ns2);
});

test('linux-4.1 bind(0) with SO_REUSEPORT shares with the same uid only', () => {
  const ns = ns41([40000, 40000]);
  assert.equal(bind(ns, sock(ns, { rp: true }), '127.0.0.1', 0), 40000);
  assert.equal(bind(ns, sock(ns, { rp: true }), '127.0.0.1', 0), 40000);
  ns.setUid(1000);
  assert.equal(bind(ns, sock(ns, { rp: true }), '127.0.0.1', 0), 'EADDRINUSE');
  ns.setUid(0);
  inv(ns);
});

test('linux-4.1 R62: loopback TIME_WAIT is not recycled by default (tcp_tw_reuse 0), and is with 1', () => {
  for (const [reuse, expected] of [
    ['0', 'EADDRNOTAVAIL'],
    ['1', 40000],
  ] as const) {
    const ns = ns41([40000, 40000]);
    okResult(ns.sysctl('tcp_tw_reuse', reuse), 'tcp_tw_reuse');
    const l = listener(ns, '127.0.0.1', 21500);
    const c = sock(ns);
    assert.equal(connect(ns, c, '127.0.0.1', 21500), 40000);
    const a = ns.accept(l);
    if (!a.ok) return assert.fail('accept');
    close(ns, c); // the client closes first: its 4-tuple stays in TIME_WAIT
    close(ns, a.sock);
    ns.advance(1500);
    assert.equal(connect(ns, sock(ns), '127.0.0.1', 21500), expected, `tcp_tw_reuse = ${reuse}`);
    inv(ns);
  }
});
