/**
 * The addresses random scripts use (random-scripts.ts): which address a socket of a family binds
 * or connects to for a plan's index, given the plan's prefixes and local routes, and the loopback
 * destinations of UDP (datagrams go to loopback only: see random-scripts.ts's header).
 */
import type { SocketKind } from '../calls/index.js';
import { BIND4, BIND6, DEST4, DEST6, type Plan } from './random-plan.js';
import { routeAddr } from './random-routes.js';

/** Addresses a socket of this family may bind, given the plan's prefixes (v4 list, v6 list). */
export function bindAddr(kind: 'tcp4' | 'tcp6', i: number, plan: Plan): string {
  const list = kind === 'tcp4' ? BIND4 : BIND6;
  let a = list[i % list.length] ?? list[0] ?? '';
  if (!plan.prefix4 && a.includes('10.0.0.1')) a = kind === 'tcp4' ? '127.0.0.1' : '::ffff:127.0.0.1';
  if (!plan.prefix6 && a === 'fd00::1') a = '::1';
  return routeAddr(a, plan.routes);
}

/** A TCP destination of this family for index `i`: the plan's remote prefixes, else loopback. */
export function destAddr(kind: 'tcp4' | 'tcp6', i: number, plan: Plan): string {
  const list = kind === 'tcp4' ? DEST4 : DEST6;
  let a = list[i % list.length] ?? list[0] ?? '';
  if (!plan.prefix4 && a.includes('10.0.0.')) a = kind === 'tcp4' ? '127.0.0.1' : '::ffff:127.0.0.1';
  if (!plan.prefix6 && a === 'fd00::2') a = '::1';
  return routeAddr(a, plan.routes);
}

/**
 * A loopback address that reaches a UDP socket bound to `bound`: a wildcard picks by `k` (IPv4
 * address, or for [::] IPv6 or IPv4), a v4-mapped address is its IPv4 one, any other address
 * falls back to the family's loopback.
 */
export function udpDeliveryAddr(bound: string, kind: SocketKind, k: number): string {
  if (bound === '0.0.0.0') return k % 2 === 0 ? '127.0.0.1' : '127.0.0.2';
  if (bound === '::') return k % 2 === 0 ? '::1' : '127.0.0.1';
  if (bound.startsWith('::ffff:127.')) return bound.slice(7);
  if (bound.startsWith('127.') || bound === '::1') return bound;
  return kind === 'udp6' ? '::1' : '127.0.0.1';
}

/** Loopback destinations for UDP. */
const UDP_DEST4 = ['127.0.0.1', '127.0.0.2'];
const UDP_DEST6 = ['::1', '::ffff:127.0.0.1', '::ffff:127.0.0.2'];

export function udpDest(kind: SocketKind, i: number): string {
  const list = kind === 'udp4' ? UDP_DEST4 : UDP_DEST6;
  return list[i % list.length] ?? '127.0.0.1';
}

export const isUdp = (k: SocketKind): boolean => k === 'udp4' || k === 'udp6';

/** The TCP kind of the same family (bind and destination lists are per family). */
export const familyOf = (k: SocketKind): 'tcp4' | 'tcp6' => (k === 'tcp6' || k === 'udp6' ? 'tcp6' : 'tcp4');

/** An address outside this namespace (the remote prefixes a plan may add). */
export const isRemoteText = (a: string): boolean =>
  a.startsWith('10.') || a.startsWith('fd00:') || a.startsWith('::ffff:10.');
