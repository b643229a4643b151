/**
 * The model's copy of the connector's own sockets, through their whole life: the bind and
 * connect (before the kernel sees them: the reservation), who closed first (R60: TIME_WAIT for
 * the active closer only), resets (R61), TIME_WAIT for 60 s (R6) and its recycling (R62/R63).
 * The model validates every port the pools hand out; a "no" here means the kernel would say
 * the same, so no syscall is wasted on it.
 *
 * A destination the model counts as local (loopback, or one of our sources) needs a listener in
 * the model, or the model would refuse the connect (R61); a stand-in listener is made, and the
 * server-side socket of each connection is accepted and closed as the real peer closes.
 * Uses only the model's public index.
 */
import { type Failure, Netns, NotAnOutcomeError, parseAddr, type SockId } from '../model/index.js';
import { fmtDest } from './destination.js';
import type { SourceAddr } from './options.js';

export interface HostSysctls {
  readonly range: readonly [number, number];
  readonly reserved: readonly number[];
  readonly twReuse: number;
  readonly twReuseDelayMs: number;
  readonly timestamps: number;
}

/** How a connection ended, as seen through its Node socket. */
export type Ending =
  /** We sent the first FIN: TIME_WAIT on our side (R60). */
  | 'we-closed-first'
  /** The peer's FIN came first: CLOSE_WAIT, then LAST_ACK, no TIME_WAIT (R60). */
  | 'peer-closed-first'
  /** The peer reset the connection (R61). */
  | 'peer-reset'
  /** We reset it, or the handshake never finished (refused, timeout, abort): nothing is left (R61). */
  | 'aborted';

export interface MirrorConn {
  readonly sock: SockId;
  /** The stand-in server's accepted socket, for a destination local to the model. */
  readonly child: SockId | null;
}

export class Mirror {
  readonly ns = new Netns({ seed: 1 });
  private readonly localDests = new Set<string>();
  private readonly localCache = new Map<string, boolean>();
  private readonly listeners = new Map<string, SockId>();
  /** The stand-in listener last asked for (a run of connects goes to one destination). */
  private lastListener: { readonly dest: string; readonly dport: number; readonly sock: SockId } | null =
    null;
  private lastNow: number;
  /** Times the model and the kernel disagreed (the bind strategy follows the kernel's choice). */
  divergences = 0;

  constructor(sources: readonly SourceAddr[], host: HostSysctls, now: number) {
    this.lastNow = now;
    const set = (name: string, value: string) => {
      const r = this.ns.sysctl(name, value);
      if (!r.ok) throw new Error(`connector: the model refused ${name}=${value}: ${r.reason}`);
    };
    set('net.ipv4.ip_local_port_range', `${host.range[0]} ${host.range[1]}`);
    if (host.reserved.length > 0) set('net.ipv4.ip_local_reserved_ports', host.reserved.join(','));
    set('net.ipv4.tcp_tw_reuse', String(host.twReuse));
    set('net.ipv4.tcp_tw_reuse_delay', String(host.twReuseDelayMs));
    set('net.ipv4.tcp_timestamps', String(host.timestamps));
    // A real host reaches remote destinations through its default route; the model has routes
    // only through local prefixes (R10: no route is ENETUNREACH), so the first source of each
    // family stands for the default route with a /0 prefix, the others are host addresses.
    const routed = new Set<number>();
    for (const s of sources) {
      this.localDests.add(s.text);
      if (parseAddr(s.text)?.loopback) continue;
      const len = routed.has(s.family) ? (s.family === 4 ? 32 : 128) : 0;
      routed.add(s.family);
      const r = this.ns.addAddress(`${s.text}/${len}`);
      if (!r.ok) throw new Error(`connector: the model refused source ${s.text}: ${r.reason}`);
    }
  }

  /** Real time passed: the model's TIME_WAIT entries age with it (R6, R62). */
  advance(now: number): void {
    if (now > this.lastNow) {
      this.ns.advance(now - this.lastNow);
      this.lastNow = now;
    }
  }

  /**
   * bind(src, port) with SO_REUSEADDR (as libuv does) and connect(dest, dport): the model's
   * verdict on a candidate, and the reservation while the kernel's handshake runs. `port` 0 with
   * `follow` mirrors the bind strategy after the fact (the kernel chose the port, R23).
   */
  open(
    src: SourceAddr,
    port: number,
    dest: string,
    dport: number,
    follow?: number,
  ): MirrorConn | (Failure & { step: 'bind' | 'connect' }) {
    const kind = src.family === 4 ? 'tcp4' : 'tcp6';
    const s = this.ns.socket(kind);
    if (!s.ok) throw new Error(`connector bug: model socket(): ${s.reason}`);
    const sock = s.sock;
    this.ns.setsockopt(sock, 'SO_REUSEADDR', 1);
    const b = this.bind(sock, src.text, port, follow);
    if (!b.ok) {
      this.ns.close(sock);
      return { ...b, step: 'bind' };
    }
    const listener = this.isLocal(dest) ? this.standInListener(kind, dest, dport) : null;
    const c = this.ns.connect(sock, dest, dport);
    if (!c.ok) {
      this.ns.close(sock);
      return { ...c, step: 'connect' };
    }
    return { sock, child: this.acceptChild(listener) };
  }

  /**
   * The stand-in server accepts the connection's server side (a local destination only). Its
   * sockets are told from ours by their local end, the listener's (see standInEnds).
   */
  private acceptChild(listener: SockId | null): SockId | null {
    if (listener === null) return null;
    const a = this.ns.accept(listener);
    return a.ok ? a.sock : null;
  }

  /**
   * The no-port strategy, after the kernel connected: IP_BIND_ADDRESS_NO_PORT, bind(src, 0)
   * (no port yet, R22), then connect() following the port the kernel's search chose (R11-R13).
   * A port the model thinks impossible (another program's sockets) is counted and bound
   * explicitly instead.
   */
  openNoPort(src: SourceAddr, dest: string, dport: number, kernelPort: number): MirrorConn | Failure {
    const kind = src.family === 4 ? 'tcp4' : 'tcp6';
    const s = this.ns.socket(kind);
    if (!s.ok) throw new Error(`connector bug: model socket(): ${s.reason}`);
    const sock = s.sock;
    this.ns.setsockopt(sock, 'IP_BIND_ADDRESS_NO_PORT', 1);
    const b = this.ns.bind(sock, src.text, 0);
    const listener = this.isLocal(dest) ? this.standInListener(kind, dest, dport) : null;
    let c: ReturnType<Netns['connect']>;
    try {
      c = b.ok ? this.ns.connect(sock, dest, dport, { follow: kernelPort }) : b;
    } catch (e) {
      if (!(e instanceof NotAnOutcomeError)) throw e;
      this.divergences++;
      this.ns.close(sock);
      const r = this.open(src, kernelPort, dest, dport);
      return r;
    }
    if (!c.ok) {
      this.ns.close(sock);
      this.divergences++;
      return c;
    }
    return { sock, child: this.acceptChild(listener) };
  }

  /** The connection ended: mirror who closed first (R60), resets and aborts (R61). */
  end(conn: MirrorConn, how: Ending): void {
    const { sock, child } = conn;
    if (child === null) {
      if (how === 'peer-closed-first' || how === 'peer-reset')
        this.ns.remotePeerClosed(sock, { rst: how === 'peer-reset' });
      this.ns.close(sock, { rst: how === 'aborted' });
      return;
    }
    // A local stand-in server: its socket does what the real peer did.
    switch (how) {
      case 'we-closed-first':
        this.ns.close(sock);
        this.ns.close(child);
        return;
      case 'peer-closed-first':
      case 'peer-reset':
        this.ns.close(child, { rst: how === 'peer-reset' });
        this.ns.close(sock);
        return;
      case 'aborted':
        this.ns.close(sock, { rst: true });
        this.ns.close(child);
        return;
    }
  }

  /** Whether the destination is this host (the model then plays its listener); kept per address. */
  isLocal(dest: string): boolean {
    let local = this.localCache.get(dest);
    if (local === undefined) {
      const a = parseAddr(dest);
      local = a !== null && (a.loopback || this.localDests.has(a.canon.text) || this.localDests.has(a.text));
      if (this.localCache.size >= 1024) this.localCache.clear();
      this.localCache.set(dest, local);
    }
    return local;
  }

  /** Our sockets and TIME_WAIT entries as the model sees them: `local -> remote STATE`, sorted. */
  view(ours: (local: { addr: string; port: number }) => boolean): string[] {
    const v = this.ns.inspect();
    const standIn = this.standInEnds(v.sockets);
    const out: string[] = [];
    for (const s of v.sockets) {
      if (standIn.has(endpointText(s.local)) || !s.remote || !ours(s.local)) continue;
      out.push(`${endpointText(s.local)} -> ${endpointText(s.remote)} ${s.state}`);
    }
    for (const t of v.timewaits) {
      if (!ours(t.local)) continue;
      out.push(`${endpointText(t.local)} -> ${endpointText(t.remote)} ${t.substate}`);
    }
    return out.sort();
  }

  /** Open model sockets that are ours (for leak checks): neither stand-ins nor closed. */
  openSockets(): number {
    const sockets = this.ns.inspect().sockets;
    const standIn = this.standInEnds(sockets);
    return sockets.filter((s) => !standIn.has(endpointText(s.local))).length;
  }

  /**
   * The local ends of the stand-in listeners: every stand-in socket (the listener and the server
   * sides it accepted) has one, and none of ours can (the listener holds that address and port,
   * so the model refuses our bind there). Worked out when asked, so that open() keeps no set.
   */
  private standInEnds(
    sockets: readonly { id: unknown; local: { addr: string; port: number } }[],
  ): Set<string> {
    const ids = new Set<unknown>(this.listeners.values());
    return new Set(sockets.filter((s) => ids.has(s.id)).map((s) => endpointText(s.local)));
  }

  private bind(sock: SockId, addr: string, port: number, follow: number | undefined) {
    // The bind strategy: the kernel already chose `follow` with bind(addr, 0) (R23). Asking the
    // model whether that was a possible choice (`{ follow }`) walks the range (tens of ms per
    // connection at 28k ports), so the port is bound explicitly; a refusal is a disagreement.
    const r = this.ns.bind(sock, addr, follow ?? port);
    if (!r.ok && follow !== undefined) this.divergences++;
    return r;
  }

  private standInListener(kind: 'tcp4' | 'tcp6', dest: string, dport: number): SockId | null {
    const last = this.lastListener;
    if (last !== null && last.dest === dest && last.dport === dport) return last.sock;
    const key = `${dest}|${dport}`;
    const known = this.listeners.get(key);
    if (known !== undefined) {
      this.lastListener = { dest, dport, sock: known };
      return known;
    }
    const s = this.ns.socket(kind);
    if (!s.ok) return null;
    this.ns.setsockopt(s.sock, 'SO_REUSEADDR', 1);
    const b = this.ns.bind(s.sock, dest, dport);
    const l = b.ok ? this.ns.listen(s.sock) : b;
    if (!l.ok) {
      this.ns.close(s.sock);
      return null;
    }
    this.listeners.set(key, s.sock);
    this.lastListener = { dest, dport, sock: s.sock };
    return s.sock;
  }
}

/** A view's endpoint as `ip:port` or `[ip6]:port`. */
function endpointText(e: { readonly addr: string; readonly port: number }): string {
  return fmtDest(e.addr, e.port);
}
