/**
 * Netns: one virtual network namespace, the model's public face. Calls look like the socket API
 * and return values, never throw for anything the kernel would answer with an errno.
 *
 * Where the kernel chooses at random (bind(0), listen() autobind, connect() autoselection),
 * three modes exist (ChoiceOptions):
 *  - default: the injected entropy decides, reproducibly for a given seed;
 *  - `follow`: the caller says what the kernel chose; the model checks it is a possible outcome
 *    (see `outcomes`) and adopts it. This is how differential runs stay exact.
 *  - `trace`: the search is walked port by port and every port passed over is explained.
 */

import type { Endpoint, SocketKind, SockOpt } from '../calls/index.js';
import { type Addr, networkOf } from './addr.js';
import { Core } from './core.js';
import { findReceiver, noteUdpReceived, probeBlocked } from './delivery.js';
import { describeOwner, type Socket, type SockId } from './entities.js';
import { type HostEntropy, seededHost } from './entropy.js';
import { type Headroom, headroomOf } from './headroom.js';
import { inspectCore, type NetnsView } from './inspect.js';
import { checkInvariants } from './invariants.js';
import { addLocalRoute } from './local-routes.js';
import { missingOption, missingSysctl, type Profile, refusedSysctlValue } from './profile.js';
import { type Failure, fail, type Result, type RuleId } from './result.js';
import {
  type Found,
  isOutcome,
  type Outcomes,
  outcomes,
  type Phase,
  type TraceEvent,
  walk,
} from './search.js';
import { type OptValue, type ReadableOpt, readOption, valueFromBuffer } from './sockopt.js';
import { canonicalSysctlName, readSysctl, writeSysctl } from './sysctl.js';
import { applySysctlSettings, type SysctlSettings } from './sysctl-settings.js';
import { autobindPhases } from './tcp-autobind.js';
import { bindTcp, checkBindArgs, listenTcp, planBind, viewAs } from './tcp-bind.js';
import { acceptTcp, closeTcp } from './tcp-close.js';
import { connectTcp, planConnect } from './tcp-connect.js';
import { disconnectTcp } from './tcp-disconnect.js';
import { udpAutobindPhases } from './udp-autobind.js';
import { bindUdp, closeUdp, udpView } from './udp-bind.js';
import { connectUdp, disconnectUdp, sendtoUdp } from './udp-connect.js';

/** The model's API speaks the call vocabulary's socket kinds, options and endpoints. */
export type { Endpoint, SocketKind, SockOpt };

export interface ChoiceOptions {
  /** The port the real kernel chose, or 'fail' when it failed: adopt it (it must be a possible outcome). */
  readonly follow?: number | 'fail';
  /** Walk the search port by port and return the trace. */
  readonly trace?: boolean;
}

export interface NetnsOptions {
  /** Seed for the built-in entropy (default 1). Ignored when `host` is given. */
  readonly seed?: number;
  /** Host-wide randomness and the shared PERTURB table (spec D1); share it between namespaces. */
  readonly host?: HostEntropy;
  /**
   * Which kernel to behave like (default 'linux-6.18'). 'linux-4.1' is the 2014 article's era:
   * see profile.ts for exactly what it changes.
   */
  readonly profile?: Profile;
  /**
   * Sysctls to set, by full name, as text or typed (`'net.ipv4.ip_local_port_range': [40000,
   * 40009]`). A value the kernel refuses throws a RangeError naming it (sysctl-settings.ts).
   */
  readonly sysctls?: SysctlSettings;
}

/** A choice-making call, for `outcomes`. */
export type ChoiceCall =
  | { readonly op: 'bind'; readonly addr: string; readonly port: number }
  | { readonly op: 'listen' }
  | { readonly op: 'connect'; readonly addr: string; readonly port: number }
  | { readonly op: 'sendto'; readonly addr: string; readonly port: number };

/** Who received a connection or datagram (R80-R82). */
export interface DeliveryResult {
  /** The receiving socket: the model's stand-in choice, or the followed one. */
  readonly sock: SockId;
  /** Every socket the kernel could have chosen (a reuseport group, or the one best receiver). */
  readonly eligible: readonly SockId[];
  /** The groups that decided, as `id.version`: the same 4-tuple keeps its member while this is unchanged. */
  readonly epoch: string;
}

/** Thrown when `follow` names a result the kernel could not have produced: a caller bug. */
export class NotAnOutcomeError extends Error {
  constructor(
    readonly followed: number | 'fail',
    readonly possible: Outcomes,
  ) {
    super(
      `follow: ${followed} is not a possible outcome (ports ${possible.ports.join(',') || 'none'}${possible.mayFail ? ', or failure' : ''})`,
    );
  }
}

export class Netns {
  private readonly core: Core;

  constructor(opts: NetnsOptions = {}) {
    this.core = new Core(opts.host ?? seededHost(opts.seed ?? 1), opts.profile);
    cores.set(this, this.core);
    if (opts.sysctls) applySysctlSettings(opts.sysctls, (name, value) => this.sysctl(name, value));
  }

  /** The kernel this namespace behaves like. */
  get profile(): Profile {
    return this.core.profile;
  }

  /** Virtual milliseconds since the namespace was made. */
  get now(): number {
    return this.core.now;
  }

  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms))
      throw new RangeError(`advance: ms must be a finite number >= 0, got ${ms}`);
    this.core.advance(ms);
  }

  sysctl(name: string, value: string): Result {
    const n = canonicalSysctlName(name);
    if (!n) return fail('ENOENT', 'R1', `unknown sysctl ${name}`);
    const absent = missingSysctl(this.core.profile, n) ?? refusedSysctlValue(this.core.profile, n, value);
    if (absent) return absent;
    const f = writeSysctl(this.core.sysctl, n, value);
    if (f) return f;
    if (n === 'net.ipv4.ip_local_reserved_ports') this.core.ports.setReserved(this.core.sysctl.reserved);
    return { ok: true };
  }

  readSysctl(name: string): Result<{ value: string }> {
    const n = canonicalSysctlName(name);
    if (!n) return fail('ENOENT', 'R1', `unknown sysctl ${name}`);
    const absent = missingSysctl(this.core.profile, n);
    if (absent) return absent;
    return { ok: true, value: readSysctl(this.core.sysctl, n) };
  }

  /** Adds a local address (`10.0.0.1/24`): it becomes local, the rest of its prefix is remote hosts that accept. */
  addAddress(cidr: string): Result {
    const p = this.core.addrs.parseCidr(cidr);
    if (!p) return fail('EINVAL', 'R7', `not an address with prefix length: ${cidr}`);
    // An address inside a local route is not one yet: adding it works (only routes cover it).
    if (this.core.hasAddress(p.addr) || (p.addr.family === 4 ? p.addr.v4 >>> 24 === 127 : p.addr.loopback))
      return fail('EEXIST', 'R7', `${p.addr.text} is already local`);
    this.core.addPrefix(p);
    return { ok: true };
  }

  /**
   * Adds a local route (`ip route add local PREFIX dev lo [src SRC]`): every address of the
   * prefix is this host, and SRC is the source connect() takes towards it (local-routes.ts).
   */
  addLocalRoute(cidr: string, src?: string): Result {
    const p = this.core.addrs.parseCidr(cidr);
    if (!p) return fail('EINVAL', 'R10', `not a prefix: ${cidr}`);
    if (networkOf(p).text !== p.addr.text) return fail('EINVAL', 'R10', `${cidr} has host bits set`);
    let s: Addr | null = null;
    if (src !== undefined) {
      s = this.core.addrs.parse(src);
      if (!s) return fail('EINVAL', 'R10', `not an IP address: ${src}`);
    }
    const f = addLocalRoute(this.core, p, s);
    return f ?? { ok: true };
  }

  /** The effective uid of the following calls (socket ownership, privileged ports). */
  setUid(uid: number): void {
    if (!Number.isInteger(uid) || uid < 0 || uid > 0xfffffffe)
      throw new RangeError(`uid must be an integer 0..4294967294, got ${uid}`);
    this.core.uid = uid;
  }

  socket(kind: SocketKind): Result<{ sock: SockId }> {
    const udp = kind === 'udp4' || kind === 'udp6';
    const s = this.core.newSocket(udp ? 'udp' : 'tcp', kind === 'tcp4' || kind === 'udp4' ? 4 : 6);
    return { ok: true, sock: s.id };
  }

  /**
   * setsockopt(). With `optlen` the option buffer has that many bytes (the value's little-endian
   * bytes, cut or zero-padded): see sockopt.ts for what the kernel reads from it.
   */
  setsockopt(sock: SockId, opt: SockOpt, value: number | readonly [number, number], optlen?: number): Result {
    const s = this.core.socket(sock);
    if (!s?.userOpen) return badf(sock);
    const absent = missingOption(this.core.profile, opt);
    if (absent) return absent;
    if (optlen !== undefined) {
      // The level is checked before the length: IPV6_V6ONLY on IPv4 is ENOPROTOOPT at any length.
      if ((opt === 'IPV6_V6ONLY' || opt === 'IPV6_FREEBIND') && s.family === 4)
        return fail('ENOPROTOOPT', 'R36', `${opt} is an IPv6 socket option`);
      const v = valueFromBuffer(opt, value, optlen);
      if ('ok' in v) return v;
      value = v.value;
    }
    const flag = typeof value === 'number' ? value !== 0 : value[0] !== 0;
    switch (opt) {
      case 'SO_REUSEADDR':
        s.reuseAddr = flag;
        if (!flag) this.forgetFastFlags(s);
        break;
      case 'SO_REUSEPORT':
        // Not so for SO_REUSEPORT: the kernel's reuseport summary stays as it was (measured).
        s.reusePort = flag;
        break;
      case 'IP_BIND_ADDRESS_NO_PORT':
        s.noPort = flag;
        break;
      case 'IPV6_V6ONLY':
        if (s.family === 4) return fail('ENOPROTOOPT', 'R36', 'IPV6_V6ONLY is an IPv6 socket option');
        if (s.lport !== 0)
          return fail('EINVAL', 'R36', 'IPV6_V6ONLY cannot change once the socket has a port');
        s.v6only = flag;
        break;
      case 'IP_FREEBIND':
      case 'IPV6_FREEBIND':
        // R7: one flag behind both names; an IPv4 socket has no IPv6 options (measured: ENOPROTOOPT).
        if (opt === 'IPV6_FREEBIND' && s.family === 4)
          return fail('ENOPROTOOPT', 'R7', 'IPV6_FREEBIND is an IPv6 socket option');
        s.freebind = flag;
        break;
      case 'SO_LINGER': {
        const [on, secs] = typeof value === 'number' ? [value, 0] : value;
        s.linger0 = on !== 0 && secs === 0;
        break;
      }
      case 'IP_LOCAL_PORT_RANGE': {
        // R70: raw u32 (hi << 16 | lo); both set and lo > hi is EINVAL; 0 on a side = unbounded.
        const [lo, hi] = typeof value === 'number' ? [value & 0xffff, value >>> 16] : value;
        if (lo < 0 || hi < 0 || lo > 65535 || hi > 65535)
          return fail('EINVAL', 'R70', 'IP_LOCAL_PORT_RANGE bounds must be 0..65535');
        if (lo !== 0 && hi !== 0 && lo > hi)
          return fail('EINVAL', 'R70', 'IP_LOCAL_PORT_RANGE low bound above high bound');
        s.lpr = ((hi << 16) | lo) >>> 0;
        break;
      }
      default:
        return fail('ENOPROTOOPT', 'D2', `unknown socket option ${String(opt)}`);
    }
    return { ok: true };
  }

  /** getsockopt() of an option the model keeps (sockopt.ts); IP_LOCAL_PORT_RANGE as [lo, hi]. */
  getsockopt(sock: SockId, opt: ReadableOpt): Result<{ value: OptValue }> {
    const s = this.core.socket(sock);
    if (!s?.userOpen) return badf(sock);
    const absent = missingOption(this.core.profile, opt);
    if (absent) return absent;
    const r = readOption(s, opt);
    return 'ok' in r ? r : { ok: true, value: r.value };
  }

  bind(
    sock: SockId,
    addr: string,
    port: number,
    opts: ChoiceOptions = {},
  ): Result<Endpoint & { trace?: TraceEvent[] }> {
    const t = this.target(sock, addr, port, 'R30');
    if ('ok' in t) return t;
    const { s, a } = t;
    const chooser = this.chooser(opts);
    const r = (s.proto === 'udp' ? bindUdp : bindTcp)(this.core, s, a, port, chooser.pick);
    if ('ok' in r) return withTrace(r, chooser.trace);
    return { ok: true, addr: s.laddr.text, port: r.port, ...traced(chooser.trace) };
  }

  listen(sock: SockId, opts: ChoiceOptions = {}): Result<Endpoint & { trace?: TraceEvent[] }> {
    const s = this.core.socket(sock);
    if (!s?.userOpen) return badf(sock);
    if (s.proto === 'udp') return notStream();
    const chooser = this.chooser(opts);
    const r = listenTcp(this.core, s, chooser.pick);
    if ('ok' in r) return withTrace(r, chooser.trace);
    return { ok: true, addr: s.laddr.text, port: r.port, ...traced(chooser.trace) };
  }

  connect(
    sock: SockId,
    addr: string,
    port: number,
    opts?: ChoiceOptions,
  ): Result<Endpoint & { trace?: TraceEvent[] }> {
    const s = this.core.socket(sock);
    if (!s?.userOpen) return badf(sock);
    const a = this.core.addrs.parse(addr);
    if (!a) return fail('EINVAL', 'R10', `not an IP address: ${addr}`);
    if (!validPort(port)) return fail('EINVAL', 'R10', `port out of range: ${port}`);
    if (s.proto === 'udp') return this.udpCall(s, connectUdp, a, port, opts);
    if (!opts || (opts.follow === undefined && !opts.trace)) {
      // The common case, kept free of extra allocations: connect() is what benchmarks hammer.
      const r = connectTcp(this.core, s, a, port);
      return 'ok' in r ? r : { ok: true, addr: r.laddr.text, port: r.lport };
    }
    const chooser = this.chooser(opts);
    const r = connectTcp(
      this.core,
      s,
      a,
      port,
      chooser.pick && ((plan) => chooser.pick?.(plan.phases) ?? null),
    );
    if ('ok' in r) return withTrace(r, chooser.trace);
    return { ok: true, addr: r.laddr.text, port: r.lport, ...traced(chooser.trace) };
  }

  accept(sock: SockId): Result<{ sock: SockId; peer: Endpoint }> {
    const s = this.core.socket(sock);
    if (!s?.userOpen) return badf(sock);
    if (s.proto === 'udp') return notStream();
    const r = acceptTcp(this.core, s);
    if ('ok' in r) return r;
    const c = r.child;
    const peer = c.raddr ? { addr: c.raddr, port: c.rport } : this.core.formerPeers.get(c);
    return { ok: true, sock: c.id, peer: { addr: peer?.addr.text ?? '', port: peer?.port ?? 0 } };
  }

  close(sock: SockId, opts: { rst?: boolean } = {}): Result {
    const s = this.core.socket(sock);
    if (!s?.userOpen) return badf(sock);
    if (s.proto === 'udp') closeUdp(this.core, s);
    else closeTcp(this.core, s, opts.rst === true);
    return { ok: true };
  }

  /**
   * The remote peer (a host outside this namespace) sent its FIN first: the socket moves to
   * CLOSE_WAIT, so its close() leaves no TIME_WAIT (R60). Or the peer reset the connection
   * (`rst`): the 4-tuple is free at once and a port the kernel chose goes back (R61). Adapters
   * that mirror real sockets (the connector) report what the kernel told them. A connection to a
   * peer inside this namespace is closed through that peer's own socket instead (EINVAL here).
   */
  remotePeerClosed(sock: SockId, opts: { rst?: boolean } = {}): Result {
    const s = this.core.socket(sock);
    if (!s?.userOpen) return badf(sock);
    if (s.proto !== 'tcp' || (s.state !== 'ESTABLISHED' && s.state !== 'CLOSE_WAIT'))
      return fail('ENOTCONN', 'R60', `socket #${sock} is not a connected TCP socket`);
    if (s.peer || s.peerEntry)
      return fail('EINVAL', 'R60', `socket #${sock} is connected inside this namespace: close its peer`);
    if (opts.rst === true) this.core.resetByPeer(s);
    else s.state = 'CLOSE_WAIT';
    return { ok: true };
  }

  /**
   * sendto(): one datagram to addr:port. A UDP socket without a port autobinds first (R90; EAGAIN
   * when none is free, R93). On TCP the address is ignored: a connected socket sends, any other
   * gets EPIPE.
   */
  sendto(
    sock: SockId,
    addr: string,
    port: number,
    opts: ChoiceOptions = {},
  ): Result<Endpoint & { trace?: TraceEvent[] }> {
    const t = this.target(sock, addr, port, 'R94');
    if ('ok' in t) return t;
    const { s, a } = t;
    if (s.proto === 'udp') return this.udpCall(s, sendtoUdp, a, port, opts);
    if (s.state !== 'ESTABLISHED' && s.state !== 'CLOSE_WAIT')
      return fail('EPIPE', 'R94', 'a TCP socket sends only once connected');
    return { ok: true, addr: s.laddr.text, port: s.namePort };
  }

  /**
   * connect(AF_UNSPEC): a UDP socket forgets its peer and gives back an unfixed port and address
   * (R94); a TCP socket resets its connection or stops listening (tcp-disconnect.ts).
   */
  disconnect(sock: SockId): Result {
    const s = this.core.socket(sock);
    if (!s?.userOpen) return badf(sock);
    if (s.proto === 'udp') disconnectUdp(this.core, s);
    else disconnectTcp(this.core, s);
    return { ok: true };
  }

  /**
   * Sends one TCP connection (SYN) or UDP datagram from `from` (a local address and a port no
   * socket holds) to `to`, and says which socket receives it (R80-R82). The probe leaves no
   * trace (the kernel backend accepts and resets it); a connected UDP receiver gains the CPU point
   * (delivery.ts). `follow` names the member the kernel picked; it must be eligible.
   */
  deliver(
    proto: 'tcp' | 'udp',
    from: Endpoint,
    to: Endpoint,
    opts: { follow?: SockId } = {},
  ): Result<DeliveryResult> {
    const sa = this.core.addrs.parse(from.addr);
    const da = this.core.addrs.parse(to.addr);
    if (!sa || !da || !validPort(from.port) || !validPort(to.port) || from.port === 0)
      return fail('EINVAL', 'R80', 'deliver needs two addresses with ports (the source port not 0)');
    if ((sa.family === 4 || sa.mapped) !== (da.family === 4 || da.mapped))
      return fail('EINVAL', 'R80', 'source and destination of a delivery must be of one family');
    if (!this.core.isLocal(sa))
      return fail('EADDRNOTAVAIL', 'R7', `${sa.text} is not an address of this namespace`);
    const blocked = probeBlocked(this.core, proto, sa, from.port);
    if (blocked) return blocked;
    const flow = { proto, saddr: sa, sport: from.port, daddr: da, dport: to.port };
    const d = this.core.isLocalDest(da) ? findReceiver(this.core, flow) : null;
    if (!d)
      return fail(
        'ECONNREFUSED',
        'R80',
        `no ${proto.toUpperCase()} socket receives at ${to.addr}:${to.port}`,
      );
    const eligible = d.eligible.map((e) => e.id);
    let sock = d.chosen.id;
    if (opts.follow !== undefined) {
      if (!eligible.includes(opts.follow))
        throw new RangeError(
          `deliver follow: socket #${opts.follow} is not among the eligible ${eligible.join(',')}`,
        );
      sock = opts.follow;
    }
    const receiver = this.core.socket(sock);
    if (receiver) noteUdpReceived(this.core, receiver);
    return { ok: true, sock, eligible, epoch: d.epoch };
  }

  getsockname(sock: SockId): Result<Endpoint> {
    const s = this.core.socket(sock);
    if (!s?.userOpen) return badf(sock);
    return { ok: true, addr: s.laddr.text, port: s.namePort };
  }

  /**
   * Every result the real kernel could give for this call now, whatever its secret hash and
   * random draws; null when the call makes no random choice (its result is determined).
   */
  outcomes(sock: SockId, call: ChoiceCall): Outcomes | null {
    const phases = this.phasesFor(sock, call);
    return phases ? outcomes(phases) : null;
  }

  /** Does this call make a random choice now (bind(0), listen autobind, connect autoselection)? */
  makesChoice(sock: SockId, call: ChoiceCall): boolean {
    return this.phasesFor(sock, call) !== null;
  }

  /**
   * Could the kernel produce `result` (a port, or 'fail') for this random call now? The same
   * answer as `outcomes(...)`, without listing every port (cheap on full-size ranges).
   */
  isPossible(sock: SockId, call: ChoiceCall, result: number | 'fail'): boolean {
    const phases = this.phasesFor(sock, call);
    return phases !== null && isOutcome(phases, result);
  }

  /** Rebuilds every index from the flat lists and reports each difference (empty = consistent). */
  checkInvariants(): string[] {
    return checkInvariants(this.core);
  }

  /** A typed, read-only picture of the state, per socket, TIME_WAIT entry and port (inspect.ts). */
  inspect(): NetnsView {
    return inspectCore(this.core);
  }

  /**
   * How many more connect()s from `source` to `destination` can succeed now (R14): the range's
   * ports minus reserved (R2), bind-owned (R12, R23) and those whose 4-tuple is held, where a
   * TIME_WAIT entry R62 lets go counts as free (headroom.ts).
   */
  headroom(source: string, destination: Endpoint): Result<Headroom> {
    return headroomOf(this.core, source, destination);
  }

  /**
   * Ports held from `source` towards `destination`:`port` (R14): its live 4-tuples plus its
   * TIME_WAIT entries (R60). 0 when either is not an IP address. What a capacity planner counts.
   */
  heldTowards(source: string, destination: string, port: number): number {
    const s = this.core.addrs.parse(source);
    const d = this.core.addrs.parse(destination);
    const slot = s && d ? this.core.ports.tuples.get(s, d, port) : undefined;
    return slot ? slot.live.size + slot.tw.size : 0;
  }

  /** TIME_WAIT entries in the namespace now (R60; tcp_max_tw_buckets caps them, R6). */
  get timeWaitCount(): number {
    return this.core.timewaits.size;
  }

  /**
   * An owner that clears SO_REUSEADDR after taking its port: the kernel then re-reads the owners'
   * option, so the bucket's summary no longer vouches for sharing (R38). Found by the random
   * differential run: RA cleared on a bound socket, then an RA bind of its port is EADDRINUSE.
   */
  private forgetFastFlags(s: Socket): void {
    const b = s.proto === 'tcp' && s.lport !== 0 ? this.core.ports.bucket(s.lport) : undefined;
    if (b && b.ra === 1) this.core.ports.setFlags(b, 0, b.rp);
  }

  private phasesFor(sock: SockId, call: ChoiceCall): Phase[] | null {
    const s = this.core.socket(sock);
    if (!s?.userOpen) return null;
    if (s.proto === 'udp') return this.udpPhases(s, call);
    if (call.op === 'sendto') return null;
    if (call.op === 'connect') {
      const a = this.core.addrs.parse(call.addr);
      if (!a) return null;
      const plan = planConnect(this.core, s, a, call.port);
      return 'kind' in plan && plan.kind === 'auto' ? plan.phases : null;
    }
    if (call.op === 'listen') {
      if (s.state !== 'CLOSE' || s.raddr || s.wasReset || s.lport !== 0) return null;
      return autobindPhases(this.core, viewAs(s, s.laddr, s.v6only, true), s.lpr);
    }
    const a = this.core.addrs.parse(call.addr);
    if (!a) return null;
    const plan = planBind(this.core, s, a, call.port);
    return 'kind' in plan && plan.kind === 'auto' ? autobindPhases(this.core, plan.view, s.lpr) : null;
  }

  /** The open socket and the parsed address of a call that names ADDR:PORT. */
  private target(sock: SockId, addr: string, port: number, rule: RuleId): Failure | { s: Socket; a: Addr } {
    const s = this.core.socket(sock);
    if (!s?.userOpen) return badf(sock);
    const a = this.core.addrs.parse(addr);
    if (!a) return fail('EINVAL', rule, `not an IP address: ${addr}`);
    if (!validPort(port)) return fail('EINVAL', rule, `port out of range: ${port}`);
    return { s, a };
  }

  /** R90: bind(0), and connect()/sendto() on a socket without a port, search; nothing else does. */
  private udpPhases(s: Socket, call: ChoiceCall): Phase[] | null {
    if (call.op === 'listen') return null;
    if (call.op === 'bind') {
      const a = this.core.addrs.parse(call.addr);
      if (!a || call.port !== 0 || s.noPort) return null;
      const args = checkBindArgs(this.core, s, a, 0);
      return 'ok' in args ? null : udpAutobindPhases(this.core, udpView(s, a, args.v6only), s.lpr);
    }
    if (s.lport !== 0 || !this.core.addrs.parse(call.addr) || !validPort(call.port)) return null;
    return udpAutobindPhases(this.core, udpView(s), s.lpr);
  }

  private udpCall(
    s: Socket,
    op: (
      core: Core,
      s: Socket,
      a: Addr,
      port: number,
      pick?: (phases: Phase[]) => Found | null,
    ) => Failure | null,
    a: Addr,
    port: number,
    opts: ChoiceOptions | undefined,
  ): Result<Endpoint & { trace?: TraceEvent[] }> {
    const chooser = this.chooser(opts ?? {});
    const f = op(this.core, s, a, port, chooser.pick);
    if (f) return withTrace(f, chooser.trace);
    return { ok: true, addr: s.laddr.text, port: s.namePort, ...traced(chooser.trace) };
  }

  private chooser(opts: ChoiceOptions): { pick?: (phases: Phase[]) => Found | null; trace?: TraceEvent[] } {
    if (opts.follow !== undefined) {
      const followed = opts.follow;
      return {
        pick: (phases) => {
          if (!isOutcome(phases, followed)) throw new NotAnOutcomeError(followed, outcomes(phases));
          if (followed === 'fail') return null;
          return { port: followed, phase: 0, pass: 0, i: 0, offset: 0 };
        },
      };
    }
    if (opts.trace) {
      const trace: TraceEvent[] = [];
      return {
        trace,
        pick: (phases) => {
          const r = walk(phases, describeOwner);
          trace.push(...r.trace);
          return r.found;
        },
      };
    }
    return {};
  }
}

const cores = new WeakMap<Netns, Core>();

/** The state behind a Netns, for the model's own tests (not exported from the package). */
export function coreOf(ns: Netns): Core {
  const c = cores.get(ns);
  if (!c) throw new Error('not a Netns');
  return c;
}

function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 0 && p <= 65535;
}

function notStream(): Failure {
  return fail('EOPNOTSUPP', 'R94', 'listen() and accept() are for TCP sockets; this one is UDP');
}

function badf(sock: SockId): Failure {
  return fail('EBADF', 'D2', `no open socket #${sock}`);
}

function traced(trace: TraceEvent[] | undefined): { trace?: TraceEvent[] } {
  return trace ? { trace } : {};
}

function withTrace(f: Failure, trace: TraceEvent[] | undefined): Failure & { trace?: TraceEvent[] } {
  return trace ? { ...f, trace } : f;
}
