/**
 * The vocabulary shared by every backend (a leaf: imports nothing): one socket-level call with
 * its arguments, and what it returned. A script line becomes one Call; the model and the kernel
 * helper both execute Calls. Sockets are named by the script ("c1"), so backends keep their own
 * name -> socket maps. The model's API takes the same socket kinds, options and endpoints.
 */

import type { ErrnoName } from './errno.js';

/** Socket kinds (Linux: AF_INET/AF_INET6 x SOCK_STREAM/SOCK_DGRAM). */
export type SocketKind = 'tcp4' | 'tcp6' | 'udp4' | 'udp6';
export const SOCKET_KINDS: readonly SocketKind[] = ['tcp4', 'tcp6', 'udp4', 'udp6'];

/** Socket options, by their Linux names. */
export type SockOpt =
  | 'SO_REUSEADDR'
  | 'SO_REUSEPORT'
  | 'IP_BIND_ADDRESS_NO_PORT'
  | 'IP_LOCAL_PORT_RANGE'
  | 'IPV6_V6ONLY'
  | 'SO_LINGER'
  | 'IP_FREEBIND'
  | 'IPV6_FREEBIND';
export type SockOptName = SockOpt;
/** The options getsockopt can read: all but SO_LINGER (the model keeps only "linger 0 or not"). */
export type GetSockOptName = Exclude<SockOpt, 'SO_LINGER'>;

/** Options whose value is one integer. */
export const FLAG_OPTIONS: readonly SockOpt[] = [
  'SO_REUSEADDR',
  'SO_REUSEPORT',
  'IP_BIND_ADDRESS_NO_PORT',
  'IPV6_V6ONLY',
  'IP_FREEBIND',
  'IPV6_FREEBIND',
];
/** Options whose value is a pair `a b`: IP_LOCAL_PORT_RANGE `lo hi`, SO_LINGER `onoff seconds`. */
export const PAIR_OPTIONS: readonly SockOpt[] = ['IP_LOCAL_PORT_RANGE', 'SO_LINGER'];
export const SOCKET_OPTIONS: readonly SockOpt[] = [...FLAG_OPTIONS, ...PAIR_OPTIONS];

/**
 * Option values: a boolean-ish integer for flags; for IP_LOCAL_PORT_RANGE the pair [lo, hi]
 * (either may be 0 = unbounded; packed by the backend as hi << 16 | lo); for SO_LINGER the pair
 * [onoff, seconds].
 */
export type SockOptValue = number | readonly [number, number];

export type Call =
  /** Write a sysctl inside the namespace. name is the dotted form: net.ipv4.ip_local_port_range. */
  | { op: 'sysctl'; name: string; value: string }
  /** Add a local address (CIDR, e.g. 10.0.0.1/24 or fd00::1/64). */
  | { op: 'addr'; cidr: string }
  /**
   * Add a local route (`ip route add local CIDR dev lo [src SRC]`): every address of the prefix
   * is this host; SRC is the source connect() takes towards it. CIDR is a network address.
   */
  | { op: 'route'; cidr: string; src?: string }
  /** Effective uid for the following calls (socket ownership, privileged-port checks). */
  | { op: 'uid'; uid: number }
  | { op: 'socket'; name: string; kind: SocketKind }
  /**
   * setsockopt(). `optlen`, when given, is the option buffer's size in bytes: the value's
   * little-endian bytes cut or zero-padded to that size (what the kernel then reads is the
   * model's business: src/model/sockopt.ts). Without it the buffer has the option's own size.
   */
  | { op: 'setsockopt'; sock: string; opt: SockOptName; value: SockOptValue; optlen?: number }
  /** getsockopt() of an option the model keeps; the value comes back in Outcome.optval. */
  | { op: 'getsockopt'; sock: string; opt: GetSockOptName }
  | { op: 'bind'; sock: string; addr: string; port: number }
  | { op: 'listen'; sock: string; backlog: number }
  | { op: 'connect'; sock: string; addr: string; port: number }
  /** Accept one pending connection on a listener; the new socket gets the name `name`. */
  | { op: 'accept'; sock: string; name: string }
  /** close(); with rst: SO_LINGER {1, 0} first, so the kernel sends RST and keeps no TIME_WAIT. */
  | { op: 'close'; sock: string; rst: boolean }
  | { op: 'getsockname'; sock: string }
  /** One datagram (UDP; a socket without a port autobinds, R90/R93). Returns the local address. */
  | { op: 'sendto'; sock: string; addr: string; port: number }
  /** connect(AF_UNSPEC): a UDP socket forgets its peer (R94); TCP: see src/model/tcp-disconnect.ts. */
  | { op: 'disconnect'; sock: string }
  /**
   * Sends one connection (tcp) or datagram (udp) from `from` to `to` and reports which socket got
   * it (R80-R82). The source must be a local address and a port no socket holds.
   */
  | { op: 'deliver'; proto: 'tcp' | 'udp'; from: Endpoint; to: Endpoint }
  /** Let time pass: real time on the kernel, advance(ms) on the model. */
  | { op: 'sleep'; ms: number };

export type CallOp = Call['op'];

/** An address and a port: a socket's local end, a peer, a destination. */
export interface Endpoint {
  readonly addr: string;
  readonly port: number;
}

/**
 * What a call returned. For bind/listen/connect/sendto/getsockname `port` is the local port
 * afterwards (getsockname), and `addr` the local address; accept returns the peer in `peer`;
 * deliver names the receiving socket in `member` (the backend's name) and, on the model, every
 * socket the kernel could have picked in `members` plus the group versions in `epoch`.
 */
export type Outcome =
  | {
      readonly ok: true;
      readonly port?: number;
      readonly addr?: string;
      readonly peer?: Endpoint;
      readonly member?: string;
      readonly members?: readonly string[];
      readonly epoch?: string;
      /** getsockopt: the option's value (IP_LOCAL_PORT_RANGE as [lo, hi]). */
      readonly optval?: SockOptValue;
    }
  | { readonly ok: false; readonly errno: ErrnoName };
