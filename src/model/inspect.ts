/**
 * `Netns.inspect()`: a read-only, typed picture of a namespace for reports, pages and adapters,
 * so that nothing outside the model reads its internals. Every socket and TIME_WAIT entry with
 * what the port rules read of it (protocol, address, SO_REUSEADDR/SO_REUSEPORT, uid, whether it
 * holds its port for every destination), each entry's age and its R62 verdict, and the same
 * owners grouped by port. Plain data: it does not change when the namespace does.
 */
import type { Endpoint } from '../calls/index.js';
import type { Core } from './core.js';
import { describeOwner, type SockId, type TcpState, type TwSubstate } from './entities.js';
import { mayReuseTimeWait } from './timewait-reuse.js';

/** What the port rules read of any owner, a socket or a TIME_WAIT entry (D2, D5, R31-R38). */
interface OwnerFacts {
  readonly proto: 'tcp' | 'udp';
  readonly family: 4 | 6;
  /** Who it is, as failures name it: "socket #3 tcp4 127.0.0.1:40000 LISTEN". */
  readonly label: string;
  readonly local: Endpoint;
  readonly reuseAddr: boolean;
  readonly reusePort: boolean;
  /** IPV6_V6ONLY (R36). */
  readonly v6only: boolean;
  /** The uid that made the socket (R33, R34). */
  readonly uid: number;
  /** The port was placed by connect()'s autoselection (R13), not by bind() or listen(). */
  readonly connectBound: boolean;
  /**
   * It holds its port for every destination: a TCP owner placed by bind() or listen() (R23) on a
   * bind-owned port, which no autoselecting connect() takes (R12). False for UDP (R95: its own
   * port space) and for connect-owned ports, which other destinations share (R14).
   */
  readonly bindOwned: boolean;
}

export interface SocketView extends OwnerFacts {
  readonly kind: 'socket';
  readonly id: SockId;
  /** TCP state; a UDP socket is CLOSE, or ESTABLISHED once connected. */
  readonly state: TcpState;
  /** The peer of a connected socket, else null. */
  readonly remote: Endpoint | null;
}

export interface TimeWaitView extends OwnerFacts {
  readonly kind: 'timewait';
  /** The entry's own id (not a socket id). */
  readonly id: number;
  /** The socket whose close left it. */
  readonly origin: SockId;
  readonly proto: 'tcp';
  /** An orphaned FIN_WAIT2 waits for the peer's FIN (tcp_fin_timeout), then becomes TIME_WAIT (R6, R60). */
  readonly substate: TwSubstate;
  readonly remote: Endpoint;
  /** Virtual ms since the entry was made: the clock tcp_tw_reuse_delay reads (R4, R62). */
  readonly ageMs: number;
  /** Virtual time (ms) when it expires: TIME_WAIT lasts 60 s (R6). */
  readonly expiresMs: number;
  /** ms until it expires. */
  readonly remainingMs: number;
  /** R62: an autoselecting connect() to `remote` may take over its 4-tuple now. */
  readonly recyclable: boolean;
}

export type PortOwnerView = SocketView | TimeWaitView;

/** One port of one protocol and everything holding it. */
export interface PortView {
  readonly proto: 'tcp' | 'udp';
  readonly port: number;
  /** Sockets and TIME_WAIT entries on the port, sockets first, each in id order. */
  readonly owners: readonly PortOwnerView[];
  /** TCP: the port is bind-owned, so no autoselecting connect() takes it (R12). UDP: false. */
  readonly bindOwned: boolean;
  /** In ip_local_reserved_ports (R2): no autoselection takes it. */
  readonly reserved: boolean;
  /** Inside ip_local_port_range (R1). */
  readonly inRange: boolean;
}

export interface NetnsView {
  /** Virtual ms since the namespace was made. */
  readonly now: number;
  /** ip_local_port_range (R1). */
  readonly portRange: readonly [number, number];
  /** ip_local_reserved_ports, ascending (R2). */
  readonly reserved: readonly number[];
  /** Every socket the kernel holds, with a port or not (accepted or still queued children too). */
  readonly sockets: readonly SocketView[];
  /** Every TIME_WAIT and orphaned FIN_WAIT2 entry (R60). */
  readonly timewaits: readonly TimeWaitView[];
  /** TCP ports no autoselecting connect() takes, whatever the destination (R12), ascending. */
  readonly bindOwnedPorts: readonly number[];
  /** Every held port with its owners: TCP ports first, then UDP, each ascending. */
  readonly ports: readonly PortView[];
}

function endpoint(addr: { readonly text: string }, port: number): Endpoint {
  return { addr: addr.text, port };
}

export function inspectCore(c: Core): NetnsView {
  const bindOwnedPort = (proto: 'tcp' | 'udp', port: number) =>
    proto === 'tcp' && port !== 0 && c.ports.bindOwned.has(port);
  const sockets: SocketView[] = [...c.sockets.values()].map((s) => ({
    kind: 'socket',
    id: s.id,
    label: describeOwner(s),
    proto: s.proto,
    family: s.family,
    state: s.state,
    local: endpoint(s.laddr, s.lport),
    remote: s.raddr ? endpoint(s.raddr, s.rport) : null,
    reuseAddr: s.reuseAddr,
    reusePort: s.reusePort,
    v6only: s.v6only,
    uid: s.uid,
    connectBound: s.connectBound,
    bindOwned: !s.connectBound && bindOwnedPort(s.proto, s.lport),
  }));
  const timewaits: TimeWaitView[] = [...c.timewaits.values()].map((t) => ({
    kind: 'timewait',
    id: t.id,
    origin: t.origin,
    label: describeOwner(t),
    proto: 'tcp',
    family: t.family,
    substate: t.substate,
    local: endpoint(t.laddr, t.lport),
    remote: endpoint(t.raddr, t.rport),
    reuseAddr: t.reuseAddr,
    reusePort: t.reusePort,
    v6only: t.v6only,
    uid: t.uid,
    connectBound: t.connectBound,
    bindOwned: !t.connectBound && bindOwnedPort('tcp', t.lport),
    ageMs: c.now - t.entryMs,
    expiresMs: t.expiresMs,
    remainingMs: t.expiresMs - c.now,
    recyclable: mayReuseTimeWait(t, c.now, c.sysctl, 'AUTOSELECT'),
  }));
  return {
    now: c.now,
    portRange: c.sysctl.portRange,
    reserved: [...c.sysctl.reserved].sort((a, b) => a - b),
    sockets,
    timewaits,
    bindOwnedPorts: [...c.ports.bindOwned],
    ports: portsOf(c, [...sockets, ...timewaits], bindOwnedPort),
  };
}

/** The owners grouped by (protocol, port). */
function portsOf(
  c: Core,
  owners: readonly PortOwnerView[],
  bindOwnedPort: (proto: 'tcp' | 'udp', port: number) => boolean,
): PortView[] {
  const byPort = new Map<number, PortOwnerView[]>();
  for (const o of owners) {
    if (o.local.port === 0) continue;
    // One key per (protocol, port): TCP ports sort before UDP ones.
    const key = (o.proto === 'udp' ? 65536 : 0) + o.local.port;
    const list = byPort.get(key);
    if (list) list.push(o);
    else byPort.set(key, [o]);
  }
  const [lo, hi] = c.sysctl.portRange;
  return [...byPort.keys()]
    .sort((a, b) => a - b)
    .map((key) => {
      const proto = key >= 65536 ? 'udp' : 'tcp';
      const port = key & 0xffff;
      return {
        proto,
        port,
        owners: byPort.get(key) ?? [],
        bindOwned: bindOwnedPort(proto, port),
        reserved: c.sysctl.reserved.has(port),
        inRange: port >= lo && port <= hi,
      };
    });
}
