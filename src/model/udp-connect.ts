/**
 * UDP connect(), connect(AF_UNSPEC) and sendto() (spec R90, R93, R94).
 *
 * Both connect() and sendto() on a socket without a port autobind first (R90) and fail with
 * EAGAIN when no port is free (R93); the port stays even when the call then fails (no route,
 * port 0 for sendto). connect() has no 4-tuple check (R94): the port is not shared across
 * destinations because the autobind happens before the destination is looked at, on the
 * socket's (wildcard) address. A connected socket takes the route's source address if it had
 * none. connect(AF_UNSPEC) forgets the peer, and gives back what bind() did not fix: a port the
 * kernel chose, and an address bind() did not name (measured).
 *
 * A wildcard destination (0.0.0.0, [::]) means this host, as for TCP (wildcard-destination.ts).
 *
 * A connected socket that sends to its peer's closed local port gets ECONNREFUSED from its next
 * send (the ICMP error, reported once; measured on this kernel).
 */
import { type Addr, mapToV6, unmap } from './addr.js';
import type { Core } from './core.js';
import { findReceiver, noteUdpReceived } from './delivery.js';
import type { Socket } from './entities.js';
import { type Failure, fail } from './result.js';
import type { Picker } from './search.js';
import { sourceFor } from './tcp-connect.js';
import { releaseUdpPort, udpAutobind, wildcardOf } from './udp-bind.js';
import { wildcardDestination } from './wildcard-destination.js';

interface Route {
  /** Source and destination as the socket's family writes them (v4-mapped on IPv6 sockets). */
  readonly src: Addr;
  readonly dest: Addr;
}

/** R94 decides connect(), connect(AF_UNSPEC) and sendto(); R96 when bind() fixed only the address. */
function connectedRules(core: Core, s: Socket): void {
  core.rules.add('R94');
  if (s.noPort && s.lport === 0) core.rules.add('R96');
}

function autobindIfNeeded(core: Core, s: Socket, pick?: Picker): Failure | null {
  if (s.lport !== 0 || udpAutobind(core, s, pick)) return null;
  return fail(
    'EAGAIN',
    'R93',
    'the implicit bind found no free port in the range (R90); UDP says EAGAIN here',
  );
}

/** The family checks: an IPv4 socket cannot reach an IPv6 address; IPV6_V6ONLY refuses IPv4. */
function familyCheck(s: Socket, dest: Addr, op: 'connect' | 'sendto'): Failure | null {
  if (s.family === 4 && dest.family === 6)
    return fail('EAFNOSUPPORT', 'R94', 'an IPv4 socket was given an IPv6 address');
  if (s.family === 6 && s.v6only && (dest.family === 4 || dest.mapped)) {
    return dest.family === 4 && op === 'connect'
      ? fail('EAFNOSUPPORT', 'R94', 'an IPV6_V6ONLY socket cannot connect to an IPv4 address')
      : fail('ENETUNREACH', 'R94', 'an IPV6_V6ONLY socket cannot reach an IPv4 address');
  }
  return null;
}

/**
 * A source address on the IPv4 path (v4-mapped, bound or taken by connect) cannot reach a native
 * IPv6 address (measured: EAFNOSUPPORT for connect and sendto alike; sendto checks port 0 first).
 */
function mappedSourceCheck(s: Socket, dest: Addr): Failure | null {
  if (s.family === 6 && s.laddr.mapped && dest.family === 6 && !dest.mapped)
    return fail(
      'EAFNOSUPPORT',
      'R94',
      `a socket with the IPv4-path address ${s.laddr.text} cannot reach ${dest.text}`,
    );
  return null;
}

function route(core: Core, s: Socket, dest: Addr): Failure | Route {
  const v4 = dest.family === 4 || dest.mapped;
  const target = v4 ? unmap(dest) : dest;
  const src = sourceFor(core, target);
  if (!src) return fail('ENETUNREACH', 'R94', `no route to ${target.text}`);
  // A source bound with ip_nonlocal_bind that is not an address here has no route (measured).
  if (v4 && !unsetAddr(s.laddr) && s.laddr.v4 > 0 && !core.isLocal(unmap(s.laddr)))
    return fail('ENETUNREACH', 'R94', `the bound source ${s.laddr.text} is not an address of this namespace`);
  const inFamily = (a: Addr) => (s.family === 6 && v4 ? mapToV6(a) : a);
  return { src: inFamily(src), dest: inFamily(target) };
}

function unsetAddr(a: Addr): boolean {
  return a.wildcard || (a.mapped && a.v4 === 0);
}

export function connectUdp(
  core: Core,
  s: Socket,
  target: Addr,
  dport: number,
  pick?: Picker,
): Failure | null {
  connectedRules(core, s);
  // A wildcard destination means this host (measured, as for TCP).
  const dest = wildcardDestination(s, target);
  const f = autobindIfNeeded(core, s, pick) ?? familyCheck(s, dest, 'connect') ?? mappedSourceCheck(s, dest);
  if (f) return f;
  const r = route(core, s, dest);
  if ('ok' in r) return r;
  if (unsetAddr(s.laddr)) {
    s.laddr = r.src;
    core.udp.rehash(s);
  }
  // Connecting again to the same peer keeps the socket's place among its 4-tuple (measured).
  const same = s.raddr === r.dest && s.rport === dport;
  s.raddr = r.dest;
  s.rport = dport;
  if (!same) core.udp.connected(s);
  core.udp.pendingRefused.delete(s);
  return null;
}

/** connect(AF_UNSPEC): always succeeds. */
export function disconnectUdp(core: Core, s: Socket): void {
  connectedRules(core, s);
  s.raddr = null;
  s.rport = 0;
  core.udp.disconnected(s);
  core.udp.pendingRefused.delete(s);
  if (!s.portLocked) releaseUdpPort(core, s);
  if (!s.addrLocked && s.laddr !== wildcardOf(s)) {
    s.laddr = wildcardOf(s);
    core.udp.rehash(s);
  }
}

export function sendtoUdp(core: Core, s: Socket, target: Addr, dport: number, pick?: Picker): Failure | null {
  connectedRules(core, s);
  const dest = wildcardDestination(s, target);
  const f = autobindIfNeeded(core, s, pick) ?? familyCheck(s, dest, 'sendto');
  if (f) return f;
  // Port 0 is refused before the v4-mapped source meets an IPv6 destination (measured).
  if (dport === 0) return fail('EINVAL', 'R94', 'a datagram cannot be sent to port 0');
  const m = mappedSourceCheck(s, dest);
  if (m) return m;
  const r = route(core, s, dest);
  if ('ok' in r) return r;
  if (core.udp.pendingRefused.delete(s))
    return fail('ECONNREFUSED', 'R94', "the previous datagram to this socket's peer met a closed port");
  if (!core.isLocalDest(unmap(r.dest))) return null;
  const from = unsetAddr(s.laddr) ? r.src : s.laddr;
  const toPeer = s.raddr !== null && s.raddr.key === r.dest.key && s.rport === dport;
  const flow = { proto: 'udp', saddr: from, sport: s.lport, daddr: r.dest, dport } as const;
  const d = findReceiver(core, flow);
  if (d) noteUdpReceived(core, d.chosen);
  // The ICMP error goes back to the source: one that is not this host's never sees it (measured
  // for an IPv6 source bound with IPV6_FREEBIND; an IPv4 one cannot send at all).
  else if (toPeer && core.isLocalDest(unmap(from))) core.udp.pendingRefused.add(s);
  return null;
}
