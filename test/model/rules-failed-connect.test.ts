/**
 * R52 (calls on a TCP socket after a connect() that sent a SYN and failed) and R53 (TCP connect()
 * to port 0), as measured on 6.18.44-fc-v1045 by experiments/exp_failed_connect.py: errno, port
 * and the rule the model names.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Netns, type SockId } from '../../src/model/index.js';
import { bind, close, connect, inv, listen, listener, name, netns, seeds, sock } from './helpers.js';

/** listen() with the rule of its failure: [errno, rule] or the port. */
function listenRule(ns: Netns, s: SockId): number | [string, string] {
  const r = ns.listen(s);
  inv(ns);
  return r.ok ? r.port : [r.errno, r.rule];
}

function connectRule(ns: Netns, s: SockId, addr: string, port: number): number | [string, string] {
  const r = ns.connect(s, addr, port);
  inv(ns);
  return r.ok ? r.port : [r.errno, r.rule];
}

/** Ports of [lo, hi] an explicit wildcard bind without SO_REUSEADDR cannot take (the experiment's held()). */
function held(ns: Netns, lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let p = lo; p <= hi; p++) {
    const t = sock(ns);
    if (bind(ns, t, '0.0.0.0', p) !== p) out.push(p);
    close(ns, t);
  }
  return out;
}

function refused(ns: Netns, s: SockId, addr = '127.0.0.1'): void {
  assert.deepEqual(connectRule(ns, s, addr, 5555), ['ECONNREFUSED', 'R61']);
}

// ---------------------------------------------------------------- R52 listen() after a failed connect

test('R52 unbound, refused: listen() is EINVAL (R52), autobinds an odd port, keeps it; close() releases', () => {
  // exp_failed_connect › unbound, refused: listen() EINVAL, autobinds an odd port and keeps it
  for (const seed of seeds(8)) {
    const ns = netns({ seed, range: [40000, 40009] });
    const s = sock(ns);
    refused(ns, s);
    assert.deepEqual(held(ns, 40000, 40009), [], 'the connect-chosen port was released (R61)');
    assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
    const [addr, p] = name(ns, s);
    assert.equal(addr, '0.0.0.0');
    assert.equal(p % 2, 1, 'the listen autobind searches odd ports first (R50)');
    assert.deepEqual(held(ns, 40000, 40009), [p]);
    assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52'], 'a second listen() fails the same way');
    assert.deepEqual(name(ns, s), ['0.0.0.0', p], '…and keeps the same port');
    assert.equal(ns.inspect().sockets.find((x) => x.id === s)?.state, 'CLOSE', 'not listening');
    close(ns, s);
    assert.deepEqual(held(ns, 40000, 40009), []);
  }
});

test('R52 bind(ip, 0), refused: the port is released (R61) and listen() searches afresh on ip', () => {
  // exp_failed_connect › bind(ip,0), refused: port released (R61); listen() EINVAL autobinds afresh on ip
  const ns = netns({ range: [40000, 40001] });
  const s = sock(ns);
  assert.equal(bind(ns, s, '127.0.0.1', 0), 40001);
  refused(ns, s);
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 40001), 40001, 'the old port is free again');
  assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
  assert.deepEqual(name(ns, s), ['127.0.0.1', 40000]);
  assert.equal(bind(ns, sock(ns), '0.0.0.0', 0), 'EADDRINUSE', 'both ports are held now');
});

test('R52 an explicitly bound port: R51 re-check first (EADDRINUSE), then EINVAL, the port kept', () => {
  // exp_failed_connect › bind(ip,port), refused…; › bound port in conflict…
  const ns = netns({ range: [40000, 40009] });
  const s = sock(ns, { ra: true });
  assert.equal(bind(ns, s, '127.0.0.1', 40004), 40004);
  refused(ns, s);
  const b = sock(ns, { ra: true });
  assert.equal(bind(ns, b, '127.0.0.1', 40004), 40004);
  assert.equal(listen(ns, b), 40004);
  assert.deepEqual(listenRule(ns, s), ['EADDRINUSE', 'R51']);
  close(ns, b);
  assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
  assert.deepEqual(name(ns, s), ['127.0.0.1', 40004]);
  assert.deepEqual(held(ns, 40000, 40009), [40004]);
  assert.deepEqual(connectRule(ns, sock(ns), '127.0.0.1', 40004), ['ECONNREFUSED', 'R61'], 'nothing listens');
});

test('R52 no free port: EADDRINUSE (R40) and nothing kept; once a port is free, EINVAL and it is kept', () => {
  // exp_failed_connect › no free port: listen() after a refused connect gives EADDRINUSE…
  const ns = netns({ range: [40000, 40001] });
  const s = sock(ns);
  refused(ns, s);
  const a = sock(ns);
  const b = sock(ns);
  assert.equal(bind(ns, a, '0.0.0.0', 40000), 40000);
  assert.equal(bind(ns, b, '0.0.0.0', 40001), 40001);
  assert.deepEqual(listenRule(ns, s), ['EADDRINUSE', 'R40']);
  close(ns, b);
  assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
  assert.deepEqual(name(ns, s), ['0.0.0.0', 40001]);
});

test('R52 SO_REUSEADDR: lower half first; the kept port is shared by RA binds and an RA listener', () => {
  // exp_failed_connect › SO_REUSEADDR: the failed listen() autobind searches the lower half first…
  for (const seed of seeds(8)) {
    const ns = netns({ seed, range: [40000, 40009] });
    const s = sock(ns, { ra: true });
    refused(ns, s);
    assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
    const p = name(ns, s)[1];
    assert.ok(p === 40001 || p === 40003, `lower half, odd: ${p}`);
    // Unlike a real RA listener (R50 test in rules-autobind), this socket does not block RA binds.
    assert.equal(bind(ns, sock(ns, { ra: true }), '0.0.0.0', p), p);
    const u = sock(ns, { ra: true });
    assert.equal(bind(ns, u, '127.0.0.1', p), p);
    assert.equal(listen(ns, u), p);
  }
});

test('R52 SO_REUSEPORT: another RP socket binds and listens on the kept port', () => {
  // exp_failed_connect › SO_REUSEPORT: another RP socket binds and listens…
  const ns = netns({ range: [40000, 40009] });
  const s = sock(ns, { rp: true });
  refused(ns, s);
  assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
  const p = name(ns, s)[1];
  const t = sock(ns, { rp: true });
  assert.equal(bind(ns, t, '0.0.0.0', p), p);
  assert.equal(listen(ns, t), p);
});

test('R52 IP_BIND_ADDRESS_NO_PORT: the failed listen() autobinds on the bound address', () => {
  // exp_failed_connect › IP_BIND_ADDRESS_NO_PORT…
  const ns = netns({ range: [40000, 40009] });
  const s = sock(ns, { noPort: true });
  assert.equal(bind(ns, s, '127.0.0.1', 0), 0);
  refused(ns, s);
  assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
  const [addr, p] = name(ns, s);
  assert.equal(addr, '127.0.0.1');
  assert.deepEqual(held(ns, 40000, 40009), [p]);
});

test('R52 later calls: bind EINVAL, accept EINVAL, connect() from the kept port (given back if refused)', () => {
  // exp_failed_connect › later calls: connect() starts from the kept port…
  const ns = netns({ range: [40000, 40001] });
  listener(ns, '127.0.0.1', 5000);
  const s = sock(ns);
  refused(ns, s);
  assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
  assert.deepEqual(name(ns, s), ['0.0.0.0', 40001]);
  assert.equal(bind(ns, s, '127.0.0.1', 0), 'EINVAL', 'already bound (R30)');
  const a = ns.accept(s);
  assert.equal(a.ok ? 'OK' : a.errno, 'EINVAL', 'not listening');
  refused(ns, s);
  assert.deepEqual(held(ns, 40000, 40001), [], 'the listen port was not locked: released (R61)');
  assert.equal(bind(ns, sock(ns), '0.0.0.0', 40001), 40001);
  assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
  assert.deepEqual(name(ns, s), ['0.0.0.0', 40000]);
  assert.equal(connect(ns, s, '127.0.0.1', 5000), 40000, 'connects from the kept port');
  assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R51'], 'connected');
});

test('R52 bind() after a refused connect works; listen() keeps the bound port and fails', () => {
  // exp_failed_connect › bind() after a refused connect works as usual…
  const ns = netns({ range: [40000, 40009] });
  const s = sock(ns);
  refused(ns, s);
  const p = bind(ns, s, '127.0.0.1', 0);
  assert.equal(typeof p, 'number');
  assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
  assert.deepEqual(name(ns, s), ['127.0.0.1', p]);
});

test('R52 IPv6: the failed listen() keeps an odd port on [::]; a refused connect gives it back', () => {
  // exp_failed_connect › IPv6: refused, then listen() EINVAL keeps an odd port…
  const ns = netns({ range: [40000, 40009] });
  const s = sock(ns, { kind: 'tcp6' });
  refused(ns, s, '::1');
  assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
  const [addr, p] = name(ns, s);
  assert.equal(addr, '::');
  assert.equal(p % 2, 1);
  assert.deepEqual(held(ns, 40000, 40009), [p]);
  refused(ns, s, '::1');
  assert.deepEqual(held(ns, 40000, 40009), []);
});

test('R52 a timed-out connect() (the SYN was sent) spoils listen() too', () => {
  // exp_failed_connect › timed out…; the model's undeliverable SYN: IPv6 loopback source to another device
  const ns = netns({ range: [40000, 40001], addrs: ['fd00::1/64'] });
  const s = sock(ns, { kind: 'tcp6' });
  assert.equal(bind(ns, s, '::1', 0), 40001);
  assert.equal(connect(ns, s, 'fd00::2', 80), 'ETIMEDOUT');
  assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
  assert.deepEqual(name(ns, s), ['::1', 40001]);
});

test('R52 failures before any SYN (EADDRNOTAVAIL, ENETUNREACH) leave listen() working', () => {
  // exp_failed_connect › failures before any SYN…
  const ns = netns({ range: [40000, 40001] });
  listener(ns, '127.0.0.1', 5000);
  assert.equal(connect(ns, sock(ns), '127.0.0.1', 5000), 40000);
  assert.equal(connect(ns, sock(ns), '127.0.0.1', 5000), 40001);
  const s = sock(ns);
  assert.equal(connect(ns, s, '127.0.0.1', 5000), 'EADDRNOTAVAIL');
  assert.equal(ns.sysctl('ip_local_port_range', '40000 40003').ok, true);
  assert.equal(listen(ns, s), 40003);
  const u = sock(ns);
  assert.equal(connect(ns, u, '10.1.1.1', 80), 'ENETUNREACH');
  assert.equal(listen(ns, u), 40002);
});

test('R52 after a reset the socket stays connected for listen(): EINVAL (R51), no autobind', () => {
  // exp_failed_connect › after a reset (ECONNRESET): listen() EINVAL without autobind…
  const ns = netns({ range: [40000, 40009] });
  const l = listener(ns, '127.0.0.1', 5000);
  const c = sock(ns);
  assert.equal(typeof connect(ns, c, '127.0.0.1', 5000), 'number');
  const a = ns.accept(l);
  if (!a.ok) return assert.fail(a.errno);
  close(ns, a.sock, true);
  assert.deepEqual(held(ns, 40000, 40009), []);
  assert.deepEqual(listenRule(ns, c), ['EINVAL', 'R51']);
  assert.deepEqual(held(ns, 40000, 40009), []);
  assert.deepEqual(connectRule(ns, c, '127.0.0.1', 5000), ['EISCONN', 'R10']);
  assert.equal(typeof bind(ns, c, '127.0.0.1', 0), 'number');
});

test('R52 belongs to this kernel build: the linux-4.1 profile listens after a refused connect', () => {
  const ns = new Netns({ profile: 'linux-4.1', seed: 1 });
  const s = sock(ns);
  refused(ns, s);
  assert.equal(typeof listen(ns, s), 'number');
  assert.equal(ns.inspect().sockets.find((x) => x.id === s)?.state, 'LISTEN');
});

// ---------------------------------------------------------------- R53 connect() to port 0

for (const [kind, addr, wild] of [
  ['tcp4', '127.0.0.1', '0.0.0.0'],
  ['tcp6', '::1', '::'],
] as const) {
  test(`R53 ${kind} connect() to port 0 chooses a port, is refused (R53) and gives the port back`, () => {
    // exp_failed_connect › IPv4/IPv6 connect() to port 0 chooses a port, is refused…
    for (const seed of seeds(6)) {
      const ns = netns({ seed, range: [40000, 40009] });
      const s = sock(ns, { kind });
      assert.deepEqual(connectRule(ns, s, addr, 0), ['ECONNREFUSED', 'R53']);
      const [a, p] = name(ns, s);
      assert.equal(a, wild);
      assert.ok(p >= 40000 && p <= 40009, `getsockname keeps the chosen port: ${p}`);
      assert.deepEqual(held(ns, 40000, 40009), []);
      assert.deepEqual(listenRule(ns, s), ['EINVAL', 'R52']);
    }
  });

  test(`R53 ${kind} connect() to port 0 from bind(0) releases the port, from an explicit port keeps it`, () => {
    const ns = netns({ range: [40000, 40009] });
    const s = sock(ns, { kind });
    const p = bind(ns, s, addr, 0);
    assert.equal(typeof p, 'number');
    assert.deepEqual(connectRule(ns, s, addr, 0), ['ECONNREFUSED', 'R53']);
    assert.deepEqual(name(ns, s), [addr, p]);
    assert.equal(bind(ns, sock(ns, { kind }), addr, p as number), p, 'released');
    const e = sock(ns, { kind });
    assert.equal(bind(ns, e, addr, 40004), 40004);
    assert.deepEqual(connectRule(ns, e, addr, 0), ['ECONNREFUSED', 'R53']);
    assert.equal(bind(ns, sock(ns, { kind }), addr, 40004), 'EADDRINUSE', 'kept');
  });
}

test('R53 connect() to port 0 on a remote host is refused as well; the socket then connects elsewhere', () => {
  const ns = netns({ range: [40000, 40009], addrs: ['10.0.0.1/24'] });
  const s = sock(ns);
  assert.deepEqual(connectRule(ns, s, '10.0.0.2', 0), ['ECONNREFUSED', 'R53']);
  assert.deepEqual(held(ns, 40000, 40009), []);
  assert.equal(typeof connect(ns, s, '10.0.0.2', 80), 'number');
});
