/** Spec section 3, R20-R23: connect() on a socket that already has a port or an address. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bind, binds, connect, connects, listen, listener, name, netns, seeds, sock } from './helpers.js';

test('R20 bind-before-connect: the same 4-tuple gives EADDRNOTAVAIL at connect(), another server port works', () => {
  // exp_connect › bind-before-connect: same 4-tuple -> EADDRNOTAVAIL ([40000, 40000, 40000, EADDRNOTAVAIL, 40000])
  const ns = netns();
  listener(ns, '127.0.0.1', 5001);
  listener(ns, '127.0.0.1', 5002);
  const a = sock(ns, { ra: true });
  const b = sock(ns, { ra: true });
  const obs = [
    bind(ns, a, '127.0.0.1', 40000),
    connect(ns, a, '127.0.0.1', 5001),
    bind(ns, b, '127.0.0.1', 40000),
    connect(ns, b, '127.0.0.1', 5001),
    connect(ns, b, '127.0.0.1', 5002),
  ];
  assert.deepEqual(obs, [40000, 40000, 40000, 'EADDRNOTAVAIL', 40000]);
});

test('R20 without SO_REUSEADDR on both sockets the second bind() already fails', () => {
  // exp_connect › bind-before-connect: without SO_REUSEADDR on both, the 2nd bind fails
  const ns = netns();
  listener(ns, '127.0.0.1', 5001);
  const a = sock(ns, { ra: true });
  bind(ns, a, '127.0.0.1', 40000);
  connect(ns, a, '127.0.0.1', 5001);
  const r1 = bind(ns, sock(ns), '127.0.0.1', 40000);
  const d = sock(ns);
  bind(ns, d, '127.0.0.1', 40002);
  connect(ns, d, '127.0.0.1', 5001);
  const r2 = bind(ns, sock(ns, { ra: true }), '127.0.0.1', 40002);
  assert.deepEqual([r1, r2], ['EADDRINUSE', 'EADDRINUSE']);
});

test('R20 connect() from a bound port applies no range, parity, reserved or bucket test', () => {
  const ns = netns({ range: [40000, 40001], sysctls: [['ip_local_reserved_ports', '45001']] });
  listener(ns, '127.0.0.1', 5001);
  const outside = sock(ns);
  assert.equal(bind(ns, outside, '127.0.0.1', 45001), 45001); // outside the range and reserved
  assert.equal(connect(ns, outside, '127.0.0.1', 5001), 45001);
  // Two RA sockets on one bound port: only the 4-tuple decides, not the (bind-owned) bucket.
  listener(ns, '127.0.0.1', 5002);
  const a = sock(ns, { ra: true });
  const b = sock(ns, { ra: true });
  bind(ns, a, '127.0.0.1', 45002);
  bind(ns, b, '127.0.0.1', 45002);
  assert.equal(connect(ns, a, '127.0.0.1', 5001), 45002);
  assert.equal(connect(ns, b, '127.0.0.1', 5002), 45002);
});

test('R21 wildcard-bound port: the source address is filled in at connect()', () => {
  // exp_connect › wildcard-bound port: source address filled in at connect() (spec text: successful connect)
  const ns = netns();
  listener(ns, '0.0.0.0', 5001);
  const a = sock(ns);
  bind(ns, a, '0.0.0.0', 40000);
  const before = name(ns, a);
  assert.equal(connect(ns, a, '127.0.0.3', 5001), 40000);
  assert.deepEqual(
    [before, name(ns, a)],
    [
      ['0.0.0.0', 40000],
      ['127.0.0.1', 40000],
    ],
  );
});

test('R21/R61 a refused connect (blocking semantics) puts a wildcard-bound socket back on the wildcard', () => {
  // exp_connect › wildcard-bound port… connects to 127.0.0.3 while the listener is on 127.0.0.1
  // only, so it is refused; Python read getsockname before the kernel's disconnect ran (it polls
  // SO_ERROR) and saw ("127.0.0.1", 40000). A blocking connect(), which the kernel helper
  // reproduces, runs the disconnect: the unlocked source address goes back to the wildcard,
  // the explicit port stays. Checked on the kernel by test/scripts/rules/connect/r21-failed-connect-resets-address.pst.
  const ns = netns();
  listener(ns, '127.0.0.1', 5001);
  const a = sock(ns);
  bind(ns, a, '0.0.0.0', 40000);
  assert.equal(connect(ns, a, '127.0.0.3', 5001), 'ECONNREFUSED');
  assert.deepEqual(name(ns, a), ['0.0.0.0', 40000]);
});

test('R21 a connect() that fails synchronously puts a wildcard-bound socket back on the wildcard', () => {
  const ns = netns();
  listener(ns, '127.0.0.1', 5001);
  const a = sock(ns, { ra: true });
  bind(ns, a, '0.0.0.0', 40000);
  assert.equal(connect(ns, a, '127.0.0.1', 5001), 40000);
  const b = sock(ns, { ra: true });
  assert.equal(bind(ns, b, '0.0.0.0', 40000), 40000);
  assert.equal(connect(ns, b, '127.0.0.1', 5001), 'EADDRNOTAVAIL'); // R20: same 4-tuple
  assert.deepEqual(name(ns, b), ['0.0.0.0', 40000]);
});

test('R22 IP_BIND_ADDRESS_NO_PORT: bind(ip, 0) takes no port; connects share ports per destination', () => {
  // exp_connect › IP_BIND_ADDRESS_NO_PORT: bind(ip,0) defers the port… (binds 0 x5; [40000, 40001, EADDRNOTAVAIL, 40000, 40001])
  for (const seed of seeds(5)) {
    const ns = netns({ seed, range: [40000, 40001] });
    listener(ns, '127.0.0.1', 5001);
    listener(ns, '127.0.0.1', 5002);
    const socks = Array.from({ length: 5 }, () => sock(ns, { noPort: true }));
    const bound = socks.map((s) => bind(ns, s, '127.0.0.1', 0));
    const ports = socks.map((s) => name(ns, s)[1]);
    const conns = socks.map((s, k) => connect(ns, s, '127.0.0.1', k < 3 ? 5001 : 5002));
    assert.deepEqual(bound, [0, 0, 0, 0, 0]);
    assert.deepEqual(ports, [0, 0, 0, 0, 0]);
    assert.deepEqual(conns, [40000, 40001, 'EADDRNOTAVAIL', 40000, 40001]);
  }
});

test('R22 IP_BIND_ADDRESS_NO_PORT with distinct source addresses multiplies capacity to one destination', () => {
  // exp_connect › IP_BIND_ADDRESS_NO_PORT with distinct source IPs…
  const ns = netns({ range: [40000, 40001] });
  listener(ns, '0.0.0.0', 5001);
  for (const src of ['127.0.0.1', '127.0.0.2']) {
    const got: [unknown, string][] = [];
    for (let k = 0; k < 3; k++) {
      const s = sock(ns, { noPort: true });
      bind(ns, s, src, 0);
      got.push([connect(ns, s, '127.0.0.1', 5001), name(ns, s)[0]]);
    }
    assert.deepEqual(got, [
      [40000, src],
      [40001, src],
      ['EADDRNOTAVAIL', src],
    ]);
  }
});

test('R22 a NOPORT bind(ip, 0) never fails with EADDRINUSE and owns nothing', () => {
  const ns = netns({ range: [40000, 40001] });
  assert.deepEqual(binds(ns, 2, '127.0.0.1'), [40001, 40000]); // every port bound on 127.0.0.1
  const s = sock(ns, { noPort: true });
  assert.equal(bind(ns, s, '127.0.0.1', 0), 0);
  const ns2 = netns({ range: [40000, 40001] });
  for (let k = 0; k < 3; k++) assert.equal(bind(ns2, sock(ns2, { noPort: true }), '127.0.0.1', 0), 0);
  assert.deepEqual(
    binds(ns2, 3, '127.0.0.1'),
    [40001, 40000, 'EADDRINUSE'],
    'the NOPORT sockets hold nothing',
  );
});

test('R22 with a non-zero port in bind() IP_BIND_ADDRESS_NO_PORT has no effect', () => {
  const ns = netns();
  const a = sock(ns, { noPort: true });
  assert.equal(bind(ns, a, '127.0.0.1', 40000), 40000);
  assert.deepEqual(name(ns, a), ['127.0.0.1', 40000]);
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 40000), 'EADDRINUSE');
});

test('R22 listen() after a NOPORT bind(ip, 0) autobinds on the recorded address', () => {
  // exp_listen › listen() after IP_BIND_ADDRESS_NO_PORT bind(ip,0)… ([0, 40001, ("127.0.0.2", 40001)])
  const ns = netns({ range: [40000, 40001] });
  const s = sock(ns, { noPort: true });
  assert.deepEqual(
    [bind(ns, s, '127.0.0.2', 0), listen(ns, s), name(ns, s)],
    [0, 40001, ['127.0.0.2', 40001]],
  );
});

test('R23 bind(ip, 0) without NOPORT: range size in total, EADDRINUSE at bind; those ports are lost to connect', () => {
  // exp_connect › bind(ip,0) without IP_BIND_ADDRESS_NO_PORT… (binds [40001, 40000, EADDRINUSE], plain connect EADDRNOTAVAIL)
  for (const seed of seeds(5)) {
    const ns = netns({ seed, range: [40000, 40001] });
    listener(ns, '127.0.0.1', 5001);
    listener(ns, '127.0.0.1', 5002);
    const socks = Array.from({ length: 3 }, () => sock(ns));
    const bound = socks.map((s) => bind(ns, s, '127.0.0.1', 0));
    assert.deepEqual(bound, [40001, 40000, 'EADDRINUSE']);
    assert.equal(connect(ns, socks[0]!, '127.0.0.1', 5001), 40001);
    assert.equal(connect(ns, socks[1]!, '127.0.0.1', 5002), 40000);
    assert.deepEqual(connects(ns, 1, '127.0.0.1', 5001), ['EADDRNOTAVAIL']);
  }
});

test('R23 bind(0.0.0.0, 0) then connect: also capped at the range size', () => {
  // exp_connect › bind(0.0.0.0,0) then connect: also capped at the range size
  for (const seed of seeds(10)) {
    const ns = netns({ seed, range: [40000, 40003] });
    listener(ns, '127.0.0.1', 5001);
    const res: unknown[] = [];
    for (let k = 0; k < 5; k++) {
      const s = sock(ns);
      const r = bind(ns, s, '0.0.0.0', 0);
      res.push(typeof r === 'number' ? [r, connect(ns, s, '127.0.0.1', 5001)] : r);
    }
    for (const r of res.slice(0, 4)) {
      assert.ok(Array.isArray(r) && r[0] === r[1], `bind port = connect port: ${JSON.stringify(res)}`);
    }
    assert.equal(res[4], 'EADDRINUSE');
  }
});

test('R23 each source address has its own bind(ip, 0) quota', () => {
  // exp_article › A4 (bind(127.0.0.2, 0) still works when 127.0.0.1 is exhausted)
  const ns = netns({ range: [40000, 40003] });
  const r = binds(ns, 5, '127.0.0.1');
  assert.equal(r[4], 'EADDRINUSE');
  assert.equal(typeof binds(ns, 1, '127.0.0.2')[0], 'number');
});

test('R21 filling in the source address at connect() runs no new conflict check', () => {
  // a (RA) holds 0.0.0.0:40000; b (RA) listens on 127.0.0.1:40000 (R51 passes: a is not listening).
  // a's connect moves it into S(40000, 127.0.0.1) next to the listener without a check.
  const ns = netns();
  listener(ns, '127.0.0.1', 5001);
  const a = sock(ns, { ra: true });
  assert.equal(bind(ns, a, '0.0.0.0', 40000), 40000);
  const b = sock(ns, { ra: true });
  assert.equal(bind(ns, b, '127.0.0.1', 40000), 40000);
  assert.equal(listen(ns, b), 40000);
  assert.equal(connect(ns, a, '127.0.0.1', 5001), 40000);
  assert.deepEqual(name(ns, a), ['127.0.0.1', 40000]);
});
