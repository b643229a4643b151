/**
 * getsockopt() and setsockopt() with an explicit option length (src/model/sockopt.ts).
 * IP_LOCAL_PORT_RANGE: R70; the rest is measured, not in the spec
 * (experiments/exp_sockopt.py: GSO1-GSO4, SOL1, SOL2).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Netns, SockId } from '../../src/model/index.js';
import { bind, inv, netns, sock } from './helpers.js';

type Flag = 'SO_REUSEADDR' | 'SO_REUSEPORT' | 'IP_BIND_ADDRESS_NO_PORT' | 'IPV6_V6ONLY';
const FLAGS: readonly Flag[] = ['SO_REUSEADDR', 'SO_REUSEPORT', 'IP_BIND_ADDRESS_NO_PORT', 'IPV6_V6ONLY'];

function get(ns: Netns, s: SockId, opt: Flag | 'IP_LOCAL_PORT_RANGE'): unknown {
  const r = ns.getsockopt(s, opt);
  return r.ok ? r.value : r.errno;
}

function set(
  ns: Netns,
  s: SockId,
  opt: Flag | 'IP_LOCAL_PORT_RANGE',
  v: number | [number, number],
  len?: number,
) {
  const r = ns.setsockopt(s, opt, v, len);
  inv(ns);
  return r.ok ? 'OK' : r.errno;
}

test('GSO1: every option reads 0 on a new socket; IPV6_V6ONLY on IPv4 is EOPNOTSUPP', () => {
  const ns = netns();
  for (const kind of ['tcp4', 'tcp6', 'udp4', 'udp6'] as const) {
    const s = sock(ns, { kind });
    for (const o of FLAGS)
      assert.equal(get(ns, s, o), o === 'IPV6_V6ONLY' && kind.endsWith('4') ? 'EOPNOTSUPP' : 0);
    assert.deepEqual(get(ns, s, 'IP_LOCAL_PORT_RANGE'), [0, 0]);
  }
});

test('GSO1, R8: with bindv6only = 1 a new IPv6 socket reads IPV6_V6ONLY 1', () => {
  const ns = netns({ sysctls: [['net.ipv6.bindv6only', '1']] });
  assert.equal(get(ns, sock(ns, { kind: 'tcp6' }), 'IPV6_V6ONLY'), 1);
  assert.equal(get(ns, sock(ns, { kind: 'udp6' }), 'IPV6_V6ONLY'), 1);
});

test('GSO2: flags read back 0 or 1 whatever integer was set', () => {
  const ns = netns();
  for (const o of FLAGS) {
    for (const [v, want] of [
      [5, 1],
      [256, 1],
      [65536, 1],
      [0, 0],
    ] as const) {
      const s = sock(ns, { kind: 'tcp6' });
      assert.equal(set(ns, s, o, v), 'OK');
      assert.equal(get(ns, s, o), want, `${o} = ${v}`);
    }
  }
});

test('R70 (GSO3): IP_LOCAL_PORT_RANGE reads back as set; reversed is EINVAL and keeps the old pair', () => {
  const ns = netns({ range: [40000, 40009] });
  const s = sock(ns, { kind: 'udp6' });
  const steps: [[number, number], string, [number, number]][] = [
    [[40000, 40010], 'OK', [40000, 40010]],
    [[0, 0], 'OK', [0, 0]],
    [[40010, 40000], 'EINVAL', [0, 0]],
    [[40005, 40005], 'OK', [40005, 40005]],
    [[65535, 1], 'EINVAL', [40005, 40005]],
    [[30000, 30010], 'OK', [30000, 30010]],
  ];
  for (const [v, r, after] of steps) {
    assert.equal(set(ns, s, 'IP_LOCAL_PORT_RANGE', v), r, `set ${v}`);
    assert.deepEqual(get(ns, s, 'IP_LOCAL_PORT_RANGE'), after, `after ${v}`);
  }
});

test('R36 (GSO4): binding ::1 turns IPV6_V6ONLY on, :: and v4-mapped do not; no change once bound', () => {
  const ns = netns();
  const cases: [string, number][] = [
    ['::1', 1],
    ['::', 0],
    ['::ffff:127.0.0.1', 0],
  ];
  for (const [addr, want] of cases) {
    const s = sock(ns, { kind: 'tcp6' });
    assert.equal(typeof bind(ns, s, addr, 0), 'number');
    assert.equal(get(ns, s, 'IPV6_V6ONLY'), want, addr);
    assert.equal(set(ns, s, 'IPV6_V6ONLY', 1 - want), 'EINVAL');
  }
});

// SOL1: [option, value, optlen, result, value read afterwards (the option was 0 before)].
const SOL1: ReadonlyArray<[Flag, number, number, string, number]> = [
  ['SO_REUSEADDR', 1, 0, 'EINVAL', 0],
  ['SO_REUSEADDR', 1, 3, 'EINVAL', 0],
  ['SO_REUSEADDR', 1, 4, 'OK', 1],
  ['SO_REUSEADDR', 4294967296, 8, 'OK', 0],
  ['SO_REUSEADDR', 4294967297, 8, 'OK', 1],
  ['SO_REUSEPORT', 256, 2, 'EINVAL', 0],
  ['SO_REUSEPORT', 65536, 16, 'OK', 1],
  ['IPV6_V6ONLY', 1, 2, 'EINVAL', 0],
  ['IPV6_V6ONLY', 1, 8, 'OK', 1],
  ['IP_BIND_ADDRESS_NO_PORT', 1, 1, 'OK', 1],
  ['IP_BIND_ADDRESS_NO_PORT', 256, 2, 'OK', 0],
  ['IP_BIND_ADDRESS_NO_PORT', 257, 3, 'OK', 1],
  ['IP_BIND_ADDRESS_NO_PORT', 65536, 4, 'OK', 1],
  ['IP_BIND_ADDRESS_NO_PORT', 4294967296, 8, 'OK', 0],
  ['IP_BIND_ADDRESS_NO_PORT', 1, 0, 'OK', 0],
];

for (const [opt, v, len, want, after] of SOL1) {
  test(`SOL1: setsockopt(${opt}, ${v}, optlen ${len}) -> ${want}, reads ${after}`, () => {
    const ns = netns();
    const s = sock(ns, { kind: 'tcp6' });
    assert.equal(set(ns, s, opt, v, len), want);
    assert.equal(get(ns, s, opt), after);
  });
}

test('SOL1: a short buffer leaves the old value; IP_BIND_ADDRESS_NO_PORT with 0 bytes clears it', () => {
  const ns = netns();
  const s = sock(ns, { kind: 'udp4', ra: true, noPort: true });
  assert.equal(set(ns, s, 'SO_REUSEADDR', 0, 2), 'EINVAL');
  assert.equal(get(ns, s, 'SO_REUSEADDR'), 1);
  assert.equal(set(ns, s, 'IP_BIND_ADDRESS_NO_PORT', 1, 0), 'OK');
  assert.equal(get(ns, s, 'IP_BIND_ADDRESS_NO_PORT'), 0);
});

test('SOL1: IPV6_V6ONLY on an IPv4 socket is ENOPROTOOPT at every length', () => {
  const ns = netns();
  const s = sock(ns, { kind: 'tcp4' });
  for (const len of [0, 1, 4, 8]) assert.equal(set(ns, s, 'IPV6_V6ONLY', 1, len), 'ENOPROTOOPT');
});

test('R70 (SOL2): IP_LOCAL_PORT_RANGE takes exactly 4 bytes; other sizes are EINVAL and keep the pair', () => {
  const ns = netns();
  const s = sock(ns, { kind: 'tcp4', lpr: [40002, 40004] });
  for (const len of [0, 1, 2, 3, 5, 6, 8, 16])
    assert.equal(set(ns, s, 'IP_LOCAL_PORT_RANGE', [40000, 40010], len), 'EINVAL', `optlen ${len}`);
  assert.deepEqual(get(ns, s, 'IP_LOCAL_PORT_RANGE'), [40002, 40004]);
  assert.equal(set(ns, s, 'IP_LOCAL_PORT_RANGE', [40000, 40010], 4), 'OK');
  assert.deepEqual(get(ns, s, 'IP_LOCAL_PORT_RANGE'), [40000, 40010]);
  assert.equal(set(ns, s, 'IP_LOCAL_PORT_RANGE', [40010, 40000], 4), 'EINVAL');
});

test('SOL1: what a short buffer sets acts: IP_BIND_ADDRESS_NO_PORT from 1 byte defers the port (R22)', () => {
  const ns = netns();
  const s = sock(ns);
  assert.equal(set(ns, s, 'IP_BIND_ADDRESS_NO_PORT', 1, 1), 'OK');
  assert.equal(bind(ns, s, '127.0.0.1', 0), 0);
});
