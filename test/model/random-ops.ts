// Random call sequences over the TCP model, for property tests: a few addresses (v4, v6,
// v4-mapped, wildcard), tiny ranges, every option, every call, time steps, two uids.
import fc from 'fast-check';
import type { Netns, SockId } from '../../src/model/index.js';

export type Op =
  | { op: 'socket'; six: boolean }
  | {
      op: 'opt';
      s: number;
      opt: 'SO_REUSEADDR' | 'SO_REUSEPORT' | 'IP_BIND_ADDRESS_NO_PORT' | 'IPV6_V6ONLY';
      on: boolean;
    }
  | { op: 'lpr'; s: number; lo: number; hi: number }
  | { op: 'bind'; s: number; addr: string; port: number }
  | { op: 'listen'; s: number }
  | { op: 'connect'; s: number; addr: string; port: number }
  | { op: 'accept'; s: number }
  | { op: 'close'; s: number; rst: boolean }
  | { op: 'advance'; ms: number }
  | { op: 'uid'; uid: number }
  | { op: 'sysctl'; name: string; value: string };

export const LO = 40000;
const ports = fc.constantFrom(0, 0, LO, LO + 1, LO + 2, LO + 3, 5000, 5001);
const v4 = ['127.0.0.1', '127.0.0.2', '0.0.0.0', '10.0.0.1'];
const v6 = ['::1', '::', '::ffff:127.0.0.1', '::ffff:0.0.0.0'];
const dests4 = ['127.0.0.1', '127.0.0.2', '10.0.0.1', '10.0.0.9'];
const dests6 = ['::1', '::ffff:127.0.0.1', '::ffff:10.0.0.9'];
const sockIndex = fc.nat(12);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('socket' as const), six: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('opt' as const),
      s: sockIndex,
      opt: fc.constantFrom('SO_REUSEADDR', 'SO_REUSEPORT', 'IP_BIND_ADDRESS_NO_PORT', 'IPV6_V6ONLY'),
      on: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('lpr' as const),
      s: sockIndex,
      lo: fc.constantFrom(0, LO, LO + 1, LO + 2),
      hi: fc.constantFrom(0, LO + 2, LO + 3, LO + 5),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('bind' as const),
      s: sockIndex,
      addr: fc.constantFrom(...v4, ...v6),
      port: ports,
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('listen' as const), s: sockIndex }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('connect' as const),
      s: sockIndex,
      addr: fc.constantFrom(...dests4, ...dests6),
      port: fc.constantFrom(5000, 5001, LO, LO + 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('accept' as const), s: sockIndex }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('close' as const), s: sockIndex, rst: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.constantFrom(10, 1500, 30_000, 61_000),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('uid' as const), uid: fc.constantFrom(0, 65534) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('sysctl' as const),
      name: fc.constantFrom(
        'net.ipv4.tcp_tw_reuse',
        'net.ipv4.ip_autobind_reuse',
        'net.ipv4.ip_local_reserved_ports',
        'net.ipv4.ip_local_port_range',
      ),
      value: fc.constantFrom(
        '0',
        '1',
        '2',
        `${LO + 1}`,
        '',
        `${LO} ${LO + 2}`,
        `${LO} ${LO + 3}`,
        `${LO + 1} ${LO + 4}`,
      ),
    }),
  },
);

/** Applies an op; returns nothing: properties look at the namespace afterwards. */
export function apply(ns: Netns, socks: SockId[], o: Op): void {
  const pick = (i: number): SockId | undefined => (socks.length ? socks[i % socks.length] : undefined);
  switch (o.op) {
    case 'socket': {
      const r = ns.socket(o.six ? 'tcp6' : 'tcp4');
      if (r.ok) socks.push(r.sock);
      return;
    }
    case 'opt': {
      const s = pick(o.s);
      if (s !== undefined) ns.setsockopt(s, o.opt, o.on ? 1 : 0);
      return;
    }
    case 'lpr': {
      const s = pick(o.s);
      if (s !== undefined) ns.setsockopt(s, 'IP_LOCAL_PORT_RANGE', [o.lo, o.hi]);
      return;
    }
    case 'bind': {
      const s = pick(o.s);
      if (s !== undefined) ns.bind(s, o.addr, o.port);
      return;
    }
    case 'listen': {
      const s = pick(o.s);
      if (s !== undefined) ns.listen(s);
      return;
    }
    case 'connect': {
      const s = pick(o.s);
      if (s !== undefined) ns.connect(s, o.addr, o.port);
      return;
    }
    case 'accept': {
      const s = pick(o.s);
      if (s === undefined) return;
      const r = ns.accept(s);
      if (r.ok) socks.push(r.sock);
      return;
    }
    case 'close': {
      const s = pick(o.s);
      if (s === undefined) return;
      ns.close(s, { rst: o.rst });
      socks.splice(socks.indexOf(s), 1);
      return;
    }
    case 'advance':
      ns.advance(o.ms);
      return;
    case 'uid':
      ns.setUid(o.uid);
      return;
    case 'sysctl':
      ns.sysctl(o.name, o.value);
      return;
  }
}

/** A namespace with a tiny range and one extra prefix (10.0.0.1 local, 10.0.0.0/24 remote). */
export function tinyNetns(make: (seed: number) => Netns, seed: number): Netns {
  const ns = make(seed);
  ns.sysctl('net.ipv4.ip_local_port_range', `${LO} ${LO + 3}`);
  ns.addAddress('10.0.0.1/24');
  return ns;
}
