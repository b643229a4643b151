// UDP in the model (spec section 9, R90-R96), each case taken from the spec's experiments
// (exp_udp.py): the explicit-bind matrix, autobind order and sharing, the errno at exhaustion,
// connected sockets, connect(AF_UNSPEC), close and the separate port spaces. Every step checks
// the model's invariants (helpers.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Netns, SockId } from '../../src/model/index.js';
import { asUid, bind, close, connect, inv, name, netns, okResult, sock } from './helpers.js';

const udp4 = { kind: 'udp4' } as const;
const udp6 = { kind: 'udp6' } as const;

function sendto(ns: Netns, s: SockId, addr: string, port: number): number | string {
  const r = ns.sendto(s, addr, port);
  inv(ns);
  return r.ok ? r.port : r.errno;
}

test('R91 explicit bind: SO_REUSEADDR on both shares, SO_REUSEPORT on both shares, mixed or plain conflicts', () => {
  const cases: [string, string, boolean][] = [
    ['-', '-', false],
    ['-', 'RA', false],
    ['-', 'RP', false],
    ['RA', '-', false],
    ['RA', 'RA', true],
    ['RA', 'RP', false],
    ['RP', '-', false],
    ['RP', 'RA', false],
    ['RP', 'RP', true],
  ];
  for (const [first, second, shares] of cases) {
    const ns = netns();
    const a = sock(ns, { ...udp4, ra: first === 'RA', rp: first === 'RP' });
    assert.equal(bind(ns, a, '127.0.0.1', 6000), 6000);
    const b = sock(ns, { ...udp4, ra: second === 'RA', rp: second === 'RP' });
    assert.equal(bind(ns, b, '127.0.0.1', 6000), shares ? 6000 : 'EADDRINUSE', `${first} then ${second}`);
  }
});

test('R91 UDP has no listening exception: SO_REUSEADDR shares with a connected socket; SO_REUSEPORT needs the same uid', () => {
  const ns = netns();
  const a = sock(ns, { ...udp4, ra: true });
  assert.equal(bind(ns, a, '127.0.0.1', 6001), 6001);
  assert.equal(connect(ns, a, '127.0.0.1', 7000), 6001);
  assert.equal(bind(ns, sock(ns, { ...udp4, ra: true }), '127.0.0.1', 6001), 6001);
  const r = sock(ns, { ...udp4, rp: true });
  assert.equal(bind(ns, r, '127.0.0.1', 6002), 6002);
  const other = asUid(ns, 65534, () => sock(ns, { ...udp4, rp: true }));
  assert.equal(
    asUid(ns, 65534, () => bind(ns, other, '127.0.0.1', 6002)),
    'EADDRINUSE',
  );
});

test('R91 address overlap as for TCP (D5): distinct specific addresses coexist, a dual-stack wildcard meets IPv4', () => {
  const ns = netns();
  assert.equal(bind(ns, sock(ns, udp4), '127.0.0.2', 6000), 6000);
  assert.equal(bind(ns, sock(ns, udp4), '127.0.0.3', 6000), 6000);
  assert.equal(bind(ns, sock(ns, udp6), '::', 6000), 'EADDRINUSE');
  assert.equal(bind(ns, sock(ns, { ...udp6, v6only: true }), '::', 6000), 6000);
});

test('R95 TCP and UDP port spaces are independent; closing a UDP socket frees its port at once', () => {
  const ns = netns();
  const u = sock(ns, udp4);
  assert.equal(bind(ns, u, '127.0.0.1', 6000), 6000);
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 6000), 6000, 'a TCP socket takes the same port');
  close(ns, u);
  assert.equal(bind(ns, sock(ns, udp4), '127.0.0.1', 6000), 6000);
});

test('R90 bind(0) uses every port of a tiny range (no parity split, no halves), then EADDRINUSE (R93)', () => {
  const ns = netns({ range: [40000, 40002] });
  const got = [0, 1, 2].map(() => bind(ns, sock(ns, udp4), '0.0.0.0', 0));
  assert.deepEqual([...got].sort(), [40000, 40001, 40002]);
  assert.equal(bind(ns, sock(ns, udp4), '0.0.0.0', 0), 'EADDRINUSE');
});

test('R90 outcomes: every free port of the range; the model follows a chosen one and traces the scan', () => {
  const ns = netns({ range: [40000, 40003] });
  assert.equal(bind(ns, sock(ns, udp4), '0.0.0.0', 40001), 40001);
  const s = sock(ns, udp4);
  assert.deepEqual(ns.outcomes(s, { op: 'bind', addr: '0.0.0.0', port: 0 }), {
    ports: [40000, 40002, 40003],
    mayFail: false,
  });
  assert.equal(ns.isPossible(s, { op: 'bind', addr: '0.0.0.0', port: 0 }, 40001), false);
  assert.equal(bind(ns, s, '0.0.0.0', 0, { follow: 40003 }), 40003);
  const t = sock(ns, udp4);
  const traced = ns.sendto(t, '127.0.0.1', 9, { trace: true });
  assert.ok(traced.ok && traced.trace?.some((e) => e.kind === 'take'));
});

test('R90 random start then ascending with wrap: with 40000 and 40001 taken of 40000-40003, 40002 comes first 3/4 of the time', () => {
  let first40002 = 0;
  const runs = 400;
  for (let seed = 1; seed <= runs; seed++) {
    const ns = netns({ seed, range: [40000, 40003] });
    bind(ns, sock(ns, udp4), '0.0.0.0', 40000);
    bind(ns, sock(ns, udp4), '0.0.0.0', 40001);
    if (bind(ns, sock(ns, udp4), '0.0.0.0', 0) === 40002) first40002++;
  }
  // exp_udp measured 288 of 400 (0.72); the start is uniform, so 3 of 4 starts lead to 40002.
  assert.ok(first40002 / runs > 0.65 && first40002 / runs < 0.85, `40002 first ${first40002} of ${runs}`);
});

test('R92 autobind hands out a port other SO_REUSEADDR / SO_REUSEPORT sockets hold; a plain socket then fails', () => {
  const ns = netns({ range: [40000, 40000] });
  assert.equal(bind(ns, sock(ns, { ...udp4, ra: true }), '0.0.0.0', 0), 40000);
  assert.equal(bind(ns, sock(ns, { ...udp4, ra: true }), '0.0.0.0', 0), 40000);
  assert.equal(bind(ns, sock(ns, udp4), '0.0.0.0', 0), 'EADDRINUSE');
  const ns2 = netns({ range: [40010, 40010] });
  assert.equal(bind(ns2, sock(ns2, { ...udp6, rp: true }), '::', 0), 40010);
  assert.equal(bind(ns2, sock(ns2, { ...udp6, rp: true }), '::', 0), 40010);
});

test('R93 R94 connected sockets do not share ports across destinations: two on a 2-port range, then EAGAIN; sendto too', () => {
  const ns = netns({ range: [40000, 40001] });
  const ports = [
    connect(ns, sock(ns, udp4), '127.0.0.1', 5000),
    connect(ns, sock(ns, udp4), '127.0.0.2', 5001),
  ];
  assert.deepEqual(ports.sort(), [40000, 40001]);
  assert.equal(connect(ns, sock(ns, udp4), '127.0.0.3', 5002), 'EAGAIN');
  const s = sock(ns, udp6);
  assert.equal(sendto(ns, s, '::1', 5003), 'EAGAIN');
  assert.deepEqual(name(ns, s), ['::', 0]);
});

test('R94 connect() does no 4-tuple check; it takes the route source; connect(AF_UNSPEC) gives back what bind() did not fix', () => {
  const ns = netns();
  const a = sock(ns, { ...udp4, ra: true });
  const b = sock(ns, { ...udp4, ra: true });
  assert.equal(bind(ns, a, '0.0.0.0', 6000), 6000);
  assert.equal(bind(ns, b, '0.0.0.0', 6000), 6000);
  assert.equal(connect(ns, a, '127.0.0.1', 7000), 6000);
  assert.equal(connect(ns, b, '127.0.0.1', 7000), 6000);
  assert.deepEqual(name(ns, b), ['127.0.0.1', 6000]);
  okResult(ns.disconnect(b), 'disconnect');
  assert.deepEqual(name(ns, b), ['0.0.0.0', 6000], 'explicit port kept, address not named by bind dropped');
  const c = sock(ns, udp4);
  assert.equal(bind(ns, c, '127.0.0.1', 0) !== 'EADDRINUSE', true);
  connect(ns, c, '127.0.0.1', 7000);
  okResult(ns.disconnect(c), 'disconnect');
  assert.deepEqual(
    name(ns, c),
    ['127.0.0.1', 0],
    'a port bind(0) chose is given back, the named address stays',
  );
  inv(ns);
});

test('R94 a connected socket whose datagram meets a closed local port gets ECONNREFUSED once, from its next send', () => {
  const ns = netns();
  const c = sock(ns, udp4);
  const p = connect(ns, c, '127.0.0.1', 7000);
  assert.equal(typeof p, 'number');
  assert.equal(sendto(ns, c, '127.0.0.1', 7000), p);
  assert.equal(sendto(ns, c, '127.0.0.1', 7000), 'ECONNREFUSED');
  assert.equal(sendto(ns, c, '127.0.0.1', 7001), p, 'a datagram to another destination does not count');
  assert.equal(sendto(ns, c, '127.0.0.1', 7001), p);
  const srv = sock(ns, udp4);
  assert.equal(bind(ns, srv, '127.0.0.1', 7000), 7000);
  assert.equal(sendto(ns, c, '127.0.0.1', 7000), p);
  assert.equal(sendto(ns, c, '127.0.0.1', 7000), p, 'someone receives now');
  assert.equal(sendto(ns, c, '127.0.0.1', 0), 'EINVAL');
});

test('R94 family rules: IPv4 socket and IPv6 address, IPV6_V6ONLY and IPv4, a v4-mapped source and native IPv6', () => {
  const ns = netns();
  assert.equal(connect(ns, sock(ns, udp4), '::1', 5000), 'EAFNOSUPPORT');
  assert.equal(connect(ns, sock(ns, { ...udp6, v6only: true }), '::ffff:127.0.0.1', 5000), 'ENETUNREACH');
  const m = sock(ns, udp6);
  assert.equal(typeof connect(ns, m, '::ffff:127.0.0.1', 5000), 'number');
  assert.equal(sendto(ns, m, '::1', 5000), 'EAFNOSUPPORT');
});

test('R96 IP_BIND_ADDRESS_NO_PORT: bind(addr, 0) returns port 0; connect takes the port, no sharing', () => {
  const ns = netns({ range: [40000, 40000] });
  const a = sock(ns, { ...udp4, noPort: true });
  const b = sock(ns, { ...udp4, noPort: true });
  assert.equal(bind(ns, a, '127.0.0.1', 0), 0);
  assert.equal(bind(ns, b, '127.0.0.1', 0), 0);
  assert.equal(connect(ns, a, '127.0.0.1', 5000), 40000);
  assert.equal(connect(ns, b, '127.0.0.1', 5001), 'EAGAIN');
});

test('R94 UDP sockets neither listen nor accept (EOPNOTSUPP); R10 a non-local bound source has no route', () => {
  const ns = netns({ sysctls: [['net.ipv4.ip_nonlocal_bind', '1']] });
  const u = sock(ns, udp4);
  assert.equal(ns.listen(u).ok ? 0 : (ns.listen(u) as { errno: string }).errno, 'EOPNOTSUPP');
  assert.equal(bind(ns, u, '10.9.9.9', 0) !== 'EADDRINUSE', true);
  assert.equal(connect(ns, u, '127.0.0.1', 5000), 'ENETUNREACH');
  assert.equal(sendto(ns, u, '127.0.0.1', 5000), 'ENETUNREACH');
});
