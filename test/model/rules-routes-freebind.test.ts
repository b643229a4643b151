/**
 * Issue 10: local routes with a preferred source (R10) and IP_FREEBIND / IPV6_FREEBIND (R7), as
 * measured in experiments/exp_routes_freebind.py (results in experiments/results/).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Netns, SockId } from '../../src/model/index.js';
import { bind, connect, inv, listener, name, netns, okResult, sock } from './helpers.js';

function route(ns: Netns, cidr: string, src?: string): string {
  const r = ns.addLocalRoute(cidr, src);
  inv(ns);
  return r.ok ? 'OK' : r.errno;
}

function freebind(ns: Netns, s: SockId, opt: 'IP_FREEBIND' | 'IPV6_FREEBIND' = 'IP_FREEBIND', v = 1): string {
  const r = ns.setsockopt(s, opt, v);
  return r.ok ? 'OK' : r.errno;
}

test('R10 local route: src is the source of a connect into the prefix; without src IPv4 takes the destination', () => {
  // exp_routes_freebind › IPv4 local route with src: 198.51.100.7 -> 127.0.0.1, 192.0.2.7 -> 10.1.1.1,
  // 198.18.0.3 -> 127.0.0.5; without src: 198.51.100.7 -> 198.51.100.7 (also .0 and .255)
  const ns = netns({ range: [40000, 40999], addrs: ['10.1.1.1/32'] });
  assert.deepEqual(
    [
      route(ns, '198.51.100.0/24', '127.0.0.1'),
      route(ns, '192.0.2.0/24', '10.1.1.1'),
      route(ns, '198.18.0.0/24', '127.0.0.5'),
      route(ns, '203.0.112.0/24'),
    ],
    ['OK', 'OK', 'OK', 'OK'],
  );
  listener(ns, '0.0.0.0', 5000);
  const src = (dest: string): string => {
    const c = sock(ns);
    assert.equal(typeof connect(ns, c, dest, 5000), 'number');
    return name(ns, c)[0];
  };
  assert.deepEqual(
    ['198.51.100.7', '198.51.100.255', '192.0.2.7', '198.18.0.3', '203.0.112.0', '203.0.112.9'].map(src),
    ['127.0.0.1', '127.0.0.1', '10.1.1.1', '127.0.0.5', '203.0.112.0', '203.0.112.9'],
  );
  const m = sock(ns, { kind: 'tcp6' });
  connect(ns, m, '::ffff:198.51.100.7', 5000);
  assert.equal(name(ns, m)[0], '::ffff:127.0.0.1');
});

test('R10 local route: the preferred source must be an address here (EINVAL); one prefix once (EEXIST)', () => {
  // exp_routes_freebind: "src 203.0.113.1 (not local)": Invalid prefsrc address; IPv6: Invalid source address
  const ns = netns();
  assert.deepEqual(
    [
      route(ns, '203.0.113.0/24', '203.0.113.1'),
      route(ns, '203.0.114.0/24', '203.0.113.9'),
      route(ns, '2001:db8:2::/64', '2001:db8:9::9'),
      route(ns, '198.51.100.0/24'),
      route(ns, '198.51.100.0/24', '127.0.0.1'),
      route(ns, '198.51.100.7/24'),
      route(ns, '2001:db8:1::/64', '::1'),
    ],
    ['EINVAL', 'EINVAL', 'EINVAL', 'OK', 'EEXIST', 'EINVAL', 'OK'],
  );
  // A refused route leaves no trace: the prefix is still unreachable.
  assert.equal(connect(ns, sock(ns), '203.0.113.7', 5000), 'ENETUNREACH');
});

test('R10 IPv6 local route: src ::1; without src the longest-matching global address, else ::1', () => {
  // exp_routes_freebind › IPv6 local route ...: only ::1 -> ::1; 2001:db8:0:1::1 beats 2001:db8:1::1
  // and 2001:db8:9... for 2001:db8::7
  const ns = netns({ range: [40000, 40999] });
  route(ns, '2001:db8:1::/64', '::1');
  route(ns, '2001:db8::/64');
  listener(ns, '::', 5000);
  const src = (dest: string): string => {
    const c = sock(ns, { kind: 'tcp6' });
    assert.equal(typeof connect(ns, c, dest, 5000), 'number');
    return name(ns, c)[0];
  };
  assert.equal(src('2001:db8:1::7'), '::1');
  assert.equal(src('2001:db8::7'), '::1');
  okResult(ns.addAddress('2001:db8:1::1/64'), 'addr');
  assert.equal(src('2001:db8::7'), '2001:db8:1::1');
  okResult(ns.addAddress('2001:db8:0:1::1/128'), 'addr');
  okResult(ns.addAddress('2001:db9::1/128'), 'addr');
  assert.equal(src('2001:db8::7'), '2001:db8:0:1::1');
  assert.equal(src('2001:db8:1::9'), '::1');
});

test('R7 an IPv4 local route makes its addresses bindable; IPv6 still needs FREEBIND', () => {
  // exp_routes_freebind: tcp4 bind 198.51.100.7 without FREEBIND -> port; tcp6 bind 2001:db8:1::7 -> EADDRNOTAVAIL
  const ns = netns({ range: [40000, 40999] });
  route(ns, '198.51.100.0/24', '127.0.0.1');
  route(ns, '2001:db8:1::/64', '::1');
  assert.equal(bind(ns, sock(ns), '198.51.100.7', 6000), 6000);
  const s6 = sock(ns, { kind: 'tcp6' });
  assert.equal(bind(ns, s6, '2001:db8:1::7', 6000), 'EADDRNOTAVAIL');
  assert.equal(freebind(ns, s6, 'IPV6_FREEBIND'), 'OK');
  assert.equal(bind(ns, s6, '2001:db8:1::7', 6000), 6000);
  // A delivery probe may send from an IPv4 route address, not from an IPv6 one (no FREEBIND).
  const d = ns.deliver('tcp', { addr: '2001:db8:1::8', port: 50000 }, { addr: '::1', port: 5000 });
  assert.equal(d.ok ? 'ok' : d.errno, 'EADDRNOTAVAIL');
});

test('R7 IP_FREEBIND: bind a non-local IPv4 address; connect has no route (ENETUNREACH) until a local route covers it', () => {
  // exp_routes_freebind › IP_FREEBIND: bind 10.9.9.9 -> port; connect -> ENETUNREACH (keeps 10.9.9.9:port);
  // NOPORT -> 10.9.9.9:0; after `route add local 10.9.9.0/24` the connect succeeds
  const ns = netns({ range: [40000, 40999] });
  listener(ns, '127.0.0.1', 5000);
  const a = sock(ns);
  assert.equal(bind(ns, a, '10.9.9.9', 0), 'EADDRNOTAVAIL');
  assert.equal(freebind(ns, a, 'IPV6_FREEBIND'), 'ENOPROTOOPT');
  assert.equal(freebind(ns, a), 'OK');
  const p = bind(ns, a, '10.9.9.9', 0);
  assert.equal(typeof p, 'number');
  assert.equal(connect(ns, a, '127.0.0.1', 5000), 'ENETUNREACH');
  assert.deepEqual(name(ns, a), ['10.9.9.9', p]);
  const n = sock(ns, { noPort: true });
  freebind(ns, n);
  assert.equal(bind(ns, n, '10.9.9.9', 0), 0);
  assert.equal(connect(ns, n, '127.0.0.1', 5000), 'ENETUNREACH');
  assert.deepEqual(name(ns, n), ['10.9.9.9', 0]);
  const off = sock(ns);
  freebind(ns, off, 'IP_FREEBIND', 1);
  freebind(ns, off, 'IP_FREEBIND', 0);
  assert.equal(bind(ns, off, '10.7.7.7', 0), 'EADDRNOTAVAIL');
  route(ns, '10.9.9.0/24');
  assert.equal(connect(ns, a, '127.0.0.1', 5000), p);
  assert.deepEqual(name(ns, a), ['10.9.9.9', p]);
});

test('R7 FREEBIND on IPv6 sockets: IP_FREEBIND and IPV6_FREEBIND are one flag; a non-local IPv6 source times out', () => {
  // exp_routes_freebind › IPv6 FREEBIND: both options bind 2001:db8:ff::1; connect [::1] -> TIMEOUT;
  // ::ffff:10.9.9.9 -> connect ::ffff:127.0.0.1 -> ENETUNREACH
  const ns = netns({ range: [40000, 40999] });
  listener(ns, '::', 5000, { kind: 'tcp6' });
  for (const opt of ['IP_FREEBIND', 'IPV6_FREEBIND'] as const) {
    const t = sock(ns, { kind: 'tcp6' });
    assert.equal(freebind(ns, t, opt), 'OK');
    assert.equal(typeof bind(ns, t, '2001:db8:ff::1', 0), 'number');
    assert.equal(connect(ns, t, '::1', 5000), 'ETIMEDOUT');
    const m = sock(ns, { kind: 'tcp6' });
    freebind(ns, m, opt);
    assert.equal(typeof bind(ns, m, '::ffff:10.9.9.9', 0), 'number');
    assert.equal(connect(ns, m, '::ffff:127.0.0.1', 5000), 'ENETUNREACH');
  }
  // Inside an IPv6 local route the FREEBIND-bound source is this host's: the connect succeeds.
  route(ns, '2001:db8:1::/64', '::1');
  const d = sock(ns, { kind: 'tcp6' });
  freebind(ns, d, 'IPV6_FREEBIND');
  const p = bind(ns, d, '2001:db8:1::8', 0);
  assert.equal(connect(ns, d, '::1', 5000), p);
});

test('R31 a FREEBIND address conflicts with a wildcard bind like any specific address', () => {
  // exp_routes_freebind › FREEBIND binds and wildcard binds: [7000, EADDRINUSE] both orders;
  // 10.9.9.10 beside 10.9.9.9 -> 7000; both SO_REUSEADDR, not listening -> 7000
  const pair = (first: string, second: string, ra = false): (number | string)[] => {
    const ns = netns();
    const a = sock(ns, { ra });
    freebind(ns, a);
    const b = sock(ns, { ra });
    freebind(ns, b);
    return [bind(ns, a, first, 7000), bind(ns, b, second, 7000)];
  };
  assert.deepEqual(pair('10.9.9.9', '0.0.0.0'), [7000, 'EADDRINUSE']);
  assert.deepEqual(pair('0.0.0.0', '10.9.9.9'), [7000, 'EADDRINUSE']);
  assert.deepEqual(pair('10.9.9.9', '10.9.9.10'), [7000, 7000]);
  assert.deepEqual(pair('10.9.9.9', '0.0.0.0', true), [7000, 7000]);
});
