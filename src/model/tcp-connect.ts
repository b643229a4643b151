/**
 * TCP connect(): source address (R10), port autoselection (R11-R15), connect from a bound port
 * (R20, R21, R63), IP_BIND_ADDRESS_NO_PORT (R22), and what happens at the other end: a local
 * listener gets a server-side socket, no listener means ECONNREFUSED (R61), and an address
 * outside this namespace is a remote host that accepts.
 */

import { type Addr, mapToV6, unmap } from './addr.js';
import type { Core } from './core.js';
import { effectiveRange } from './effective-range.js';
import type { Owner, Socket, TimeWait } from './entities.js';
import { advanceHint41, LINUX41_CONNECT_LABEL, linux41ConnectStart } from './linux41-search.js';
import { localSourceFor } from './local-routes.js';
import { nextClearInAll, type PortFinder } from './port-bitmap.js';
import { type Failure, fail } from './result.js';
import { roundedRemaining, type ScanWindow } from './scan-order.js';
import { chooseOneInto, type Found, type Phase, type PortJudge, type Skip, type Taken } from './search.js';
import { ownerRef } from './tcp-bind.js';
import { connectOnceListened } from './tcp-disconnect.js';
import { isConnectShareable, type TupleSlot } from './tcp-ports.js';
import { mayReuseTimeWait, type TimeWaitReuseMode, twReuseAllows } from './timewait-reuse.js';
import { wildcardDestination } from './wildcard-destination.js';

/** R62 twRecyclable: may this TIME_WAIT entry give its 4-tuple to a new connection now? */
export function twRecyclable(core: Core, e: TimeWait, mode: TimeWaitReuseMode): boolean {
  return mayReuseTimeWait(e, core.now, core.sysctl, mode);
}

/** Could any TIME_WAIT entry of this (src, dst) pair be recycled by autoselection now? (R62) */
function recyclingPossible(core: Core, src: Addr, dest: Addr): boolean {
  return twReuseAllows(core.sysctl.twReuse, src.loopback, dest.loopback);
}

/**
 * R11's single phase and R12's tryPort in one object: the search window and start offset, and
 * the per-port verdict (bind-owned buckets are skipped whatever their addresses; then the
 * 4-tuple). A class rather than closures: connect() is the hot path of every benchmark. A plain
 * connect() reuses the one kept in its 4-tuple slot (`reuse`) and takes the result in `port`
 * and `i`: no object is made per call. Plans handed out (planConnect) are always fresh.
 */
class ConnectSearch implements Phase, PortJudge, ScanWindow, ConnectPlanAuto, Taken {
  // Set by `reuse`, which the constructor runs: they depend on the socket and the sysctls.
  src!: Addr;
  dest!: Addr;
  remaining!: number;
  step!: 1 | 2;
  lo!: number;
  end!: number;
  private perSocket!: boolean;
  private recycle!: boolean;
  private finders!: PortFinder[];
  /** What the last chooseOneInto found: the port and its scan position. */
  port = -1;
  i = 0;

  constructor(
    private readonly core: Core,
    readonly slot: TupleSlot | undefined,
    src: Addr,
    dest: Addr,
    readonly dport: number,
    readonly idx: number,
    readonly base: number,
    perSocket: boolean,
    lo: number,
    end: number,
    /** linux-4.1 profile: start from the one global hint (step 1, no parity; spec section 10). */
    readonly legacyHint = false,
  ) {
    this.reuse(src, dest, perSocket, lo, end);
  }

  /**
   * Readies the search for a new call on the same triple. src and dest are given again: an IPv4
   * socket and an IPv6 one through v4-mapped addresses share the triple's slot (and hash).
   */
  reuse(src: Addr, dest: Addr, perSocket: boolean, lo: number, end: number): this {
    this.src = src;
    this.dest = dest;
    this.perSocket = perSocket;
    this.lo = lo;
    this.end = end;
    this.step = perSocket ? 1 : 2;
    this.remaining = roundedRemaining(lo, end, !perSocket);
    const ports = this.core.ports;
    const slot = this.slot;
    this.recycle = recyclingPossible(this.core, src, dest);
    // The finder lists depend only on long-lived sets, so they are built once and kept.
    if (!slot) this.finders = ports.baseFinders;
    else if (this.recycle)
      this.finders = slot.findersRecycling ??= [ports.reserved, ports.bindOwned, slot.live];
    else this.finders = slot.finders ??= [ports.reserved, ports.bindOwned, slot.live, slot.tw];
    return this;
  }

  get kind(): 'auto' {
    return 'auto';
  }

  // The search is its own plan, phase, judge and window: one object per connect, not five.
  get judge(): PortJudge {
    return this;
  }

  get window(): ScanWindow {
    return this;
  }

  get search(): ConnectSearch {
    return this;
  }

  get phases(): Phase[] {
    return [this];
  }

  get label(): string {
    if (this.legacyHint) return LINUX41_CONNECT_LABEL;
    return this.perSocket
      ? 'connect() search, IP_LOCAL_PORT_RANGE: step 1'
      : 'connect() search: parity of the low end first';
  }

  draw(): number {
    if (this.legacyHint) return linux41ConnectStart(this.core.hint41, this.base, this.remaining);
    const offset = ((this.core.host.perturb.get(this.idx) + this.base) >>> 0) % this.remaining;
    return this.perSocket ? offset : offset & ~1;
  }

  *offsets(): Iterable<number> {
    for (let o = 0; o < this.remaining; o += this.perSocket ? 1 : 2) yield o;
  }

  get passDelta(): number {
    return this.perSocket || this.remaining <= 1 ? 0 : 1;
  }

  /** The TIME_WAIT entry holding this port's 4-tuple, if any. */
  timeWaitAt(port: number): TimeWait | undefined {
    return this.slot?.tw.get(port) as TimeWait | undefined;
  }

  first(from: number, to: number, step: 1 | 2): number {
    let p = from;
    while (p <= to) {
      const q = nextClearInAll(this.finders, p, to, step);
      if (q < 0 || !this.recycle) return q;
      const tw = this.timeWaitAt(q);
      if (!tw || twRecyclable(this.core, tw, 'AUTOSELECT')) return q;
      p = q + step;
    }
    return -1;
  }

  verdict(port: number): Skip | null {
    const core = this.core;
    if (core.sysctl.reserved.has(port)) return { reason: 'reserved', rule: 'R2', by: null };
    const b = core.ports.bucket(port);
    if (!b) return null;
    if (!isConnectShareable(b))
      return { reason: 'bind-owned', rule: 'R12', by: firstNonConnectBound(b.owners) };
    const e = this.slot?.live.get(port) ?? this.slot?.tw.get(port);
    if (!e) return null;
    if (e.kind === 'socket') return { reason: '4-tuple', rule: 'R14', by: e };
    if (twRecyclable(core, e, 'AUTOSELECT')) return null;
    const young =
      this.recycle &&
      e.hasPeerTs &&
      e.substate === 'TIME_WAIT' &&
      core.now <= e.entryMs + core.sysctl.twReuseDelayMs;
    return { reason: young ? 'time-wait-too-young' : '4-tuple', rule: 'R62', by: e };
  }
}

function firstNonConnectBound(owners: Iterable<Owner>): Owner | null {
  let any: Owner | null = null;
  for (const o of owners) {
    if (!o.connectBound) return o;
    any ??= o;
  }
  return any;
}

export interface ConnectPlanAuto {
  readonly kind: 'auto';
  readonly src: Addr;
  readonly dest: Addr;
  readonly dport: number;
  readonly phases: Phase[];
  readonly search: ConnectSearch;
  /** R13: the perturbation slot, the hash's base, and the increment step used when a port is found. */
  readonly idx: number;
  readonly base: number;
  readonly step: 1 | 2;
}

export interface ConnectPlanBound {
  readonly kind: 'bound';
  readonly src: Addr;
  readonly dest: Addr;
  readonly dport: number;
}

/** Everything connect() decides before it changes anything: errors, source address, search. Pure. */
export function planConnect(
  core: Core,
  s: Socket,
  target: Addr,
  dport: number,
): Failure | ConnectPlanAuto | ConnectPlanBound {
  return planConnectWith(core, s, target, dport, false);
}

/** planConnect; with `reuse`, an auto plan may be the triple's kept search, readied again. */
function planConnectWith(
  core: Core,
  s: Socket,
  target: Addr,
  dport: number,
  reuse: boolean,
): Failure | ConnectPlanAuto | ConnectPlanBound {
  if (s.family === 4 && target.family === 6)
    return fail('EAFNOSUPPORT', 'R10', 'an IPv4 socket cannot connect to an IPv6 address');
  if (s.family === 6 && target.family === 4)
    return fail('EINVAL', 'R10', 'an IPv6 socket needs an IPv6 (or v4-mapped) address');
  if (s.state !== 'CLOSE' || s.raddr || s.wasReset)
    return fail('EISCONN', 'R10', 'the socket is listening or already connected');
  // R53: port 0 is not refused here: the kernel chooses a source port, sends the SYN and gets a
  // reset (see establish). A once-listening socket answers EINVAL after the route lookup, port 0
  // or not (tcp-disconnect.ts).
  // Connecting to the wildcard means this host.
  const dest = wildcardDestination(s, target);
  const v4path = s.family === 4 || dest.mapped;
  if (s.family === 6 && dest.mapped && s.v6only)
    return fail('ENETUNREACH', 'R10', 'an IPV6_V6ONLY socket cannot reach an IPv4 address');
  if (s.family === 6 && !dest.mapped && s.laddr.mapped) {
    return fail('EAFNOSUPPORT', 'R10', 'a socket bound to a v4-mapped address can only reach IPv4');
  }
  let src = s.laddr;
  // An IPv4 source bound with ip_nonlocal_bind that is not (yet) an address here has no route.
  if (v4path && !src.wildcard && src.v4 > 0 && !core.isLocal(unmap(src)))
    return fail('ENETUNREACH', 'R10', `the bound source ${src.text} is not an address of this namespace`);
  // No route at all: ENETUNREACH whatever the source (measured with bound loopback and wildcard
  // sources, IPv4 and IPv6, TCP and UDP; experiments/exp_routes_freebind.py, issue 10).
  if (!src.wildcard && !(src.mapped && src.v4 === 0) && sourceFor(core, v4path ? unmap(dest) : dest) === null)
    return fail('ENETUNREACH', 'R10', `no route to ${dest.text}`);
  if (src.wildcard || (src.mapped && src.v4 === 0)) {
    const chosen = sourceFor(core, v4path ? unmap(dest) : dest);
    if (!chosen)
      return fail(
        'ENETUNREACH',
        'R10',
        `no route to ${dest.text}: add a local address whose prefix covers it`,
      );
    src = s.family === 6 && v4path ? mapToV6(chosen) : chosen;
  }
  const once = connectOnceListened(s);
  if (once) return once;
  // A loopback source can't leave through another device: IPv4 refuses the route at once
  // (EINVAL, before any port is chosen); IPv6 sends the SYN and it is dropped (see establish).
  if (v4path && src.loopback && !core.isLocalDest(unmap(dest))) {
    return fail('EINVAL', 'R10', `a loopback source (${src.text}) cannot reach ${dest.text}`);
  }
  if (s.lport !== 0) return { kind: 'bound', src, dest, dport };
  // D7: the namespace range unless IP_LOCAL_PORT_RANGE narrows it (no object on the common path).
  let lo = core.sysctl.portRange[0];
  let hi = core.sysctl.portRange[1];
  if (s.lpr !== 0) ({ lo, hi } = effectiveRange(s, core.sysctl));
  // The hash depends on the triple only: cached in its 4-tuple slot once the triple is in use.
  const slot = core.ports.tuples.get(src, dest, dport);
  const legacy = core.profile === 'linux-4.1';
  const perSocket = legacy || s.lpr !== 0;
  let idx: number;
  let base: number;
  if (slot && slot.idx >= 0) {
    if (reuse && slot.search instanceof ConnectSearch)
      return slot.search.reuse(src, dest, perSocket, lo, hi + 1);
    idx = slot.idx;
    base = slot.base;
  } else ({ idx, base } = core.host.hash.portOffset(unmap(src), unmap(dest), dport));
  const search = new ConnectSearch(core, slot, src, dest, dport, idx, base, perSocket, lo, hi + 1, legacy);
  if (reuse && slot && slot.idx >= 0) slot.search = search;
  return search;
}

/** R10: the route's preferred source for a destination (IPv4 view for v4-mapped). */
export function sourceFor(core: Core, dest: Addr): Addr | null {
  // The local table first (addresses, 127.0.0.0/8, local routes with their src), then the prefixes.
  const local = localSourceFor(core, dest);
  if (local !== undefined) return local;
  return core.routeFor(dest)?.addr ?? null;
}

/** The listener a connection to dest:dport reaches: exact address first, then wildcard (R80). */
function findListener(core: Core, dest: Addr, dport: number, v4: boolean): Socket | null {
  const set = core.listeners.get(dport);
  if (!set) return null;
  let best: Socket | null = null;
  let bestScore = -1;
  for (const l of set) {
    let score = -1;
    if (v4) {
      if (l.family === 4) score = l.laddr.wildcard ? 2 : l.laddr.v4 === unmap(dest).v4 ? 4 : -1;
      else if (!l.v6only) {
        // [::ffff:0.0.0.0] listens on every IPv4 address, like 0.0.0.0.
        if (l.laddr.wildcard || (l.laddr.mapped && l.laddr.v4 === 0)) score = 1;
        else score = l.laddr.mapped && l.laddr.v4 === unmap(dest).v4 ? 3 : -1;
      }
    } else if (l.family === 6 && !l.laddr.mapped) {
      score = l.laddr.wildcard ? 1 : l.laddr === dest ? 3 : -1;
    }
    if (score > bestScore) {
      best = l;
      bestScore = score;
    }
  }
  return best;
}

/** An address as a socket of `family` sees it: IPv4 connections appear v4-mapped on IPv6 sockets. */
function inFamily(a: Addr, family: 4 | 6, v4: boolean): Addr {
  if (family === 4) return unmap(a);
  return v4 ? mapToV6(unmap(a)) : a;
}

/**
 * A connect() that fails with EADDRNOTAVAIL has already set the source address the route chose.
 * A socket whose address bind() fixed keeps it: the one case where that address was a wildcard
 * is an IPv6 socket bound to [::ffff:0.0.0.0], which is not the IPv6 wildcard, so bind() fixed
 * it (measured: getsockname then shows [::ffff:127.0.0.1], with or without a port; R21). An
 * unfixed address is reset, as for a refused connect.
 */
function keepLockedSource(core: Core, s: Socket, src: Addr): void {
  if (!s.addrLocked || src === s.laddr) return;
  if (s.lport === 0) s.laddr = src;
  else core.ports.moveAddress(s, s.lport, s.laddr, () => Object.assign(s, { laddr: src }));
}

export type ConnectPicker = (plan: ConnectPlanAuto) => Found | null;

export function connectTcp(
  core: Core,
  s: Socket,
  target: Addr,
  dport: number,
  pick?: ConnectPicker,
): Failure | Socket {
  const plan = planConnectWith(core, s, target, dport, pick === undefined);
  if ('ok' in plan) return plan;
  const { src, dest } = plan;
  const hadPort = s.lport !== 0;
  const oldAddr = s.laddr;
  if (plan.kind === 'bound') {
    // R20/R63: only the 4-tuple is checked; a TIME_WAIT holding it is recycled if it has timestamps.
    const e = core.ports.tupleOwner(src, s.lport, dest, dport);
    if (e) {
      if (e.kind === 'timewait' && twRecyclable(core, e, 'BOUND')) core.removeTimeWait(e);
      else {
        keepLockedSource(core, s, src);
        return fail(
          'EADDRNOTAVAIL',
          e.kind === 'timewait' ? 'R63' : 'R20',
          `the 4-tuple ${src.text}:${s.lport} -> ${dest.text}:${dport} is in use`,
          [ownerRef(e)],
        );
      }
    }
    // R21: a wildcard-bound socket moves to the sub-bucket of its new source address.
    if (src !== s.laddr) core.ports.moveAddress(s, s.lport, s.laddr, () => Object.assign(s, { laddr: src }));
  } else {
    const search = plan.search;
    const found: Taken | null = pick ? pick(plan) : chooseOneInto(search, search) ? search : null;
    if (!found) {
      keepLockedSource(core, s, src);
      return fail(
        'EADDRNOTAVAIL',
        'R14',
        `every port of the range is in use towards ${dest.text}:${dport} (or held by bind())`,
      );
    }
    // R13 finish: move the perturbation slot on, take the port as connect-bound, recycle a TW entry.
    if (plan.search.legacyHint) advanceHint41(core, found.i);
    else {
      const r = core.host.entropy.below(8);
      core.host.perturb.add(plan.idx, Math.max(found.i, r * plan.step) + plan.step);
    }
    const tw = plan.search.timeWaitAt(found.port);
    if (tw) core.removeTimeWait(tw);
    s.laddr = src;
    s.lport = found.port;
    s.namePort = found.port;
    s.connectBound = true;
    core.ports.joinConnectBound(s, found.port);
  }
  const slot = establish(
    core,
    s,
    dest,
    dport,
    hadPort,
    oldAddr,
    plan.kind === 'auto' ? plan.search.slot : undefined,
  );
  if ('ok' in slot) return slot;
  if (plan.kind === 'auto' && slot.idx < 0) {
    slot.idx = plan.idx;
    slot.base = plan.base;
  }
  return s;
}

function establish(
  core: Core,
  s: Socket,
  dest: Addr,
  dport: number,
  hadPort: boolean,
  oldAddr: Addr,
  knownSlot: TupleSlot | undefined,
): Failure | TupleSlot {
  const v4 = s.family === 4 || dest.mapped;
  const destLocal = core.isLocalDest(dest);
  // A SYN to our own address and port meets this very socket: TCP simultaneous open, the
  // socket is connected to itself (and nothing is refused).
  const self = destLocal && dport === s.lport && dest.key === s.laddr.key;
  const listener = destLocal && !self ? findListener(core, dest, dport, v4) : null;
  // SYNs that go nowhere: an IPv6 loopback source towards another device, or an IPv6 socket
  // still wired for the IPv4 path (a connect through a v4-mapped address came first).
  // And an IPv6 source that is not this host's (bound with FREEBIND or ip_nonlocal_bind): the SYN
  // leaves, the answer has nowhere to go (measured: the connect times out; issue 10).
  const lost = !v4 && ((s.laddr.loopback && !destLocal) || s.viaV4 || !core.isLocalDest(s.laddr));
  if (s.family === 6 && v4) s.viaV4 = true;
  // R52: from here on a SYN has left; whatever comes of it, this socket will never listen.
  s.synSent = true;
  // R53: nothing listens on port 0, here or on a remote host: the SYN is answered with a reset.
  if (lost || dport === 0 || (destLocal && !self && !listener)) {
    // R61: a refused connect gives back a port the kernel chose (connect or bind(0)); an explicit
    // port stays. getsockname keeps showing the old port.
    const namePort = s.namePort;
    if (s.portLocked) {
      if (!s.addrLocked && s.laddr !== oldAddr)
        core.ports.moveAddress(s, s.lport, s.laddr, () => Object.assign(s, { laddr: oldAddr }));
    } else {
      core.releasePort(s);
      if (!s.addrLocked) s.laddr = oldAddr;
    }
    s.namePort = namePort;
    if (lost)
      return fail('ETIMEDOUT', 'R10', `no answer from ${dest.text}:${dport}: the SYN cannot be delivered`);
    return fail(
      'ECONNREFUSED',
      dport === 0 ? 'R53' : 'R61',
      `nothing listens on ${dest.text}:${dport}${hadPort ? '' : '; the chosen port was released'}`,
    );
  }
  s.raddr = dest;
  s.rport = dport;
  s.state = 'ESTABLISHED';
  s.peerTs = core.sysctl.timestamps !== 0;
  const slot = core.addTuple(s, knownSlot);
  if (!slot) throw new Error('model bug: a connected socket without a remote end');
  if (listener) {
    // The SYN may meet an older connection on the server side with the same 4-tuple: a
    // TIME_WAIT entry accepts a new SYN and dies; a live socket (say in CLOSE_WAIT after our
    // side closed) answers with an ACK our side resets, and the retransmitted SYN then reaches
    // the listener.
    const childLaddr = inFamily(dest, listener.family, v4);
    const childRaddr = inFamily(s.laddr, listener.family, v4);
    const old = core.ports.tupleOwner(childLaddr, listener.lport, childRaddr, s.lport);
    if (old?.kind === 'timewait') core.removeTimeWait(old);
    else if (old) core.resetByPeer(old);
    const child = core.newSocket('tcp', listener.family);
    child.uid = listener.uid;
    child.reuseAddr = listener.reuseAddr;
    child.reusePort = listener.reusePort;
    child.v6only = listener.v6only;
    // An accepted socket does not hold its port the way bind() does: reset by the peer, it gives
    // the port back (measured; test/scripts/regressions/model-bug-reset-child-keeps-port.pst).
    child.portLocked = false;
    child.addrLocked = true;
    child.laddr = childLaddr;
    child.lport = listener.lport;
    child.namePort = listener.lport;
    child.raddr = childRaddr;
    child.rport = s.lport;
    child.state = 'ESTABLISHED';
    child.peerTs = s.peerTs;
    child.peer = s;
    child.queuedOn = listener;
    child.userOpen = false;
    s.peer = child;
    // The child inherits the listener's port: it joins the bucket without a new bind check.
    const b = core.ports.join(child, child.lport);
    const sub = core.ports.sub(b, child.laddr);
    if (sub && sub.count === 1) {
      sub.ra = b.ra;
      sub.rp = b.rp;
    }
    core.addTuple(child);
    listener.acceptQueue.push(child);
  }
  return slot;
}
