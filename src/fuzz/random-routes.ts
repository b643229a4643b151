/**
 * Local routes and FREEBIND in random differential scripts (issue 10). A plan may add an IPv4
 * local route (198.51.100.0/24) and an IPv6 one (2001:db8::/64), each with one of a few
 * preferred sources (none, loopback, the `addr` prefix's address, or one that is not an address
 * here: EINVAL), before the actions or halfway through them (so an address bound with
 * IP_FREEBIND before the route becomes usable after it). Addresses inside the prefixes join the
 * bind and destination lists; IP_FREEBIND / IPV6_FREEBIND join the socket options.
 *
 * What it avoids, and why:
 *  - a source inside a route prefix connecting to a remote host (10.0.0.x, fd00::x): the remote
 *    namespace of the kernel helper routes back only to the prefix addresses of `addr`, so the
 *    SYN-ACK is lost and the kernel times out, which says nothing about the kernel under test
 *    (the test rig's topology). Such a connect goes to the prefix itself instead;
 *  - an IPv6 source that is not local (bound with FREEBIND outside every route): its connect()
 *    times out after the helper's connect bound (2 s a time). The rule script
 *    test/scripts/rules/bind/r7-freebind-ipv6.pst covers it; random scripts use 2001:db8::7
 *    only while an IPv6 route covers it, else ::1.
 */
import fc from 'fast-check';
import type { Call } from '../calls/index.js';

type ConnectCall = Extract<Call, { op: 'connect' }>;

export interface RoutePlan {
  /** The IPv4 route's src choice (index into V4_SRC), or null: no IPv4 route. */
  readonly v4: number | null;
  /** The IPv6 route's src choice (index into V6_SRC), or null: no IPv6 route. */
  readonly v6: number | null;
  /** Add the IPv4 route halfway through the actions instead of before them (IPv6: always before). */
  readonly late: boolean;
}

export const ROUTE4 = '198.51.100.0/24';
export const ROUTE6 = '2001:db8::/64';
/** undefined: no src; 'prefix': the `addr` prefix's address (10.0.0.1 / fd00::1) when the plan has one. */
const V4_SRC: readonly (string | undefined)[] = [
  undefined,
  '127.0.0.1',
  '127.0.0.2',
  'prefix',
  '198.51.100.1',
];
/** No invalid IPv6 src: 2001:db8::7 would stay non-local and its connects time out (see above). */
const V6_SRC: readonly (string | undefined)[] = [undefined, '::1', 'prefix'];

export const routePlanArb: fc.Arbitrary<RoutePlan> = fc.record({
  // About a third of the scripts get an IPv4 route, a fifth an IPv6 one.
  v4: fc.oneof(
    { weight: 2, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.nat(V4_SRC.length - 1) },
  ),
  v6: fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.nat(V6_SRC.length - 1) },
  ),
  late: fc.nat(3).map((n) => n === 0),
});

/**
 * The route statements of a plan, `which` family (a src that needs a prefix the plan lacks falls
 * back to loopback).
 */
export function routeCalls(r: RoutePlan, which: 4 | 6, prefix4: boolean, prefix6: boolean): Call[] {
  const out: Call[] = [];
  if (which === 4 && r.v4 !== null) {
    const src = V4_SRC[r.v4];
    const s = src === 'prefix' ? (prefix4 ? '10.0.0.1' : '127.0.0.1') : src;
    out.push(s === undefined ? { op: 'route', cidr: ROUTE4 } : { op: 'route', cidr: ROUTE4, src: s });
  }
  if (which === 6 && r.v6 !== null) {
    const src = V6_SRC[r.v6];
    const s = src === 'prefix' ? (prefix6 ? 'fd00::1' : '::1') : src;
    out.push(s === undefined ? { op: 'route', cidr: ROUTE6 } : { op: 'route', cidr: ROUTE6, src: s });
  }
  return out;
}

/** Addresses inside the route prefixes that bind and destination lists may name. */
export const ROUTE_BIND4 = ['198.51.100.7'];
export const ROUTE_BIND6 = ['2001:db8::7', '::ffff:198.51.100.7'];
export const ROUTE_DEST4 = ['198.51.100.7', '198.51.100.9'];
export const ROUTE_DEST6 = ['2001:db8::9', '::ffff:198.51.100.9'];

const inRoute6 = (a: string) => a.startsWith('2001:db8:');
const inRoute4 = (a: string) => a.startsWith('198.51.100.') || a.startsWith('::ffff:198.51.100.');

/**
 * A route address as the plan allows it: an IPv6 one only while the plan has an IPv6 route (see
 * the header), else ::1. IPv4 ones stay: without the route they are simply not local.
 */
export function routeAddr(a: string, r: RoutePlan): string {
  return inRoute6(a) && r.v6 === null ? '::1' : a;
}

/**
 * Steers a connect from a socket bound inside a route prefix away from the remote hosts (see
 * the header): it goes to an address of the prefix instead.
 */
export function steerConnect(
  c: ConnectCall,
  boundAddr: string | undefined,
  isRemote: (a: string) => boolean,
): ConnectCall {
  if (boundAddr === undefined || !isRemote(c.addr)) return c;
  if (inRoute6(boundAddr)) return { ...c, addr: '2001:db8::9' };
  if (inRoute4(boundAddr))
    return { ...c, addr: c.addr.includes(':') ? '::ffff:198.51.100.9' : '198.51.100.9' };
  return c;
}
