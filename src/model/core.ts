/**
 * The state of one network namespace (spec D1) and the low-level moves every call is made of:
 * creating sockets, taking and giving back ports, replacing a closed socket by its TIME_WAIT
 * entry, resetting a peer, and letting time pass. Calls (bind, connect, ...) live in their own
 * files and use only these moves, so the indexes in TcpPorts stay consistent.
 */
import { type Addr, AddrTable, inPrefix, type Prefix } from './addr.js';
import { type Socket, type SockId, TcpSocket, type TimeWait, type TwSubstate } from './entities.js';
import type { HostEntropy } from './entropy.js';
import { type LocalRoute, localRouteFor } from './local-routes.js';
import { applyProfileDefaults, DEFAULT_PROFILE, type Profile } from './profile.js';
import { ReuseportGroups } from './reuseport-groups.js';
import { RuleLog } from './rule-log.js';
import { defaultSysctls, type Sysctls } from './sysctl.js';
import { TcpPorts } from './tcp-ports.js';
import { TimerHeap } from './timers.js';
import type { TupleSlot } from './tuple-table.js';
import { UdpPorts } from './udp-ports.js';

/**
 * Sockets by id. Ids are small integers and, like file descriptors, a closed socket's id is
 * handed out again; an array indexed by id is much cheaper than a Map on connect's hot path.
 */
export class SocketTable {
  private readonly slots: (Socket | undefined)[] = [undefined];
  private readonly free: SockId[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  nextId(): SockId {
    return this.free.pop() ?? (this.slots.length as SockId);
  }

  put(s: Socket): void {
    if (this.slots[s.id] !== undefined) throw new Error(`model bug: socket id ${s.id} in use`);
    if (s.id === this.slots.length) this.slots.push(s);
    else this.slots[s.id] = s;
    this.count++;
  }

  get(id: SockId): Socket | undefined {
    return this.slots[id];
  }

  remove(s: Socket): void {
    if (this.slots[s.id] !== s) return;
    this.slots[s.id] = undefined;
    this.free.push(s.id);
    this.count--;
  }

  *values(): IterableIterator<Socket> {
    for (const s of this.slots) if (s) yield s;
  }
}

/** R6: TIME_WAIT lasts a fixed 60 s. */
export const TIME_WAIT_MS = 60_000;

export class Core {
  /** This namespace's addresses, interned (sockets compare addresses by reference). */
  readonly addrs = new AddrTable();
  readonly sysctl: Sysctls = defaultSysctls();
  readonly ports = new TcpPorts();
  /** UDP's own port space (R95). */
  readonly udp = new UdpPorts();
  /** SO_REUSEPORT groups of TCP listeners and UDP sockets (R80). */
  readonly groups = new ReuseportGroups();
  /** The peer a reset socket had: accept() of a reset child still reports it (measured). */
  readonly formerPeers = new WeakMap<Socket, { readonly addr: Addr; readonly port: number }>();
  readonly sockets = new SocketTable();
  readonly timewaits = new Map<number, TimeWait>();
  /** Listening sockets by port, for finding the server side of a local connection. */
  readonly listeners = new Map<number, Set<Socket>>();
  /** Local addresses beyond loopback, in the order they were added. */
  readonly prefixes: Prefix[] = [];
  private readonly localAddrs = new Set<Addr>();
  /** Local routes (`route local PREFIX [src ADDR]`), in the order they were added (local-routes.ts). */
  readonly localRoutes: LocalRoute[] = [];
  /** Route lookups by destination, cleared when an address is added. */
  private readonly routes = new Map<Addr, Prefix | null>();
  readonly timers = new TimerHeap<TimeWait>();
  /** The rules that decided the current call (Netns.lastCallRules). */
  readonly rules = new RuleLog();
  now = 0;
  /** The effective uid of the caller (socket ownership R33, privileged ports R3). */
  uid = 0;
  private nextTwId = 1;
  /**
   * linux-4.1 only: connect()'s one global hint (spec section 10), advanced after each success.
   * The kernel's was shared by every namespace; the model keeps one per Netns.
   */
  hint41 = 0;

  constructor(
    readonly host: HostEntropy,
    readonly profile: Profile = DEFAULT_PROFILE,
  ) {
    applyProfileDefaults(this.sysctl, profile);
  }

  newSocket(proto: 'tcp' | 'udp', family: 4 | 6): Socket {
    const id = this.sockets.nextId();
    const s = new TcpSocket(id, proto, family, this.uid, family === 6 && this.sysctl.bindV6Only === 1);
    this.sockets.put(s);
    return s;
  }

  /**
   * Is `a` an address of this namespace as bind() sees it? 127.0.0.0/8 and ::1 always are (lo).
   * IPv4 counts every address of a local route too (AnyIP); IPv6 bind() does not (measured).
   */
  isLocal(a: Addr): boolean {
    if (a.family === 4 || a.mapped) {
      if (a.v4 >>> 24 === 127) return true;
      if (this.localRoutes.length > 0 && localRouteFor(this.localRoutes, a)) return true;
    } else if (a.loopback) return true;
    return this.localAddrs.has(a.canon);
  }

  /** Does a packet to `a` stay in this namespace (an address, or inside a local route; both families)? */
  isLocalDest(a: Addr): boolean {
    return this.isLocal(a) || (this.localRoutes.length > 0 && localRouteFor(this.localRoutes, a) !== null);
  }

  /** Was `a` added as an address (not loopback, not through a route)? */
  hasAddress(a: Addr): boolean {
    return this.localAddrs.has(a.canon);
  }

  addLocalRoute(r: LocalRoute): void {
    this.localRoutes.push(r);
  }

  addPrefix(p: Prefix): void {
    this.prefixes.push(p);
    this.localAddrs.add(p.addr.canon);
    this.routes.clear();
  }

  /** A directed or limited broadcast of a local IPv4 prefix (bindable for TCP, R7). */
  isBroadcast(a: Addr): boolean {
    if (a.v4 === 0xffffffff) return true;
    return this.prefixes.some((p) => {
      if (p.addr.family !== 4 || p.len >= 31) return false;
      const host = p.len === 0 ? 0xffffffff : (1 << (32 - p.len)) - 1;
      return (p.addr.v4 | host) >>> 0 === a.v4;
    });
  }

  /** The prefix that routes to a non-local destination (longest match), if any. */
  routeFor(dest: Addr): Prefix | null {
    const cached = this.routes.get(dest);
    if (cached !== undefined) return cached;
    let best: Prefix | null = null;
    for (const p of this.prefixes) {
      if ((p.addr.family === 4) !== (dest.family === 4 || dest.mapped)) continue;
      if (inPrefix(dest, p) && (!best || p.len > best.len)) best = p;
    }
    this.routes.set(dest, best);
    return best;
  }

  socket(id: SockId): Socket | undefined {
    return this.sockets.get(id);
  }

  /** Takes the socket's 4-tuple slot (D4). */
  /** `slot`, when the caller already holds the socket's 4-tuple slot, saves the lookup. */
  addTuple(s: Socket, slot?: TupleSlot): TupleSlot | null {
    return s.raddr ? this.ports.addTuple(s, s.raddr, s.rport, s.lport, slot) : null;
  }

  removeTuple(s: Socket): void {
    if (s.raddr && s.lport && this.ports.tupleOwner(s.laddr, s.lport, s.raddr, s.rport) === s) {
      this.ports.removeTuple(s, s.raddr, s.rport, s.lport);
    }
  }

  /** Gives the socket's port back (R15 runs inside). getsockname keeps showing it (R61 quirk). */
  releasePort(s: Socket): void {
    if (!s.lport) return;
    this.removeTuple(s);
    if (s.state === 'LISTEN') this.unlisten(s);
    this.releaseOwner(s, s.lport);
    s.lport = 0;
    s.connectBound = false;
  }

  /** Takes an owner off its port; R15 when the bucket becomes connect-shareable with owners left. */
  private releaseOwner(o: Socket | TimeWait, port: number): void {
    const wasBindOwned = this.ports.bindOwned.has(port);
    this.ports.release(o, port);
    if (wasBindOwned && !this.ports.bindOwned.has(port) && this.ports.bucket(port)) this.rules.add('R15');
  }

  listen(s: Socket): void {
    if (Object.isFrozen(s.acceptQueue)) s.acceptQueue = [];
    let set = this.listeners.get(s.lport);
    if (!set) {
      set = new Set();
      this.listeners.set(s.lport, set);
    }
    set.add(s);
    this.groups.join(s, set); // R80: a TCP socket joins its group at listen()
  }

  unlisten(s: Socket): void {
    this.groups.leave(s);
    const set = this.listeners.get(s.lport);
    set?.delete(s);
    if (set && set.size === 0) this.listeners.delete(s.lport);
  }

  /** The socket is gone from the user's view and the kernel's: nothing of it remains. */
  destroy(s: Socket): void {
    this.releasePort(s);
    s.userOpen = false;
    this.sockets.remove(s);
  }

  /**
   * Replaces a closing socket by a TIME_WAIT (or orphaned FIN_WAIT2) entry that holds its port
   * and 4-tuple (R60, D4). With tcp_max_tw_buckets reached no entry is made and the port is
   * freed at once (R6).
   */
  enterTimeWait(s: Socket, substate: TwSubstate, lifetimeMs: number, peer: Socket | null): TimeWait | null {
    this.rules.add('R6');
    if (!s.raddr || !s.lport || this.timewaits.size >= this.sysctl.maxTwBuckets) {
      this.destroy(s);
      return null;
    }
    const tw: TimeWait = {
      kind: 'timewait',
      id: this.nextTwId++,
      origin: s.id,
      family: s.family,
      laddr: s.laddr,
      lport: s.lport,
      raddr: s.raddr,
      rport: s.rport,
      v6only: s.v6only,
      reuseAddr: s.reuseAddr,
      reusePort: s.reusePort,
      uid: s.uid,
      connectBound: s.connectBound,
      hasPeerTs: s.peerTs,
      substate,
      entryMs: this.now,
      expiresMs: this.now + lifetimeMs,
      peer,
      listening: false,
      isTimeWait: true,
      bucketSlot: -1,
      timer: null,
    };
    // The entry joins the bucket before the socket leaves it, as in the kernel, so the release
    // rule (R15) sees the entry among the remaining owners.
    this.ports.join(tw, s.lport);
    this.ports.passTuple(s, tw);
    if (peer) peer.peerEntry = tw;
    this.timewaits.set(tw.id, tw);
    tw.timer = this.timers.push(tw.expiresMs, tw);
    // R64: the entry keeps a port bind() chose: a later bind() meets it as an ordinary owner.
    if (s.portLocked) this.rules.add('R64');
    this.destroy(s);
    return tw;
  }

  /** The entry's time is up, or it was recycled (R62/R63) or killed by an RST. */
  removeTimeWait(tw: TimeWait): void {
    if (!this.timewaits.delete(tw.id)) return;
    // Out of the timer heap now, not at its due time: a recycled entry must not outlive its use.
    if (tw.timer) this.timers.remove(tw.timer);
    tw.timer = null;
    this.ports.removeTuple(tw, tw.raddr, tw.rport, tw.lport);
    this.releaseOwner(tw, tw.lport);
  }

  /** A FIN arrives for an orphaned FIN_WAIT2 entry: it becomes TIME_WAIT for 60 s (R60). */
  finishTimeWait(tw: TimeWait): void {
    tw.substate = 'TIME_WAIT';
    tw.peer = null;
    tw.expiresMs = this.now + TIME_WAIT_MS;
    if (tw.timer) this.timers.reschedule(tw.timer, tw.expiresMs);
    else tw.timer = this.timers.push(tw.expiresMs, tw);
  }

  /**
   * An RST from the peer: the connection is gone. The socket stays open for its user in CLOSE;
   * its port goes back unless bind() fixed it (a port the kernel chose is released, R61).
   */
  resetByPeer(s: Socket): void {
    this.removeTuple(s);
    s.state = 'CLOSE';
    s.wasReset = true;
    if (s.raddr) this.formerPeers.set(s, { addr: s.raddr, port: s.rport });
    s.peer = null;
    s.peerEntry = null;
    s.raddr = null; // no peer any more (getpeername would say ENOTCONN); the 4-tuple is free
    s.rport = 0;
    if (s.lport && !s.portLocked) this.releasePort(s);
  }

  /** Moves virtual time forward, expiring TIME_WAIT and FIN_WAIT2 entries on the way (R6). */
  advance(ms: number): void {
    const target = this.now + ms;
    while (this.timers.peekAt() <= target) {
      const item = this.timers.pop();
      if (!item) break;
      // Entries that left early were taken out of the heap then, so every item popped is due.
      this.now = Math.max(this.now, item.at);
      this.removeTimeWait(item.value);
    }
    this.now = target;
  }
}
