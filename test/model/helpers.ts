/**
 * Shared setup for the rule tests (test/model/rules-*.test.ts). Every helper that changes the
 * namespace checks the model's invariants afterwards, so each step of each test is covered.
 * Results are reduced to what the kernel experiments record: a port number or an errno name.
 */
import assert from 'node:assert/strict';
import {
  type ChoiceOptions,
  type Errno,
  type HostEntropy,
  Netns,
  type Result,
  type SocketKind,
  type SockId,
} from '../../src/model/index.js';

/** A port, or the errno name of a failure (as kx.py reports them). */
export type Got = number | Errno;

export interface NsSetup {
  readonly seed?: number;
  readonly host?: HostEntropy;
  /** ip_local_port_range */
  readonly range?: readonly [number, number];
  /** Other sysctls, written in order. */
  readonly sysctls?: ReadonlyArray<readonly [string, string]>;
  /** addAddress() calls, e.g. '10.1.1.1/32'. */
  readonly addrs?: readonly string[];
}

export function inv(ns: Netns): void {
  assert.deepEqual(ns.checkInvariants(), [], 'checkInvariants() must be empty after every step');
}

export function okResult(r: Result, what: string): void {
  if (!r.ok) assert.fail(`${what}: ${r.errno} (${r.rule}: ${r.reason})`);
}

export function netns(setup: NsSetup = {}): Netns {
  const ns = setup.host ? new Netns({ host: setup.host }) : new Netns({ seed: setup.seed ?? 1 });
  if (setup.range) okResult(ns.sysctl('ip_local_port_range', `${setup.range[0]} ${setup.range[1]}`), 'range');
  for (const [k, v] of setup.sysctls ?? []) okResult(ns.sysctl(k, v), `sysctl ${k}=${v}`);
  for (const a of setup.addrs ?? []) okResult(ns.addAddress(a), `addAddress ${a}`);
  inv(ns);
  return ns;
}

export interface SockSetup {
  readonly kind?: SocketKind;
  readonly ra?: boolean;
  readonly rp?: boolean;
  readonly noPort?: boolean;
  /** IPV6_V6ONLY, for tcp6 sockets. */
  readonly v6only?: boolean;
  /** IP_LOCAL_PORT_RANGE as (lo, hi). */
  readonly lpr?: readonly [number, number];
  /** SO_LINGER {1, 0}. */
  readonly linger0?: boolean;
}

export function sock(ns: Netns, o: SockSetup = {}): SockId {
  const r = ns.socket(o.kind ?? 'tcp4');
  if (!r.ok) return assert.fail(`socket: ${r.errno}`);
  const s = r.sock;
  if (o.ra) okResult(ns.setsockopt(s, 'SO_REUSEADDR', 1), 'SO_REUSEADDR');
  if (o.rp) okResult(ns.setsockopt(s, 'SO_REUSEPORT', 1), 'SO_REUSEPORT');
  if (o.noPort) okResult(ns.setsockopt(s, 'IP_BIND_ADDRESS_NO_PORT', 1), 'IP_BIND_ADDRESS_NO_PORT');
  if (o.v6only !== undefined) okResult(ns.setsockopt(s, 'IPV6_V6ONLY', o.v6only ? 1 : 0), 'IPV6_V6ONLY');
  if (o.lpr) okResult(ns.setsockopt(s, 'IP_LOCAL_PORT_RANGE', o.lpr), 'IP_LOCAL_PORT_RANGE');
  if (o.linger0) okResult(ns.setsockopt(s, 'SO_LINGER', [1, 0]), 'SO_LINGER');
  inv(ns);
  return s;
}

function got(r: Result<{ port: number }>): Got {
  return r.ok ? r.port : r.errno;
}

/** Runs `fn` with the namespace's effective uid set to `uid`, then goes back to root. */
export function asUid<T>(ns: Netns, uid: number, fn: () => T): T {
  ns.setUid(uid);
  try {
    return fn();
  } finally {
    ns.setUid(0);
  }
}

export function bind(ns: Netns, s: SockId, addr: string, port: number, opts: ChoiceOptions = {}): Got {
  const r = got(ns.bind(s, addr, port, opts));
  inv(ns);
  return r;
}

export function listen(ns: Netns, s: SockId, opts: ChoiceOptions = {}): Got {
  const r = got(ns.listen(s, opts));
  inv(ns);
  return r;
}

export function connect(ns: Netns, s: SockId, addr: string, port: number, opts: ChoiceOptions = {}): Got {
  const r = got(ns.connect(s, addr, port, opts));
  inv(ns);
  return r;
}

export function close(ns: Netns, s: SockId, rst = false): void {
  okResult(ns.close(s, { rst }), 'close');
  inv(ns);
}

export function advance(ns: Netns, ms: number): void {
  ns.advance(ms);
  inv(ns);
}

export function name(ns: Netns, s: SockId): [string, number] {
  const r = ns.getsockname(s);
  if (!r.ok) return assert.fail(`getsockname: ${r.errno}`);
  return [r.addr, r.port];
}

/** A new socket bound to addr:port and listening (kx.py's listener()). */
export function listener(ns: Netns, addr: string, port: number, o: SockSetup = {}): SockId {
  const kind = o.kind ?? (addr.includes(':') ? 'tcp6' : 'tcp4');
  const s = sock(ns, { ...o, kind });
  assert.equal(bind(ns, s, addr, port), port, `listener bind ${addr}:${port}`);
  assert.equal(listen(ns, s), port, `listener listen ${addr}:${port}`);
  return s;
}

/** `n` new sockets, each connect()ed to addr:port; results in order. The sockets stay open. */
export function connects(ns: Netns, n: number, addr: string, port: number, o: SockSetup = {}): Got[] {
  const kind = o.kind ?? (addr.includes(':') ? 'tcp6' : 'tcp4');
  const out: Got[] = [];
  for (let k = 0; k < n; k++) out.push(connect(ns, sock(ns, { ...o, kind }), addr, port));
  return out;
}

/** `n` new sockets, each bind(addr, 0); results in order. The sockets stay open. */
export function binds(ns: Netns, n: number, addr: string, o: SockSetup = {}): Got[] {
  const kind = o.kind ?? (addr.includes(':') ? 'tcp6' : 'tcp4');
  const out: Got[] = [];
  for (let k = 0; k < n; k++) out.push(bind(ns, sock(ns, { ...o, kind }), addr, 0));
  return out;
}

/** connect() a new socket to a local listener and accept() the server side (exp_timewait pair()). */
export function pair(
  ns: Netns,
  l: SockId,
  addr: string,
  port: number,
  o: SockSetup = {},
): { c: SockId; s: SockId; port: Got } {
  const c = sock(ns, { ...o, kind: o.kind ?? (addr.includes(':') ? 'tcp6' : 'tcp4') });
  const p = connect(ns, c, addr, port);
  assert.equal(typeof p, 'number', `pair: connect failed with ${p}`);
  const a = ns.accept(l);
  if (!a.ok) return assert.fail(`accept: ${a.errno}`);
  inv(ns);
  return { c, s: a.sock, port: p };
}

/** A client bound to addr:`lport`, connected to the listener `l` at addr:`dport`, and the accepted side. */
export function boundPair(
  ns: Netns,
  l: SockId,
  addr: string,
  lport: number,
  dport: number,
): { c: SockId; s: SockId } {
  const c = sock(ns, { kind: addr.includes(':') ? 'tcp6' : 'tcp4' });
  assert.equal(bind(ns, c, addr, lport), lport, `boundPair: bind ${addr}:${lport}`);
  assert.equal(connect(ns, c, addr, dport), lport, `boundPair: connect to ${addr}:${dport}`);
  const a = ns.accept(l);
  if (!a.ok) return assert.fail(`accept: ${a.errno}`);
  inv(ns);
  return { c, s: a.sock };
}

/** kx.py make_timewait(): `first` closes, then `second`: `first` ends in TIME_WAIT. */
export function makeTimeWait(ns: Netns, first: SockId, second: SockId): void {
  close(ns, first);
  close(ns, second);
}

/** The local ports of every TIME_WAIT entry (not FIN_WAIT2), ascending (ss state time-wait). */
export function twPorts(ns: Netns): number[] {
  return ns
    .inspect()
    .timewaits.filter((t) => t.substate === 'TIME_WAIT')
    .map((t) => t.local.port)
    .sort((a, b) => a - b);
}

export function seeds(n: number): number[] {
  return Array.from({ length: n }, (_, k) => k + 1);
}

export function sorted(xs: readonly Got[]): Got[] {
  return [...xs].sort((a, b) => String(a).localeCompare(String(b)));
}

export function asSet(xs: readonly Got[]): Set<Got> {
  return new Set(xs);
}

/** The even (parity 0) or odd (parity 1) ports of [lo, hi]. */
export function parityPorts(lo: number, hi: number, parity: 0 | 1): number[] {
  const out: number[] = [];
  for (let p = lo; p <= hi; p++) if (p % 2 === parity) out.push(p);
  return out;
}

export function portsOf(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
}

/** The `follow` value for a recorded kernel result: the port, or 'fail' for an errno. */
export function followOf(step: Got): number | 'fail' {
  return typeof step === 'number' ? step : 'fail';
}
