/**
 * Netns: one virtual network namespace, the model's public face. Calls look like the socket API
 * and return values, never throw for anything the kernel would answer with an errno.
 *
 * The class is a thin facade: each method hands its namespace's state (Core) to the module that
 * does the work (socket-calls.ts, sockopt-calls.ts, namespace-config.ts, deliver-call.ts,
 * call-phases.ts, inspect.ts, held-towards.ts). Where the kernel chooses at random (bind(0), listen()
 * autobind, connect() autoselection), ChoiceOptions say who decides: see choice.ts.
 */

import type { Endpoint, SocketKind, SockOpt } from '../calls/index.js';
import { phasesFor } from './call-phases.js';
import type { ChoiceCall, ChoiceOptions } from './choice.js';
import { Core } from './core.js';
import { type DeliveryResult, deliverCall } from './deliver-call.js';
import type { SockId } from './entities.js';
import { type HostEntropy, seededHost } from './entropy.js';
import { type Headroom, headroomOf } from './headroom.js';
import { heldTowards } from './held-towards.js';
import { inspectCore, type NetnsView } from './inspect.js';
import { checkInvariants } from './invariants.js';
import {
  addAddressCall,
  addLocalRouteCall,
  advanceTime,
  getSysctl,
  setSysctl,
  setUidOf,
} from './namespace-config.js';
import type { Profile } from './profile.js';
import type { Result, RuleId } from './result.js';
import { isOutcome, type Outcomes, outcomes, type TraceEvent } from './search.js';
import {
  acceptCall,
  bindCall,
  closeCall,
  connectCall,
  disconnectCall,
  getsocknameCall,
  listenCall,
  remotePeerClosedCall,
  sendtoCall,
} from './socket-calls.js';
import type { OptValue, ReadableOpt } from './sockopt.js';
import { getsockoptCall, setsockoptCall } from './sockopt-calls.js';
import { applySysctlSettings, type SysctlSettings } from './sysctl-settings.js';

export { type ChoiceCall, type ChoiceOptions, NotAnOutcomeError } from './choice.js';
export type { DeliveryResult } from './deliver-call.js';
export type { NetnsView } from './inspect.js';
/** The model's API speaks the call vocabulary's socket kinds, options and endpoints. */
export type { Endpoint, SocketKind, SockOpt };

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

export class Netns {
  private readonly core: Core;

  constructor(opts: NetnsOptions = {}) {
    this.core = new Core(opts.host ?? seededHost(opts.seed ?? 1), opts.profile);
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
    advanceTime(this.begun(), ms);
  }

  sysctl(name: string, value: string): Result {
    return this.ended(setSysctl(this.begun(), name, value));
  }

  readSysctl(name: string): Result<{ value: string }> {
    return this.ended(getSysctl(this.begun(), name));
  }

  /** Adds a local address (`10.0.0.1/24`): it becomes local, the rest of its prefix is remote hosts that accept. */
  addAddress(cidr: string): Result {
    return this.ended(addAddressCall(this.begun(), cidr));
  }

  /**
   * Adds a local route (`ip route add local PREFIX dev lo [src SRC]`): every address of the
   * prefix is this host, and SRC is the source connect() takes towards it (local-routes.ts).
   */
  addLocalRoute(cidr: string, src?: string): Result {
    return this.ended(addLocalRouteCall(this.begun(), cidr, src));
  }

  /** The effective uid of the following calls (socket ownership, privileged ports). */
  setUid(uid: number): void {
    setUidOf(this.begun(), uid);
  }

  socket(kind: SocketKind): Result<{ sock: SockId }> {
    const udp = kind === 'udp4' || kind === 'udp6';
    const s = this.begun().newSocket(udp ? 'udp' : 'tcp', kind === 'tcp4' || kind === 'udp4' ? 4 : 6);
    if (s.family === 6) this.core.rules.add('R36'); // v6only starts as net.ipv6.bindv6only says
    return { ok: true, sock: s.id };
  }

  /**
   * setsockopt(). With `optlen` the option buffer has that many bytes (the value's little-endian
   * bytes, cut or zero-padded): see sockopt.ts for what the kernel reads from it.
   */
  setsockopt(sock: SockId, opt: SockOpt, value: number | readonly [number, number], optlen?: number): Result {
    return this.ended(setsockoptCall(this.begun(), sock, opt, value, optlen));
  }

  /** getsockopt() of an option the model keeps (sockopt.ts); IP_LOCAL_PORT_RANGE as [lo, hi]. */
  getsockopt(sock: SockId, opt: ReadableOpt): Result<{ value: OptValue }> {
    return this.ended(getsockoptCall(this.begun(), sock, opt));
  }

  bind(
    sock: SockId,
    addr: string,
    port: number,
    opts: ChoiceOptions = {},
  ): Result<Endpoint & { trace?: TraceEvent[] }> {
    return this.ended(bindCall(this.begun(), sock, addr, port, opts));
  }

  listen(sock: SockId, opts: ChoiceOptions = {}): Result<Endpoint & { trace?: TraceEvent[] }> {
    return this.ended(listenCall(this.begun(), sock, opts));
  }

  connect(
    sock: SockId,
    addr: string,
    port: number,
    opts?: ChoiceOptions,
  ): Result<Endpoint & { trace?: TraceEvent[] }> {
    // ended() inlined: its `ok` load would see every call's result shape, and connect() is hot.
    const r = connectCall(this.begun(), sock, addr, port, opts);
    if (!r.ok) this.core.rules.add(r.rule);
    return r;
  }

  accept(sock: SockId): Result<{ sock: SockId; peer: Endpoint }> {
    return this.ended(acceptCall(this.begun(), sock));
  }

  close(sock: SockId, opts: { rst?: boolean } = {}): Result {
    return this.ended(closeCall(this.begun(), sock, opts.rst === true));
  }

  /**
   * The remote peer (a host outside this namespace) sent its FIN first: the socket moves to
   * CLOSE_WAIT, so its close() leaves no TIME_WAIT (R60). Or the peer reset the connection
   * (`rst`): the 4-tuple is free at once and a port the kernel chose goes back (R61). Adapters
   * that mirror real sockets (the connector) report what the kernel told them. A connection to a
   * peer inside this namespace is closed through that peer's own socket instead (EINVAL here).
   */
  remotePeerClosed(sock: SockId, opts: { rst?: boolean } = {}): Result {
    return this.ended(remotePeerClosedCall(this.begun(), sock, opts.rst === true));
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
    return this.ended(sendtoCall(this.begun(), sock, addr, port, opts));
  }

  /**
   * connect(AF_UNSPEC): a UDP socket forgets its peer and gives back an unfixed port and address
   * (R94); a TCP socket resets its connection or stops listening (tcp-disconnect.ts).
   */
  disconnect(sock: SockId): Result {
    return this.ended(disconnectCall(this.begun(), sock));
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
    return this.ended(deliverCall(this.begun(), proto, from, to, opts.follow));
  }

  getsockname(sock: SockId): Result<Endpoint> {
    return this.ended(getsocknameCall(this.begun(), sock));
  }

  /**
   * Every result the real kernel could give for this call now, whatever its secret hash and
   * random draws; null when the call makes no random choice (its result is determined).
   */
  outcomes(sock: SockId, call: ChoiceCall): Outcomes | null {
    const phases = phasesFor(this.core, sock, call);
    return phases ? outcomes(phases) : null;
  }

  /** Does this call make a random choice now (bind(0), listen autobind, connect autoselection)? */
  makesChoice(sock: SockId, call: ChoiceCall): boolean {
    return phasesFor(this.core, sock, call) !== null;
  }

  /**
   * Could the kernel produce `result` (a port, or 'fail') for this random call now? The same
   * answer as `outcomes(...)`, without listing every port (cheap on full-size ranges).
   */
  isPossible(sock: SockId, call: ChoiceCall, result: number | 'fail'): boolean {
    const phases = phasesFor(this.core, sock, call);
    return phases !== null && isOutcome(phases, result);
  }

  /**
   * The spec rules that decided the last call (bind, connect, close, sysctl, ...), on success as
   * on failure (a failure's `rule` is among them); queries (outcomes, inspect, ...) leave it as
   * it was. The array is reused by the next call: copy it to keep it.
   */
  lastCallRules(): readonly RuleId[] {
    return this.core.rules.list();
  }

  /** Starts a call: the rule log forgets the previous one. */
  private begun(): Core {
    this.core.rules.clear();
    return this.core;
  }

  /** Ends a call: a failure's rule decided it. */
  private ended<R extends Result<object>>(r: R): R {
    if (!r.ok) this.core.rules.add(r.rule);
    return r;
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
    return heldTowards(this.core, source, destination, port);
  }

  /** TIME_WAIT entries in the namespace now (R60; tcp_max_tw_buckets caps them, R6). */
  get timeWaitCount(): number {
    return this.core.timewaits.size;
  }
}

/**
 * The state behind a Netns, for the model's own tests only (not exported from the package: the
 * architecture test keeps every other folder on model/index.ts). Reads the private field, so the
 * model keeps no table of namespaces (no module state).
 */
export function coreOf(ns: Netns): Core {
  if (!(ns instanceof Netns)) throw new Error('not a Netns');
  return (ns as unknown as { readonly core: Core }).core;
}
